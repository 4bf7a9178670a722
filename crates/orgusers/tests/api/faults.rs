//! Injected faults (`/_orgusers/faults`) and the request journal (`/_orgusers/requests`):
//! envelopes and headers per status, matching, counts, probability, latency, isolation between
//! organizations, removal and bad bodies; the journal's fields, order, bound and discretion; and
//! the `orgusers faults` and `orgusers requests` commands.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::cli_directory::{cli, jsonl, ok, ok_json};
use crate::harness::*;

on_both_stores!(
    each_status_answers_in_its_envelope,
    methods_and_prefixes_choose_the_requests,
    counts_run_out_and_the_fault_disappears,
    probability_zero_never_fires,
    latency_delays_requests,
    faults_never_reach_control_endpoints_or_health,
    faults_belong_to_one_organization,
    faults_are_listed_and_removed,
    bad_fault_bodies_are_refused,
    requests_without_a_valid_key_meet_no_fault,
    the_journal_records_requests_newest_first,
    the_journal_never_holds_a_key_or_a_body,
    the_journal_keeps_the_last_thousand,
    the_journal_limit_is_checked,
    the_journal_belongs_to_one_organization,
    faults_and_requests_from_the_command_line
);

const USERS: &str = "/v1/organization/users";
const FAULTS: &str = "/_orgusers/faults";
const REQUESTS: &str = "/_orgusers/requests";

/// Adds a fault as the default organization; returns it.
async fn add_fault(app: &TestApp, body: Value) -> Value {
    add_fault_as(app, KEY, body).await
}

async fn add_fault_as(app: &TestApp, key: &str, body: Value) -> Value {
    let reply = app.post_as(key, FAULTS, &body.to_string()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["object"], "orgusers.fault", "{}", reply.body);
    reply.body
}

/// The default organization's faults.
async fn faults(app: &TestApp) -> Vec<Value> {
    let reply = app.get(FAULTS).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["object"], "list");
    reply.body["data"].as_array().unwrap().clone()
}

/// The journal of the organization of `key`, newest first.
async fn journal_as(app: &TestApp, key: &str, limit: usize) -> Vec<Value> {
    let reply = app.get_as(key, &format!("{REQUESTS}?limit={limit}")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["object"], "list");
    reply.body["data"].as_array().unwrap().clone()
}

async fn journal(app: &TestApp, limit: usize) -> Vec<Value> {
    journal_as(app, KEY, limit).await
}

/// The envelope's `type` and `code`, and a part of its message, for each status.
const ENVELOPES: &[(u16, &str, Option<&str>, &str)] = &[
    (
        400,
        "invalid_request_error",
        None,
        "could not parse the JSON body",
    ),
    (
        401,
        "invalid_request_error",
        Some("invalid_api_key"),
        "Incorrect API key provided: ",
    ),
    (
        403,
        "invalid_request_error",
        None,
        "insufficient permissions",
    ),
    (404, "invalid_request_error", None, "not found"),
    (408, "invalid_request_error", None, "Request timeout."),
    (409, "invalid_request_error", None, "Please retry."),
    (
        413,
        "invalid_request_error",
        None,
        "Request body too large.",
    ),
    (418, "invalid_request_error", None, "I'm a teapot."),
    (422, "invalid_request_error", None, "Unprocessable Entity."),
    (
        429,
        "requests",
        Some("rate_limit_exceeded"),
        "Rate limit reached for requests in organization ",
    ),
    (
        500,
        "server_error",
        None,
        "The server had an error while processing your request.",
    ),
    (502, "server_error", None, "Bad gateway."),
    (
        503,
        "service_unavailable_error",
        Some("server_is_overloaded"),
        "overloaded",
    ),
    (504, "server_error", None, "Gateway timeout."),
    (507, "server_error", None, "Insufficient Storage."),
];

