//! Several servers over one store, and a store that goes away and comes back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::*;

const USERS: &str = "/v1/organization/users";

on_fresh_stores!(
    writes_are_visible_through_every_instance,
    a_walk_across_instances_visits_everyone_once,
    the_owner_guard_holds_across_instances,
    role_assignments_race_across_instances,
    project_members_race_across_instances
);

async fn writes_are_visible_through_every_instance(store: TestStore) {
    let store = Arc::new(store);
    let a = TestApp::spawn_on(Arc::clone(&store)).await;
    let b = TestApp::spawn_on(Arc::clone(&store)).await;
    a.import(&users(5)).await;
    assert_eq!(b.get(USERS).await.ids().len(), 5);
    let r = a
        .post(
            &format!("{USERS}/u-0002"),
            r#"{"role":"owner","technical_level":"seen"}"#,
        )
        .await;
    assert_eq!(r.status, 200);
    let seen = b.get(&format!("{USERS}/u-0002")).await;
    assert_eq!(
        (
            seen.body["role"].as_str(),
            seen.body["technical_level"].as_str()
        ),
        (Some("owner"), Some("seen"))
    );
    assert_eq!(b.delete(&format!("{USERS}/u-0003")).await.status, 200);
    assert_eq!(a.get(&format!("{USERS}/u-0003")).await.status, 404);
}

async fn a_walk_across_instances_visits_everyone_once(store: TestStore) {
    let store = Arc::new(store);
    let a = TestApp::spawn_on(Arc::clone(&store)).await;
    let b = TestApp::spawn_on(Arc::clone(&store)).await;
    a.import(&users(150)).await;
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for page_number in 0.. {
        let app = if page_number % 2 == 0 { &a } else { &b };
        let mut path = format!("{USERS}?limit=7");
        if let Some(cursor) = &after {
            path.push_str(&format!("&after={cursor}"));
        }
        let page = app.get(&path).await;
        seen.extend(page.ids());
        if !page.body["has_more"].as_bool().unwrap() {
            break;
        }
        after = seen.last().cloned();
    }
    let expected: Vec<String> = (0..150).map(|i| format!("u-{i:04}")).collect();
    assert_eq!(seen, expected);
}

