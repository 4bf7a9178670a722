//! The `orgusers` binary: serve, import, export, seed, keys; persistence and durability.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::*;

const USERS: &str = "/v1/organization/users";
const CLI_KEY: &str = "sk-admin-cli-test-key-0123456789";

fn run(args: &[&str]) -> Output {
    orgusers().args(args).output().expect("run orgusers")
}

fn run_ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "orgusers {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Writes `lines` (raw text, one per line) to a file in `store`'s folder.
fn write_file(store: &TestStore, name: &str, lines: &[String]) -> String {
    let path = store.dir.path().join(name);
    let mut file = std::fs::File::create(&path).unwrap();
    for line in lines {
        writeln!(file, "{line}").unwrap();
    }
    path.display().to_string()
}

fn export(url: &str) -> String {
    stdout(&run_ok(&["export", "--database", url]))
}

/// Users of varied shapes, non-ASCII included.
fn varied_users() -> Vec<String> {
    vec![
        json!({"object": "organization.user", "id": "user-full", "name": "Zoë Ødegaard", "email": "zoë@exämple.de",
               "role": "owner", "added_at": 1_700_000_000, "is_default": true, "created": 1_699_000_000,
               "user": {"object": "user", "id": "user-full", "email": "zoë@exämple.de", "name": "Zoë Ødegaard",
                        "picture": "https://example.com/z.png", "enabled": true, "banned": false, "banned_at": null},
               "is_service_account": false, "is_scale_tier_authorized_purchaser": true, "is_scim_managed": true,
               "api_key_last_used_at": 1_710_000_000, "technical_level": "expert", "developer_persona": "researcher"}).to_string(),
        json!({"id": "user-min", "added_at": 1_700_000_001}).to_string(),
        String::new(),
        json!({"id": "user-plus", "email": "a+b@x.io", "name": "王芳", "added_at": 1_700_000_001, "role": "reader",
               "user": {"enabled": null, "banned": true, "banned_at": 1_700_000_100}}).to_string(),
        "   ".to_owned(),
        json!({"id": "user-svc", "email": "svc@x.io", "is_service_account": true, "added_at": 1_700_000_002}).to_string(),
    ]
}

/// A refused import line as (line, field, message).
type Refusal = (usize, Option<String>, String);

/// Imports `lines` (JSON values; `null` stands for a line that is not valid JSON) into `org`,
/// returning the refusal as a [`Refusal`].
async fn import_lines(
    store: &dyn orgusers_store::Store,
    org: &str,
    lines: &[Value],
) -> Result<orgusers_store::ImportSummary, Refusal> {
    let records: Vec<_> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| match line {
            Value::Null => orgusers_store::ImportRecord::from_json_line(i + 1, "{"),
            line => orgusers_store::ImportRecord::from_json_line(i + 1, &line.to_string()),
        })
        .collect();
    let org = orgusers_store::OrgId::parse(org).unwrap();
    match store
        .import_users(&org, Box::new(records.into_iter()))
        .await
    {
        Ok(summary) => Ok(summary),
        Err(orgusers_store::StoreError::Import(e)) => Err((e.line, e.field, e.message)),
        Err(e) => panic!("import failed: {e}"),
    }
}

/// The users of `org` as (id, email, added_at), in list order.
async fn listed(
    store: &dyn orgusers_store::Store,
    org: &str,
) -> Vec<(String, Option<String>, i64)> {
    let query = orgusers_store::UserQuery {
        limit: 1000,
        ..orgusers_store::UserQuery::default()
    };
    let page = store
        .list_users(&orgusers_store::OrgId::parse(org).unwrap(), &query)
        .await
        .unwrap();
    page.users
        .into_iter()
        .map(|u| (u.id, u.email, u.added_at))
        .collect()
}

fn user_line(id: &str, email: &str, added_at: i64) -> Value {
    json!({"id": id, "email": email, "added_at": added_at})
}

on_fresh_stores!(
    serve_first_start_prints_a_working_key,
    import_export_round_trip,
    import_errors_write_nothing,
    import_while_serving,
    seed_is_deterministic,
    import_refuses_the_first_clash_in_file_order,
    keys_create_list_revoke,
    data_survives_restart_and_kill
);

