//! Listing: order, envelopes, cursors (deleted ones included), email filters, and walks under
//! concurrent deletes.

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::harness::*;

const USERS: &str = "/v1/organization/users";

async fn ids(app: &TestApp, query: &str) -> Vec<String> {
    app.get(&format!("{USERS}?{query}")).await.ids()
}

on_both_stores!(
    empty_page,
    order_and_envelope,
    default_limit_and_parameters,
    walks_visit_every_user_once,
    deleted_cursor_keeps_its_place,
    email_filters,
    walk_survives_concurrent_deletes
);

async fn empty_page(app: TestApp) {
    let r = app.get(USERS).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        json!({"object": "list", "data": [], "first_id": null, "last_id": null, "has_more": false})
    );
}

async fn order_and_envelope(app: TestApp) {
    // Imported out of order; ties on added_at are broken by the id's byte order.
    let lines = vec![
        user_line("b", "b@x.io", 20, "owner"),
        user_line("a", "a@x.io", 20, "reader"),
        user_line("Z", "z@x.io", 20, "reader"),
        user_line("c", "c@x.io", 10, "reader"),
        user_line("d", "d@x.io", 30, "reader"),
    ];
    app.import(&lines).await;
    let r = app.get(USERS).await;
    assert_eq!(r.ids(), ["c", "Z", "a", "b", "d"]);
    assert_eq!(r.body["first_id"], "c");
    assert_eq!(r.body["last_id"], "d");
    assert_eq!(r.body["has_more"], false);
    assert_eq!(r.body["object"], "list");
    let page = app.get(&format!("{USERS}?limit=2")).await;
    assert_eq!(page.ids(), ["c", "Z"]);
    assert_eq!(page.body["has_more"], true);
    let next = app.get(&format!("{USERS}?limit=2&after=Z")).await;
    assert_eq!(next.ids(), ["a", "b"]);
    assert_eq!(next.body["has_more"], true);
    let last = app.get(&format!("{USERS}?limit=2&after=b")).await;
    assert_eq!(last.ids(), ["d"]);
    assert_eq!(last.body["has_more"], false);
    // Exactly full last page: has_more is false.
    let exact = app.get(&format!("{USERS}?limit=1&after=b")).await;
    assert_eq!(
        (exact.ids(), exact.body["has_more"].as_bool()),
        (vec!["d".to_owned()], Some(false))
    );
    let beyond = app.get(&format!("{USERS}?after=d")).await;
    assert_eq!(beyond.body["data"], json!([]));
    assert_eq!(
        (
            beyond.body["first_id"].is_null(),
            beyond.body["last_id"].is_null()
        ),
        (true, true)
    );
}

async fn default_limit_and_parameters(app: TestApp) {
    app.import(&users(45)).await;
    assert_eq!(app.get(USERS).await.ids().len(), 20);
    // The last value of a repeated parameter counts; unknown ones are ignored; empty after is none.
    let r = app
        .get(&format!(
            "{USERS}?limit=3&limit=7&order=desc&foo=bar&after="
        ))
        .await;
    assert_eq!(r.ids().len(), 7);
    assert_eq!(r.ids()[0], "u-0000");
    let r = app.get(&format!("{USERS}?after=u-0010&after=u-0040")).await;
    assert_eq!(r.ids(), ["u-0041", "u-0042", "u-0043", "u-0044"]);
}

async fn walks_visit_every_user_once(app: TestApp) {
    app.import(&users(157)).await;
    let expected: Vec<String> = (0..157).map(|i| format!("u-{i:04}")).collect();
    for limit in [1, 7, 20, 100] {
        assert_eq!(app.walk(limit, "").await, expected, "limit {limit}");
    }
}

async fn deleted_cursor_keeps_its_place(app: TestApp) {
    app.import(&users(10)).await;
    let page = app.get(&format!("{USERS}?limit=4")).await;
    assert_eq!(page.ids().last().map(String::as_str), Some("u-0003"));
    assert_eq!(app.delete(&format!("{USERS}/u-0003")).await.status, 200);
    assert_eq!(app.delete(&format!("{USERS}/u-0004")).await.status, 200);
    let next = app.get(&format!("{USERS}?limit=4&after=u-0003")).await;
    assert_eq!(next.ids(), ["u-0005", "u-0006", "u-0007", "u-0008"]);
    // A cursor naming a user of another organization is unknown here.
    app.import_into(&app.other_org, &[user_line("theirs", "t@x.io", 1, "owner")])
        .await;
    assert_eq!(app.get(&format!("{USERS}?after=theirs")).await.status, 400);
}

