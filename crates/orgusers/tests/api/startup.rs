//! What `orgusers serve` does before it answers: `--init` files (imported once, while the default
//! organization is empty), the hint printed on a store without users, and `--no-control`.

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::*;

const USERS: &str = "/v1/organization/users?limit=100";

/// The example init file of the documentation.
const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../docs/examples/init.jsonl"
);

/// The ids of the example's users, in the order of the list.
const EXAMPLE_USERS: [&str; 5] = [
    "user-ada-lovelace",
    "user-grace-hopper",
    "user-alan-turing",
    "user-zoe-odegaard",
    "user-ken-thompson",
];

on_fresh_stores!(
    init_imports_the_example_once,
    init_files_apply_in_order_as_one_import,
    init_files_from_the_environment,
    a_bad_init_file_stops_the_start,
    the_hint_shows_on_an_empty_organization_only,
    no_control_hides_the_control_endpoints
);

/// `orgusers serve` on `store` with `args`, its standard error kept in a file of the store's
/// folder (read by [`Started::stop`]) and informational logs on, so the start's decisions show.
fn serve_command(store: &TestStore, args: &[&str]) -> (Command, std::path::PathBuf) {
    let log = store
        .dir
        .path()
        .join(format!("serve-{:08x}.log", rand::random::<u32>()));
    let mut command = orgusers();
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &store.url])
        .args(args)
        .env("ORGUSERS_LOG", "info")
        .env_remove("ORGUSERS_INIT")
        .env_remove("ORGUSERS_NO_CONTROL")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap());
    (command, log)
}

/// A started server and where its log goes.
struct Started {
    server: ServerProcess,
    log: std::path::PathBuf,
}

