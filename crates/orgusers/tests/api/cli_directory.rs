//! `orgusers roles …`, `orgusers users roles …` and `orgusers groups …` against a running
//! server: every command, the formats, paging, confirmations, errors and exit codes.

use std::process::{Output, Stdio};

use serde_json::{Value, json};

use crate::harness::*;

/// Runs `orgusers ARGS` against `app` with `key`, connection from the environment.
pub(crate) fn cli_as(app: &TestApp, key: &str, args: &[&str]) -> Output {
    orgusers()
        .args(args)
        .env("OPENAI_BASE_URL", format!("{}/v1", app.base))
        .env("OPENAI_ADMIN_KEY", key)
        .env_remove("COLUMNS")
        .stdin(Stdio::null())
        .output()
        .expect("run orgusers")
}

pub(crate) fn cli(app: &TestApp, args: &[&str]) -> Output {
    cli_as(app, KEY, args)
}

pub(crate) fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

pub(crate) fn ok_json(out: &Output) -> Value {
    let text = ok(out);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

pub(crate) fn jsonl(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub(crate) fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Fails with exit code 1, nothing on standard output, and one line on standard error
/// containing `expected`.
#[track_caller]
pub(crate) fn fails_with(out: &Output, expected: &str) {
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(expected), "{expected:?} not in {stderr:?}");
}

/// A usage error: exit code 2.
#[track_caller]
pub(crate) fn usage_error(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What the server answers to `GET path` with the default key, body unchecked by the users
/// schemas.
pub(crate) async fn server_get(app: &TestApp, path: &str) -> (u16, Value) {
    http_get(&app.base, path, KEY).await
}

/// The ids of one page the server answers to `GET path`.
pub(crate) async fn server_ids(app: &TestApp, path: &str) -> Vec<String> {
    let (status, page) = server_get(app, path).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["has_more"], false, "one page: {page}");
    ids(page["data"].as_array().unwrap())
}

/// Creates a group through the API, without the CLI.
pub(crate) async fn post_group(app: &TestApp, name: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/organization/groups", app.base))
        .bearer_auth(KEY)
        .json(&json!({"name": name}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let group: Value = response.json().await.unwrap();
    group["id"].as_str().unwrap().to_owned()
}

/// Creates the custom role `name` with the CLI; returns its id.
fn create_role(app: &TestApp, name: &str) -> String {
    let role = ok_json(&cli(
        app,
        &[
            "roles",
            "create",
            "--name",
            name,
            "--permission",
            "api.users.read",
        ],
    ));
    role["id"].as_str().unwrap().to_owned()
}

on_both_stores!(
    roles_are_listed_created_changed_and_deleted,
    users_roles_are_assigned_listed_and_unassigned,
    groups_their_members_and_their_roles,
    unknown_groups_and_bad_requests_exit_non_zero,
    list_all_follows_every_page
);

async fn roles_are_listed_created_changed_and_deleted(app: TestApp) {
    // The two predefined roles; their long ids are not cut, even past 80 columns.
    let table = ok(&cli(&app, &["roles", "list"]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(
        lines[0].starts_with("ID ") && lines[0].contains("NAME"),
        "{table}"
    );
    let owner_id = format!(
        "role-api-organization-owner__api-organization__{}",
        app.org.as_str()
    );
    assert!(
        lines[1].starts_with(&format!("{owner_id} ")) && lines[1].contains(" owner "),
        "{table}"
    );

    let created = ok_json(&cli(
        &app,
        &[
            "roles",
            "create",
            "--name",
            "Support",
            "--permission",
            "api.users.read",
            "--permission",
            "api.groups.read,api.groups.write",
            "--description",
            "Answers tickets",
        ],
    ));
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("role_"), "{created}");
    assert_eq!(
        created["permissions"],
        json!(["api.users.read", "api.groups.read", "api.groups.write"])
    );
    assert_eq!(
        (
            created["description"].as_str(),
            created["predefined_role"].as_bool()
        ),
        (Some("Answers tickets"), Some(false))
    );
    let text = ok(&cli(&app, &["roles", "get", &id]));
    assert!(text.contains("\n  \"id\": \""), "indented JSON: {text}");
    let shown: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        shown,
        server_get(&app, &format!("/v1/organization/roles/{id}"))
            .await
            .1
    );
    assert_eq!(shown, created);

    // Only what is given changes; --permission replaces the permissions.
    let renamed = ok_json(&cli(&app, &["roles", "update", &id, "--name", "Helpdesk"]));
    assert_eq!(
        (
            renamed["name"].as_str(),
            renamed["permissions"].as_array().unwrap().len()
        ),
        (Some("Helpdesk"), 3)
    );
    let narrowed = ok_json(&cli(
        &app,
        &[
            "roles",
            "update",
            &id,
            "--permission",
            "api.users.write",
            "--description",
            "Fixes accounts",
        ],
    ));
    assert_eq!(narrowed["permissions"], json!(["api.users.write"]));
    assert_eq!(
        (narrowed["name"].as_str(), narrowed["description"].as_str()),
        (Some("Helpdesk"), Some("Fixes accounts"))
    );
    fails_with(&cli(&app, &["roles", "update", &id]), "nothing to change");

    // Every format; the custom role comes last in the default order, first newest-first.
    let all = jsonl(&ok(&cli(&app, &["roles", "list", "--format", "jsonl"])));
    assert_eq!(all.len(), 3);
    assert_eq!(
        all[2],
        server_get(&app, &format!("/v1/organization/roles/{id}"))
            .await
            .1
    );
    let newest = jsonl(&ok(&cli(
        &app,
        &[
            "roles", "list", "--order", "desc", "--limit", "1", "--format", "jsonl",
        ],
    )));
    assert_eq!(ids(&newest), [id.as_str()]);
    let json: Vec<Value> =
        serde_json::from_str(&ok(&cli(&app, &["roles", "list", "--format", "json"]))).unwrap();
    assert_eq!(json, all);
    let csv = ok(&cli(&app, &["roles", "list", "--format", "csv"]));
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "id,name,description,permissions,resource_type,predefined_role"
    );
    assert_eq!(
        rows[3],
        format!("{id},Helpdesk,Fixes accounts,api.users.write,api.organization,false")
    );
    let one = ok(&cli(&app, &["roles", "get", &id, "--format", "csv"]));
    assert_eq!(one.lines().count(), 2);

    // Refused without --yes when there is no terminal to ask on; deleted with it.
    fails_with(&cli(&app, &["roles", "delete", &id]), "without --yes");
    assert_eq!(
        server_get(&app, &format!("/v1/organization/roles/{id}"))
            .await
            .0,
        200
    );
    assert_eq!(
        ok(&cli(&app, &["roles", "delete", &id, "--yes"])).trim(),
        format!("deleted {id}")
    );
    assert_eq!(
        server_get(&app, &format!("/v1/organization/roles/{id}"))
            .await
            .0,
        404
    );
    fails_with(
        &cli(&app, &["roles", "get", &id]),
        &format!("No such role: {id} (HTTP 404, request req_"),
    );

    // The server's refusals, one line each.
    fails_with(
        &cli(
            &app,
            &["roles", "create", "--name", "X", "--permission", "api.nope"],
        ),
        "Invalid 'permissions': unknown permission 'api.nope'",
    );
    fails_with(
        &cli(&app, &["roles", "create", "--name", "X"]),
        "a role needs at least one permission",
    );
    create_role(&app, "Twice");
    fails_with(
        &cli(
            &app,
            &[
                "roles",
                "create",
                "--name",
                "twice",
                "--permission",
                "api.users.read",
            ],
        ),
        "already exists",
    );
    usage_error(&cli(
        &app,
        &["roles", "create", "--permission", "api.users.read"],
    ));
}

async fn users_roles_are_assigned_listed_and_unassigned(app: TestApp) {
    app.import(&users(3)).await;
    let role = create_role(&app, "Auditor");
    assert_eq!(
        ok(&cli(&app, &["users", "roles", "assign", "u-0001", &role])).trim(),
        format!("assigned {role} (Auditor) to u-0001")
    );
    // The predefined role every user holds, and the one assigned, both held directly.
    let held = jsonl(&ok(&cli(
        &app,
        &["users", "roles", "list", "u-0001", "--format", "jsonl"],
    )));
    let reader_id = format!(
        "role-api-organization-reader__api-organization__{}",
        app.org.as_str()
    );
    assert_eq!(ids(&held), [reader_id.clone(), role.clone()]);
    assert_eq!(
        held[1]["assignment_sources"],
        json!([{"principal_id": "u-0001", "principal_type": "user"}])
    );
    assert_eq!(
        held,
        server_get(&app, "/v1/organization/users/u-0001/roles")
            .await
            .1["data"]
            .as_array()
            .unwrap()
            .clone()
    );
    let table = ok(&cli(&app, &["users", "roles", "list", "u-0001"]));
    assert!(table.lines().next().unwrap().contains("VIA"), "{table}");
    let line = table.lines().find(|l| l.starts_with(&role)).unwrap();
    assert!(
        line.contains("Auditor") && line.contains("direct"),
        "{table}"
    );
    let csv = ok(&cli(
        &app,
        &[
            "users", "roles", "list", "u-0001", "--format", "csv", "--order", "desc", "--limit",
            "1",
        ],
    ));
    assert_eq!(
        csv.lines().collect::<Vec<_>>(),
        [
            "id,name,description,permissions,predefined_role,assignment_sources",
            &format!("{role},Auditor,,api.users.read,false,user:u-0001"),
        ]
    );
    let all = jsonl(&ok(&cli(
        &app,
        &[
            "users", "roles", "list", "u-0001", "--all", "--limit", "1", "--format", "jsonl",
        ],
    )));
    assert_eq!(all, held);

    fails_with(
        &cli(&app, &["users", "roles", "unassign", "u-0001", &role]),
        "refusing to unassign role",
    );
    assert_eq!(
        server_get(&app, &format!("/v1/organization/users/u-0001/roles/{role}"))
            .await
            .0,
        200
    );
    assert_eq!(
        ok(&cli(
            &app,
            &["users", "roles", "unassign", "u-0001", &role, "--yes"]
        ))
        .trim(),
        format!("unassigned {role} from u-0001")
    );
    assert_eq!(
        server_get(&app, &format!("/v1/organization/users/u-0001/roles/{role}"))
            .await
            .0,
        404
    );
    let left = jsonl(&ok(&cli(
        &app,
        &["users", "roles", "list", "u-0001", "--format", "jsonl"],
    )));
    assert_eq!(ids(&left), [reader_id]);

    fails_with(
        &cli(&app, &["users", "roles", "assign", "user-nobody", &role]),
        "No such user: user-nobody (HTTP 404, request req_",
    );
    fails_with(
        &cli(&app, &["users", "roles", "list", "user-nobody"]),
        "No such user: user-nobody",
    );
    fails_with(
        &cli(&app, &["users", "roles", "assign", "u-0001", "role_nobody"]),
        "Invalid 'role_id'",
    );
    usage_error(&cli(&app, &["users", "roles", "assign", "u-0001"]));
}

async fn groups_their_members_and_their_roles(app: TestApp) {
    app.import(&users(4)).await;
    let created = ok_json(&cli(&app, &["groups", "create", "--name", "Support team"]));
    let group = created["id"].as_str().unwrap().to_owned();
    assert!(group.starts_with("group_"), "{created}");
    assert_eq!(
        (
            created["name"].as_str(),
            created["is_scim_managed"].as_bool()
        ),
        (Some("Support team"), Some(false))
    );
    let shown = ok_json(&cli(&app, &["groups", "get", &group]));
    assert_eq!(
        shown,
        server_get(&app, &format!("/v1/organization/groups/{group}"))
            .await
            .1
    );
    let renamed = ok_json(&cli(&app, &["groups", "rename", &group, "--name", "Ops"]));
    assert_eq!(
        (renamed["id"].as_str(), renamed["name"].as_str()),
        (Some(group.as_str()), Some("Ops"))
    );
    let table = ok(&cli(&app, &["groups", "list"]));
    assert_eq!(table.lines().collect::<Vec<_>>().len(), 2, "{table}");
    assert!(
        table
            .lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("{group}  "))
            && table.contains("Ops"),
        "{table}"
    );
    let csv = ok(&cli(&app, &["groups", "list", "--format", "csv"]));
    assert_eq!(
        csv.lines().next(),
        Some("id,name,created_at,is_scim_managed,group_type")
    );
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("{group},Ops,")),
        "{csv}"
    );
    let json: Vec<Value> =
        serde_json::from_str(&ok(&cli(&app, &["groups", "list", "--format", "json"]))).unwrap();
    assert_eq!(ids(&json), [group.as_str()]);

    // Members.
    for user in ["u-0001", "u-0002"] {
        assert_eq!(
            ok(&cli(&app, &["groups", "users", "add", &group, user])).trim(),
            format!("added {user} to {group}")
        );
    }
    let members = jsonl(&ok(&cli(
        &app,
        &[
            "groups", "users", "list", &group, "--format", "jsonl", "--order", "asc",
        ],
    )));
    assert_eq!(
        members,
        server_get(
            &app,
            &format!("/v1/organization/groups/{group}/users?order=asc")
        )
        .await
        .1["data"]
            .as_array()
            .unwrap()
            .clone()
    );
    let mut member_ids = ids(&members);
    member_ids.sort();
    assert_eq!(member_ids, ["u-0001", "u-0002"]);
    let ada = members.iter().find(|m| m["id"] == "u-0001").unwrap();
    assert_eq!(ada["email"], "user1@example.com");
    let table = ok(&cli(&app, &["groups", "users", "list", &group]));
    assert!(
        table.lines().next().unwrap().starts_with("ID ") && table.contains("user2@example.com"),
        "{table}"
    );
    let csv = ok(&cli(
        &app,
        &[
            "groups", "users", "list", &group, "--format", "csv", "--order", "asc",
        ],
    ));
    let mut rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.remove(0), "id,email,name");
    rows.sort_unstable();
    assert_eq!(
        rows,
        [
            "u-0001,user1@example.com,Name of u-0001",
            "u-0002,user2@example.com,Name of u-0002"
        ]
    );
    fails_with(
        &cli(&app, &["groups", "users", "remove", &group, "u-0002"]),
        "refusing to remove user u-0002",
    );
    assert_eq!(
        ok(&cli(
            &app,
            &["groups", "users", "remove", &group, "u-0002", "--yes"]
        ))
        .trim(),
        format!("removed u-0002 from {group}")
    );
    let members = jsonl(&ok(&cli(
        &app,
        &["groups", "users", "list", &group, "--format", "jsonl"],
    )));
    assert_eq!(ids(&members), ["u-0001"]);
    fails_with(
        &cli(&app, &["groups", "users", "add", &group, "user-nobody"]),
        "Invalid 'user_id'",
    );

    // Roles, which members then hold through the group.
    let role = create_role(&app, "Responder");
    assert_eq!(
        ok(&cli(&app, &["groups", "roles", "assign", &group, &role])).trim(),
        format!("assigned {role} (Responder) to {group} (Ops)")
    );
    let roles = jsonl(&ok(&cli(
        &app,
        &["groups", "roles", "list", &group, "--format", "jsonl"],
    )));
    assert_eq!(ids(&roles), [role.as_str()]);
    assert_eq!(
        roles,
        server_get(&app, &format!("/v1/organization/groups/{group}/roles"))
            .await
            .1["data"]
            .as_array()
            .unwrap()
            .clone()
    );
    let table = ok(&cli(&app, &["groups", "roles", "list", &group]));
    assert!(
        table
            .lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("{role}  Responder")),
        "{table}"
    );
    let csv = ok(&cli(
        &app,
        &["groups", "roles", "list", &group, "--format", "csv"],
    ));
    assert_eq!(
        csv.lines().collect::<Vec<_>>(),
        [
            "id,name,description,permissions,predefined_role",
            &format!("{role},Responder,,api.users.read,false")
        ]
    );
    let held = jsonl(&ok(&cli(
        &app,
        &["users", "roles", "list", "u-0001", "--format", "jsonl"],
    )));
    let through = held
        .iter()
        .find(|r| r["id"] == role.as_str())
        .expect("held through the group");
    assert_eq!(
        through["assignment_sources"],
        json!([{"principal_id": group, "principal_type": "group"}])
    );
    let table = ok(&cli(&app, &["users", "roles", "list", "u-0001"]));
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(&role) && l.contains(&group)),
        "{table}"
    );
    fails_with(
        &cli(&app, &["groups", "roles", "unassign", &group, &role]),
        "without --yes",
    );
    assert_eq!(
        ok(&cli(
            &app,
            &["groups", "roles", "unassign", &group, &role, "--yes"]
        ))
        .trim(),
        format!("unassigned {role} from {group}")
    );
    assert!(
        jsonl(&ok(&cli(
            &app,
            &["groups", "roles", "list", &group, "--format", "jsonl"]
        )))
        .is_empty()
    );

    // Deleted only with --yes.
    fails_with(
        &cli(&app, &["groups", "delete", &group]),
        "refusing to delete group",
    );
    assert_eq!(
        server_get(&app, &format!("/v1/organization/groups/{group}"))
            .await
            .0,
        200
    );
    assert_eq!(
        ok(&cli(&app, &["groups", "delete", &group, "--yes"])).trim(),
        format!("deleted {group}")
    );
    assert_eq!(
        server_get(&app, &format!("/v1/organization/groups/{group}"))
            .await
            .0,
        404
    );
    assert_eq!(
        ok(&cli(&app, &["groups", "list"])).lines().count(),
        1,
        "the header alone"
    );
}

