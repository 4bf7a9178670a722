//! Groups, their members and the roles they hold.

use serde_json::{Value, json};

use crate::harness::*;

const GROUPS: &str = "/v1/organization/groups";
const ROLES: &str = "/v1/organization/roles";

async fn group(app: &TestApp, name: &str) -> String {
    let r = app.post(GROUPS, &json!({"name": name}).to_string()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn custom_role(app: &TestApp, name: &str) -> String {
    let body = json!({"role_name": name, "permissions": ["api.groups.read"]}).to_string();
    let r = app.post(ROLES, &body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["id"].as_str().expect("id").to_owned())
        .collect()
}

on_both_stores!(
    groups_live_and_die,
    group_names_are_checked,
    members_join_and_leave,
    groups_hold_custom_roles,
    deleting_a_group_ends_what_it_held,
    groups_and_members_walk_under_changes,
    groups_are_per_organization,
);

async fn groups_live_and_die(app: TestApp) {
    let created = app.post(GROUPS, r#"{"name":"Support Team"}"#).await;
    assert_eq!(created.status, 200);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("group_") && id.len() == 30, "{id}");
    assert_eq!(
        (
            created.body["name"].as_str(),
            created.body["is_scim_managed"].as_bool(),
            created.body["group_type"].as_str()
        ),
        (Some("Support Team"), Some(false), Some("group"))
    );
    let path = format!("{GROUPS}/{id}");
    assert_eq!(app.get(&path).await.body, created.body);
    assert_eq!(app.get(GROUPS).await.ids(), std::slice::from_ref(&id));

    let renamed = app.post(&path, r#"{"name":"Escalations"}"#).await;
    assert_eq!(renamed.status, 200);
    assert_eq!(
        renamed.body,
        json!({"id": id, "name": "Escalations", "created_at": created.body["created_at"], "is_scim_managed": false})
    );
    assert_eq!(app.get(&path).await.body["name"], "Escalations");
    // Names need not be unique.
    group(&app, "Escalations").await;

    let deleted = app.delete(&path).await;
    assert_eq!(
        deleted.body,
        json!({"object": "group.deleted", "id": id, "deleted": true})
    );
    let gone = format!("No such group: {id}");
    app.get(&path)
        .await
        .assert_error(404, Some("group_id"), None, &gone);
    app.post(&path, r#"{"name":"x"}"#)
        .await
        .assert_error(404, Some("group_id"), None, &gone);
    app.delete(&path)
        .await
        .assert_error(404, Some("group_id"), None, &gone);
    for sub in ["users", "roles"] {
        app.get(&format!("{path}/{sub}"))
            .await
            .assert_error(404, Some("group_id"), None, &gone);
    }
}

async fn group_names_are_checked(app: TestApp) {
    let long = "é".repeat(256);
    let cases: [(String, Option<&str>, Option<&str>, &str); 5] = [
        (
            "{}".into(),
            Some("name"),
            Some("missing_required_parameter"),
            "Missing required parameter: 'name'.",
        ),
        (
            r#"{"name":""}"#.into(),
            Some("name"),
            Some("invalid_value"),
            "Invalid 'name': a group name must have 1 to 255 characters.",
        ),
        (
            json!({"name": long}).to_string(),
            Some("name"),
            Some("invalid_value"),
            "Invalid 'name': a group name must have 1 to 255 characters.",
        ),
        (
            r#"{"name":null}"#.into(),
            Some("name"),
            Some("invalid_type"),
            "Invalid type for 'name': expected a string, but got null instead.",
        ),
        (
            r#"{"name":"a","scim":true}"#.into(),
            Some("scim"),
            None,
            "Unrecognized request argument supplied: scim",
        ),
    ];
    let id = group(&app, &"é".repeat(255)).await;
    for (body, param, code, message) in cases {
        app.post(GROUPS, &body)
            .await
            .assert_error(400, param, code, message);
        app.post(&format!("{GROUPS}/{id}"), &body)
            .await
            .assert_error(400, param, code, message);
    }
    assert_eq!(app.get(GROUPS).await.ids(), [id]);
}

async fn members_join_and_leave(app: TestApp) {
    app.import(&users(4)).await;
    let id = group(&app, "Team").await;
    let members = format!("{GROUPS}/{id}/users");
    for user in ["u-0001", "u-0003", "u-0000"] {
        let added = app
            .post(&members, &json!({"user_id": user}).to_string())
            .await;
        assert_eq!(
            added.body,
            json!({"object": "group.user", "user_id": user, "group_id": id})
        );
    }
    // Adding a member again changes nothing.
    assert_eq!(
        app.post(&members, r#"{"user_id":"u-0001"}"#).await.status,
        200
    );
    let list = app.get(&members).await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 3);
    assert_eq!(
        list.body["data"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["id", "name", "email"]
    );
    // Newest member first by default; the oldest first with order=asc.
    let asc = ids(&app.walk_next(&format!("{members}?order=asc"), 1).await);
    let mut desc = ids(&app.walk_next(&members, 2).await);
    desc.reverse();
    assert_eq!(asc, desc);
    let mut sorted = asc.clone();
    sorted.sort();
    assert_eq!(sorted, ["u-0000", "u-0001", "u-0003"]);

    let member = app.get(&format!("{members}/u-0003")).await;
    assert_eq!(
        member.body,
        json!({"id": "u-0003", "name": "Name of u-0003", "email": "user3@example.com", "picture": null, "is_service_account": false, "user_type": "user"})
    );
    app.get(&format!("{members}/u-0002")).await.assert_error(
        404,
        Some("user_id"),
        None,
        "No such user: u-0002",
    );
    app.post(&members, r#"{"user_id":"nobody"}"#)
        .await
        .assert_error(
            400,
            Some("user_id"),
            Some("invalid_value"),
            "Invalid 'user_id': no user with id 'nobody' in this organization.",
        );
    app.post(&members, "{}").await.assert_error(
        400,
        Some("user_id"),
        Some("missing_required_parameter"),
        "Missing required parameter: 'user_id'.",
    );

    let removed = app.delete(&format!("{members}/u-0003")).await;
    assert_eq!(
        removed.body,
        json!({"object": "group.user.deleted", "deleted": true})
    );
    app.delete(&format!("{members}/u-0003")).await.assert_error(
        404,
        Some("user_id"),
        None,
        "No such user: u-0003",
    );
    assert_eq!(app.get(&members).await.ids().len(), 2);

    // Deleting a user ends its memberships; the same id imported again is no member.
    assert_eq!(
        app.delete("/v1/organization/users/u-0001").await.status,
        200
    );
    assert_eq!(app.get(&members).await.ids(), ["u-0000"]);
    app.import(&[user_line(
        "u-0001",
        "again@example.com",
        1_800_000_000,
        "reader",
    )])
    .await;
    assert_eq!(app.get(&members).await.ids(), ["u-0000"]);
    app.get(&format!("{members}/u-0001")).await.assert_error(
        404,
        Some("user_id"),
        None,
        "No such user: u-0001",
    );
}

async fn groups_hold_custom_roles(app: TestApp) {
    let id = group(&app, "Team").await;
    let role = custom_role(&app, "Group managers").await;
    let roles = format!("{GROUPS}/{id}/roles");
    let assigned = app
        .post(&roles, &json!({"role_id": role}).to_string())
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.body);
    assert_eq!(assigned.body["object"], "group.role");
    assert_eq!(assigned.body["group"]["id"], id.as_str());
    assert_eq!(assigned.body["group"]["scim_managed"], false);
    assert_eq!(assigned.body["role"]["id"], role.as_str());
    assert_eq!(
        app.post(&roles, &json!({"role_id": role}).to_string())
            .await
            .body,
        assigned.body
    );

    let list = app.get(&roles).await;
    assert_eq!(list.ids(), std::slice::from_ref(&role));
    assert_eq!(list.body["data"][0]["assignment_sources"], Value::Null);
    let held = app.get(&format!("{roles}/{role}")).await;
    assert_eq!(held.body, list.body["data"][0]);

    let owner = format!("role-api-organization-owner__api-organization__{}", app.org);
    app.post(&roles, &json!({"role_id": owner}).to_string()).await.assert_error(
        400,
        Some("role_id"),
        None,
        "The predefined role 'owner' is held through a user's role and cannot be assigned to a group.",
    );
    app.post(&roles, r#"{"role_id":"role_nothing"}"#)
        .await
        .assert_error(
            400,
            Some("role_id"),
            Some("invalid_value"),
            "Invalid 'role_id': no role with id 'role_nothing' in this organization.",
        );
    app.post(&roles, r#"{"role_id":7}"#).await.assert_error(
        400,
        Some("role_id"),
        Some("invalid_type"),
        "Invalid type for 'role_id': expected a string, but got an integer instead.",
    );

    let removed = app.delete(&format!("{roles}/{role}")).await;
    assert_eq!(
        removed.body,
        json!({"object": "group.role.deleted", "deleted": true})
    );
    let gone = format!("No such role: {role}");
    app.get(&format!("{roles}/{role}"))
        .await
        .assert_error(404, Some("role_id"), None, &gone);
    app.delete(&format!("{roles}/{role}"))
        .await
        .assert_error(404, Some("role_id"), None, &gone);
    assert!(app.get(&roles).await.ids().is_empty());

    // Deleting a role removes its assignments.
    app.post(&roles, &json!({"role_id": role}).to_string())
        .await;
    app.delete(&format!("{ROLES}/{role}")).await;
    assert!(app.get(&roles).await.ids().is_empty());
}

async fn deleting_a_group_ends_what_it_held(app: TestApp) {
    app.import(&users(2)).await;
    let id = group(&app, "Team").await;
    let role = custom_role(&app, "Through the team").await;
    app.post(&format!("{GROUPS}/{id}/users"), r#"{"user_id":"u-0001"}"#)
        .await;
    app.post(
        &format!("{GROUPS}/{id}/roles"),
        &json!({"role_id": role}).to_string(),
    )
    .await;
    let user_roles = "/v1/organization/users/u-0001/roles";
    assert!(app.get(user_roles).await.ids().contains(&role));
    app.delete(&format!("{GROUPS}/{id}")).await;
    assert!(!app.get(user_roles).await.ids().contains(&role));
    // A group created afterwards starts empty.
    let fresh = group(&app, "Team").await;
    assert!(
        app.get(&format!("{GROUPS}/{fresh}/users"))
            .await
            .ids()
            .is_empty()
    );
}

async fn groups_and_members_walk_under_changes(app: TestApp) {
    let mut created = Vec::new();
    for i in 0..17 {
        created.push(group(&app, &format!("G{i}")).await);
    }
    let in_order = app.get(GROUPS).await.ids();
    let mut sorted = in_order.clone();
    sorted.sort();
    created.sort();
    assert_eq!(sorted, created);
    for limit in [1, 4, 17, 100] {
        assert_eq!(
            ids(&app.walk_next(GROUPS, limit).await),
            in_order,
            "limit {limit}"
        );
        let mut reversed = in_order.clone();
        reversed.reverse();
        assert_eq!(
            ids(&app.walk_next(&format!("{GROUPS}?order=desc"), limit).await),
            reversed
        );
    }
    app.get(&format!("{GROUPS}?limit=1001")).await.assert_error(
        400,
        Some("limit"),
        Some("integer_above_max_value"),
        "Invalid 'limit': integer above maximum value. Expected a value <= 1000, but got 1001 instead.",
    );

    // A walk with deletions and creations between its pages.
    let first = app.get(&format!("{GROUPS}?limit=5")).await;
    let mut seen = first.ids();
    app.delete(&format!("{GROUPS}/{}", in_order[4])).await;
    app.delete(&format!("{GROUPS}/{}", in_order[9])).await;
    group(&app, "Late").await;
    let after = first.body["next"].as_str().unwrap();
    seen.extend(ids(&app
        .walk_next(&format!("{GROUPS}?after={after}"), 5)
        .await));
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no group twice");
    for (i, id) in in_order.iter().enumerate() {
        assert_eq!(seen.contains(id), i != 9, "{i}: {id}");
    }
    // The group created during the walk may or may not be seen (it may sort before the cursor
    // within the same second); never twice (checked above).

    // Members, newest first, walked while members leave and join.
    app.import(&users(12)).await;
    let members = format!("{GROUPS}/{}/users", in_order[0]);
    for i in 0..12 {
        app.post(
            &members,
            &json!({"user_id": format!("u-{i:04}")}).to_string(),
        )
        .await;
    }
    let everyone = ids(&app.walk_next(&members, 100).await);
    assert_eq!(everyone.len(), 12);
    for limit in [1, 5, 12] {
        assert_eq!(ids(&app.walk_next(&members, limit).await), everyone);
    }
    let page = app.get(&format!("{members}?limit=4")).await;
    let mut seen = page.ids();
    app.delete(&format!("{members}/{}", everyone[6])).await;
    app.post(&members, &json!({"user_id": everyone[0]}).to_string())
        .await;
    let after = page.body["next"].as_str().unwrap();
    seen.extend(ids(&app
        .walk_next(&format!("{members}?after={after}"), 3)
        .await));
    let expected: Vec<String> = everyone
        .iter()
        .filter(|id| *id != &everyone[6])
        .cloned()
        .collect();
    assert_eq!(seen, expected);
    // A cursor of one group's members is not another group's.
    let other_members = format!("{GROUPS}/{}/users", in_order[1]);
    app.get(&format!("{other_members}?after={after}"))
        .await
        .assert_error(
            400,
            Some("after"),
            Some("invalid_value"),
            "Invalid 'after': not a cursor of this list. Pass the 'next' of the previous page.",
        );
    let probe = app.get(&format!("{other_members}?limit=0")).await;
    assert_eq!(
        (probe.body["has_more"].clone(), probe.body["next"].clone()),
        (json!(false), Value::Null)
    );
}

async fn groups_are_per_organization(app: TestApp) {
    app.import(&users(1)).await;
    app.import_into(&app.other_org, &[user_line("theirs", "t@x.io", 5, "owner")])
        .await;
    let id = group(&app, "Mine").await;
    assert!(app.get_as(OTHER_KEY, GROUPS).await.ids().is_empty());
    let path = format!("{GROUPS}/{id}");
    let gone = format!("No such group: {id}");
    app.get_as(OTHER_KEY, &path)
        .await
        .assert_error(404, Some("group_id"), None, &gone);
    app.post_as(OTHER_KEY, &path, r#"{"name":"x"}"#)
        .await
        .assert_error(404, Some("group_id"), None, &gone);
    app.delete_as(OTHER_KEY, &path)
        .await
        .assert_error(404, Some("group_id"), None, &gone);
    app.post_as(
        OTHER_KEY,
        &format!("{path}/users"),
        r#"{"user_id":"theirs"}"#,
    )
    .await
    .assert_error(404, Some("group_id"), None, &gone);
    // Another organization's user is no user here.
    app.post(&format!("{path}/users"), r#"{"user_id":"theirs"}"#)
        .await
        .assert_error(
            400,
            Some("user_id"),
            Some("invalid_value"),
            "Invalid 'user_id': no user with id 'theirs' in this organization.",
        );
    assert_eq!(app.get(&path).await.body["name"], "Mine");
}
