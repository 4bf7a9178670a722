//! Every row of the contract's error table, the order of checks, and the response headers.

use reqwest::Method;
use serde_json::json;

use crate::harness::*;

const USERS: &str = "/v1/organization/users";
const MISSING_KEY: &str = "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
const BAD_JSON: &str =
    "We could not parse the JSON body of your request. The API expects a JSON payload.";
const LAST_OWNER: &str = "An organization must keep at least one owner.";

on_both_stores!(
    missing_key,
    invalid_key_is_masked,
    revoked_key_is_refused,
    limit_errors,
    unknown_cursor,
    too_many_emails,
    unknown_user,
    invalid_bodies,
    invalid_roles,
    last_owner,
    body_too_large,
    unknown_paths_and_methods,
    order_of_checks,
    request_ids_and_headers,
    health
);

async fn missing_key(app: TestApp) {
    let none = app.send(Method::GET, USERS, None, None, &[]).await;
    none.assert_error(401, None, None, MISSING_KEY);
    assert!(none.header("openai-organization").is_none());
    for header in [
        "Bearer",
        "Bearer ",
        "Basic abc",
        "sk-admin-x",
        "Token sk-admin-x",
    ] {
        let r = app
            .send(Method::GET, USERS, None, None, &[("authorization", header)])
            .await;
        r.assert_error(401, None, None, MISSING_KEY);
    }
    // The scheme is case-insensitive.
    let lower = app
        .send(
            Method::GET,
            USERS,
            None,
            None,
            &[("authorization", &format!("bearer {KEY}"))],
        )
        .await;
    assert_eq!(lower.status, 200);
    let upper = app
        .send(
            Method::GET,
            USERS,
            None,
            None,
            &[("authorization", &format!("BEARER {KEY}"))],
        )
        .await;
    assert_eq!(upper.status, 200);
}

async fn invalid_key_is_masked(app: TestApp) {
    let r = app.get_as("sk-admin-abcdefghijWXYZ", USERS).await;
    r.assert_error(
        401,
        None,
        Some("invalid_api_key"),
        "Incorrect API key provided: sk-adm*************WXYZ.",
    );
    assert!(r.header("openai-organization").is_none());
    let short = app.get_as("short-key", USERS).await;
    short.assert_error(
        401,
        None,
        Some("invalid_api_key"),
        "Incorrect API key provided: *********.",
    );
    let eleven = app.get_as("0123456789a", USERS).await;
    eleven.assert_error(
        401,
        None,
        Some("invalid_api_key"),
        "Incorrect API key provided: 012345*789a.",
    );
}

async fn revoked_key_is_refused(app: TestApp) {
    let keys = app.store.list_keys().await.unwrap();
    let other = keys.iter().find(|k| k.org == app.other_org).unwrap();
    assert!(app.store.revoke_key(&other.id).await.unwrap());
    // Never used before revocation, so no cache can still hold it.
    let r = app.get_as(OTHER_KEY, USERS).await;
    r.assert_error(
        401,
        None,
        Some("invalid_api_key"),
        "Incorrect API key provided: sk-adm****************************ABCD.",
    );
}

async fn limit_errors(app: TestApp) {
    let below = |got: &str| {
        format!(
            "Invalid 'limit': integer below minimum value. Expected a value >= 1, but got {got} instead."
        )
    };
    let above = |got: &str| {
        format!(
            "Invalid 'limit': integer above maximum value. Expected a value <= 100, but got {got} instead."
        )
    };
    let not_int =
        |got: &str| format!("Invalid 'limit': expected an integer, but got '{got}' instead.");
    app.get(&format!("{USERS}?limit=0")).await.assert_error(
        400,
        Some("limit"),
        Some("integer_below_min_value"),
        &below("0"),
    );
    app.get(&format!("{USERS}?limit=-1")).await.assert_error(
        400,
        Some("limit"),
        Some("integer_below_min_value"),
        &below("-1"),
    );
    app.get(&format!("{USERS}?limit=101")).await.assert_error(
        400,
        Some("limit"),
        Some("integer_above_max_value"),
        &above("101"),
    );
    let huge = "123456789012345678901234567890";
    app.get(&format!("{USERS}?limit={huge}"))
        .await
        .assert_error(
            400,
            Some("limit"),
            Some("integer_above_max_value"),
            &above(huge),
        );
    for (sent, shown) in [
        ("abc", "abc"),
        ("5.0", "5.0"),
        ("%2B5", "+5"),
        ("", ""),
        ("1e2", "1e2"),
    ] {
        app.get(&format!("{USERS}?limit={sent}"))
            .await
            .assert_error(400, Some("limit"), Some("invalid_type"), &not_int(shown));
    }
    assert_eq!(app.get(&format!("{USERS}?limit=100")).await.status, 200);
    assert_eq!(app.get(&format!("{USERS}?limit=1")).await.status, 200);
}

async fn unknown_cursor(app: TestApp) {
    app.get(&format!("{USERS}?after=user-nobody"))
        .await
        .assert_error(
            400,
            Some("after"),
            Some("invalid_value"),
            "Invalid 'after': no user with id 'user-nobody'.",
        );
}

