//! Every change made through the API records, with its audit events, the admin key that made it
//! and the user who owns that key, with the email the user had then.

use serde_json::{Value, json};

use crate::harness::*;

on_both_stores!(
    changes_record_the_acting_key,
    owned_keys_record_their_user_as_the_actor
);

const AUDIT_LOGS: &str = "/v1/organization/audit_logs";

/// The organization's audit events, oldest first: their type and acting key id.
pub(crate) async fn events_of(app: &TestApp, org: &str) -> Vec<(String, Option<String>)> {
    let url = &app.test_store.url;
    if let Some(path) = url.strip_prefix("sqlite://") {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT a.type, a.actor_key_id FROM audit_log_entries AS a \
                 JOIN organizations AS o ON o.seq = a.org WHERE o.id = ?1 ORDER BY a.seq",
            )
            .unwrap();
        stmt.query_map([org], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    } else {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .query(
                "SELECT type, actor_key_id FROM audit_log WHERE org_id = $1 ORDER BY seq",
                &[&org],
            )
            .await
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect()
    }
}

/// The id of the admin key of `org` whose value ends in `last4`.
async fn key_id(app: &TestApp, org: &str, last4: &str) -> String {
    app.store
        .list_keys()
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.org.as_str() == org && k.last4 == last4)
        .expect("the key")
        .id
}

