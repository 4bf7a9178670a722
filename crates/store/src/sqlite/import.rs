//! Bulk import into an organization that has no users yet, the case of a first import or `seed`.
//!
//! With no existing user to replace, a record can only clash with an earlier record of the same
//! file, and the unique id and email indexes say whether any does: the rows go in
//! with a plain `INSERT`, and only when SQLite refuses one does the import look, in memory and in
//! file order, for the first offending line to report.

use crate::projects::sqlite::DefaultMemberships;
use std::collections::{HashMap, HashSet};

use rusqlite::{ErrorCode, Transaction};

use crate::{
    EmailAddress, ImportError, ImportSummary, ImportedUser, StoreError, UserId, UserSource,
};

/// Whether the organization (its `users.org` key) has any user row, a deleted one (a
/// tombstone) included.
pub(crate) fn org_has_users(tx: &Transaction<'_>, org: i64) -> Result<bool, StoreError> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE org = ?1)",
        [org],
        |r| r.get(0),
    )?)
}

/// One record, its id given or generated, with the `added_at` it is written with.
pub(crate) struct NewUser {
    pub id: String,
    pub added_at: i64,
    pub user: ImportedUser,
}

/// What the import keeps of each record written, to name the first clash should SQLite refuse
/// one: a fraction of the record.
struct Written {
    line: usize,
    id: String,
    email: Option<EmailAddress>,
}

/// Imports `source` into the organization keyed `org` in `users`, which must have no user rows
/// (see [`org_has_users`]); the caller has inserted the organization.
///
/// Rows go in in file order, streamed in batches: seeds and exports are in list order, so rowids
/// follow the list and a page of the list reads adjacent rows.
pub(crate) fn import_into_empty_org(
    tx: &Transaction<'_>,
    org: i64,
    source: UserSource,
    started: i64,
) -> Result<ImportSummary, StoreError> {
    let mut summary = ImportSummary::default();
    let mut written: Vec<Written> = Vec::with_capacity(source.size_hint().0);
    let refused = |written: &[Written], e: rusqlite::Error| -> StoreError {
        match e.sqlite_error_code() {
            Some(ErrorCode::ConstraintViolation) => match first_clash(written) {
                Some(clash) => clash.into(),
                None => e.into(),
            },
            _ => e.into(),
        }
    };
    let mut writer = BulkWriter::start(tx, org)?;
    let mut memberships = DefaultMemberships::start(tx, org)?;
    let mut batch: Vec<NewUser> = Vec::with_capacity(ROWS_PER_INSERT);
    for record in source {
        let mut user = match record {
            Ok(user) => user,
            // Earlier lines may clash: the first refusal in the file is the one reported.
            Err(refused) => return Err(first_clash(&written).unwrap_or(refused).into()),
        };
        let id = user
            .id
            .take()
            .unwrap_or_else(UserId::generate)
            .into_string();
        summary.count(None);
        written.push(Written {
            line: user.line,
            id: id.clone(),
            email: user.email.clone(),
        });
        let added_at = user.resolved_added_at(None, started);
        if !user.had_projects {
            memberships.join(&id, user.role, added_at)?;
        }
        batch.push(NewUser { added_at, id, user });
        if batch.len() == ROWS_PER_INSERT {
            writer.insert(&batch).map_err(|e| refused(&written, e))?;
            batch.clear();
        }
    }
    writer.finish(&batch).map_err(|e| refused(&written, e))?;
    Ok(summary)
}

/// The first record, in file order, that repeats an earlier record's id or takes an earlier
/// record's email: the checks of the row-by-row import, where the earlier lines are the only
/// users of the organization.
fn first_clash(written: &[Written]) -> Option<ImportError> {
    let mut seen_ids: HashSet<&str> = HashSet::new();
    let mut holders: HashMap<&str, &str> = HashMap::new();
    for Written { line, id, email } in written {
        if !seen_ids.insert(id) {
            return Some(ImportError::duplicate_id(*line, id));
        }
        if let Some(email) = email {
            if let Some(holder) = holders.get(email.folded()) {
                return Some(ImportError::email_taken(*line, email.as_str(), holder));
            }
            holders.insert(email.folded(), id);
        }
    }
    None
}

