//! Every change made through the API records, with its audit events, the admin key that made it.

use crate::harness::*;

on_both_stores!(changes_record_the_acting_key);

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