async fn serve_first_start_prints_a_working_key(store: TestStore) {
    let mut server = ServerProcess::start(&store.url, &[]);
    let announce = server.next_line();
    assert!(announce.contains("admin key"), "{announce}");
    let key = server.next_line();
    assert!(key.starts_with("sk-admin-") && key.len() == 57, "{key:?}");
    let (status, body) = http_get(&server.base, USERS, &key).await;
    assert_eq!((status, body["object"].as_str()), (200, Some("list")));
    drop(server);
    // A second start creates no new key.
    let _again = ServerProcess::start(&store.url, &[]);
    let keys = stdout(&run_ok(&["keys", "list", "--database", &store.url]));
    assert_eq!(keys.lines().count(), 1, "{keys}");
    assert!(!keys.contains(&key[9..]), "keys list shows no key");
}

async fn import_export_round_trip(store: TestStore) {
    let file = write_file(&store, "in.jsonl", &varied_users());
    let out = run_ok(&["import", "--database", &store.url, &file]);
    assert!(
        stderr(&out).contains("imported 4 users"),
        "{}",
        stderr(&out)
    );
    let first = export(&store.url);
    // 4 users, the Default project, and their memberships of it.
    assert_eq!(first.lines().count(), 9, "{first}");
    let users: Vec<Value> = first
        .lines()
        .take(4)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(users[0]["id"], "user-full");
    assert_eq!(users[1]["role"], "reader", "defaults");
    assert_eq!(
        users[1]["created"], 1_700_000_001,
        "created defaults to added_at"
    );
    assert_eq!(users[1]["user"]["enabled"], true);
    assert_eq!(users[2]["user"]["enabled"], Value::Null);
    for user in &users {
        assert_full_user(user);
    }

    let copy = TestStore::fresh(kind_of(&store)).await.unwrap();
    let exported = write_file(
        &copy,
        "export.jsonl",
        &first.lines().map(str::to_owned).collect::<Vec<_>>(),
    );
    run_ok(&["import", "--database", &copy.url, &exported]);
    assert_eq!(
        export(&copy.url),
        first,
        "export, import, export reproduces the users exactly"
    );
    // The same file again replaces, keeping everything.
    let out = run_ok(&["import", "--database", &copy.url, &exported]);
    assert!(stderr(&out).contains("4 replaced"), "{}", stderr(&out));
    assert_eq!(export(&copy.url), first);
    // Standard input works too.
    let third = TestStore::fresh(kind_of(&store)).await.unwrap();
    let mut child = orgusers()
        .args(["import", "--database", &third.url, "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(first.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(export(&third.url), first);
}

async fn import_errors_write_nothing(store: TestStore) {
    run_ok(&[
        "import",
        "--database",
        &store.url,
        &write_file(
            &store,
            "ok.jsonl",
            &[json!({"id": "existing", "email": "taken@x.io", "role": "owner"}).to_string()],
        ),
    ]);
    let before = export(&store.url);
    let good = json!({"id": "new-1", "email": "new1@x.io"}).to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![good.clone(), "{not json".into()],
            "line 2: not valid JSON",
        ),
        (
            vec![good.clone(), String::new(), json!({"email": 5}).to_string()],
            "line 3: field 'email'",
        ),
        (
            vec![json!({"added_at": "yesterday"}).to_string()],
            "line 1: field 'added_at'",
        ),
        (
            vec![good.clone(), json!({"nickname": "x"}).to_string()],
            "line 2: field 'nickname'",
        ),
        (
            vec![
                good.clone(),
                json!({"id": "new-2", "email": "NEW1@x.io"}).to_string(),
            ],
            "line 2: field 'email'",
        ),
        (
            vec![
                good.clone(),
                json!({"id": "new-3", "email": "Taken@X.io"}).to_string(),
            ],
            "line 2: field 'email'",
        ),
        (
            vec![good.clone(), json!({"id": "new-1"}).to_string()],
            "line 2: field 'id'",
        ),
        (
            vec![json!({"role": "admin"}).to_string()],
            "line 1: field 'role'",
        ),
    ];
    for (lines, expected) in cases {
        let file = write_file(&store, "bad.jsonl", &lines);
        let out = run(&["import", "--database", &store.url, &file]);
        assert_eq!(out.status.code(), Some(1), "{lines:?}");
        assert!(
            stderr(&out).contains(expected),
            "{expected:?} not in {:?}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("nothing was written"),
            "{}",
            stderr(&out)
        );
        assert_eq!(export(&store.url), before, "{lines:?} wrote something");
    }
}

