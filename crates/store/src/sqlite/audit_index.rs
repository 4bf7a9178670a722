//! The audit log's index by resource, in a file of its own beside the store's
//! (`<store>.audit-index`), made from `audit_log` by a thread of its own.
//!
//! Each entry's resource is a random place in an index by resource, so in the store's file that
//! index cost every move of waiting entries one page read and written per entry, under the one
//! writer's lock and in its fsyncs. Here the writer never touches it: the index is derived data,
//! rebuilt from `audit_log` whenever it is missing, behind, or made under another version of the
//! table's rows (`audit_log_version`, migration V13), so it needs no fsync of its own.
//!
//! A read of entries by resource takes the indexed ones (`seq` up to [`IndexState::through`])
//! from here, joined to `audit_log` in the store's file, and reads the rest of `audit_log` (the
//! few entries moved since) directly, so that it sees every entry however far the index lags.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, LazyLock, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::{BUSY_TIMEOUT, lock, set_wal_mode};
use crate::StoreError;
pub(crate) use crate::audit_logs::IndexState;

/// The schema name the index's file is attached as, on the connections that read it.
pub(crate) const SCHEMA: &str = "audit_index";

/// How many entries one transaction of the indexer adds: short transactions keep its read of the
/// store from holding back the store's checkpoints for long.
const BATCH: i64 = 20_000;

/// How often the indexer looks for entries that it was not told of: moved by another process on
/// the same file, or rows rewritten by a reset or a restore. In this crate's tests it never looks
/// within a test's time, so that a test which waits for the indexer shows that it was told.
const POLL: Duration = if cfg!(test) {
    Duration::from_secs(3600)
} else {
    Duration::from_secs(1)
};

/// How long the indexer waits, once told of moved entries, for more to come before it adds
/// them. Each entry goes to a random page of the index, and a page written once for many
/// entries costs the same as for one: under a steady stream of writes, batches of a few hundred
/// milliseconds' entries write a fraction of the pages that each move's 256 entries would. The
/// entries not yet indexed are read from `audit_log` itself meanwhile, by the key's range.
const COALESCE: Duration = Duration::from_millis(200);

/// The indexer's page cache: the index's pages that a batch reads and writes again.
const INDEXER_CACHE_KIB: i64 = 32 * 1024;

/// The layout of the index's file (its `user_version`). A file of another layout is emptied and
/// made again: it holds nothing that `audit_log` does not.
const LAYOUT: i64 = 2;

/// The index's file for the store at `store`.
pub(crate) fn index_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(".audit-index");
    PathBuf::from(name)
}

/// Opens the index's file with `store` attached as `store`, creating its tables if needed.
fn open_indexer(store: &Path) -> Result<Connection, StoreError> {
    let path = index_path(store);
    let conn = Connection::open(&path).map_err(|e| {
        StoreError::Backend(anyhow::anyhow!(
            "cannot open the audit log index {}: {e}",
            path.display()
        ))
    })?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    set_wal_mode(&conn)?;
    // Derived data: a commit lost to a power cut is made again from `audit_log`. NORMAL (not
    // OFF) keeps the file itself from being corrupted by one.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -INDEXER_CACHE_KIB)?;
    make_tables(&conn)?;
    conn.execute(
        "ATTACH DATABASE ?1 AS store",
        [store.to_string_lossy().as_ref()],
    )?;
    Ok(conn)
}

/// Makes the index's tables in the layout [`LAYOUT`], dropping those of another layout.
fn make_tables(conn: &Connection) -> Result<(), StoreError> {
    // IMMEDIATE, so that two processes opening the file at once take turns (before the store's
    // file is attached: only this file is locked). A failure drops the connection, which rolls
    // the transaction back.
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let layout: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if layout != LAYOUT {
        conn.execute_batch(&format!(
            "DROP TABLE IF EXISTS indexed;
             DROP TABLE IF EXISTS audit_log_by_resource;
             PRAGMA user_version = {LAYOUT};"
        ))?;
    }
    // `through_id`: the id of the entry at `through`, by which an index made from another
    // history of the store (a file put back from a backup, then written again) is told apart.
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS indexed (
             id         INTEGER PRIMARY KEY CHECK (id = 1),
             token      INTEGER NOT NULL,
             through    INTEGER NOT NULL,
             through_id TEXT
         );
         CREATE TABLE IF NOT EXISTS audit_log_by_resource (
             org          INTEGER NOT NULL,
             resource_id  TEXT NOT NULL,
             effective_at INTEGER NOT NULL,
             seq          INTEGER NOT NULL,
             PRIMARY KEY (org, resource_id, effective_at, seq)
         ) WITHOUT ROWID;
         COMMIT;",
    )?;
    Ok(())
}

