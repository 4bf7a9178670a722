//! The HTTP layer's hot paths: query parsing, and writing a page of users as JSON (through serde
//! from owned values, and straight from borrowed fields as the SQLite store does).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use orgusers_api::render::{UserFields, UserListWriter};
use orgusers_api::{NestedUser, USER_OBJECT, User, UserList};
use orgusers_server::params::list_query;

fn user(i: usize) -> User {
    let id = format!("user-{i:024}");
    let email = Some(format!("first.last.{i}@example.com"));
    let name = Some(format!("First Last {i}"));
    User {
        object: USER_OBJECT.into(),
        user: Some(NestedUser {
            object: "user".into(),
            id: id.clone(),
            email: email.clone(),
            name: name.clone(),
            picture: None,
            enabled: Some(true),
            banned: Some(false),
            banned_at: None,
        }),
        id,
        name,
        email,
        role: Some("reader".into()),
        added_at: 1_700_000_000 + i as i64,
        is_default: false,
        created: 1_700_000_000,
        is_service_account: false,
        is_scale_tier_authorized_purchaser: None,
        is_scim_managed: false,
        api_key_last_used_at: Some(1_710_000_000),
        technical_level: Some("expert".into()),
        developer_persona: None,
        projects: None,
    }
}

fn parsing(c: &mut Criterion) {
    let simple = "limit=20&after=user-abcdefghijklmnopqrstuvwx";
    c.bench_function("parse list query: limit and after", |b| {
        b.iter(|| list_query(Some(black_box(simple))).unwrap())
    });
    let hundred: String = (0..100)
        .map(|i| format!("emails%5B%5D=first.last.{i}%40example.com"))
        .collect::<Vec<_>>()
        .join("&");
    c.bench_function("parse list query: 100 emails", |b| {
        b.iter(|| list_query(Some(black_box(&hundred))).unwrap())
    });
}

fn fields(user: &User) -> UserFields<'_> {
    let nested = user.user.as_ref().unwrap();
    UserFields {
        id: &user.id,
        name: user.name.as_deref(),
        email: user.email.as_deref(),
        role: user.role.as_deref().unwrap(),
        added_at: user.added_at,
        is_default: user.is_default,
        created: user.created,
        picture: nested.picture.as_deref(),
        enabled: nested.enabled,
        banned: nested.banned,
        banned_at: nested.banned_at,
        is_service_account: user.is_service_account,
        is_scale_tier_authorized_purchaser: user.is_scale_tier_authorized_purchaser,
        is_scim_managed: user.is_scim_managed,
        api_key_last_used_at: user.api_key_last_used_at,
        technical_level: user.technical_level.as_deref(),
        developer_persona: user.developer_persona.as_deref(),
        projects: None,
    }
}

fn serialization(c: &mut Criterion) {
    for n in [20, 100] {
        let page = UserList::new((0..n).map(user).collect(), true);
        c.bench_function(&format!("serialize a page of {n} users (serde)"), |b| {
            b.iter(|| serde_json::to_vec(black_box(&page)).unwrap())
        });
        let rows: Vec<UserFields<'_>> = page.data.iter().map(fields).collect();
        c.bench_function(
            &format!("write a page of {n} users (UserListWriter)"),
            |b| {
                b.iter(|| {
                    let mut writer = UserListWriter::new(Vec::with_capacity(640 * n));
                    for row in black_box(&rows) {
                        writer.push(row);
                    }
                    writer.finish(true)
                })
            },
        );
    }
}

criterion_group!(benches, parsing, serialization);
criterion_main!(benches);