async fn each_status_answers_in_its_envelope(app: TestApp) {
    for &(status, kind, code, message) in ENVELOPES {
        add_fault(
            &app,
            json!({"method": "GET", "path": USERS, "status": status, "count": 1}),
        )
        .await;
        let reply = app.get(USERS).await;
        assert_eq!(reply.status, status, "{}", reply.body);
        let error = &reply.body["error"];
        assert_eq!(error["type"], kind, "{status}: {}", reply.body);
        assert_eq!(error["code"].as_str(), code, "{status}: {}", reply.body);
        assert_eq!(error["param"], Value::Null, "{status}");
        let text = error["message"].as_str().unwrap();
        assert!(text.contains(message), "{status}: {text}");
        // The stamped headers are there as on any answer, the organization included.
        assert_eq!(
            reply.header("openai-organization"),
            Some(app.org.as_str()),
            "{status}"
        );
        if status == 429 {
            assert!(text.contains(app.org.as_str()), "{text}");
            assert_eq!(reply.header("retry-after"), Some("0"));
            assert_eq!(reply.header("x-ratelimit-limit-requests"), Some("60"));
            assert_eq!(reply.header("x-ratelimit-remaining-requests"), Some("0"));
            assert_eq!(reply.header("x-ratelimit-reset-requests"), Some("0s"));
        } else {
            assert_eq!(reply.header("retry-after"), None, "{status}");
        }
        if status == 401 {
            // The key as the real API shows it: masked.
            let masked = format!(
                "{}{}{}",
                &KEY[..6],
                "*".repeat(KEY.len() - 10),
                &KEY[KEY.len() - 4..]
            );
            assert_eq!(text, format!("Incorrect API key provided: {masked}."));
        }
        // Count 1: the next request is answered as usual.
        let next = app.get(USERS).await;
        assert_eq!(next.status, 200, "after {status}: {}", next.body);
    }
    assert!(faults(&app).await.is_empty());
}

