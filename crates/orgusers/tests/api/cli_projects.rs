//! `orgusers projects …` against a running server: projects, their users, service accounts, API
//! keys and groups; the formats, paging, confirmations, errors and exit codes.

use serde_json::{Value, json};

use crate::cli_directory::{
    cli, cli_as, fails_with, ids, jsonl, ok, ok_json, post_group, server_get, server_ids,
    usage_error,
};
use crate::harness::*;

on_both_stores!(
    projects_are_listed_created_renamed_and_archived,
    project_users_are_added_changed_and_removed,
    service_accounts_and_their_keys,
    project_groups_are_granted_listed_paged_and_revoked,
    list_all_follows_every_first_last_page,
    unknown_projects_and_bad_requests_exit_non_zero
);

/// Creates a project through the API, without the CLI; returns its id.
async fn post_project(app: &TestApp, name: &str) -> String {
    let reply = app
        .post(
            "/v1/organization/projects",
            &json!({"name": name}).to_string(),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

/// Creates a service account with its first key through the API; returns the account's id.
async fn post_service_account(app: &TestApp, project: &str, name: &str) -> String {
    let reply = app
        .post(
            &format!("/v1/organization/projects/{project}/service_accounts"),
            &json!({"name": name}).to_string(),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

/// The id of the organization's `Default project`, as the CLI lists it.
fn default_project(app: &TestApp) -> String {
    let projects = jsonl(&ok(&cli(app, &["projects", "list", "--format", "jsonl"])));
    let default = projects
        .iter()
        .find(|p| p["name"] == "Default project")
        .unwrap_or_else(|| panic!("a Default project in {projects:?}"));
    default["id"].as_str().unwrap().to_owned()
}

/// The `data` of the page the server answers to `GET path`.
async fn server_data(app: &TestApp, path: &str) -> Vec<Value> {
    let (status, page) = server_get(app, path).await;
    assert_eq!(status, 200, "{page}");
    page["data"].as_array().unwrap().clone()
}

async fn projects_are_listed_created_renamed_and_archived(app: TestApp) {
    // Every organization starts with its Default project.
    let table = ok(&cli(&app, &["projects", "list"]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    assert!(
        lines[0].starts_with("ID ") && lines[0].contains("STATUS") && lines[0].ends_with("NAME"),
        "{table}"
    );
    assert!(
        lines[1].starts_with("proj_")
            && lines[1].contains(" active ")
            && lines[1].ends_with("Default project"),
        "{table}"
    );
    let default = default_project(&app);

    let created = ok_json(&cli(&app, &["projects", "create", "--name", "Billing"]));
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("proj_") && id.len() == 29, "{created}");
    assert_eq!(
        (created["name"].as_str(), created["status"].as_str()),
        (Some("Billing"), Some("active"))
    );
    assert_eq!(created["archived_at"], Value::Null);
    let text = ok(&cli(&app, &["projects", "get", &id]));
    assert!(text.contains("\n  \"id\": \""), "indented JSON: {text}");
    let shown: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        shown,
        server_get(&app, &format!("/v1/organization/projects/{id}"))
            .await
            .1
    );
    assert_eq!(shown, created);
    let renamed = ok_json(&cli(
        &app,
        &["projects", "rename", &id, "--name", "Invoices"],
    ));
    assert_eq!(
        (renamed["id"].as_str(), renamed["name"].as_str()),
        (Some(id.as_str()), Some("Invoices"))
    );

    // Every format, oldest first.
    let all = jsonl(&ok(&cli(&app, &["projects", "list", "--format", "jsonl"])));
    // In the server's order (ties in the same second by id).
    let mut listed = ids(&all);
    listed.sort();
    let mut both = [default.clone(), id.clone()];
    both.sort();
    assert_eq!(listed, both);
    assert_eq!(all, server_data(&app, "/v1/organization/projects").await);
    let json: Vec<Value> =
        serde_json::from_str(&ok(&cli(&app, &["projects", "list", "--format", "json"]))).unwrap();
    assert_eq!(json, all);
    let csv = ok(&cli(&app, &["projects", "list", "--format", "csv"]));
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "id,name,status,created_at,archived_at,external_key_id"
    );
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(
        rows.contains(&format!("{id},Invoices,active,{},,", created["created_at"]).as_str()),
        "{csv}"
    );
    let one = ok(&cli(&app, &["projects", "get", &id, "--format", "csv"]));
    assert_eq!(one.lines().count(), 2);

    // Archived only with --yes; then read but left out of lists unless asked for.
    fails_with(
        &cli(&app, &["projects", "archive", &id]),
        "refusing to archive project",
    );
    assert_eq!(
        server_get(&app, &format!("/v1/organization/projects/{id}"))
            .await
            .1["status"],
        "active"
    );
    assert_eq!(
        ok(&cli(&app, &["projects", "archive", &id, "--yes"])).trim(),
        format!("archived {id}")
    );
    let shown = ok_json(&cli(&app, &["projects", "get", &id]));
    assert_eq!(shown["status"], "archived");
    assert!(shown["archived_at"].is_i64(), "{shown}");
    let active = jsonl(&ok(&cli(&app, &["projects", "list", "--format", "jsonl"])));
    assert_eq!(ids(&active), [default.as_str()]);
    let every = jsonl(&ok(&cli(
        &app,
        &[
            "projects",
            "list",
            "--include-archived",
            "--format",
            "jsonl",
        ],
    )));
    assert_eq!(ids(&every), ids(&all));
    assert!(every.contains(&shown), "{every:?}");
    // Archiving again changes nothing; an archived project refuses changes.
    assert_eq!(
        ok(&cli(&app, &["projects", "archive", &id, "--yes"])).trim(),
        format!("archived {id}")
    );
    fails_with(
        &cli(&app, &["projects", "rename", &id, "--name", "Again"]),
        "is archived",
    );
    fails_with(
        &cli(&app, &["projects", "archive", &default, "--yes"]),
        "The Default project cannot be archived. (HTTP 400, request req_",
    );
    usage_error(&cli(&app, &["projects", "create"]));
    usage_error(&cli(&app, &["projects", "rename", &id]));
}

async fn project_users_are_added_changed_and_removed(app: TestApp) {
    app.import(&users(4)).await;
    // Imported users are members of the Default project: owners as owner, readers as member.
    let default = default_project(&app);
    let members = jsonl(&ok(&cli(
        &app,
        &["projects", "users", "list", &default, "--format", "jsonl"],
    )));
    assert_eq!(ids(&members), ["u-0000", "u-0001", "u-0002", "u-0003"]);
    assert_eq!(
        (members[0]["role"].as_str(), members[1]["role"].as_str()),
        (Some("owner"), Some("member"))
    );

    let project = post_project(&app, "Billing").await;
    assert_eq!(
        ok(&cli(&app, &["projects", "users", "list", &project]))
            .lines()
            .count(),
        1,
        "the header alone"
    );
    // By id, and by email.
    assert_eq!(
        ok(&cli(
            &app,
            &[
                "projects", "users", "add", &project, "u-0001", "--role", "member"
            ]
        ))
        .trim(),
        format!("added u-0001 (user1@example.com) to {project} as member")
    );
    assert_eq!(
        ok(&cli(
            &app,
            &[
                "projects",
                "users",
                "add",
                &project,
                "user2@example.com",
                "--role",
                "owner"
            ]
        ))
        .trim(),
        format!("added u-0002 (user2@example.com) to {project} as owner")
    );
    let path = format!("/v1/organization/projects/{project}/users");
    let listed = jsonl(&ok(&cli(
        &app,
        &["projects", "users", "list", &project, "--format", "jsonl"],
    )));
    assert_eq!(ids(&listed), ["u-0001", "u-0002"]);
    assert_eq!(listed, server_data(&app, &path).await);
    let table = ok(&cli(&app, &["projects", "users", "list", &project]));
    let header = table.lines().next().unwrap();
    assert!(
        header.starts_with("ID ") && header.contains("EMAIL") && header.contains("ROLE"),
        "{table}"
    );
    let line = table.lines().find(|l| l.starts_with("u-0002 ")).unwrap();
    assert!(
        line.contains("user2@example.com") && line.contains(" owner "),
        "{table}"
    );
    let csv = ok(&cli(
        &app,
        &["projects", "users", "list", &project, "--format", "csv"],
    ));
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "id,email,name,role,added_at");
    assert!(
        rows[1].starts_with("u-0001,user1@example.com,Name of u-0001,member,"),
        "{csv}"
    );
    let shown = ok_json(&cli(
        &app,
        &["projects", "users", "get", &project, "u-0001"],
    ));
    assert_eq!(shown, server_get(&app, &format!("{path}/u-0001")).await.1);
    assert_eq!(shown["object"], "organization.project.user");

    let changed = ok_json(&cli(
        &app,
        &[
            "projects", "users", "update", &project, "u-0001", "--role", "owner",
        ],
    ));
    assert_eq!(
        (changed["id"].as_str(), changed["role"].as_str()),
        (Some("u-0001"), Some("owner"))
    );
    usage_error(&cli(
        &app,
        &["projects", "users", "update", &project, "u-0001"],
    ));

    fails_with(
        &cli(&app, &["projects", "users", "remove", &project, "u-0001"]),
        "refusing to remove user u-0001 from project",
    );
    assert_eq!(server_get(&app, &format!("{path}/u-0001")).await.0, 200);
    assert_eq!(
        ok(&cli(
            &app,
            &["projects", "users", "remove", &project, "u-0001", "--yes"]
        ))
        .trim(),
        format!("removed u-0001 from {project}")
    );
    assert_eq!(server_get(&app, &format!("{path}/u-0001")).await.0, 404);
    fails_with(
        &cli(&app, &["projects", "users", "get", &project, "u-0001"]),
        "No such user: u-0001 (HTTP 404, request req_",
    );
    // The server's refusals: a member already, no user of the organization.
    fails_with(
        &cli(
            &app,
            &[
                "projects", "users", "add", &project, "u-0002", "--role", "member",
            ],
        ),
        "(HTTP 400, request req_",
    );
    fails_with(
        &cli(
            &app,
            &[
                "projects",
                "users",
                "add",
                &project,
                "user-nobody",
                "--role",
                "member",
            ],
        ),
        "(HTTP 400, request req_",
    );
    fails_with(
        &cli(
            &app,
            &[
                "projects",
                "users",
                "add",
                &project,
                "nobody@example.com",
                "--role",
                "member",
            ],
        ),
        "(HTTP 400, request req_",
    );
    usage_error(&cli(
        &app,
        &["projects", "users", "add", &project, "u-0003"],
    ));
    usage_error(&cli(
        &app,
        &[
            "projects", "users", "add", &project, "u-0003", "--role", "reader",
        ],
    ));
}

/// `sk-svcacct-` and 48 more characters.
fn is_service_account_secret(value: &str) -> bool {
    value.len() == 59
        && value
            .strip_prefix("sk-svcacct-")
            .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_alphanumeric()))
}

