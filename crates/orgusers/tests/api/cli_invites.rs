//! `orgusers invites …` against a running server: creating invites with the server's default
//! projects, explicit ones and none, listing and paging them in every format, reading, accepting
//! (through the control endpoint) and deleting them; confirmations, errors and exit codes.

use serde_json::{Value, json};

use crate::cli_directory::{
    cli, cli_as, fails_with, ids, jsonl, ok, ok_json, server_get, usage_error,
};
use crate::harness::*;

on_both_stores!(
    invites_are_created_listed_accepted_and_deleted,
    list_all_follows_every_page_of_invites,
    unknown_invites_and_refusals_exit_non_zero
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

/// The id of the organization's `Default project`.
async fn default_project(app: &TestApp) -> String {
    let (status, page) = server_get(app, "/v1/organization/projects?limit=100").await;
    assert_eq!(status, 200, "{page}");
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Default project")
        .and_then(|p| p["id"].as_str())
        .unwrap()
        .to_owned()
}

/// An invite's projects as (id, role) pairs, sorted.
fn granted(invite: &Value) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = invite["projects"]
        .as_array()
        .unwrap_or_else(|| panic!("projects in {invite}"))
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

fn pair(id: &str, role: &str) -> (String, String) {
    (id.to_owned(), role.to_owned())
}

async fn invites_are_created_listed_accepted_and_deleted(app: TestApp) {
    app.import(&users(2)).await;
    let default = default_project(&app).await;
    let billing = post_project(&app, "Billing").await;
    let search = post_project(&app, "Search").await;
    // No invites yet: the header alone.
    assert_eq!(
        ok(&cli(&app, &["invites", "list"])).lines().count(),
        1,
        "header only"
    );

    // No --project: the server's default, the Default project as member.
    let plain = ok_json(&cli(&app, &["invites", "create", "ada@example.com"]));
    let plain_id = plain["id"].as_str().unwrap().to_owned();
    assert!(
        plain_id.starts_with("invite-") && plain_id.len() == 31,
        "{plain}"
    );
    assert_eq!(
        (
            plain["object"].as_str(),
            plain["email"].as_str(),
            plain["role"].as_str(),
            plain["status"].as_str()
        ),
        (
            Some("organization.invite"),
            Some("ada@example.com"),
            Some("reader"),
            Some("pending")
        )
    );
    assert_eq!(plain["accepted_at"], Value::Null);
    assert_eq!(
        plain["expires_at"].as_i64(),
        Some(plain["created_at"].as_i64().unwrap() + 7 * 24 * 3600)
    );
    assert_eq!(granted(&plain), [pair(&default, "member")]);
    // Explicit projects, with their roles; member when left out.
    let both = ok_json(&cli(
        &app,
        &[
            "invites",
            "create",
            "grace@example.com",
            "--role",
            "owner",
            "--project",
            &format!("{billing}:owner"),
            "--project",
            &search,
        ],
    ));
    let both_id = both["id"].as_str().unwrap().to_owned();
    assert_eq!(both["role"], "owner");
    let mut expected = vec![pair(&billing, "owner"), pair(&search, "member")];
    expected.sort();
    assert_eq!(granted(&both), expected);
    // --no-projects: none at all.
    let none = ok_json(&cli(
        &app,
        &["invites", "create", "linus@example.com", "--no-projects"],
    ));
    let none_id = none["id"].as_str().unwrap().to_owned();
    assert_eq!(none["projects"], json!([]));

    // get: indented JSON, as the server answers it.
    let text = ok(&cli(&app, &["invites", "get", &both_id]));
    assert!(text.contains("\n  \"id\": \""), "indented JSON: {text}");
    let shown: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(shown, both);
    assert_eq!(
        shown,
        server_get(&app, &format!("/v1/organization/invites/{both_id}"))
            .await
            .1
    );

    // Every format, oldest first as the server lists them.
    let (_, page) = server_get(&app, "/v1/organization/invites").await;
    let listed = jsonl(&ok(&cli(&app, &["invites", "list", "--format", "jsonl"])));
    assert_eq!(&listed, page["data"].as_array().unwrap());
    let mut made = ids(&listed);
    made.sort();
    let mut expected_ids = vec![plain_id.clone(), both_id.clone(), none_id.clone()];
    expected_ids.sort();
    assert_eq!(made, expected_ids);
    let json: Vec<Value> =
        serde_json::from_str(&ok(&cli(&app, &["invites", "list", "--format", "json"]))).unwrap();
    assert_eq!(json, listed);
    let table = ok(&cli(&app, &["invites", "list"]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert!(
        lines[0].starts_with("ID ")
            && lines[0].contains(" EMAIL ")
            && lines[0].contains(" STATUS ")
            && lines[0].ends_with("PROJECTS"),
        "{table}"
    );
    let row = lines
        .iter()
        .find(|line| line.starts_with(&both_id))
        .unwrap_or_else(|| panic!("{both_id} in {table}"));
    assert!(
        row.contains(" grace@example.com ")
            && row.contains(" owner ")
            && row.contains(" pending ")
            && row.ends_with(" 2"),
        "{row}"
    );
    let csv = ok(&cli(&app, &["invites", "list", "--format", "csv"]));
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "id,email,role,status,created_at,expires_at,accepted_at,projects"
    );
    assert_eq!(rows.len(), 4, "{csv}");
    assert!(
        rows.contains(
            &format!(
                "{none_id},linus@example.com,reader,pending,{},{},,",
                none["created_at"], none["expires_at"]
            )
            .as_str()
        ),
        "{csv}"
    );

    // accept: the new user, printed as `users get` prints one.
    let user = ok_json(&cli(
        &app,
        &["invites", "accept", &both_id, "--name", "Grace Hopper"],
    ));
    let user_id = user["id"].as_str().unwrap().to_owned();
    assert!(user_id.starts_with("user-"), "{user}");
    assert_eq!(
        (
            user["object"].as_str(),
            user["email"].as_str(),
            user["name"].as_str(),
            user["role"].as_str()
        ),
        (
            Some("organization.user"),
            Some("grace@example.com"),
            Some("Grace Hopper"),
            Some("owner")
        )
    );
    assert_eq!(ok_json(&cli(&app, &["users", "get", &user_id])), user);
    let found = jsonl(&ok(&cli(
        &app,
        &[
            "users",
            "list",
            "--email",
            "GRACE@example.com",
            "--format",
            "jsonl",
        ],
    )));
    assert_eq!(ids(&found), [user_id.as_str()]);
    for (project, role) in [(&billing, "owner"), (&search, "member")] {
        let member = ok_json(&cli(&app, &["projects", "users", "get", project, &user_id]));
        assert_eq!(member["role"], role, "{member}");
    }
    let accepted = ok_json(&cli(&app, &["invites", "get", &both_id]));
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["accepted_at"], user["added_at"]);
    // Without a name; printed in another format.
    let row = ok(&cli(
        &app,
        &["invites", "accept", &none_id, "--format", "csv"],
    ));
    assert!(row.starts_with("id,email,name,role,added_at"), "{row}");
    assert!(
        row.lines().nth(1).unwrap().contains(",linus@example.com,"),
        "{row}"
    );

    // delete: asks first, refuses without a terminal unless --yes; an accepted invite stays.
    fails_with(
        &cli(&app, &["invites", "delete", &plain_id]),
        "refusing to delete invite",
    );
    assert_eq!(
        server_get(&app, &format!("/v1/organization/invites/{plain_id}"))
            .await
            .0,
        200
    );
    assert_eq!(
        ok(&cli(&app, &["invites", "delete", &plain_id, "--yes"])).trim(),
        format!("deleted {plain_id}")
    );
    fails_with(
        &cli(&app, &["invites", "get", &plain_id]),
        &format!("No such invite: {plain_id} (HTTP 404, request req_"),
    );
    fails_with(
        &cli(&app, &["invites", "delete", &both_id, "--yes"]),
        "(HTTP 400, request req_",
    );
    let left = jsonl(&ok(&cli(&app, &["invites", "list", "--format", "jsonl"])));
    let mut left_ids = ids(&left);
    left_ids.sort();
    let mut kept = vec![both_id, none_id];
    kept.sort();
    assert_eq!(left_ids, kept);
}

async fn list_all_follows_every_page_of_invites(app: TestApp) {
    for i in 0..7 {
        let made = ok(&cli(
            &app,
            &[
                "invites",
                "create",
                &format!("page{i}@example.com"),
                "--no-projects",
                "--format",
                "jsonl",
            ],
        ));
        assert_eq!(made.lines().count(), 1, "one line: {made}");
    }
    let (_, page) = server_get(&app, "/v1/organization/invites?limit=100").await;
    let order = ids(page["data"].as_array().unwrap());
    assert_eq!(order.len(), 7);
    let first = jsonl(&ok(&cli(
        &app,
        &["invites", "list", "--limit", "3", "--format", "jsonl"],
    )));
    assert_eq!(ids(&first), order[..3]);
    let next = jsonl(&ok(&cli(
        &app,
        &[
            "invites", "list", "--limit", "3", "--after", &order[2], "--format", "jsonl",
        ],
    )));
    assert_eq!(ids(&next), order[3..6]);
    let every = jsonl(&ok(&cli(
        &app,
        &[
            "invites", "list", "--all", "--limit", "3", "--format", "jsonl",
        ],
    )));
    assert_eq!(ids(&every), order);
    assert_eq!(
        ok(&cli(
            &app,
            &[
                "invites", "list", "--all", "--limit", "2", "--format", "csv"
            ]
        ))
        .lines()
        .count(),
        8,
        "one header row"
    );
    assert_eq!(
        ok(&cli(&app, &["invites", "list", "--all", "--limit", "4"]))
            .lines()
            .count(),
        8
    );
}

async fn unknown_invites_and_refusals_exit_non_zero(app: TestApp) {
    app.import(&users(2)).await;
    let missing = "No such invite: invite-nobody (HTTP 404, request req_";
    for args in [
        &["invites", "get", "invite-nobody"][..],
        &["invites", "delete", "invite-nobody", "--yes"],
        &["invites", "accept", "invite-nobody"],
        &["invites", "accept", "invite-nobody", "--name", "Nobody"],
    ] {
        fails_with(&cli(&app, args), missing);
    }
    // The server's refusals: an address that is a user's or already invited, a project that is
    // not the organization's, an address that is none.
    fails_with(
        &cli(&app, &["invites", "create", "user1@example.com"]),
        "(HTTP 400, request req_",
    );
    let invite = ok_json(&cli(&app, &["invites", "create", "new@example.com"]));
    let id = invite["id"].as_str().unwrap();
    fails_with(
        &cli(
            &app,
            &["invites", "create", "NEW@example.com", "--role", "owner"],
        ),
        "(HTTP 400, request req_",
    );
    fails_with(
        &cli(
            &app,
            &[
                "invites",
                "create",
                "p@example.com",
                "--project",
                "proj_nobody",
            ],
        ),
        "(HTTP 400, request req_",
    );
    fails_with(
        &cli(&app, &["invites", "create", "not-an-address"]),
        "(HTTP 400, request req_",
    );
    fails_with(
        &cli(&app, &["invites", "list", "--after", "invite-nobody"]),
        "Invalid 'after'",
    );
    // Accepting twice.
    ok(&cli(&app, &["invites", "accept", id]));
    fails_with(
        &cli(&app, &["invites", "accept", id]),
        "(HTTP 400, request req_",
    );
    // Another organization's invite is unknown to its key.
    fails_with(
        &cli_as(&app, OTHER_KEY, &["invites", "get", id]),
        &format!("No such invite: {id}"),
    );
    fails_with(
        &cli_as(
            &app,
            "sk-admin-wrong-key-000000000000000000",
            &["invites", "list"],
        ),
        "(HTTP 401, request req_",
    );
    // Mistyped options: usage errors, before any request.
    usage_error(&cli(&app, &["invites", "create"]));
    usage_error(&cli(
        &app,
        &["invites", "create", "a@example.com", "--role", "member"],
    ));
    usage_error(&cli(
        &app,
        &[
            "invites",
            "create",
            "a@example.com",
            "--project",
            "proj_a:admin",
        ],
    ));
    usage_error(&cli(
        &app,
        &[
            "invites",
            "create",
            "a@example.com",
            "--project",
            "proj_a",
            "--no-projects",
        ],
    ));
    usage_error(&cli(&app, &["invites", "list", "--limit", "0"]));
    usage_error(&cli(&app, &["invites", "get"]));
    // None of it created anything.
    let (_, page) = server_get(&app, "/v1/organization/invites").await;
    assert_eq!(ids(page["data"].as_array().unwrap()), [id]);
}
