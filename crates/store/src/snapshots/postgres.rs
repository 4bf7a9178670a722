//! Snapshots and reset in PostgreSQL: each table's rows of the organization as one JSON array
//! (`json_agg`), written and read back inside the database (`json_populate_recordset`), so no
//! row crosses into Rust.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;

use super::{
    STATE_TABLES, SnapshotInfo, SnapshotName, SnapshotStore, clock_after_reset,
    clock_after_restore, no_such_snapshot,
};
use crate::clock::OrgClock;
use crate::ids::ProjectId;
use crate::postgres::{Change, PostgresStore, set_org_clock};
use crate::{OrgId, StoreError};

/// The columns of `table` and its identity column, if any: an identity is numbered afresh
/// (rows are inserted in its order), the other columns are copied.
async fn columns(
    client: &impl GenericClient,
    table: &str,
) -> Result<(Vec<String>, Option<String>), StoreError> {
    let rows = client
        .query(
            "SELECT column_name::text, is_identity = 'YES' FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            &[&table],
        )
        .await?;
    let mut copied = Vec::new();
    let mut identity = None;
    for row in rows {
        let name: String = row.try_get(0)?;
        if row.try_get::<_, bool>(1)? {
            identity = Some(name);
        } else {
            copied.push(name);
        }
    }
    Ok((copied, identity))
}

async fn empty_state(change: &Change<'_>, org: &OrgId) -> Result<(), StoreError> {
    for table in STATE_TABLES.iter().rev() {
        change
            .tx
            .execute(
                &format!("DELETE FROM \"{table}\" WHERE org_id = $1"),
                &[&org.as_str()],
            )
            .await?;
    }
    Ok(())
}

async fn snapshot_info(
    client: &impl GenericClient,
    org: &OrgId,
    name: &SnapshotName,
) -> Result<Option<(SnapshotInfo, OrgClock)>, StoreError> {
    let row = client
        .query_opt(
            "SELECT created_at, clock_frozen_at, clock_offset, clock_floor FROM snapshots \
             WHERE org_id = $1 AND name = $2",
            &[&org.as_str(), &name.as_str()],
        )
        .await?;
    row.map(|row| {
        Ok((
            SnapshotInfo {
                name: name.as_str().to_owned(),
                created_at: row.try_get(0)?,
            },
            OrgClock {
                frozen_at: row.try_get(1)?,
                offset: row.try_get(2)?,
                floor: row.try_get(3)?,
            },
        ))
    })
    .transpose()
}

async fn forget(
    client: &impl GenericClient,
    org: &OrgId,
    name: &SnapshotName,
) -> Result<u64, StoreError> {
    client
        .execute(
            "DELETE FROM snapshot_tables WHERE org_id = $1 AND name = $2",
            &[&org.as_str(), &name.as_str()],
        )
        .await?;
    Ok(client
        .execute(
            "DELETE FROM snapshots WHERE org_id = $1 AND name = $2",
            &[&org.as_str(), &name.as_str()],
        )
        .await?)
}

