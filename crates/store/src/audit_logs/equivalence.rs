//! The pages of both backends against the same entries filtered and ordered here: every filter
//! with several values (split into arms or not), time ranges, cursors and both directions.
//! Actors are keys with or without an owning user; one user's id is also a key's.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{ActorUser, AuditCursor, AuditLogEntry, AuditLogQuery, AuditLogStore, TimeRange};
use crate::OrgId;
use crate::domain::fold_email;

const TYPES: &[&str] = &[
    "user.added",
    "invite.sent",
    "user.deleted",
    "project.created",
    "group.updated",
];
const RESOURCES: &[&str] = &["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"];
const ACTORS: &[&str] = &["key_a", "key_b", "key_c", "key_d"];
/// The owners an acting key may have had: `key_c` is also a key's id, and one has no email.
const OWNERS: &[(&str, Option<&str>)] = &[
    ("user-ann", Some("Ann@Example.com")),
    ("user-bob", Some("bob@example.com")),
    ("key_c", Some("kc@example.com")),
    ("user-noemail", None),
];
/// What `actor_ids` asks for: key ids and user ids.
const ACTOR_IDS: &[&str] = &[
    "key_a",
    "key_b",
    "key_c",
    "key_d",
    "user-ann",
    "user-bob",
    "user-noemail",
];
/// What `actor_emails` asks for, in any case.
const EMAILS: &[&str] = &[
    "ann@example.com",
    "ANN@example.COM",
    "bob@example.com",
    "kc@example.com",
];
/// `proj_gone` names no project of the store: its entries show no name.
const PROJECTS: &[&str] = &["proj_a", "proj_b", "proj_c", "proj_gone"];

/// A seeded xorshift: the same entries and queries on every run and backend.
struct Seeded(u64);

impl Seeded {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// One written entry, `seq` being its place in the writing order.
#[derive(Debug, Clone)]
pub(super) struct Written {
    pub seq: usize,
    pub id: String,
    pub event_type: &'static str,
    pub effective_at: i64,
    pub resource_id: &'static str,
    pub actor_key_id: Option<&'static str>,
    /// The acting key's owner then: id and email.
    pub actor_user: Option<(&'static str, Option<&'static str>)>,
    pub project_id: Option<&'static str>,
}

impl Written {
    pub(super) fn payload(&self) -> String {
        json!({ "id": self.resource_id }).to_string()
    }

    fn actor_user_id(&self) -> Option<&'static str> {
        self.actor_user.map(|(id, _)| id)
    }

    fn actor_email(&self) -> Option<&'static str> {
        self.actor_user.and_then(|(_, email)| email)
    }
}

/// `count` entries over 40 seconds, several in most seconds, not written in time order.
pub(super) fn entries(count: usize) -> Vec<Written> {
    let mut random = Seeded(0x9e37_79b9_7f4a_7c15);
    (0..count)
        .map(|seq| {
            let event_type = random.pick(TYPES);
            let effective_at = 1_000 + random.below(40) as i64;
            let resource_id = random.pick(RESOURCES);
            let actor_key_id = (!random.chance(20)).then(|| random.pick(ACTORS));
            let project_id = (!random.chance(30)).then(|| random.pick(PROJECTS));
            let owned = actor_key_id.is_some() && random.chance(50);
            let actor_user = owned.then(|| OWNERS[random.below(OWNERS.len())]);
            Written {
                seq,
                id: format!("audit_log-{seq:024}"),
                event_type,
                effective_at,
                resource_id,
                actor_key_id,
                actor_user,
                project_id,
            }
        })
        .collect()
}

/// The names of the projects the store has.
pub(super) fn project_names() -> Vec<(&'static str, &'static str)> {
    vec![("proj_a", "Alpha"), ("proj_b", "Beta"), ("proj_c", "Gamma")]
}

fn values(random: &mut Seeded, from: &[&str]) -> Option<Vec<String>> {
    values_in(random, from, 45)
}

