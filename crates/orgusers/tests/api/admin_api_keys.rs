//! Admin API keys over HTTP: creation (the value once, usable at once), the list in both orders
//! and its cursors, reads, deletion (self-deletion, and across instances within the cache's
//! second), expiry by the organization's clock, `last_used_at`, isolation and bad bodies.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli_directory::{cli, jsonl, ok, ok_json};
use crate::harness::*;

const KEYS: &str = "/v1/organization/admin_api_keys";
const USERS: &str = "/v1/organization/users";
const CLOCK: &str = "/_orgusers/clock";

on_both_stores!(
    a_created_key_shows_its_value_once_and_works_at_once,
    expires_in_seconds_sets_expires_at,
    the_list_pages_in_both_orders,
    an_after_naming_a_deleted_key_still_places_the_page,
    retrieve_and_delete,
    a_key_may_delete_itself,
    an_expired_key_is_refused_by_the_organization_clock,
    last_used_at_is_kept,
    other_organizations_see_none_of_them,
    bad_bodies_and_queries_are_refused,
    the_cli_manages_the_same_keys,
    an_owned_key_shows_its_user_as_owner
);

on_fresh_stores!(deletion_reaches_every_instance_within_a_second);

fn key_path(id: &str) -> String {
    format!("{KEYS}/{id}")
}

/// Creates a key as `as_key` with `body`; the whole answer, which must be a 200.
async fn create_as(app: &TestApp, as_key: &str, body: Value) -> Value {
    let r = app.post_as(as_key, KEYS, &body.to_string()).await;
    assert_eq!(r.status, 200, "{body}: {}", r.body);
    r.body
}

async fn create(app: &TestApp, name: &str) -> Value {
    create_as(app, KEY, json!({ "name": name })).await
}

fn id_of(body: &Value) -> String {
    body["id"].as_str().expect("an id").to_owned()
}

/// Every key of the organization of `as_key`, walked `limit` at a time in `order`.
async fn walk(app: &TestApp, as_key: &str, limit: usize, order: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("{KEYS}?limit={limit}&order={order}");
        if let Some(cursor) = &after {
            path.push_str(&format!("&after={cursor}"));
        }
        let page = app.get_as(as_key, &path).await;
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
        seen.extend(ids);
        if !page.body["has_more"].as_bool().unwrap() {
            return seen;
        }
        after = seen.last().cloned();
    }
}

/// Polls `key` until it is refused, for at most a few seconds (the cache trusts a verified key
/// for one second); the refusal, which must be the envelope of an unknown key.
async fn until_refused(app: &TestApp, key: &str) -> Reply {
    let deadline = Instant::now() + Duration::from_secs(4);
    loop {
        let r = app.get_as(key, USERS).await;
        if r.status == 401 || Instant::now() > deadline {
            assert_eq!(r.status, 401, "{} still opens the organization", key);
            assert_eq!(r.body["error"]["code"], "invalid_api_key", "{}", r.body);
            return r;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The id of [`KEY`], which `serve --admin-key` made.
async fn own_key_id(app: &TestApp) -> String {
    let list = app.get(&format!("{KEYS}?limit=100")).await;
    let own = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "serve --admin-key")
        .map(id_of);
    own.expect("the test's own key")
}

async fn a_created_key_shows_its_value_once_and_works_at_once(app: TestApp) {
    let created = create(&app, "ci").await;
    assert_eq!(created["object"], "organization.admin_api_key");
    assert_eq!(created["name"], "ci");
    assert!(created["expires_at"].is_null(), "{created}");
    assert!(created["last_used_at"].is_null(), "{created}");
    assert_eq!(created["owner"]["type"], "service_account");
    let value = created["value"].as_str().unwrap().to_owned();
    let tail = value.strip_prefix("sk-admin-").expect("sk-admin- prefix");
    assert_eq!(tail.len(), 48);
    assert!(tail.chars().all(|c| c.is_ascii_alphanumeric()), "{value}");
    assert_eq!(
        created["redacted_value"],
        format!("sk-admin-...{}", &tail[44..])
    );
    let id = id_of(&created);
    assert!(id.starts_with("key_") && id.len() == 28, "{id}");

    let used = app.get_as(&value, USERS).await;
    assert_eq!(used.status, 200, "{}", used.body);

    let read = app.get(&key_path(&id)).await;
    assert_eq!(read.status, 200);
    assert!(read.body.get("value").is_none(), "{}", read.body);
    assert_eq!(read.body["redacted_value"], created["redacted_value"]);
    assert_eq!(read.body["created_at"], created["created_at"]);
    let list = app.get(KEYS).await;
    assert!(list.ids().contains(&id));
    assert!(
        list.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("value").is_none())
    );
}

async fn expires_in_seconds_sets_expires_at(app: TestApp) {
    let created = create_as(
        &app,
        KEY,
        json!({"name": "short", "expires_in_seconds": 3600}),
    )
    .await;
    assert_eq!(
        created["expires_at"].as_i64().unwrap(),
        created["created_at"].as_i64().unwrap() + 3600
    );
    let read = app.get(&key_path(&id_of(&created))).await;
    assert_eq!(read.body["expires_at"], created["expires_at"]);
    let forever = create(&app, "forever").await;
    assert!(forever["expires_at"].is_null());
}

async fn the_list_pages_in_both_orders(app: TestApp) {
    for i in 0..5 {
        create(&app, &format!("k{i}")).await;
    }
    let all = app.get(&format!("{KEYS}?limit=100")).await;
    let mut expected: Vec<(i64, String)> = all.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["created_at"].as_i64().unwrap(), id_of(k)))
        .collect();
    // The organization's own key (`serve --admin-key`) and the five.
    assert_eq!(expected.len(), 6);
    expected.sort();
    let asc: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();
    assert_eq!(all.ids(), asc, "ascending by creation, ties by id");
    let default = app.get(KEYS).await;
    assert_eq!(default.ids(), asc, "asc is the default");
    let mut desc = asc.clone();
    desc.reverse();
    assert_eq!(app.get(&format!("{KEYS}?order=desc")).await.ids(), desc);
    assert_eq!(walk(&app, KEY, 2, "asc").await, asc);
    assert_eq!(walk(&app, KEY, 4, "desc").await, desc);
    let first = app.get(&format!("{KEYS}?limit=2")).await;
    assert!(first.body["has_more"].as_bool().unwrap());
    assert_eq!(first.ids(), asc[..2]);
}

