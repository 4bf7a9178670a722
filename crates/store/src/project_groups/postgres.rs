//! Project groups in PostgreSQL.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{ProjectGroupRecord, ProjectGroupStore, grant_event, not_granted, rules};
use crate::ids::{GroupId, ProjectId};
use crate::page::{NextQuery, Position};
use crate::postgres::{Change, PostgresStore};
use crate::projects::ProjectRole;
use crate::projects::postgres::{project_in, writable_project_in};
use crate::{Kind, OrgId, StoreError};

const GRANT_COLUMNS: &str = "pg.project_id, pg.group_id, g.name, pg.role, pg.created_at";
const GRANT_FROM: &str =
    "project_groups AS pg JOIN groups AS g ON g.org_id = pg.org_id AND g.id = pg.group_id";

fn grant_from_row(row: &Row) -> Result<ProjectGroupRecord, StoreError> {
    let role: String = row.try_get(3)?;
    Ok(ProjectGroupRecord {
        project_id: ProjectId::from_stored(row.try_get(0)?),
        group_id: GroupId::from_stored(row.try_get(1)?),
        group_name: row.try_get(2)?,
        role: ProjectRole::parse(&role).unwrap_or(ProjectRole::Member),
        created_at: row.try_get(4)?,
    })
}

async fn grant_in(
    client: &impl GenericClient,
    org: &OrgId,
    project: &ProjectId,
    group: &GroupId,
) -> Result<Option<ProjectGroupRecord>, StoreError> {
    let stmt = client
        .prepare_cached(&format!(
            "SELECT {GRANT_COLUMNS} FROM {GRANT_FROM} \
             WHERE pg.org_id = $1 AND pg.project_id = $2 AND pg.group_id = $3"
        ))
        .await?;
    client
        .query_opt(&stmt, &[&org.as_str(), &project.as_str(), &group.as_str()])
        .await?
        .map(|row| grant_from_row(&row))
        .transpose()
}

#[async_trait]
impl ProjectGroupStore for PostgresStore {
    async fn fetch_project_groups(
        &self,
        org: &OrgId,
        project: &ProjectId,
        query: &NextQuery,
    ) -> Result<Vec<(Position, ProjectGroupRecord)>, StoreError> {
        let (at, id) = query.start();
        let client = self.client().await?;
        project_in(&client, org, project).await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {GRANT_COLUMNS} FROM {GRANT_FROM} \
                 WHERE pg.org_id = $1 AND pg.project_id = $2 \
                 AND (pg.created_at, pg.group_id) {cmp} ($3, $4) \
                 ORDER BY pg.created_at {dir}, pg.group_id {dir} LIMIT $5",
                cmp = query.order.after_sql(),
                dir = query.order.sql(),
            ))
            .await?;
        client
            .query(
                &stmt,
                &[&org.as_str(), &project.as_str(), &at, &id, &query.fetch()],
            )
            .await?
            .iter()
            .map(|row| grant_from_row(row).map(|grant| (grant.position(), grant)))
            .collect()
    }

    async fn add_project_group(
        &self,
        org: &OrgId,
        project: &ProjectId,
        group: &GroupId,
        role: &str,
    ) -> Result<ProjectGroupRecord, StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        writable_project_in(&change.tx, org, project).await?;
        let stmt = change
            .tx
            .prepare_cached("SELECT 1 FROM groups WHERE org_id = $1 AND id = $2")
            .await?;
        if change
            .tx
            .query_opt(&stmt, &[&org.as_str(), &group.as_str()])
            .await?
            .is_none()
        {
            return Err(StoreError::UnknownReference {
                param: "group_id",
                kind: Kind::Group,
                id: group.to_string(),
            });
        }
        let role = rules::project_role(project, role)?;
        if let Some(granted) = grant_in(&change.tx, org, project, group).await? {
            return Ok(granted);
        }
        let stmt = change
            .tx
            .prepare_cached(
                "INSERT INTO project_groups (org_id, project_id, group_id, role, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .await?;
        change
            .tx
            .execute(
                &stmt,
                &[
                    &org.as_str(),
                    &project.as_str(),
                    &group.as_str(),
                    &role.as_str(),
                    &change.now,
                ],
            )
            .await?;
        let granted = grant_in(&change.tx, org, project, group)
            .await?
            .ok_or_else(|| not_granted(group))?;
        change.record(grant_event(
            "project.group.added",
            project,
            group,
            Some(role),
        ));
        change.commit().await?;
        Ok(granted)
    }

    async fn get_project_group(
        &self,
        org: &OrgId,
        project: &ProjectId,
        group: &GroupId,
    ) -> Result<ProjectGroupRecord, StoreError> {
        let client = self.client().await?;
        project_in(&client, org, project).await?;
        grant_in(&client, org, project, group)
            .await?
            .ok_or_else(|| not_granted(group))
    }

    async fn remove_project_group(
        &self,
        org: &OrgId,
        project: &ProjectId,
        group: &GroupId,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let record = project_in(&change.tx, org, project).await?;
        grant_in(&change.tx, org, project, group)
            .await?
            .ok_or_else(|| not_granted(group))?;
        crate::projects::rules::writable(&record)?;
        let stmt = change
            .tx
            .prepare_cached(
                "DELETE FROM project_groups WHERE org_id = $1 AND project_id = $2 AND group_id = $3",
            )
            .await?;
        change
            .tx
            .execute(&stmt, &[&org.as_str(), &project.as_str(), &group.as_str()])
            .await?;
        change.record(grant_event("project.group.removed", project, group, None));
        change.commit().await
    }
}
