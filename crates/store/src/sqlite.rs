//! The SQLite store: one file in WAL mode, a pool of reader connections and one writer.
//!
//! Reads run on the calling thread (see `SqliteStore::read_here`); writes run on tokio's
//! blocking pool, since they wait for an fsync. Writes from this process are serialised by the
//! writer mutex and run in `BEGIN IMMEDIATE` transactions, so other processes on the same file (an
//! `import` while a server runs) wait on SQLite's lock instead of failing.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use orgusers_api::User;
use orgusers_api::render::{UserFields, UserListWriter};
use rusqlite::types::{FromSqlResult, ValueRef};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};

use crate::audit::AuditEvent;
use crate::domain::generate_key_id;
use crate::is_owner;
use crate::page::CursorKey;
use crate::row::{USER_JSON_CAPACITY, user_columns, user_columns_of_u};
use crate::{
    AdminKey, ImportSource, ImportSummary, KeyHash, KeyInfo, Kind, OrgId, StoreError, UserChange,
    UserId, UserPage, UserQuery, UserStore, now,
};

mod embedded {
    refinery::embed_migrations!("migrations/sqlite");
}

mod import;
mod migrate;
mod transfer;

use migrate::migrate;

/// How long a statement waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle reader connections kept open. Reads run on the caller's thread, so about as many run at
/// once as the runtime has worker threads; each connection holds its own page cache
/// (`cache_size`, 2 MiB by default).
const MAX_READERS: usize = 8;

/// A store in one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    /// Writes waiting for the writer wait here, as tasks, rather than as blocking-pool threads
    /// parked on the writer's mutex: under many concurrent writes that pool grew to hundreds of
    /// threads, each holding its own stack and allocator heap (docs/benchmarks.md, memory).
    write_queue: tokio::sync::Semaphore,
    writer: Mutex<Connection>,
    idle_readers: Mutex<Vec<Connection>>,
    cursor_key: CursorKey,
}

/// One write transaction of an organization, with the audit events its change causes; they
/// are appended in the same transaction when the change succeeds (see [`SqliteStore::change`]).
pub(crate) struct Change<'t> {
    /// The transaction.
    pub tx: &'t Transaction<'t>,
    /// The organization's `seq`, which rows carry.
    pub org: i64,
    events: Vec<AuditEvent>,
}

impl Change<'_> {
    /// Adds an event of this change.
    pub fn record(&mut self, event: AuditEvent) {
        self.events.push(event);
    }
}

/// The `seq` of an organization.
pub(crate) fn org_seq(conn: &Connection, org: &OrgId) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT seq FROM organizations WHERE id = ?1")?
        .query_row([org.as_str()], |r| r.get(0))
        .optional()?
        .with_context(|| format!("organization {org} is not in the store"))?)
}

fn append_events(tx: &Transaction<'_>, org: i64, events: &[AuditEvent]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO audit_log (org, id, type, effective_at, resource_id, payload) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let at = now();
    for event in events {
        insert.execute(params![
            org,
            crate::audit::generate_entry_id(),
            event.event_type,
            at,
            event.resource_id,
            event.payload.to_string()
        ])?;
    }
    Ok(())
}