async fn an_after_naming_a_deleted_key_still_places_the_page(app: TestApp) {
    for i in 0..4 {
        create(&app, &format!("k{i}")).await;
    }
    let asc = walk(&app, KEY, 100, "asc").await;
    let own = own_key_id(&app).await;
    // A key in the middle of the list, never the one the test calls with.
    let at = if asc[2] == own { 3 } else { 2 };
    let gone = asc[at].clone();
    assert_eq!(app.delete(&key_path(&gone)).await.status, 200);
    let after = app.get(&format!("{KEYS}?after={gone}")).await;
    assert_eq!(after.status, 200, "{}", after.body);
    assert_eq!(after.ids(), asc[at + 1..]);
    let desc = app.get(&format!("{KEYS}?after={gone}&order=desc")).await;
    let mut before: Vec<String> = asc[..at].to_vec();
    before.reverse();
    assert_eq!(desc.ids(), before);
    assert!(!walk(&app, KEY, 1, "asc").await.contains(&gone));

    let unknown = app.get(&format!("{KEYS}?after=key_nope")).await;
    unknown.assert_error(
        400,
        Some("after"),
        Some("invalid_value"),
        "Invalid 'after': no admin API key with id 'key_nope'.",
    );
}

async fn retrieve_and_delete(app: TestApp) {
    let created = create(&app, "doomed").await;
    let (id, value) = (id_of(&created), created["value"].as_str().unwrap());
    assert_eq!(app.get_as(value, USERS).await.status, 200);
    let deleted = app.delete(&key_path(&id)).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(
        deleted.body,
        json!({"object": "organization.admin_api_key.deleted", "id": id, "deleted": true})
    );
    let message = format!("No such admin API key: {id}");
    app.get(&key_path(&id))
        .await
        .assert_error(404, Some("key_id"), None, &message);
    app.delete(&key_path(&id))
        .await
        .assert_error(404, Some("key_id"), None, &message);
    app.get(&key_path("key_nope")).await.assert_error(
        404,
        Some("key_id"),
        None,
        "No such admin API key: key_nope",
    );
    assert!(!app.get(KEYS).await.ids().contains(&id));
    // Deleted through this server: refused from the next request on.
    assert_eq!(app.get_as(value, USERS).await.status, 401);
}