async fn too_many_emails(app: TestApp) {
    let many: String = (0..1001).map(|i| format!("&emails[]=u{i}@x.io")).collect();
    app.get(&format!("{USERS}?limit=5{many}")).await.assert_error(
        400, Some("emails"), Some("array_above_max_length"),
        "Invalid 'emails': array too long. Expected an array with maximum length 1000, but got 1001 instead.");
    // Duplicates (case-insensitive) are dropped before counting.
    let dups: String = (0..1500)
        .map(|i| format!("&emails=U{}@x.io", i % 1000))
        .collect();
    assert_eq!(app.get(&format!("{USERS}?limit=5{dups}")).await.status, 200);
}

async fn unknown_user(app: TestApp) {
    let path = format!("{USERS}/user-missing");
    app.get(&path)
        .await
        .assert_error(404, Some("user_id"), None, "No such user: user-missing");
    app.post(&path, r#"{"role":"owner"}"#).await.assert_error(
        404,
        Some("user_id"),
        None,
        "No such user: user-missing",
    );
    app.delete(&path)
        .await
        .assert_error(404, Some("user_id"), None, "No such user: user-missing");
    let encoded = app.get(&format!("{USERS}/user%20x")).await;
    encoded.assert_error(404, Some("user_id"), None, "No such user: user x");
}