/// The store's cursor key, made on first open.
fn load_cursor_key(conn: &Connection) -> Result<CursorKey, StoreError> {
    conn.execute(
        "INSERT OR IGNORE INTO store_secrets (name, value) VALUES ('cursor_key', ?1)",
        [CursorKey::generate_bytes().as_slice()],
    )?;
    let bytes: Vec<u8> = conn.query_row(
        "SELECT value FROM store_secrets WHERE name = 'cursor_key'",
        [],
        |r| r.get(0),
    )?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("the stored cursor key is not 32 bytes"))?;
    Ok(CursorKey::from_bytes(bytes))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves a connection that is still usable: SQLite rolls back
    // any open transaction when the next one begins.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)
        .with_context(|| format!("cannot open SQLite database {}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // WAL lets readers run beside the writer; synchronous=FULL fsyncs every commit, so a write
    // that was acknowledged survives a crash of the process or of the machine.
    set_wal_mode(&conn)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted users' personal data is overwritten on disk, not merely unlinked.
    conn.pragma_update(None, "secure_delete", "ON")?;
    // The bundled SQLite is built with STAT4, which re-plans (re-parses) a cached statement with
    // a range on bound values every time it runs, as the list query's cursor is. A stable plan is
    // what we want anyway: the indexes are chosen for these queries.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(conn)
}

/// Switches the file to WAL. Two processes opening a new file at once can find it locked while
/// the other switches, and this pragma does not wait on the busy handler: retry until the busy
/// timeout.
fn set_wal_mode(conn: &Connection) -> Result<(), StoreError> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0)) {
            Ok(_) => return Ok(()),
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut writer = connect(&path)?;
            migrate(&mut writer)?;
            let cursor_key = load_cursor_key(&writer)?;
            Ok(Self {
                inner: Arc::new(Inner {
                    path,
                    write_queue: tokio::sync::Semaphore::new(1),
                    writer: Mutex::new(writer),
                    idle_readers: Mutex::new(Vec::new()),
                    cursor_key,
                }),
            })
        })
        .await
        .context("store task failed")?
    }

    /// Runs a write on the blocking pool (it waits for an fsync), one at a time.
    async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let _turn = self
            .inner
            .write_queue
            .acquire()
            .await
            .context("the write queue is closed")?;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .context("store task failed")?
    }

    /// Runs a read on the calling thread, on one of the idle reader connections.
    ///
    /// Reads are not sent to the blocking pool as writes are: a read of an in-process WAL database
    /// takes microseconds and never waits for a writer, while the hop to another thread and back
    /// costs more than the read itself (it was most of a retrieve's time in the profile).
    pub(crate) fn read_here<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.inner.read(f)
    }
}

impl SqliteStore {
    /// Runs `f` as one write transaction of `org`, appending the audit events it records.
    pub(crate) async fn change<T, F>(&self, org: &OrgId, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut Change<'_>) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let org = org.clone();
        self.run(move |s| {
            s.write(|tx| {
                let mut change = Change {
                    tx,
                    org: org_seq(tx, &org)?,
                    events: Vec::new(),
                };
                let value = f(&mut change)?;
                append_events(tx, change.org, &change.events)?;
                Ok(value)
            })
        })
        .await
    }
}

impl Inner {
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = lock(&self.idle_readers).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => connect(&self.path)?,
        };
        let result = f(&conn);
        let mut idle = lock(&self.idle_readers);
        if idle.len() < MAX_READERS {
            idle.push(conn);
        }
        result
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

/// A user row's fields, borrowed from the row (columns in the order of `user_columns!`).
fn user_fields<'r>(row: &'r Row<'_>) -> Result<UserFields<'r>, StoreError> {
    let text = |i| column(row, i, ValueRef::as_str);
    let opt_text = |i| column(row, i, ValueRef::as_str_or_null);
    let int = |i| column(row, i, ValueRef::as_i64);
    let opt_int = |i| column(row, i, ValueRef::as_i64_or_null);
    Ok(UserFields {
        id: text(0)?,
        name: opt_text(1)?,
        email: opt_text(2)?,
        role: text(3)?,
        added_at: int(4)?,
        is_default: int(5)? != 0,
        created: int(6)?,
        picture: opt_text(7)?,
        enabled: opt_int(8)?.map(|v| v != 0),
        banned: opt_int(9)?.map(|v| v != 0),
        banned_at: opt_int(10)?,
        is_service_account: int(11)? != 0,
        is_scale_tier_authorized_purchaser: opt_int(12)?.map(|v| v != 0),
        is_scim_managed: int(13)? != 0,
        api_key_last_used_at: opt_int(14)?,
        technical_level: opt_text(15)?,
        developer_persona: opt_text(16)?,
    })
}