async fn import_while_serving(store: TestStore) {
    let server = ServerProcess::start(&store.url, &["--admin-key", CLI_KEY]);
    let lines: Vec<String> = (0..50)
        .map(|i| {
            json!({"id": format!("live-{i:02}"), "email": format!("live{i}@x.io"), "added_at": i})
                .to_string()
        })
        .collect();
    run_ok(&[
        "import",
        "--database",
        &store.url,
        &write_file(&store, "live.jsonl", &lines),
    ]);
    let (status, body) = http_get(&server.base, &format!("{USERS}?limit=100"), CLI_KEY).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 50);
}

async fn seed_is_deterministic(store: TestStore) {
    run_ok(&[
        "seed",
        "--database",
        &store.url,
        "--count",
        "300",
        "--seed",
        "7",
    ]);
    let other = TestStore::fresh(kind_of(&store)).await.unwrap();
    run_ok(&[
        "seed",
        "--database",
        &other.url,
        "--count",
        "300",
        "--seed",
        "7",
    ]);
    let a = export(&store.url);
    assert_eq!(a, export(&other.url));
    let user_lines = |export: &str| -> Vec<Value> {
        export
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["object"] == "organization.user")
            .collect()
    };
    assert_eq!(user_lines(&a).len(), 300);
    assert!(
        a.lines().count() > 300,
        "roles, groups and memberships follow the users"
    );
    let emails: Vec<String> = user_lines(&a)
        .iter()
        .map(|v| v["email"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        emails.iter().any(|e| !e.is_ascii()),
        "some non-ASCII emails"
    );
    let third = TestStore::fresh(kind_of(&store)).await.unwrap();
    run_ok(&[
        "seed",
        "--database",
        &third.url,
        "--count",
        "300",
        "--seed",
        "8",
    ]);
    assert_ne!(export(&third.url), a);
    // Seeding another seed into the same organization adds users without clashes.
    run_ok(&[
        "seed",
        "--database",
        &store.url,
        "--count",
        "300",
        "--seed",
        "8",
    ]);
    assert_eq!(user_lines(&export(&store.url)).len(), 600);
}