async fn unknown_groups_and_bad_requests_exit_non_zero(app: TestApp) {
    app.import(&users(2)).await;
    let missing = "No such group: group_nobody (HTTP 404, request req_";
    for args in [
        &["groups", "get", "group_nobody"][..],
        &["groups", "rename", "group_nobody", "--name", "X"],
        &["groups", "delete", "group_nobody", "--yes"],
        &["groups", "users", "list", "group_nobody"],
        &["groups", "users", "add", "group_nobody", "u-0001"],
        &[
            "groups",
            "users",
            "remove",
            "group_nobody",
            "u-0001",
            "--yes",
        ],
        &["groups", "roles", "list", "group_nobody"],
        &["groups", "roles", "assign", "group_nobody", "role_x"],
        &[
            "groups",
            "roles",
            "unassign",
            "group_nobody",
            "role_x",
            "--yes",
        ],
    ] {
        fails_with(&cli(&app, args), missing);
    }
    // Another organization's group is unknown to this key.
    let group = post_group(&app, "Ours").await;
    fails_with(
        &cli_as(&app, OTHER_KEY, &["groups", "get", &group]),
        &format!("No such group: {group}"),
    );
    fails_with(
        &cli_as(&app, "sk-admin-wrong-key-0000", &["groups", "list"]),
        "Incorrect API key provided",
    );
    fails_with(
        &cli_as(&app, "", &["roles", "list"]),
        "an admin key is required",
    );
    fails_with(
        &cli(&app, &["groups", "list", "--after", "not-a-cursor"]),
        "Invalid 'after'",
    );
    fails_with(
        &cli(&app, &["groups", "create", "--name", ""]),
        "Invalid 'name'",
    );
    fails_with(
        &cli(&app, &["roles", "delete", "role_nobody", "--yes"]),
        "No such role: role_nobody",
    );
    usage_error(&cli(&app, &["groups", "list", "--limit", "0"]));
    usage_error(&cli(&app, &["roles", "list", "--order", "sideways"]));
    usage_error(&cli(&app, &["groups", "users", "add", &group]));

    // --base-url and --admin-key as options, with nothing in the environment.
    let out = orgusers()
        .args([
            "groups",
            "list",
            "--format",
            "jsonl",
            "--base-url",
            &format!("{}/v1", app.base),
            "--admin-key",
            KEY,
        ])
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_ADMIN_KEY")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(ids(&jsonl(&ok(&out))), [group]);
}

