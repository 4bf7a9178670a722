//! Schema migrations applied under SQLite's write lock.
//!
//! refinery's own SQLite driver reads the migration history and applies each migration in
//! separate deferred transactions, so two processes opening one file at once (instances starting
//! together, an import beside a starting server) can both find a migration pending and both apply
//! it; the second then fails on the history's primary key. Here one `BEGIN IMMEDIATE`
//! transaction spans the whole run: whoever takes the write lock first reads the history and
//! applies what is pending; the others wait on the busy timeout and then find nothing to do. The
//! run is also all or nothing: a failing migration leaves the file as it was.
//!
//! A file whose schema is current is recognised without the write lock, so that a server starts
//! beside a long import that holds it.

use anyhow::Context as _;
use refinery_core::traits::sync::{Migrate, Query, Transaction};
use refinery_core::{Migration, Runner};
use rusqlite::{Connection, TransactionBehavior};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::embedded;
use crate::StoreError;

/// Brings the schema of the file behind `conn` up to date.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let runner = embedded::migrations::runner();
    if is_current(conn, &runner)? {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    runner
        .run(&mut LockedSchema(&tx))
        .context("cannot apply SQLite migrations")?;
    tx.commit()?;
    Ok(())
}

/// Whether the file's history holds exactly the embedded migrations (same versions, names and
/// checksums). Anything else, a divergence included, is left to the locked run, which applies
/// or refuses it.
fn is_current(conn: &Connection, runner: &Runner) -> Result<bool, StoreError> {
    let has_history: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema \
         WHERE type = 'table' AND name = 'refinery_schema_history')",
        [],
        |r| r.get(0),
    )?;
    if !has_history {
        return Ok(false);
    }
    let applied: Vec<(i64, String, String)> = conn
        .prepare("SELECT version, name, checksum FROM refinery_schema_history ORDER BY version")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut embedded: Vec<(i64, String, String)> = runner
        .get_migrations()
        .iter()
        .map(|m| {
            (
                i64::from(m.version()),
                m.name().to_owned(),
                m.checksum().to_string(),
            )
        })
        .collect();
    embedded.sort();
    Ok(applied == embedded)
}

/// A connection inside the caller's write transaction: statements run without a transaction of
/// their own.
struct LockedSchema<'c>(&'c Connection);

impl Transaction for LockedSchema<'_> {
    type Error = rusqlite::Error;

    fn execute<'a, T: Iterator<Item = &'a str>>(
        &mut self,
        queries: T,
    ) -> Result<usize, Self::Error> {
        let mut count = 0;
        for query in queries {
            self.0.execute_batch(query)?;
            count += 1;
        }
        Ok(count)
    }
}

impl Query<Vec<Migration>> for LockedSchema<'_> {
    fn query(&mut self, query: &str) -> Result<Vec<Migration>, Self::Error> {
        let mut statement = self.0.prepare(query)?;
        let mut rows = statement.query([])?;
        let mut applied = Vec::new();
        while let Some(row) = rows.next()? {
            let applied_on: String = row.get(2)?;
            let applied_on =
                OffsetDateTime::parse(&applied_on, &Rfc3339).map_err(|e| conversion_error(2, e))?;
            let checksum: String = row.get(3)?;
            let checksum = checksum
                .parse::<u64>()
                .map_err(|e| conversion_error(3, e))?;
            applied.push(Migration::applied(
                row.get(0)?,
                row.get(1)?,
                applied_on,
                checksum,
            ));
        }
        Ok(applied)
    }
}

impl Migrate for LockedSchema<'_> {}