async fn a_key_may_delete_itself(app: TestApp) {
    let created = create(&app, "self").await;
    let (id, value) = (id_of(&created), created["value"].as_str().unwrap());
    let r = app.delete_as(value, &key_path(&id)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let next = app.get_as(value, USERS).await;
    assert_eq!(next.status, 401, "{}", next.body);
    assert_eq!(next.body["error"]["code"], "invalid_api_key");
    assert_eq!(app.get(&key_path(&id)).await.status, 404);
}

async fn an_expired_key_is_refused_by_the_organization_clock(app: TestApp) {
    let created = create_as(
        &app,
        KEY,
        json!({"name": "brief", "expires_in_seconds": 60}),
    )
    .await;
    let (id, value) = (id_of(&created), created["value"].as_str().unwrap());
    assert_eq!(app.get_as(value, USERS).await.status, 200);
    let moved = app
        .post(CLOCK, &json!({"advance_seconds": 120}).to_string())
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    let refused = until_refused(&app, value).await;
    let unknown = app
        .get_as(
            "sk-admin-unknown-key-000000000000000000000000000000000000",
            USERS,
        )
        .await;
    assert_eq!(
        (refused.status, refused.body["error"]["type"].clone()),
        (unknown.status, unknown.body["error"]["type"].clone())
    );
    // Listed until deleted, as the real API lists expired keys.
    assert!(app.get(KEYS).await.ids().contains(&id));
    assert_eq!(app.get(&key_path(&id)).await.status, 200);
    // The organization's own key does not expire.
    assert_eq!(app.get(USERS).await.status, 200);
}

async fn last_used_at_is_kept(app: TestApp) {
    let created = create(&app, "used").await;
    let (id, value) = (id_of(&created), created["value"].as_str().unwrap());
    let before = app.get(&key_path(&id)).await;
    assert!(before.body["last_used_at"].is_null(), "{}", before.body);
    assert_eq!(app.get_as(value, USERS).await.status, 200);
    let after = app.get(&key_path(&id)).await;
    let used = after.body["last_used_at"].as_i64().expect("last_used_at");
    assert!(used >= created["created_at"].as_i64().unwrap());
    // The calling key's own use shows too.
    let own = app.get(KEYS).await;
    let mine = own.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "serve --admin-key")
        .cloned();
    assert!(mine.is_some_and(|k| k["last_used_at"].is_i64()));
}

async fn other_organizations_see_none_of_them(app: TestApp) {
    let created = create(&app, "mine").await;
    let id = id_of(&created);
    let theirs = app.get_as(OTHER_KEY, KEYS).await;
    assert_eq!(theirs.status, 200);
    assert!(!theirs.ids().contains(&id));
    let mine = app.get(KEYS).await.ids();
    assert!(theirs.ids().iter().all(|other| !mine.contains(other)));
    let message = format!("No such admin API key: {id}");
    app.get_as(OTHER_KEY, &key_path(&id))
        .await
        .assert_error(404, Some("key_id"), None, &message);
    app.delete_as(OTHER_KEY, &key_path(&id)).await.assert_error(
        404,
        Some("key_id"),
        None,
        &message,
    );
    app.get_as(OTHER_KEY, &format!("{KEYS}?after={id}"))
        .await
        .assert_error(
            400,
            Some("after"),
            Some("invalid_value"),
            &format!("Invalid 'after': no admin API key with id '{id}'."),
        );
    assert_eq!(app.get(&key_path(&id)).await.status, 200);
}

