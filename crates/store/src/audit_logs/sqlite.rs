//! The audit log in SQLite: indexed reads of `audit_log` (one per arm of the leading filter)
//! and a scan of the entries waiting to be moved into it, merged, then the names of the
//! page's projects.

use std::collections::HashMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use orgusers_api::render::{AuditLogFields, AuditLogListWriter};
use rusqlite::fallible_streaming_iterator::FallibleStreamingIterator;
use rusqlite::types::Type;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, Rows, params, params_from_iter};

use super::{
    AuditLogPage, AuditLogQuery, AuditLogStore, Bound, Dialect, IndexState, PageSql, StoredEntry,
    StoredPage, rules,
};
use crate::sqlite::SqliteStore;
use crate::sqlite::audit_index::SCHEMA;
use crate::{OrgId, StoreError};

/// Rows and index keys carry the organization's integer `seq` (`org`); payloads are text.
pub(crate) const SQLITE: Dialect = Dialect {
    table: "audit_log",
    org: "org",
    payload: "a.payload",
    placeholder: |n| format!("?{n}"),
    index_hints: true,
    unordered: false,
    resources_beside: Some("audit_index.audit_log_by_resource"),
};

/// The entries not yet moved into `audit_log` (migration V11): a table with no index but its
/// key, so a statement of its own reads it whole (at most a few hundred rows).
const SQLITE_PENDING: Dialect = Dialect {
    table: "audit_log_pending",
    index_hints: false,
    unordered: true,
    ..SQLITE
};

#[async_trait]
impl AuditLogStore for SqliteStore {
    async fn list_audit_logs(
        &self,
        org: &OrgId,
        query: &AuditLogQuery,
    ) -> Result<AuditLogPage, StoreError> {
        self.read_here_remembering(|conn, memo| {
            stored_page(conn, memo, self.known_org_seq(conn, org)?, query)
        })?
        .into_page(query.limit)
    }

    async fn list_audit_logs_json(
        &self,
        org: &OrgId,
        query: &AuditLogQuery,
    ) -> Result<Vec<u8>, StoreError> {
        self.read_here_remembering(|conn, memo| {
            let seq = self.known_org_seq(conn, org)?;
            if query.reads_upwards() {
                // Read upwards, shown newest first: turned round once read.
                return Ok(stored_page(conn, memo, seq, query)?.into_json(query.limit));
            }
            // Read newest first: each entry written as its row is taken, never copied out.
            let mut page = AuditLogListWriter::new(Vec::with_capacity(8 * 1024));
            let mut handed = 0;
            read_page(conn, memo, seq, query, &mut |entry| {
                handed += 1;
                // The row after the page only says that more follow.
                if handed <= query.limit {
                    page.push(entry);
                }
            })?;
            Ok(page.finish(handed > query.limit))
        })
    }
}