/// Column `i` of `row` read by `as_type`, borrowed from the row. A value of another type than
/// the column's is a broken row, reported as rusqlite reports it.
fn column<'r, T>(
    row: &'r Row<'_>,
    i: usize,
    as_type: impl FnOnce(&ValueRef<'r>) -> FromSqlResult<T>,
) -> rusqlite::Result<T> {
    let value = row.get_ref(i)?;
    as_type(&value)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, value.data_type(), Box::new(e)))
}

/// The `users.org` of the organization whose id is bound as `?1`: rows and index keys carry the
/// organization's integer `seq`, not its 28-byte id (migration V2). SQLite evaluates it once per
/// statement.
macro_rules! org_of_param1 {
    () => {
        "(SELECT seq FROM organizations WHERE id = ?1)"
    };
}
pub(crate) use org_of_param1;

const LIVE_USER_SQL: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE org = ",
    org_of_param1!(),
    " AND id = ?2 AND deleted = 0"
);

/// The first page in list order.
const LIST_SQL: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE org = ",
    org_of_param1!(),
    " AND deleted = 0 ORDER BY added_at, id LIMIT ?2"
);

/// A page in list order after the user `?2` (deleted or not), found by the same statement.
const LIST_AFTER_SQL: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE org = ",
    org_of_param1!(),
    " AND deleted = 0 \
     AND (added_at, id) > ((SELECT added_at FROM users WHERE org = ",
    org_of_param1!(),
    " AND id = ?2), ?2) ORDER BY added_at, id LIMIT ?3"
);

/// A page of the users whose folded email is in the JSON array `?5`. Looked up address by
/// address through the email index, then sorted: at most 1000 rows, however large the
/// organization. CROSS JOIN keeps SQLite from scanning the whole organization in list order.
const LIST_BY_EMAIL_SQL: &str = concat!(
    "SELECT ",
    user_columns_of_u!(),
    " FROM json_each(?5) AS wanted CROSS JOIN users AS u \
     ON u.org = ",
    org_of_param1!(),
    " AND u.email_folded = wanted.value AND u.deleted = 0 \
     WHERE (u.added_at, u.id) > (?2, ?3) ORDER BY u.added_at, u.id LIMIT ?4"
);

/// Hands the live user `id` of `org` to `read`; [`StoreError::UserNotFound`] when there is none.
fn with_live_user<T>(
    conn: &Connection,
    org: &OrgId,
    id: &str,
    read: impl FnOnce(UserFields<'_>) -> T,
) -> Result<T, StoreError> {
    let mut statement = conn.prepare_cached(LIVE_USER_SQL)?;
    let mut rows = statement.query(params![org.as_str(), id])?;
    match rows.next()? {
        Some(row) => Ok(read(user_fields(row)?)),
        None => Err(StoreError::not_found(Kind::User, id)),
    }
}

pub(crate) fn live_user(conn: &Connection, org: &OrgId, id: &str) -> Result<User, StoreError> {
    with_live_user(conn, org, id, |user| user.to_user())
}

fn live_user_json(conn: &Connection, org: &OrgId, id: &str) -> Result<Vec<u8>, StoreError> {
    with_live_user(conn, org, id, |user| {
        let mut out = Vec::with_capacity(USER_JSON_CAPACITY);
        user.write_json(&mut out);
        out
    })
}

fn owner_count(conn: &Connection, org: &OrgId) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached(concat!(
            "SELECT count(*) FROM users WHERE org = ",
            org_of_param1!(),
            " AND deleted = 0 AND role = 'owner'"
        ))?
        .query_row([org.as_str()], |r| r.get(0))?)
}