async fn the_owner_guard_holds_across_instances(store: TestStore) {
    let store = Arc::new(store);
    let a = TestApp::spawn_on(Arc::clone(&store)).await;
    let b = TestApp::spawn_on(Arc::clone(&store)).await;
    a.import(&[
        user_line("o1", "o1@x.io", 1, "owner"),
        user_line("o2", "o2@x.io", 2, "owner"),
        user_line("r", "r@x.io", 3, "reader"),
    ])
    .await;
    let (o1, o2) = (format!("{USERS}/o1"), format!("{USERS}/o2"));
    for round in 0..10 {
        let (x, y) = if round % 2 == 0 {
            tokio::join!(
                a.post(&o1, r#"{"role":"reader"}"#),
                b.post(&o2, r#"{"role":"reader"}"#)
            )
        } else {
            tokio::join!(a.post(&o1, r#"{"role":"reader"}"#), b.delete(&o2))
        };
        let mut statuses = [x.status, y.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 400], "round {round}");
        let owners = a.get(&format!("{USERS}?limit=100")).await.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["role"] == "owner")
            .count();
        assert_eq!(owners, 1, "round {round}");
        // Put both owners back (o2 afresh if it was deleted).
        if b.get(&o2).await.status == 404 {
            a.import(&[user_line("o2", "o2@x.io", 2, "owner")]).await;
        }
        for path in [&o1, &o2] {
            assert_eq!(a.post(path, r#"{"role":"owner"}"#).await.status, 200);
        }
    }
}

/// Demotions through role assignments, modify and deletion, through two instances at once: the
/// organization keeps exactly one owner; a custom role assigned through both is held once.
async fn role_assignments_race_across_instances(store: TestStore) {
    let store = Arc::new(store);
    let a = TestApp::spawn_on(Arc::clone(&store)).await;
    let b = TestApp::spawn_on(Arc::clone(&store)).await;
    a.import(&[
        user_line("o1", "o1@x.io", 1, "owner"),
        user_line("o2", "o2@x.io", 2, "owner"),
    ])
    .await;
    let reader = serde_json::json!({
        "role_id": format!("role-api-organization-reader__api-organization__{}", a.org)
    })
    .to_string();
    let (o1_roles, o2_roles) = (format!("{USERS}/o1/roles"), format!("{USERS}/o2/roles"));
    let (o1, o2) = (format!("{USERS}/o1"), format!("{USERS}/o2"));
    for round in 0..10 {
        let (x, y) = match round % 3 {
            0 => tokio::join!(a.post(&o1_roles, &reader), b.post(&o2_roles, &reader)),
            1 => tokio::join!(
                a.post(&o1_roles, &reader),
                b.post(&o2, r#"{"role":"reader"}"#)
            ),
            _ => tokio::join!(b.post(&o1_roles, &reader), a.delete(&o2)),
        };
        let mut statuses = [x.status, y.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 400], "round {round}");
        let owners = a.get(&format!("{USERS}?limit=100")).await.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["role"] == "owner")
            .count();
        assert_eq!(owners, 1, "round {round}");
        if b.get(&o2).await.status == 404 {
            a.import(&[user_line("o2", "o2@x.io", 2, "owner")]).await;
        }
        for path in [&o1, &o2] {
            assert_eq!(a.post(path, r#"{"role":"owner"}"#).await.status, 200);
        }
    }
    let role = a
        .post(
            "/v1/organization/roles",
            r#"{"role_name":"Shared","permissions":["api.users.read"]}"#,
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let assign = serde_json::json!({"role_id": role}).to_string();
    let (x, y) = tokio::join!(a.post(&o1_roles, &assign), b.post(&o1_roles, &assign));
    assert_eq!((x.status, y.status), (200, 200));
    let held: Vec<String> = b.get(&o1_roles).await.ids();
    assert_eq!(held.iter().filter(|id| **id == role).count(), 1, "{held:?}");
}

/// Adds, removes and user deletions racing through two instances: the same user added twice at
/// once joins once (the other add is the contract's 400), a remove and a re-add leave the
/// membership in one of its two states, and a deleted user leaves no membership behind.
async fn project_members_race_across_instances(store: TestStore) {
    let store = Arc::new(store);
    let a = TestApp::spawn_on(Arc::clone(&store)).await;
    let b = TestApp::spawn_on(Arc::clone(&store)).await;
    a.import(&users(6)).await;
    let project = a
        .post("/v1/organization/projects", r#"{"name":"Raced"}"#)
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let members = format!("/v1/organization/projects/{project}/users");
    let add = |user: &str| serde_json::json!({"user_id": user, "role": "member"}).to_string();
    let count_of = |ids: &[String], user: &str| ids.iter().filter(|id| *id == user).count();
    for round in 0..8 {
        let user = format!("u-{:04}", 1 + round % 5);
        // Two adds of one user at once: one 200, one 400, one membership.
        let body = add(&user);
        let (x, y) = tokio::join!(a.post(&members, &body), b.post(&members, &body));
        let mut statuses = [x.status, y.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 400], "round {round}: {} {}", x.body, y.body);
        assert_eq!(
            count_of(&b.get(&members).await.ids(), &user),
            1,
            "round {round}"
        );
        // A remove through one instance and a re-add through the other: whichever ran second
        // decides, and the list agrees with the answers.
        let member = format!("{members}/{user}");
        let (removed, readded) = tokio::join!(a.delete(&member), b.post(&members, &body));
        let present = count_of(&a.get(&members).await.ids(), &user);
        match (removed.status, readded.status) {
            // The re-add came first (refused: still a member), then the remove.
            (200, 400) => assert_eq!(present, 0, "round {round}"),
            // The remove came first, then the re-add.
            (200, 200) => assert_eq!(present, 1, "round {round}"),
            other => panic!("round {round}: {other:?}"),
        }
        if present == 1 {
            assert_eq!(a.delete(&member).await.status, 200);
        }
    }
    // A user deleted while being added leaves no membership.
    let (body, user) = (add("u-0005"), format!("{USERS}/u-0005"));
    let (added, deleted) = tokio::join!(a.post(&members, &body), b.delete(&user));
    assert_eq!(deleted.status, 200);
    assert!([200, 400].contains(&added.status), "{}", added.body);
    assert_eq!(count_of(&a.get(&members).await.ids(), "u-0005"), 0);
    let user = a.get(&format!("{members}/u-0005")).await;
    assert_eq!(user.status, 404);
}

/// A server whose PostgreSQL database refuses connections answers 500 envelopes quickly, and
/// answers normally again once the database is back, without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_gives_errors_then_recovers() {
    let Some(store) = TestStore::fresh(StoreKind::Postgres).await else {
        return;
    };
    let database = store
        .url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let app = TestApp::spawn_on(Arc::new(store)).await;
    app.import(&users(3)).await;
    assert_eq!(app.get(USERS).await.status, 200);

    let admin_url = std::env::var(POSTGRES_ENV).unwrap();
    let (admin, connection) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {database} ALLOW_CONNECTIONS false; \
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}';"
        ))
        .await
        .unwrap();

    // Requests fail fast with the generic envelope; a key the cache no longer vouches for
    // cannot be checked either, so both paths are exercised over a few requests.
    for _ in 0..3 {
        let started = Instant::now();
        let r = app.get(&format!("{USERS}/u-0001")).await;
        r.assert_error(
            500,
            None,
            None,
            "The server had an error while processing your request.",
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
    }
    let health = app
        .send(reqwest::Method::GET, "/health", None, None, &[])
        .await;
    assert_eq!(health.status, 500);

    admin
        .batch_execute(&format!("ALTER DATABASE {database} ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    let r = app.get(&format!("{USERS}/u-0001")).await;
    assert_eq!(r.status, 200, "recovered without a restart: {}", r.body);
}

on_fresh_stores!(instances_starting_together_agree);

async fn instances_starting_together_agree(store: TestStore) {
    // Migrations and the default organization, raced by four openers on an empty store.
    let url = store.database_url();
    let opened = join_all((0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move {
            let s = orgusers_store::open(&url).await.expect("open");
            s.ensure_organization(None)
                .await
                .expect("default organization")
        })
    }))
    .await;
    let first = &opened[0];
    assert!(opened.iter().all(|org| org == first), "{opened:?}");
}

async fn join_all<T: Send + 'static>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await.expect("task"));
    }
    out
}