#[async_trait]
impl SnapshotStore for PostgresStore {
    async fn reset(&self, org: &OrgId) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let change = Change::begin(&mut client, org).await?;
        empty_state(&change, org).await?;
        change
            .tx
            .execute(
                "INSERT INTO projects (org_id, id, name, created_at, is_default) \
                 VALUES ($1, $2, 'Default project', $3, true)",
                &[&org.as_str(), &ProjectId::generate().as_str(), &change.now],
            )
            .await?;
        let kept: i64 = change
            .tx
            .query_one(
                "SELECT coalesce(max(created_at), 0)::bigint FROM admin_keys WHERE org_id = $1",
                &[&org.as_str()],
            )
            .await?
            .try_get(0)?;
        set_org_clock(&change.tx, org, &clock_after_reset(kept)).await?;
        change.commit().await
    }

    async fn save_snapshot(
        &self,
        org: &OrgId,
        name: &SnapshotName,
    ) -> Result<SnapshotInfo, StoreError> {
        let mut client = self.client().await?;
        let change = Change::begin(&mut client, org).await?;
        forget(&change.tx, org, name).await?;
        let clock = change.clock;
        change
            .tx
            .execute(
                "INSERT INTO snapshots (org_id, name, created_at, clock_frozen_at, clock_offset, \
                 clock_floor) VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &org.as_str(),
                    &name.as_str(),
                    &change.now,
                    &clock.frozen_at,
                    &clock.offset,
                    &clock.floor,
                ],
            )
            .await?;
        for table in STATE_TABLES {
            let (copied, identity) = columns(&change.tx, table).await?;
            let order =
                identity.map_or(String::new(), |column| format!(" ORDER BY t.\"{column}\""));
            change
                .tx
                .execute(
                    &format!(
                        "INSERT INTO snapshot_tables (org_id, name, table_name, columns, rows) \
                         SELECT $1, $2, $3, $4, coalesce(json_agg(t{order}), '[]'::json) \
                         FROM \"{table}\" AS t WHERE t.org_id = $1"
                    ),
                    &[&org.as_str(), &name.as_str(), table, &copied],
                )
                .await?;
        }
        let created_at = change.now;
        change.commit().await?;
        Ok(SnapshotInfo {
            name: name.as_str().to_owned(),
            created_at,
        })
    }

    async fn list_snapshots(&self, org: &OrgId) -> Result<Vec<SnapshotInfo>, StoreError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT name, created_at FROM snapshots WHERE org_id = $1 ORDER BY created_at, name",
                &[&org.as_str()],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(SnapshotInfo {
                    name: row.try_get(0)?,
                    created_at: row.try_get(1)?,
                })
            })
            .collect()
    }

    async fn restore_snapshot(
        &self,
        org: &OrgId,
        name: &SnapshotName,
    ) -> Result<SnapshotInfo, StoreError> {
        let mut client = self.client().await?;
        let change = Change::begin(&mut client, org).await?;
        let (info, clock) = snapshot_info(&change.tx, org, name)
            .await?
            .ok_or_else(|| no_such_snapshot(name))?;
        empty_state(&change, org).await?;
        for table in STATE_TABLES {
            let saved = change
                .tx
                .query_opt(
                    "SELECT columns FROM snapshot_tables \
                     WHERE org_id = $1 AND name = $2 AND table_name = $3",
                    &[&org.as_str(), &name.as_str(), table],
                )
                .await?;
            let Some(saved) = saved else { continue };
            let saved: Vec<String> = saved.try_get(0)?;
            let (current, identity) = columns(&change.tx, table).await?;
            let targets: Vec<String> = saved
                .iter()
                .filter(|c| current.contains(c))
                .map(|c| format!("\"{c}\""))
                .collect();
            if targets.is_empty() {
                continue;
            }
            let values: Vec<String> = targets.iter().map(|c| format!("r.{c}")).collect();
            let order =
                identity.map_or(String::new(), |column| format!(" ORDER BY r.\"{column}\""));
            change
                .tx
                .execute(
                    &format!(
                        "INSERT INTO \"{table}\" ({}) SELECT {} FROM snapshot_tables AS s, \
                         json_populate_recordset(NULL::\"{table}\", s.rows) AS r \
                         WHERE s.org_id = $1 AND s.name = $2 AND s.table_name = $3{order}",
                        targets.join(", "),
                        values.join(", ")
                    ),
                    &[&org.as_str(), &name.as_str(), table],
                )
                .await?;
        }
        set_org_clock(
            &change.tx,
            org,
            &clock_after_restore(&clock, info.created_at),
        )
        .await?;
        change.commit().await?;
        Ok(info)
    }

    async fn delete_snapshot(&self, org: &OrgId, name: &SnapshotName) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let change = Change::begin(&mut client, org).await?;
        if forget(&change.tx, org, name).await? == 0 {
            return Err(no_such_snapshot(name));
        }
        change.commit().await
    }
}
