//! Import, export and seed of the whole directory: roles, groups, memberships and assignments
//! beside users.

use std::process::Output;

use serde_json::{Value, json};

use crate::harness::*;

fn run(args: &[&str]) -> Output {
    orgusers().args(args).output().expect("run orgusers")
}

fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "orgusers {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn write_lines(store: &TestStore, name: &str, lines: &[Value]) -> String {
    let path = store.dir.path().join(name);
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn kinds(export: &str) -> Vec<String> {
    export
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["object"].as_str().unwrap().to_owned()
        })
        .collect()
}

on_fresh_stores!(
    seed_export_import_reproduces_the_directory,
    directory_lines_refer_only_to_what_precedes_them
);

async fn seed_export_import_reproduces_the_directory(store: TestStore) {
    run_ok(&[
        "seed",
        "--database",
        &store.url,
        "--count",
        "400",
        "--seed",
        "5",
    ]);
    let first = run_ok(&["export", "--database", &store.url]);
    let found = kinds(&first);
    for kind in [
        "organization.user",
        "role",
        "group",
        "group.user",
        "user.role",
        "group.role",
        "organization.project",
        "organization.project.user",
        "organization.project.service_account",
        "organization.project.api_key",
        "organization.invite",
    ] {
        assert!(found.iter().any(|k| k == kind), "a seed has {kind} lines");
    }
    // Invites of every status, after the projects they grant.
    let statuses: Vec<String> = first
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["object"] == "organization.invite")
        .map(|l| l["status"].as_str().unwrap().to_owned())
        .collect();
    for status in ["pending", "expired", "accepted"] {
        assert!(
            statuses.iter().any(|s| s == status),
            "{status} in {statuses:?}"
        );
    }
    assert!(
        found.iter().position(|k| k == "organization.invite")
            > found.iter().rposition(|k| k == "organization.project")
    );
    // Users first, then roles and groups, then what refers to them.
    let position = |kind: &str| found.iter().position(|k| k == kind).unwrap();
    assert!(
        position("role")
            > found
                .iter()
                .rposition(|k| k == "organization.user")
                .unwrap()
    );
    assert!(position("group.user") > position("group") && position("group") > position("role"));

    let copy = TestStore::fresh(match store.url.starts_with("postgres") {
        true => StoreKind::Postgres,
        false => StoreKind::Sqlite,
    })
    .await
    .unwrap();
    let file = store.dir.path().join("export.jsonl");
    std::fs::write(&file, &first).unwrap();
    let out = run(&["import", "--database", &copy.url, file.to_str().unwrap()]);
    let summary = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{summary}");
    assert!(
        summary.contains("imported 400 users") && summary.contains("4 roles"),
        "{summary}"
    );
    assert_eq!(
        run_ok(&["export", "--database", &copy.url]),
        first,
        "export, import, export: the same bytes"
    );
}

async fn directory_lines_refer_only_to_what_precedes_them(store: TestStore) {
    let lines = [
        json!({"id": "ada", "email": "ada@x.io", "role": "owner"}),
        json!({"object": "group", "id": "group_a", "name": "Team", "created_at": 1_700_000_000}),
        json!({"object": "group.user", "group_id": "group_a", "user_id": "ada"}),
        json!({"object": "group.user", "group_id": "group_a", "user_id": "bob"}),
        json!({"id": "bob", "email": "bob@x.io"}),
    ];
    let file = write_lines(&store, "late.jsonl", &lines);
    let out = run(&["import", "--database", &store.url, &file]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 4: field 'user_id': user 'bob' is defined on line 5, after this line"),
        "{err}"
    );
    // Nothing was written, users included.
    let untouched = run_ok(&["export", "--database", &store.url]);
    only_the_default_project(&untouched);

    let cases = [
        (
            json!({"object": "group.user", "group_id": "group_none", "user_id": "ada"}),
            "line 2: field 'group_id': no group 'group_none' in this organization or on an earlier line",
        ),
        (
            json!({"object": "user.role", "user_id": "ada", "role_id": "role_none"}),
            "line 2: field 'role_id': no role 'role_none' in this organization or on an earlier line",
        ),
        (
            json!({"object": "role", "name": "R", "permissions": ["api.nope"]}),
            "line 2: field 'permissions': Invalid 'permissions': unknown permission 'api.nope'",
        ),
        (
            json!({"object": "group", "name": ""}),
            "line 2: field 'name': Invalid 'name': a group name must have 1 to 255 characters.",
        ),
        (
            json!({"object": "group.role", "group": {"id": 5}, "role_id": "r"}),
            "line 2: field 'group.id': Invalid type for 'group.id': expected a string, but got an integer instead.",
        ),
    ];
    for (line, message) in cases {
        let file = write_lines(&store, "bad.jsonl", &[lines[0].clone(), line]);
        let out = run(&["import", "--database", &store.url, &file]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(message), "{err}\nexpected: {message}");
    }
    assert_eq!(run_ok(&["export", "--database", &store.url]), untouched);
}