async fn email_filters(app: TestApp) {
    let lines = vec![
        user_line("a", "Ada@Example.com", 1, "owner"),
        user_line("b", "élodie@exämple.fr", 2, "reader"),
        user_line("c", "c+tag@x.io", 3, "reader"),
        user_line("d", "d@x.io", 4, "reader"),
        json!({"id": "e", "added_at": 5}),
    ];
    app.import(&lines).await;
    assert_eq!(ids(&app, "emails[]=ada@example.com").await, ["a"]);
    assert_eq!(
        ids(&app, "emails%5B%5D=ADA%40EXAMPLE.COM&emails%5B%5D=d%40x.io").await,
        ["a", "d"]
    );
    assert_eq!(
        ids(&app, "emails=d@x.io&emails=ada@example.com").await,
        ["a", "d"]
    );
    assert_eq!(
        ids(&app, "emails[]=%C3%89LODIE%40EX%C3%84MPLE.FR").await,
        ["b"]
    );
    assert_eq!(ids(&app, "emails[]=c%2Btag@x.io").await, ["c"]);
    // An unencoded + is a space.
    assert!(ids(&app, "emails[]=c+tag@x.io").await.is_empty());
    assert!(ids(&app, "emails[]=nobody@x.io").await.is_empty());
    // An empty value matches nothing (not the user without an email).
    assert!(ids(&app, "emails=").await.is_empty());
    assert!(ids(&app, "emails[]=").await.is_empty());
    // Whole-address match only.
    assert!(ids(&app, "emails[]=x.io").await.is_empty());
    // With pagination.
    let q = "&emails[]=ada@example.com&emails[]=d@x.io&emails[]=c%2Btag@x.io";
    assert_eq!(app.walk(1, q).await, ["a", "c", "d"]);
    let page = app.get(&format!("{USERS}?limit=2{q}")).await;
    assert_eq!(
        (page.ids(), page.body["has_more"].as_bool()),
        (vec!["a".to_owned(), "c".to_owned()], Some(true))
    );
}

async fn walk_survives_concurrent_deletes(app: TestApp) {
    let seed: u64 = std::env::var("ORGUSERS_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("walk_survives_concurrent_deletes seed {seed} (ORGUSERS_TEST_SEED to replay)");
    let mut rng = StdRng::seed_from_u64(seed);
    let n = 300;
    let lines: Vec<_> = (0..n)
        .map(|i| {
            user_line(
                &format!("w-{i:04}"),
                &format!("w{i}@x.io"),
                1_000 + rng.random_range(0..40),
                if i == 0 { "owner" } else { "reader" },
            )
        })
        .collect();
    app.import(&lines).await;
    let all: HashSet<String> = lines
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();
    let mut deleted = HashSet::new();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let limit = rng.random_range(1..=25);
        let mut path = format!("{USERS}?limit={limit}");
        if let Some(a) = &after {
            path.push_str(&format!("&after={a}"));
        }
        let page = app.get(&path).await;
        assert_eq!(page.status, 200);
        let ids = page.ids();
        seen.extend(ids.iter().cloned());
        // Delete a few random users, some already seen, some not, the cursor user among them.
        for _ in 0..rng.random_range(0..4) {
            let victim = format!("w-{:04}", rng.random_range(1..n));
            if deleted.insert(victim.clone()) {
                assert_eq!(app.delete(&format!("{USERS}/{victim}")).await.status, 200);
            }
        }
        if rng.random_bool(0.2)
            && let Some(last) = ids.last()
            && last != "w-0000"
            && deleted.insert(last.clone())
        {
            assert_eq!(app.delete(&format!("{USERS}/{last}")).await.status, 200);
        }
        if !page.body["has_more"].as_bool().unwrap() {
            break;
        }
        after = ids.last().cloned();
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no user twice (seed {seed})");
    for survivor in all.difference(&deleted) {
        assert!(
            unique.contains(survivor),
            "survivor {survivor} was skipped (seed {seed})"
        );
    }
}
