//! Snapshots and reset in SQLite.
//!
//! Each state table has a mirror, `snapshot_rows_<table>`: the same columns (no constraints),
//! `snapshot_seq` and `source_rowid` (the row's place in its table, which a restore keeps),
//! indexed by the snapshot and the table's key. Saving copies the
//! organization's rows into the mirrors; restoring compares them with the live rows by key and
//! changes only what differs (deletes the live rows that match no saved row exactly, inserts
//! the saved rows that match no live row), so a restore costs little more than reading both
//! sides when a test changed a few objects since the save. All of it runs inside SQLite: no row
//! crosses into Rust.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{
    MIRROR_PREFIX, STATE_TABLES, SnapshotInfo, SnapshotName, SnapshotStore, clock_after_reset,
    clock_after_restore, no_such_snapshot,
};
use crate::clock::OrgClock;
use crate::ids::ProjectId;
use crate::sqlite::{Change, SqliteStore, move_pending_entries, org_seq, set_org_clock};
use crate::{OrgId, StoreError};

/// A column of a state table.
struct Column {
    name: String,
    kind: String,
    default: Option<String>,
}

/// What a snapshot copies of a state table, read from its schema.
struct TableShape {
    /// Every column but an `INTEGER PRIMARY KEY`, which is the rowid itself: such rows are
    /// copied in rowid order and numbered afresh.
    columns: Vec<Column>,
    /// The columns of its primary key or first unique index, which the restore matches rows
    /// by; `None` (the key is the rowid) empties and refills the table instead.
    key: Option<Vec<String>>,
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn table_shape(conn: &Connection, table: &str) -> Result<TableShape, StoreError> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({})", quoted(table)))?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                Column {
                    name: r.get(1)?,
                    kind: r.get(2)?,
                    default: r.get(4)?,
                },
                r.get::<_, i64>(5)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let primary: Vec<(i64, String)> = rows
        .iter()
        .filter(|(_, pk)| *pk > 0)
        .map(|(c, pk)| (*pk, c.name.clone()))
        .collect();
    let rowid_alias = primary.len() == 1
        && rows
            .iter()
            .any(|(c, pk)| *pk == 1 && c.kind.eq_ignore_ascii_case("INTEGER"));
    let key = if rowid_alias {
        None
    } else if !primary.is_empty() {
        let mut primary = primary;
        primary.sort();
        Some(primary.into_iter().map(|(_, name)| name).collect())
    } else {
        first_unique_index(conn, table)?
    };
    Ok(TableShape {
        columns: rows
            .into_iter()
            .filter(|(_, pk)| !(rowid_alias && *pk == 1))
            .map(|(c, _)| c)
            .collect(),
        key,
    })
}