/// The export of an organization that holds nothing but the Default project it was made with.
fn only_the_default_project(export: &str) {
    let lines: Vec<Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{export}");
    assert_eq!(
        (
            &lines[0]["object"],
            &lines[0]["name"],
            &lines[0]["is_default"]
        ),
        (
            &json!("organization.project"),
            &json!("Default project"),
            &json!(true)
        )
    );
}

on_both_stores!(imported_directories_answer_through_the_api);

async fn imported_directories_answer_through_the_api(app: TestApp) {
    let role = "role_imported000000000000001";
    app.import(&[
        user_line("ada", "ada@x.io", 10, "reader"),
        user_line("bob", "bob@x.io", 11, "owner"),
        json!({"object": "role", "id": role, "name": "Imported", "permissions": ["api.users.read"], "created_at": 1_600_000_000, "updated_at": 1_600_000_100}),
        json!({"object": "group", "id": "group_imported", "name": "Imported team", "created_at": 1_600_000_000}),
        json!({"object": "group.user", "group_id": "group_imported", "user_id": "ada", "added_at": 1_600_000_500}),
        json!({"object": "group.role", "group_id": "group_imported", "role_id": role}),
        json!({"object": "user.role", "user": {"id": "ada"}, "role": {"id": format!("role-api-organization-owner__api-organization__{}", app.org)}}),
    ])
    .await;
    let group = app.get("/v1/organization/groups/group_imported").await;
    assert_eq!(
        (
            group.body["name"].as_str(),
            group.body["created_at"].as_i64()
        ),
        (Some("Imported team"), Some(1_600_000_000))
    );
    let held = app
        .get(&format!("/v1/organization/users/ada/roles/{role}"))
        .await;
    assert_eq!(
        held.body["assignment_sources"],
        json!([{"principal_id": "group_imported", "principal_type": "group"}])
    );
    assert_eq!(
        (
            held.body["created_at"].as_i64(),
            held.body["updated_at"].as_i64()
        ),
        (Some(1_600_000_000), Some(1_600_000_100))
    );
    // A predefined role assignment line is the user's role.
    assert_eq!(
        app.get("/v1/organization/users/ada").await.body["role"],
        "owner"
    );
    // Imports write no audit events; API changes do (checked in the store's tests).
    assert_eq!(
        app.get("/v1/organization/groups/group_imported/users")
            .await
            .ids(),
        ["ada"]
    );
}

on_both_stores!(projects_export_and_import_exactly);

