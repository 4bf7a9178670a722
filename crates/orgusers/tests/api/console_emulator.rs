//! The console's Emulator page: reset, snapshots, the clock, faults and the request journal do
//! what the control endpoints do (read back through them and the API), behind confirmations
//! and the CSRF token; without the control endpoints the page is absent.

use orgusers_server::AppState;
use serde_json::json;

use crate::console::spawn_with_state;
use crate::console_support::*;
use crate::harness::*;

on_both_stores!(
    reset_asks_then_empties_the_organization,
    snapshots_are_saved_restored_and_deleted,
    the_clock_is_set_advanced_and_released,
    faults_are_added_listed_and_removed,
    the_journal_shows_the_last_requests,
    forged_emulator_forms_change_nothing,
);

#[track_caller]
fn back_to_emulator(page: &Page) {
    page.assert_page(303);
    assert_eq!(page.location(), Some("/console/emulator"));
}

async fn user_count(app: &TestApp) -> usize {
    let users = app.get("/v1/organization/users").await;
    users.body["data"].as_array().unwrap().len()
}

async fn reset_asks_then_empties_the_organization(app: TestApp) {
    app.import(&ada_and_bob()).await;
    let browser = Browser::signed_in(&app.base, KEY).await;
    let page = browser.get("/console/emulator").await;
    page.assert_page(200);
    assert!(
        page.body
            .contains(r#"<a href="/console/emulator" aria-current="page">Emulator</a>"#)
    );
    assert!(page.body.contains(r#"href="/console/emulator/reset""#));
    let confirm = browser.get("/console/emulator/reset").await;
    confirm.assert_page(200);
    assert!(confirm.body.contains("Reset the organization?"));
    assert!(confirm.body.contains(">Reset organization</button>"));
    assert_eq!(user_count(&app).await, 2);
    let reset = browser
        .post("/console/emulator/reset", &[("csrf", &confirm.csrf())])
        .await;
    back_to_emulator(&reset);
    assert_eq!(user_count(&app).await, 0);
    let page = browser.get("/console/emulator").await;
    assert!(page.has_status("Reset the organization."));
    // The session survives a reset.
    assert_eq!(browser.get("/console/people").await.status, 200);
}

async fn snapshots_are_saved_restored_and_deleted(app: TestApp) {
    app.import(&ada_and_bob()).await;
    let browser = Browser::signed_in(&app.base, KEY).await;
    let page = browser.get("/console/emulator").await;
    assert!(
        page.body
            .contains(r#"<label for="snapshot-name">Snapshot name</label>"#)
    );
    assert!(page.body.contains(">Save snapshot</button>"));
    let csrf = page.csrf();
    let refused = browser
        .post(
            "/console/emulator/snapshots",
            &[("name", "no spaces"), ("csrf", &csrf)],
        )
        .await;
    refused.assert_page(400);
    assert!(
        refused.has_alert("Invalid snapshot name"),
        "{}",
        refused.body
    );
    let saved = browser
        .post(
            "/console/emulator/snapshots",
            &[("name", "two-users"), ("csrf", &csrf)],
        )
        .await;
    back_to_emulator(&saved);
    let listed = app.get("/_orgusers/snapshots").await;
    assert_eq!(
        listed.body["data"][0]["name"], "two-users",
        "{}",
        listed.body
    );
    let page = browser.get("/console/emulator").await;
    assert!(page.has_status("Saved the snapshot two-users."));
    assert!(page.body.contains("<code>two-users</code>"));

    app.delete("/v1/organization/users/user-bob").await;
    assert_eq!(user_count(&app).await, 1);
    let confirm = browser
        .get("/console/emulator/snapshots/two-users/restore")
        .await;
    confirm.assert_page(200);
    assert!(confirm.body.contains(">Restore snapshot</button>"));
    let restored = browser
        .post(
            "/console/emulator/snapshots/two-users/restore",
            &[("csrf", &csrf)],
        )
        .await;
    back_to_emulator(&restored);
    assert_eq!(user_count(&app).await, 2);

    let confirm = browser
        .get("/console/emulator/snapshots/two-users/delete")
        .await;
    confirm.assert_page(200);
    assert!(confirm.body.contains(">Delete snapshot</button>"));
    let deleted = browser
        .post(
            "/console/emulator/snapshots/two-users/delete",
            &[("csrf", &csrf)],
        )
        .await;
    back_to_emulator(&deleted);
    let listed = app.get("/_orgusers/snapshots").await;
    assert!(listed.body["data"].as_array().unwrap().is_empty());
    for path in [
        "/console/emulator/snapshots/two-users/restore",
        "/console/emulator/snapshots/nope/delete",
        "/console/emulator/snapshots/bad%20name/restore",
    ] {
        assert_eq!(browser.get(path).await.status, 404, "{path}");
        assert_eq!(
            browser.post(path, &[("csrf", &csrf)]).await.status,
            404,
            "{path}"
        );
    }
}

async fn the_clock_is_set_advanced_and_released(app: TestApp) {
    let browser = Browser::signed_in(&app.base, KEY).await;
    let page = browser.get("/console/emulator").await;
    for text in [
        r#"<label for="clock-now">Freeze at (UTC)</label>"#,
        r#"<label for="clock-advance">Advance by (seconds)</label>"#,
        ">Set clock</button>",
        ">Advance clock</button>",
        ">Back to real time</button>",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    let csrf = page.csrf();
    let set = browser
        .post(
            "/console/emulator/clock/set",
            &[("now", "2030-01-01T12:00:00Z"), ("csrf", &csrf)],
        )
        .await;
    back_to_emulator(&set);
    let clock = app.get("/_orgusers/clock").await;
    assert_eq!(clock.body["now"], 1_893_499_200, "{}", clock.body);
    assert_eq!(clock.body["frozen"], true);
    let page = browser.get("/console/emulator").await;
    assert!(
        page.has_status("The clock now reads 2030-01-01 12:00 UTC, frozen."),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"<time datetime="2030-01-01T12:00:00Z">2030-01-01 12:00:00 UTC</time>"#)
    );
    // Changes are stamped with the emulated time.
    let created = app
        .post(
            "/v1/organization/groups",
            &json!({ "name": "Then" }).to_string(),
        )
        .await;
    assert_eq!(created.body["created_at"], 1_893_499_200);

    let advanced = browser
        .post(
            "/console/emulator/clock/advance",
            &[("seconds", "90"), ("csrf", &csrf)],
        )
        .await;
    back_to_emulator(&advanced);
    let clock = app.get("/_orgusers/clock").await;
    assert_eq!(clock.body["now"], 1_893_499_290);
    let refused = browser
        .post(
            "/console/emulator/clock/advance",
            &[("seconds", "soon"), ("csrf", &csrf)],
        )
        .await;
    refused.assert_page(400);
    assert!(refused.has_alert("whole number"));
    let refused = browser
        .post(
            "/console/emulator/clock/set",
            &[("now", "tomorrow"), ("csrf", &csrf)],
        )
        .await;
    refused.assert_page(400);
    assert!(refused.has_alert("is not a time"));
    // The store's own rule: the clock never goes back before what it has stamped.
    let refused = browser
        .post(
            "/console/emulator/clock/set",
            &[("now", "1000"), ("csrf", &csrf)],
        )
        .await;
    refused.assert_page(400);
    let clock = app.get("/_orgusers/clock").await;
    assert_eq!(clock.body["now"], 1_893_499_290);

    let real = browser
        .post("/console/emulator/clock/real", &[("csrf", &csrf)])
        .await;
    back_to_emulator(&real);
    let clock = app.get("/_orgusers/clock").await;
    assert_eq!(clock.body["frozen"], false);
}

async fn faults_are_added_listed_and_removed(app: TestApp) {
    let browser = Browser::signed_in(&app.base, KEY).await;
    let page = browser.get("/console/emulator").await;
    for text in [
        r#"<label for="fault-method">Method</label>"#,
        r#"<label for="fault-path">Path</label>"#,
        r#"<label for="fault-status">"#,
        r#"<label for="fault-latency">"#,
        r#"<label for="fault-probability">"#,
        r#"<label for="fault-count">"#,
        ">Add fault</button>",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    let csrf = page.csrf();
    // The control endpoint's parser refuses, with its sentence; the form keeps what was typed.
    let refused = browser
        .post(
            "/console/emulator/faults",
            &[
                ("method", "GET"),
                ("path", "/health"),
                ("status", "503"),
                ("csrf", &csrf),
            ],
        )
        .await;
    refused.assert_page(400);
    assert!(refused.has_alert("/v1/ paths only"), "{}", refused.body);
    assert_eq!(
        refused.input_value("fault-path").as_deref(),
        Some("/health")
    );
    let refused = browser
        .post(
            "/console/emulator/faults",
            &[("path", "/v1/x"), ("status", "200"), ("csrf", &csrf)],
        )
        .await;
    refused.assert_page(400);
    assert!(refused.has_alert("400 to 599"), "{}", refused.body);

    let added = browser
        .post(
            "/console/emulator/faults",
            &[
                ("method", "GET"),
                ("path", "/v1/organization/users"),
                ("status", "503"),
                ("latency_ms", "0"),
                ("probability", "1"),
                ("count", "1"),
                ("csrf", &csrf),
            ],
        )
        .await;
    back_to_emulator(&added);
    let faults = app.get("/_orgusers/faults").await;
    let fault = &faults.body["data"][0];
    assert_eq!(fault["method"], "GET");
    assert_eq!(fault["status"], 503);
    assert_eq!(fault["count"], 1);
    let id = fault["id"].as_str().unwrap().to_owned();
    let page = browser.get("/console/emulator").await;
    assert!(page.body.contains(&format!("<code>{id}</code>")));
    assert!(page.body.contains(">Remove all faults</button>"));
    // It fires once, then is used up.
    assert_eq!(app.get("/v1/organization/users").await.status, 503);
    assert_eq!(app.get("/v1/organization/users").await.status, 200);

    for path in ["/v1/organization/users", "/v1/organization/groups"] {
        let added = browser
            .post(
                "/console/emulator/faults",
                &[
                    ("method", "*"),
                    ("path", path),
                    ("status", "500"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        back_to_emulator(&added);
    }
    let faults = app.get("/_orgusers/faults").await;
    let ids: Vec<String> = faults.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    let removed = browser
        .post(
            &format!("/console/emulator/faults/{}/remove", ids[0]),
            &[("csrf", &csrf)],
        )
        .await;
    back_to_emulator(&removed);
    assert_eq!(app.get("/v1/organization/users").await.status, 200);
    assert_eq!(app.get("/v1/organization/groups").await.status, 500);
    let gone = browser
        .post(
            &format!("/console/emulator/faults/{}/remove", ids[0]),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(gone.status, 404);
    let cleared = browser
        .post("/console/emulator/faults/clear", &[("csrf", &csrf)])
        .await;
    back_to_emulator(&cleared);
    assert!(
        browser
            .get("/console/emulator")
            .await
            .has_status("Removed 1 fault.")
    );
    assert_eq!(app.get("/v1/organization/groups").await.status, 200);
    let faults = app.get("/_orgusers/faults").await;
    assert!(faults.body["data"].as_array().unwrap().is_empty());
}

async fn the_journal_shows_the_last_requests(app: TestApp) {
    let browser = Browser::signed_in(&app.base, KEY).await;
    let page = browser.get("/console/emulator").await;
    assert!(page.body.contains("No /v1 requests recorded yet."));
    let listed = app.get("/v1/organization/users?limit=3").await;
    let request_id = listed.header("x-request-id").unwrap().to_owned();
    let page = browser.get("/console/emulator").await;
    page.assert_page(200);
    assert!(
        page.body.contains(&format!("<code>{request_id}</code>")),
        "{}",
        page.body
    );
    assert!(page.body.contains("<code>/v1/organization/users</code>"));
    assert!(page.body.contains("<code>limit=3</code>"));
    // Console requests are not in it.
    assert!(!page.body.contains("<code>/console/emulator</code>"));
}

async fn forged_emulator_forms_change_nothing(app: TestApp) {
    app.import(&ada_and_bob()).await;
    let browser = Browser::signed_in(&app.base, KEY).await;
    app.post(
        "/_orgusers/snapshots",
        &json!({ "name": "kept" }).to_string(),
    )
    .await;
    let fault = app
        .post(
            "/_orgusers/faults",
            &json!({ "path": "/v1/nothing" }).to_string(),
        )
        .await;
    let fault_id = fault.body["id"].as_str().unwrap().to_owned();
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/console/emulator/reset".into(), vec![]),
        ("/console/emulator/snapshots".into(), vec![("name", "x")]),
        ("/console/emulator/snapshots/kept/restore".into(), vec![]),
        ("/console/emulator/snapshots/kept/delete".into(), vec![]),
        (
            "/console/emulator/clock/set".into(),
            vec![("now", "2030-01-01T00:00:00Z")],
        ),
        (
            "/console/emulator/clock/advance".into(),
            vec![("seconds", "100")],
        ),
        ("/console/emulator/clock/real".into(), vec![]),
        (
            "/console/emulator/faults".into(),
            vec![("path", "/v1/x"), ("status", "500")],
        ),
        ("/console/emulator/faults/clear".into(), vec![]),
        (
            format!("/console/emulator/faults/{fault_id}/remove"),
            vec![],
        ),
    ];
    for (path, fields) in &forms {
        for csrf in [None, Some("forged")] {
            let mut fields = fields.clone();
            if let Some(csrf) = csrf {
                fields.push(("csrf", csrf));
            }
            let page = browser.post(path, &fields).await;
            page.assert_page(403);
        }
    }
    assert_eq!(user_count(&app).await, 2);
    let clock = app.get("/_orgusers/clock").await;
    assert_eq!(clock.body["frozen"], false);
    let snapshots = app.get("/_orgusers/snapshots").await;
    assert_eq!(snapshots.body["data"].as_array().unwrap().len(), 1);
    let faults = app.get("/_orgusers/faults").await;
    assert_eq!(faults.body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_control_the_emulator_page_is_absent() {
    let store = TestStore::fresh(StoreKind::Sqlite).await.unwrap();
    let (base, _stop) = spawn_with_state(&store, |s| AppState::new(s).without_control()).await;
    let browser = Browser::signed_in(&base, KEY).await;
    let people = browser.get("/console/people").await;
    people.assert_page(200);
    assert!(!people.body.contains("/console/emulator"), "no nav entry");
    assert!(people.body.contains(r#"href="/console/roles""#));
    let csrf = people.csrf();
    for path in [
        "/console/emulator",
        "/console/emulator/reset",
        "/console/emulator/snapshots/x/restore",
    ] {
        let page = browser.get(path).await;
        page.assert_page(404);
        assert!(page.body.contains("Page not found"), "{path}");
    }
    for path in [
        "/console/emulator/reset",
        "/console/emulator/clock/real",
        "/console/emulator/faults/clear",
    ] {
        let page = browser.post(path, &[("csrf", &csrf)]).await;
        page.assert_page(404);
    }
    // The other pages are there.
    assert_eq!(browser.get("/console/audit-log").await.status, 200);
}