/// The `(effective_at, seq)` of the entry `query`'s cursor names, if it has one.
fn cursor_position(
    conn: &Connection,
    seq: i64,
    query: &AuditLogQuery,
) -> Result<Option<(i64, i64)>, StoreError> {
    let Some(cursor) = &query.cursor else {
        return Ok(None);
    };
    let found = conn
        .prepare_cached(
            "SELECT effective_at, seq FROM audit_log_entries WHERE org = ?1 AND id = ?2",
        )?
        .query_row(params![seq, cursor.id()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    found.map(Some).ok_or_else(|| rules::unknown_cursor(cursor))
}

/// The values of a [`PageSql`] as SQLite binds them.
pub(crate) fn sql_values(values: Vec<Bound>) -> impl Iterator<Item = SqlValue> {
    values.into_iter().map(|bound| match bound {
        Bound::Int(n) => SqlValue::Integer(n),
        Bound::Text(text) => SqlValue::Text(text),
    })
}

/// The page of `query` as rows copied out, for the callers that keep them.
fn stored_page(
    conn: &Connection,
    memo: &mut PageMemo,
    seq: i64,
    query: &AuditLogQuery,
) -> Result<StoredPage, StoreError> {
    let mut rows = Vec::new();
    read_page(conn, memo, seq, query, &mut |entry| {
        rows.push(StoredEntry::of(entry));
    })?;
    Ok(StoredPage {
        rows,
        ascending: query.reads_upwards(),
    })
}

/// Hands `take` the entries of one page (and the one after it, which says whether more
/// follow) in reading order (upwards for a `before` page, to be turned round), each with its
/// project's name. The page of `audit_log` and that of the entries not yet moved into it are
/// merged, read in one transaction so that a move between the two reads can neither hide an
/// entry nor show it twice.
fn read_page(
    conn: &Connection,
    memo: &mut PageMemo,
    seq: i64,
    query: &AuditLogQuery,
    take: &mut dyn FnMut(&AuditLogFields<'_>),
) -> Result<(), StoreError> {
    let snapshot = Snapshot::begin(conn)?;
    // This takes the store's snapshot, before any read of the index's file: so the index's
    // snapshot is the newer one, and whatever the store holds above it is read from the table.
    memo.hold_to(&snapshot)?;
    let cursor = cursor_position(&snapshot, seq, query)?;
    let index = match query.resource_ids {
        Some(_) => Some(memo.index_state(&snapshot)?),
        None => None,
    };
    // Statements in list order, one per arm of the leading filter, each read from its index:
    // SQLite sorts nothing, and the arms are merged a row at a time, so that only the rows the
    // page shows are taken out (and looked up in the table: a row's place is in the index).
    // The others (the waiting entries, and those above what the index by resource holds) are
    // a few hundred rows at most, read whole and put in the page's order here.
    let mut reads = PageSql::arms(query, Bound::Int(seq), cursor, &SQLITE, index);
    reads.push(PageSql::of(query, Bound::Int(seq), cursor, &SQLITE_PENDING));
    let ascending = query.reads_upwards();
    let mut loose = Vec::new();
    let mut ordered = Vec::with_capacity(reads.len());
    for page in reads {
        let mut statement = snapshot.prepare_cached(&page.sql)?;
        if page.ordered {
            ordered.push((statement, page.values));
            continue;
        }
        let rows = statement.query_map(params_from_iter(sql_values(page.values)), stored_row)?;
        for row in rows {
            loose.push(row?);
        }
    }
    loose.sort_by_key(|(seq, entry)| (entry.effective_at, *seq));
    if !ascending {
        loose.reverse();
    }
    let mut loose = loose.into_iter().peekable();
    let mut arms = Vec::with_capacity(ordered.len());
    for (statement, values) in &mut ordered {
        arms.push(ArmRows::start(
            statement.query(params_from_iter(sql_values(std::mem::take(values))))?,
        )?);
    }
    // Whether the entry at `a` comes before the one at `b` in the page's order.
    let before = |a: (i64, i64), b: (i64, i64)| if ascending { a < b } else { a > b };
    let mut names = ProjectNames {
        conn: &snapshot,
        seq,
        lookup: None,
        known: memo.names.entry(seq).or_default(),
    };
    for handed in 0..=query.limit {
        // The row after the page only says that more follow: its project is not named.
        let named = handed < query.limit;
        let first_arm = arms
            .iter_mut()
            .filter_map(|arm| arm.head.map(|head| (head, arm)))
            .reduce(|best, other| if before(other.0, best.0) { other } else { best });
        let first_loose = loose.peek().map(|(seq, entry)| (entry.effective_at, *seq));
        match first_arm {
            Some((head, arm)) if first_loose.is_none_or(|l| before(head, l)) => {
                arm.hand(&mut names, named, take)?;
            }
            _ => match loose.next() {
                Some((_, entry)) => take(&names.name(entry.fields(), named)?),
                None => break,
            },
        }
    }
    Ok(())
}

/// What a reader connection's audit log pages keep from one page to the next: the names of
/// the projects they showed, and the state of the index by resource. It holds while the store
/// and the index read as they did when it was kept: a connection's `data_version` of a file
/// changes whenever another connection commits to it, and a reader never writes.
#[derive(Default)]
pub(crate) struct PageMemo {
    /// The store's `data_version` the memory holds for; `None` before the first page.
    store: Option<i64>,
    /// Project names by organization (`seq`) and id; none for a project not in the store.
    names: HashMap<i64, ProjectNameMap>,
    /// The index's state, and the index's `data_version` when it was read.
    index: Option<(i64, IndexState)>,
}

/// The most project names a reader keeps; past it, it forgets them all and reads them again.
const MAX_NAMES: usize = 4096;

impl PageMemo {
    /// Forgets what the store's state in `conn`'s open transaction may have changed. As the
    /// transaction's first statement, this takes the store's snapshot.
    fn hold_to(&mut self, conn: &Connection) -> Result<(), StoreError> {
        let version = data_version(conn, "PRAGMA main.data_version")?;
        let known: usize = self.names.values().map(HashMap::len).sum();
        if self.store != Some(version) || known > MAX_NAMES {
            self.store = Some(version);
            self.names.clear();
            self.index = None;
        }
        Ok(())
    }

    /// The state of the index by resource for a read in `conn`'s open transaction, after
    /// [`PageMemo::hold_to`]: read again only when the store or the index has changed.
    fn index_state(&mut self, conn: &Connection) -> Result<IndexState, StoreError> {
        let version = data_version(conn, &INDEX_VERSION_SQL)?;
        match self.index {
            Some((kept, state)) if kept == version => Ok(state),
            _ => {
                let state = IndexState::read(conn)?;
                self.index = Some((version, state));
                Ok(state)
            }
        }
    }
}

/// One organization's project names, by id. A page looks up each of its entries' projects: a
/// fast hash, since the ids are the store's own.
type ProjectNameMap = HashMap<String, Option<String>, foldhash::fast::RandomState>;

/// The statement that reads the index file's `data_version`.
static INDEX_VERSION_SQL: LazyLock<String> =
    LazyLock::new(|| format!("PRAGMA {SCHEMA}.data_version"));

/// The `data_version` that the pragma `sql` reads.
fn data_version(conn: &Connection, sql: &str) -> Result<i64, StoreError> {
    Ok(conn.prepare_cached(sql)?.query_row([], |r| r.get(0))?)
}

/// The names of a page's projects, each read when its first entry is taken unless the reader
/// knows it from an earlier page: a page names a few, so this costs less than joining the
/// projects to every row read.
struct ProjectNames<'c> {
    conn: &'c Connection,
    seq: i64,
    lookup: Option<rusqlite::CachedStatement<'c>>,
    /// What the reader knows of the organization's projects ([`PageMemo::names`]).
    known: &'c mut ProjectNameMap,
}

impl ProjectNames<'_> {
    /// `entry` with its project's name, if `named` and it has a project.
    fn name<'a>(
        &'a mut self,
        mut entry: AuditLogFields<'a>,
        named: bool,
    ) -> Result<AuditLogFields<'a>, StoreError> {
        let Some((id, _)) = entry.project.filter(|_| named) else {
            return Ok(entry);
        };
        if !self.known.contains_key(id) {
            let lookup = match &mut self.lookup {
                Some(lookup) => lookup,
                None => self.lookup.insert(
                    self.conn
                        .prepare_cached("SELECT name FROM projects WHERE org = ?1 AND id = ?2")?,
                ),
            };
            let found = lookup
                .query_row(params![self.seq, id], |r| r.get(0))
                .optional()?;
            self.known.insert(id.to_owned(), found);
        }
        let name = self.known.get(id).and_then(Option::as_deref);
        entry.project = Some((id, name));
        Ok(entry)
    }
}