/// Writes the rows of an import in batches of [`ROWS_PER_INSERT`], with the indexes that rows
/// would fill at random places dropped for the time when the import fills an empty table.
struct BulkWriter<'t> {
    tx: &'t Transaction<'t>,
    org: i64,
    batch: rusqlite::Statement<'t>,
    /// The SQL of the indexes to create again at the end.
    dropped: Vec<String>,
}

impl<'t> BulkWriter<'t> {
    fn start(tx: &'t Transaction<'t>, org: i64) -> rusqlite::Result<Self> {
        // Built once the rows are in, from one sorted pass each, the id and email indexes cost
        // a fraction of keeping them up to date row by row (random keys); the list-order
        // indexes are only appended to. Dropping and creating an index rewrites it whole, so
        // only when the import's rows are all the table will hold; the DDL is part of the
        // transaction, and other connections keep their snapshot. A million users: about 7 s
        // in all against 12.9 s with every index kept (measured before the integer
        // organization key and the sorted runs of `build_indexes`, which took it to 4 to 5 s).
        let dropped = if table_is_empty(tx)? {
            drop_secondary_indexes(tx)?
        } else {
            Vec::new()
        };
        Ok(Self {
            tx,
            org,
            batch: tx.prepare(&insert_sql(ROWS_PER_INSERT))?,
            dropped,
        })
    }

    /// Inserts a full batch of [`ROWS_PER_INSERT`] users.
    fn insert(&mut self, users: &[NewUser]) -> rusqlite::Result<()> {
        for (n, user) in users.iter().enumerate() {
            bind_user(&mut self.batch, n * USER_PARAMS, self.org, user)?;
        }
        self.batch.raw_execute().map(drop)
    }

    /// Inserts the last, shorter batch and creates the dropped indexes again.
    fn finish(self, rest: &[NewUser]) -> rusqlite::Result<()> {
        if !rest.is_empty() {
            let mut last = self.tx.prepare(&insert_sql(rest.len()))?;
            for (n, user) in rest.iter().enumerate() {
                bind_user(&mut last, n * USER_PARAMS, self.org, user)?;
            }
            last.raw_execute()?;
        }
        if !self.dropped.is_empty() {
            build_indexes(self.tx, &self.dropped)?;
        }
        Ok(())
    }
}

/// Creates the indexes of `sql`, each from one sort of the whole table.
///
/// SQLite's sorter sorts runs of up to the page cache's size in memory, writes them to
/// temporary files and merges them. With the import's 1 GiB cache a million users made one run:
/// a merge sort over a list far larger than the processor's caches. Runs of 2 MiB stay in those
/// caches, and a worker thread sorts each run while the table scan fills the next: each index
/// builds in half the time. Only the sorter sees the smaller cache: the transaction's pages are
/// dirty and stay in it.
fn build_indexes(tx: &Transaction<'_>, sql: &[String]) -> rusqlite::Result<()> {
    let cache_size: i64 = tx.pragma_query_value(None, "cache_size", |r| r.get(0))?;
    tx.pragma_update(None, "cache_size", SORT_RUN_KIB)?;
    tx.pragma_update(None, "threads", SORT_WORKER_THREADS)?;
    let built = sql.iter().try_for_each(|sql| tx.execute_batch(sql));
    tx.pragma_update(None, "threads", 0)?;
    tx.pragma_update(None, "cache_size", cache_size)?;
    built
}

/// The `cache_size` that sets the sorter's run size while indexes are built: 2 MiB (negative
/// values are KiB). 1 and 4 MiB measured the same; 16 MiB and more, slower.
const SORT_RUN_KIB: i64 = -2048;
/// Threads that sort runs beside the one scanning the table.
const SORT_WORKER_THREADS: i64 = 1;

/// Rows per `INSERT` statement: fewer statements to step, and SQLite's limit on parameters
/// (32766) stays far away.
const ROWS_PER_INSERT: usize = 64;
/// Parameters of one row.
const USER_PARAMS: usize = 19;