async fn import_refuses_the_first_clash_in_file_order(store: TestStore) {
    let s = store.open().await;
    let s = s.as_ref();
    let refused = |line: usize, field: &str, message: &str| {
        Err((line, Some(field.to_owned()), message.to_owned()))
    };
    // An organization with no users: clashes are only between lines of the file.
    let cases: Vec<(Vec<Value>, Result<(), Refusal>)> = vec![
        (
            vec![
                user_line("user-z", "z@x.io", 1),
                user_line("user-a", "a@x.io", 2),
                user_line("user-z", "z2@x.io", 3),
            ],
            refused(3, "id", "user user-z appears earlier in the file"),
        ),
        (
            vec![
                user_line("user-z", "Same@X.io", 1),
                user_line("user-a", "o@x.io", 2),
                user_line("user-b", "same@x.io", 3),
            ],
            refused(3, "email", "same@x.io is already the email of user user-z"),
        ),
        (
            vec![
                user_line("user-m", "m@x.io", 1),
                user_line("user-n", "M@x.io", 2),
                user_line("user-m", "q@x.io", 3),
            ],
            refused(2, "email", "M@x.io is already the email of user user-m"),
        ),
        (
            vec![
                user_line("user-m", "m@x.io", 1),
                user_line("user-m", "q@x.io", 2),
                user_line("user-n", "M@x.io", 3),
            ],
            refused(2, "id", "user user-m appears earlier in the file"),
        ),
        (
            vec![
                user_line("user-a", "a@x.io", 1),
                user_line("user-a", "b@x.io", 2),
                Value::Null,
            ],
            refused(2, "id", "user user-a appears earlier in the file"),
        ),
    ];
    for (lines, expected) in cases {
        let got = import_lines(s, "org-fresh", &lines).await.map(drop);
        assert_eq!(got, expected, "{lines:?}");
    }
    let bad_first = [
        user_line("user-a", "a@x.io", 1),
        Value::Null,
        user_line("user-a", "b@x.io", 3),
    ];
    let got = import_lines(s, "org-fresh", &bad_first).await.map(drop);
    assert!(matches!(got, Err((2, None, _))), "{got:?}");
    assert_eq!(listed(s, "org-fresh").await, [], "nothing written");

    // An organization with users: a line meets them as the earlier lines left them.
    let existing = [
        user_line("user-a", "a@x.io", 10),
        user_line("user-b", "b@x.io", 20),
        user_line("user-c", "c@x.io", 30),
    ];
    import_lines(s, "org-main", &existing).await.unwrap();
    s.delete_user(&orgusers_store::OrgId::parse("org-main").unwrap(), "user-c")
        .await
        .unwrap();
    let before = listed(s, "org-main").await;
    let cases: Vec<(Vec<Value>, Result<(), Refusal>)> = vec![
        // user-b still has its email at line 2; that it gives it up at line 3 comes too late.
        (
            vec![
                json!({"id": "user-a", "email": "z@x.io"}),
                user_line("user-d", "B@x.io", 5),
                json!({"id": "user-b", "email": "y@x.io"}),
            ],
            refused(2, "email", "B@x.io is already the email of user user-b"),
        ),
        // An earlier line of the file holds an email as much as a stored user does.
        (
            vec![
                json!({"id": "user-a", "email": "z@x.io"}),
                user_line("user-d", "Z@x.io", 5),
            ],
            refused(2, "email", "Z@x.io is already the email of user user-a"),
        ),
        (
            vec![
                user_line("user-d", "d@x.io", 5),
                json!({"id": "user-a"}),
                json!({"id": "user-d"}),
            ],
            refused(3, "id", "user user-d appears earlier in the file"),
        ),
        (
            vec![json!({"id": "user-a", "email": "z@x.io"}), Value::Null],
            Err((2, None, String::new())),
        ),
    ];
    for (lines, expected) in cases {
        let got = import_lines(s, "org-main", &lines).await.map(drop);
        match expected {
            Err((line, None, _)) => {
                assert!(matches!(got, Err((l, None, _)) if l == line), "{got:?}")
            }
            expected => assert_eq!(got, expected, "{lines:?}"),
        }
        assert_eq!(
            listed(s, "org-main").await,
            before,
            "{lines:?} wrote something"
        );
    }
    // user-a gives its email to user-b, which gives its own to user-c, deleted and back.
    let chain = [
        json!({"id": "user-a", "email": "new@x.io"}),
        json!({"id": "user-b", "email": "A@x.io"}),
        json!({"id": "user-c", "email": "b@x.io", "added_at": 40}),
        user_line("user-d", "d@x.io", 50),
    ];
    let summary = import_lines(s, "org-main", &chain).await.unwrap();
    assert_eq!((summary.created, summary.replaced), (2, 2));
    let expected = [
        ("user-a", "new@x.io", 10),
        ("user-b", "A@x.io", 20),
        ("user-c", "b@x.io", 40),
        ("user-d", "d@x.io", 50),
    ]
    .map(|(id, email, added_at)| (id.to_owned(), Some(email.to_owned()), added_at));
    assert_eq!(listed(s, "org-main").await, expected);
}

