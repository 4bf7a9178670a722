//! The SQLite store: one file in WAL mode, a pool of reader connections and one writer.
//!
//! Reads run on the calling thread (see `SqliteStore::read_here`). Changes are committed by a
//! thread of the store's own, in batches (see `SqliteStore::change`); other writes run on
//! tokio's blocking pool, since they wait for an fsync. Writes from this process are serialised
//! by the writer mutex and run in `BEGIN IMMEDIATE` transactions, so other processes on the
//! same file (an `import` while a server runs) wait on SQLite's lock instead of failing.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::audit::{ActingUser, Actor, ActorColumns, AuditEvent};
use crate::audit_logs::sqlite::PageMemo;
use crate::clock::OrgClock;
use crate::page::CursorKey;
use crate::{OrgId, OrgStore, StoreError, now};

mod embedded {
    refinery::embed_migrations!("migrations/sqlite");
}

pub(crate) mod audit_index;
pub(crate) mod departures;
pub(crate) mod import;
mod migrate;
pub(crate) mod transfer;

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

pub(crate) struct Inner {
    path: PathBuf,
    /// Writes other than changes ([`SqliteStore::run`]) wait here, as tasks, rather than as
    /// blocking-pool threads parked on the writer's mutex: under many concurrent writes that
    /// pool grew to hundreds of threads, each holding its own stack and allocator heap
    /// (docs/benchmarks.md, memory). Changes wait in [`ChangeQueue`] instead.
    write_queue: tokio::sync::Semaphore,
    writer: Mutex<Connection>,
    idle_readers: Mutex<Vec<Reader>>,
    cursor_key: CursorKey,
    /// Organizations' `seq`s, which never change once given: changes and audit log reads look
    /// an organization up once per process, not once per request ([`Inner::known_org_seq`]).
    org_seqs: Mutex<std::collections::HashMap<OrgId, i64>>,
    /// Changes waiting for the committing thread (see [`SqliteStore::change`]).
    queue: Arc<ChangeQueue>,
    /// Keeps the audit log's index by resource up to date, beside the writer (none in tests
    /// that bring it up to date themselves).
    indexer: Option<audit_index::Indexer>,
    /// The entries this process's changes have appended to `audit_log_pending` since its last
    /// move, which decide the next one (counting the table at every commit walked its pages).
    appended: AtomicI64,
}

/// One write transaction of an organization, with the audit events its change causes; they
/// are appended in the same transaction when the change succeeds (see [`SqliteStore::change`]).
pub(crate) struct Change<'t> {
    /// The transaction.
    pub tx: &'t Transaction<'t>,
    /// The organization's `seq`, which rows carry.
    pub org: i64,
    /// The organization's time for this change (its clock, read at the change's start): every
    /// timestamp the change writes.
    pub now: i64,
    /// The organization's clock as stored when the change began (`now` is its reading).
    pub clock: OrgClock,
    /// The admin key acting (the request's), which every event records.
    actor: Option<Actor>,
    /// Its owner as this change found it, once looked up ([`Change::acting_user`]).
    acting_user: Option<Option<ActingUser>>,
    events: Vec<AuditEvent>,
}

impl Change<'_> {
    /// Adds an event of this change.
    pub fn record(&mut self, event: AuditEvent) {
        self.events.push(event);
    }

    /// The owner of the acting key while it is a live user of the organization, read in this
    /// transaction (so with the email it has now), once per change and only for a key that
    /// has an owner: one read of the users' `(org, id)` index.
    pub(crate) fn acting_user(&mut self) -> Result<Option<ActingUser>, StoreError> {
        if let Some(found) = &self.acting_user {
            return Ok(found.clone());
        }
        let owner = self.actor.as_ref().and_then(|a| a.owner_user_id.as_deref());
        let found = match owner {
            None => None,
            Some(id) => self
                .tx
                .prepare_cached(
                    "SELECT email, email_folded FROM users WHERE org = ?1 AND id = ?2 AND deleted = 0",
                )?
                .query_row(params![self.org, id], |r| {
                    Ok(ActingUser {
                        id: id.to_owned(),
                        email: r.get(0)?,
                        email_folded: r.get(1)?,
                    })
                })
                .optional()?,
        };
        self.acting_user = Some(found.clone());
        Ok(found)
    }
}

/// The clock of the organization whose `seq` is `org`.
pub(crate) fn org_clock(conn: &Connection, org: i64) -> Result<OrgClock, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT clock_frozen_at, clock_offset, clock_floor FROM organizations WHERE seq = ?1",
        )?
        .query_row([org], |r| {
            Ok(OrgClock {
                frozen_at: r.get(0)?,
                offset: r.get(1)?,
                floor: r.get(2)?,
            })
        })?)
}

/// The time of the organization whose `seq` is `org`, by its clock.
pub(crate) fn org_now(conn: &Connection, org: i64) -> Result<i64, StoreError> {
    Ok(org_clock(conn, org)?.reading(now()))
}

/// Stores the clock of the organization whose `seq` is `org`.
pub(crate) fn set_org_clock(
    conn: &Connection,
    org: i64,
    clock: &OrgClock,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE organizations SET clock_frozen_at = ?2, clock_offset = ?3, clock_floor = ?4 \
         WHERE seq = ?1",
    )?
    .execute(params![org, clock.frozen_at, clock.offset, clock.floor])?;
    Ok(())
}