/// Attaches the index's file to a reader connection of the store at `store`, as [`SCHEMA`].
pub(crate) fn attach(conn: &Connection, store: &Path) -> Result<(), StoreError> {
    conn.execute(
        &format!("ATTACH DATABASE ?1 AS {SCHEMA}"),
        [index_path(store).to_string_lossy().as_ref()],
    )?;
    Ok(())
}

/// The statement of [`IndexState::read`].
static STATE_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT (SELECT token FROM audit_log_version), \
                (SELECT coalesce(max(seq), 0) FROM audit_log), \
                i.token, i.through \
         FROM (SELECT 1) LEFT JOIN {SCHEMA}.indexed AS i"
    )
});

impl IndexState {
    /// The state of the index for a read in `conn`'s open transaction. The store's snapshot is
    /// the older of the two (taken by an earlier read of the transaction, or by this statement,
    /// which SQLite opens on `main` before the attached index), so every entry it holds above
    /// `through` is read from `audit_log` itself.
    pub(crate) fn read(conn: &Connection) -> Result<Self, StoreError> {
        // One statement, which opens the store's snapshot first if no read has yet.
        let (token, newest, indexed): (i64, i64, Option<(i64, i64)>) =
            conn.prepare_cached(&STATE_SQL)?.query_row([], |r| {
                let indexed = match (r.get::<_, Option<i64>>(2)?, r.get::<_, Option<i64>>(3)?) {
                    (Some(token), Some(through)) => Some((token, through)),
                    _ => None,
                };
                Ok((r.get(0)?, r.get(1)?, indexed))
            })?;
        // Entries the index holds but this snapshot of the store does not yet are left out.
        let through = usable_through(indexed, token).map_or(0, |through| through.min(newest));
        Ok(Self {
            through,
            holds_all: through == newest,
        })
    }
}

/// The `seq` through which an index whose state is `indexed` (its token and `through`) holds
/// the entries of `audit_log` as it is under `token`; `None` for an index made under other rows,
/// or not made yet, of which nothing may be used.
fn usable_through(indexed: Option<(i64, i64)>, token: i64) -> Option<i64> {
    indexed
        .filter(|(indexed_token, _)| *indexed_token == token)
        .map(|(_, through)| through)
}

#[cfg(test)]
impl IndexState {
    /// What a read of `store` finds the index to hold now: its `through`.
    pub(crate) fn of_store(store: &super::SqliteStore) -> i64 {
        store
            .read_here(|conn| {
                let _snapshot = conn.unchecked_transaction()?;
                Self::read(conn)
            })
            .map(|state| state.through)
            .unwrap_or_else(|e| panic!("the index's state cannot be read: {e}"))
    }
}