async fn invalid_bodies(app: TestApp) {
    app.import(&users(2)).await;
    let path = format!("{USERS}/u-0001");
    for body in [
        "",
        "not json",
        "[1,2]",
        "\"owner\"",
        "42",
        "null",
        "{\"role\":",
        "{\"role\":\"owner\"} x",
    ] {
        app.post(&path, body)
            .await
            .assert_error(400, None, None, BAD_JSON);
    }
    app.post(&path, r#"{"name":"x","role":"owner","email":"y"}"#)
        .await
        .assert_error(
            400,
            Some("name"),
            None,
            "Unrecognized request argument supplied: name",
        );
    app.post(&path, r#"{"role":"owner","zzz":1,"aaa":2}"#)
        .await
        .assert_error(
            400,
            Some("zzz"),
            None,
            "Unrecognized request argument supplied: zzz",
        );
    // Content-Type is not required.
    let untyped = app.send(Method::POST, &path, Some(KEY), None, &[]).await;
    untyped.assert_error(400, None, None, BAD_JSON);
}

async fn invalid_roles(app: TestApp) {
    app.import(&users(2)).await;
    let path = format!("{USERS}/u-0001");
    app.post(&path, r#"{"role":"admin"}"#).await.assert_error(
        400,
        Some("role"),
        Some("invalid_value"),
        "Invalid 'role': expected one of 'owner' or 'reader', but got 'admin' instead.",
    );
    app.post(&path, r#"{"role":"member"}"#).await.assert_error(
        400,
        Some("role"),
        Some("invalid_value"),
        "Invalid 'role': expected one of 'owner' or 'reader', but got 'member' instead.",
    );
    app.post(&path, r#"{"role":null}"#).await.assert_error(
        400,
        Some("role"),
        Some("invalid_value"),
        "Invalid 'role': expected one of 'owner' or 'reader', but got null instead.",
    );
    app.post(&path, r#"{"role_id":"role-nope"}"#)
        .await
        .assert_error(
            400,
            Some("role_id"),
            Some("invalid_value"),
            "Invalid 'role_id': no role with id 'role-nope' in this organization.",
        );
    let owner_id = format!("role-api-organization-owner__api-organization__{}", app.org);
    let mismatch = json!({"role": "reader", "role_id": owner_id}).to_string();
    let r = app.post(&path, &mismatch).await;
    assert_eq!(
        (r.status, r.body["error"]["param"].as_str()),
        (400, Some("role_id")),
        "{}",
        r.body
    );
    let other_orgs = format!(
        "role-api-organization-owner__api-organization__{}",
        app.other_org
    );
    let r = app
        .post(&path, &json!({"role_id": other_orgs}).to_string())
        .await;
    assert_eq!(
        (r.status, r.body["error"]["param"].as_str()),
        (400, Some("role_id"))
    );
    let r = app.post(&path, r#"{"technical_level":5}"#).await;
    r.assert_error(400, Some("technical_level"), Some("invalid_type"),
        "Invalid type for 'technical_level': expected a string or null, but got an integer instead.");
    // Nothing was changed by the refused requests.
    assert_eq!(app.get(&path).await.body["role"], "reader");
}

async fn last_owner(app: TestApp) {
    app.import(&users(3)).await;
    let owner = format!("{USERS}/u-0000");
    app.post(&owner, r#"{"role":"reader"}"#).await.assert_error(
        400,
        Some("role"),
        None,
        LAST_OWNER,
    );
    let reader_role_id = format!(
        "role-api-organization-reader__api-organization__{}",
        app.org
    );
    app.post(&owner, &json!({"role_id": reader_role_id}).to_string())
        .await
        .assert_error(400, Some("role"), None, LAST_OWNER);
    app.delete(&owner)
        .await
        .assert_error(400, None, None, LAST_OWNER);
    assert_eq!(app.get(&owner).await.body["role"], "owner");
    // With a second owner, the first may go.
    assert_eq!(
        app.post(&format!("{USERS}/u-0001"), r#"{"role":"owner"}"#)
            .await
            .status,
        200
    );
    assert_eq!(app.post(&owner, r#"{"role":"reader"}"#).await.status, 200);
    app.delete(&format!("{USERS}/u-0001"))
        .await
        .assert_error(400, None, None, LAST_OWNER);
}

async fn body_too_large(app: TestApp) {
    app.import(&users(2)).await;
    let path = format!("{USERS}/u-0001");
    let big = format!(r#"{{"technical_level":"{}"}}"#, "x".repeat(1024 * 1024));
    let r = app
        .send(
            Method::POST,
            &path,
            Some(KEY),
            Some(big.clone().into_bytes()),
            &[],
        )
        .await;
    r.assert_error(413, None, None, "Request body too large.");
    // Authentication comes first.
    let r = app
        .send(
            Method::POST,
            &path,
            Some("sk-admin-wrong-key-123456"),
            Some(big.into_bytes()),
            &[],
        )
        .await;
    assert_eq!(r.status, 401);
    // Just under the limit is parsed.
    let fits = format!(
        r#"{{"technical_level":"{}"}}"#,
        "x".repeat(1024 * 1024 - 30)
    );
    let r = app
        .send(Method::POST, &path, Some(KEY), Some(fits.into_bytes()), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.body["error"]);
}

async fn unknown_paths_and_methods(app: TestApp) {
    let cases = [
        (
            Method::GET,
            "/v1/organization/users/",
            "GET /v1/organization/users/",
        ),
        (Method::GET, "/v1/nothing?x=1", "GET /v1/nothing"),
        (
            Method::GET,
            "/organization/users",
            "GET /organization/users",
        ),
        (
            Method::PUT,
            "/v1/organization/users",
            "PUT /v1/organization/users",
        ),
        (
            Method::POST,
            "/v1/organization/users",
            "POST /v1/organization/users",
        ),
        (
            Method::PATCH,
            "/v1/organization/users/u-1",
            "PATCH /v1/organization/users/u-1",
        ),
        (
            Method::DELETE,
            "/v1/organization/users",
            "DELETE /v1/organization/users",
        ),
        (
            Method::GET,
            "/v1/organization/users/u-1/extra",
            "GET /v1/organization/users/u-1/extra",
        ),
    ];
    for (method, path, shown) in cases {
        // No key needed, and a bad key does not change the answer.
        for key in [None, Some("sk-admin-bogus-key-000")] {
            let r = app.send(method.clone(), path, key, None, &[]).await;
            r.assert_error(404, None, None, &format!("Invalid URL ({shown})"));
        }
    }
}

async fn order_of_checks(app: TestApp) {
    // A bad key wins over bad parameters.
    let r = app
        .get_as("sk-admin-bogus-key-000", &format!("{USERS}?limit=abc"))
        .await;
    assert_eq!(r.status, 401);
    // Parameters are checked before the user's existence.
    let r = app.post(&format!("{USERS}/user-missing"), "not json").await;
    r.assert_error(400, None, None, BAD_JSON);
    let r = app
        .post(&format!("{USERS}/user-missing"), r#"{"role":"boss"}"#)
        .await;
    assert_eq!(r.status, 400);
}

async fn request_ids_and_headers(app: TestApp) {
    let r = app.get(USERS).await;
    assert!(is_generated_request_id(r.header("x-request-id").unwrap()));
    assert_eq!(r.header("openai-organization"), Some(app.org.as_str()));
    let echoed = app
        .send(
            Method::GET,
            USERS,
            Some(KEY),
            None,
            &[("x-request-id", "trace-1.2_x")],
        )
        .await;
    assert_eq!(echoed.header("x-request-id"), Some("trace-1.2_x"));
    for bad in ["has space", "semi;colon", &"a".repeat(201)] {
        let r = app
            .send(
                Method::GET,
                USERS,
                Some(KEY),
                None,
                &[("x-request-id", bad)],
            )
            .await;
        assert!(
            is_generated_request_id(r.header("x-request-id").unwrap()),
            "{bad}"
        );
    }
    // After authentication, errors carry the organization too.
    let r = app.get(&format!("{USERS}/user-missing")).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("openai-organization"), Some(app.org.as_str()));
    let other = app.get_as(OTHER_KEY, USERS).await;
    assert_eq!(other.header("openai-organization"), Some(OTHER_ORG));
    let unknown = app.send(Method::GET, "/v1/x", None, None, &[]).await;
    assert!(unknown.header("openai-organization").is_none());
}

async fn health(app: TestApp) {
    let r = app.send(Method::GET, "/health", None, None, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!({"status": "ok"}));
}
