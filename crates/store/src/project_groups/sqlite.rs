//! Project groups in SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{ProjectGroupRecord, ProjectGroupStore, grant_event, not_granted, rules};
use crate::ids::{GroupId, ProjectId};
use crate::page::{NextQuery, Position};
use crate::projects::ProjectRole;
use crate::projects::sqlite::{project_in, writable_project_in};
use crate::sqlite::{SqliteStore, org_seq};
use crate::{Kind, OrgId, StoreError};

const GRANT_COLUMNS: &str = "pg.project_id, pg.group_id, g.name, pg.role, pg.created_at";
const GRANT_FROM: &str =
    "project_groups AS pg JOIN groups AS g ON g.org = pg.org AND g.id = pg.group_id";

fn grant_from_row(row: &Row<'_>) -> rusqlite::Result<ProjectGroupRecord> {
    let role: String = row.get(3)?;
    Ok(ProjectGroupRecord {
        project_id: ProjectId::from_stored(row.get(0)?),
        group_id: GroupId::from_stored(row.get(1)?),
        group_name: row.get(2)?,
        role: ProjectRole::parse(&role).unwrap_or(ProjectRole::Member),
        created_at: row.get(4)?,
    })
}

fn grant_in(
    conn: &Connection,
    org: i64,
    project: &ProjectId,
    group: &GroupId,
) -> Result<Option<ProjectGroupRecord>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {GRANT_COLUMNS} FROM {GRANT_FROM} \
             WHERE pg.org = ?1 AND pg.project_id = ?2 AND pg.group_id = ?3"
        ))?
        .query_row(
            params![org, project.as_str(), group.as_str()],
            grant_from_row,
        )
        .optional()?)
}

#[async_trait]
impl ProjectGroupStore for SqliteStore {
    async fn fetch_project_groups(
        &self,
        org: &OrgId,
        project: &ProjectId,
        query: &NextQuery,
    ) -> Result<Vec<(Position, ProjectGroupRecord)>, StoreError> {
        let (at, id) = query.start();
        let sql = format!(
            "SELECT {GRANT_COLUMNS} FROM {GRANT_FROM} WHERE pg.org = ?1 AND pg.project_id = ?2 \
             AND (pg.created_at, pg.group_id) {cmp} (?3, ?4) \
             ORDER BY pg.created_at {dir}, pg.group_id {dir} LIMIT ?5",
            cmp = query.order.after_sql(),
            dir = query.order.sql(),
        );
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            project_in(conn, seq, project)?;
            let rows = conn
                .prepare_cached(&sql)?
                .query_map(
                    params![seq, project.as_str(), at, id, query.fetch()],
                    grant_from_row,
                )?
                .map(|grant| grant.map(|grant| (grant.position(), grant)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    async fn add_project_group(
        &self,
        org: &OrgId,
        project: &ProjectId,
        group: &GroupId,
        role: &str,
    ) -> Result<ProjectGroupRecord, StoreError> {
        let (project, group, role) = (project.clone(), group.clone(), role.to_owned());
        self.change(org, move |change| {
            writable_project_in(change.tx, change.org, &project)?;
            let exists = change
                .tx
                .prepare_cached("SELECT 1 FROM groups WHERE org = ?1 AND id = ?2")?
                .query_row(params![change.org, group.as_str()], |_| Ok(()))
                .optional()?
                .is_some();
            if !exists {
                return Err(StoreError::UnknownReference {
                    param: "group_id",
                    kind: Kind::Group,
                    id: group.to_string(),
                });
            }
            let role = rules::project_role(&project, &role)?;
            if let Some(granted) = grant_in(change.tx, change.org, &project, &group)? {
                return Ok(granted);
            }
            change
                .tx
                .prepare_cached(
                    "INSERT INTO project_groups (org, project_id, group_id, role, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    change.org,
                    project.as_str(),
                    group.as_str(),
                    role.as_str(),
                    change.now
                ])?;
            change.record(grant_event(
                "project.group.added",
                &project,
                &group,
                Some(role),
            ));
            grant_in(change.tx, change.org, &project, &group)?.ok_or_else(|| not_granted(&group))
        })
        .await
    }

    async fn get_project_group(
        &self,
        org: &OrgId,
        project: &ProjectId,
        group: &GroupId,
    ) -> Result<ProjectGroupRecord, StoreError> {
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            project_in(conn, seq, project)?;
            grant_in(conn, seq, project, group)?.ok_or_else(|| not_granted(group))
        })
    }

    async fn remove_project_group(
        &self,
        org: &OrgId,
        project: &ProjectId,
        group: &GroupId,
    ) -> Result<(), StoreError> {
        let (project, group) = (project.clone(), group.clone());
        self.change(org, move |change| {
            let record = project_in(change.tx, change.org, &project)?;
            grant_in(change.tx, change.org, &project, &group)?.ok_or_else(|| not_granted(&group))?;
            crate::projects::rules::writable(&record)?;
            change
                .tx
                .prepare_cached(
                    "DELETE FROM project_groups WHERE org = ?1 AND project_id = ?2 AND group_id = ?3",
                )?
                .execute(params![change.org, project.as_str(), group.as_str()])?;
            change.record(grant_event(
                "project.group.removed",
                &project,
                &group,
                None,
            ));
            Ok(())
        })
        .await
    }
}