/// The columns of the table's first full (not partial) unique index.
fn first_unique_index(conn: &Connection, table: &str) -> Result<Option<Vec<String>>, StoreError> {
    let mut stmt = conn.prepare(&format!("PRAGMA index_list({})", quoted(table)))?;
    let indexes = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, bool>(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (index, unique, partial) in indexes {
        if unique && !partial {
            let mut stmt = conn.prepare(&format!("PRAGMA index_info({})", quoted(&index)))?;
            let columns = stmt
                .query_map([], |r| r.get::<_, Option<String>>(2))?
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(columns) = columns.into_iter().collect::<Option<Vec<_>>>() {
                return Ok(Some(columns));
            }
        }
    }
    Ok(None)
}

/// Makes every mirror table and gives it the columns its state table has gained (with the same
/// default, so that rows saved before a migration restore with it). Runs when a store opens.
pub(crate) fn sync_mirrors(tx: &Transaction<'_>) -> Result<(), StoreError> {
    for table in STATE_TABLES {
        let shape = table_shape(tx, table)?;
        let mirror = format!("{MIRROR_PREFIX}{table}");
        let existing: Vec<String> = tx
            .prepare(&format!("PRAGMA table_info({})", quoted(&mirror)))?
            .query_map([], |r| r.get(1))?
            .collect::<Result<_, _>>()?;
        let declare = |c: &Column| match &c.default {
            Some(default) => format!("{} {} DEFAULT {default}", quoted(&c.name), c.kind),
            None => format!("{} {}", quoted(&c.name), c.kind),
        };
        if existing.is_empty() {
            let columns: Vec<String> = shape.columns.iter().map(declare).collect();
            tx.execute_batch(&format!(
                "CREATE TABLE {} (snapshot_seq INTEGER NOT NULL, source_rowid INTEGER, {})",
                quoted(&mirror),
                columns.join(", ")
            ))?;
            let key = shape
                .key
                .as_ref()
                .map(|key| key.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(", "));
            let indexed = match key {
                Some(key) => format!("snapshot_seq, {key}"),
                None => "snapshot_seq".to_owned(),
            };
            tx.execute_batch(&format!(
                "CREATE INDEX {} ON {} ({indexed})",
                quoted(&format!("{mirror}_key")),
                quoted(&mirror)
            ))?;
        } else {
            if !existing.iter().any(|c| c == "source_rowid") {
                tx.execute_batch(&format!(
                    "ALTER TABLE {} ADD COLUMN source_rowid INTEGER",
                    quoted(&mirror)
                ))?;
            }
            for column in shape.columns.iter().filter(|c| !existing.contains(&c.name)) {
                tx.execute_batch(&format!(
                    "ALTER TABLE {} ADD COLUMN {}",
                    quoted(&mirror),
                    declare(column)
                ))?;
            }
        }
    }
    Ok(())
}

/// Deletes the organization's rows of every state table, those that refer to others first.
fn empty_state(change: &Change<'_>) -> Result<(), StoreError> {
    for table in STATE_TABLES.iter().rev() {
        change.tx.execute(
            &format!("DELETE FROM {} WHERE org = ?1", quoted(table)),
            [change.org],
        )?;
    }
    Ok(())
}

/// The latest creation among the organization's admin keys, which a reset keeps.
fn latest_kept(conn: &Connection, org: &OrgId) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT coalesce(max(created_at), 0) FROM admin_keys WHERE org_id = ?1",
        [org.as_str()],
        |r| r.get(0),
    )?)
}

/// A saved snapshot: its `seq`, what it shows, and the clock it saved.
fn snapshot_of(
    conn: &Connection,
    org: i64,
    name: &SnapshotName,
) -> Result<Option<(i64, SnapshotInfo, OrgClock)>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT seq, created_at, clock_frozen_at, clock_offset, clock_floor FROM snapshots \
             WHERE org = ?1 AND name = ?2",
        )?
        .query_row(params![org, name.as_str()], |r| {
            Ok((
                r.get(0)?,
                SnapshotInfo {
                    name: name.as_str().to_owned(),
                    created_at: r.get(1)?,
                },
                OrgClock {
                    frozen_at: r.get(2)?,
                    offset: r.get(3)?,
                    floor: r.get(4)?,
                },
            ))
        })
        .optional()?)
}

/// Deletes a snapshot and its rows; whether there was one.
fn forget(tx: &Transaction<'_>, org: i64, name: &SnapshotName) -> Result<bool, StoreError> {
    let Some((seq, _, _)) = snapshot_of(tx, org, name)? else {
        return Ok(false);
    };
    for table in STATE_TABLES {
        tx.execute(
            &format!(
                "DELETE FROM {} WHERE snapshot_seq = ?1",
                quoted(&format!("{MIRROR_PREFIX}{table}"))
            ),
            [seq],
        )?;
    }
    tx.execute("DELETE FROM snapshots WHERE seq = ?1", [seq])?;
    Ok(true)
}

fn save(change: &Change<'_>, name: &SnapshotName) -> Result<SnapshotInfo, StoreError> {
    let tx = change.tx;
    forget(tx, change.org, name)?;
    let clock = change.clock;
    tx.execute(
        "INSERT INTO snapshots (org, name, created_at, clock_frozen_at, clock_offset, clock_floor) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            change.org,
            name.as_str(),
            change.now,
            clock.frozen_at,
            clock.offset,
            clock.floor
        ],
    )?;
    let seq = tx.last_insert_rowid();
    for table in STATE_TABLES {
        let shape = table_shape(tx, table)?;
        let columns: Vec<String> = shape.columns.iter().map(|c| quoted(&c.name)).collect();
        let columns = columns.join(", ");
        // Copied in key order, the mirror's index is appended to rather than searched for
        // every row (half the time of the rowid order); `source_rowid` keeps the table's own
        // order for the restore.
        let order = match &shape.key {
            Some(key) => key.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(", "),
            None => "rowid".to_owned(),
        };
        tx.execute(
            &format!(
                "INSERT INTO {} (snapshot_seq, source_rowid, {columns}) \
                 SELECT ?2, rowid, {columns} FROM {} WHERE org = ?1 ORDER BY {order}",
                quoted(&format!("{MIRROR_PREFIX}{table}")),
                quoted(table)
            ),
            params![change.org, seq],
        )?;
    }
    Ok(SnapshotInfo {
        name: name.as_str().to_owned(),
        created_at: change.now,
    })
}