fn key_info_from_row(row: &Row<'_>) -> rusqlite::Result<KeyInfo> {
    Ok(KeyInfo {
        id: row.get(0)?,
        name: row.get(1)?,
        org: OrgId::from_stored(row.get(2)?),
        created_at: row.get(3)?,
        last4: row.get(4)?,
        revoked_at: row.get(5)?,
    })
}

fn insert_key(
    tx: &Transaction<'_>,
    org: &OrgId,
    name: &str,
    key: &AdminKey,
) -> Result<KeyInfo, StoreError> {
    let info = KeyInfo {
        id: generate_key_id(),
        name: name.to_owned(),
        org: org.clone(),
        created_at: now(),
        last4: key.last4(),
        revoked_at: None,
    };
    tx.execute(
        "INSERT INTO admin_keys (id, org_id, name, key_hash, last4, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![info.id, org.as_str(), info.name, key.hash().0.as_slice(), info.last4, info.created_at],
    )?;
    Ok(info)
}

fn default_org(conn: &Connection) -> Result<Option<OrgId>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id FROM organizations ORDER BY seq LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?
        .map(OrgId::from_stored))
}

/// Applies `change` to the live user `id`, refusing to demote the last owner: the one path of
/// every role change (modify, and the assignment of a predefined role).
pub(crate) fn update_user_in(
    change: &mut Change<'_>,
    org: &OrgId,
    id: &str,
    user_change: &UserChange,
) -> Result<User, StoreError> {
    let tx = change.tx;
    let mut user = live_user(tx, org, id)?;
    if user_change.demotes_owner(&user) && owner_count(tx, org)? <= 1 {
        return Err(StoreError::LastOwner);
    }
    user_change.apply_to(&mut user);
    tx.prepare_cached(concat!(
        "UPDATE users SET role = ?3, technical_level = ?4, developer_persona = ?5 \
         WHERE org = ",
        org_of_param1!(),
        " AND id = ?2 AND deleted = 0"
    ))?
    .execute(params![
        org.as_str(),
        id,
        user.role,
        user.technical_level,
        user.developer_persona
    ])?;
    change.record(user_change.event(&user));
    Ok(user)
}

