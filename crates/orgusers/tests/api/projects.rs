//! Projects, their members, the groups granted access, and the `projects` field of users.

use serde_json::{Value, json};

use crate::harness::*;

const PROJECTS: &str = "/v1/organization/projects";

async fn project(app: &TestApp, name: &str) -> String {
    let r = app.post(PROJECTS, &json!({"name": name}).to_string()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn default_project(app: &TestApp) -> Value {
    let list = app.get(PROJECTS).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let named = |p: &&Value| p["name"] == "Default project";
    let data = list.body["data"].as_array().unwrap();
    data.iter().find(named).cloned().unwrap()
}

async fn add(app: &TestApp, project: &str, body: Value) -> Reply {
    app.post(&format!("{PROJECTS}/{project}/users"), &body.to_string())
        .await
}

fn projects_of(user: &Value) -> Vec<(String, String)> {
    user["projects"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

on_both_stores!(
    every_organization_has_its_default_project,
    projects_live_and_are_archived,
    project_bodies_are_checked,
    members_join_change_and_leave,
    users_show_their_projects,
    deleting_a_user_ends_its_memberships,
    project_lists_walk_under_changes,
    projects_are_per_organization,
    groups_are_granted_project_access,
    users_projects_agree_with_memberships_after_every_change,
);

async fn every_organization_has_its_default_project(app: TestApp) {
    app.import(&users(3)).await;
    let default = default_project(&app).await;
    assert_eq!(
        (
            &default["name"],
            &default["status"],
            &default["archived_at"]
        ),
        (&json!("Default project"), &json!("active"), &Value::Null)
    );
    let id = default["id"].as_str().unwrap();
    assert!(id.starts_with("proj_") && id.len() == 29, "{id}");
    // Imported users are its members: owners as owners, readers as members.
    let members = app.get(&format!("{PROJECTS}/{id}/users")).await;
    let roles: Vec<(&str, &str)> = members.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [
            ("u-0000", "owner"),
            ("u-0001", "member"),
            ("u-0002", "member")
        ]
    );
    app.post(&format!("{PROJECTS}/{id}/archive"), "")
        .await
        .assert_error(400, None, None, "The Default project cannot be archived.");
    // A user whose line gives `projects` joins none by itself.
    app.import(&[
        json!({"id": "own-way", "email": "o@x.io", "projects": {"object": "list", "data": []}}),
    ])
    .await;
    let own = app.get("/v1/organization/users/own-way").await;
    assert!(projects_of(&own.body).is_empty(), "{}", own.body);
}

async fn projects_live_and_are_archived(app: TestApp) {
    app.import(&users(2)).await;
    let created = app
        .post(
            PROJECTS,
            r#"{"name":"Search","external_key_id":"kms-1","residency":"EU_STORAGE_PROCESSING"}"#,
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (
            &created.body["object"],
            &created.body["name"],
            &created.body["status"],
            &created.body["external_key_id"],
            &created.body["residency"]
        ),
        (
            &json!("organization.project"),
            &json!("Search"),
            &json!("active"),
            &json!("kms-1"),
            &json!("EU_STORAGE_PROCESSING")
        )
    );
    let path = format!("{PROJECTS}/{id}");
    assert_eq!(app.get(&path).await.body, created.body);
    let renamed = app.post(&path, r#"{"name":"Search v2"}"#).await;
    assert_eq!(renamed.body["name"], "Search v2");
    assert_eq!(renamed.body["external_key_id"], "kms-1", "left as it was");
    // Names need not be unique.
    project(&app, "Search v2").await;

    let archived = app.post(&format!("{path}/archive"), "").await;
    assert_eq!(archived.status, 200);
    assert_eq!(archived.body["status"], "archived");
    let at = archived.body["archived_at"].as_i64().unwrap();
    // Archiving again changes nothing; the SDKs send an empty JSON body with its content type.
    let again = app
        .send(
            reqwest::Method::POST,
            &format!("{path}/archive"),
            Some(KEY),
            Some(Vec::new()),
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(
        (again.status, again.body["archived_at"].as_i64()),
        (200, Some(at))
    );
    // Read, but not changed.
    assert_eq!(app.get(&path).await.body["status"], "archived");
    let refused = format!("Project {id} is archived: it can be read but not changed.");
    app.post(&path, r#"{"name":"x"}"#)
        .await
        .assert_error(400, None, None, &refused);
    add(&app, &id, json!({"user_id": "u-0001", "role": "member"}))
        .await
        .assert_error(400, None, None, &refused);
    // What the path names must exist before the archived project refuses the change.
    for reply in [
        app.delete(&format!("{path}/users/nobody")).await,
        app.post(&format!("{path}/users/nobody"), r#"{"role":"owner"}"#)
            .await,
    ] {
        reply.assert_error(404, Some("user_id"), None, "No such user: nobody");
    }

    let listed = app.get(PROJECTS).await;
    assert!(
        !listed.ids().contains(&id),
        "archived projects are left out"
    );
    for flag in ["true", "True", "1"] {
        let all = app
            .get(&format!("{PROJECTS}?include_archived={flag}"))
            .await;
        assert!(all.ids().contains(&id), "{flag}");
    }
    assert!(
        !app.get(&format!("{PROJECTS}?include_archived=FALSE"))
            .await
            .ids()
            .contains(&id)
    );
    app.get(&format!("{PROJECTS}?include_archived=yes"))
        .await
        .assert_error(
            400,
            Some("include_archived"),
            Some("invalid_type"),
            "Invalid type for 'include_archived': expected a boolean, but got 'yes' instead.",
        );
    let missing = format!("{PROJECTS}/proj_nope");
    for reply in [
        app.get(&missing).await,
        app.post(&missing, r#"{"name":"x"}"#).await,
        app.post(&format!("{missing}/archive"), "").await,
        app.get(&format!("{missing}/users")).await,
        app.get(&format!("{missing}/groups")).await,
    ] {
        reply.assert_error(404, Some("project_id"), None, "No such project: proj_nope");
    }
}

async fn project_bodies_are_checked(app: TestApp) {
    app.post(PROJECTS, "{}").await.assert_error(
        400,
        Some("name"),
        Some("missing_required_parameter"),
        "Missing required parameter: 'name'.",
    );
    app.post(PROJECTS, r#"{"name":5}"#).await.assert_error(
        400,
        Some("name"),
        Some("invalid_type"),
        "Invalid type for 'name': expected a string, but got an integer instead.",
    );
    app.post(PROJECTS, r#"{"name":""}"#).await.assert_error(
        400,
        Some("name"),
        Some("invalid_value"),
        "Invalid 'name': a project name must have 1 to 255 characters.",
    );
    let r = app
        .post(PROJECTS, r#"{"name":"x","residency":"MARS"}"#)
        .await;
    assert_eq!(
        (r.status, r.body["error"]["param"].as_str()),
        (400, Some("residency"))
    );
    app.post(PROJECTS, r#"{"name":"x","colour":"red"}"#)
        .await
        .assert_error(
            400,
            Some("colour"),
            None,
            "Unrecognized request argument supplied: colour",
        );
    app.get(&format!("{PROJECTS}?limit=0")).await.assert_error(
        400,
        Some("limit"),
        Some("integer_below_min_value"),
        "Invalid 'limit': integer below minimum value. Expected a value >= 1, but got 0 instead.",
    );
}

async fn members_join_change_and_leave(app: TestApp) {
    app.import(&users(4)).await;
    let id = project(&app, "Docs bot").await;
    let users_path = format!("{PROJECTS}/{id}/users");
    assert!(
        app.get(&users_path).await.ids().is_empty(),
        "a new project has no members"
    );

    let by_id = add(&app, &id, json!({"user_id": "u-0001", "role": "owner"})).await;
    assert_eq!(by_id.status, 200, "{}", by_id.body);
    assert_eq!(
        (
            &by_id.body["object"],
            &by_id.body["id"],
            &by_id.body["role"],
            &by_id.body["email"]
        ),
        (
            &json!("organization.project.user"),
            &json!("u-0001"),
            &json!("owner"),
            &json!("user1@example.com")
        )
    );
    let by_email = add(
        &app,
        &id,
        json!({"email": "USER2@example.com", "role": "member"}),
    )
    .await;
    assert_eq!(by_email.body["id"], "u-0002", "emails compare folded");
    let both = add(
        &app,
        &id,
        json!({"user_id": "u-0003", "email": "user3@example.com", "role": "member"}),
    )
    .await;
    assert_eq!(both.body["id"], "u-0003");
    assert_eq!(
        app.get(&users_path).await.ids(),
        ["u-0001", "u-0002", "u-0003"]
    );

    add(
        &app,
        &id,
        json!({"user_id": "u-0000", "email": "user1@example.com", "role": "member"}),
    )
    .await
    .assert_error(
        400,
        Some("email"),
        None,
        "'user_id' and 'email' name different users.",
    );
    add(&app, &id, json!({"user_id": "u-0001", "role": "member"}))
        .await
        .assert_error(
            400,
            Some("user_id"),
            None,
            &format!("User u-0001 is already a member of project {id}."),
        );
    add(&app, &id, json!({"user_id": "nobody", "role": "member"}))
        .await
        .assert_error(
            400,
            Some("user_id"),
            None,
            "'nobody' is not a user of this organization.",
        );
    add(&app, &id, json!({"email": "nobody@x.io", "role": "member"}))
        .await
        .assert_error(
            400,
            Some("email"),
            None,
            "'nobody@x.io' is not a user of this organization.",
        );
    add(&app, &id, json!({"user_id": "u-0000", "role": "admin"}))
        .await
        .assert_error(
            400,
            Some("role"),
            Some("invalid_value"),
            "Invalid 'role': expected one of 'owner' or 'member', but got 'admin' instead.",
        );
    add(&app, &id, json!({"role": "member"}))
        .await
        .assert_error(
            400,
            Some("user_id"),
            Some("missing_required_parameter"),
            "Missing required parameter: 'user_id'.",
        );
    add(&app, &id, json!({"user_id": "u-0000"}))
        .await
        .assert_error(
            400,
            Some("role"),
            Some("missing_required_parameter"),
            "Missing required parameter: 'role'.",
        );

    let member = format!("{users_path}/u-0002");
    assert_eq!(app.get(&member).await.body, by_email.body);
    let changed = app.post(&member, r#"{"role":"owner"}"#).await;
    assert_eq!(changed.body["role"], "owner");
    assert_eq!(app.get(&member).await.body["role"], "owner");
    let removed = app.delete(&member).await;
    assert_eq!(
        removed.body,
        json!({"object": "organization.project.user.deleted", "id": "u-0002", "deleted": true})
    );
    for reply in [
        app.get(&member).await,
        app.post(&member, r#"{"role":"member"}"#).await,
        app.delete(&member).await,
    ] {
        reply.assert_error(404, Some("user_id"), None, "No such user: u-0002");
    }
    // A project may be left without owners.
    let owner = format!("{users_path}/u-0001");
    assert_eq!(app.delete(&owner).await.status, 200);
}

async fn users_show_their_projects(app: TestApp) {
    app.import(&users(2)).await;
    let first = project(&app, "First").await;
    let second = project(&app, "Second").await;
    add(&app, &second, json!({"user_id": "u-0001", "role": "owner"})).await;
    add(&app, &first, json!({"user_id": "u-0001", "role": "member"})).await;
    // Oldest project first, ties (created in the same second) by id.
    let default = default_project(&app).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut created = Vec::new();
    for (id, name, role) in [
        (&default, "Default project", "member"),
        (&first, "First", "member"),
        (&second, "Second", "owner"),
    ] {
        let at = app.get(&format!("{PROJECTS}/{id}")).await.body["created_at"].as_i64();
        created.push((at, id.clone(), (name.to_owned(), role.to_owned())));
    }
    created.sort();
    let expected: Vec<_> = created.iter().map(|(_, _, entry)| entry.clone()).collect();
    let retrieved = app.get("/v1/organization/users/u-0001").await;
    assert_eq!(
        projects_of(&retrieved.body),
        expected,
        "oldest project first"
    );
    let listed = app.get("/v1/organization/users").await;
    assert_eq!(projects_of(&listed.body["data"][1]), expected);
    let filtered = app
        .get("/v1/organization/users?emails[]=user1@example.com")
        .await;
    assert_eq!(projects_of(&filtered.body["data"][0]), expected);
    assert_eq!(
        retrieved.body["projects"]["data"][2]["id"].as_str(),
        Some(created[2].1.as_str())
    );
    // Archived projects are no longer listed on the user; renames show at once.
    app.post(&format!("{PROJECTS}/{second}/archive"), "").await;
    app.post(
        &format!("{PROJECTS}/{first}"),
        r#"{"name":"First, renamed"}"#,
    )
    .await;
    let after = app.get("/v1/organization/users/u-0001").await;
    let mut left = projects_of(&after.body);
    left.sort();
    assert_eq!(
        left,
        [
            ("Default project".to_owned(), "member".to_owned()),
            ("First, renamed".to_owned(), "member".to_owned())
        ]
    );
}

async fn deleting_a_user_ends_its_memberships(app: TestApp) {
    app.import(&users(3)).await;
    let id = project(&app, "Checkout").await;
    add(&app, &id, json!({"user_id": "u-0002", "role": "owner"})).await;
    add(&app, &id, json!({"user_id": "u-0001", "role": "member"})).await;
    assert_eq!(
        app.delete("/v1/organization/users/u-0002").await.status,
        200
    );
    assert_eq!(
        app.get(&format!("{PROJECTS}/{id}/users")).await.ids(),
        ["u-0001"]
    );
    let default = default_project(&app).await;
    let default_members = app
        .get(&format!(
            "{PROJECTS}/{}/users",
            default["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(default_members.ids(), ["u-0000", "u-0001"]);
    app.get(&format!("{PROJECTS}/{id}/users/u-0002"))
        .await
        .assert_error(404, Some("user_id"), None, "No such user: u-0002");
}

/// Walks a first/last list page by page, running `between` after each page.
async fn walk_first(
    app: &TestApp,
    path: &str,
    limit: usize,
    mut between: impl AsyncFnMut(usize),
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for page_number in 0.. {
        let mut url = format!("{path}?limit={limit}");
        if let Some(a) = &after {
            url.push_str(&format!("&after={a}"));
        }
        let page = app.get(&url).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let ids = page.ids();
        assert_eq!(
            page.body["first_id"].as_str(),
            ids.first().map(String::as_str)
        );
        assert_eq!(
            page.body["last_id"].as_str(),
            ids.last().map(String::as_str)
        );
        seen.extend(ids.iter().cloned());
        if !page.body["has_more"].as_bool().unwrap() {
            break;
        }
        after = ids.last().cloned();
        between(page_number).await;
    }
    seen
}

async fn project_lists_walk_under_changes(app: TestApp) {
    app.import(&users(12)).await;
    let id = project(&app, "Walked").await;
    for i in 0..10 {
        add(
            &app,
            &id,
            json!({"user_id": format!("u-{i:04}"), "role": "member"}),
        )
        .await;
    }
    let path = format!("{PROJECTS}/{id}/users");
    // Remove the member each page ends at, and add one: the walk goes on where it was, sees
    // every member that stayed exactly once, and the new one at the end.
    let seen = walk_first(&app, &path, 3, async |page| {
        let last = format!("u-{:04}", page * 3 + 2);
        assert_eq!(app.delete(&format!("{path}/{last}")).await.status, 200);
        if page == 0 {
            add(&app, &id, json!({"user_id": "u-0011", "role": "member"})).await;
        }
    })
    .await;
    for stayed in [
        "u-0000", "u-0001", "u-0003", "u-0004", "u-0006", "u-0009", "u-0011",
    ] {
        assert_eq!(
            seen.iter().filter(|s| *s == stayed).count(),
            1,
            "{stayed} in {seen:?}"
        );
    }
    app.get(&format!("{path}?after=u-0010")).await.assert_error(
        400,
        Some("after"),
        Some("invalid_value"),
        "Invalid 'after': no user with id 'u-0010'.",
    );
    // Projects page the same way.
    for n in 0..4 {
        project(&app, &format!("P{n}")).await;
    }
    let all = walk_first(&app, PROJECTS, 2, async |_| {}).await;
    assert_eq!(all.len(), 6, "{all:?}");
    app.get(&format!("{PROJECTS}?after=proj_unknown"))
        .await
        .assert_error(
            400,
            Some("after"),
            Some("invalid_value"),
            "Invalid 'after': no project with id 'proj_unknown'.",
        );
}

async fn projects_are_per_organization(app: TestApp) {
    app.import(&users(1)).await;
    app.import_into(&app.other_org, &[user_line("theirs", "t@x.io", 5, "owner")])
        .await;
    let id = project(&app, "Mine").await;
    let theirs = app.get_as(OTHER_KEY, PROJECTS).await;
    assert_eq!(theirs.ids().len(), 1, "only their own Default project");
    assert!(!theirs.ids().contains(&id));
    let path = format!("{PROJECTS}/{id}");
    let gone = format!("No such project: {id}");
    for reply in [
        app.get_as(OTHER_KEY, &path).await,
        app.post_as(OTHER_KEY, &path, r#"{"name":"x"}"#).await,
        app.post_as(OTHER_KEY, &format!("{path}/archive"), "").await,
        app.get_as(OTHER_KEY, &format!("{path}/users")).await,
        app.post_as(
            OTHER_KEY,
            &format!("{path}/users"),
            r#"{"user_id":"theirs","role":"owner"}"#,
        )
        .await,
    ] {
        reply.assert_error(404, Some("project_id"), None, &gone);
    }
    // Another organization's user is no user here.
    add(&app, &id, json!({"user_id": "theirs", "role": "member"}))
        .await
        .assert_error(
            400,
            Some("user_id"),
            None,
            "'theirs' is not a user of this organization.",
        );
}

async fn groups_are_granted_project_access(app: TestApp) {
    let id = project(&app, "Granted").await;
    let group = app
        .post("/v1/organization/groups", r#"{"name":"Team"}"#)
        .await;
    let group = group.body["id"].as_str().unwrap().to_owned();
    let path = format!("{PROJECTS}/{id}/groups");
    let owner = format!("role-api-project-owner__api-project__{id}");
    let body = json!({"group_id": group, "role": owner}).to_string();
    let granted = app.post(&path, &body).await;
    assert_eq!(granted.status, 200, "{}", granted.body);
    assert_eq!(
        (
            &granted.body["object"],
            &granted.body["group_name"],
            &granted.body["group_type"],
            &granted.body["project_id"]
        ),
        (
            &json!("project.group"),
            &json!("Team"),
            &json!("group"),
            &json!(id)
        )
    );
    // Granting again answers the grant as it is.
    let member = format!("role-api-project-member__api-project__{id}");
    let again = app
        .post(
            &path,
            &json!({"group_id": group, "role": member}).to_string(),
        )
        .await;
    assert_eq!(again.body, granted.body);
    let listed = app.get(&path).await;
    assert_eq!(
        (
            listed.body["data"].as_array().unwrap().len(),
            &listed.body["next"]
        ),
        (1, &Value::Null)
    );
    assert_eq!(app.get(&format!("{path}/{group}")).await.body, granted.body);

    app.post(
        &path,
        &json!({"group_id": group, "role": "owner"}).to_string(),
    )
    .await
    .assert_error(
        400,
        Some("role"),
        None,
        &format!("'owner' is no role of project {id}; expected '{owner}' or '{member}'."),
    );
    app.post(
        &path,
        &json!({"group_id": "group_nope", "role": owner}).to_string(),
    )
    .await
    .assert_error(
        400,
        Some("group_id"),
        Some("invalid_value"),
        "Invalid 'group_id': no group with id 'group_nope' in this organization.",
    );
    app.get(&format!("{path}?limit=101")).await.assert_error(
        400,
        Some("limit"),
        Some("integer_above_max_value"),
        "Invalid 'limit': integer above maximum value. Expected a value <= 100, but got 101 instead.",
    );
    let probe = app.get(&format!("{path}?limit=0")).await;
    assert_eq!(
        (probe.body["has_more"].as_bool(), &probe.body["next"]),
        (Some(true), &Value::Null)
    );

    let removed = app.delete(&format!("{path}/{group}")).await;
    assert_eq!(
        removed.body,
        json!({"object": "project.group.deleted", "deleted": true})
    );
    app.get(&format!("{path}/{group}")).await.assert_error(
        404,
        Some("group_id"),
        None,
        &format!("No such group: {group}"),
    );
    // Deleting a group ends its access.
    app.post(&path, &body).await;
    app.delete(&format!("/v1/organization/groups/{group}"))
        .await;
    assert!(
        app.get(&path).await.body["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// Every user's `projects`, as the users' list shows it, against what the projects' member lists
/// say: active projects only, oldest first (ties by id), with the member's role.
async fn assert_projects_agree(app: &TestApp, step: &str) {
    let mut projects: Vec<Value> = app
        .get(&format!("{PROJECTS}?include_archived=true&limit=100"))
        .await
        .body["data"]
        .as_array()
        .unwrap()
        .clone();
    projects.sort_by_key(|p| {
        (
            p["created_at"].as_i64(),
            p["id"].as_str().map(str::to_owned),
        )
    });
    let mut expected = std::collections::BTreeMap::<String, Vec<Value>>::new();
    for project in projects.iter().filter(|p| p["status"] == "active") {
        let id = project["id"].as_str().unwrap();
        let members = app.get(&format!("{PROJECTS}/{id}/users?limit=100")).await;
        for member in members.body["data"].as_array().unwrap() {
            expected
                .entry(member["id"].as_str().unwrap().to_owned())
                .or_default()
                .push(json!({"id": id, "name": project["name"], "role": member["role"]}));
        }
    }
    let users = app.get("/v1/organization/users?limit=100").await;
    for user in users.body["data"].as_array().unwrap() {
        let id = user["id"].as_str().unwrap();
        let want = expected.remove(id).unwrap_or_default();
        assert_eq!(
            user["projects"]["data"].as_array().unwrap(),
            &want,
            "{step}: user {id}"
        );
        let alone = app.get(&format!("/v1/organization/users/{id}")).await;
        assert_eq!(
            alone.body["projects"], user["projects"],
            "{step}: retrieve of {id}"
        );
    }
    assert!(
        expected.is_empty(),
        "{step}: members that are no users: {expected:?}"
    );
}

async fn users_projects_agree_with_memberships_after_every_change(app: TestApp) {
    app.import(&users(5)).await;
    assert_projects_agree(&app, "import").await;
    let a = project(&app, "A").await;
    let b = project(&app, "B").await;
    for (project, user, role) in [
        (&a, "u-0001", "owner"),
        (&a, "u-0002", "member"),
        (&b, "u-0001", "member"),
    ] {
        add(&app, project, json!({"user_id": user, "role": role})).await;
    }
    assert_projects_agree(&app, "adds").await;
    app.post(
        &format!("{PROJECTS}/{a}/users/u-0002"),
        r#"{"role":"owner"}"#,
    )
    .await;
    assert_projects_agree(&app, "role change").await;
    app.post(
        &format!("{PROJECTS}/{a}"),
        r#"{"name":"A \"quoted\" \u00e9"}"#,
    )
    .await;
    assert_projects_agree(&app, "rename").await;
    app.delete(&format!("{PROJECTS}/{a}/users/u-0001")).await;
    assert_projects_agree(&app, "remove").await;
    app.post(&format!("{PROJECTS}/{b}/archive"), "").await;
    assert_projects_agree(&app, "archive").await;
    app.delete("/v1/organization/users/u-0002").await;
    assert_projects_agree(&app, "user delete").await;
    // An import that renames a project, adds a member and gives the Default project another id.
    let default = default_project(&app).await;
    app.import(&[
        json!({"id": "u-0009", "email": "nine@x.io"}),
        json!({"object": "organization.project", "id": a, "name": "A, imported"}),
        json!({"object": "organization.project.user", "project_id": a, "id": "u-0009", "role": "member"}),
        json!({"object": "organization.project", "id": "proj_defaultimported", "name": "Default, renamed",
               "created_at": default["created_at"], "is_default": true}),
    ])
    .await;
    assert_projects_agree(&app, "import of projects").await;
    assert_eq!(
        default_project_named(&app, "Default, renamed").await,
        "proj_defaultimported"
    );
}

async fn default_project_named(app: &TestApp, name: &str) -> String {
    let list = app.get(&format!("{PROJECTS}?limit=100")).await;
    list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["id"].as_str())
        .unwrap()
        .to_owned()
}