async fn changes_record_the_acting_key(app: TestApp) {
    let ours = key_id(&app, app.org.as_str(), &KEY[KEY.len() - 4..]).await;
    let theirs = key_id(&app, OTHER_ORG, &OTHER_KEY[OTHER_KEY.len() - 4..]).await;
    let project = app
        .post("/v1/organization/projects", r#"{"name": "Apollo"}"#)
        .await;
    assert_eq!(project.status, 200, "{}", project.body);
    app.post_as(OTHER_KEY, "/v1/organization/groups", r#"{"name": "Crew"}"#)
        .await;
    // A refused change records nothing.
    let refused = app.post("/v1/organization/groups", r#"{"name": ""}"#).await;
    assert_eq!(refused.status, 400);
    app.post("/v1/organization/groups", r#"{"name": "Ours"}"#)
        .await;
    assert_eq!(
        events_of(&app, app.org.as_str()).await,
        [
            ("project.created".to_owned(), Some(ours.clone())),
            ("group.created".to_owned(), Some(ours)),
        ]
    );
    assert_eq!(
        events_of(&app, OTHER_ORG).await,
        [("group.created".to_owned(), Some(theirs))]
    );
}

/// The entries `query` selects (one page of up to 100), newest first: each entry's type and
/// actor.
async fn actors_of(app: &TestApp, query: &str) -> Vec<(String, Value)> {
    let page = app.get(&format!("{AUDIT_LOGS}?limit=100{query}")).await;
    assert_eq!(page.status, 200, "{query}: {}", page.body);
    assert_eq!(page.body["has_more"], false, "{query}");
    page.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["type"].as_str().unwrap().to_owned(), e["actor"].clone()))
        .collect()
}

/// The actor of a change made with the key `key_id`, owned by `user` with `email` then.
fn owned_actor(key_id: &str, user: &str, email: &str) -> Value {
    json!({"type": "api_key", "api_key": {"id": key_id, "type": "user",
           "user": {"id": user, "email": email}}})
}

/// The value and id of a key `orgusers keys create` made with `args`.
fn created_on_the_command_line(app: &TestApp, args: &[&str]) -> (String, String) {
    let out = orgusers()
        .args(["keys", "create", "--database", &app.test_store.url])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let value = text.lines().last().unwrap().to_owned();
    let id = text
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("{text}"))
        .to_owned();
    (value, id)
}

async fn owned_keys_record_their_user_as_the_actor(app: TestApp) {
    app.import(&[
        user_line("user-ann", "Ann@Example.com", 1_700_000_000, "reader"),
        user_line("user-bob", "bob@example.com", 1_700_000_001, "owner"),
    ])
    .await;
    // `--owner` takes an id or an email (in any case); anything else is refused.
    let refused = orgusers()
        .args(["keys", "create", "--database", &app.test_store.url])
        .args(["--owner", "nobody@example.com"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("nobody@example.com"), "{stderr}");
    let (ann_key, ann_key_id) =
        created_on_the_command_line(&app, &["--name", "ann's", "--owner", "ANN@example.com"]);
    let (bob_key, bob_key_id) =
        created_on_the_command_line(&app, &["--name", "bob's", "--owner", "user-bob"]);
    let unowned = key_id(&app, app.org.as_str(), &KEY[KEY.len() - 4..]).await;

    let by_ann = app
        .post_as(&ann_key, "/v1/organization/groups", r#"{"name": "By Ann"}"#)
        .await;
    assert_eq!(by_ann.status, 200, "{}", by_ann.body);
    // A key made over HTTP by an owned key has the same owner.
    let child = app
        .post_as(
            &ann_key,
            "/v1/organization/admin_api_keys",
            r#"{"name": "child"}"#,
        )
        .await;
    assert_eq!(child.status, 200, "{}", child.body);
    assert_eq!(child.body["owner"]["id"], "user-ann", "{}", child.body);
    let (child_key, child_id) = (
        child.body["value"].as_str().unwrap().to_owned(),
        child.body["id"].as_str().unwrap().to_owned(),
    );
    app.post_as(
        &child_key,
        "/v1/organization/groups",
        r#"{"name": "By child"}"#,
    )
    .await;
    app.post_as(&bob_key, "/v1/organization/groups", r#"{"name": "By Bob"}"#)
        .await;
    app.post("/v1/organization/groups", r#"{"name": "Unowned"}"#)
        .await;
    // The email an entry records is the one its user had at the change.
    app.import(&[user_line(
        "user-ann",
        "ann@new.example",
        1_700_000_000,
        "reader",
    )])
    .await;
    app.post_as(
        &ann_key,
        "/v1/organization/groups",
        r#"{"name": "Renamed"}"#,
    )
    .await;

    let ann_then = |key: &str| owned_actor(key, "user-ann", "Ann@Example.com");
    let by_ann_then = vec![
        ("group.created".to_owned(), ann_then(&child_id)),
        ("api_key.created".to_owned(), ann_then(&ann_key_id)),
        ("group.created".to_owned(), ann_then(&ann_key_id)),
    ];
    let renamed = (
        "group.created".to_owned(),
        owned_actor(&ann_key_id, "user-ann", "ann@new.example"),
    );
    let by_bob = (
        "group.created".to_owned(),
        owned_actor(&bob_key_id, "user-bob", "bob@example.com"),
    );
    // A key no user owns: no `user`, as before.
    let unowned_entry = (
        "group.created".to_owned(),
        json!({"type": "api_key", "api_key": {"id": unowned, "type": "user"}}),
    );
    // Emails match case-insensitively, as the users' `emails` filter.
    assert_eq!(
        actors_of(&app, "&actor_emails[]=ann@EXAMPLE.com").await,
        by_ann_then
    );
    assert_eq!(
        actors_of(&app, "&actor_emails[]=ann@new.example").await,
        vec![renamed.clone()]
    );
    let mut every_ann = vec![renamed.clone()];
    every_ann.extend(by_ann_then.clone());
    assert_eq!(actors_of(&app, "&actor_ids[]=user-ann").await, every_ann);
    assert_eq!(
        actors_of(&app, &format!("&actor_ids[]={ann_key_id}")).await,
        vec![
            renamed.clone(),
            by_ann_then[1].clone(),
            by_ann_then[2].clone()
        ]
    );
    assert_eq!(
        actors_of(&app, &format!("&actor_ids[]={unowned}")).await,
        vec![unowned_entry.clone()]
    );
    // Key ids and user ids together, and with the other filters.
    assert_eq!(
        actors_of(
            &app,
            &format!("&actor_ids[]=user-bob&actor_ids[]={unowned}&actor_ids[]={child_id}")
        )
        .await,
        vec![unowned_entry, by_bob.clone(), by_ann_then[0].clone()]
    );
    assert_eq!(
        actors_of(
            &app,
            "&actor_emails[]=bob@example.com&actor_emails[]=ann@new.example&event_types[]=group.created"
        )
        .await,
        vec![renamed, by_bob]
    );
    assert_eq!(
        actors_of(
            &app,
            "&actor_emails[]=ann@example.com&event_types[]=api_key.created"
        )
        .await,
        vec![by_ann_then[1].clone()]
    );
    assert!(
        actors_of(&app, "&actor_emails[]=nobody@example.com")
            .await
            .is_empty()
    );

    // A deleted user owns no key any more: its keys go on working, owned by no user, and the
    // entries already written keep their user.
    let deleted = app.delete("/v1/organization/users/user-ann").await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let key = app
        .get(&format!("/v1/organization/admin_api_keys/{ann_key_id}"))
        .await;
    assert_eq!(key.body["owner"]["type"], "service_account", "{}", key.body);
    app.post_as(&ann_key, "/v1/organization/groups", r#"{"name": "After"}"#)
        .await;
    let newest = actors_of(&app, "").await;
    assert_eq!(
        newest[0],
        (
            "group.created".to_owned(),
            json!({"type": "api_key", "api_key": {"id": ann_key_id, "type": "user"}})
        )
    );
    assert_eq!(actors_of(&app, "&actor_ids[]=user-ann").await.len(), 4);
}
