//! Modifying and deleting users.

use serde_json::{Value, json};

use crate::harness::*;

const USERS: &str = "/v1/organization/users";

on_both_stores!(
    each_field_changes,
    delete_user,
    delete_erases_personal_data,
    two_racing_demotions_keep_an_owner
);

async fn each_field_changes(app: TestApp) {
    app.import(&users(3)).await;
    let path = format!("{USERS}/u-0001");
    let before = app.get(&path).await.body;

    let r = app.post(&path, r#"{"role":"owner"}"#).await;
    assert_eq!((r.status, r.body["role"].as_str()), (200, Some("owner")));
    let r = app.post(&path, r#"{"technical_level":"expert"}"#).await;
    assert_eq!(r.body["technical_level"], "expert");
    let r = app
        .post(&path, r#"{"developer_persona":"data scientist"}"#)
        .await;
    assert_eq!(r.body["developer_persona"], "data scientist");
    assert_eq!(r.body["technical_level"], "expert", "other fields stay");
    let reader_id = format!(
        "role-api-organization-reader__api-organization__{}",
        app.org
    );
    let r = app
        .post(&path, &json!({"role_id": reader_id}).to_string())
        .await;
    assert_eq!(r.body["role"], "reader");
    let owner_id = format!("role-api-organization-owner__api-organization__{}", app.org);
    let r = app
        .post(
            &path,
            &json!({"role": "owner", "role_id": owner_id}).to_string(),
        )
        .await;
    assert_eq!(r.body["role"], "owner");
    let r = app.post(&path, r#"{"role_id":null}"#).await;
    assert_eq!(r.body["role"], "owner");

    // null clears metadata.
    let r = app
        .post(
            &path,
            r#"{"technical_level":null,"developer_persona":null}"#,
        )
        .await;
    assert_eq!(
        (
            r.body["technical_level"].clone(),
            r.body["developer_persona"].clone()
        ),
        (Value::Null, Value::Null)
    );
    // {} changes nothing and returns the user.
    let r = app.post(&path, "{}").await;
    assert_eq!(r.status, 200);
    let mut expected = before.clone();
    expected["role"] = json!("owner");
    assert_eq!(r.body, expected);
    // Changes persist.
    assert_eq!(app.get(&path).await.body, expected);
    // The user's other fields never moved.
    for field in ["id", "email", "name", "added_at", "created", "user"] {
        assert_eq!(r.body[field], before[field], "{field}");
    }
}

async fn delete_user(app: TestApp) {
    app.import(&users(3)).await;
    let path = format!("{USERS}/u-0002");
    let r = app.delete(&path).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        json!({"object": "organization.user.deleted", "id": "u-0002", "deleted": true})
    );
    app.get(&path)
        .await
        .assert_error(404, Some("user_id"), None, "No such user: u-0002");
    app.post(&path, "{}")
        .await
        .assert_error(404, Some("user_id"), None, "No such user: u-0002");
    app.delete(&path)
        .await
        .assert_error(404, Some("user_id"), None, "No such user: u-0002");
    assert_eq!(app.get(USERS).await.ids(), ["u-0000", "u-0001"]);
    assert!(
        app.get(&format!("{USERS}?emails[]=user2@example.com"))
            .await
            .ids()
            .is_empty()
    );
    // Its email is free again.
    app.import(&[user_line("fresh", "user2@example.com", 9, "reader")])
        .await;
    assert_eq!(
        app.get(&format!("{USERS}?emails[]=user2@example.com"))
            .await
            .ids(),
        ["fresh"]
    );
}

async fn delete_erases_personal_data(app: TestApp) {
    app.import(&[
        user_line("owner", "owner@x.io", 1, "owner"),
        json!({"id": "gone", "email": "Secret.Person@x.io", "name": "Secret Person", "added_at": 2,
               "technical_level": "secret-level", "developer_persona": "secret-persona",
               "user": {"picture": "https://x.io/secret.png"}}),
    ])
    .await;
    assert_eq!(app.delete(&format!("{USERS}/gone")).await.status, 200);
    let dump = database_text(&app.test_store.url).await;
    for secret in ["Secret", "secret", "x.io/secret"] {
        assert!(!dump.contains(secret), "{secret:?} is still stored");
    }
    assert!(dump.contains("owner@x.io"), "the dump sees the data");
}

async fn two_racing_demotions_keep_an_owner(app: TestApp) {
    app.import(&[
        user_line("o1", "o1@x.io", 1, "owner"),
        user_line("o2", "o2@x.io", 2, "owner"),
        user_line("r", "r@x.io", 3, "reader"),
    ])
    .await;
    let (o1, o2) = (format!("{USERS}/o1"), format!("{USERS}/o2"));
    for round in 0..10 {
        let (a, b) = tokio::join!(
            app.post(&o1, r#"{"role":"reader"}"#),
            app.post(&o2, r#"{"role":"reader"}"#),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 400], "round {round}");
        let owners = app.get(&format!("{USERS}?limit=100")).await.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["role"] == "owner")
            .count();
        assert_eq!(owners, 1, "round {round}");
        // Restore both owners for the next round.
        for id in ["o1", "o2"] {
            assert_eq!(
                app.post(&format!("{USERS}/{id}"), r#"{"role":"owner"}"#)
                    .await
                    .status,
                200
            );
        }
    }
    // Racing deletes of the two owners: one survives.
    let (a, b) = tokio::join!(app.delete(&o1), app.delete(&o2));
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400]);
}

/// Everything the store holds, as text, to look for data that should be gone.
async fn database_text(url: &str) -> String {
    match orgusers_store::DatabaseUrl::parse(url).unwrap() {
        orgusers_store::DatabaseUrl::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            let mut stmt = conn.prepare("SELECT * FROM users").unwrap();
            let columns = stmt.column_count();
            let rows = stmt
                .query_map([], |row| {
                    let values: Vec<String> = (0..columns)
                        .map(|i| match row.get::<_, rusqlite::types::Value>(i).unwrap() {
                            rusqlite::types::Value::Text(text) => text,
                            other => format!("{other:?}"),
                        })
                        .collect();
                    Ok(values.join("|"))
                })
                .unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
        }
        orgusers_store::DatabaseUrl::Postgres(url) => {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(connection);
            let rows = client
                .query("SELECT u::text FROM users u", &[])
                .await
                .unwrap();
            rows.iter()
                .map(|r| r.get::<_, String>(0))
                .collect::<Vec<_>>()
                .join("\n")
        }
    }
}