async fn methods_and_prefixes_choose_the_requests(app: TestApp) {
    add_fault(
        &app,
        json!({"method": "post", "path": "/v1/organization/groups*", "status": 500}),
    )
    .await;
    add_fault(
        &app,
        json!({"path": "/v1/organization/roles", "status": 502}),
    )
    .await;

    // Another method of the same path is not touched.
    assert_eq!(app.get("/v1/organization/groups").await.status, 200);
    // The prefix covers the path itself and what lies under it.
    let created = app
        .post("/v1/organization/groups", r#"{"name":"Support"}"#)
        .await;
    assert_eq!(created.status, 500, "{}", created.body);
    let renamed = app
        .post("/v1/organization/groups/group_x", r#"{"name":"Help"}"#)
        .await;
    assert_eq!(renamed.status, 500, "{}", renamed.body);
    // An exact path, any method, the query aside; nothing below it.
    assert_eq!(app.get("/v1/organization/roles").await.status, 502);
    assert_eq!(app.get("/v1/organization/roles?limit=1").await.status, 502);
    let role = app
        .post(
            "/v1/organization/roles",
            r#"{"role_name":"x","permissions":[]}"#,
        )
        .await;
    assert_eq!(role.status, 502, "{}", role.body);
    let one = app.get("/v1/organization/roles/role_x").await;
    assert_eq!(one.status, 404, "{}", one.body);
    assert_eq!(app.get(USERS).await.status, 200);
}

async fn counts_run_out_and_the_fault_disappears(app: TestApp) {
    let fault = add_fault(&app, json!({"path": USERS, "status": 503, "count": 2})).await;
    assert_eq!(
        (fault["count"].as_u64(), fault["remaining"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(app.get(USERS).await.status, 503);
    let listed = faults(&app).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], fault["id"]);
    assert_eq!(listed[0]["remaining"], 1);
    assert_eq!(listed[0]["count"], 2);
    assert_eq!(app.get(USERS).await.status, 503);
    assert!(faults(&app).await.is_empty(), "a used-up fault is removed");
    assert_eq!(app.get(USERS).await.status, 200);

    // Concurrent requests share the count: exactly `count` of them fail.
    add_fault(&app, json!({"path": USERS, "status": 500, "count": 5})).await;
    let statuses = futures_util::future::join_all((0..20).map(|_| app.get(USERS))).await;
    let failed = statuses.iter().filter(|r| r.status == 500).count();
    assert_eq!(failed, 5);
    assert_eq!(statuses.iter().filter(|r| r.status == 200).count(), 15);
}

async fn probability_zero_never_fires(app: TestApp) {
    let fault = add_fault(
        &app,
        json!({"path": USERS, "status": 500, "probability": 0, "count": 3}),
    )
    .await;
    assert_eq!(fault["probability"], 0.0);
    for _ in 0..30 {
        assert_eq!(app.get(USERS).await.status, 200);
    }
    // A fault that did not fire used none of its count.
    assert_eq!(faults(&app).await[0]["remaining"], 3);
}

async fn latency_delays_requests(app: TestApp) {
    add_fault(&app, json!({"path": USERS, "latency_ms": 300, "count": 1})).await;
    let started = Instant::now();
    let slow = app.get(USERS).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(slow.status, 200, "a fault without a status only delays");
    let processing: u64 = slow
        .header("openai-processing-ms")
        .unwrap()
        .parse()
        .unwrap();
    assert!(processing >= 300, "{processing}");

    add_fault(
        &app,
        json!({"path": USERS, "latency_ms": 200, "status": 504, "count": 1}),
    )
    .await;
    let started = Instant::now();
    let failed = app.get(USERS).await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(failed.status, 504);
    let recorded = &journal(&app, 1).await[0];
    assert_eq!(recorded["status"], 504);
    assert!(
        recorded["latency_ms"].as_u64().unwrap() >= 200,
        "{recorded}"
    );
}

async fn faults_never_reach_control_endpoints_or_health(app: TestApp) {
    add_fault(&app, json!({"path": "/v1/*", "status": 500})).await;
    assert_eq!(app.get(USERS).await.status, 500);
    assert_eq!(app.get("/v1/organization/projects").await.status, 500);
    assert_eq!(app.get(FAULTS).await.status, 200);
    assert_eq!(app.get(REQUESTS).await.status, 200);
    let health = app.send(Method::GET, "/health", None, None, &[]).await;
    assert_eq!(health.status, 200);
    let cleared = app.delete(FAULTS).await;
    assert_eq!(cleared.status, 200, "{}", cleared.body);
    assert_eq!(
        cleared.body,
        json!({"object": "orgusers.faults.deleted", "deleted": 1})
    );
    assert_eq!(app.get(USERS).await.status, 200);
    // A fault cannot even name a control path.
    let refused = app
        .post(
            FAULTS,
            &json!({"path": "/_orgusers/*", "status": 500}).to_string(),
        )
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.body["error"]["param"], "path");
}

async fn faults_belong_to_one_organization(app: TestApp) {
    let mine = add_fault(&app, json!({"path": USERS, "status": 500})).await;
    assert_eq!(app.get_as(OTHER_KEY, USERS).await.status, 200);
    assert!(
        journal_as(&app, OTHER_KEY, 10)
            .await
            .iter()
            .all(|r| r["status"] == 200)
    );
    let others = app.get_as(OTHER_KEY, FAULTS).await;
    assert_eq!(others.body["data"], json!([]));
    let removed = app
        .delete_as(
            OTHER_KEY,
            &format!("{FAULTS}/{}", mine["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(removed.status, 404);
    let cleared = app.delete_as(OTHER_KEY, FAULTS).await;
    assert_eq!(cleared.body["deleted"], 0);
    assert_eq!(app.get(USERS).await.status, 500, "still in place");

    add_fault_as(&app, OTHER_KEY, json!({"path": USERS, "status": 429})).await;
    assert_eq!(app.get_as(OTHER_KEY, USERS).await.status, 429);
    assert_eq!(app.get(USERS).await.status, 500);
}

async fn faults_are_listed_and_removed(app: TestApp) {
    let first = add_fault(
        &app,
        json!({"method": "DELETE", "path": "/v1/organization/users/*", "status": 409, "latency_ms": 5, "probability": 0.25, "count": 7}),
    )
    .await;
    let id = first["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("fault_") && id.len() == 30, "{id}");
    assert!(id[6..].chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
    let created_at = first["created_at"].as_i64().unwrap();
    assert_eq!(
        first,
        json!({
            "object": "orgusers.fault", "id": id, "method": "DELETE",
            "path": "/v1/organization/users/*", "status": 409, "latency_ms": 5,
            "probability": 0.25, "count": 7, "remaining": 7, "created_at": created_at,
        })
    );
    let second = add_fault(&app, json!({"path": USERS})).await;
    assert_eq!(
        (
            &second["method"],
            &second["status"],
            &second["latency_ms"],
            &second["probability"],
            &second["count"],
            &second["remaining"]
        ),
        (
            &json!("*"),
            &Value::Null,
            &json!(0),
            &json!(1.0),
            &Value::Null,
            &Value::Null
        )
    );
    let listed = faults(&app).await;
    assert_eq!(listed, vec![first.clone(), second.clone()], "oldest first");

    let removed = app.delete(&format!("{FAULTS}/{id}")).await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(
        removed.body,
        json!({"object": "orgusers.fault.deleted", "id": id, "deleted": true})
    );
    let again = app.delete(&format!("{FAULTS}/{id}")).await;
    again.assert_error(404, Some("fault_id"), None, &format!("No such fault: {id}"));
    assert_eq!(faults(&app).await, vec![second]);
    let cleared = app.delete(FAULTS).await;
    assert_eq!(cleared.body["deleted"], 1);
    assert!(faults(&app).await.is_empty());
}

async fn bad_fault_bodies_are_refused(app: TestApp) {
    let cases: &[(&str, Option<&str>, Option<&str>, &str)] = &[
        (
            "not json",
            None,
            None,
            "We could not parse the JSON body of your request. The API expects a JSON payload.",
        ),
        (
            "{}",
            Some("path"),
            Some("missing_required_parameter"),
            "Missing required parameter: 'path'.",
        ),
        (
            r#"{"path":5}"#,
            Some("path"),
            Some("invalid_type"),
            "Invalid type for 'path': expected a string, but got an integer instead.",
        ),
        (
            r#"{"path":"/v1/organization/users","status":302}"#,
            Some("status"),
            Some("invalid_value"),
            "Invalid 'status': expected an integer from 400 to 599, but got 302 instead.",
        ),
        (
            r#"{"path":"/v1/organization/users","status":"429"}"#,
            Some("status"),
            Some("invalid_type"),
            "Invalid type for 'status': expected an integer, but got a string instead.",
        ),
        (
            r#"{"path":"/v1/organization/users","latency_ms":60001}"#,
            Some("latency_ms"),
            Some("invalid_value"),
            "Invalid 'latency_ms': expected an integer from 0 to 60000, but got 60001 instead.",
        ),
        (
            r#"{"path":"/v1/organization/users","probability":2}"#,
            Some("probability"),
            Some("invalid_value"),
            "Invalid 'probability': expected a number from 0 to 1, but got 2 instead.",
        ),
        (
            r#"{"path":"/v1/organization/users","count":0}"#,
            Some("count"),
            Some("invalid_value"),
            "Invalid 'count': expected an integer from 1 to 9223372036854775807, but got 0 instead.",
        ),
        (
            r#"{"path":"/v1/organization/users","method":"BREW"}"#,
            Some("method"),
            Some("invalid_value"),
            "Invalid 'method': expected one of '*', 'GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD' or 'OPTIONS', but got 'BREW' instead.",
        ),
        (
            r#"{"path":"/health"}"#,
            Some("path"),
            Some("invalid_value"),
            "Invalid 'path': a fault applies to /v1/ paths only: expected a path starting with '/v1/'.",
        ),
        (
            r#"{"path":"/v1/organization/users?limit=1"}"#,
            Some("path"),
            Some("invalid_value"),
            "Invalid 'path': expected a path without a query: faults match on the path alone.",
        ),
        (
            r#"{"path":"/v1/organization/users","retries":1}"#,
            Some("retries"),
            None,
            "Unrecognized request argument supplied: retries",
        ),
    ];
    for (body, param, code, message) in cases {
        let reply = app.post(FAULTS, body).await;
        reply.assert_error(400, *param, *code, message);
    }
    assert!(faults(&app).await.is_empty());
    let anonymous = app.send(Method::GET, FAULTS, None, None, &[]).await;
    assert_eq!(anonymous.status, 401);
}

async fn requests_without_a_valid_key_meet_no_fault(app: TestApp) {
    add_fault(&app, json!({"path": "/v1/*", "status": 503})).await;
    let anonymous = app.send(Method::GET, USERS, None, None, &[]).await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.body["error"]["code"], Value::Null);
    let wrong = app
        .send(
            Method::GET,
            USERS,
            Some("sk-admin-wrong-key-0000000000000000"),
            None,
            &[],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body["error"]["code"], "invalid_api_key");
    // An unknown /v1 URL is answered before any key check: no fault either.
    let unknown = app.get("/v1/organization/nothing").await;
    assert_eq!(unknown.status, 404);
    // Nor are they journaled: no organization is known.
    assert!(journal(&app, 10).await.is_empty());
}

async fn the_journal_records_requests_newest_first(app: TestApp) {
    let before = now();
    let listed = app
        .send(
            Method::GET,
            "/v1/organization/users?limit=2&emails[]=a%2Bb@x.io",
            Some(KEY),
            None,
            &[("x-request-id", "my-request-1")],
        )
        .await;
    assert_eq!(listed.status, 200);
    let created = app
        .post("/v1/organization/groups", r#"{"name":"Support"}"#)
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let missing = app.get("/v1/organization/users/user-nobody").await;
    assert_eq!(missing.status, 404);
    // Control requests and /health are not journaled.
    app.get(FAULTS).await;
    app.send(Method::GET, "/health", None, None, &[]).await;

    let entries = journal(&app, 100).await;
    assert_eq!(entries.len(), 3, "{entries:?}");
    let after = now();
    let [newest, middle, oldest] = [&entries[0], &entries[1], &entries[2]];
    assert_eq!(newest["path"], "/v1/organization/users/user-nobody");
    assert_eq!(newest["status"], 404);
    assert_eq!(newest["query"], Value::Null);
    assert_eq!(
        newest["request_id"].as_str(),
        missing.header("x-request-id")
    );
    assert!(is_generated_request_id(
        newest["request_id"].as_str().unwrap()
    ));
    assert_eq!(middle["method"], "POST");
    assert_eq!(middle["path"], "/v1/organization/groups");
    assert_eq!(middle["status"], 200);
    assert_eq!(
        oldest,
        &json!({
            "object": "orgusers.request", "method": "GET", "path": USERS,
            "query": "limit=2&emails[]=a%2Bb@x.io", "status": 200,
            "request_id": "my-request-1",
            "created_at": oldest["created_at"], "latency_ms": oldest["latency_ms"],
        })
    );
    for entry in &entries {
        let at = entry["created_at"].as_i64().unwrap();
        assert!((before..=after).contains(&at), "{entry}");
        assert!(entry["latency_ms"].is_u64(), "{entry}");
    }
    assert_eq!(journal(&app, 1).await, vec![newest.clone()]);

    // Faulted requests are journaled with the status they got.
    add_fault(&app, json!({"path": USERS, "status": 429, "count": 2})).await;
    for _ in 0..3 {
        app.get(USERS).await;
    }
    let statuses: Vec<Value> = journal(&app, 3)
        .await
        .iter()
        .map(|e| e["status"].clone())
        .collect();
    assert_eq!(statuses, vec![json!(200), json!(429), json!(429)]);
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn the_journal_never_holds_a_key_or_a_body(app: TestApp) {
    let secret = "a-body-text-that-must-not-be-kept-7f3a";
    let created = app
        .post(
            "/v1/organization/groups",
            &json!({"name": secret}).to_string(),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let refused = app
        .post(
            "/v1/organization/roles",
            &json!({"role_name": 1, "description": secret}).to_string(),
        )
        .await;
    assert_eq!(refused.status, 400);
    app.get_as(OTHER_KEY, USERS).await;
    let reply = app.get(REQUESTS).await;
    let text = reply.body.to_string();
    assert_eq!(reply.body["data"].as_array().unwrap().len(), 2, "{text}");
    for forbidden in [KEY, OTHER_KEY, secret, "authorization", "Bearer"] {
        assert!(!text.contains(forbidden), "{forbidden} in {text}");
    }
    for entry in reply.body["data"].as_array().unwrap() {
        let mut fields: Vec<&String> = entry.as_object().unwrap().keys().collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                "created_at",
                "latency_ms",
                "method",
                "object",
                "path",
                "query",
                "request_id",
                "status"
            ]
        );
    }
}

async fn the_journal_keeps_the_last_thousand(app: TestApp) {
    // A fault answers at once, without the store: a thousand requests stay quick.
    add_fault(&app, json!({"path": USERS, "status": 500})).await;
    let total = 1005;
    for n in 0..total {
        let reply = app
            .send(
                Method::GET,
                USERS,
                Some(KEY),
                None,
                &[("x-request-id", &format!("bulk-{n}"))],
            )
            .await;
        assert_eq!(reply.status, 500);
    }
    let entries = journal(&app, 1000).await;
    assert_eq!(entries.len(), 1000);
    assert_eq!(entries[0]["request_id"], format!("bulk-{}", total - 1));
    assert_eq!(entries[999]["request_id"], format!("bulk-{}", total - 1000));
    let default = app.get(REQUESTS).await;
    assert_eq!(default.body["data"].as_array().unwrap().len(), 100);
}

async fn the_journal_limit_is_checked(app: TestApp) {
    app.get(&format!("{REQUESTS}?limit=0")).await.assert_error(
        400,
        Some("limit"),
        Some("integer_below_min_value"),
        "Invalid 'limit': integer below minimum value. Expected a value >= 1, but got 0 instead.",
    );
    app.get(&format!("{REQUESTS}?limit=1001"))
        .await
        .assert_error(
            400,
            Some("limit"),
            Some("integer_above_max_value"),
            "Invalid 'limit': integer above maximum value. Expected a value <= 1000, but got 1001 instead.",
        );
    app.get(&format!("{REQUESTS}?limit=ten"))
        .await
        .assert_error(
            400,
            Some("limit"),
            Some("invalid_type"),
            "Invalid 'limit': expected an integer, but got 'ten' instead.",
        );
    assert_eq!(app.get(&format!("{REQUESTS}?limit=1000")).await.status, 200);
}

async fn the_journal_belongs_to_one_organization(app: TestApp) {
    app.get(USERS).await;
    app.get(USERS).await;
    app.get_as(OTHER_KEY, "/v1/organization/roles").await;
    let mine = journal(&app, 10).await;
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|e| e["path"] == USERS));
    let theirs = journal_as(&app, OTHER_KEY, 10).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["path"], "/v1/organization/roles");
}

async fn faults_and_requests_from_the_command_line(app: TestApp) {
    let added = ok_json(&cli(
        &app,
        &[
            "faults",
            "add",
            "--path",
            "/v1/organization/users*",
            "--method",
            "GET",
            "--status",
            "503",
            "--count",
            "1",
        ],
    ));
    let id = added["id"].as_str().unwrap().to_owned();
    assert_eq!(added["status"], 503);
    assert_eq!(added["remaining"], 1);
    let listed = jsonl(&ok(&cli(&app, &["faults", "list", "--format", "jsonl"])));
    assert_eq!(listed, vec![added.clone()]);
    let table = ok(&cli(&app, &["faults", "list"]));
    assert!(table.starts_with("ID "), "{table}");
    assert!(table.contains(&id) && table.contains("503"), "{table}");

    let failed = app.get(USERS).await;
    assert_eq!(failed.status, 503);
    let requests = jsonl(&ok(&cli(
        &app,
        &["requests", "--limit", "5", "--format", "jsonl"],
    )));
    assert_eq!(
        requests.len(),
        1,
        "control requests are not journaled: {requests:?}"
    );
    assert_eq!(requests[0]["status"], 503);
    assert_eq!(requests[0]["path"], USERS);
    assert_eq!(
        requests[0]["request_id"].as_str(),
        failed.header("x-request-id")
    );
    let table = ok(&cli(&app, &["requests"]));
    assert!(table.starts_with("REQUEST_ID "), "{table}");
    assert!(table.contains(USERS), "{table}");

    let second = ok_json(&cli(
        &app,
        &["faults", "add", "--path", USERS, "--latency-ms", "1"],
    ));
    let removed = ok(&cli(
        &app,
        &["faults", "remove", second["id"].as_str().unwrap()],
    ));
    assert_eq!(
        removed.trim(),
        format!("removed {}", second["id"].as_str().unwrap())
    );
    let missing = cli(&app, &["faults", "remove", "fault_nothing"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("No such fault: fault_nothing"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
    ok(&cli(
        &app,
        &["faults", "add", "--path", USERS, "--latency-ms", "1"],
    ));
    assert_eq!(
        ok(&cli(&app, &["faults", "clear"])).trim(),
        "removed 1 faults"
    );
    assert!(faults(&app).await.is_empty());
    // Bad options are refused before any request.
    let refused = cli(&app, &["faults", "add", "--path", USERS, "--status", "200"]);
    assert_eq!(refused.status.code(), Some(2));
}
