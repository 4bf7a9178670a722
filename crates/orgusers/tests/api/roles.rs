//! Organization roles: the predefined pair, custom roles, their list.

use serde_json::{Value, json};

use crate::harness::*;

const ROLES: &str = "/v1/organization/roles";

fn predefined(app: &TestApp, role: &str) -> String {
    format!(
        "role-api-organization-{role}__api-organization__{}",
        app.org
    )
}

async fn create(app: &TestApp, name: &str) -> Value {
    let body = json!({"role_name": name, "permissions": ["api.groups.read"]}).to_string();
    let r = app.post(ROLES, &body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["id"].as_str().expect("id").to_owned())
        .collect()
}

on_both_stores!(
    predefined_roles_come_first_and_never_change,
    custom_roles_live_and_die,
    bodies_are_checked,
    roles_walk_in_both_orders,
    cursors_are_checked,
    roles_are_per_organization,
);

async fn predefined_roles_come_first_and_never_change(app: TestApp) {
    let list = app.get(ROLES).await;
    assert_eq!(list.status, 200);
    assert_eq!(
        list.ids(),
        [predefined(&app, "owner"), predefined(&app, "reader")]
    );
    assert_eq!(
        (list.body["has_more"].clone(), list.body["next"].clone()),
        (json!(false), Value::Null)
    );
    let owner = &list.body["data"][0];
    assert_eq!(
        (owner["name"].as_str(), owner["predefined_role"].as_bool()),
        (Some("owner"), Some(true))
    );
    assert_eq!(owner["resource_type"], "api.organization");
    let reader = app
        .get(&format!("{ROLES}/{}", predefined(&app, "reader")))
        .await;
    assert_eq!(reader.body, list.body["data"][1]);
    let owner_permissions = owner["permissions"].as_array().unwrap();
    for permission in reader.body["permissions"].as_array().unwrap() {
        assert!(owner_permissions.contains(permission), "{permission}");
    }

    let path = format!("{ROLES}/{}", predefined(&app, "owner"));
    let refused = "The predefined role 'owner' cannot be changed or deleted.";
    app.post(&path, r#"{"description":"mine"}"#)
        .await
        .assert_error(400, None, None, refused);
    app.delete(&path)
        .await
        .assert_error(400, None, None, refused);
    assert_eq!(app.get(&path).await.body, list.body["data"][0]);
}

async fn custom_roles_live_and_die(app: TestApp) {
    let body = r#"{"role_name":"Auditors","permissions":["api.audit_logs.read","api.users.read","api.audit_logs.read"],"description":"Read the log"}"#;
    let created = app.post(ROLES, body).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let role = created.body.clone();
    let id = role["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("role_") && id.len() == 29, "{id}");
    assert_eq!(role["name"], "Auditors");
    assert_eq!(
        role["permissions"],
        json!(["api.audit_logs.read", "api.users.read"])
    );
    assert_eq!(
        (
            role["description"].as_str(),
            role["predefined_role"].as_bool()
        ),
        (Some("Read the log"), Some(false))
    );
    let path = format!("{ROLES}/{id}");
    assert_eq!(app.get(&path).await.body, role);
    assert_eq!(app.get(ROLES).await.ids().last(), Some(&id));

    // Names are unique, case-insensitively, the predefined ones' included.
    let taken = |name: &str| format!("A role named '{name}' already exists in this organization.");
    for name in ["auditors", "AUDITORS", "Owner", "reader"] {
        let body = json!({"role_name": name, "permissions": ["api.users.read"]}).to_string();
        app.post(ROLES, &body)
            .await
            .assert_error(400, Some("role_name"), None, &taken(name));
    }

    let updated = app
        .post(
            &path,
            r#"{"role_name":"Log readers","permissions":["api.audit_logs.read"]}"#,
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(
        (
            updated.body["name"].as_str(),
            updated.body["description"].as_str()
        ),
        (Some("Log readers"), Some("Read the log"))
    );
    assert_eq!(updated.body["permissions"], json!(["api.audit_logs.read"]));
    // Its own name, in another case, is no conflict; nulls change nothing.
    let same = app
        .post(
            &path,
            r#"{"role_name":"LOG READERS","permissions":null,"description":null}"#,
        )
        .await;
    assert_eq!(
        (same.status, same.body["name"].as_str()),
        (200, Some("LOG READERS"))
    );
    assert_eq!(app.post(&path, "{}").await.body, same.body);
    let other = create(&app, "Other").await;
    app.post(
        &format!("{ROLES}/{}", other["id"].as_str().unwrap()),
        r#"{"role_name":"log readers"}"#,
    )
    .await
    .assert_error(400, Some("role_name"), None, &taken("log readers"));

    let deleted = app.delete(&path).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(
        deleted.body,
        json!({"object": "role.deleted", "id": id, "deleted": true})
    );
    let gone = format!("No such role: {id}");
    app.get(&path)
        .await
        .assert_error(404, Some("role_id"), None, &gone);
    app.post(&path, "{}")
        .await
        .assert_error(404, Some("role_id"), None, &gone);
    app.delete(&path)
        .await
        .assert_error(404, Some("role_id"), None, &gone);
    // Its name is free again.
    create(&app, "log readers").await;
}

async fn bodies_are_checked(app: TestApp) {
    let cases: [(&str, Option<&str>, Option<&str>, &str); 9] = [
        (
            r#"{"permissions":["api.users.read"]}"#,
            Some("role_name"),
            Some("missing_required_parameter"),
            "Missing required parameter: 'role_name'.",
        ),
        (
            r#"{"role_name":"x"}"#,
            Some("permissions"),
            Some("missing_required_parameter"),
            "Missing required parameter: 'permissions'.",
        ),
        (
            r#"{"role_name":5,"permissions":[]}"#,
            Some("role_name"),
            Some("invalid_type"),
            "Invalid type for 'role_name': expected a string, but got an integer instead.",
        ),
        (
            r#"{"role_name":"x","permissions":"api.users.read"}"#,
            Some("permissions"),
            Some("invalid_type"),
            "Invalid type for 'permissions': expected an array, but got a string instead.",
        ),
        (
            r#"{"role_name":"x","permissions":["api.users.read",true]}"#,
            Some("permissions[1]"),
            Some("invalid_type"),
            "Invalid type for 'permissions[1]': expected a string, but got a boolean instead.",
        ),
        (
            r#"{"role_name":"x","permissions":[]}"#,
            Some("permissions"),
            Some("invalid_value"),
            "Invalid 'permissions': a role needs at least one permission.",
        ),
        (
            r#"{"role_name":" ","permissions":["api.users.read"]}"#,
            Some("role_name"),
            Some("invalid_value"),
            "Invalid 'role_name': a role name must have 1 to 255 characters, not only spaces.",
        ),
        (
            r#"{"role_name":"x","permissions":["api.users.read"],"color":"red"}"#,
            Some("color"),
            None,
            "Unrecognized request argument supplied: color",
        ),
        (
            "[]",
            None,
            None,
            "We could not parse the JSON body of your request. The API expects a JSON payload.",
        ),
    ];
    for (body, param, code, message) in cases {
        app.post(ROLES, body)
            .await
            .assert_error(400, param, code, message);
    }
    let unknown = app
        .post(ROLES, r#"{"role_name":"x","permissions":["api.nothing"]}"#)
        .await;
    unknown.assert_error(
        400,
        Some("permissions"),
        Some("invalid_value"),
        unknown.body["error"]["message"].as_str().unwrap(),
    );
    assert!(
        unknown.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid 'permissions': unknown permission 'api.nothing'")
    );
    // Nothing was created.
    assert_eq!(app.get(ROLES).await.ids().len(), 2);
}

async fn roles_walk_in_both_orders(app: TestApp) {
    let mut expected = vec![predefined(&app, "owner"), predefined(&app, "reader")];
    for i in 0..11 {
        expected.push(
            create(&app, &format!("Role {i:02}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Predefined roles first, then by creation time and, within a second, by id.
    let listed = app.get(ROLES).await;
    let mut by_id = expected[2..].to_vec();
    by_id.sort();
    let mut sorted = listed.ids()[2..].to_vec();
    sorted.sort();
    assert_eq!(sorted, by_id);
    assert_eq!(&listed.ids()[..2], &expected[..2]);
    let in_order = listed.ids();
    for limit in [1, 2, 5, 13, 1000] {
        assert_eq!(
            ids(&app.walk_next(ROLES, limit).await),
            in_order,
            "limit {limit}"
        );
        let mut reversed = in_order.clone();
        reversed.reverse();
        assert_eq!(
            ids(&app.walk_next(&format!("{ROLES}?order=desc"), limit).await),
            reversed,
            "desc, limit {limit}"
        );
    }
    let probe = app.get(&format!("{ROLES}?limit=0")).await;
    assert_eq!(
        probe.body,
        json!({"object": "list", "data": [], "has_more": true, "next": null})
    );

    // Changes between pages: nothing twice, nothing that lived throughout skipped.
    let first = app.get(&format!("{ROLES}?limit=4")).await;
    let mut seen = first.ids();
    app.delete(&format!("{ROLES}/{}", in_order[3])).await;
    app.delete(&format!("{ROLES}/{}", in_order[6])).await;
    create(&app, "Late").await;
    let rest = app
        .walk_next(
            &format!("{ROLES}?after={}", first.body["next"].as_str().unwrap()),
            3,
        )
        .await;
    seen.extend(ids(&rest));
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no role twice: {seen:?}");
    for (i, id) in in_order.iter().enumerate() {
        if i != 6 {
            assert!(seen.contains(id), "{id} lived throughout the walk");
        }
    }
    assert!(!seen.contains(&in_order[6]));
    // The role created during the walk may or may not be seen: it shares the second of roles
    // already passed, and ties go by id. Seen, it is seen once (checked above).
}

async fn cursors_are_checked(app: TestApp) {
    for i in 0..3 {
        create(&app, &format!("R{i}")).await;
    }
    let page = app.get(&format!("{ROLES}?limit=2")).await;
    let next = page.body["next"].as_str().unwrap().to_owned();
    let not_ours =
        "Invalid 'after': not a cursor of this list. Pass the 'next' of the previous page.";
    let tampered = format!("{}A{}", &next[..3], &next[4..]);
    for after in [
        "nope",
        page.ids()[1].as_str(),
        tampered.as_str(),
        "e30.AAAA",
    ] {
        app.get(&format!("{ROLES}?after={after}"))
            .await
            .assert_error(400, Some("after"), Some("invalid_value"), not_ours);
    }
    // A cursor of another list, or of another organization, is not this list's.
    let groups_page = {
        for name in ["a", "b"] {
            app.post(
                "/v1/organization/groups",
                &json!({"name": name}).to_string(),
            )
            .await;
        }
        app.get("/v1/organization/groups?limit=1").await
    };
    let group_cursor = groups_page.body["next"].as_str().unwrap();
    app.get(&format!("{ROLES}?after={group_cursor}"))
        .await
        .assert_error(400, Some("after"), Some("invalid_value"), not_ours);
    app.get_as(OTHER_KEY, &format!("{ROLES}?after={next}"))
        .await
        .assert_error(400, Some("after"), Some("invalid_value"), not_ours);
    // An empty after is none; limit and order follow the spec's bounds.
    assert_eq!(app.get(&format!("{ROLES}?after=")).await.ids().len(), 5);
    app.get(&format!("{ROLES}?limit=1001")).await.assert_error(
        400,
        Some("limit"),
        Some("integer_above_max_value"),
        "Invalid 'limit': integer above maximum value. Expected a value <= 1000, but got 1001 instead.",
    );
    app.get(&format!("{ROLES}?limit=-1")).await.assert_error(
        400,
        Some("limit"),
        Some("integer_below_min_value"),
        "Invalid 'limit': integer below minimum value. Expected a value >= 0, but got -1 instead.",
    );
    app.get(&format!("{ROLES}?limit=x")).await.assert_error(
        400,
        Some("limit"),
        Some("invalid_type"),
        "Invalid 'limit': expected an integer, but got 'x' instead.",
    );
    app.get(&format!("{ROLES}?order=up")).await.assert_error(
        400,
        Some("order"),
        Some("invalid_value"),
        "Invalid 'order': expected one of 'asc' or 'desc', but got 'up' instead.",
    );
    // The last value of a repeated parameter counts.
    assert_eq!(
        app.get(&format!("{ROLES}?limit=x&limit=1"))
            .await
            .ids()
            .len(),
        1
    );
}

async fn roles_are_per_organization(app: TestApp) {
    let mine = create(&app, "Mine").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let theirs = app.get_as(OTHER_KEY, ROLES).await;
    assert_eq!(
        theirs.ids(),
        [
            format!("role-api-organization-owner__api-organization__{OTHER_ORG}"),
            format!("role-api-organization-reader__api-organization__{OTHER_ORG}")
        ]
    );
    let path = format!("{ROLES}/{mine}");
    let gone = format!("No such role: {mine}");
    app.get_as(OTHER_KEY, &path)
        .await
        .assert_error(404, Some("role_id"), None, &gone);
    app.post_as(OTHER_KEY, &path, r#"{"description":"x"}"#)
        .await
        .assert_error(404, Some("role_id"), None, &gone);
    app.delete_as(OTHER_KEY, &path)
        .await
        .assert_error(404, Some("role_id"), None, &gone);
    // Another organization's predefined role is unknown here too.
    let their_owner = format!("{ROLES}/role-api-organization-owner__api-organization__{OTHER_ORG}");
    app.get(&their_owner).await.assert_error(
        404,
        Some("role_id"),
        None,
        &format!("No such role: role-api-organization-owner__api-organization__{OTHER_ORG}"),
    );
    // The same name may exist in two organizations.
    let body = json!({"role_name": "Mine", "permissions": ["api.users.read"]}).to_string();
    assert_eq!(app.post_as(OTHER_KEY, ROLES, &body).await.status, 200);
    assert_eq!(app.get(&path).await.body["description"], Value::Null);
}