/// `INSERT INTO users … VALUES (…), (…), …` with `rows` rows of [`USER_PARAMS`] parameters.
pub(crate) fn insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO users (org, id, added_at, name, email, email_folded, role, is_default, \
         created, picture, enabled, banned, banned_at, is_service_account, \
         is_scale_tier_authorized_purchaser, is_scim_managed, api_key_last_used_at, \
         technical_level, developer_persona) VALUES ",
    );
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        for param in 1..=USER_PARAMS {
            if param > 1 {
                sql.push(',');
            }
            sql.push('?');
            sql.push_str(&(row * USER_PARAMS + param).to_string());
        }
        sql.push(')');
    }
    sql
}

/// Binds one row's parameters, the first at `base + 1`.
pub(crate) fn bind_user(
    stmt: &mut rusqlite::Statement<'_>,
    base: usize,
    org: i64,
    NewUser { id, added_at, user }: &NewUser,
) -> rusqlite::Result<()> {
    let email = user.email.as_ref();
    stmt.raw_bind_parameter(base + 1, org)?;
    stmt.raw_bind_parameter(base + 2, id)?;
    stmt.raw_bind_parameter(base + 3, added_at)?;
    stmt.raw_bind_parameter(base + 4, &user.name)?;
    stmt.raw_bind_parameter(base + 5, email.map(|e| e.as_str()))?;
    stmt.raw_bind_parameter(base + 6, email.map(|e| e.folded()))?;
    stmt.raw_bind_parameter(base + 7, user.role.as_str())?;
    stmt.raw_bind_parameter(base + 8, user.is_default)?;
    stmt.raw_bind_parameter(base + 9, user.created.unwrap_or(*added_at))?;
    stmt.raw_bind_parameter(base + 10, &user.picture)?;
    stmt.raw_bind_parameter(base + 11, user.enabled)?;
    stmt.raw_bind_parameter(base + 12, user.banned)?;
    stmt.raw_bind_parameter(base + 13, user.banned_at)?;
    stmt.raw_bind_parameter(base + 14, user.is_service_account)?;
    stmt.raw_bind_parameter(base + 15, user.is_scale_tier_authorized_purchaser)?;
    stmt.raw_bind_parameter(base + 16, user.is_scim_managed)?;
    stmt.raw_bind_parameter(base + 17, user.api_key_last_used_at)?;
    stmt.raw_bind_parameter(base + 18, &user.technical_level)?;
    stmt.raw_bind_parameter(base + 19, &user.developer_persona)?;
    Ok(())
}

fn table_is_empty(tx: &Transaction<'_>) -> rusqlite::Result<bool> {
    tx.query_row("SELECT NOT EXISTS (SELECT 1 FROM users)", [], |r| r.get(0))
}

/// Indexes whose keys grow with list order (the insertion order), so that rows inserted in
/// list order only ever append to them: kept, as filling them costs less than a sort.
const APPEND_ONLY_INDEXES: [&str; 2] = ["users_list_order", "users_owners"];