fn conversion_error(
    column: usize,
    error: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(error))
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::mpsc::{SyncSender, sync_channel};
    use std::sync::{Arc, Barrier, Mutex};
    use std::time::Duration;

    use refinery_core::Target;

    use super::*;
    use crate::sqlite::connect;

    fn applied_versions(path: &Path) -> Vec<i64> {
        connect(path)
            .unwrap()
            .prepare("SELECT version FROM refinery_schema_history ORDER BY version")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Openers released together on one file, each on its own connection, all succeed and
    /// every migration is recorded once.
    fn race_openers(path: &Path) {
        const OPENERS: usize = 4;
        let start = Arc::new(Barrier::new(OPENERS));
        let openers: Vec<_> = (0..OPENERS)
            .map(|_| {
                let start = Arc::clone(&start);
                let path = path.to_owned();
                std::thread::spawn(move || {
                    let mut conn = connect(&path).unwrap();
                    start.wait();
                    migrate(&mut conn)
                })
            })
            .collect();
        for opener in openers {
            opener.join().unwrap().unwrap();
        }
        let mut latest = embedded::migrations::runner()
            .get_migrations()
            .iter()
            .map(|m| i64::from(m.version()))
            .collect::<Vec<_>>();
        // Embedded in file-name order (`V10` before `V2`); applied in version order.
        latest.sort_unstable();
        assert_eq!(applied_versions(path), latest);
    }

    #[test]
    fn openers_of_a_new_file_at_once_apply_each_migration_once() {
        let dir = tempfile::tempdir().unwrap();
        // The interleaving that breaks an unlocked run is not certain in any one round.
        for round in 0..10 {
            race_openers(&dir.path().join(format!("new-{round}.db")));
        }
    }

    #[test]
    fn openers_of_an_old_file_at_once_upgrade_it_once() {
        let dir = tempfile::tempdir().unwrap();
        for round in 0..10 {
            let path = dir.path().join(format!("old-{round}.db"));
            embedded::migrations::runner()
                .set_target(Target::Version(1))
                .run(&mut connect(&path).unwrap())
                .unwrap();
            race_openers(&path);
        }
    }

    /// A current file opens while another process holds the write lock (a long import).
    #[test]
    fn a_current_file_opens_without_the_write_lock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("current.db");
        migrate(&mut connect(&path).unwrap()).unwrap();
        let before = applied_versions(&path);

        let mut importer = connect(&path).unwrap();
        let importer = importer
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        let mut opener = connect(&path).unwrap();
        // Any wait for the lock fails at once.
        opener.busy_timeout(Duration::ZERO).unwrap();
        migrate(&mut opener).unwrap();
        importer.rollback().unwrap();

        assert_eq!(applied_versions(&path), before);
    }

    /// A history that differs from the embedded migrations is not taken for current: the locked
    /// run refuses it.
    #[test]
    fn a_divergent_history_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("divergent.db");
        migrate(&mut connect(&path).unwrap()).unwrap();
        connect(&path)
            .unwrap()
            .execute(
                "UPDATE refinery_schema_history SET checksum = '1' WHERE version = 1",
                [],
            )
            .unwrap();
        let error = migrate(&mut connect(&path).unwrap()).unwrap_err();
        assert!(
            format!("{error:#}").contains("cannot apply SQLite migrations"),
            "{error:#}"
        );
    }

    /// Told once when the opener under test first finds the write lock taken.
    static BLOCKED: Mutex<Option<SyncSender<()>>> = Mutex::new(None);

    fn report_blocked_then_wait(attempts: i32) -> bool {
        if attempts == 0
            && let Some(blocked) = BLOCKED.lock().unwrap().take()
        {
            let _ = blocked.send(());
        }
        std::thread::sleep(Duration::from_millis(1));
        attempts < 10_000
    }

    /// An opener that arrives while another process is migrating waits for it and then finds
    /// nothing to do. Had it read the history before the lock, it would run the second migration
    /// again after the other's commit, and fail on the table that migration creates.
    #[test]
    fn an_opener_waits_for_a_migration_in_progress() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upgrading.db");
        embedded::migrations::runner()
            .set_target(Target::Version(1))
            .run(&mut connect(&path).unwrap())
            .unwrap();

        let mut other = connect(&path).unwrap();
        let other = other
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();

        let (blocked_tx, blocked) = sync_channel(1);
        *BLOCKED.lock().unwrap() = Some(blocked_tx);
        let mut opener = connect(&path).unwrap();
        opener.busy_handler(Some(report_blocked_then_wait)).unwrap();
        let opening = std::thread::spawn(move || migrate(&mut opener));
        blocked
            .recv_timeout(Duration::from_secs(10))
            .expect("the opener never waited for the lock");

        embedded::migrations::runner()
            .run(&mut LockedSchema(&other))
            .unwrap();
        // A name the second migration creates, so that running it twice fails.
        other
            .execute_batch("CREATE TABLE users_v2 (id TEXT)")
            .unwrap();
        other.commit().unwrap();

        opening.join().unwrap().unwrap();
        // Every embedded migration, each once.
        let mut embedded: Vec<i64> = embedded::migrations::runner()
            .get_migrations()
            .iter()
            .map(|m| i64::from(m.version()))
            .collect();
        embedded.sort_unstable();
        assert_eq!(applied_versions(&path), embedded);
    }
}