#[async_trait]
impl UserStore for SqliteStore {
    fn cursor_key(&self) -> &CursorKey {
        &self.inner.cursor_key
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.read_here(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
    }

    async fn default_organization(&self) -> Result<Option<OrgId>, StoreError> {
        self.read_here(default_org)
    }

    async fn ensure_organization(&self, org: Option<&OrgId>) -> Result<OrgId, StoreError> {
        let org = org.cloned();
        self.run(move |s| {
            s.write(|tx| {
                let org = match org {
                    Some(org) => org,
                    None => match default_org(tx)? {
                        Some(existing) => return Ok(existing),
                        None => OrgId::generate(),
                    },
                };
                tx.execute(
                    "INSERT OR IGNORE INTO organizations (id, created_at) VALUES (?1, ?2)",
                    params![org.as_str(), now()],
                )?;
                Ok(org)
            })
        })
        .await
    }

    async fn create_key(
        &self,
        org: &OrgId,
        name: &str,
        key: &AdminKey,
    ) -> Result<KeyInfo, StoreError> {
        let (org, name, key) = (org.clone(), name.to_owned(), key.clone());
        self.run(move |s| s.write(|tx| insert_key(tx, &org, &name, &key)))
            .await
    }

    async fn ensure_key(&self, org: &OrgId, key: &AdminKey) -> Result<(), StoreError> {
        let (org, key) = (org.clone(), key.clone());
        self.run(move |s| {
            s.write(|tx| {
                let owner: Option<String> = tx
                    .query_row(
                        "SELECT org_id FROM admin_keys WHERE key_hash = ?1",
                        [key.hash().0.as_slice()],
                        |r| r.get(0),
                    )
                    .optional()?;
                match owner {
                    None => insert_key(tx, &org, "serve --admin-key", &key).map(drop),
                    // Only a revoked key is written: a commit that changes nothing still costs
                    // an fsync, and `serve --admin-key` runs this at every start.
                    Some(owner) if owner == org.as_str() => {
                        tx.execute(
                            "UPDATE admin_keys SET revoked_at = NULL WHERE key_hash = ?1 AND revoked_at IS NOT NULL",
                            [key.hash().0.as_slice()],
                        )?;
                        Ok(())
                    }
                    Some(owner) => Err(StoreError::KeyOfAnotherOrganization(OrgId::from_stored(
                        owner,
                    ))),
                }
            })
        })
        .await
    }

    async fn list_keys(&self) -> Result<Vec<KeyInfo>, StoreError> {
        self.read_here(|c| {
            let mut stmt = c.prepare(
                "SELECT id, name, org_id, created_at, last4, revoked_at FROM admin_keys ORDER BY created_at, id",
            )?;
            let keys = stmt.query_map([], key_info_from_row)?.collect::<Result<_, _>>()?;
            Ok(keys)
        })
    }

    async fn revoke_key(&self, key_id: &str) -> Result<bool, StoreError> {
        let key_id = key_id.to_owned();
        self.run(move |s| {
            s.write(|tx| {
                let changed = tx.execute(
                    "UPDATE admin_keys SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1",
                    params![key_id, now()],
                )?;
                Ok(changed > 0)
            })
        })
        .await
    }

    async fn authenticate(&self, key: &KeyHash) -> Result<Option<OrgId>, StoreError> {
        self.read_here(|c| {
            let found: Option<(String, Vec<u8>)> = c
                .prepare_cached(
                    "SELECT org_id, key_hash FROM admin_keys WHERE key_hash = ?1 AND revoked_at IS NULL",
                )?
                .query_row([key.0.as_slice()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            Ok(found
                .filter(|(_, stored)| key.matches(stored))
                .map(|(org, _)| OrgId::from_stored(org)))
        })
    }

    async fn list_users(&self, org: &OrgId, query: &UserQuery) -> Result<UserPage, StoreError> {
        self.read_here(|c| list_page(c, org, query))
    }

    async fn get_user(&self, org: &OrgId, id: &str) -> Result<User, StoreError> {
        self.read_here(|c| live_user(c, org, id))
    }

    async fn get_user_json(&self, org: &OrgId, id: &str) -> Result<Vec<u8>, StoreError> {
        self.read_here(|c| live_user_json(c, org, id))
    }

    async fn list_users_json(&self, org: &OrgId, query: &UserQuery) -> Result<Vec<u8>, StoreError> {
        self.read_here(|c| list_page_json(c, org, query))
    }

    async fn update_user(
        &self,
        org: &OrgId,
        id: &str,
        change: &UserChange,
    ) -> Result<User, StoreError> {
        let (org_id, id, user_change) = (org.clone(), id.to_owned(), change.clone());
        self.change(org, move |change| {
            update_user_in(change, &org_id, &id, &user_change)
        })
        .await
    }

    async fn delete_user(&self, org: &OrgId, id: &str) -> Result<(), StoreError> {
        let (org_id, id) = (org.clone(), id.to_owned());
        self.change(org, move |change| {
            {
                let (tx, org) = (change.tx, &org_id);
                let current = live_user(tx, org, &id)?;
                if is_owner(&current) && owner_count(tx, org)? <= 1 {
                    return Err(StoreError::LastOwner);
                }
                // Erase everything personal; id and added_at stay so cursors keep their place.
                tx.prepare_cached(concat!(
                    "UPDATE users SET deleted = 1, name = NULL, email = NULL, email_folded = NULL, \
                     role = 'reader', is_default = 0, picture = NULL, enabled = NULL, banned = NULL, \
                     banned_at = NULL, is_service_account = 0, is_scale_tier_authorized_purchaser = NULL, \
                     is_scim_managed = 0, api_key_last_used_at = NULL, technical_level = NULL, \
                     developer_persona = NULL WHERE org = ",
                    org_of_param1!(),
                    " AND id = ?2"
                ))?
                .execute(params![org.as_str(), id])?;
                // Its memberships and assignments end with it.
                for table in ["group_users", "user_roles"] {
                    tx.prepare_cached(&format!("DELETE FROM {table} WHERE org = ?1 AND user_id = ?2"))?
                        .execute(params![change.org, id])?;
                }
            }
            change.record(crate::audit::AuditEvent::new(
                "user.deleted",
                id.as_str(),
                serde_json::json!({}),
            ));
            Ok(())
        })
        .await
    }

    async fn import_users(
        &self,
        org: &OrgId,
        source: ImportSource,
    ) -> Result<ImportSummary, StoreError> {
        let org = org.clone();
        self.run(move |s| s.write(|tx| import_into(tx, &org, source)))
            .await
    }
}

/// Runs the list query of `query` and hands each user row of the page, in list order, to
/// `each`; returns whether another page follows. The typed and the JSON answers share it.
fn visit_page(
    conn: &Connection,
    org: &OrgId,
    query: &UserQuery,
    mut each: impl FnMut(&Row<'_>) -> Result<(), StoreError>,
) -> Result<bool, StoreError> {
    // One more than the page, to tell whether another page follows.
    let fetch = i64::try_from(query.limit)
        .unwrap_or(i64::MAX)
        .saturating_add(1);
    let mut statement;
    let mut rows = match (&query.emails, &query.after) {
        (None, None) => {
            statement = conn.prepare_cached(LIST_SQL)?;
            statement.query(params![org.as_str(), fetch])?
        }
        // The cursor is looked up inside the page's statement: one read transaction instead of
        // two, which made a deep page cost 1.1 to 1.3 times the first. An empty page is told
        // from an unknown cursor afterwards.
        (None, Some(after)) => {
            statement = conn.prepare_cached(LIST_AFTER_SQL)?;
            statement.query(params![org.as_str(), after, fetch])?
        }
        (Some(filter), after) => {
            let (after_added_at, after_id) = match after {
                None => (i64::MIN, ""),
                Some(after) => (cursor_added_at(conn, org, after)?, after.as_str()),
            };
            let wanted =
                serde_json::to_string(filter.addresses()).context("cannot encode emails")?;
            statement = conn.prepare_cached(LIST_BY_EMAIL_SQL)?;
            statement.query(params![
                org.as_str(),
                after_added_at,
                after_id,
                fetch,
                wanted
            ])?
        }
    };
    let mut seen = 0;
    while let Some(row) = rows.next()? {
        if seen == query.limit {
            return Ok(true);
        }
        each(row)?;
        seen += 1;
    }
    if seen == 0
        && query.emails.is_none()
        && let Some(after) = &query.after
    {
        cursor_added_at(conn, org, after)?;
    }
    Ok(false)
}

/// The `added_at` of the user a cursor names, deleted or not; [`StoreError::UnknownCursor`] when
/// the organization never had such a user.
fn cursor_added_at(conn: &Connection, org: &OrgId, after: &str) -> Result<i64, StoreError> {
    conn.prepare_cached(concat!(
        "SELECT added_at FROM users WHERE org = ",
        org_of_param1!(),
        " AND id = ?2"
    ))?
    .query_row(params![org.as_str(), after], |r| r.get(0))
    .optional()?
    .ok_or_else(|| StoreError::UnknownCursor(after.to_owned()))
}

fn list_page(conn: &Connection, org: &OrgId, query: &UserQuery) -> Result<UserPage, StoreError> {
    let mut users = Vec::with_capacity(query.limit.min(100));
    let has_more = visit_page(conn, org, query, |row| {
        users.push(user_fields(row)?.to_user());
        Ok(())
    })?;
    Ok(UserPage { users, has_more })
}

fn list_page_json(
    conn: &Connection,
    org: &OrgId,
    query: &UserQuery,
) -> Result<Vec<u8>, StoreError> {
    let mut page = UserListWriter::new(Vec::with_capacity(
        USER_JSON_CAPACITY * query.limit.min(100) + 128,
    ));
    let has_more = visit_page(conn, org, query, |row| {
        page.push(&user_fields(row)?);
        Ok(())
    })?;
    Ok(page.finish(has_more))
}

fn import_into(
    tx: &Transaction<'_>,
    org: &OrgId,
    source: ImportSource,
) -> Result<ImportSummary, StoreError> {
    // The whole import is one transaction: a page cache large enough to hold what it changes
    // keeps SQLite from spilling pages to the WAL and reading them back (a quarter of the time
    // of a million-user import with the 2 MiB default). Set back when the import ends.
    tx.pragma_update(None, "cache_size", IMPORT_CACHE_KIB)?;
    let (users, aside) = crate::transfer::split_users(source);
    let result = import_records(tx, org, users).and_then(|mut summary| {
        let aside = aside
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        summary.directory = transfer::apply(tx, org, org_seq(tx, org)?, &aside)?;
        Ok(summary)
    });
    tx.pragma_update(None, "cache_size", DEFAULT_CACHE_KIB)?;
    result
}

/// `cache_size` during an import: 1 GiB (negative values are KiB), taken only as pages are
/// used. A million-user seed: 3.8 to 4.1 s, against 4.2 to 4.8 s with 256 MiB (same peak RSS).
/// Index builds set their own, smaller size (see `import::build_indexes`).
const IMPORT_CACHE_KIB: i64 = -(1 << 20);
/// SQLite's default `cache_size`: 2 MiB.
const DEFAULT_CACHE_KIB: i64 = -2_000;

fn import_records(
    tx: &Transaction<'_>,
    org: &OrgId,
    source: crate::UserSource,
) -> Result<ImportSummary, StoreError> {
    tx.execute(
        "INSERT OR IGNORE INTO organizations (id, created_at) VALUES (?1, ?2)",
        params![org.as_str(), now()],
    )?;
    let org: i64 = tx.query_row(
        "SELECT seq FROM organizations WHERE id = ?1",
        [org.as_str()],
        |r| r.get(0),
    )?;
    if !import::org_has_users(tx, org)? {
        return import::import_into_empty_org(tx, org, source, now());
    }
    let mut summary = ImportSummary::default();
    let mut seen_ids: HashSet<String> = HashSet::new();
    let mut existing_stmt =
        tx.prepare("SELECT added_at, deleted FROM users WHERE org = ?1 AND id = ?2")?;
    let mut email_stmt = tx.prepare(
        "SELECT id FROM users WHERE org = ?1 AND email_folded = ?2 AND deleted = 0 AND id <> ?3",
    )?;
    // The bulk path's row, replacing a user with the same id (a deleted one comes back).
    let mut upsert = tx.prepare(&format!(
        "{} ON CONFLICT (org, id) DO UPDATE SET added_at = excluded.added_at, deleted = 0, \
         name = excluded.name, email = excluded.email, email_folded = excluded.email_folded, \
         role = excluded.role, is_default = excluded.is_default, created = excluded.created, \
         picture = excluded.picture, enabled = excluded.enabled, banned = excluded.banned, \
         banned_at = excluded.banned_at, is_service_account = excluded.is_service_account, \
         is_scale_tier_authorized_purchaser = excluded.is_scale_tier_authorized_purchaser, \
         is_scim_managed = excluded.is_scim_managed, api_key_last_used_at = excluded.api_key_last_used_at, \
         technical_level = excluded.technical_level, developer_persona = excluded.developer_persona",
        import::insert_sql(1)
    ))?;
    let started = now();
    for record in source {
        let user = record?;
        let id = user
            .id
            .clone()
            .unwrap_or_else(UserId::generate)
            .into_string();
        if !seen_ids.insert(id.clone()) {
            return Err(user.duplicate_id(&id).into());
        }
        let existing: Option<(i64, bool)> = existing_stmt
            .query_row(params![org, id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some(email) = &user.email {
            let holder: Option<String> = email_stmt
                .query_row(params![org, email.folded(), id], |r| r.get(0))
                .optional()?;
            if let Some(holder) = holder {
                return Err(user.email_taken(&holder).into());
            }
        }
        let added_at = user.resolved_added_at(existing, started);
        summary.count(&user, existing);
        let row = import::NewUser { id, added_at, user };
        import::bind_user(&mut upsert, 0, org, &row)?;
        upsert.raw_execute()?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use refinery::Target;

    use super::*;
    use crate::UserQuery;

    /// The bundled SQLite is built with the workspace's options (`.cargo/config.toml`): without
    /// them, readers on different threads contend on one page-cache mutex and one allocator
    /// mutex.
    #[test]
    fn bundled_sqlite_has_the_workspace_options() {
        let conn = Connection::open_in_memory().unwrap();
        let options: Vec<String> = conn
            .prepare("PRAGMA compile_options")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "{options:?}"
        );
    }

    /// A store written by the first schema (users keyed by the organization's text id, user ids
    /// unique through the primary key, rows in insertion order) keeps each organization's users,
    /// their order and their uniqueness once migrated.
    #[tokio::test]
    async fn first_schema_migrates_with_its_users() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        {
            let mut conn = connect(&path).unwrap();
            embedded::migrations::runner()
                .set_target(Target::Version(1))
                .run(&mut conn)
                .unwrap();
            conn.execute_batch(
                "INSERT INTO organizations (id, created_at) VALUES ('org-a', 1), ('org-b', 2);
                 INSERT INTO users (org_id, id, added_at, email, email_folded, role, created)
                 VALUES ('org-b', 'user-a', 5, 'B@y.io', 'b@y.io', 'owner', 1),
                        ('org-a', 'user-c', 30, 'C@x.io', 'c@x.io', 'owner', 1),
                        ('org-a', 'user-a', 10, 'a@x.io', 'a@x.io', 'reader', 1),
                        ('org-a', 'user-b', 10, 'b@x.io', 'b@x.io', 'reader', 1);",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).await.unwrap();
        let list = |org: &'static str| {
            let store = store.clone();
            async move {
                let org = OrgId::parse(org).unwrap();
                let query = UserQuery {
                    limit: 10,
                    ..UserQuery::default()
                };
                let page = store.list_users(&org, &query).await.unwrap();
                page.users
                    .into_iter()
                    .map(|u| (u.id, u.email.unwrap_or_default()))
                    .collect::<Vec<_>>()
            }
        };
        let pair = |id: &str, email: &str| (id.to_owned(), email.to_owned());
        assert_eq!(
            list("org-a").await,
            [
                pair("user-a", "a@x.io"),
                pair("user-b", "b@x.io"),
                pair("user-c", "C@x.io")
            ]
        );
        assert_eq!(list("org-b").await, [pair("user-a", "B@y.io")]);

        let conn = connect(&path).unwrap();
        let duplicate = conn.execute(
            "INSERT INTO users (org, id, added_at, role, created) \
             VALUES ((SELECT seq FROM organizations WHERE id = 'org-a'), 'user-a', 40, 'reader', 1)",
            [],
        );
        assert!(duplicate.is_err(), "a user id must stay unique");
        // The copy is in list order, organization by organization, so rowids follow the list.
        let by_rowid: Vec<(String, String)> = conn
            .prepare(
                "SELECT o.id, u.id FROM users AS u JOIN organizations AS o ON o.seq = u.org \
                 ORDER BY u.rowid",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            by_rowid,
            [
                pair("org-a", "user-a"),
                pair("org-a", "user-b"),
                pair("org-a", "user-c"),
                pair("org-b", "user-a")
            ]
        );
    }
}