/// [`values`] for `percent` of the queries.
fn values_in(random: &mut Seeded, from: &[&str], percent: usize) -> Option<Vec<String>> {
    if !random.chance(percent) {
        return None;
    }
    // Sometimes none (no entry matches), a repeat, or one no entry has.
    let count = random.below(5);
    let mut chosen: Vec<String> = (0..count).map(|_| random.pick(from).to_owned()).collect();
    if random.chance(10) {
        chosen.push("nothing".to_owned());
    }
    Some(chosen)
}

fn bound(random: &mut Seeded) -> Option<i64> {
    random.chance(25).then(|| 998 + random.below(44) as i64)
}

fn random_query(random: &mut Seeded, written: &[Written]) -> AuditLogQuery {
    let mut query = AuditLogQuery::newest(1 + random.below(5));
    query.effective_at = TimeRange {
        gt: bound(random),
        gte: bound(random),
        lt: bound(random),
        lte: bound(random),
    };
    query.event_types = values(random, TYPES);
    query.resource_ids = values(random, RESOURCES);
    query.actor_ids = values(random, ACTOR_IDS);
    // Fewer entries have an email, so fewer queries ask for one: most still admit some.
    query.actor_emails = values_in(random, EMAILS, 20);
    query.project_ids = values(random, PROJECTS);
    if random.chance(10) {
        // Any entry, matching the filters or not.
        let id = written[random.below(written.len())].id.clone();
        query.cursor = Some(if random.chance(50) {
            AuditCursor::After(id)
        } else {
            AuditCursor::Before(id)
        });
    }
    query
}

fn admits(list: &Option<Vec<String>>, value: Option<&str>) -> bool {
    match list {
        None => true,
        Some(list) => value.is_some_and(|value| list.iter().any(|listed| listed == value)),
    }
}

/// Whether `email` is one of `list`'s, compared case-insensitively.
fn admits_email(list: &Option<Vec<String>>, email: Option<&str>) -> bool {
    match list {
        None => true,
        Some(list) => email.is_some_and(|email| {
            list.iter()
                .any(|listed| fold_email(listed) == fold_email(email))
        }),
    }
}

/// The entries `query`'s filters admit, newest first (the cursor not applied).
fn filtered(written: &[Written], query: &AuditLogQuery) -> Vec<AuditLogEntry> {
    let range = query.effective_at;
    let names: HashMap<&str, &str> = project_names().into_iter().collect();
    let mut kept: Vec<&Written> = written
        .iter()
        .filter(|w| {
            range.gt.is_none_or(|at| w.effective_at > at)
                && range.gte.is_none_or(|at| w.effective_at >= at)
                && range.lt.is_none_or(|at| w.effective_at < at)
                && range.lte.is_none_or(|at| w.effective_at <= at)
                && admits(&query.event_types, Some(w.event_type))
                && admits(&query.resource_ids, Some(w.resource_id))
                && (admits(&query.actor_ids, w.actor_key_id)
                    || admits(&query.actor_ids, w.actor_user.map(|(id, _)| id)))
                && admits_email(
                    &query.actor_emails,
                    w.actor_user.and_then(|(_, email)| email),
                )
                && admits(&query.project_ids, w.project_id)
        })
        .collect();
    kept.sort_by_key(|w| std::cmp::Reverse((w.effective_at, w.seq)));
    kept.into_iter()
        .map(|w| AuditLogEntry {
            id: w.id.clone(),
            event_type: w.event_type.to_owned(),
            effective_at: w.effective_at,
            project: w
                .project_id
                .map(|id| (id.to_owned(), names.get(id).map(|name| (*name).to_owned()))),
            actor_key_id: w.actor_key_id.map(str::to_owned),
            actor_user: w.actor_user.map(|(id, email)| ActorUser {
                id: id.to_owned(),
                email: email.map(str::to_owned),
            }),
            payload: serde_json::from_str(&w.payload()).unwrap(),
        })
        .collect()
}

/// The place of the entry `id` in the newest-first order of every entry written.
fn position(written: &[Written], id: &str) -> (i64, usize) {
    let w = written.iter().find(|w| w.id == id).unwrap();
    (w.effective_at, w.seq)
}