/// Drops the `users` indexes that rows inserted in list order would fill at random places,
/// returning the SQL that creates them again.
fn drop_secondary_indexes(tx: &Transaction<'_>) -> rusqlite::Result<Vec<String>> {
    let indexes: Vec<(String, String)> = tx
        .prepare(
            "SELECT name, sql FROM sqlite_schema \
             WHERE type = 'index' AND tbl_name = 'users' AND sql IS NOT NULL \
             AND name NOT IN (?1, ?2) ORDER BY name",
        )?
        .query_map(APPEND_ONLY_INDEXES, |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut create = Vec::with_capacity(indexes.len());
    for (name, sql) in indexes {
        tx.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
        create.push(sql);
    }
    Ok(create)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::{ImportError, OrgId, SqliteStore, StoreError, UserQuery, UserStore};

    /// Records from JSON lines, numbered from 1; a `Value::Null` stands for a line that is not
    /// valid JSON.
    fn source(lines: &[Value]) -> crate::ImportSource {
        let records: Vec<_> = lines
            .iter()
            .enumerate()
            .map(|(i, line)| match line {
                Value::Null => crate::ImportRecord::from_json_line(i + 1, "{"),
                line => crate::ImportRecord::from_json_line(i + 1, &line.to_string()),
            })
            .collect();
        Box::new(records.into_iter())
    }

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("import.db"))
            .await
            .unwrap();
        (dir, store)
    }

    fn refusal(result: Result<crate::ImportSummary, StoreError>) -> ImportError {
        match result {
            Err(StoreError::Import(e)) => e,
            other => panic!("expected a refused line, got {other:?}"),
        }
    }

    async fn ids(store: &SqliteStore, org: &OrgId) -> Vec<String> {
        let query = UserQuery {
            limit: 1000,
            ..UserQuery::default()
        };
        let page = store.list_users(org, &query).await.unwrap();
        page.users.into_iter().map(|u| u.id).collect()
    }

    /// The `users` indexes as the schema defines them.
    fn indexes(dir: &tempfile::TempDir) -> Vec<(String, String)> {
        let conn = rusqlite::Connection::open(dir.path().join("import.db")).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'users' \
                 AND sql IS NOT NULL ORDER BY name",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Indexes built from sorted runs (more rows than one 2 MiB run holds) are whole and in
    /// order, and the transaction's `cache_size` and `threads` are as before, whether the build
    /// succeeds or is refused.
    #[test]
    fn indexes_built_from_runs_are_whole_and_settings_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = rusqlite::Connection::open(dir.path().join("runs.db")).unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute_batch(
            "CREATE TABLE t (x TEXT, dup INTEGER);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
             INSERT INTO t SELECT printf('%08d-%s', (i * 7919) % 50000, hex(randomblob(40))), i % 2
             FROM n;
             PRAGMA cache_size = -100000;",
        )
        .unwrap();
        let settings = |tx: &rusqlite::Transaction<'_>| -> (i64, i64) {
            let value = |name| tx.pragma_query_value(None, name, |r| r.get(0)).unwrap();
            (value("cache_size"), value("threads"))
        };
        let before = settings(&tx);

        super::build_indexes(&tx, &["CREATE UNIQUE INDEX t_x ON t (x)".to_owned()]).unwrap();
        assert_eq!(settings(&tx), before);
        let check: String = tx
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let by_index: Vec<String> = tx
            .prepare("SELECT x FROM t INDEXED BY t_x WHERE x > '' ORDER BY x")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut sorted = by_index.clone();
        sorted.sort();
        assert_eq!(by_index.len(), 50000);
        assert_eq!(by_index, sorted);

        let refused = super::build_indexes(&tx, &["CREATE UNIQUE INDEX t_dup ON t (dup)".into()]);
        assert!(refused.is_err());
        assert_eq!(settings(&tx), before);
    }

    fn user(id: &str, email: &str, added_at: i64) -> Value {
        json!({"id": id, "email": email, "added_at": added_at})
    }

    #[tokio::test]
    async fn empty_organization_refuses_the_first_clash_in_file_order() {
        let (dir, store) = store().await;
        let org = OrgId::from_stored("org-a".into());
        let schema = indexes(&dir);
        let cases: Vec<(Vec<Value>, usize, &str, &str)> = vec![
            // A repeated id, sorted far from its twin.
            (
                vec![
                    user("user-z", "z@x.io", 1),
                    user("user-a", "a@x.io", 2),
                    user("user-z", "z2@x.io", 3),
                ],
                3,
                "id",
                "user user-z appears earlier in the file",
            ),
            // An email folded to an earlier one names the earlier record.
            (
                vec![
                    user("user-z", "Same@X.io", 1),
                    user("user-a", "other@x.io", 2),
                    user("user-b", "same@x.io", 3),
                ],
                3,
                "email",
                "same@x.io is already the email of user user-z",
            ),
            // Both kinds: the earlier line wins, whichever SQLite meets first.
            (
                vec![
                    user("user-m", "m@x.io", 1),
                    user("user-n", "M@x.io", 2),
                    user("user-m", "q@x.io", 3),
                ],
                2,
                "email",
                "M@x.io is already the email of user user-m",
            ),
            (
                vec![
                    user("user-m", "m@x.io", 1),
                    user("user-m", "q@x.io", 2),
                    user("user-n", "M@x.io", 3),
                ],
                2,
                "id",
                "user user-m appears earlier in the file",
            ),
            // A clash before a bad line is the one reported...
            (
                vec![
                    user("user-a", "a@x.io", 1),
                    user("user-a", "b@x.io", 2),
                    Value::Null,
                ],
                2,
                "id",
                "user user-a appears earlier in the file",
            ),
        ];
        for (lines, line, field, message) in cases {
            let e = refusal(store.import_users(&org, source(&lines)).await);
            assert_eq!(
                (e.line, e.field.as_deref(), e.message.as_str()),
                (line, Some(field), message),
                "{lines:?}"
            );
            assert!(ids(&store, &org).await.is_empty(), "nothing written");
            assert_eq!(indexes(&dir), schema, "the indexes are back");
        }
        // ... and a bad line before a clash.
        let lines = [
            user("user-a", "a@x.io", 1),
            Value::Null,
            user("user-a", "b@x.io", 3),
        ];
        let e = refusal(store.import_users(&org, source(&lines)).await);
        assert_eq!((e.line, e.field), (2, None));
    }

    #[tokio::test]
    async fn empty_table_gets_its_indexes_back() {
        let (dir, store) = store().await;
        let schema = indexes(&dir);
        assert_eq!(schema.len(), 4);
        let org = OrgId::from_stored("org-a".into());
        let lines: Vec<Value> = (0..300)
            .map(|i| {
                user(
                    &format!("user-{:03}", (i * 7) % 300),
                    &format!("u{i}@x.io"),
                    1000 - i,
                )
            })
            .collect();
        let summary = store.import_users(&org, source(&lines)).await.unwrap();
        assert_eq!((summary.created, summary.replaced), (300, 0));
        assert_eq!(indexes(&dir), schema);
        // List order is added_at, whatever order the rows went in.
        let listed = ids(&store, &org).await;
        let expected: Vec<String> = (0..300)
            .rev()
            .map(|i| format!("user-{:03}", (i * 7) % 300))
            .collect();
        assert_eq!(listed, expected);
        // The rebuilt unique email index holds for later imports.
        let e = refusal(
            store
                .import_users(&org, source(&[user("user-new", "U7@x.io", 5)]))
                .await,
        );
        assert_eq!((e.line, e.field.as_deref()), (1, Some("email")));
        assert!(e.message.contains("user-049"), "{}", e.message);
    }

    #[tokio::test]
    async fn second_organization_imports_beside_the_first() {
        let (dir, store) = store().await;
        let (a, b) = (
            OrgId::from_stored("org-a".into()),
            OrgId::from_stored("org-b".into()),
        );
        let lines = [user("user-1", "one@x.io", 1), user("user-2", "two@x.io", 2)];
        store.import_users(&a, source(&lines)).await.unwrap();
        // The same ids and emails in another organization, the indexes kept up to date.
        let summary = store.import_users(&b, source(&lines)).await.unwrap();
        assert_eq!(summary.created, 2);
        assert_eq!(ids(&store, &b).await, ["user-1", "user-2"]);
        let clash = [user("user-3", "x@x.io", 1), user("user-4", "X@x.io", 2)];
        let e = refusal(
            store
                .import_users(&OrgId::from_stored("org-c".into()), source(&clash))
                .await,
        );
        assert_eq!((e.line, e.field.as_deref()), (2, Some("email")));
        assert_eq!(indexes(&dir).len(), 4);
    }

    #[tokio::test]
    async fn organization_with_users_still_replaces() {
        let (_dir, store) = store().await;
        let org = OrgId::from_stored("org-a".into());
        let first = [
            user("user-1", "one@x.io", 10),
            user("user-2", "two@x.io", 20),
        ];
        store.import_users(&org, source(&first)).await.unwrap();
        store.delete_user(&org, "user-2").await.unwrap();
        // user-1 gives its email up to user-3, which comes later in the file; user-2 comes back.
        let second = [
            json!({"id": "user-1", "email": "new@x.io"}),
            json!({"id": "user-2", "email": "two@x.io"}),
            user("user-3", "one@x.io", 30),
        ];
        let summary = store.import_users(&org, source(&second)).await.unwrap();
        assert_eq!((summary.created, summary.replaced), (2, 1));
        let one = store.get_user(&org, "user-1").await.unwrap();
        assert_eq!((one.added_at, one.email.as_deref()), (10, Some("new@x.io")));
        assert_eq!(store.get_user(&org, "user-3").await.unwrap().added_at, 30);
    }
}