/// Everything that lives in projects goes out in an export and comes back whole: projects
/// (archived ones too), members, groups' access, service accounts and keys, whose secrets leave
/// only as hashes.
async fn projects_export_and_import_exactly(app: TestApp) {
    const PROJECTS: &str = "/v1/organization/projects";
    app.import(&users(3)).await;
    let p = app.post(PROJECTS, r#"{"name":"Search"}"#).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let q = app.post(PROJECTS, r#"{"name":"Old"}"#).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (project, user) in [(&p, "u-0001"), (&q, "u-0002")] {
        let body = json!({"user_id": user, "role": "owner"}).to_string();
        let added = app
            .post(&format!("{PROJECTS}/{project}/users"), &body)
            .await;
        assert_eq!(added.status, 200, "{}", added.body);
    }
    let account = app
        .post(
            &format!("{PROJECTS}/{p}/service_accounts"),
            r#"{"name":"CI"}"#,
        )
        .await;
    assert_eq!(account.status, 200, "{}", account.body);
    let secret = account.body["api_key"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("{PROJECTS}/{p}/service_accounts"),
        r#"{"name":"Keyless","create_service_account_only":true}"#,
    )
    .await;
    let group = app
        .post("/v1/organization/groups", r#"{"name":"Team"}"#)
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let role = format!("role-api-project-member__api-project__{p}");
    let granted = app
        .post(
            &format!("{PROJECTS}/{p}/groups"),
            &json!({"group_id": group, "role": role}).to_string(),
        )
        .await;
    assert_eq!(granted.status, 200, "{}", granted.body);
    // A key a user owns comes only from an import.
    let user_key_hash = "ab".repeat(32);
    app.import(&[json!({
        "object": "organization.project.api_key", "project_id": p, "id": "key_user1",
        "name": "Laptop", "redacted_value": "sk-proj-...wxyz", "created_at": 1_700_000_500,
        "last_used_at": null, "owner": {"type": "user", "user": {"id": "u-0001"}},
        "value_sha256": user_key_hash,
    })])
    .await;
    app.post(&format!("{PROJECTS}/{q}/archive"), "").await;

    let first = run_ok(&["export", "--database", &app.test_store.url]);
    assert!(!first.contains(&secret), "secrets never leave");
    let found = kinds(&first);
    for kind in [
        "organization.project",
        "organization.project.user",
        "project.group",
        "organization.project.service_account",
        "organization.project.api_key",
    ] {
        assert!(found.iter().any(|k| k == kind), "{kind} in {found:?}");
    }
    let lines: Vec<Value> = first
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let keys: Vec<&Value> = lines
        .iter()
        .filter(|l| l["object"] == "organization.project.api_key")
        .collect();
    let digest = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(secret.as_bytes()))
    };
    let hashes: Vec<&str> = keys
        .iter()
        .map(|k| k["value_sha256"].as_str().unwrap())
        .collect();
    assert!(hashes.contains(&digest.as_str()), "{hashes:?}");
    assert!(hashes.contains(&user_key_hash.as_str()), "{hashes:?}");

    let copy = TestStore::fresh(kind_of_url(&app.test_store.url))
        .await
        .unwrap();
    let file = write_lines(&copy, "export.jsonl", &lines);
    let out = run(&["import", "--database", &copy.url, &file]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        run_ok(&["export", "--database", &copy.url]),
        first,
        "export, import, export: the same bytes"
    );

    // Lines that refer to nothing are refused by line and field.
    let cases = [
        (
            json!({"object": "organization.project.service_account", "project_id": "proj_none", "name": "x", "role": "member"}),
            "field 'project_id': no project 'proj_none'",
        ),
        (
            json!({"object": "organization.project.api_key", "project_id": p, "name": "k", "redacted_value": "sk-...abcd", "owner": {"type": "service_account", "service_account": {"id": "svc_acct_none"}}}),
            "field 'owner.service_account.id': no service account of this project 'svc_acct_none'",
        ),
        (
            json!({"object": "organization.project.api_key", "project_id": p, "name": "k", "redacted_value": "sk-...abcd", "owner": {"type": "user", "user": {"id": "u-0001"}}, "value_sha256": "xyz"}),
            "field 'value_sha256': Invalid 'value_sha256': expected 64 hexadecimal digits (a SHA-256).",
        ),
        (
            json!({"object": "project.group", "project_id": p, "group_id": group, "role": "owner"}),
            "field 'role': '",
        ),
    ];
    for (line, message) in cases {
        let file = write_lines(&copy, "bad.jsonl", &[line]);
        let out = run(&["import", "--database", &copy.url, &file]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(message), "{err}\nexpected: {message}");
    }
}

on_both_stores!(invites_export_and_import_exactly);