fn key(written: &[Written], entry: &AuditLogEntry) -> (i64, usize) {
    position(written, &entry.id)
}

/// Checks one page against `expected` (the admitted entries, newest first).
async fn check_page(
    store: &dyn AuditLogStore,
    org: &OrgId,
    written: &[Written],
    query: &AuditLogQuery,
    expected: &[AuditLogEntry],
) -> (Vec<AuditLogEntry>, bool) {
    let page = store.list_audit_logs(org, query).await.unwrap();
    let limit = query.limit;
    let (want, more): (Vec<AuditLogEntry>, bool) = match &query.cursor {
        None => (
            expected.iter().take(limit).cloned().collect(),
            expected.len() > limit,
        ),
        Some(AuditCursor::After(id)) => {
            let at = position(written, id);
            let older: Vec<&AuditLogEntry> =
                expected.iter().filter(|e| key(written, e) < at).collect();
            (
                older.iter().take(limit).map(|e| (*e).clone()).collect(),
                older.len() > limit,
            )
        }
        Some(AuditCursor::Before(id)) => {
            let at = position(written, id);
            let newer: Vec<&AuditLogEntry> =
                expected.iter().filter(|e| key(written, e) > at).collect();
            let start = newer.len().saturating_sub(limit);
            (
                newer[start..].iter().map(|e| (*e).clone()).collect(),
                start > 0,
            )
        }
    };
    assert_eq!(
        (&page.entries, page.has_more),
        (&want, more),
        "query {query:?}"
    );
    // The JSON body is read the same way and says the same.
    let body: Value =
        serde_json::from_slice(&store.list_audit_logs_json(org, query).await.unwrap()).unwrap();
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["id"].as_str().unwrap())
        .collect();
    let want_ids: Vec<&str> = want.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, want_ids, "query {query:?}");
    assert_eq!(body["has_more"], Value::Bool(more), "query {query:?}");
    (page.entries, page.has_more)
}

/// Random filter combinations, each walked to its end with `after` and back with `before`.
pub(super) async fn check_store(store: &dyn AuditLogStore, org: &OrgId, written: &[Written]) {
    let mut random = Seeded(0x2545_f491_4f6c_dd1d);
    let mut walked = 0;
    for _ in 0..300 {
        let query = random_query(&mut random, written);
        let expected = filtered(written, &query);
        let (mut page, mut more) = check_page(store, org, written, &query, &expected).await;
        if query.cursor.is_some() {
            continue;
        }
        walked += expected.len();
        let mut seen = page.clone();
        while more {
            let mut next = query.clone();
            next.cursor = Some(AuditCursor::After(page.last().unwrap().id.clone()));
            (page, more) = check_page(store, org, written, &next, &expected).await;
            seen.extend(page.iter().cloned());
        }
        assert_eq!(seen, expected, "query {query:?}");
        // Back up from the oldest entry, a page of newer ones at a time.
        let Some(oldest) = seen.last() else { continue };
        let mut back = vec![oldest.clone()];
        let mut cursor = oldest.id.clone();
        loop {
            let mut previous = query.clone();
            previous.cursor = Some(AuditCursor::Before(cursor));
            let (page, more) = check_page(store, org, written, &previous, &expected).await;
            for entry in page.iter().rev() {
                back.push(entry.clone());
            }
            match page.first() {
                Some(first) if more => cursor = first.id.clone(),
                _ => break,
            }
        }
        back.reverse();
        assert_eq!(back, expected, "query {query:?}");
    }
    assert!(
        walked > 1_000,
        "the queries admit too few entries: {walked}"
    );
}

