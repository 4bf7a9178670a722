//! The control endpoints of the organization's clock, its reset and its snapshots, on both
//! stores.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::cli_directory::{cli, ok, ok_json};
use crate::harness::*;

fn run_ok(args: &[&str]) -> String {
    let out = orgusers().args(args).output().expect("run orgusers");
    assert!(
        out.status.success(),
        "orgusers {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn real_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A moment well ahead of real time, so that freezing there never moves the clock back.
const AHEAD: i64 = 4_000_000_000;

on_both_stores!(
    clock_reads_real_time_until_set,
    frozen_clock_stamps_every_change,
    clock_never_goes_back,
    clock_refuses_bad_settings,
    clock_lives_in_the_store,
    clock_is_per_organization,
    reset_empties_the_organization_but_keeps_its_keys,
    restore_gives_back_the_exact_export,
    snapshots_are_listed_replaced_and_deleted,
    snapshots_refuse_and_stay_in_their_organization,
    the_command_line_drives_clock_snapshots_and_reset,
);

async fn clock_reads_real_time_until_set(app: TestApp) {
    let before = real_now();
    let clock = app.get("/_orgusers/clock").await;
    assert_eq!(clock.status, 200, "{}", clock.body);
    assert_eq!(clock.body["object"], "orgusers.clock");
    assert_eq!(clock.body["frozen"], false);
    let now = clock.body["now"].as_i64().unwrap();
    assert!(now >= before && now <= real_now(), "{now}");

    let frozen = app.post("/_orgusers/clock", r#"{"now": 4000000000}"#).await;
    assert_eq!(
        frozen.body,
        json!({"object": "orgusers.clock", "now": AHEAD, "frozen": true})
    );
    assert_eq!(app.get("/_orgusers/clock").await.body, frozen.body);

    let advanced = app
        .post("/_orgusers/clock", r#"{"advance_seconds": 90}"#)
        .await;
    assert_eq!(advanced.body["now"], AHEAD + 90);
    assert_eq!(advanced.body["frozen"], true);
}

async fn frozen_clock_stamps_every_change(app: TestApp) {
    app.import(&[user_line("user-ada", "ada@example.com", 10, "owner")])
        .await;
    app.post("/_orgusers/clock", r#"{"now": 4000000000}"#).await;
    let project = app
        .post("/v1/organization/projects", r#"{"name": "Apollo"}"#)
        .await;
    assert_eq!(project.body["created_at"], AHEAD, "{}", project.body);
    let id = project.body["id"].as_str().unwrap().to_owned();
    let member = app
        .post(
            &format!("/v1/organization/projects/{id}/users"),
            r#"{"user_id": "user-ada", "role": "owner"}"#,
        )
        .await;
    assert_eq!(member.body["added_at"], AHEAD, "{}", member.body);
    let group = app
        .post("/v1/organization/groups", r#"{"name": "Crew"}"#)
        .await;
    assert_eq!(group.body["created_at"], AHEAD, "{}", group.body);
    let archived = app
        .post(&format!("/v1/organization/projects/{id}/archive"), "")
        .await;
    assert_eq!(archived.body["archived_at"], AHEAD, "{}", archived.body);
    // Advancing moves what the next change is stamped with.
    app.post("/_orgusers/clock", r#"{"advance_seconds": 3600}"#)
        .await;
    let later = app
        .post("/v1/organization/projects", r#"{"name": "Gemini"}"#)
        .await;
    assert_eq!(later.body["created_at"], AHEAD + 3600);
}

async fn clock_never_goes_back(app: TestApp) {
    let ahead = real_now() + 10_000;
    let set = app
        .post("/_orgusers/clock", r#"{"advance_seconds": 10000}"#)
        .await;
    assert_eq!(set.body["frozen"], false);
    let first = app
        .post("/v1/organization/projects", r#"{"name": "First"}"#)
        .await;
    let first_at = first.body["created_at"].as_i64().unwrap();
    assert!(first_at >= ahead, "{first_at} < {ahead}");
    // Back to real time: the clock holds at what it had reached instead of going back.
    let back = app.post("/_orgusers/clock", r#"{"now": null}"#).await;
    assert_eq!(back.body["frozen"], false);
    assert!(back.body["now"].as_i64().unwrap() >= first_at);
    let second = app
        .post("/v1/organization/projects", r#"{"name": "Second"}"#)
        .await;
    assert!(second.body["created_at"].as_i64().unwrap() >= first_at);
    // Freezing earlier than that is refused.
    app.post(
        "/_orgusers/clock",
        &format!(r#"{{"now": {}}}"#, first_at - 1),
    )
    .await
    .assert_error(
        400,
        Some("now"),
        None,
        &format!(
            "The organization's clock cannot go back: it already stands at {} (Unix seconds) \
                 and objects may have been created then.",
            back.body["now"].as_i64().unwrap()
        ),
    );
    // Held at the same second, the two tie and are ordered by id; what counts is that no
    // later creation sorts before an earlier one by time.
    let listed = app.get("/v1/organization/projects?limit=100").await;
    let times: Vec<i64> = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["created_at"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(times.len(), 3, "{}", listed.body);
}

async fn clock_refuses_bad_settings(app: TestApp) {
    app.post("/_orgusers/clock", "{}").await.assert_error(
        400,
        Some("now"),
        Some("missing_required_parameter"),
        "Missing required parameter: 'now'.",
    );
    let both = app
        .post(
            "/_orgusers/clock",
            r#"{"now": 4000000000, "advance_seconds": 1}"#,
        )
        .await;
    assert_eq!(both.status, 400);
    assert_eq!(both.body["error"]["param"], "advance_seconds");
    let wrong = app.post("/_orgusers/clock", r#"{"now": "tomorrow"}"#).await;
    wrong.assert_error(
        400,
        Some("now"),
        Some("invalid_type"),
        "Invalid type for 'now': expected an integer, but got a string instead.",
    );
    let back = app
        .post("/_orgusers/clock", r#"{"advance_seconds": -5}"#)
        .await;
    assert_eq!(back.status, 400);
    assert_eq!(back.body["error"]["param"], "advance_seconds");
    let far = app
        .post("/_orgusers/clock", r#"{"advance_seconds": 99999999999}"#)
        .await;
    assert_eq!(far.status, 400, "{}", far.body);
    let unknown = app.post("/_orgusers/clock", r#"{"then": 1}"#).await;
    assert_eq!(unknown.status, 400);
    let anonymous = app
        .send(reqwest::Method::GET, "/_orgusers/clock", None, None, &[])
        .await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        app.get("/_orgusers/clock").await.body["frozen"],
        false,
        "nothing refused changed the clock"
    );
}

async fn clock_lives_in_the_store(app: TestApp) {
    app.post("/_orgusers/clock", r#"{"now": 4000000000}"#).await;
    let again = TestApp::spawn_on(Arc::clone(&app.test_store)).await;
    let clock = again.get("/_orgusers/clock").await;
    assert_eq!(clock.body["now"], AHEAD);
    assert_eq!(clock.body["frozen"], true);
}

async fn clock_is_per_organization(app: TestApp) {
    app.post("/_orgusers/clock", r#"{"now": 4000000000}"#).await;
    let theirs = app.get_as(OTHER_KEY, "/_orgusers/clock").await;
    assert_eq!(theirs.body["frozen"], false);
    let project = app
        .post_as(
            OTHER_KEY,
            "/v1/organization/projects",
            r#"{"name": "Theirs"}"#,
        )
        .await;
    assert!(project.body["created_at"].as_i64().unwrap() <= real_now());
}

async fn reset_empties_the_organization_but_keeps_its_keys(app: TestApp) {
    app.import(&users(5)).await;
    app.import_into(&app.other_org, &users(3)).await;
    let before = app.get("/v1/organization/projects").await.ids();
    app.post("/v1/organization/projects", r#"{"name": "Apollo"}"#)
        .await;
    app.post("/v1/organization/groups", r#"{"name": "Crew"}"#)
        .await;
    app.post(
        "/v1/organization/roles",
        r#"{"role_name": "Auditor", "permissions": ["api.users.read"]}"#,
    )
    .await;
    app.post("/_orgusers/clock", r#"{"now": 4000000000}"#).await;

    let reset = app.post("/_orgusers/reset", "").await;
    assert_eq!(
        reset.body,
        json!({"object": "orgusers.reset", "organization": app.org.as_str()})
    );
    assert_eq!(
        app.get("/v1/organization/users").await.ids(),
        Vec::<String>::new()
    );
    let projects = app
        .get("/v1/organization/projects?include_archived=true")
        .await;
    let data = projects.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{}", projects.body);
    assert_eq!(data[0]["name"], "Default project");
    assert_ne!(projects.ids(), before, "a fresh Default project");
    assert_eq!(
        app.get("/v1/organization/groups").await.body["data"],
        json!([])
    );
    let roles = app.get("/v1/organization/roles").await;
    assert!(
        roles.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["predefined_role"] == true),
        "{}",
        roles.body
    );
    assert_eq!(
        app.get("/_orgusers/clock").await.body["frozen"],
        false,
        "real time again"
    );
    // The other organization is untouched.
    assert_eq!(
        app.get_as(OTHER_KEY, "/v1/organization/users")
            .await
            .ids()
            .len(),
        3
    );
    // The Default project works as a new one does.
    app.import(&users(2)).await;
    let default = &app.get("/v1/organization/projects").await.ids()[0];
    let members = app
        .get(&format!("/v1/organization/projects/{default}/users"))
        .await;
    assert_eq!(members.ids().len(), 2);
}

async fn restore_gives_back_the_exact_export(app: TestApp) {
    let url = app.test_store.url.clone();
    run_ok(&["seed", "--database", &url, "--count", "300", "--seed", "9"]);
    app.post("/_orgusers/clock", r#"{"now": 4000000000}"#).await;
    let saved_export = run_ok(&["export", "--database", &url]);
    let saved = app
        .post("/_orgusers/snapshots", r#"{"name": "seeded"}"#)
        .await;
    assert_eq!(
        saved.body,
        json!({"object": "orgusers.snapshot", "name": "seeded", "created_at": AHEAD})
    );

    // Change everything a little: users, projects, the clock.
    let first = app.get("/v1/organization/users?limit=3").await.ids();
    for id in &first {
        app.delete(&format!("/v1/organization/users/{id}")).await;
    }
    app.post("/_orgusers/clock", r#"{"advance_seconds": 600}"#)
        .await;
    app.post("/v1/organization/projects", r#"{"name": "After"}"#)
        .await;
    app.post("/v1/organization/groups", r#"{"name": "After"}"#)
        .await;
    assert_ne!(run_ok(&["export", "--database", &url]), saved_export);

    let restored = app.post("/_orgusers/snapshots/seeded/restore", "").await;
    assert_eq!(restored.body, saved.body);
    assert_eq!(run_ok(&["export", "--database", &url]), saved_export);
    let clock = app.get("/_orgusers/clock").await;
    assert_eq!(clock.body["now"], AHEAD, "the snapshot's clock");
    // The restored state works: lists walk, users can be changed, and twice gives the same.
    let all = app.walk(50, "").await;
    assert_eq!(all.len(), app.walk(17, "").await.len());
    let changed = app
        .post(
            &format!("/v1/organization/users/{}", first[0]),
            r#"{"technical_level": "expert"}"#,
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["technical_level"], "expert");
    app.post("/_orgusers/snapshots/seeded/restore", "").await;
    assert_eq!(run_ok(&["export", "--database", &url]), saved_export);
}

async fn snapshots_are_listed_replaced_and_deleted(app: TestApp) {
    let empty = app.get("/_orgusers/snapshots").await;
    assert_eq!(empty.body, json!({"object": "list", "data": []}));
    app.post("/_orgusers/clock", r#"{"now": 4000000000}"#).await;
    app.post("/_orgusers/snapshots", r#"{"name": "b"}"#).await;
    app.post("/_orgusers/clock", r#"{"advance_seconds": 5}"#)
        .await;
    app.import(&users(2)).await;
    app.post("/_orgusers/snapshots", r#"{"name": "a"}"#).await;
    let listed = app.get("/_orgusers/snapshots").await;
    assert_eq!(
        listed.body["data"],
        json!([
            {"object": "orgusers.snapshot", "name": "b", "created_at": AHEAD},
            {"object": "orgusers.snapshot", "name": "a", "created_at": AHEAD + 5},
        ])
    );
    // Saving under a taken name replaces it.
    app.post("/_orgusers/clock", r#"{"advance_seconds": 5}"#)
        .await;
    app.import(&users(4)).await;
    app.post("/_orgusers/snapshots", r#"{"name": "b"}"#).await;
    app.post("/_orgusers/reset", "").await;
    app.post("/_orgusers/snapshots/b/restore", "").await;
    assert_eq!(
        app.get("/v1/organization/users?limit=100")
            .await
            .ids()
            .len(),
        4
    );

    let deleted = app.delete("/_orgusers/snapshots/a").await;
    assert_eq!(
        deleted.body,
        json!({"object": "orgusers.snapshot.deleted", "name": "a", "deleted": true})
    );
    let names: Vec<Value> = app.get("/_orgusers/snapshots").await.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].clone())
        .collect();
    assert_eq!(names, [json!("b")]);
    app.delete("/_orgusers/snapshots/a").await.assert_error(
        404,
        Some("name"),
        None,
        "No such snapshot: a",
    );
}

async fn snapshots_refuse_and_stay_in_their_organization(app: TestApp) {
    app.post("/_orgusers/snapshots", "{}").await.assert_error(
        400,
        Some("name"),
        Some("missing_required_parameter"),
        "Missing required parameter: 'name'.",
    );
    let bad = app
        .post("/_orgusers/snapshots", r#"{"name": "no/slashes"}"#)
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"]["param"], "name");
    app.post("/_orgusers/snapshots/nothing/restore", "")
        .await
        .assert_error(404, Some("name"), None, "No such snapshot: nothing");

    app.import(&users(2)).await;
    app.post("/_orgusers/snapshots", r#"{"name": "mine"}"#)
        .await;
    assert_eq!(
        app.get_as(OTHER_KEY, "/_orgusers/snapshots").await.body["data"],
        json!([])
    );
    app.post_as(OTHER_KEY, "/_orgusers/snapshots/mine/restore", "")
        .await
        .assert_error(404, Some("name"), None, "No such snapshot: mine");
    app.post_as(OTHER_KEY, "/_orgusers/reset", "").await;
    assert_eq!(app.get("/v1/organization/users").await.ids().len(), 2);
}

async fn the_command_line_drives_clock_snapshots_and_reset(app: TestApp) {
    let frozen = ok_json(&cli(&app, &["clock", "freeze", "2096-10-02T07:06:40Z"]));
    assert_eq!(
        frozen,
        json!({"object": "orgusers.clock", "now": AHEAD, "frozen": true})
    );
    let advanced = ok_json(&cli(&app, &["clock", "advance", "1h"]));
    assert_eq!(advanced["now"], AHEAD + 3600);
    assert_eq!(ok_json(&cli(&app, &["clock"])), advanced);

    app.import(&users(3)).await;
    let saved = ok_json(&cli(&app, &["snapshots", "save", "three"]));
    assert_eq!(saved["name"], "three");
    let table = ok(&cli(&app, &["snapshots", "list"]));
    assert!(table.starts_with("NAME"), "{table}");
    assert!(
        table.contains("three") && table.contains("2096-10-02T08:06:40Z"),
        "{table}"
    );
    assert!(ok(&cli(&app, &["reset"])).contains(app.org.as_str()));
    assert_eq!(app.get("/v1/organization/users").await.ids().len(), 0);
    assert!(ok(&cli(&app, &["snapshots", "restore", "three"])).contains("restored three"));
    assert_eq!(app.get("/v1/organization/users").await.ids().len(), 3);
    ok(&cli(&app, &["snapshots", "delete", "three"]));
    let missing = cli(&app, &["snapshots", "restore", "three"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("No such snapshot: three"));
    let real = ok_json(&cli(&app, &["clock", "real"]));
    assert_eq!(real["frozen"], false);
}