async fn list_all_follows_every_page(app: TestApp) {
    for i in 0..23 {
        post_group(&app, &format!("Group {i:02}")).await;
    }
    // The server's order (by creation, ties by id), in one page.
    let made = server_ids(&app, "/v1/organization/groups?limit=100").await;
    assert_eq!(made.len(), 23);
    let first = jsonl(&ok(&cli(
        &app,
        &["groups", "list", "--limit", "5", "--format", "jsonl"],
    )));
    assert_eq!(ids(&first), made[..5]);
    let every = jsonl(&ok(&cli(
        &app,
        &[
            "groups", "list", "--all", "--limit", "5", "--format", "jsonl",
        ],
    )));
    assert_eq!(ids(&every), made);
    let newest = jsonl(&ok(&cli(
        &app,
        &[
            "groups", "list", "--all", "--limit", "4", "--order", "desc", "--format", "jsonl",
        ],
    )));
    let mut reversed = made.clone();
    reversed.reverse();
    assert_eq!(ids(&newest), reversed);
    let json: Vec<Value> = serde_json::from_str(&ok(&cli(
        &app,
        &[
            "groups", "list", "--all", "--limit", "10", "--format", "json",
        ],
    )))
    .unwrap();
    assert_eq!(json, every);
    assert_eq!(
        ok(&cli(
            &app,
            &["groups", "list", "--all", "--limit", "6", "--format", "csv"]
        ))
        .lines()
        .count(),
        24,
        "one header row"
    );
    assert_eq!(
        ok(&cli(&app, &["groups", "list", "--all", "--limit", "7"]))
            .lines()
            .count(),
        24
    );

    // From a cursor: the page after the first.
    let (_, page) = server_get(&app, "/v1/organization/groups?limit=5").await;
    let next = page["next"].as_str().unwrap();
    let second = jsonl(&ok(&cli(
        &app,
        &[
            "groups", "list", "--limit", "5", "--after", next, "--format", "jsonl",
        ],
    )));
    assert_eq!(ids(&second), made[5..10]);

    // Members and roles page the same way.
    app.import(&users(12)).await;
    let group = &made[0];
    for i in 0..12 {
        ok(&cli(
            &app,
            &["groups", "users", "add", group, &format!("u-{i:04}")],
        ));
    }
    let members = jsonl(&ok(&cli(
        &app,
        &[
            "groups", "users", "list", group, "--all", "--limit", "5", "--order", "asc",
            "--format", "jsonl",
        ],
    )));
    let expected = server_ids(
        &app,
        &format!("/v1/organization/groups/{group}/users?limit=100&order=asc"),
    )
    .await;
    assert_eq!(expected.len(), 12);
    assert_eq!(ids(&members), expected);
    for i in 0..3 {
        let role = create_role(&app, &format!("Role {i}"));
        ok(&cli(&app, &["groups", "roles", "assign", group, &role]));
    }
    let held = jsonl(&ok(&cli(
        &app,
        &[
            "groups", "roles", "list", group, "--all", "--limit", "1", "--format", "jsonl",
        ],
    )));
    let expected = server_ids(
        &app,
        &format!("/v1/organization/groups/{group}/roles?limit=100"),
    )
    .await;
    assert_eq!(expected.len(), 3);
    assert_eq!(ids(&held), expected);
    let listed = jsonl(&ok(&cli(
        &app,
        &[
            "roles", "list", "--all", "--limit", "2", "--format", "jsonl",
        ],
    )));
    let expected = server_ids(&app, "/v1/organization/roles?limit=100").await;
    assert_eq!(
        expected.len(),
        5,
        "two predefined roles and three custom ones"
    );
    assert_eq!(ids(&listed), expected);
}
