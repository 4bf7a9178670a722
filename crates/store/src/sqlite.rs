//! The SQLite store: one file in WAL mode, a pool of reader connections and one writer.
//!
//! Calls run on tokio's blocking pool. Writes from this process are serialised by the writer
//! mutex and run in `BEGIN IMMEDIATE` transactions, so other processes on the same file (an
//! `import` while a server runs) wait on SQLite's lock instead of failing.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use orgusers_api::User;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};

use crate::domain::generate_key_id;
use crate::is_owner;
use crate::row::{StoredUser, USER_COLUMNS, USER_COLUMNS_OF_U};
use crate::{
    AdminKey, ImportSource, ImportSummary, KeyHash, KeyInfo, OrgId, Store, StoreError, UserChange,
    UserId, UserPage, UserQuery, now,
};

mod embedded {
    refinery::embed_migrations!("migrations/sqlite");
}

/// How long a statement waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Reader connections, and so reads running at once: more would only queue for the cores and
/// each connection holds its own page cache (`cache_size`, 2 MiB by default).
const MAX_READERS: usize = 8;

/// A store in one SQLite file.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    idle_readers: Mutex<Vec<Connection>>,
    /// One permit per reader connection.
    read_permits: Arc<tokio::sync::Semaphore>,
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

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    // Two processes opening a new file at once can both try to create the history table; the
    // loser finds the schema in place on its second attempt.
    let first = embedded::migrations::runner().run(conn);
    if first.is_err() {
        embedded::migrations::runner()
            .run(conn)
            .context("cannot apply SQLite migrations")?;
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut writer = connect(&path)?;
            migrate(&mut writer)?;
            Ok(Self {
                inner: Arc::new(Inner {
                    path,
                    writer: Mutex::new(writer),
                    idle_readers: Mutex::new(Vec::new()),
                    read_permits: Arc::new(tokio::sync::Semaphore::new(MAX_READERS)),
                }),
            })
        })
        .await
        .context("store task failed")?
    }

    async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&inner))
            .await
            .context("store task failed")?
    }

    /// Like [`Self::run`] for reads: waits (without blocking a thread) for one of the
    /// [`MAX_READERS`] reader connections first.
    async fn run_read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let permit = Arc::clone(&self.inner.read_permits)
            .acquire_owned()
            .await
            .context("reader pool closed")?;
        self.run(move |s| {
            let result = s.read(f);
            drop(permit);
            result
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

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    Ok(StoredUser {
        id: row.get(0)?,
        name: row.get(1)?,
        email: row.get(2)?,
        role: row.get(3)?,
        added_at: row.get(4)?,
        is_default: row.get(5)?,
        created: row.get(6)?,
        picture: row.get(7)?,
        enabled: row.get(8)?,
        banned: row.get(9)?,
        banned_at: row.get(10)?,
        is_service_account: row.get(11)?,
        is_scale_tier_authorized_purchaser: row.get(12)?,
        is_scim_managed: row.get(13)?,
        api_key_last_used_at: row.get(14)?,
        technical_level: row.get(15)?,
        developer_persona: row.get(16)?,
    }
    .into())
}

fn live_user(conn: &Connection, org: &OrgId, id: &str) -> Result<User, StoreError> {
    let sql =
        format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = ?1 AND id = ?2 AND deleted = 0");
    conn.prepare_cached(&sql)?
        .query_row(params![org.as_str(), id], user_from_row)
        .optional()?
        .ok_or_else(|| StoreError::UserNotFound(id.to_owned()))
}

fn owner_count(conn: &Connection, org: &OrgId) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM users WHERE org_id = ?1 AND deleted = 0 AND role = 'owner'",
        )?
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

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.run_read(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    async fn default_organization(&self) -> Result<Option<OrgId>, StoreError> {
        self.run_read(default_org).await
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
                    Some(owner) if owner == org.as_str() => {
                        tx.execute(
                            "UPDATE admin_keys SET revoked_at = NULL WHERE key_hash = ?1",
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
        self.run_read(|c| {
            let mut stmt = c.prepare(
                "SELECT id, name, org_id, created_at, last4, revoked_at FROM admin_keys ORDER BY created_at, id",
            )?;
            let keys = stmt.query_map([], key_info_from_row)?.collect::<Result<_, _>>()?;
            Ok(keys)
        })
        .await
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
        let key = *key;
        self.run_read(move |c| {
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
        .await
    }

    async fn list_users(&self, org: &OrgId, query: &UserQuery) -> Result<UserPage, StoreError> {
        let (org, query) = (org.clone(), query.clone());
        self.run_read(move |c| list_page(c, &org, &query)).await
    }

    async fn get_user(&self, org: &OrgId, id: &str) -> Result<User, StoreError> {
        let (org, id) = (org.clone(), id.to_owned());
        self.run_read(move |c| live_user(c, &org, &id)).await
    }

    async fn update_user(
        &self,
        org: &OrgId,
        id: &str,
        change: &UserChange,
    ) -> Result<User, StoreError> {
        let (org, id, change) = (org.clone(), id.to_owned(), change.clone());
        self.run(move |s| {
            s.write(|tx| {
                let mut user = live_user(tx, &org, &id)?;
                if change.demotes_owner(&user) && owner_count(tx, &org)? <= 1 {
                    return Err(StoreError::LastOwner);
                }
                change.apply_to(&mut user);
                tx.prepare_cached(
                    "UPDATE users SET role = ?3, technical_level = ?4, developer_persona = ?5 \
                     WHERE org_id = ?1 AND id = ?2 AND deleted = 0",
                )?
                .execute(params![
                    org.as_str(),
                    id,
                    user.role,
                    user.technical_level,
                    user.developer_persona
                ])?;
                Ok(user)
            })
        })
        .await
    }

    async fn delete_user(&self, org: &OrgId, id: &str) -> Result<(), StoreError> {
        let (org, id) = (org.clone(), id.to_owned());
        self.run(move |s| {
            s.write(|tx| {
                let current = live_user(tx, &org, &id)?;
                if is_owner(&current) && owner_count(tx, &org)? <= 1 {
                    return Err(StoreError::LastOwner);
                }
                // Erase everything personal; id and added_at stay so cursors keep their place.
                tx.prepare_cached(
                    "UPDATE users SET deleted = 1, name = NULL, email = NULL, email_folded = NULL, \
                     role = 'reader', is_default = 0, picture = NULL, enabled = NULL, banned = NULL, \
                     banned_at = NULL, is_service_account = 0, is_scale_tier_authorized_purchaser = NULL, \
                     is_scim_managed = 0, api_key_last_used_at = NULL, technical_level = NULL, \
                     developer_persona = NULL WHERE org_id = ?1 AND id = ?2",
                )?
                .execute(params![org.as_str(), id])?;
                Ok(())
            })
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

fn list_page(conn: &Connection, org: &OrgId, query: &UserQuery) -> Result<UserPage, StoreError> {
    let (after_added_at, after_id) = match &query.after {
        None => (i64::MIN, String::new()),
        Some(after) => {
            let added_at: Option<i64> = conn
                .prepare_cached("SELECT added_at FROM users WHERE org_id = ?1 AND id = ?2")?
                .query_row(params![org.as_str(), after], |r| r.get(0))
                .optional()?;
            match added_at {
                Some(added_at) => (added_at, after.clone()),
                None => return Err(StoreError::UnknownCursor(after.clone())),
            }
        }
    };
    let fetch = i64::try_from(query.limit)
        .unwrap_or(i64::MAX)
        .saturating_add(1);
    let mut users = match &query.emails {
        None => {
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users WHERE org_id = ?1 AND deleted = 0 \
                 AND (added_at, id) > (?2, ?3) ORDER BY added_at, id LIMIT ?4"
            );
            conn.prepare_cached(&sql)?
                .query_map(
                    params![org.as_str(), after_added_at, after_id, fetch],
                    user_from_row,
                )?
                .collect::<Result<Vec<_>, _>>()?
        }
        Some(filter) => {
            let wanted =
                serde_json::to_string(filter.addresses()).context("cannot encode emails")?;
            // Looked up address by address through the email index, then sorted: at most 1000
            // rows, however large the organization. CROSS JOIN keeps SQLite from scanning the
            // whole organization in list order instead.
            let sql = format!(
                "SELECT {USER_COLUMNS_OF_U} FROM json_each(?5) AS wanted CROSS JOIN users AS u \
                 ON u.org_id = ?1 AND u.email_folded = wanted.value AND u.deleted = 0 \
                 WHERE (u.added_at, u.id) > (?2, ?3) ORDER BY u.added_at, u.id LIMIT ?4"
            );
            conn.prepare_cached(&sql)?
                .query_map(
                    params![org.as_str(), after_added_at, after_id, fetch, wanted],
                    user_from_row,
                )?
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    let has_more = users.len() > query.limit;
    users.truncate(query.limit);
    Ok(UserPage { users, has_more })
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
    let result = import_records(tx, org, source);
    tx.pragma_update(None, "cache_size", DEFAULT_CACHE_KIB)?;
    result
}

/// `cache_size` during an import: 256 MiB (negative values are KiB).
const IMPORT_CACHE_KIB: i64 = -262_144;
/// SQLite's default `cache_size`: 2 MiB.
const DEFAULT_CACHE_KIB: i64 = -2_000;

fn import_records(
    tx: &Transaction<'_>,
    org: &OrgId,
    source: ImportSource,
) -> Result<ImportSummary, StoreError> {
    tx.execute(
        "INSERT OR IGNORE INTO organizations (id, created_at) VALUES (?1, ?2)",
        params![org.as_str(), now()],
    )?;
    let mut summary = ImportSummary::default();
    let mut seen_ids: HashSet<String> = HashSet::new();
    let mut existing_stmt =
        tx.prepare("SELECT added_at, deleted FROM users WHERE org_id = ?1 AND id = ?2")?;
    let mut email_stmt = tx.prepare(
        "SELECT id FROM users WHERE org_id = ?1 AND email_folded = ?2 AND deleted = 0 AND id <> ?3",
    )?;
    let mut upsert = tx.prepare(
        "INSERT INTO users (org_id, id, added_at, deleted, name, email, email_folded, role, is_default, \
         created, picture, enabled, banned, banned_at, is_service_account, \
         is_scale_tier_authorized_purchaser, is_scim_managed, api_key_last_used_at, technical_level, \
         developer_persona) VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, \
         ?15, ?16, ?17, ?18, ?19) \
         ON CONFLICT (org_id, id) DO UPDATE SET added_at = excluded.added_at, deleted = 0, \
         name = excluded.name, email = excluded.email, email_folded = excluded.email_folded, \
         role = excluded.role, is_default = excluded.is_default, created = excluded.created, \
         picture = excluded.picture, enabled = excluded.enabled, banned = excluded.banned, \
         banned_at = excluded.banned_at, is_service_account = excluded.is_service_account, \
         is_scale_tier_authorized_purchaser = excluded.is_scale_tier_authorized_purchaser, \
         is_scim_managed = excluded.is_scim_managed, api_key_last_used_at = excluded.api_key_last_used_at, \
         technical_level = excluded.technical_level, developer_persona = excluded.developer_persona",
    )?;
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
            .query_row(params![org.as_str(), id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some(email) = &user.email {
            let holder: Option<String> = email_stmt
                .query_row(params![org.as_str(), email.folded(), id], |r| r.get(0))
                .optional()?;
            if let Some(holder) = holder {
                return Err(user.email_taken(&holder).into());
            }
        }
        let added_at = user.resolved_added_at(existing, started);
        summary.count(&user, existing);
        upsert.execute(params![
            org.as_str(),
            id,
            added_at,
            user.name,
            user.email.as_ref().map(|e| e.as_str()),
            user.email.as_ref().map(|e| e.folded()),
            user.role.as_str(),
            user.is_default,
            user.created.unwrap_or(added_at),
            user.picture,
            user.enabled,
            user.banned,
            user.banned_at,
            user.is_service_account,
            user.is_scale_tier_authorized_purchaser,
            user.is_scim_managed,
            user.api_key_last_used_at,
            user.technical_level,
            user.developer_persona,
        ])?;
    }
    Ok(summary)
}