/// A read transaction on a reader connection, so that every statement of a page reads one
/// state of the store. Begun and ended by statements from the connection's cache:
/// `unchecked_transaction` prepares `BEGIN` and `ROLLBACK` anew for each page.
struct Snapshot<'c>(&'c Connection);

impl<'c> Snapshot<'c> {
    fn begin(conn: &'c Connection) -> Result<Self, StoreError> {
        conn.prepare_cached("BEGIN")?.execute([])?;
        Ok(Self(conn))
    }
}

impl std::ops::Deref for Snapshot<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.0
    }
}

impl Drop for Snapshot<'_> {
    fn drop(&mut self) {
        // Nothing was written, so nothing is lost; a connection left inside the transaction is
        // not taken back by the readers' pool (`Inner::read_remembering`).
        if let Err(e) = self
            .0
            .prepare_cached("ROLLBACK")
            .and_then(|mut end| end.execute([]))
        {
            tracing::error!(error = %e, "ending a read of the audit log failed");
        }
    }
}

/// The columns every page statement selects, as a row of the page and its `seq`.
fn stored_row(row: &Row<'_>) -> rusqlite::Result<(i64, StoredEntry)> {
    Ok((row.get(6)?, StoredEntry::of(&row_fields(row, row.get(2)?)?)))
}