/// The `seq` of an organization.
pub(crate) fn org_seq(conn: &Connection, org: &OrgId) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT seq FROM organizations WHERE id = ?1")?
        .query_row([org.as_str()], |r| r.get(0))
        .optional()?
        .with_context(|| format!("organization {org} is not in the store"))?)
}

/// Appends the change's events as audit log entries; how many it appended.
fn append_events(tx: &Transaction<'_>, change: &mut Change<'_>) -> Result<usize, StoreError> {
    if change.events.is_empty() {
        return Ok(0);
    }
    let user = change.acting_user()?;
    let actor = ActorColumns::of(change.actor.as_ref(), user.as_ref());
    let (org, at, events) = (change.org, change.now, &change.events);
    // Into the table without indexes (migration V11); `seq` continues the order of both tables,
    // and the entry keeps it when it is moved.
    let mut insert = tx.prepare_cached(
        "INSERT INTO audit_log_pending \
         (seq, org, id, type, effective_at, resource_id, payload, actor_key_id, project_id, \
          actor_user_id, actor_email, actor_email_folded) \
         VALUES (max(coalesce((SELECT max(seq) FROM audit_log), 0), \
                     coalesce((SELECT max(seq) FROM audit_log_pending), 0)) + 1, \
                 ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for event in events {
        // Stored in the spec's terms, as the audit log endpoint answers them.
        let entry = crate::audit_logs::SpecEntry::of(event);
        insert.execute(params![
            org,
            crate::audit::generate_entry_id(),
            entry.event_type,
            at,
            entry.resource_id,
            entry.payload.to_string(),
            actor.key_id,
            entry.project_id,
            actor.user_id,
            actor.email,
            actor.email_folded
        ])?;
    }
    Ok(events.len())
}

/// How many entries this process appends to `audit_log_pending` before a commit moves them (with
/// any that other processes on the file left there) into `audit_log`. A move writes each
/// index's last page once for all of them; reads scan the waiting entries, which stay few
/// enough for that to take microseconds.
pub(crate) const PENDING_ENTRIES_MOVED_AT: i64 = 256;

/// Moves every entry of `audit_log_pending` into `audit_log` (and so into its indexes), each
/// with its `seq` and id, in `seq` order. Run by a commit once enough have been appended since
/// the last move (`Inner::appended`), on open, and before a reset or a snapshot works on
/// `audit_log` alone.
pub(crate) fn move_pending_entries(conn: &Connection) -> Result<(), StoreError> {
    const COLUMNS: &str = "seq, org, id, type, effective_at, resource_id, payload, actor_key_id, \
                           project_id, actor_user_id, actor_email, actor_email_folded";
    conn.prepare_cached(&format!(
        "INSERT INTO audit_log ({COLUMNS}) SELECT {COLUMNS} FROM audit_log_pending ORDER BY seq"
    ))?
    .execute([])?;
    conn.prepare_cached("DELETE FROM audit_log_pending")?
        .execute([])?;
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
    // SQLite's own `lower()` folds ASCII only: the console's search folds names and emails as
    // Rust (and PostgreSQL) do, so that "ødegaard" finds "Ødegaard".
    conn.create_scalar_function(
        "fold_case",
        1,
        rusqlite::functions::FunctionFlags::SQLITE_UTF8
            | rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(ctx
                .get::<Option<String>>(0)?
                .map(|text| text.to_lowercase()))
        },
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
        Self::open_indexing(path, true).await
    }

    /// Opens the store without the thread that indexes its audit log by resource: a test
    /// then brings the index up to date where it chooses (`audit_index::catch_up_by`).
    #[cfg(test)]
    pub(crate) async fn open_without_indexer(path: &Path) -> Result<Self, StoreError> {
        Self::open_indexing(path, false).await
    }

    async fn open_indexing(path: &Path, indexing: bool) -> Result<Self, StoreError> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut writer = connect(&path)?;
            migrate(&mut writer)?;
            {
                let tx = writer.transaction_with_behavior(TransactionBehavior::Immediate)?;
                crate::snapshots::sqlite::sync_mirrors(&tx)?;
                move_pending_entries(&tx)?;
                tx.commit()?;
            }
            let cursor_key = load_cursor_key(&writer)?;
            // The index's file is made (or brought up to date) before the store serves, so
            // that readers find its tables; later, the indexer keeps up in the background.
            let indexer = if indexing {
                Some(audit_index::Indexer::start(&path)?)
            } else {
                audit_index::catch_up_fully(&path)?;
                None
            };
            Self {
                inner: Arc::new(Inner {
                    path,
                    write_queue: tokio::sync::Semaphore::new(1),
                    writer: Mutex::new(writer),
                    idle_readers: Mutex::new(Vec::new()),
                    cursor_key,
                    org_seqs: Mutex::default(),
                    queue: Arc::default(),
                    indexer,
                    appended: AtomicI64::new(0),
                }),
            }
            .with_committer()
        })
        .await
        .context("store task failed")?
    }

    /// Runs a write on the blocking pool (it waits for an fsync), one at a time.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
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

    /// The `seq` of `org`, which rows carry: read from `conn` the first time this process needs
    /// it, then from memory (an organization keeps its `seq` for good; none is ever deleted).
    pub(crate) fn known_org_seq(&self, conn: &Connection, org: &OrgId) -> Result<i64, StoreError> {
        self.inner.known_org_seq(conn, org)
    }

    /// [`SqliteStore::read_here`], with what the reader connection's audit log reads keep from
    /// one page to the next.
    pub(crate) fn read_here_remembering<T>(
        &self,
        f: impl FnOnce(&Connection, &mut PageMemo) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.inner.read_remembering(f)
    }
}