async fn keys_create_list_revoke(store: TestStore) {
    let server = ServerProcess::start(&store.url, &["--admin-key", CLI_KEY]);
    let created = stdout(&run_ok(&[
        "keys",
        "create",
        "--database",
        &store.url,
        "--name",
        "ci robot",
    ]));
    let key = created.lines().last().unwrap().to_owned();
    assert!(key.starts_with("sk-admin-") && key.len() == 57, "{created}");
    assert_eq!(http_get(&server.base, USERS, &key).await.0, 200);

    let listed = stdout(&run_ok(&["keys", "list", "--database", &store.url]));
    assert!(!listed.contains(&key), "keys list never shows a key");
    let line = listed
        .lines()
        .find(|l| l.contains("ci robot"))
        .unwrap_or_else(|| panic!("{listed}"));
    assert!(
        line.contains(&key[key.len() - 4..]),
        "last four characters: {line}"
    );
    let key_id = line.split_whitespace().next().unwrap().to_owned();
    assert!(key_id.starts_with("key_"), "{line}");

    run_ok(&["keys", "revoke", "--database", &store.url, &key_id]);
    // Revocation reaches a running server within a second (its key cache lifetime).
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let (status, _) = http_get(&server.base, USERS, &key).await;
        if status == 401 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "revoked key still accepted after 3 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        http_get(&server.base, USERS, CLI_KEY).await.0,
        200,
        "other keys still work"
    );
    let out = run(&["keys", "revoke", "--database", &store.url, "key_nope"]);
    assert_eq!(out.status.code(), Some(1));
    // A second organization's key opens only that organization.
    let other = stdout(&run_ok(&[
        "keys",
        "create",
        "--database",
        &store.url,
        "--org",
        "org-second",
    ]));
    let other_key = other.lines().last().unwrap();
    let (status, body) = http_get(&server.base, USERS, other_key).await;
    assert_eq!(
        (status, body["data"].as_array().map(Vec::len)),
        (200, Some(0))
    );
}

async fn data_survives_restart_and_kill(store: TestStore) {
    let lines: Vec<String> = (0..5).map(|i| json!({"id": format!("p-{i}"), "email": format!("p{i}@x.io"), "role": if i == 0 {"owner"} else {"reader"}, "added_at": i}).to_string()).collect();
    run_ok(&[
        "import",
        "--database",
        &store.url,
        &write_file(&store, "p.jsonl", &lines),
    ]);
    let server = ServerProcess::start(&store.url, &["--admin-key", CLI_KEY]);
    orgusers_client::install_tls_provider();
    let client = reqwest::Client::new();
    let modified = client
        .post(format!("{}{USERS}/p-3", server.base))
        .bearer_auth(CLI_KEY)
        .body(r#"{"role":"owner","technical_level":"acknowledged"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(modified.status().as_u16(), 200);
    let deleted = client
        .delete(format!("{}{USERS}/p-4", server.base))
        .bearer_auth(CLI_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 200);
    // SIGKILL: no chance to flush anything.
    drop(server);

    let server = ServerProcess::start(&store.url, &["--admin-key", CLI_KEY]);
    let (status, user) = http_get(&server.base, &format!("{USERS}/p-3"), CLI_KEY).await;
    assert_eq!(
        (
            status,
            user["role"].as_str(),
            user["technical_level"].as_str()
        ),
        (200, Some("owner"), Some("acknowledged"))
    );
    let (status, _) = http_get(&server.base, &format!("{USERS}/p-4"), CLI_KEY).await;
    assert_eq!(status, 404);
    let (_, list) = http_get(&server.base, USERS, CLI_KEY).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 4);
}

fn kind_of(store: &TestStore) -> StoreKind {
    if store.url.starts_with("postgres") {
        StoreKind::Postgres
    } else {
        StoreKind::Sqlite
    }
}

/// An unreachable PostgreSQL server: retried, then a clear error and a non-zero exit.
#[test]
fn unreachable_database_is_reported() {
    let started = Instant::now();
    let out = run(&[
        "keys",
        "list",
        "--database",
        "postgres://postgres@127.0.0.1:1/nowhere",
        "--connect-retry",
        "1s",
        "--pool-timeout",
        "500ms",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(
        message.contains("PostgreSQL still unreachable"),
        "{message}"
    );
    assert!(
        message.contains("cannot open the store at postgres://postgres@127.0.0.1:1/nowhere"),
        "{message}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

/// `serve --admin-key` takes a key with spaces, as the official SDKs' examples use, and a client
/// presents it in an ordinary `Authorization: Bearer` header.
#[tokio::test]
async fn an_admin_key_with_spaces_opens_the_organization() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("spaces.db").display());
    let server = ServerProcess::start(&database, &["--admin-key", "My Admin API Key"]);
    let (status, body) = http_get(&server.base, USERS, "My Admin API Key").await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = http_get(&server.base, USERS, "My Admin API").await;
    assert_eq!(status, 401);
    let refused = orgusers()
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &database])
        .args(["--admin-key", " padded key "])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("cannot begin or end with a space"),
        "{}",
        stderr(&refused)
    );
}