/// Invites of every status go out in an export, in their API shape, and come back whole.
async fn invites_export_and_import_exactly(app: TestApp) {
    const INVITES: &str = "/v1/organization/invites";
    app.import(&users(2)).await;
    let project = app
        .post("/v1/organization/projects", r#"{"name":"Search"}"#)
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let old = app
        .post("/v1/organization/projects", r#"{"name":"Old"}"#)
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let send = |body: Value| {
        let app = &app;
        async move {
            let r = app.post(INVITES, &body.to_string()).await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.body["id"].as_str().unwrap().to_owned()
        }
    };
    send(json!({"email": "Pending@x.io", "role": "reader"})).await;
    send(json!({"email": "none@x.io", "role": "owner", "projects": []})).await;
    send(json!({"email": "two@x.io", "role": "reader", "projects": [
        {"id": old, "role": "member"}, {"id": project, "role": "owner"}]}))
    .await;
    let accepted = send(json!({"email": "joined@x.io", "role": "reader"})).await;
    let joined = app
        .post(&format!("/_orgusers/invites/{accepted}/accept"), "")
        .await;
    assert_eq!(joined.status, 200, "{}", joined.body);
    let gone = send(json!({"email": "gone@x.io", "role": "reader"})).await;
    assert_eq!(app.delete(&format!("{INVITES}/{gone}")).await.status, 200);
    app.post(&format!("/v1/organization/projects/{old}/archive"), "")
        .await;
    // An expired invite, as an import gives it: sent long ago, its expiry following.
    app.import(
        &[json!({"object": "organization.invite", "id": "invite-old",
                        "email": "late@x.io", "role": "reader", "created_at": 1_600_000_000,
                        "projects": [{"id": project, "role": "member"}]})],
    )
    .await;
    let expired = app.get(&format!("{INVITES}/invite-old")).await.body;
    assert_eq!(
        (&expired["status"], &expired["expires_at"]),
        (&json!("expired"), &json!(1_600_000_000 + 7 * 86_400))
    );

    let first = run_ok(&["export", "--database", &app.test_store.url]);
    let lines: Vec<Value> = first
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let invites: Vec<&Value> = lines
        .iter()
        .filter(|l| l["object"] == "organization.invite")
        .collect();
    let listed = app.get(INVITES).await.body["data"].clone();
    assert_eq!(json!(invites), listed, "export lines are the API's invites");
    let mut statuses: Vec<&str> = invites
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses[0], "expired", "the oldest first");
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        ["accepted", "expired", "pending", "pending", "pending"]
    );

    let copy = TestStore::fresh(kind_of_url(&app.test_store.url))
        .await
        .unwrap();
    let file = write_lines(&copy, "export.jsonl", &lines);
    let out = run(&["import", "--database", &copy.url, &file]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        run_ok(&["export", "--database", &copy.url]),
        first,
        "export, import, export: the same bytes"
    );

    let cases = [
        (
            json!({"object": "organization.invite", "email": "a@x.io", "role": "reader", "status": "accepted"}),
            "field 'accepted_at': Invalid 'accepted_at': an accepted invite needs its accepted_at (Unix seconds).",
        ),
        (
            json!({"object": "organization.invite", "email": "a@x.io", "role": "reader", "status": "pending", "accepted_at": 5}),
            "field 'status': Invalid 'status': an invite with an accepted_at has status 'accepted'.",
        ),
        (
            json!({"object": "organization.invite", "email": "nope", "role": "reader"}),
            "field 'email': Invalid 'email': \"nope\" is not an email address.",
        ),
        (
            json!({"object": "organization.invite", "email": "a@x.io", "role": "member"}),
            "field 'role': Invalid 'role': expected one of 'owner' or 'reader', but got 'member' instead.",
        ),
        (
            json!({"object": "organization.invite", "email": "a@x.io", "role": "reader", "projects": [{"id": "proj_none", "role": "member"}]}),
            "field 'projects': no project 'proj_none' in this organization or on an earlier line",
        ),
        (
            json!({"object": "organization.invite", "email": "a@x.io", "role": "reader", "projects": [{"id": project, "role": "admin"}]}),
            "field 'projects[0].role': Invalid 'projects[0].role'",
        ),
    ];
    for (line, message) in cases {
        let file = write_lines(&copy, "bad.jsonl", &[line]);
        let out = run(&["import", "--database", &copy.url, &file]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(message), "{err}\nexpected: {message}");
    }
}

fn kind_of_url(url: &str) -> StoreKind {
    if url.starts_with("postgres") {
        StoreKind::Postgres
    } else {
        StoreKind::Sqlite
    }
}