/// One arm's rows in list order, standing on the next one the page may take.
struct ArmRows<'s> {
    rows: Rows<'s>,
    /// `(effective_at, seq)` of the row it stands on; `None` once the arm is spent.
    head: Option<(i64, i64)>,
}

impl<'s> ArmRows<'s> {
    fn start(rows: Rows<'s>) -> rusqlite::Result<Self> {
        let mut arm = Self { rows, head: None };
        arm.step()?;
        Ok(arm)
    }

    /// Moves to the next row and reads its place, which the index holds.
    fn step(&mut self) -> rusqlite::Result<()> {
        self.head = match self.rows.next()? {
            Some(row) => Some((row.get(2)?, row.get(6)?)),
            None => None,
        };
        Ok(())
    }

    /// Hands `take` the row it stands on, named, and moves past it.
    fn hand(
        &mut self,
        names: &mut ProjectNames<'_>,
        named: bool,
        take: &mut dyn FnMut(&AuditLogFields<'_>),
    ) -> Result<(), StoreError> {
        if let (Some(row), Some((effective_at, _))) = (self.rows.get(), self.head) {
            take(&names.name(row_fields(row, effective_at)?, named)?);
        }
        self.step()?;
        Ok(())
    }
}

/// The entry of a page statement's row whose `effective_at` is already read, borrowed from it.
fn row_fields<'r>(row: &'r Row<'_>, effective_at: i64) -> rusqlite::Result<AuditLogFields<'r>> {
    let text = |n: usize| -> rusqlite::Result<Option<&'r str>> {
        row.get_ref(n)?
            .as_str_or_null()
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(n, Type::Text, Box::new(e)))
    };
    let required = |n: usize| -> rusqlite::Result<&'r str> {
        text(n)?.ok_or_else(|| rusqlite::Error::InvalidColumnType(n, String::new(), Type::Null))
    };
    let actor_user = match text(7)? {
        Some(id) => Some((id, text(8)?)),
        None => None,
    };
    Ok(AuditLogFields {
        id: required(0)?,
        event_type: required(1)?,
        effective_at,
        project: text(3)?.map(|id| (id, None)),
        actor_key_id: text(4)?,
        actor_user,
        payload: required(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit_logs::AuditCursor;
    use crate::sqlite::org_seq;
    use crate::{OrgStore, SqliteStore};

    /// The plans of the statements that read `query`'s page: one per arm of its leading
    /// filter, then the one over the waiting entries; each line's detail.
    fn plans(conn: &Connection, seq: i64, query: &AuditLogQuery) -> Vec<Vec<String>> {
        let cursor = cursor_position(conn, seq, query).unwrap();
        let lagging = IndexState {
            through: 10,
            holds_all: false,
        };
        let mut pages = PageSql::arms(query, Bound::Int(seq), cursor, &SQLITE, Some(lagging));
        pages.push(PageSql::of(query, Bound::Int(seq), cursor, &SQLITE_PENDING));
        pages
            .into_iter()
            .map(|page| {
                conn.prepare(&format!("EXPLAIN QUERY PLAN {}", page.sql))
                    .unwrap()
                    .query_map(params_from_iter(sql_values(page.values)), |r| r.get(3))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap()
            })
            .collect()
    }

    /// A page's reads are open at once, each from a connection's cache of prepared statements
    /// (keyed by text): arms that differ only in their values must still differ in text, or
    /// every page would prepare one of them again.
    #[test]
    fn the_arms_of_a_page_differ_in_text() {
        let list = |values: &[&str]| Some(values.iter().map(|v| (*v).to_owned()).collect());
        let mut types = AuditLogQuery::newest(20);
        types.event_types = list(&["user.added", "invite.sent", "group.updated"]);
        let mut resources = AuditLogQuery::newest(20);
        resources.resource_ids = list(&["r", "s", "t"]);
        let mut actors = AuditLogQuery::newest(20);
        actors.actor_ids = list(&["key_a", "key_b"]);
        let lagging = IndexState {
            through: 10,
            holds_all: false,
        };
        for (query, arms) in [(types, 3), (resources, 4), (actors, 4)] {
            let reads = PageSql::arms(&query, Bound::Int(1), None, &SQLITE, Some(lagging));
            let texts: std::collections::HashSet<_> = reads.iter().map(|read| &read.sql).collect();
            assert_eq!((reads.len(), texts.len()), (arms, arms), "{query:?}");
        }
    }

    /// By resource, the entries above what the index beside the store holds are read from the
    /// table itself, by a read of their own; when the index holds them all, there is no such read.
    #[test]
    fn an_index_holding_every_entry_leaves_nothing_to_read_above_it() {
        let mut query = AuditLogQuery::newest(20);
        query.resource_ids = Some(vec!["r".into(), "s".into()]);
        let reads = |holds_all| {
            let indexed = IndexState {
                through: 10,
                holds_all,
            };
            PageSql::arms(&query, Bound::Int(1), None, &SQLITE, Some(indexed))
                .iter()
                .map(|read| read.ordered)
                .collect::<Vec<_>>()
        };
        assert_eq!(reads(false), [true, true, false]);
        assert_eq!(reads(true), [true, true]);
    }

    /// Each arm of the leading filter is read by a statement of its own from that filter's
    /// index in list order, a single value too, and the waiting entries by a plain scan: SQLite
    /// sorts nothing (the rows are merged in Rust).
    #[tokio::test]
    async fn every_arm_reads_its_index_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.db");
        let store = SqliteStore::open(&path).await.unwrap();
        let org = store.ensure_organization(None).await.unwrap();
        let seq = store.read_here(|conn| org_seq(conn, &org)).unwrap();
        Connection::open(&path)
            .unwrap()
            .execute(
                "INSERT INTO audit_log (org, id, type, effective_at, resource_id, payload) \
             VALUES (?1, 'audit_log-x', 'user.added', 5, 'r', '{}')",
                [seq],
            )
            .unwrap();
        let list = |values: &[&str]| Some(values.iter().map(|v| (*v).to_owned()).collect());
        let mut two_types = AuditLogQuery::newest(20);
        two_types.event_types = list(&["user.added", "invite.sent"]);
        two_types.effective_at.gte = Some(1);
        two_types.effective_at.lt = Some(9);
        let mut one_type = AuditLogQuery::newest(20);
        one_type.event_types = list(&["user.added"]);
        one_type.effective_at.gt = Some(1);
        one_type.effective_at.lte = Some(9);
        let mut one_project = AuditLogQuery::newest(20);
        one_project.project_ids = list(&["proj_a"]);
        let mut projects_and_types = AuditLogQuery::newest(20);
        projects_and_types.project_ids = list(&["proj_a", "proj_b", "proj_a"]);
        projects_and_types.event_types = list(&["user.added", "invite.sent"]);
        let mut resources = AuditLogQuery::newest(3);
        resources.resource_ids = list(&["r", "s", "t"]);
        resources.actor_ids = list(&["key_a", "key_b"]);
        let mut actors = AuditLogQuery::newest(3);
        actors.actor_ids = list(&["key_a", "key_b"]);
        let mut one_actor = AuditLogQuery::newest(3);
        one_actor.actor_ids = list(&["user-a"]);
        one_actor.event_types = list(&["user.added"]);
        let mut emails = AuditLogQuery::newest(3);
        emails.actor_emails = list(&["Ann@example.com", "bob@example.com"]);
        emails.event_types = list(&["user.added"]);
        let mut one_email = AuditLogQuery::newest(3);
        one_email.actor_emails = list(&["ann@example.com"]);
        one_email.effective_at.gte = Some(1);
        const ACTOR: &[&str] = &["audit_log_by_actor ", "audit_log_by_actor_user "];
        let cases: [(AuditLogQuery, &[&str], usize); 8] = [
            (two_types, &["audit_log_by_type"], 2),
            (one_type, &["audit_log_by_type"], 1),
            (one_project, &["audit_log_by_project"], 1),
            (projects_and_types, &["audit_log_by_project"], 2),
            // Each id as a key id and as a user id.
            (actors, ACTOR, 4),
            // An event type leads an actor or an email: it is the more selective.
            (one_actor, &["audit_log_by_type"], 1),
            (emails, &["audit_log_by_type"], 1),
            (one_email, &["audit_log_by_actor_email"], 1),
        ];
        // `query` without a cursor and with each kind, each with the plans of its reads but the
        // last, which reads the waiting entries by a plain scan.
        let with_every_cursor = |query: &AuditLogQuery| {
            [
                None,
                Some(AuditCursor::After("audit_log-x".into())),
                Some(AuditCursor::Before("audit_log-x".into())),
            ]
            .map(|cursor| {
                let query = AuditLogQuery {
                    cursor,
                    ..query.clone()
                };
                // On the store's own connection, set up as for every read.
                let mut plans = store
                    .read_here(|conn| Ok(plans(conn, seq, &query)))
                    .unwrap();
                assert_eq!(plans.pop().unwrap(), ["SCAN a"], "{query:?}");
                (query, plans)
            })
        };
        for (query, index, arms) in cases {
            for (query, plans) in with_every_cursor(&query) {
                assert_eq!(plans.len(), arms, "{query:?}: {plans:#?}");
                for plan in &plans {
                    // One search of the filter's index, in the page's order: nothing sorted.
                    assert_eq!(plan.len(), 1, "{query:?}: {plans:#?}");
                    assert!(
                        plan[0].starts_with("SEARCH a USING INDEX")
                            && index.iter().any(|index| plan[0].contains(index)),
                        "{query:?}: {plans:#?}"
                    );
                }
            }
        }
        // By resource: each value from the index beside the store's file, in the page's order
        // and within the cursor's and the time range's bounds, each row's entry by its key; then
        // the entries above what that index holds, by the key's range.
        let mut one_resource = AuditLogQuery::newest(3);
        one_resource.resource_ids = list(&["r"]);
        one_resource.effective_at.gte = Some(1);
        for (query, arms) in [(resources, 3), (one_resource, 1)] {
            for (query, mut plans) in with_every_cursor(&query) {
                let bounded = query.cursor.is_some() || query.effective_at.gte.is_some();
                let above = plans.pop().unwrap();
                assert_eq!(
                    above,
                    ["SEARCH a USING INTEGER PRIMARY KEY (rowid>?)"],
                    "{query:?}"
                );
                assert_eq!(plans.len(), arms, "{query:?}: {plans:#?}");
                for plan in &plans {
                    assert_eq!(plan.len(), 2, "{query:?}: {plans:#?}");
                    assert!(
                        plan[0].starts_with("SEARCH r USING PRIMARY KEY (org=? AND resource_id=?")
                            && plan[0].contains("effective_at") == bounded,
                        "{query:?}: {plans:#?}"
                    );
                    assert_eq!(
                        plan[1], "SEARCH a USING INTEGER PRIMARY KEY (rowid=?)",
                        "{query:?}: {plans:#?}"
                    );
                }
            }
        }
    }

    /// A reader keeps the names of the projects its pages showed and the state of the index,
    /// and forgets them when another connection commits: a project renamed, or an entry added,
    /// shows on the next page.
    #[tokio::test]
    async fn a_reader_forgets_what_another_connection_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("memo.db");
        // The index holds only what this test brings it up to date with.
        let store = SqliteStore::open_without_indexer(&path).await.unwrap();
        let org = store.ensure_organization(None).await.unwrap();
        let seq = store.read_here(|conn| org_seq(conn, &org)).unwrap();
        let other = Connection::open(&path).unwrap();
        other
            .execute(
                "INSERT INTO projects (org, id, name, created_at) VALUES (?1, 'proj_a', 'Alpha', 1)",
                [seq],
            )
            .unwrap();
        let add_entry = |id: &str, at: i64| {
            other
                .execute(
                    "INSERT INTO audit_log (org, id, type, effective_at, resource_id, payload, \
                     project_id) VALUES (?1, ?2, 'project.updated', ?3, 'proj_a', '{}', 'proj_a')",
                    params![seq, id, at],
                )
                .unwrap();
        };
        add_entry("audit_log-a", 5);
        crate::sqlite::audit_index::catch_up_by(&path, 100).unwrap();
        let mut query = AuditLogQuery::newest(20);
        query.resource_ids = Some(vec!["proj_a".to_owned()]);
        // Each entry's id and its project's name.
        async fn page(
            store: &SqliteStore,
            org: &OrgId,
            query: &AuditLogQuery,
        ) -> Vec<(String, Option<String>)> {
            let page = store.list_audit_logs(org, query).await.unwrap();
            page.entries
                .into_iter()
                .map(|entry| (entry.id, entry.project.and_then(|(_, name)| name)))
                .collect()
        }
        let named = |id: &str, name: &str| (id.to_owned(), Some(name.to_owned()));
        assert_eq!(
            page(&store, &org, &query).await,
            [named("audit_log-a", "Alpha")]
        );
        // Pages are read on the reader last put back: it now knows the project, and that the
        // index holds every entry (so a page reads nothing above it).
        let kept = store
            .read_here_remembering(|_, memo| {
                Ok((memo.names[&seq].len(), memo.index.map(|(_, state)| state)))
            })
            .unwrap();
        let holding_all = IndexState {
            through: 1,
            holds_all: true,
        };
        assert_eq!(kept, (1, Some(holding_all)));
        assert_eq!(
            page(&store, &org, &query).await,
            [named("audit_log-a", "Alpha")]
        );

        other
            .execute("UPDATE projects SET name = 'Beta' WHERE id = 'proj_a'", [])
            .unwrap();
        assert_eq!(
            page(&store, &org, &query).await,
            [named("audit_log-a", "Beta")]
        );
        // Not indexed: read above what the index holds, once the reader has forgotten that it
        // held every entry.
        add_entry("audit_log-b", 6);
        assert_eq!(
            page(&store, &org, &query).await,
            [named("audit_log-b", "Beta"), named("audit_log-a", "Beta")]
        );
    }
}
