//! Project API keys: listed, read and deleted, never shown with their secret; owned by service
//! accounts or by users.

use serde_json::{Value, json};

use crate::harness::*;
use crate::service_accounts::{
    PROJECTS, account, accounts_of, id_of, key_ids, project, project_as, walk_first,
    walk_first_from,
};

fn keys_of(project: &str) -> String {
    format!("{PROJECTS}/{project}/api_keys")
}

/// Writes a key owned by `user` straight into the store, as an import of a key line does: the
/// API makes keys for service accounts only.
async fn insert_user_key(app: &TestApp, project: &str, key: &str, user: &str, created_at: i64) {
    let url = &app.test_store.url;
    if let Some(path) = url.strip_prefix("sqlite://") {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        conn.execute(
            "INSERT INTO project_api_keys (org, project_id, id, name, redacted_value, created_at, \
             owner_type, owner_id) \
             SELECT seq, ?1, ?2, 'Personal', 'sk-proj-...abcd', ?3, 'user', ?4 \
             FROM organizations WHERE id = ?5",
            rusqlite::params![project, key, created_at, user, app.org.as_str()],
        )
        .unwrap();
    } else {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .execute(
                "INSERT INTO project_api_keys (org_id, project_id, id, name, redacted_value, \
                 created_at, owner_type, owner_id) \
                 VALUES ($1, $2, $3, 'Personal', 'sk-proj-...abcd', $4, 'user', $5)",
                &[&app.org.as_str(), &project, &key, &created_at, &user],
            )
            .await
            .unwrap();
    }
}

on_both_stores!(
    keys_never_show_their_secret_again,
    keys_are_deleted_alone,
    user_keys_follow_their_owner,
    the_access_filter_is_checked,
    unknown_keys_are_not_found,
    keys_walk_under_deletions,
    keys_are_per_organization,
);

async fn keys_never_show_their_secret_again(app: TestApp) {
    let p = project(&app, "Keys").await;
    let created = account(&app, &p, "bot").await;
    let more = app
        .post(
            &format!("{}/{}/api_keys", accounts_of(&p), id_of(&created)),
            r#"{"name":"Deploy"}"#,
        )
        .await;
    let secrets = [
        (id_of(&created["api_key"]), created["api_key"].clone()),
        (id_of(&more.body), more.body.clone()),
    ];
    let list = app.get(&keys_of(&p)).await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 2);
    for (id, made) in &secrets {
        let value = made["value"].as_str().unwrap();
        let read = app.get(&format!("{}/{id}", keys_of(&p))).await;
        assert_eq!(read.status, 200, "{}", read.body);
        let redacted = format!("sk-svcacct-...{}", &value[value.len() - 4..]);
        assert_eq!(
            read.body,
            json!({
                "object": "organization.project.api_key",
                "redacted_value": redacted,
                "name": made["name"],
                "created_at": made["created_at"],
                "last_used_at": null,
                "id": id,
                "owner_project_access": "active",
                "owner": {
                    "type": "service_account",
                    "service_account": {
                        "id": created["id"],
                        "name": "bot",
                        "created_at": created["created_at"],
                        "role": "member",
                    },
                },
            })
        );
        let listed: Vec<&Value> = list.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["id"] == id.as_str())
            .collect();
        assert_eq!(listed, [&read.body]);
        for body in [&list.body, &read.body] {
            assert!(!body.to_string().contains(value), "the secret shows again");
        }
    }
    // The owner's changes show on its keys.
    app.post(
        &format!("{}/{}", accounts_of(&p), id_of(&created)),
        r#"{"name":"renamed","role":"owner"}"#,
    )
    .await;
    let read = app.get(&format!("{}/{}", keys_of(&p), secrets[0].0)).await;
    assert_eq!(
        (
            read.body["owner"]["service_account"]["name"].as_str(),
            read.body["owner"]["service_account"]["role"].as_str()
        ),
        (Some("renamed"), Some("owner"))
    );
}