async fn bad_bodies_and_queries_are_refused(app: TestApp) {
    let post = |body: &'static str| app.post(KEYS, body);
    post("{}").await.assert_error(
        400,
        Some("name"),
        Some("missing_required_parameter"),
        "Missing required parameter: 'name'.",
    );
    post(r#"{"name": 5}"#).await.assert_error(
        400,
        Some("name"),
        Some("invalid_type"),
        "Invalid type for 'name': expected a string, but got an integer instead.",
    );
    for (body, got) in [
        (r#"{"name": "x", "expires_in_seconds": 0}"#, "0"),
        (
            r#"{"name": "x", "expires_in_seconds": 31536001}"#,
            "31536001",
        ),
        (r#"{"name": "x", "expires_in_seconds": -5}"#, "-5"),
        (
            r#"{"name": "x", "expires_in_seconds": 18446744073709551615}"#,
            "18446744073709551615",
        ),
    ] {
        post(body).await.assert_error(
            400,
            Some("expires_in_seconds"),
            Some("invalid_value"),
            &format!(
                "Invalid 'expires_in_seconds': expected a value between 1 and 31536000, but got {got} instead."
            ),
        );
    }
    for body in [
        r#"{"name": "x", "expires_in_seconds": "60"}"#,
        r#"{"name": "x", "expires_in_seconds": 1.5}"#,
        r#"{"name": "x", "expires_in_seconds": null}"#,
        r#"{"name": null}"#,
    ] {
        let r = post(body).await;
        assert_eq!(r.status, 400, "{body}");
        let field = if body.contains("expires") {
            "expires_in_seconds"
        } else {
            "name"
        };
        assert_eq!(r.body["error"]["param"], field, "{body}");
        assert_eq!(r.body["error"]["code"], "invalid_type", "{body}");
    }
    post(r#"{"name": "x", "scopes": []}"#).await.assert_error(
        400,
        Some("scopes"),
        None,
        "Unrecognized request argument supplied: scopes",
    );
    post("not json").await.assert_error(
        400,
        None,
        None,
        "We could not parse the JSON body of your request. The API expects a JSON payload.",
    );
    app.get(&format!("{KEYS}?order=up")).await.assert_error(
        400,
        Some("order"),
        Some("invalid_value"),
        "Invalid 'order': expected one of 'asc' or 'desc', but got 'up' instead.",
    );
    let r = app.get(&format!("{KEYS}?limit=101")).await;
    assert_eq!(r.body["error"]["code"], "integer_above_max_value");
    let r = app.get(&format!("{KEYS}?limit=0")).await;
    assert_eq!(r.body["error"]["code"], "integer_below_min_value");
}

async fn deletion_reaches_every_instance_within_a_second(store: TestStore) {
    let store = Arc::new(store);
    let a = TestApp::spawn_on(Arc::clone(&store)).await;
    let b = TestApp::spawn_on(Arc::clone(&store)).await;
    let created = create(&a, "shared").await;
    let (id, value) = (id_of(&created), created["value"].as_str().unwrap());
    // B verifies the key, and trusts it for its cache's second.
    assert_eq!(b.get_as(value, USERS).await.status, 200);
    assert_eq!(a.delete(&key_path(&id)).await.status, 200);
    let deleted_at = Instant::now();
    until_refused(&b, value).await;
    assert!(
        deleted_at.elapsed() < Duration::from_secs(3),
        "refused after {:?}",
        deleted_at.elapsed()
    );
    assert_eq!(b.get(&key_path(&id)).await.status, 404);
}

/// `orgusers admin-keys` over HTTP, and `orgusers keys list` on the store, show the same keys.
async fn the_cli_manages_the_same_keys(app: TestApp) {
    let created = ok_json(&cli(
        &app,
        &["admin-keys", "create", "from-cli", "--expires-in", "600"],
    ));
    let (id, value) = (
        id_of(&created),
        created["value"].as_str().unwrap().to_owned(),
    );
    assert!(value.starts_with("sk-admin-"), "{created}");
    assert_eq!(app.get_as(&value, USERS).await.status, 200);
    let listed = jsonl(&ok(&cli(
        &app,
        &[
            "admin-keys",
            "list",
            "--order",
            "desc",
            "--all",
            "--format",
            "jsonl",
        ],
    )));
    assert!(listed.iter().any(|k| k["id"] == id.as_str()));
    assert!(listed.iter().all(|k| k.get("value").is_none()));
    let read = ok_json(&cli(&app, &["admin-keys", "get", &id]));
    assert_eq!(read["expires_at"], created["expires_at"]);
    let on_store = orgusers()
        .args(["keys", "list", "--database", &app.test_store.url])
        .output()
        .unwrap();
    let on_store = ok(&on_store);
    assert!(on_store.contains(&id), "{on_store}");
    assert!(!on_store.contains(&value[9..]), "keys list shows no key");
    let deleted = ok(&cli(&app, &["admin-keys", "delete", &id, "--yes"]));
    assert!(deleted.contains(&id), "{deleted}");
    assert_eq!(app.get(&key_path(&id)).await.status, 404);
}

/// A key owned by a user shows that user as its `owner` in every answer, and so do the keys it
/// makes; keys no user owns keep the operator's owner; a deleted user owns no key.
async fn an_owned_key_shows_its_user_as_owner(app: TestApp) {
    app.import(&[user_line(
        "user-ann",
        "ann@example.com",
        1_700_000_000,
        "reader",
    )])
    .await;
    let value = orgusers_store::AdminKey::generate();
    let owned = app
        .store
        .create_key(&app.org, "ann's", &value, Some("user-ann"))
        .await
        .unwrap();
    let ann = json!({"type": "user", "object": "organization.user", "id": "user-ann",
                     "name": "Name of user-ann", "created_at": 1_700_000_000, "role": "reader"});
    let operator = json!({"type": "service_account", "object": "organization.service_account",
                          "name": "orgusers operator", "role": "owner"});
    let read = app.get(&key_path(&owned.id)).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["owner"], ann);
    let made = create_as(&app, value.expose(), json!({ "name": "made by ann's" })).await;
    assert_eq!(made["owner"], ann);
    let unowned = create(&app, "made by the operator's").await;
    assert_eq!(unowned["owner"], operator);
    let list = app.get(&format!("{KEYS}?limit=100")).await;
    let owner_of = |id: &str| {
        list.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == id)
            .map(|k| k["owner"].clone())
    };
    assert_eq!(owner_of(&owned.id), Some(ann.clone()));
    assert_eq!(owner_of(&id_of(&made)), Some(ann));
    assert_eq!(owner_of(&id_of(&unowned)), Some(operator.clone()));
    assert_eq!(owner_of(&own_key_id(&app).await), Some(operator.clone()));

    let deleted = app.delete("/v1/organization/users/user-ann").await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(app.get(&key_path(&owned.id)).await.body["owner"], operator);
    assert_eq!(app.get_as(value.expose(), USERS).await.status, 200);
}
