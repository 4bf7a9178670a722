//! The roles users hold: the predefined one their `role` names, custom ones assigned directly
//! or through groups.

use serde_json::{Value, json};

use crate::harness::*;

const ROLES: &str = "/v1/organization/roles";

fn predefined(app: &TestApp, role: &str) -> String {
    format!(
        "role-api-organization-{role}__api-organization__{}",
        app.org
    )
}

fn user_roles(user: &str) -> String {
    format!("/v1/organization/users/{user}/roles")
}

async fn custom_role(app: &TestApp, name: &str) -> String {
    let body = json!({"role_name": name, "permissions": ["api.users.read"]}).to_string();
    let r = app.post(ROLES, &body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

fn assign(role: &str) -> String {
    json!({"role_id": role}).to_string()
}

fn sources(role: &Value) -> Vec<(String, String)> {
    role["assignment_sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| {
            (
                s["principal_type"].as_str().unwrap().to_owned(),
                s["principal_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

on_both_stores!(
    every_user_holds_its_predefined_role,
    custom_roles_are_assigned_and_unassigned,
    predefined_assignment_is_the_role_field,
    last_owner_holds_when_demotions_race,
    roles_through_groups_show_their_source,
    deleting_ends_assignments,
    assignment_errors,
);

async fn every_user_holds_its_predefined_role(app: TestApp) {
    app.import(&users(2)).await;
    let list = app.get(&user_roles("u-0001")).await;
    assert_eq!(list.ids(), [predefined(&app, "reader")]);
    let role = &list.body["data"][0];
    assert_eq!(sources(role), [("user".to_owned(), "u-0001".to_owned())]);
    assert_eq!(
        (
            role["predefined_role"].as_bool(),
            role["created_at"].clone()
        ),
        (Some(true), Value::Null)
    );
    assert_eq!(
        app.get(&user_roles("u-0000")).await.ids(),
        [predefined(&app, "owner")]
    );
    let held = app
        .get(&format!(
            "{}/{}",
            user_roles("u-0001"),
            predefined(&app, "reader")
        ))
        .await;
    assert_eq!(held.body, *role);
    let other = predefined(&app, "owner");
    app.get(&format!("{}/{other}", user_roles("u-0001")))
        .await
        .assert_error(
            404,
            Some("role_id"),
            None,
            &format!("No such role: {other}"),
        );
}

async fn custom_roles_are_assigned_and_unassigned(app: TestApp) {
    app.import(&users(2)).await;
    let role = custom_role(&app, "Auditors").await;
    let path = user_roles("u-0001");
    let assigned = app.post(&path, &assign(&role)).await;
    assert_eq!(assigned.status, 200, "{}", assigned.body);
    assert_eq!(assigned.body["object"], "user.role");
    assert_eq!(assigned.body["user"]["id"], "u-0001");
    assert_eq!(assigned.body["role"]["id"], role.as_str());
    // Again: the same answer, nothing changes.
    assert_eq!(app.post(&path, &assign(&role)).await.body, assigned.body);
    let list = app.get(&path).await;
    assert_eq!(list.ids(), [predefined(&app, "reader"), role.clone()]);
    assert_eq!(
        sources(&list.body["data"][1]),
        [("user".to_owned(), "u-0001".to_owned())]
    );
    for limit in [1, 2, 1000] {
        let walked: Vec<Value> = app.walk_next(&path, limit).await;
        assert_eq!(walked, list.body["data"].as_array().unwrap().clone());
    }
    let mut desc = list.ids();
    desc.reverse();
    assert_eq!(app.get(&format!("{path}?order=desc")).await.ids(), desc);
    let held = app.get(&format!("{path}/{role}")).await;
    assert_eq!(held.body, list.body["data"][1]);

    let removed = app.delete(&format!("{path}/{role}")).await;
    assert_eq!(
        removed.body,
        json!({"object": "user.role.deleted", "deleted": true})
    );
    let gone = format!("No such role: {role}");
    app.get(&format!("{path}/{role}"))
        .await
        .assert_error(404, Some("role_id"), None, &gone);
    app.delete(&format!("{path}/{role}"))
        .await
        .assert_error(404, Some("role_id"), None, &gone);
    assert_eq!(app.get(&path).await.ids(), [predefined(&app, "reader")]);
    // Other users never held it.
    assert_eq!(
        app.get(&user_roles("u-0000")).await.ids(),
        [predefined(&app, "owner")]
    );
}

async fn predefined_assignment_is_the_role_field(app: TestApp) {
    app.import(&users(2)).await;
    let path = user_roles("u-0001");
    let promoted = app.post(&path, &assign(&predefined(&app, "owner"))).await;
    assert_eq!(promoted.status, 200, "{}", promoted.body);
    assert_eq!(
        (
            promoted.body["user"]["role"].as_str(),
            promoted.body["role"]["name"].as_str()
        ),
        (Some("owner"), Some("owner"))
    );
    assert_eq!(
        app.get("/v1/organization/users/u-0001").await.body["role"],
        "owner"
    );
    assert_eq!(app.get(&path).await.ids(), [predefined(&app, "owner")]);
    // And back through the users endpoint: one fact.
    app.post("/v1/organization/users/u-0001", r#"{"role":"reader"}"#)
        .await;
    assert_eq!(app.get(&path).await.ids(), [predefined(&app, "reader")]);

    let refused = "A user always holds one predefined role; assign the other one instead of unassigning 'reader'.";
    app.delete(&format!("{path}/{}", predefined(&app, "reader")))
        .await
        .assert_error(400, Some("role_id"), None, refused);
    // The other predefined role, not held, is not found before it is refused.
    let owner = predefined(&app, "owner");
    let r = app.delete(&format!("{path}/{owner}")).await;
    assert_eq!(r.status, 400, "{}", r.body);
    // The last owner cannot be demoted this way either.
    app.post(&user_roles("u-0000"), &assign(&predefined(&app, "reader")))
        .await
        .assert_error(
            400,
            Some("role_id"),
            None,
            "An organization must keep at least one owner.",
        );
    assert_eq!(
        app.get("/v1/organization/users/u-0000").await.body["role"],
        "owner"
    );
}

async fn last_owner_holds_when_demotions_race(app: TestApp) {
    let mut lines = users(6);
    for line in &mut lines {
        line["role"] = json!("owner");
    }
    app.import(&lines).await;
    let reader = predefined(&app, "reader");
    for round in 0..3 {
        // Every owner demoted at once, half through role assignments, half through modify.
        let demotions = (0..6).map(|i| {
            let app = &app;
            let reader = reader.clone();
            async move {
                let user = format!("u-{i:04}");
                if (i + round) % 2 == 0 {
                    app.post(&user_roles(&user), &assign(&reader)).await.status
                } else {
                    app.post(
                        &format!("/v1/organization/users/{user}"),
                        r#"{"role":"reader"}"#,
                    )
                    .await
                    .status
                }
            }
        });
        let statuses = futures_util::future::join_all(demotions).await;
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            5,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 400).count(),
            1,
            "{statuses:?}"
        );
        let owners: Vec<Value> = app.get("/v1/organization/users?limit=100").await.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["role"] == "owner")
            .cloned()
            .collect();
        assert_eq!(owners.len(), 1);
        for i in 0..6 {
            app.post(
                &format!("/v1/organization/users/u-{i:04}"),
                r#"{"role":"owner"}"#,
            )
            .await;
        }
    }
}

async fn roles_through_groups_show_their_source(app: TestApp) {
    app.import(&users(2)).await;
    let role = custom_role(&app, "Support").await;
    let mut groups = Vec::new();
    for name in ["B", "A"] {
        let group = app
            .post(
                "/v1/organization/groups",
                &json!({"name": name}).to_string(),
            )
            .await
            .body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.post(
            &format!("/v1/organization/groups/{group}/users"),
            r#"{"user_id":"u-0001"}"#,
        )
        .await;
        app.post(
            &format!("/v1/organization/groups/{group}/roles"),
            &assign(&role),
        )
        .await;
        groups.push(group);
    }
    let path = user_roles("u-0001");
    let through_groups: Vec<(String, String)> = {
        let mut g: Vec<(String, String)> = groups
            .iter()
            .map(|g| ("group".to_owned(), g.clone()))
            .collect();
        g.sort();
        g
    };
    let held = app.get(&format!("{path}/{role}")).await;
    assert_eq!(sources(&held.body), through_groups);
    let refused = format!(
        "The role {role} is held through a group, not assigned to the user directly; remove it from the group or the user from the group."
    );
    app.delete(&format!("{path}/{role}"))
        .await
        .assert_error(400, Some("role_id"), None, &refused);

    // Held directly too: the user's own source first, the role listed once.
    app.post(&path, &assign(&role)).await;
    let list = app.get(&path).await;
    assert_eq!(list.ids(), [predefined(&app, "reader"), role.clone()]);
    let mut expected = vec![("user".to_owned(), "u-0001".to_owned())];
    expected.extend(through_groups.clone());
    assert_eq!(sources(&list.body["data"][1]), expected);
    // Unassigning the direct holding leaves the groups'.
    assert_eq!(app.delete(&format!("{path}/{role}")).await.status, 200);
    assert_eq!(
        sources(&app.get(&format!("{path}/{role}")).await.body),
        through_groups
    );
    // Leaving both groups ends it.
    for group in &groups {
        app.delete(&format!("/v1/organization/groups/{group}/users/u-0001"))
            .await;
    }
    assert_eq!(app.get(&path).await.ids(), [predefined(&app, "reader")]);
}

async fn deleting_ends_assignments(app: TestApp) {
    app.import(&users(3)).await;
    let role = custom_role(&app, "Temporary").await;
    let kept = custom_role(&app, "Kept").await;
    for user in ["u-0001", "u-0002"] {
        app.post(&user_roles(user), &assign(&role)).await;
        app.post(&user_roles(user), &assign(&kept)).await;
    }
    // Deleting a role removes it from its holders.
    app.delete(&format!("{ROLES}/{role}")).await;
    assert_eq!(
        app.get(&user_roles("u-0001")).await.ids(),
        [predefined(&app, "reader"), kept.clone()]
    );
    // Deleting a user removes its assignments; the id imported again holds nothing.
    app.delete("/v1/organization/users/u-0002").await;
    app.get(&user_roles("u-0002")).await.assert_error(
        404,
        Some("user_id"),
        None,
        "No such user: u-0002",
    );
    app.import(&[user_line(
        "u-0002",
        "back@example.com",
        1_800_000_000,
        "reader",
    )])
    .await;
    assert_eq!(
        app.get(&user_roles("u-0002")).await.ids(),
        [predefined(&app, "reader")]
    );
}

async fn assignment_errors(app: TestApp) {
    app.import(&users(1)).await;
    app.import_into(&app.other_org, &[user_line("theirs", "t@x.io", 5, "owner")])
        .await;
    let role = custom_role(&app, "Mine").await;
    let nobody = "No such user: nobody";
    app.get(&user_roles("nobody"))
        .await
        .assert_error(404, Some("user_id"), None, nobody);
    app.post(&user_roles("nobody"), &assign(&role))
        .await
        .assert_error(404, Some("user_id"), None, nobody);
    app.get(&format!("{}/{role}", user_roles("nobody")))
        .await
        .assert_error(404, Some("user_id"), None, nobody);
    app.delete(&format!("{}/{role}", user_roles("nobody")))
        .await
        .assert_error(404, Some("user_id"), None, nobody);
    // The body is checked before the user is looked up.
    app.post(&user_roles("nobody"), "{}").await.assert_error(
        400,
        Some("role_id"),
        Some("missing_required_parameter"),
        "Missing required parameter: 'role_id'.",
    );
    app.post(&user_roles("u-0000"), r#"{"role_id":"x","extra":1}"#)
        .await
        .assert_error(
            400,
            Some("extra"),
            None,
            "Unrecognized request argument supplied: extra",
        );
    app.post(&user_roles("u-0000"), r#"{"role_id":"role_none"}"#)
        .await
        .assert_error(
            400,
            Some("role_id"),
            Some("invalid_value"),
            "Invalid 'role_id': no role with id 'role_none' in this organization.",
        );
    // Other organizations' users and roles are unknown here.
    app.get(&user_roles("theirs")).await.assert_error(
        404,
        Some("user_id"),
        None,
        "No such user: theirs",
    );
    app.post_as(OTHER_KEY, &user_roles("theirs"), &assign(&role))
        .await
        .assert_error(
            400,
            Some("role_id"),
            Some("invalid_value"),
            &format!("Invalid 'role_id': no role with id '{role}' in this organization."),
        );
    let page = app.get(&format!("{}?limit=0", user_roles("u-0000"))).await;
    assert_eq!(
        page.body,
        json!({"object": "list", "data": [], "has_more": true, "next": null})
    );
    app.get(&format!("{}?after=abc", user_roles("u-0000")))
        .await
        .assert_error(
            400,
            Some("after"),
            Some("invalid_value"),
            "Invalid 'after': not a cursor of this list. Pass the 'next' of the previous page.",
        );
}
