//! `orgusers users …` against a running server: every command, format, error and exit code.

use std::process::{Output, Stdio};

use serde_json::Value;

use crate::harness::*;

/// Runs `orgusers users ARGS` against `app` with `key`.
fn users_cli(app: &TestApp, key: &str, args: &[&str]) -> Output {
    orgusers()
        .arg("users")
        .args(args)
        .env("OPENAI_BASE_URL", format!("{}/v1", app.base))
        .env("OPENAI_ADMIN_KEY", key)
        .env_remove("COLUMNS")
        .stdin(Stdio::null())
        .output()
        .expect("run orgusers users")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Fails with exit code 1 and one line on standard error containing `expected`.
fn fails_with(out: &Output, expected: &str) {
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(expected), "{expected:?} not in {stderr:?}");
}

on_both_stores!(
    list_in_every_format,
    list_all_prints_every_user_once,
    get_update_delete,
    errors_are_one_line_with_the_request_id
);

async fn list_in_every_format(app: TestApp) {
    app.import(&users(5)).await;
    let table = ok(&users_cli(&app, KEY, &["list"]));
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("EMAIL"),
        "{table}"
    );
    assert_eq!(lines.len(), 6);
    assert!(lines[1].starts_with("u-0000") && lines[1].contains("user0@example.com"));
    assert!(table.lines().all(|l| l.chars().count() <= 80));

    let json: Vec<Value> =
        serde_json::from_str(&ok(&users_cli(&app, KEY, &["list", "--format", "json"]))).unwrap();
    assert_eq!(json.len(), 5);
    assert_full_user(&json[0]);

    let jsonl = ok(&users_cli(
        &app,
        KEY,
        &["list", "--format", "jsonl", "--limit", "2"],
    ));
    let ids: Vec<String> = jsonl
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, ["u-0000", "u-0001"]);

    let csv = ok(&users_cli(
        &app,
        KEY,
        &["list", "--format", "csv", "--after", "u-0002"],
    ));
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "id,email,name,role,added_at,is_service_account,technical_level,developer_persona"
    );
    assert_eq!(rows.len(), 3);
    assert!(rows[1].starts_with("u-0003,user3@example.com,Name of u-0003,reader,"));

    let filtered = ok(&users_cli(
        &app,
        KEY,
        &[
            "list",
            "--email",
            "USER1@example.com",
            "--email",
            "user4@example.com",
            "--format",
            "jsonl",
        ],
    ));
    assert_eq!(filtered.lines().count(), 2);
    assert!(filtered.contains("\"u-0001\"") && filtered.contains("\"u-0004\""));
}

async fn list_all_prints_every_user_once(app: TestApp) {
    let many: Vec<Value> = (0..2500)
        .map(|i| {
            user_line(
                &format!("m-{i:05}"),
                &format!("m{i}@x.io"),
                1_000 + i / 10,
                if i == 0 { "owner" } else { "reader" },
            )
        })
        .collect();
    app.import(&many).await;
    let out = ok(&users_cli(
        &app,
        KEY,
        &["list", "--all", "--format", "jsonl", "--limit", "100"],
    ));
    let ids: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let expected: Vec<String> = (0..2500).map(|i| format!("m-{i:05}")).collect();
    assert_eq!(ids, expected);
    let csv = ok(&users_cli(&app, KEY, &["list", "--all", "--format", "csv"]));
    assert_eq!(csv.lines().count(), 2501, "one header row");
    let table = ok(&users_cli(&app, KEY, &["list", "--all"]));
    assert_eq!(table.lines().count(), 2501);
}

async fn get_update_delete(app: TestApp) {
    app.import(&users(3)).await;
    let shown: Value =
        serde_json::from_str(&ok(&users_cli(&app, KEY, &["get", "u-0001"]))).unwrap();
    assert_eq!(shown, app.get("/v1/organization/users/u-0001").await.body);
    let text = ok(&users_cli(&app, KEY, &["get", "u-0001"]));
    assert!(
        text.contains("\n  \"id\": \"u-0001\""),
        "indented JSON: {text}"
    );

    let updated: Value = serde_json::from_str(&ok(&users_cli(
        &app,
        KEY,
        &[
            "update",
            "u-0001",
            "--role",
            "owner",
            "--technical-level",
            "expert",
            "--developer-persona",
            "researcher",
        ],
    )))
    .unwrap();
    assert_eq!(
        (
            updated["role"].as_str(),
            updated["technical_level"].as_str(),
            updated["developer_persona"].as_str()
        ),
        (Some("owner"), Some("expert"), Some("researcher"))
    );
    let cleared: Value = serde_json::from_str(&ok(&users_cli(
        &app,
        KEY,
        &["update", "u-0001", "--technical-level", ""],
    )))
    .unwrap();
    assert_eq!(
        (
            cleared["technical_level"].clone(),
            cleared["developer_persona"].as_str()
        ),
        (Value::Null, Some("researcher"))
    );
    fails_with(
        &users_cli(&app, KEY, &["update", "u-0001"]),
        "nothing to change",
    );
    fails_with(
        &users_cli(&app, KEY, &["update", "u-0001", "--role", "boss"]),
        "Invalid 'role'",
    );

    // Without --yes and without a terminal, nothing is deleted.
    fails_with(
        &users_cli(&app, KEY, &["delete", "u-0002"]),
        "without --yes",
    );
    assert_eq!(app.get("/v1/organization/users/u-0002").await.status, 200);
    assert_eq!(
        ok(&users_cli(&app, KEY, &["delete", "u-0002", "--yes"])).trim(),
        "deleted u-0002"
    );
    assert_eq!(app.get("/v1/organization/users/u-0002").await.status, 404);
}

async fn errors_are_one_line_with_the_request_id(app: TestApp) {
    let out = users_cli(&app, KEY, &["get", "user-nobody"]);
    fails_with(&out, "No such user: user-nobody (HTTP 404, request req_");
    fails_with(
        &users_cli(&app, KEY, &["delete", "user-nobody", "--yes"]),
        "No such user",
    );
    fails_with(
        &users_cli(&app, "sk-admin-wrong-key-0000", &["list"]),
        "Incorrect API key provided",
    );
    fails_with(&users_cli(&app, "", &["list"]), "an admin key is required");
    fails_with(
        &users_cli(&app, KEY, &["list", "--after", "user-nobody"]),
        "Invalid 'after'",
    );
    let usage = users_cli(&app, KEY, &["list", "--limit", "0"]);
    assert_eq!(usage.status.code(), Some(2), "a usage error");
}