#[tokio::test]
async fn sqlite_pages_are_the_filtered_entries_in_order() {
    use crate::{OrgStore, SqliteStore};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let store = SqliteStore::open_without_indexer(&path).await.unwrap();
    let org = store.ensure_organization(None).await.unwrap();
    let written = entries(400);
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        let tx = conn.transaction().unwrap();
        let seq: i64 = tx
            .query_row(
                "SELECT seq FROM organizations WHERE id = ?1",
                [org.as_str()],
                |r| r.get(0),
            )
            .unwrap();
        tx.execute("DELETE FROM audit_log", []).unwrap();
        for (id, name) in project_names() {
            tx.execute(
                "INSERT INTO projects (org, id, name, created_at) VALUES (?1, ?2, ?3, 0)",
                rusqlite::params![seq, id, name],
            )
            .unwrap();
        }
        for (n, w) in written.iter().enumerate() {
            // A third of the entries wait in `audit_log_pending`, not yet moved, as a live
            // store's newest do: pages merge both tables.
            let table = if n % 3 == 1 {
                "audit_log_pending"
            } else {
                "audit_log"
            };
            tx.execute(
                &format!(
                    "INSERT INTO {table} (seq, org, id, type, effective_at, resource_id, \
                     payload, actor_key_id, project_id, actor_user_id, actor_email, \
                     actor_email_folded) \
                     VALUES (?9, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?10, ?11, ?12)"
                ),
                rusqlite::params![
                    seq,
                    w.id,
                    w.event_type,
                    w.effective_at,
                    w.resource_id,
                    w.payload(),
                    w.actor_key_id,
                    w.project_id,
                    i64::try_from(n).unwrap() + 1,
                    w.actor_user_id(),
                    w.actor_email(),
                    w.actor_email().map(fold_email)
                ],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    // The index by resource beside the store's file: none of these entries in it (it was made
    // under rows since deleted, so it is not used), then the first 100, then all of them.
    use crate::sqlite::audit_index::{IndexState, catch_up_by, catch_up_fully};
    let indexed_through = || IndexState::of_store(&store);
    // The `seq` of the newest entry written into `audit_log` (not `audit_log_pending`).
    let moved = (0..written.len())
        .filter(|n| n % 3 != 1)
        .map(|n| i64::try_from(n).unwrap() + 1)
        .max()
        .unwrap();
    assert_eq!(indexed_through(), 0);
    check_store(&store, &org, &written).await;
    catch_up_by(&path, 100).unwrap();
    assert!((100..moved).contains(&indexed_through()));
    check_store(&store, &org, &written).await;
    catch_up_fully(&path).unwrap();
    assert_eq!(indexed_through(), moved);
    check_store(&store, &org, &written).await;
}

/// Runs where `ORGUSERS_TEST_POSTGRES_URL` names a server, in a database of its own.
#[tokio::test]
async fn postgres_pages_are_the_filtered_entries_in_order() {
    use tokio_postgres::NoTls;

    use crate::{OrgStore, PostgresStore, StoreOptions};

    let Some(scratch) = crate::postgres::ScratchDatabase::create("orgusers_audit").await else {
        return;
    };
    let url = scratch.url.clone();
    let store = PostgresStore::open(&url, &StoreOptions::default())
        .await
        .unwrap();
    let org = store.ensure_organization(None).await.unwrap();
    let written = entries(400);
    {
        let (mut client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
        tokio::spawn(connection);
        let tx = client.transaction().await.unwrap();
        tx.execute("DELETE FROM audit_log", &[]).await.unwrap();
        for (id, name) in project_names() {
            tx.execute(
                "INSERT INTO projects (org_id, id, name, created_at) VALUES ($1, $2, $3, 0)",
                &[&org.as_str(), &id, &name],
            )
            .await
            .unwrap();
        }
        for w in &written {
            tx.execute(
                "INSERT INTO audit_log (org_id, id, type, effective_at, resource_id, payload, \
                 actor_key_id, project_id, actor_user_id, actor_email, actor_email_folded) \
                 VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8, $9, $10, $11)",
                &[
                    &org.as_str(),
                    &w.id,
                    &w.event_type,
                    &w.effective_at,
                    &w.resource_id,
                    &w.payload(),
                    &w.actor_key_id,
                    &w.project_id,
                    &w.actor_user_id(),
                    &w.actor_email(),
                    &w.actor_email().map(fold_email),
                ],
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
    check_store(&store, &org, &written).await;
    drop(store);
    // Other connections of the store's pool may linger; the database is left if so.
    scratch.remove().await;
}