async fn service_accounts_and_their_keys(app: TestApp) {
    let project = post_project(&app, "Deployments").await;

    // The table: a line about the account and its key, then the secret alone, once.
    let out = ok(&cli(
        &app,
        &[
            "projects",
            "service-accounts",
            "create",
            &project,
            "--name",
            "Deployer",
        ],
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("created service account svc_acct_")
            && lines[0].contains(&format!(" (Deployer, member) in {project} with key key_")),
        "{out}"
    );
    let secret = lines[1];
    assert!(is_service_account_secret(secret), "{out}");
    assert_eq!(out.matches(secret).count(), 1);
    let account = lines[0]
        .strip_prefix("created service account ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap()
        .to_owned();
    // Its key is listed, redacted.
    let keys = jsonl(&ok(&cli(
        &app,
        &["projects", "keys", "list", &project, "--format", "jsonl"],
    )));
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0]["owner"]["type"], "service_account");
    assert_eq!(keys[0]["owner"]["service_account"]["id"], account.as_str());
    assert_eq!(
        keys[0]["redacted_value"],
        format!("sk-svcacct-...{}", &secret[secret.len() - 4..])
    );
    let key_id = keys[0]["id"].as_str().unwrap().to_owned();
    assert!(
        lines[0].ends_with(&format!("with key {key_id} (Secret key)")),
        "{out}"
    );
    let listed = ok(&cli(&app, &["projects", "keys", "list", &project]));
    assert!(!listed.contains(secret), "never the secret: {listed}");
    assert!(
        listed
            .lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("{key_id}  sk-svcacct-...")),
        "{listed}"
    );

    // JSON, JSON Lines and CSV carry the secret too: the answer as the API sent it.
    let created = ok_json(&cli(
        &app,
        &[
            "projects",
            "service-accounts",
            "create",
            &project,
            "--name",
            "Builder",
            "--format",
            "json",
        ],
    ));
    assert_eq!(created["role"], "member");
    assert!(is_service_account_secret(
        created["api_key"]["value"].as_str().unwrap()
    ));
    let line = jsonl(&ok(&cli(
        &app,
        &[
            "projects",
            "service-accounts",
            "create",
            &project,
            "--name",
            "Tester",
            "--format",
            "jsonl",
        ],
    )));
    assert_eq!(line.len(), 1);
    assert!(is_service_account_secret(
        line[0]["api_key"]["value"].as_str().unwrap()
    ));
    let csv = ok(&cli(
        &app,
        &[
            "projects",
            "service-accounts",
            "create",
            &project,
            "--name",
            "Reporter",
            "--format",
            "csv",
        ],
    ));
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "id,name,role,created_at,api_key_id,api_key_name,api_key_value"
    );
    let fields: Vec<&str> = rows[1].split(',').collect();
    assert_eq!(
        (fields[1], fields[2], fields[5]),
        ("Reporter", "member", "Secret key")
    );
    assert!(is_service_account_secret(fields[6]), "{csv}");

    // Without a key: the role none, and nothing secret.
    let bare = ok(&cli(
        &app,
        &[
            "projects",
            "service-accounts",
            "create",
            &project,
            "--name",
            "Robot",
            "--without-key",
        ],
    ));
    assert_eq!(bare.lines().count(), 1, "{bare}");
    assert!(
        bare.starts_with("created service account svc_acct_")
            && bare
                .trim_end()
                .ends_with(&format!("(Robot, none) in {project} without a key")),
        "{bare}"
    );
    let bare_json = ok_json(&cli(
        &app,
        &[
            "projects",
            "service-accounts",
            "create",
            &project,
            "--name",
            "Robot 2",
            "--without-key",
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        (bare_json["role"].as_str(), &bare_json["api_key"]),
        (Some("none"), &Value::Null)
    );

    // Listed, shown, changed.
    let path = format!("/v1/organization/projects/{project}/service_accounts");
    let accounts = jsonl(&ok(&cli(
        &app,
        &[
            "projects",
            "service-accounts",
            "list",
            &project,
            "--format",
            "jsonl",
        ],
    )));
    assert_eq!(accounts.len(), 6);
    assert_eq!(accounts, server_data(&app, &path).await);
    assert!(accounts.iter().any(|a| a["id"] == account.as_str()));
    let table = ok(&cli(
        &app,
        &["projects", "service-accounts", "list", &project],
    ));
    assert!(
        table
            .lines()
            .any(|line| line.starts_with(&format!("{account}  member"))),
        "{table}"
    );
    let csv = ok(&cli(
        &app,
        &[
            "projects",
            "service-accounts",
            "list",
            &project,
            "--format",
            "csv",
        ],
    ));
    assert_eq!(csv.lines().next(), Some("id,name,role,created_at"));
    let shown = ok_json(&cli(
        &app,
        &["projects", "service-accounts", "get", &project, &account],
    ));
    assert_eq!(
        shown,
        server_get(&app, &format!("{path}/{account}")).await.1
    );
    let changed = ok_json(&cli(
        &app,
        &[
            "projects",
            "service-accounts",
            "update",
            &project,
            &account,
            "--name",
            "Release bot",
            "--role",
            "owner",
        ],
    ));
    assert_eq!(
        (changed["name"].as_str(), changed["role"].as_str()),
        (Some("Release bot"), Some("owner"))
    );
    fails_with(
        &cli(
            &app,
            &["projects", "service-accounts", "update", &project, &account],
        ),
        "nothing to change",
    );

    // Another key, in each of its formats.
    let out = ok(&cli(
        &app,
        &[
            "projects",
            "service-accounts",
            "create-key",
            &project,
            &account,
            "--name",
            "CI",
        ],
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("created key key_")
            && lines[0].ends_with(&format!(" (CI) for service account {account}")),
        "{out}"
    );
    assert!(is_service_account_secret(lines[1]), "{out}");
    assert_ne!(lines[1], secret);
    let second_key = lines[0]
        .strip_prefix("created key ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap()
        .to_owned();
    let key_json = ok_json(&cli(
        &app,
        &[
            "projects",
            "service-accounts",
            "create-key",
            &project,
            &account,
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        key_json["object"],
        "organization.project.service_account.api_key"
    );
    assert_eq!(key_json["name"], "Secret key");
    assert!(is_service_account_secret(
        key_json["value"].as_str().unwrap()
    ));
    let key_csv = ok(&cli(
        &app,
        &[
            "projects",
            "service-accounts",
            "create-key",
            &project,
            &account,
            "--name",
            "Nightly",
            "--format",
            "csv",
        ],
    ));
    let rows: Vec<&str> = key_csv.lines().collect();
    assert_eq!(rows[0], "id,name,created_at,value");
    assert!(
        rows[1].starts_with("key_") && rows[1].contains(",Nightly,"),
        "{key_csv}"
    );
    assert!(is_service_account_secret(
        rows[1].rsplit(',').next().unwrap()
    ));

    // Keys: shown redacted, filtered, deleted with --yes.
    let keys_path = format!("/v1/organization/projects/{project}/api_keys");
    let shown = ok_json(&cli(
        &app,
        &["projects", "keys", "get", &project, &second_key],
    ));
    assert_eq!(
        shown,
        server_get(&app, &format!("{keys_path}/{second_key}"))
            .await
            .1
    );
    assert_eq!(shown["name"], "CI");
    assert!(shown.get("value").is_none(), "{shown}");
    let any = jsonl(&ok(&cli(
        &app,
        &[
            "projects",
            "keys",
            "list",
            &project,
            "--owner-access",
            "any",
            "--format",
            "jsonl",
        ],
    )));
    assert_eq!(any.len(), 7, "four accounts' first keys and three more");
    let csv = ok(&cli(
        &app,
        &["projects", "keys", "list", &project, "--format", "csv"],
    ));
    assert_eq!(
        csv.lines().next(),
        Some(
            "id,name,redacted_value,created_at,last_used_at,owner_project_access,owner_type,owner_id"
        )
    );
    assert!(
        csv.lines().any(
            |row| row.starts_with(&format!("{second_key},CI,sk-svcacct-..."))
                && row.ends_with(&format!(",active,service_account,{account}"))
        ),
        "{csv}"
    );
    fails_with(
        &cli(&app, &["projects", "keys", "delete", &project, &second_key]),
        "refusing to delete API key",
    );
    assert_eq!(
        ok(&cli(
            &app,
            &["projects", "keys", "delete", &project, &second_key, "--yes"]
        ))
        .trim(),
        format!("deleted {second_key}")
    );
    fails_with(
        &cli(&app, &["projects", "keys", "get", &project, &second_key]),
        &format!("No such API key: {second_key} (HTTP 404, request req_"),
    );

    // Deleting the account deletes its keys.
    fails_with(
        &cli(
            &app,
            &["projects", "service-accounts", "delete", &project, &account],
        ),
        "refusing to delete service account",
    );
    assert_eq!(
        ok(&cli(
            &app,
            &[
                "projects",
                "service-accounts",
                "delete",
                &project,
                &account,
                "--yes"
            ]
        ))
        .trim(),
        format!("deleted {account}")
    );
    fails_with(
        &cli(
            &app,
            &["projects", "service-accounts", "get", &project, &account],
        ),
        &format!("No such service account: {account}"),
    );
    let left = jsonl(&ok(&cli(
        &app,
        &[
            "projects",
            "keys",
            "list",
            &project,
            "--owner-access",
            "any",
            "--format",
            "jsonl",
        ],
    )));
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(
        left.iter()
            .all(|key| key["owner"]["service_account"]["id"] != account.as_str()),
        "{left:?}"
    );
    usage_error(&cli(
        &app,
        &[
            "projects",
            "keys",
            "list",
            &project,
            "--owner-access",
            "sometimes",
        ],
    ));
    usage_error(&cli(
        &app,
        &["projects", "service-accounts", "create", &project],
    ));
}

async fn project_groups_are_granted_listed_paged_and_revoked(app: TestApp) {
    let project = post_project(&app, "Support desk").await;
    let group = post_group(&app, "Support").await;
    let member_role = format!("role-api-project-member__api-project__{project}");
    assert_eq!(
        ok(&cli(
            &app,
            &[
                "projects", "groups", "add", &project, &group, "--role", "member"
            ]
        ))
        .trim(),
        format!("added {group} (Support) to {project} as {member_role}")
    );
    // Granting again answers as the first time and changes nothing.
    ok(&cli(
        &app,
        &[
            "projects",
            "groups",
            "add",
            &project,
            &group,
            "--role",
            &member_role,
        ],
    ));
    let path = format!("/v1/organization/projects/{project}/groups");
    let listed = jsonl(&ok(&cli(
        &app,
        &["projects", "groups", "list", &project, "--format", "jsonl"],
    )));
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0]["group_id"].as_str(),
            listed[0]["project_id"].as_str()
        ),
        (Some(group.as_str()), Some(project.as_str()))
    );
    assert_eq!(listed, server_data(&app, &path).await);
    let table = ok(&cli(&app, &["projects", "groups", "list", &project]));
    assert!(
        table.lines().next().unwrap().starts_with("GROUP ")
            && table
                .lines()
                .nth(1)
                .unwrap()
                .starts_with(&format!("{group}  "))
            && table.contains("Support"),
        "{table}"
    );
    let csv = ok(&cli(
        &app,
        &["projects", "groups", "list", &project, "--format", "csv"],
    ));
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "project_id,group_id,group_name,group_type,created_at"
    );
    assert!(
        rows[1].starts_with(&format!("{project},{group},Support,group,")),
        "{csv}"
    );
    let shown = ok_json(&cli(&app, &["projects", "groups", "get", &project, &group]));
    assert_eq!(shown, server_get(&app, &format!("{path}/{group}")).await.1);
    assert_eq!(shown, listed[0]);

    fails_with(
        &cli(
            &app,
            &[
                "projects",
                "groups",
                "add",
                &project,
                &group,
                "--role",
                "role_nobody",
            ],
        ),
        "(HTTP 400, request req_",
    );
    fails_with(
        &cli(&app, &["projects", "groups", "remove", &project, &group]),
        "refusing to remove group",
    );
    assert_eq!(
        ok(&cli(
            &app,
            &["projects", "groups", "remove", &project, &group, "--yes"]
        ))
        .trim(),
        format!("removed {group} from {project}")
    );
    assert!(server_data(&app, &path).await.is_empty());
    fails_with(
        &cli(&app, &["projects", "groups", "get", &project, &group]),
        &format!("No such group: {group}"),
    );
    // The group itself stays.
    assert_eq!(
        server_get(&app, &format!("/v1/organization/groups/{group}"))
            .await
            .0,
        200
    );
    usage_error(&cli(
        &app,
        &["projects", "groups", "list", &project, "--limit", "101"],
    ));
    usage_error(&cli(&app, &["projects", "groups", "add", &project, &group]));
    fails_with(
        &cli(&app, &["projects", "groups", "list", "proj_nobody"]),
        "No such project: proj_nobody (HTTP 404, request req_",
    );
    fails_with(
        &cli(
            &app,
            &["projects", "groups", "get", &project, "group_nobody"],
        ),
        "No such group: group_nobody",
    );

    // Every page, following the cursor, either way.
    for i in 0..5 {
        let group = post_group(&app, &format!("Group {i}")).await;
        ok(&cli(
            &app,
            &[
                "projects", "groups", "add", &project, &group, "--role", "owner",
            ],
        ));
    }
    let groups = jsonl(&ok(&cli(
        &app,
        &[
            "projects", "groups", "list", &project, "--all", "--limit", "2", "--format", "jsonl",
        ],
    )));
    let expected: Vec<Value> = app
        .walk_next(&format!("/v1/organization/projects/{project}/groups"), 100)
        .await;
    assert_eq!(expected.len(), 5);
    assert_eq!(groups, expected);
    let newest = jsonl(&ok(&cli(
        &app,
        &[
            "projects", "groups", "list", &project, "--all", "--limit", "2", "--order", "desc",
            "--format", "jsonl",
        ],
    )));
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(newest, reversed);
}

async fn list_all_follows_every_first_last_page(app: TestApp) {
    for i in 0..22 {
        post_project(&app, &format!("Project {i:02}")).await;
    }
    // The server's order (oldest first, ties by id), in one page. The Default project, made with
    // the organization, may share its second with the others and sort anywhere among them.
    let made = server_ids(&app, "/v1/organization/projects?limit=100").await;
    assert_eq!(made.len(), 23);
    let listed = app.get("/v1/organization/projects?limit=100").await;
    let default_id = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Default project")
        .and_then(|p| p["id"].as_str())
        .unwrap()
        .to_owned();
    let first = jsonl(&ok(&cli(
        &app,
        &["projects", "list", "--limit", "5", "--format", "jsonl"],
    )));
    assert_eq!(ids(&first), made[..5]);
    let every = jsonl(&ok(&cli(
        &app,
        &[
            "projects", "list", "--all", "--limit", "5", "--format", "jsonl",
        ],
    )));
    assert_eq!(ids(&every), made);
    let json: Vec<Value> = serde_json::from_str(&ok(&cli(
        &app,
        &[
            "projects", "list", "--all", "--limit", "10", "--format", "json",
        ],
    )))
    .unwrap();
    assert_eq!(json, every);
    assert_eq!(
        ok(&cli(
            &app,
            &[
                "projects", "list", "--all", "--limit", "6", "--format", "csv"
            ]
        ))
        .lines()
        .count(),
        24,
        "one header row"
    );
    assert_eq!(
        ok(&cli(&app, &["projects", "list", "--all", "--limit", "7"]))
            .lines()
            .count(),
        24
    );
    // From an id: the page after it.
    let second = jsonl(&ok(&cli(
        &app,
        &[
            "projects", "list", "--limit", "5", "--after", &made[4], "--format", "jsonl",
        ],
    )));
    assert_eq!(ids(&second), made[5..10]);
    // Archived projects only with --include-archived (the Default project cannot be).
    let archived: Vec<String> = made
        .iter()
        .filter(|id| **id != default_id)
        .rev()
        .take(3)
        .cloned()
        .collect();
    let still_active: Vec<String> = made
        .iter()
        .filter(|id| !archived.contains(id))
        .cloned()
        .collect();
    for archived in &archived {
        let reply = app
            .post(&format!("/v1/organization/projects/{archived}/archive"), "")
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let active = jsonl(&ok(&cli(
        &app,
        &[
            "projects", "list", "--all", "--limit", "4", "--format", "jsonl",
        ],
    )));
    assert_eq!(ids(&active), still_active);
    let with_archived = jsonl(&ok(&cli(
        &app,
        &[
            "projects",
            "list",
            "--all",
            "--limit",
            "4",
            "--include-archived",
            "--format",
            "jsonl",
        ],
    )));
    assert_eq!(ids(&with_archived), made);

    // Users, service accounts and keys of a project page the same way.
    app.import(&users(12)).await;
    let default = &default_id;
    let members = jsonl(&ok(&cli(
        &app,
        &[
            "projects", "users", "list", default, "--all", "--limit", "5", "--format", "jsonl",
        ],
    )));
    let expected = server_ids(
        &app,
        &format!("/v1/organization/projects/{default}/users?limit=100"),
    )
    .await;
    assert_eq!(expected.len(), 12);
    assert_eq!(ids(&members), expected);
    let project = &made[1];
    for i in 0..7 {
        post_service_account(&app, project, &format!("Account {i}")).await;
    }
    let accounts = jsonl(&ok(&cli(
        &app,
        &[
            "projects",
            "service-accounts",
            "list",
            project,
            "--all",
            "--limit",
            "3",
            "--format",
            "jsonl",
        ],
    )));
    let expected = server_ids(
        &app,
        &format!("/v1/organization/projects/{project}/service_accounts?limit=100"),
    )
    .await;
    assert_eq!(expected.len(), 7);
    assert_eq!(ids(&accounts), expected);
    let keys = jsonl(&ok(&cli(
        &app,
        &[
            "projects", "keys", "list", project, "--all", "--limit", "2", "--format", "jsonl",
        ],
    )));
    let expected = server_ids(
        &app,
        &format!("/v1/organization/projects/{project}/api_keys?limit=100"),
    )
    .await;
    assert_eq!(expected.len(), 7);
    assert_eq!(ids(&keys), expected);
}

async fn unknown_projects_and_bad_requests_exit_non_zero(app: TestApp) {
    app.import(&users(2)).await;
    let missing = "No such project: proj_nobody (HTTP 404, request req_";
    for args in [
        &["projects", "get", "proj_nobody"][..],
        &["projects", "rename", "proj_nobody", "--name", "X"],
        &["projects", "archive", "proj_nobody", "--yes"],
        &["projects", "users", "list", "proj_nobody"],
        &[
            "projects",
            "users",
            "add",
            "proj_nobody",
            "u-0001",
            "--role",
            "member",
        ],
        &[
            "projects",
            "users",
            "remove",
            "proj_nobody",
            "u-0001",
            "--yes",
        ],
        &["projects", "service-accounts", "list", "proj_nobody"],
        &[
            "projects",
            "service-accounts",
            "create",
            "proj_nobody",
            "--name",
            "X",
        ],
        &["projects", "keys", "list", "proj_nobody"],
    ] {
        fails_with(&cli(&app, args), missing);
    }
    let project = post_project(&app, "Ours").await;
    fails_with(
        &cli(&app, &["projects", "users", "get", &project, "u-nobody"]),
        "No such user: u-nobody",
    );
    fails_with(
        &cli(
            &app,
            &[
                "projects",
                "service-accounts",
                "get",
                &project,
                "svc_acct_nobody",
            ],
        ),
        "No such service account: svc_acct_nobody",
    );
    fails_with(
        &cli(
            &app,
            &[
                "projects",
                "service-accounts",
                "create-key",
                &project,
                "svc_acct_nobody",
            ],
        ),
        "No such service account: svc_acct_nobody",
    );
    fails_with(
        &cli(&app, &["projects", "keys", "get", &project, "key_nobody"]),
        "No such API key: key_nobody",
    );
    fails_with(
        &cli(&app, &["projects", "list", "--after", "proj_nobody"]),
        "Invalid 'after'",
    );
    // Another organization's project is unknown to this key.
    fails_with(
        &cli_as(&app, OTHER_KEY, &["projects", "get", &project]),
        &format!("No such project: {project}"),
    );
    fails_with(
        &cli_as(&app, "sk-admin-wrong-key-0000", &["projects", "list"]),
        "Incorrect API key provided",
    );
    fails_with(
        &cli_as(&app, "", &["projects", "list"]),
        "an admin key is required",
    );
    usage_error(&cli(&app, &["projects", "list", "--limit", "0"]));
    usage_error(&cli(&app, &["projects", "list", "--limit", "101"]));
    usage_error(&cli(&app, &["projects", "users", "list"]));
    usage_error(&cli(&app, &["projects", "frobnicate"]));
}