/// A connection that only reads, and what its audit log reads keep from one page to the next.
struct Reader {
    conn: Connection,
    memo: PageMemo,
}

impl Reader {
    fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = connect(path)?;
        audit_index::attach(&conn, path)?;
        // What a reader keeps is valid while no other connection commits (SQLite's
        // `data_version`, which a connection's own writes leave as it was): so it never writes.
        conn.pragma_update(None, "query_only", true)?;
        Ok(Self {
            conn,
            memo: PageMemo::default(),
        })
    }
}

impl SqliteStore {
    /// Runs `f` as one write transaction of `org`, appending the audit events it records.
    ///
    /// Changes that wait for the writer at the same time are committed together: the store's
    /// committing thread runs every change queued by the time its previous commit ended, each
    /// in a savepoint of one transaction (a refused change rolls back to its savepoint alone),
    /// and one fsync acknowledges them all. Nobody is answered before the commit, so an
    /// acknowledged change survives a crash.
    pub(crate) async fn change<T, F>(&self, org: &OrgId, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut Change<'_>) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let org = org.clone();
        // Read here, on the request's task: the job runs on another thread.
        let actor = crate::audit::current_actor();
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |tx, inner| {
            let result = (|| {
                let seq = inner.known_org_seq(tx, &org)?;
                let clock = org_clock(tx, seq)?;
                let mut change = Change {
                    tx,
                    org: seq,
                    now: clock.reading(now()),
                    clock,
                    actor,
                    acting_user: None,
                    events: Vec::new(),
                };
                let value = f(&mut change)?;
                let appended = append_events(tx, &mut change)?;
                inner.appended.fetch_add(
                    i64::try_from(appended).unwrap_or(i64::MAX),
                    Ordering::Relaxed,
                );
                Ok(value)
            })();
            let succeeded = result.is_ok();
            let deliver: Deliver = Box::new(move |committed| {
                let answer = match (result, committed) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Ok(_), Err(e)) => Err(StoreError::Backend(anyhow::anyhow!(e))),
                    (Err(e), _) => Err(e),
                };
                let _ = reply.send(answer);
            });
            (succeeded, deliver)
        });
        self.inner.queue.push(job);
        answer
            .await
            .context("the change was dropped before it was answered")?
    }

    /// Starts the thread that commits this store's changes; it stops when the store is dropped.
    fn with_committer(self) -> Result<Self, StoreError> {
        let (inner, queue) = (Arc::downgrade(&self.inner), Arc::clone(&self.inner.queue));
        std::thread::Builder::new()
            .name("orgusers-writer".to_owned())
            .spawn(move || commit_queued(&inner, &queue))
            .map_err(|e| {
                StoreError::Backend(anyhow::anyhow!("cannot start the writer thread: {e}"))
            })?;
        Ok(self)
    }
}

/// Changes waiting for the committing thread, which takes all of them at once.
#[derive(Default)]
struct ChangeQueue {
    state: Mutex<QueueState>,
    /// Signalled when a change comes while the thread waits, and when the store is dropped.
    filled: Condvar,
}

#[derive(Default)]
struct QueueState {
    jobs: Vec<Job>,
    /// Whether the thread is waiting on `filled` (a change that comes while it commits is
    /// taken when that commit ends, without a wake-up).
    waiting: bool,
    stopping: bool,
}

impl ChangeQueue {
    fn push(&self, job: Job) {
        let mut state = lock(&self.state);
        state.jobs.push(job);
        if state.waiting {
            state.waiting = false;
            self.filled.notify_one();
        }
    }

    /// Every change queued, once there is one; `None` once the store is dropped.
    fn take(&self) -> Option<Vec<Job>> {
        let mut state = lock(&self.state);
        loop {
            if state.stopping {
                return None;
            }
            if !state.jobs.is_empty() {
                return Some(std::mem::take(&mut state.jobs));
            }
            state.waiting = true;
            state = self
                .filled
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    fn stop(&self) {
        lock(&self.state).stopping = true;
        self.filled.notify_one();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.state).jobs.len()
    }
}

/// The committing thread: commits whatever has queued, in one transaction, as soon as the
/// previous commit ends. Changes that came during a commit are the next one's, so under many
/// writers each commit holds many changes and one fsync answers them all; a change alone is
/// committed at once. Holding no reference to the store while it waits, it ends with it.
fn commit_queued(inner: &Weak<Inner>, queue: &ChangeQueue) {
    while let Some(jobs) = queue.take() {
        let Some(inner) = inner.upgrade() else {
            return;
        };
        // A panic outside the jobs (which are caught one by one) drops the batch's answers, so
        // its callers fail, and the thread goes on to the next batch: no later change hangs.
        let committed =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.commit_together(jobs)));
        if committed.is_err() {
            tracing::error!("committing a batch of changes panicked");
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.queue.stop();
    }
}