/// A key that must never reach the log.
const WRONG_KEY: &str = "sk-admin-this-must-not-be-logged-1234";

/// The log of a server (in `format`, when given) that answered a 200 and a 401 (to
/// [`WRONG_KEY`]) and was then stopped with SIGTERM.
fn log_of_two_requests(format: Option<&str>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("logs.db").display());
    let mut child = orgusers()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &database,
            "--admin-key",
            CLI_KEY,
        ])
        .env("ORGUSERS_LOG", "info")
        .env("ORGUSERS_LOG_FORMAT", format.unwrap_or("text"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    let base = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let wrong_key = WRONG_KEY;
    runtime.block_on(async {
        assert_eq!(http_get(&base, USERS, CLI_KEY).await.0, 200);
        assert_eq!(
            http_get(&base, "/v1/organization/users/u-404", wrong_key)
                .await
                .0,
            401
        );
    });
    // A clean shutdown writes out every line still buffered.
    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    child.wait().unwrap();
    log
}

/// One log line per request with its method, path, status, latency and request id; never a key.
#[test]
fn logs_name_requests_and_never_keys() {
    let log = log_of_two_requests(None);
    let wrong_key = WRONG_KEY;
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("request_id=")).collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(
        lines[0].contains("method=GET")
            && lines[0].contains("path=/v1/organization/users")
            && lines[0].contains("status=200")
            && lines[0].contains("latency_us="),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("status=401") && lines[1].contains("path=/v1/organization/users/u-404"),
        "{}",
        lines[1]
    );
    assert!(
        !log.contains(CLI_KEY) && !log.contains(wrong_key) && !log.contains("must-not-be-logged"),
        "a key reached the log: {log}"
    );
}

/// The same lines in JSON, one object per line.
#[test]
fn json_logs_name_requests_and_never_keys() {
    let log = log_of_two_requests(Some("json"));
    let requests: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|v| v["message"] == "request")
        .collect();
    assert_eq!(requests.len(), 2, "{log}");
    assert_eq!(requests[0]["level"], "INFO");
    assert_eq!(requests[0]["method"], "GET");
    assert_eq!(requests[0]["path"], USERS);
    assert_eq!(requests[0]["status"], 200);
    assert!(requests[0]["latency_us"].is_u64());
    assert!(
        requests[0]["request_id"]
            .as_str()
            .is_some_and(is_generated_request_id)
    );
    assert!(
        requests[0]["timestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(requests[1]["status"], 401);
    assert!(
        !log.contains(CLI_KEY) && !log.contains(WRONG_KEY),
        "a key reached the log: {log}"
    );
}

/// A large import leaves PostgreSQL's planner statistics describing the imported rows, so that
/// the next email filter is planned through the email index.
#[tokio::test]
async fn large_postgres_import_refreshes_planner_statistics() {
    let Some(store) = TestStore::fresh(StoreKind::Postgres).await else {
        return;
    };
    let opened = store.open().await;
    let lines: Vec<Value> = (0..12_000)
        .map(|i| {
            user_line(
                &format!("user-{i:06}"),
                &format!("u{i}@x.io"),
                1_700_000_000 + i,
            )
        })
        .collect();
    import_lines(opened.as_ref(), "org-stats", &lines)
        .await
        .unwrap();
    let (client, connection) = tokio_postgres::connect(&store.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    // Without column statistics, `email_folded = ANY(100 addresses)` was estimated to match
    // half the table, and the filter planned as a scan in list order.
    let distinct: Option<f32> = client
        .query_opt(
            "SELECT n_distinct FROM pg_stats WHERE tablename = 'users' AND attname = 'email_folded'",
            &[],
        )
        .await
        .unwrap()
        .map(|row| row.get(0));
    // -1 means "every row distinct".
    assert_eq!(distinct, Some(-1.0), "email statistics after the import");
}