/// Makes the organization's rows of every state table the snapshot's, changing only what
/// differs where a table has a key: live rows that match no saved row in every column go
/// (those that refer to others first), then saved rows that match no live row come back, in
/// the order they were saved.
fn restore(change: &Change<'_>, seq: i64) -> Result<(), StoreError> {
    let tx = change.tx;
    let shapes = STATE_TABLES
        .iter()
        .map(|table| Ok((*table, table_shape(tx, table)?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    for (table, shape) in shapes.iter().rev() {
        let mirror = quoted(&format!("{MIRROR_PREFIX}{table}"));
        let sql = match &shape.key {
            Some(_) => {
                let same: Vec<String> = shape
                    .columns
                    .iter()
                    .map(|c| format!("s.{0} IS t.{0}", quoted(&c.name)))
                    .collect();
                format!(
                    "DELETE FROM {} AS t WHERE t.org = ?1 AND NOT EXISTS (SELECT 1 FROM {mirror} \
                     AS s WHERE s.snapshot_seq = ?2 AND {})",
                    quoted(table),
                    same.join(" AND ")
                )
            }
            None => format!(
                "DELETE FROM {} WHERE org = ?1 AND ?2 IS NOT NULL",
                quoted(table)
            ),
        };
        tx.execute(&sql, params![change.org, seq])?;
    }
    for (table, shape) in &shapes {
        let mirror = quoted(&format!("{MIRROR_PREFIX}{table}"));
        let columns: Vec<String> = shape.columns.iter().map(|c| quoted(&c.name)).collect();
        let saved: Vec<String> = columns.iter().map(|c| format!("s.{c}")).collect();
        let missing = match &shape.key {
            Some(_) => {
                let same: Vec<String> = columns.iter().map(|c| format!("l.{c} IS s.{c}")).collect();
                format!(
                    " AND NOT EXISTS (SELECT 1 FROM {} AS l WHERE l.org = ?1 AND {})",
                    quoted(table),
                    same.join(" AND ")
                )
            }
            None => " AND ?1 IS NOT NULL".to_owned(),
        };
        tx.execute(
            &format!(
                "INSERT INTO {} ({}) SELECT {} FROM {mirror} AS s WHERE s.snapshot_seq = ?2{missing} \
                 ORDER BY s.source_rowid",
                quoted(table),
                columns.join(", "),
                saved.join(", ")
            ),
            params![change.org, seq],
        )?;
    }
    Ok(())
}

/// Runs `f` with the page cache an import uses: a snapshot reads and writes every row of the
/// organization, which the default cache would read from the file again and again.
fn with_large_cache<T>(
    change: &Change<'_>,
    f: impl FnOnce(&Change<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    use crate::users::sqlite::{DEFAULT_CACHE_KIB, IMPORT_CACHE_KIB};
    change
        .tx
        .pragma_update(None, "cache_size", IMPORT_CACHE_KIB)?;
    let result = f(change);
    change
        .tx
        .pragma_update(None, "cache_size", DEFAULT_CACHE_KIB)?;
    result
}

#[async_trait]
impl SnapshotStore for SqliteStore {
    async fn reset(&self, org: &OrgId) -> Result<(), StoreError> {
        let org_id = org.clone();
        self.change(org, move |change| {
            move_pending_entries(change.tx)?;
            empty_state(change)?;
            change.tx.execute(
                "INSERT INTO projects (org, id, name, created_at, is_default) \
                 VALUES (?1, ?2, 'Default project', ?3, 1)",
                params![change.org, ProjectId::generate().as_str(), change.now],
            )?;
            let clock = clock_after_reset(latest_kept(change.tx, &org_id)?);
            set_org_clock(change.tx, change.org, &clock)?;
            Ok(())
        })
        .await
    }

    async fn save_snapshot(
        &self,
        org: &OrgId,
        name: &SnapshotName,
    ) -> Result<SnapshotInfo, StoreError> {
        let name = name.clone();
        self.change(org, move |change| {
            move_pending_entries(change.tx)?;
            with_large_cache(change, |change| save(change, &name))
        })
        .await
    }

    async fn list_snapshots(&self, org: &OrgId) -> Result<Vec<SnapshotInfo>, StoreError> {
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            let mut stmt = conn.prepare_cached(
                "SELECT name, created_at FROM snapshots WHERE org = ?1 ORDER BY created_at, name",
            )?;
            let found = stmt
                .query_map([seq], |r| {
                    Ok(SnapshotInfo {
                        name: r.get(0)?,
                        created_at: r.get(1)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(found)
        })
    }

    async fn restore_snapshot(
        &self,
        org: &OrgId,
        name: &SnapshotName,
    ) -> Result<SnapshotInfo, StoreError> {
        let name = name.clone();
        self.change(org, move |change| {
            let (seq, info, clock) = snapshot_of(change.tx, change.org, &name)?
                .ok_or_else(|| no_such_snapshot(&name))?;
            move_pending_entries(change.tx)?;
            // A parent row that differs goes and comes back while its unchanged children stay:
            // foreign keys are checked once the restore is whole.
            change.tx.execute_batch("PRAGMA defer_foreign_keys = ON")?;
            let restored = with_large_cache(change, |change| restore(change, seq));
            change.tx.execute_batch("PRAGMA defer_foreign_keys = OFF")?;
            restored?;
            set_org_clock(
                change.tx,
                change.org,
                &clock_after_restore(&clock, info.created_at),
            )?;
            Ok(info)
        })
        .await
    }

    async fn delete_snapshot(&self, org: &OrgId, name: &SnapshotName) -> Result<(), StoreError> {
        let name = name.clone();
        self.change(org, move |change| {
            if forget(change.tx, change.org, &name)? {
                Ok(())
            } else {
                Err(no_such_snapshot(&name))
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::NOT_STATE;
    use super::*;

    /// Every table that holds rows of an organization is either part of its state or named as
    /// not part of it, so that a new table cannot be left out of snapshots by accident; and
    /// every state table has its mirror.
    #[tokio::test]
    async fn every_table_with_organization_rows_is_accounted_for() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).await.unwrap();
        let tables: Vec<String> = store
            .read_here(|conn| {
                let mut stmt = conn.prepare(
                    "SELECT m.name FROM sqlite_master AS m \
                     WHERE m.type = 'table' AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) \
                     WHERE name IN ('org', 'org_id')) ORDER BY m.name",
                )?;
                let names = stmt
                    .query_map([], |r| r.get(0))?
                    .collect::<Result<Vec<String>, _>>()?;
                Ok(names)
            })
            .unwrap();
        let unaccounted: Vec<&String> = tables
            .iter()
            .filter(|t| {
                !STATE_TABLES.contains(&t.as_str())
                    && !NOT_STATE.contains(&t.as_str())
                    && !t.starts_with(MIRROR_PREFIX)
            })
            .collect();
        assert!(unaccounted.is_empty(), "{unaccounted:?}");
        for table in STATE_TABLES {
            assert!(
                tables.contains(&format!("{MIRROR_PREFIX}{table}")),
                "{table} has no mirror"
            );
        }
    }

    /// A column added to a state table after snapshots were saved is added to its mirror with
    /// its default, when the store opens again.
    #[tokio::test]
    async fn mirrors_follow_new_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        drop(SqliteStore::open(&path).await.unwrap());
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("ALTER TABLE groups ADD COLUMN colour TEXT NOT NULL DEFAULT 'blue'")
                .unwrap();
        }
        let store = SqliteStore::open(&path).await.unwrap();
        let default: Option<String> = store
            .read_here(|conn| {
                Ok(conn.query_row(
                    "SELECT dflt_value FROM pragma_table_info('snapshot_rows_groups') \
                     WHERE name = 'colour'",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(default.as_deref(), Some("'blue'"));
    }
}