/// Answers a change once its transaction's fate is known: `Err` carries why the commit failed.
type Deliver = Box<dyn FnOnce(Result<(), String>) + Send>;
/// A change waiting for the writer: run inside the batch's transaction, it tells whether it
/// succeeded (else its savepoint is rolled back) and how to answer it.
type Job = Box<dyn FnOnce(&Transaction<'_>, &Inner) -> (bool, Deliver) + Send>;

impl Inner {
    /// Runs `jobs` in one transaction, each in a savepoint, commits once, then answers each.
    fn commit_together(&self, jobs: Vec<Job>) {
        let mut conn = lock(&self.writer);
        let mut delivers: Vec<Deliver> = Vec::with_capacity(jobs.len());
        let outcome = (|| -> Result<(), StoreError> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for job in jobs {
                tx.execute_batch("SAVEPOINT change")?;
                // A job that panics drops its reply sender: its caller gets an error, and the
                // rest of the batch goes on.
                let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&tx, self)));
                match ran {
                    Ok((true, deliver)) => {
                        tx.execute_batch("RELEASE change")?;
                        delivers.push(deliver);
                    }
                    Ok((false, deliver)) => {
                        tx.execute_batch("ROLLBACK TO change; RELEASE change")?;
                        delivers.push(deliver);
                    }
                    Err(_) => tx.execute_batch("ROLLBACK TO change; RELEASE change")?,
                }
            }
            let mut moved = false;
            if self.appended.load(Ordering::Relaxed) >= PENDING_ENTRIES_MOVED_AT {
                // In a savepoint of its own: if the move fails, the entries stay where reads
                // find them, and the batch's changes still commit.
                tx.execute_batch("SAVEPOINT move_entries")?;
                match move_pending_entries(&tx) {
                    Ok(()) => {
                        tx.execute_batch("RELEASE move_entries")?;
                        moved = true;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "moving audit log entries failed");
                        tx.execute_batch("ROLLBACK TO move_entries; RELEASE move_entries")?;
                    }
                }
            }
            tx.commit()?;
            if moved {
                self.appended.store(0, Ordering::Relaxed);
                if let Some(indexer) = &self.indexer {
                    indexer.wake();
                }
            }
            Ok(())
        })();
        let committed = outcome.map_err(|e| format!("{e:#}"));
        if let Err(e) = &committed {
            tracing::error!(error = %e, changes = delivers.len(), "a batch of changes failed to commit");
        }
        for deliver in delivers {
            deliver(committed.clone());
        }
    }
}

impl Inner {
    /// The `seq` of `org`, read from `conn` the first time this process needs it.
    fn known_org_seq(&self, conn: &Connection, org: &OrgId) -> Result<i64, StoreError> {
        if let Some(seq) = lock(&self.org_seqs).get(org).copied() {
            return Ok(seq);
        }
        let seq = org_seq(conn, org)?;
        lock(&self.org_seqs).insert(org.clone(), seq);
        Ok(seq)
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.read_remembering(|conn, _| f(conn))
    }

    /// Runs `f` on an idle reader connection (a new one if none is idle), with what that
    /// connection's audit log reads keep between pages.
    fn read_remembering<T>(
        &self,
        f: impl FnOnce(&Connection, &mut PageMemo) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = lock(&self.idle_readers).pop();
        let mut reader = match idle {
            Some(reader) => reader,
            None => Reader::open(&self.path)?,
        };
        let result = f(&reader.conn, &mut reader.memo);
        // A connection still inside a transaction would read that old state ever after.
        if !reader.conn.is_autocommit() {
            return result;
        }
        let mut idle = lock(&self.idle_readers);
        if idle.len() < MAX_READERS {
            idle.push(reader);
        }
        result
    }

    pub(crate) fn write<T>(
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

/// The `users.org` of the organization whose id is bound as `?1`: rows and index keys carry the
/// organization's integer `seq`, not its 28-byte id (migration V2). SQLite evaluates it once per
/// statement.
macro_rules! org_of_param1 {
    () => {
        "(SELECT seq FROM organizations WHERE id = ?1)"
    };
}
pub(crate) use org_of_param1;

fn default_org(conn: &Connection) -> Result<Option<OrgId>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id FROM organizations ORDER BY seq LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?
        .map(OrgId::from_stored))
}

#[async_trait]
impl OrgStore for SqliteStore {
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

    async fn clock(&self, org: &OrgId) -> Result<OrgClock, StoreError> {
        self.read_here(|conn| org_clock(conn, org_seq(conn, org)?))
    }