impl Started {
    /// Stops the server; returns what it printed after `listening on …` and its log.
    /// Stops the server cleanly (SIGTERM), so that it writes out the log lines it still holds
    /// (they are written in batches), then returns the rest of its output and its log.
    fn stop(mut self) -> (String, String) {
        let terminated = std::process::Command::new("kill")
            .args(["-TERM", &self.server.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(terminated.success());
        let _ = self.server.child.wait();
        let mut rest = String::new();
        self.server.stdout.read_to_string(&mut rest).unwrap();
        let log = std::fs::read_to_string(&self.log).unwrap();
        (rest, log)
    }
}

/// Starts `orgusers serve` with `args` and `env` and waits for its `listening on` line.
fn start_with(store: &TestStore, args: &[&str], env: &[(&str, &str)]) -> Started {
    let (mut command, log) = serve_command(store, args);
    command.envs(env.iter().copied());
    let mut child = command.spawn().expect("spawn orgusers serve");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("first line");
    let Some(base) = first.trim().strip_prefix("listening on ") else {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "unexpected first line {first:?}; log: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    };
    let base = base.to_owned();
    Started {
        server: ServerProcess {
            child,
            base,
            stdout,
        },
        log,
    }
}

fn start(store: &TestStore, args: &[&str]) -> Started {
    start_with(store, args, &[])
}

/// Runs `orgusers serve` with `args`, which must end by itself (a refused start) within a
/// minute; returns its output (standard output and exit status) and its standard error.
fn failed_start(store: &TestStore, args: &[&str]) -> (Output, String) {
    let (mut command, log) = serve_command(store, args);
    let mut child = command.spawn().expect("spawn orgusers serve");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve {args:?} kept running; it should have refused to start");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    (output, std::fs::read_to_string(&log).unwrap())
}

/// Writes `lines` as a JSON Lines file in the store's folder; returns its path.
fn write_lines(store: &TestStore, name: &str, lines: &[Value]) -> String {
    let path = store.dir.path().join(name);
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// The users list of the server, as JSON.
async fn user_list(base: &str) -> Value {
    let (status, body) = http_get(base, USERS, KEY).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The user ids of a project's members.
async fn project_members(base: &str, project: &str) -> Vec<String> {
    let path = format!("/v1/organization/projects/{project}/users?limit=100");
    let (status, body) = http_get(base, &path, KEY).await;
    assert_eq!(status, 200, "{body}");
    let mut members = ids(&body);
    members.sort();
    members
}

/// A fresh store of the same kind as `store`.
async fn another_like(store: &TestStore) -> TestStore {
    let kind = if store.url.starts_with("postgres") {
        StoreKind::Postgres
    } else {
        StoreKind::Sqlite
    };
    TestStore::fresh(kind)
        .await
        .expect("a store of a kind already in use")
}

fn hint_shown(printed: &str) -> bool {
    printed.contains("no users yet")
}

async fn init_imports_the_example_once(store: TestStore) {
    let first = start(&store, &["--admin-key", KEY, "--init", EXAMPLE]);
    let users = user_list(&first.server.base).await;
    assert_eq!(ids(&users), EXAMPLE_USERS, "{users}");
    assert_eq!(
        project_members(&first.server.base, "proj_search").await,
        ["user-ada-lovelace", "user-alan-turing"]
    );
    assert_eq!(
        project_members(&first.server.base, "proj_assistant").await,
        ["user-grace-hopper", "user-zoe-odegaard"]
    );
    let (status, group) = http_get(
        &first.server.base,
        "/v1/organization/groups/group_platform/users",
        KEY,
    )
    .await;
    assert_eq!(status, 200, "{group}");
    let mut members = ids(&group);
    members.sort();
    assert_eq!(members, ["user-alan-turing", "user-grace-hopper"]);
    let (printed, log) = first.stop();
    assert!(!hint_shown(&printed), "{printed}");
    assert!(log.contains("init files imported"), "{log}");

    // A restart with the same --init finds the organization in use and changes nothing: the
    // same users, ids and timestamps, no duplicates, and the rest of the directory as it was.
    let before = crate_export(&store);
    let again = start(&store, &["--admin-key", KEY, "--init", EXAMPLE]);
    assert_eq!(user_list(&again.server.base).await, users);
    let (printed, log) = again.stop();
    assert!(!hint_shown(&printed), "{printed}");
    assert!(
        log.contains("init files skipped: the organization already has data"),
        "{log}"
    );
    assert_eq!(crate_export(&store), before);
}

/// `orgusers export` of the default organization.
fn crate_export(store: &TestStore) -> String {
    let out = orgusers()
        .args(["export", "--database", &store.url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn init_files_apply_in_order_as_one_import(store: TestStore) {
    let people = write_lines(
        &store,
        "people.jsonl",
        &[
            user_line("user-one", "one@example.com", 1_700_000_000, "owner"),
            user_line("user-two", "two@example.com", 1_700_000_001, "reader"),
            json!({"object": "group", "id": "group_ops", "name": "Ops"}),
        ],
    );
    // Refers to what the first file defines, so it applies only after it.
    let teams = write_lines(
        &store,
        "teams.jsonl",
        &[
            json!({"object": "group.user", "group_id": "group_ops", "user_id": "user-two"}),
            json!({"object": "organization.project", "id": "proj_ops", "name": "Ops"}),
            json!({"object": "organization.project.user", "project_id": "proj_ops", "id": "user-one", "role": "owner"}),
        ],
    );
    // In the other order the membership line comes before its group and user: refused, and
    // nothing of either file is written.
    let (out, stderr) = failed_start(
        &store,
        &["--admin-key", KEY, "--init", &teams, "--init", &people],
    );
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("init file {teams}: line 1")),
        "{stderr}"
    );

    let server = start(
        &store,
        &["--admin-key", KEY, "--init", &people, "--init", &teams],
    );
    let base = &server.server.base;
    assert_eq!(ids(&user_list(base).await), ["user-one", "user-two"]);
    let (status, group) = http_get(base, "/v1/organization/groups/group_ops/users", KEY).await;
    assert_eq!((status, ids(&group)), (200, vec!["user-two".to_owned()]));
    assert_eq!(project_members(base, "proj_ops").await, ["user-one"]);
}

async fn init_files_from_the_environment(store: TestStore) {
    let people = write_lines(
        &store,
        "people.jsonl",
        &[user_line(
            "user-env",
            "env@example.com",
            1_700_000_000,
            "owner",
        )],
    );
    let groups = write_lines(
        &store,
        "groups.jsonl",
        &[
            json!({"object": "group", "id": "group_env", "name": "From the environment"}),
            json!({"object": "group.user", "group_id": "group_env", "user_id": "user-env"}),
        ],
    );
    // Several files in one variable, separated as in PATH; an empty entry names nothing.
    let list = format!("{people}::{groups}");
    let server = start_with(&store, &["--admin-key", KEY], &[("ORGUSERS_INIT", &list)]);
    let base = &server.server.base;
    assert_eq!(ids(&user_list(base).await), ["user-env"]);
    let (status, group) = http_get(base, "/v1/organization/groups/group_env/users", KEY).await;
    assert_eq!((status, ids(&group)), (200, vec!["user-env".to_owned()]));
}

async fn a_bad_init_file_stops_the_start(store: TestStore) {
    let good = write_lines(
        &store,
        "good.jsonl",
        &[user_line("user-good", "good@example.com", 1, "owner")],
    );
    let bad = store.dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        format!(
            "{}\n\n{}\n",
            json!({"id": "user-fine", "email": "fine@example.com"}),
            json!({"id": "user-wrong", "email": "wrong@example.com", "role": "emperor"})
        ),
    )
    .unwrap();
    let bad = bad.display().to_string();
    let (out, stderr) = failed_start(
        &store,
        &["--admin-key", KEY, "--init", &good, "--init", &bad],
    );
    assert!(!out.status.success(), "{stderr}");
    // The refusal names the file, its own line number (the blank line counts) and the field.
    assert!(
        stderr.contains(&format!("init file {bad}: line 3: field 'role'")),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("listening on"), "{stdout}");

    // Nothing of either file was written, the earlier good one included.
    let server = start(&store, &["--admin-key", KEY]);
    assert_eq!(
        ids(&user_list(&server.server.base).await),
        Vec::<String>::new()
    );
    drop(server);

    // A missing file is refused too, before anything is written.
    let missing = store.dir.path().join("missing.jsonl").display().to_string();
    let (out, stderr) = failed_start(&store, &["--admin-key", KEY, "--init", &missing]);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("cannot open init file {missing}")),
        "{stderr}"
    );
}

async fn the_hint_shows_on_an_empty_organization_only(store: TestStore) {
    // A first start without --admin-key: the key, then the hint.
    let first = start(&store, &[]);
    let (printed, _) = first.stop();
    let lines: Vec<&str> = printed.lines().collect();
    assert!(lines[0].contains("admin key"), "{printed}");
    assert!(lines[1].starts_with("sk-admin-"), "{printed}");
    assert!(hint_shown(lines[2]), "{printed}");
    // Every command it prints works on this store as printed (FILE being a file; a password,
    // which the hint never shows, put back).
    let shown_url = store.database_url().redacted();
    let commands: Vec<Vec<String>> = lines[3..]
        .iter()
        .filter(|line| line.starts_with("  orgusers "))
        .map(|line| {
            let command = line.trim().split("   (").next().unwrap();
            command
                .split_whitespace()
                .map(|word| match word {
                    "FILE" => EXAMPLE.to_owned(),
                    // A redacted URL comes in single quotes (its `***` would glob).
                    word if word.trim_matches('\'') == shown_url => store.url.clone(),
                    word => word.to_owned(),
                })
                .collect()
        })
        .collect();
    assert_eq!(commands.len(), 3, "{printed}");
    let programs: Vec<&str> = commands.iter().map(|c| c[1].as_str()).collect();
    assert_eq!(programs, ["seed", "import", "serve"], "{printed}");
    for command in &commands {
        assert_eq!(command[0], "orgusers");
        assert!(command.contains(&store.url), "{command:?} names the store");
    }
    // The seed command, on this empty store, adds users.
    let out = orgusers().args(&commands[0][1..]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seeded = start(&store, &[]);
    let (printed, _) = seeded.stop();
    assert!(!hint_shown(&printed), "no hint once users exist: {printed}");

    // The import and serve --init commands work on a store of their own.
    let other = another_like(&store).await;
    let on_other = |command: &[String]| -> Vec<String> {
        command[1..]
            .iter()
            .map(|word| word.replace(&store.url, &other.url))
            .collect()
    };
    let out = orgusers().args(on_other(&commands[1])).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let third = another_like(&store).await;
    let serve_args: Vec<String> = commands[2][1..]
        .iter()
        .map(|word| word.replace(&store.url, &third.url))
        .skip_while(|word| word != "--init")
        .collect();
    let args: Vec<&str> = serve_args.iter().map(String::as_str).collect();
    let served = start(&third, &[&["--admin-key", KEY], &args[..]].concat());
    assert_eq!(ids(&user_list(&served.server.base).await), EXAMPLE_USERS);

    // --admin-key on an empty store: the hint follows the listening line, and its way through
    // the API works too.
    let keyed = another_like(&store).await;
    let mut server = start(&keyed, &["--admin-key", KEY]);
    assert!(hint_shown(&server.server.next_line()));
    let api = (0..4).map(|_| server.server.next_line()).last().unwrap();
    assert_eq!(
        api,
        "  or through the API: POST /v1/organization/invites, then POST /_orgusers/invites/ID/accept"
    );
    let client = reqwest::Client::new();
    let base = &server.server.base;
    let invite: Value = client
        .post(format!("{base}/v1/organization/invites"))
        .bearer_auth(KEY)
        .json(&json!({"email": "first@example.com", "role": "owner"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = invite["id"].as_str().unwrap_or_else(|| panic!("{invite}"));
    let accepted = client
        .post(format!("{base}/_orgusers/invites/{id}/accept"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status().as_u16(), 200);
    let users = user_list(base).await;
    assert_eq!(users["data"][0]["email"], "first@example.com", "{users}");
    let console = format!("console: {base}/console/\n");
    let (printed, _) = server.stop();
    assert_eq!(printed, console, "the hint has four lines after its first");
}

async fn no_control_hides_the_control_endpoints(store: TestStore) {
    for (args, env) in [
        (&["--admin-key", KEY, "--no-control"][..], &[][..]),
        (
            &["--admin-key", KEY][..],
            &[("ORGUSERS_NO_CONTROL", "true")][..],
        ),
    ] {
        let server = start_with(&store, args, env);
        let base = &server.server.base;
        for path in [
            "/_orgusers/clock",
            "/_orgusers/requests",
            "/_orgusers/snapshots",
        ] {
            let (status, body) = http_get(base, path, KEY).await;
            assert_eq!(status, 404, "{path}: {body}");
            assert_eq!(
                body["error"]["message"],
                format!("Invalid URL (GET {path})"),
                "{body}"
            );
        }
        let client = reqwest::Client::new();
        let reset = client
            .post(format!("{base}/_orgusers/reset"))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(reset.status().as_u16(), 404);
        let body: Value = reset.json().await.unwrap();
        assert_eq!(
            body["error"]["message"],
            "Invalid URL (POST /_orgusers/reset)"
        );
        // The API itself is served as usual.
        let (status, list) = http_get(base, USERS, KEY).await;
        assert_eq!((status, list["object"].as_str()), (200, Some("list")));
        // The hint of the empty organization does not point to what is not served.
        let (printed, _) = server.stop();
        assert!(hint_shown(&printed), "{printed}");
        assert!(!printed.contains("/_orgusers/"), "{printed}");
    }

    // Without the flag they are served: whatever they answer, it is not the unknown path's 404.
    let server = start(&store, &["--admin-key", KEY]);
    for path in ["/_orgusers/clock", "/_orgusers/requests"] {
        let (status, body) = http_get(&server.server.base, path, KEY).await;
        assert!(
            !(status == 404
                && body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("Invalid URL"))),
            "{path}: {status} {body}"
        );
    }
}
