//! Store reads on a SQLite store of 100,000 users, as the server makes them (JSON answers):
//! retrieve, first and deep pages (cursor handling), and an email filter of 100 addresses; and
//! one page as owned values, for comparison.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use orgusers_store::{EmailFilter, ImportRecord, OrgId, SqliteStore, UserQuery, UserStore};

const USERS: usize = 100_000;

fn reads(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = runtime
        .block_on(SqliteStore::open(&dir.path().join("bench.db")))
        .unwrap();
    let org = OrgId::parse("org-bench").unwrap();
    let lines: Vec<_> = (0..USERS)
        .map(|i| {
            let line = format!(
                r#"{{"id":"user-{i:08}","email":"user{i}@example.com","name":"User {i}","added_at":{}}}"#,
                1_700_000_000 + i / 7
            );
            ImportRecord::from_json_line(i + 1, &line)
        })
        .collect();
    runtime
        .block_on(store.import_users(&org, Box::new(lines.into_iter())))
        .unwrap();

    let mut i = 0usize;
    c.bench_function("store: retrieve", |b| {
        b.iter(|| {
            i = (i + 7919) % USERS;
            runtime
                .block_on(store.get_user(&org, &format!("user-{i:08}")))
                .unwrap()
        })
    });
    for (label, after) in [
        ("first page", None),
        ("deep page (middle)", Some(format!("user-{:08}", USERS / 2))),
        (
            "deep page (near end)",
            Some(format!("user-{:08}", USERS - 50)),
        ),
    ] {
        let query = UserQuery {
            limit: 20,
            after,
            emails: None,
        };
        c.bench_function(&format!("store: list 20, {label}"), |b| {
            b.iter(|| {
                runtime
                    .block_on(store.list_users_json(&org, black_box(&query)))
                    .unwrap()
            })
        });
        if label == "first page" {
            c.bench_function("store: list 20, first page, as owned users", |b| {
                b.iter(|| {
                    runtime
                        .block_on(store.list_users(&org, black_box(&query)))
                        .unwrap()
                })
            });
        }
    }
    let emails: Vec<String> = (0..100)
        .map(|k| format!("user{}@example.com", k * 997))
        .collect();
    let query = UserQuery {
        limit: 100,
        after: None,
        emails: Some(EmailFilter::new(emails.iter().map(String::as_str)).unwrap()),
    };
    c.bench_function("store: emails filter, 100 addresses", |b| {
        b.iter(|| {
            runtime
                .block_on(store.list_users_json(&org, black_box(&query)))
                .unwrap()
        })
    });
}

criterion_group!(benches, reads);
criterion_main!(benches);