/// Adds up to `limit` entries of `audit_log` that the index lacks (all of them again if the
/// rows changed under it, or if the entry it was made through is not the store's any more), in
/// one transaction; whether entries are left to add.
fn catch_up(conn: &Connection, limit: i64) -> Result<bool, StoreError> {
    // Deferred: the store's file is only read, and only the index's file takes a write lock
    // (`IMMEDIATE` would take the store's writer lock too).
    let tx = conn.unchecked_transaction()?;
    let token: i64 = tx
        .prepare_cached("SELECT token FROM store.audit_log_version")?
        .query_row([], |r| r.get(0))?;
    let indexed: Option<(i64, i64, Option<String>)> = tx
        .prepare_cached("SELECT token, through, through_id FROM indexed")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let through_id = |through: i64| -> Result<Option<String>, StoreError> {
        Ok(tx
            .prepare_cached("SELECT id FROM store.audit_log WHERE seq = ?1")?
            .query_row([through], |r| r.get(0))
            .optional()?)
    };
    let (state, made_through) = match indexed {
        Some((indexed_token, through, id)) => (Some((indexed_token, through)), id),
        None => (None, None),
    };
    // Made under these rows, and through an entry the store still holds at that `seq`.
    let usable = match usable_through(state, token) {
        Some(through) if through == 0 || through_id(through)? == made_through => Some(through),
        _ => None,
    };
    let from = match usable {
        Some(through) => through,
        None => {
            tx.prepare_cached("DELETE FROM audit_log_by_resource")?
                .execute([])?;
            0
        }
    };
    let (upto, added): (Option<i64>, i64) = tx
        .prepare_cached(
            "SELECT max(seq), count(*) FROM \
             (SELECT seq FROM store.audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2)",
        )?
        .query_row(params![from, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let upto = upto.unwrap_or(from);
    if upto > from {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO audit_log_by_resource (org, resource_id, effective_at, seq) \
             SELECT org, resource_id, effective_at, seq FROM store.audit_log \
             WHERE seq > ?1 AND seq <= ?2",
        )?
        .execute(params![from, upto])?;
    }
    if usable != Some(upto) {
        tx.prepare_cached(
            "INSERT INTO indexed (id, token, through, through_id) VALUES (1, ?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET token = excluded.token, through = excluded.through, \
             through_id = excluded.through_id",
        )?
        .execute(params![token, upto, through_id(upto)?])?;
    }
    tx.commit()?;
    Ok(added == limit)
}

/// Brings the index of the store at `store` up to date, on the calling thread.
pub(crate) fn catch_up_fully(store: &Path) -> Result<(), StoreError> {
    catch_up_all(&open_indexer(store)?)
}

fn catch_up_all(conn: &Connection) -> Result<(), StoreError> {
    while catch_up(conn, BATCH)? {}
    Ok(())
}

/// Adds at most `limit` of the entries the index lacks, on the calling thread (tests).
#[cfg(test)]
pub(crate) fn catch_up_by(store: &Path, limit: i64) -> Result<(), StoreError> {
    catch_up(&open_indexer(store)?, limit)?;
    Ok(())
}

#[derive(Default)]
struct Signal {
    woken: bool,
    stopping: bool,
}

/// The thread that keeps the index up to date: told when the writer has moved entries into
/// `audit_log`, and looking every [`POLL`] for what it was not told of. It stops when this is
/// dropped (with the store).
pub(crate) struct Indexer {
    signal: Arc<(Mutex<Signal>, Condvar)>,
}

impl Indexer {
    /// Brings the index of the store at `store` up to date on the calling thread, then starts
    /// the thread that keeps it so, on the same connection.
    pub(crate) fn start(store: &Path) -> Result<Self, StoreError> {
        let conn = open_indexer(store)?;
        catch_up_all(&conn)?;
        let signal: Arc<(Mutex<Signal>, Condvar)> = Arc::default();
        let for_thread = Arc::clone(&signal);
        std::thread::Builder::new()
            .name("orgusers-audit-index".to_owned())
            .spawn(move || run(&conn, &for_thread))
            .map_err(|e| StoreError::Backend(anyhow::anyhow!("cannot start the indexer: {e}")))?;
        Ok(Self { signal })
    }

    /// Tells the thread that entries have been moved into `audit_log`.
    pub(crate) fn wake(&self) {
        let (state, woken) = &*self.signal;
        lock(state).woken = true;
        woken.notify_one();
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        let (state, woken) = &*self.signal;
        lock(state).stopping = true;
        woken.notify_one();
    }
}

/// Waits on `condvar` up to `timeout` (a wake-up may come earlier).
fn wait<'a>(
    condvar: &Condvar,
    guard: std::sync::MutexGuard<'a, Signal>,
    timeout: Duration,
) -> std::sync::MutexGuard<'a, Signal> {
    condvar
        .wait_timeout(guard, timeout)
        .map(|(guard, _)| guard)
        .unwrap_or_else(|poisoned| poisoned.into_inner().0)
}

fn run(conn: &Connection, signal: &(Mutex<Signal>, Condvar)) {
    let (state, woken) = signal;
    loop {
        let more = match catch_up(conn, BATCH) {
            Ok(more) => more,
            Err(e) => {
                // Reads stay right without the index (they read what it lacks from
                // `audit_log`); the next round tries again.
                tracing::warn!(error = %e, "indexing audit log entries by resource failed");
                false
            }
        };
        let mut signal = lock(state);
        if !more && !signal.woken && !signal.stopping {
            signal = wait(woken, signal, POLL);
        }
        if signal.stopping {
            return;
        }
        let told = std::mem::take(&mut signal.woken);
        drop(signal);
        if told && !more {
            // Told of a move: let more entries come before adding them.
            std::thread::sleep(COALESCE);
        }
    }
}