    async fn set_clock(
        &self,
        org: &OrgId,
        setting: crate::clock::ClockSetting,
    ) -> Result<OrgClock, StoreError> {
        self.change(org, move |change| {
            let clock = change.clock.apply(setting, now())?;
            set_org_clock(change.tx, change.org, &clock)?;
            Ok(clock)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use refinery::Target;

    use super::*;
    use crate::{UserChange, UserQuery, UserStore};

    /// A reader connection that a read left inside a transaction would go on reading that
    /// transaction's old state: it is dropped, not put back among the idle readers.
    #[tokio::test]
    async fn a_reader_left_inside_a_transaction_is_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("pool.db"))
            .await
            .unwrap();
        let idle = || lock(&store.inner.idle_readers).len();
        store.read_here(|_| Ok(())).unwrap();
        let before = idle();
        assert!(before > 0);
        store
            .read_here(|conn| Ok(conn.execute_batch("BEGIN; SELECT count(*) FROM organizations")?))
            .unwrap();
        assert_eq!(idle(), before - 1);
        store.read_here(|_| Ok(())).unwrap();
        assert_eq!(idle(), before);
    }

    /// A panic of the committing thread outside the changes' own code (here, while it answers a
    /// change) costs that batch its answers, not the thread: later changes are committed.
    #[tokio::test]
    async fn the_committing_thread_outlives_a_panic_while_answering() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("panic.db"))
            .await
            .unwrap();
        let org = store.ensure_organization(None).await.unwrap();
        let (answered, answer) = tokio::sync::oneshot::channel::<()>();
        let job: Job = Box::new(move |_, _| {
            let deliver: Deliver = Box::new(move |_| {
                let _answered = answered;
                panic!("a panic while answering a change");
            });
            (true, deliver)
        });
        store.inner.queue.push(job);
        // Its sender dropped in the unwinding: the panic has happened, and was caught.
        assert!(answer.await.is_err());
        let name = crate::groups::GroupName::parse("After the panic").unwrap();
        // Bounded: a committing thread that died would leave the change unanswered for ever.
        let group = tokio::time::timeout(
            Duration::from_secs(20),
            crate::groups::GroupStore::create_group(&store, &org, &name),
        )
        .await
        .expect("the change was answered")
        .unwrap();
        assert_eq!(group.name, "After the panic");
    }

    /// What a reader keeps between reads holds only while no other connection commits: the
    /// readers themselves refuse to write.
    #[tokio::test]
    async fn readers_refuse_to_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("readers.db"))
            .await
            .unwrap();
        store.ensure_organization(None).await.unwrap();
        let written =
            store.read_here(|conn| Ok(conn.execute("UPDATE organizations SET seq = seq", [])));
        match written.unwrap() {
            Err(rusqlite::Error::SqliteFailure(e, _)) => {
                assert_eq!(e.code, rusqlite::ErrorCode::ReadOnly);
            }
            other => panic!("a reader wrote: {other:?}"),
        }
    }

    /// Every change appends its events in its own transaction; a refused change appends none,
    /// and a change that changes nothing (an assignment held already) none either.
    #[tokio::test]
    async fn changes_write_their_audit_events_and_only_theirs() {
        use crate::groups::{GroupName, GroupStore};
        use crate::roles::{NewRole, Permissions, RoleName, RoleStore};
        use crate::user_roles::UserRoleStore;
        use crate::{ImportRecord, OrgStore};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.db");
        let store = SqliteStore::open(&path).await.unwrap();
        let org = store.ensure_organization(None).await.unwrap();
        let line = |n, text: &str| ImportRecord::from_json_line(n, text);
        let lines = vec![
            line(1, r#"{"id":"owner","email":"o@x.io","role":"owner"}"#),
            line(2, r#"{"id":"ada","email":"a@x.io"}"#),
        ];
        store
            .import_users(&org, Box::new(lines.into_iter()))
            .await
            .unwrap();
        let events = || {
            let conn = connect(&path).unwrap();
            let rows: Vec<(String, String)> = conn
                .prepare("SELECT type, resource_id FROM audit_log_entries ORDER BY seq")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            rows
        };
        assert_eq!(events(), [], "imports write no events");

        let role = NewRole {
            name: RoleName::parse("Auditors").unwrap(),
            permissions: Permissions::parse(&["api.users.read".to_owned()]).unwrap(),
            description: None,
        };
        let created = store.create_role(&org, &role).await.unwrap();
        assert!(
            store.create_role(&org, &role).await.is_err(),
            "the name is taken"
        );
        let group = store
            .create_group(&org, &GroupName::parse("Team").unwrap())
            .await
            .unwrap();
        store.add_group_user(&org, &group.id, "ada").await.unwrap();
        store.add_group_user(&org, &group.id, "ada").await.unwrap();
        store
            .assign_user_role(&org, "ada", &created.id)
            .await
            .unwrap();
        let demote = UserChange {
            role: Some(crate::Role::Reader),
            ..UserChange::default()
        };
        assert!(matches!(
            store.update_user(&org, "owner", &demote).await,
            Err(StoreError::LastOwner)
        ));
        store.delete_user(&org, "ada").await.unwrap();
        let id = |s: &str| s.to_owned();
        assert_eq!(
            events(),
            [
                (id("role.created"), created.id.to_string()),
                (id("group.created"), group.id.to_string()),
                // A membership is stored as the spec's `group.updated` of the group.
                (id("group.updated"), group.id.to_string()),
                (id("role.assignment.created"), created.id.to_string()),
                (id("user.deleted"), id("ada")),
            ]
        );
    }

    /// Changes queued together share a transaction but not their fate: of twenty concurrent
    /// creations of one name exactly one is committed, with its one event; the others are
    /// refused and leave nothing behind.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn changes_committed_together_keep_their_own_outcome() {
        use crate::OrgStore;
        use crate::roles::{NewRole, Permissions, RoleName, RoleStore};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("batch.db");
        let store = SqliteStore::open(&path).await.unwrap();
        let org = store.ensure_organization(None).await.unwrap();
        let creations = (0..20).map(|i| {
            let (store, org) = (store.clone(), org.clone());
            tokio::spawn(async move {
                let name = if i % 2 == 0 {
                    "Same".to_owned()
                } else {
                    format!("Own {i}")
                };
                let role = NewRole {
                    name: RoleName::parse(&name).unwrap(),
                    permissions: Permissions::parse(&["api.users.read".to_owned()]).unwrap(),
                    description: None,
                };
                store.create_role(&org, &role).await.is_ok()
            })
        });
        let mut created = 0;
        for creation in creations {
            created += usize::from(creation.await.unwrap());
        }
        assert_eq!(created, 11, "ten distinct names and one of the ten 'Same'");
        let conn = connect(&path).unwrap();
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT count(*) FROM roles"), 11);
        assert_eq!(
            count("SELECT count(*) FROM audit_log_entries WHERE type = 'role.created'"),
            11
        );
    }

    /// The committing thread takes every change queued during a commit as its next batch, and
    /// answers a batch's changes as soon as it commits: a change never waits for a later batch.
    /// The first change holds the writer while two more queue; those two are taken together,
    /// and the first is answered while the second holds that next batch open.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_committed_change_does_not_wait_for_the_next_batch() {
        use crate::OrgStore;
        use std::sync::mpsc;

        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("turns.db"))
            .await
            .unwrap();
        let org = store.ensure_organization(None).await.unwrap();
        let queued = |n: usize| {
            let store = store.clone();
            async move {
                while store.inner.queue.len() != n {
                    tokio::task::yield_now().await;
                }
            }
        };
        // The guards only turn a change that is never answered (or never run) into a failure,
        // not a hang.
        let answered = async |what: &str, change: tokio::task::JoinHandle<_>| {
            tokio::time::timeout(Duration::from_secs(20), change)
                .await
                .unwrap_or_else(|_| panic!("{what} was not answered"))
                .unwrap()
        };
        let running = async |what: &str, started: tokio::sync::oneshot::Receiver<()>| {
            tokio::time::timeout(Duration::from_secs(20), started)
                .await
                .unwrap_or_else(|_| panic!("{what} did not run"))
                .unwrap();
        };
        // A change that says when it runs, then waits for `go`.
        let held = |go: mpsc::Receiver<()>| {
            let (store, org) = (store.clone(), org.clone());
            let (started, runs) = tokio::sync::oneshot::channel();
            let change = tokio::spawn(async move {
                store
                    .change(&org, move |_| {
                        let _ = started.send(());
                        go.recv().ok();
                        Ok(())
                    })
                    .await
            });
            (change, runs)
        };
        let (go_first, first_waits) = mpsc::channel();
        let (first, first_runs) = held(first_waits);
        running("the first", first_runs).await;
        let (go_second, second_waits) = mpsc::channel();
        let (second, second_runs) = held(second_waits);
        let third = {
            let (store, org) = (store.clone(), org.clone());
            tokio::spawn(async move { store.change(&org, |_| Ok(())).await })
        };
        queued(2).await;
        go_first.send(()).unwrap();
        running("the second", second_runs).await;
        // The third was taken with the second: nothing is left queued.
        assert_eq!(store.inner.queue.len(), 0);
        answered("the first", first).await.unwrap();
        go_second.send(()).unwrap();
        answered("the second", second).await.unwrap();
        answered("the third", third).await.unwrap();
    }

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
        // Each organization got its Default project, with its users as members: owners as
        // owners, readers as members.
        for (org, members) in [
            (
                "org-a",
                vec![
                    ("user-a", "member"),
                    ("user-b", "member"),
                    ("user-c", "owner"),
                ],
            ),
            ("org-b", vec![("user-a", "owner")]),
        ] {
            use crate::page::FirstQuery;
            use crate::projects::ProjectStore;
            let org = OrgId::parse(org).unwrap();
            let projects = store
                .list_projects(&org, &FirstQuery::first(), true)
                .await
                .unwrap()
                .items;
            assert_eq!(projects.len(), 1);
            assert!(projects[0].is_default && projects[0].name == "Default project");
            let found: Vec<(String, &str)> = store
                .list_project_users(&org, &projects[0].id, &FirstQuery::first())
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|m| (m.user_id, m.role.as_str()))
                .collect();
            let expected: Vec<(String, &str)> = members
                .into_iter()
                .map(|(id, role)| (id.to_owned(), role))
                .collect();
            assert_eq!(found, expected);
        }

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

    /// Entries wait in `audit_log_pending` until enough have come, then a commit moves them
    /// into `audit_log` with their `seq` and id; the list reads both, in one order, throughout.
    #[tokio::test]
    async fn waiting_entries_are_moved_in_batches_and_always_listed() {
        use crate::audit_logs::{AuditCursor, AuditLogQuery, AuditLogStore};
        use crate::groups::{GroupName, GroupStore};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("moves.db");
        let store = SqliteStore::open(&path).await.unwrap();
        let org = store.ensure_organization(None).await.unwrap();
        let counts = || {
            let conn = connect(&path).unwrap();
            let count = |table: &str| -> i64 {
                conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                    .unwrap()
            };
            (count("audit_log"), count("audit_log_pending"))
        };
        let total = PENDING_ENTRIES_MOVED_AT + 40;
        let mut created = Vec::new();
        for n in 0..total {
            let name = GroupName::parse(&format!("Team {n}")).unwrap();
            created.push(store.create_group(&org, &name).await.unwrap().id);
            let (moved, waiting) = counts();
            assert_eq!(moved + waiting, n + 1, "one entry per change");
            assert!(waiting < PENDING_ENTRIES_MOVED_AT, "{waiting} entries wait");
            if n + 1 < PENDING_ENTRIES_MOVED_AT {
                assert_eq!(
                    moved, 0,
                    "no move before {PENDING_ENTRIES_MOVED_AT} entries"
                );
            }
        }
        let (moved, waiting) = counts();
        assert_eq!((moved, waiting), (PENDING_ENTRIES_MOVED_AT, 40));
        // The store's indexer thread indexes the moved entries by resource, told of the move by
        // the committing thread (in these tests it never looks by itself: `audit_index::POLL`).
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while audit_index::IndexState::of_store(&store) < PENDING_ENTRIES_MOVED_AT {
            assert!(
                std::time::Instant::now() < deadline,
                "the indexer did not index the moved entries"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            audit_index::IndexState::of_store(&store),
            PENDING_ENTRIES_MOVED_AT
        );

        // Walked newest first in pages of 7 across both tables, then back: every entry once.
        let mut walked = Vec::new();
        let mut query = AuditLogQuery::newest(7);
        loop {
            let page = store.list_audit_logs(&org, &query).await.unwrap();
            walked.extend(page.entries.iter().map(|e| e.payload["id"].to_string()));
            let Some(last) = page.entries.last().filter(|_| page.has_more) else {
                break;
            };
            query.cursor = Some(AuditCursor::After(last.id.clone()));
        }
        let newest_first: Vec<String> = created
            .iter()
            .rev()
            .map(|id| format!("{:?}", id.as_str()))
            .collect();
        assert_eq!(walked, newest_first);

        // Reopening moves what waits; the ids stay, so a cursor taken before still works.
        let before_reopen = store
            .list_audit_logs(&org, &AuditLogQuery::newest(3))
            .await
            .unwrap();
        drop(store);
        let store = SqliteStore::open(&path).await.unwrap();
        assert_eq!(counts(), (total, 0));
        let mut query = AuditLogQuery::newest(3);
        query.cursor = Some(AuditCursor::After(before_reopen.entries[2].id.clone()));
        let page = store.list_audit_logs(&org, &query).await.unwrap();
        let expected: Vec<String> = newest_first[3..6].to_vec();
        assert_eq!(
            page.entries
                .iter()
                .map(|e| e.payload["id"].to_string())
                .collect::<Vec<_>>(),
            expected
        );
    }

    /// A change by an owned key records the owner (its email then) with the key, through the
    /// move into `audit_log` too, and the keys it makes are the owner's; an owner that is no
    /// live user is recorded as none.
    #[tokio::test]
    async fn owned_keys_record_their_user() {
        use std::sync::OnceLock;

        use crate::audit::{Actor, acting_as};
        use crate::audit_logs::{ActorUser, AuditLogQuery, AuditLogStore};
        use crate::keys::KeyStore;
        use crate::{ImportRecord, OrgStore};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("owners.db");
        let store = SqliteStore::open(&path).await.unwrap();
        let org = store.ensure_organization(None).await.unwrap();
        let lines = vec![ImportRecord::from_json_line(
            1,
            r#"{"id":"ann","email":"Ann@X.io","role":"owner"}"#,
        )];
        store
            .import_users(&org, Box::new(lines.into_iter()))
            .await
            .unwrap();
        let acting = |key: &str, owner: &str| {
            let slot = Arc::new(OnceLock::new());
            slot.set(Actor {
                key_id: key.to_owned(),
                owner_user_id: Some(owner.to_owned()),
            })
            .unwrap();
            slot
        };
        let (made, _) = acting_as(
            acting("key_ann", "ann"),
            store.create_admin_key(&org, "made", None),
        )
        .await
        .unwrap();
        assert_eq!(made.owner.map(|o| o.id), Some("ann".to_owned()));
        let (unowned, _) = acting_as(
            acting("key_ghost", "gone"),
            store.create_admin_key(&org, "ghost", None),
        )
        .await
        .unwrap();
        assert_eq!(unowned.owner, None);
        let actors = || async {
            let page = store
                .list_audit_logs(&org, &AuditLogQuery::newest(10))
                .await
                .unwrap();
            page.entries
                .into_iter()
                .map(|e| (e.actor_key_id, e.actor_user))
                .collect::<Vec<_>>()
        };
        let expected = vec![
            (Some("key_ghost".to_owned()), None),
            (
                Some("key_ann".to_owned()),
                Some(ActorUser {
                    id: "ann".to_owned(),
                    email: Some("Ann@X.io".to_owned()),
                }),
            ),
        ];
        assert_eq!(actors().await, expected);
        move_pending_entries(&connect(&path).unwrap()).unwrap();
        assert_eq!(actors().await, expected);
        let mut by_email = AuditLogQuery::newest(10);
        by_email.actor_emails = Some(vec!["ann@x.IO".to_owned()]);
        let found = store.list_audit_logs(&org, &by_email).await.unwrap();
        assert_eq!(found.entries.len(), 1);
    }

    /// The audit log's index by resource, beside the store's file, holds the moved entries; a
    /// reset deletes entries under it (later ones may take their `seq`s again), so reads stop
    /// using it until it is made again, and see exactly the entries there are throughout.
    #[tokio::test]
    async fn the_resource_index_is_made_again_after_a_reset() {
        use crate::audit_logs::{AuditLogQuery, AuditLogStore};
        use crate::groups::{GroupName, GroupStore};
        use crate::snapshots::SnapshotStore;
        use audit_index::{IndexState, catch_up_fully};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.db");
        let store = SqliteStore::open_without_indexer(&path).await.unwrap();
        let org = store.ensure_organization(None).await.unwrap();
        let create = |name: String| {
            let (store, org, path) = (store.clone(), org.clone(), path.clone());
            async move {
                let name = GroupName::parse(&name).unwrap();
                let id = store.create_group(&org, &name).await.unwrap().id;
                move_pending_entries(&connect(&path).unwrap()).unwrap();
                id.as_str().to_owned()
            }
        };
        let through = || IndexState::of_store(&store);
        let by_resource = |id: String| {
            let store = store.clone();
            let org = org.clone();
            async move {
                let mut query = AuditLogQuery::newest(10);
                query.resource_ids = Some(vec![id]);
                let page = store.list_audit_logs(&org, &query).await.unwrap();
                page.entries
                    .into_iter()
                    .map(|e| e.event_type)
                    .collect::<Vec<_>>()
            }
        };
        let first = create("Team one".into()).await;
        let second = create("Team two".into()).await;
        // Moved, not yet indexed: read from `audit_log` itself.
        assert_eq!(through(), 0);
        assert_eq!(by_resource(second.clone()).await, ["group.created"]);
        catch_up_fully(&path).unwrap();
        let indexed = through();
        assert!(indexed >= 2, "{indexed}");
        assert_eq!(by_resource(first.clone()).await, ["group.created"]);

        store.reset(&org).await.unwrap();
        move_pending_entries(&connect(&path).unwrap()).unwrap();
        assert_eq!(through(), 0, "an index of deleted rows is not used");
        let third = create("Team three".into()).await;
        for _ in 0..2 {
            assert!(by_resource(first.clone()).await.is_empty());
            assert!(by_resource(second.clone()).await.is_empty());
            assert_eq!(by_resource(third.clone()).await, ["group.created"]);
            catch_up_fully(&path).unwrap();
        }
        assert!(through() > 0);
    }

    /// An index made from another history of the store is made again before it is used: here
    /// the store's file is as a backup taken before its newest entry would have left it (the
    /// same rows' token), and a later change takes that entry's `seq` again.
    #[tokio::test]
    async fn an_index_of_another_history_is_made_again() {
        use crate::audit_logs::{AuditLogQuery, AuditLogStore};
        use crate::groups::{GroupName, GroupStore};
        use audit_index::{IndexState, catch_up_fully};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.db");
        let store = SqliteStore::open_without_indexer(&path).await.unwrap();
        let org = store.ensure_organization(None).await.unwrap();
        let create = |name: &'static str| {
            let (store, org, path) = (store.clone(), org.clone(), path.clone());
            async move {
                let name = GroupName::parse(name).unwrap();
                let id = store.create_group(&org, &name).await.unwrap().id;
                move_pending_entries(&connect(&path).unwrap()).unwrap();
                id.as_str().to_owned()
            }
        };
        let by_resource = |id: String| {
            let (store, org) = (store.clone(), org.clone());
            async move {
                let mut query = AuditLogQuery::newest(10);
                query.resource_ids = Some(vec![id]);
                let page = store.list_audit_logs(&org, &query).await.unwrap();
                page.entries.len()
            }
        };
        create("Team one").await;
        let second = create("Team two").await;
        catch_up_fully(&path).unwrap();
        let indexed = IndexState::of_store(&store);
        {
            // The newest entry goes, and the rows' token stays what it was.
            let conn = connect(&path).unwrap();
            let token: i64 = conn
                .query_row("SELECT token FROM audit_log_version", [], |r| r.get(0))
                .unwrap();
            conn.execute("DELETE FROM audit_log WHERE seq = ?1", [indexed])
                .unwrap();
            conn.execute("UPDATE audit_log_version SET token = ?1", [token])
                .unwrap();
        }
        let third = create("Team three").await;
        catch_up_fully(&path).unwrap();
        assert_eq!(IndexState::of_store(&store), indexed);
        assert_eq!(by_resource(second).await, 0);
        assert_eq!(by_resource(third).await, 1);
    }

    /// An index file of the layout before its entries' ids were kept is made again at open.
    #[tokio::test]
    async fn an_index_file_of_the_older_layout_is_made_again() {
        use crate::groups::{GroupName, GroupStore};
        use audit_index::{IndexState, index_path};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layout.db");
        {
            let store = SqliteStore::open_without_indexer(&path).await.unwrap();
            let org = store.ensure_organization(None).await.unwrap();
            let name = GroupName::parse("Team").unwrap();
            store.create_group(&org, &name).await.unwrap();
        }
        Connection::open(index_path(&path))
            .unwrap()
            .execute_batch(
                "DROP TABLE indexed;
                 CREATE TABLE indexed (id INTEGER PRIMARY KEY, token INTEGER NOT NULL,
                                       through INTEGER NOT NULL);
                 INSERT INTO indexed VALUES (1, 0, 0);
                 PRAGMA user_version = 0;",
            )
            .unwrap();
        let store = SqliteStore::open_without_indexer(&path).await.unwrap();
        assert!(IndexState::of_store(&store) > 0);
    }
}