async fn keys_are_deleted_alone(app: TestApp) {
    let p = project(&app, "Revocations").await;
    let created = account(&app, &p, "bot").await;
    let account_path = format!("{}/{}", accounts_of(&p), id_of(&created));
    let second = app.post(&format!("{account_path}/api_keys"), "{}").await;
    let (first_key, second_key) = (id_of(&created["api_key"]), id_of(&second.body));

    let path = format!("{}/{first_key}", keys_of(&p));
    // Deletions ignore whatever body comes with them.
    let deleted = app
        .send(
            reqwest::Method::DELETE,
            &path,
            Some(KEY),
            Some(b"{\"x\":1}".to_vec()),
            &[],
        )
        .await;
    assert_eq!(
        deleted.body,
        json!({"object": "organization.project.api_key.deleted", "id": first_key, "deleted": true})
    );
    let gone = format!("No such API key: {first_key}");
    app.get(&path)
        .await
        .assert_error(404, Some("api_key_id"), None, &gone);
    app.delete(&path)
        .await
        .assert_error(404, Some("api_key_id"), None, &gone);
    // The account and its other key stay.
    assert_eq!(app.get(&account_path).await.status, 200);
    assert_eq!(key_ids(&app, &p).await, [second_key]);
}

async fn user_keys_follow_their_owner(app: TestApp) {
    app.import(&users(3)).await;
    let p = project(&app, "People").await;
    let members = format!("{PROJECTS}/{p}/users");
    let added = app
        .post(&members, r#"{"user_id":"u-0001","role":"member"}"#)
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    insert_user_key(&app, &p, "key_personal1", "u-0001", 1_700_000_000).await;
    // u-0002 is no member of the project: its key is inactive from the start.
    insert_user_key(&app, &p, "key_personal2", "u-0002", 1_700_000_001).await;
    let bot = account(&app, &p, "bot").await;
    let bot_key = id_of(&bot["api_key"]);

    let path = format!("{}/key_personal1", keys_of(&p));
    let read = app.get(&path).await;
    assert_eq!(read.status, 200, "{}", read.body);
    let user = app.get("/v1/organization/users/u-0001").await.body;
    assert_eq!(
        read.body,
        json!({
            "object": "organization.project.api_key",
            "redacted_value": "sk-proj-...abcd",
            "name": "Personal",
            "created_at": 1_700_000_000,
            "last_used_at": null,
            "id": "key_personal1",
            "owner_project_access": "active",
            "owner": {
                "type": "user",
                "user": {
                    "id": "u-0001",
                    "email": "user1@example.com",
                    "name": "Name of u-0001",
                    "created_at": user["added_at"],
                    "role": "member",
                },
            },
        })
    );
    let outsider = app.get(&format!("{}/key_personal2", keys_of(&p))).await;
    assert_eq!(outsider.body["owner_project_access"], "inactive");
    assert_eq!(outsider.body["owner"]["user"]["role"], "none");

    let listed = |access: &str| {
        let path = format!("{}?owner_project_access={access}", keys_of(&p));
        let app = &app;
        async move {
            walk_first(app, &path, 1)
                .await
                .iter()
                .map(id_of)
                .collect::<Vec<_>>()
        }
    };
    let everything = vec![
        "key_personal1".to_owned(),
        "key_personal2".to_owned(),
        bot_key.clone(),
    ];
    assert_eq!(key_ids(&app, &p).await, everything, "oldest first");
    assert_eq!(listed("any").await, everything);
    assert_eq!(listed("active").await, ["key_personal1", bot_key.as_str()]);
    assert_eq!(listed("inactive").await, ["key_personal2"]);

    // The owner's project role shows; leaving the project makes the key inactive.
    app.post(&format!("{members}/u-0001"), r#"{"role":"owner"}"#)
        .await;
    assert_eq!(app.get(&path).await.body["owner"]["user"]["role"], "owner");
    assert_eq!(app.delete(&format!("{members}/u-0001")).await.status, 200);
    let left = app.get(&path).await;
    assert_eq!(
        (
            left.body["owner_project_access"].as_str(),
            left.body["owner"]["user"]["role"].as_str()
        ),
        (Some("inactive"), Some("none"))
    );
    assert_eq!(listed("active").await, [bot_key.as_str()]);
    assert_eq!(listed("inactive").await, ["key_personal1", "key_personal2"]);

    // Deleting the user from the organization deletes its keys; a walk placed on one goes on.
    assert_eq!(
        app.delete("/v1/organization/users/u-0001").await.status,
        200
    );
    app.get(&path).await.assert_error(
        404,
        Some("api_key_id"),
        None,
        "No such API key: key_personal1",
    );
    assert_eq!(
        key_ids(&app, &p).await,
        ["key_personal2".to_owned(), bot_key.clone()]
    );
    let rest = walk_first_from(&app, &keys_of(&p), 1, Some("key_personal1".into())).await;
    assert_eq!(
        rest.iter().map(id_of).collect::<Vec<_>>(),
        ["key_personal2".to_owned(), bot_key]
    );
    // A user-owned key can be deleted through the API, like any.
    assert_eq!(
        app.delete(&format!("{}/key_personal2", keys_of(&p)))
            .await
            .status,
        200
    );
}

async fn the_access_filter_is_checked(app: TestApp) {
    let p = project(&app, "Filters").await;
    account(&app, &p, "bot").await;
    for got in ["all", "ACTIVE", ""] {
        app.get(&format!("{}?owner_project_access={got}", keys_of(&p)))
            .await
            .assert_error(
                400,
                Some("owner_project_access"),
                Some("invalid_value"),
                &format!(
                    "Invalid 'owner_project_access': expected one of 'active', 'inactive' or 'any', but got '{got}' instead."
                ),
            );
    }
    for (query, param, code, message) in [
        (
            "limit=0",
            "limit",
            "integer_below_min_value",
            "Invalid 'limit': integer below minimum value. Expected a value >= 1, but got 0 instead.",
        ),
        (
            "limit=101",
            "limit",
            "integer_above_max_value",
            "Invalid 'limit': integer above maximum value. Expected a value <= 100, but got 101 instead.",
        ),
        (
            "after=key_never",
            "after",
            "invalid_value",
            "Invalid 'after': no API key with id 'key_never'.",
        ),
    ] {
        app.get(&format!("{}?{query}", keys_of(&p)))
            .await
            .assert_error(400, Some(param), Some(code), message);
    }
    // An empty `after` is no `after`; unknown parameters are ignored.
    let page = app.get(&format!("{}?after=&whatever=1", keys_of(&p))).await;
    assert_eq!(page.ids().len(), 1);
}

async fn unknown_keys_are_not_found(app: TestApp) {
    let p = project(&app, "Here").await;
    let other = project(&app, "There").await;
    let created = account(&app, &p, "bot").await;
    let key = id_of(&created["api_key"]);

    let no_project = "No such project: proj_nowhere";
    for reply in [
        app.get(&keys_of("proj_nowhere")).await,
        app.get(&format!("{}/{key}", keys_of("proj_nowhere"))).await,
        app.delete(&format!("{}/{key}", keys_of("proj_nowhere")))
            .await,
    ] {
        reply.assert_error(404, Some("project_id"), None, no_project);
    }
    // A known project, and a key that is not one of its own.
    for (project, id) in [(p.as_str(), "key_nothing"), (other.as_str(), key.as_str())] {
        let path = format!("{}/{id}", keys_of(project));
        let gone = format!("No such API key: {id}");
        app.get(&path)
            .await
            .assert_error(404, Some("api_key_id"), None, &gone);
        app.delete(&path)
            .await
            .assert_error(404, Some("api_key_id"), None, &gone);
    }
    app.get(&format!("{}?after={key}", keys_of(&other)))
        .await
        .assert_error(
            400,
            Some("after"),
            Some("invalid_value"),
            &format!("Invalid 'after': no API key with id '{key}'."),
        );
    assert_eq!(key_ids(&app, &p).await, [key]);
}

async fn keys_walk_under_deletions(app: TestApp) {
    let p = project(&app, "Busy").await;
    let mut accounts = Vec::new();
    let mut made = Vec::new();
    for i in 0..4 {
        let created = account(&app, &p, &format!("bot{i}")).await;
        made.push(id_of(&created["api_key"]));
        let path = format!("{}/{}", accounts_of(&p), id_of(&created));
        for _ in 0..2 {
            let key = app.post(&format!("{path}/api_keys"), "{}").await;
            made.push(id_of(&key.body));
        }
        accounts.push(path);
    }
    let in_order: Vec<String> = walk_first(&app, &keys_of(&p), 100)
        .await
        .iter()
        .map(id_of)
        .collect();
    let mut sorted = in_order.clone();
    sorted.sort();
    made.sort();
    assert_eq!(sorted, made);
    for limit in [1, 5, 12] {
        let walked: Vec<String> = walk_first(&app, &keys_of(&p), limit)
            .await
            .iter()
            .map(id_of)
            .collect();
        assert_eq!(walked, in_order, "limit {limit}");
    }

    // Between pages: the cursor's key deleted, and a whole account with its keys.
    let first = app.get(&format!("{}?limit=4", keys_of(&p))).await;
    let mut seen = first.ids();
    let cursor = first.body["last_id"].as_str().unwrap().to_owned();
    let doomed = app.get(&accounts[3]).await.body;
    let doomed_keys: Vec<String> = walk_first(&app, &keys_of(&p), 100)
        .await
        .iter()
        .filter(|k| k["owner"]["service_account"]["id"] == doomed["id"])
        .map(id_of)
        .collect();
    assert_eq!(doomed_keys.len(), 3);
    assert_eq!(
        app.delete(&format!("{}/{cursor}", keys_of(&p)))
            .await
            .status,
        200
    );
    assert_eq!(app.delete(&accounts[3]).await.status, 200);
    seen.extend(
        walk_first_from(&app, &keys_of(&p), 2, Some(cursor.clone()))
            .await
            .iter()
            .map(id_of),
    );
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no key twice");
    for (i, id) in in_order.iter().enumerate() {
        let expected = i < 4 || !doomed_keys.contains(id);
        assert_eq!(seen.contains(id), expected, "{i}: {id}");
    }
    // Every departed key, the account's included, still places a page.
    for departed in doomed_keys.iter().chain([&cursor]) {
        let page = app.get(&format!("{}?after={departed}", keys_of(&p))).await;
        assert_eq!(page.status, 200, "{}", page.body);
    }
}

async fn keys_are_per_organization(app: TestApp) {
    let mine = project(&app, "Mine").await;
    let created = account(&app, &mine, "bot").await;
    let key = id_of(&created["api_key"]);
    let theirs = project_as(&app, OTHER_KEY, "Theirs").await;
    let no_project = format!("No such project: {mine}");
    for reply in [
        app.get_as(OTHER_KEY, &keys_of(&mine)).await,
        app.get_as(OTHER_KEY, &format!("{}/{key}", keys_of(&mine)))
            .await,
        app.delete_as(OTHER_KEY, &format!("{}/{key}", keys_of(&mine)))
            .await,
    ] {
        reply.assert_error(404, Some("project_id"), None, &no_project);
    }
    app.get_as(OTHER_KEY, &format!("{}/{key}", keys_of(&theirs)))
        .await
        .assert_error(
            404,
            Some("api_key_id"),
            None,
            &format!("No such API key: {key}"),
        );
    assert!(
        app.get_as(OTHER_KEY, &keys_of(&theirs))
            .await
            .ids()
            .is_empty()
    );
    assert_eq!(key_ids(&app, &mine).await, [key]);
}
