//! Projects and their members in PostgreSQL.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{
    MemberTarget, NewProject, ProjectChange, ProjectMember, ProjectRecord, ProjectRole,
    ProjectStore, Touched, member_event, no_such_project, project_event, rules,
};
use crate::ids::ProjectId;
use crate::page::{FirstList, FirstQuery, Position};
use crate::postgres::{Change, PostgresStore, departures};
use crate::row::POSTGRES_USER_PROJECTS;
use crate::{Kind, OrgId, StoreError};

const PROJECT_COLUMNS: &str =
    "id, name, created_at, archived_at, is_default, external_key_id, residency";

fn project_from_row(row: &Row) -> Result<ProjectRecord, StoreError> {
    Ok(ProjectRecord {
        id: ProjectId::from_stored(row.try_get(0)?),
        name: row.try_get(1)?,
        created_at: row.try_get(2)?,
        archived_at: row.try_get(3)?,
        is_default: row.try_get(4)?,
        external_key_id: row.try_get(5)?,
        residency: row.try_get(6)?,
    })
}

const MEMBER_COLUMNS: &str = "u.id, u.name, u.email, m.role, m.added_at";

fn member_from_row(row: &Row) -> Result<ProjectMember, StoreError> {
    let role: String = row.try_get(3)?;
    Ok(ProjectMember {
        user_id: row.try_get(0)?,
        name: row.try_get(1)?,
        email: row.try_get(2)?,
        role: ProjectRole::parse(&role).unwrap_or(ProjectRole::Member),
        added_at: row.try_get(4)?,
    })
}

/// A project of `org`, archived or not.
pub(crate) async fn project_in(
    client: &impl GenericClient,
    org: &OrgId,
    id: &ProjectId,
) -> Result<ProjectRecord, StoreError> {
    let stmt = client
        .prepare_cached(&format!(
            "SELECT {PROJECT_COLUMNS} FROM projects WHERE org_id = $1 AND id = $2"
        ))
        .await?;
    match client
        .query_opt(&stmt, &[&org.as_str(), &id.as_str()])
        .await?
    {
        Some(row) => project_from_row(&row),
        None => Err(no_such_project(id)),
    }
}

/// A project that may be changed: it exists and is not archived.
pub(crate) async fn writable_project_in(
    client: &impl GenericClient,
    org: &OrgId,
    id: &ProjectId,
) -> Result<ProjectRecord, StoreError> {
    let project = project_in(client, org, id).await?;
    rules::writable(&project)?;
    Ok(project)
}

/// The organization's Default project.
pub(crate) async fn default_project_in(
    client: &impl GenericClient,
    org: &OrgId,
) -> Result<ProjectRecord, StoreError> {
    let stmt = client
        .prepare_cached(&format!(
            "SELECT {PROJECT_COLUMNS} FROM projects WHERE org_id = $1 AND is_default"
        ))
        .await?;
    match client.query_opt(&stmt, &[&org.as_str()]).await? {
        Some(row) => project_from_row(&row),
        None => Err(anyhow::anyhow!("organization {org} has no Default project").into()),
    }
}

async fn member_in(
    client: &impl GenericClient,
    org: &OrgId,
    project: &ProjectId,
    user: &str,
) -> Result<Option<ProjectMember>, StoreError> {
    let stmt = client
        .prepare_cached(&format!(
            "SELECT {MEMBER_COLUMNS} FROM project_users AS m JOIN users AS u \
             ON u.org_id = m.org_id AND u.id = m.user_id AND NOT u.deleted \
             WHERE m.org_id = $1 AND m.project_id = $2 AND m.user_id = $3"
        ))
        .await?;
    client
        .query_opt(&stmt, &[&org.as_str(), &project.as_str(), &user])
        .await?
        .map(|row| member_from_row(&row))
        .transpose()
}

async fn live_member_in(
    client: &impl GenericClient,
    org: &OrgId,
    project: &ProjectId,
    user: &str,
) -> Result<ProjectMember, StoreError> {
    member_in(client, org, project, user)
        .await?
        .ok_or_else(|| StoreError::not_found(Kind::User, user))
}

async fn users_named(
    client: &impl GenericClient,
    org: &OrgId,
    target: &MemberTarget,
) -> Result<(Option<String>, Option<String>), StoreError> {
    let mut by_id = None;
    if let Some(id) = &target.user_id {
        let stmt = client
            .prepare_cached("SELECT id FROM users WHERE org_id = $1 AND id = $2 AND NOT deleted")
            .await?;
        by_id = match client.query_opt(&stmt, &[&org.as_str(), id]).await? {
            Some(row) => Some(row.try_get(0)?),
            None => None,
        };
    }
    let mut by_email = None;
    if let Some(email) = &target.email {
        let stmt = client
            .prepare_cached(
                "SELECT id FROM users WHERE org_id = $1 AND email_folded = $2 AND NOT deleted",
            )
            .await?;
        by_email = match client.query_opt(&stmt, &[&org.as_str(), email]).await? {
            Some(row) => Some(row.try_get(0)?),
            None => None,
        };
    }
    Ok((by_id, by_email))
}

/// Computes the `projects` field of the users a change touched again (`users.projects_data`).
pub(crate) async fn refresh(
    client: &impl GenericClient,
    org: &OrgId,
    touched: Touched<'_>,
) -> Result<(), StoreError> {
    let (which, id) = match touched {
        Touched::User(user) => ("id = $2", user),
        Touched::MembersOf(project) => (
            "id IN (SELECT user_id FROM project_users WHERE org_id = $1 AND project_id = $2)",
            project.as_str(),
        ),
        Touched::Everyone => (
            "NOT deleted AND $2 = '' AND (projects_data IS NOT NULL \
             OR id IN (SELECT user_id FROM project_users WHERE org_id = $1))",
            "",
        ),
    };
    let stmt = client
        .prepare_cached(&format!(
            "UPDATE users SET projects_data = {POSTGRES_USER_PROJECTS} WHERE org_id = $1 AND {which}"
        ))
        .await?;
    client.execute(&stmt, &[&org.as_str(), &id]).await?;
    Ok(())
}

/// Ends `member`'s membership of `project`, keeping its place for cursors.
pub(crate) async fn end_membership(
    change: &mut Change<'_>,
    org: &OrgId,
    project: &ProjectId,
    member: &ProjectMember,
) -> Result<(), StoreError> {
    let stmt = change
        .tx
        .prepare_cached(
            "DELETE FROM project_users WHERE org_id = $1 AND project_id = $2 AND user_id = $3",
        )
        .await?;
    change
        .tx
        .execute(&stmt, &[&org.as_str(), &project.as_str(), &member.user_id])
        .await?;
    departures::record(
        &change.tx,
        org,
        FirstList::PROJECT_USERS,
        project.as_str(),
        &member.position(),
    )
    .await?;
    refresh(&change.tx, org, Touched::User(&member.user_id)).await
}

/// Ends every project membership of `user` (its deletion from the organization, whose event
/// stands for these too, as for its group memberships).
pub(crate) async fn end_memberships_of(
    change: &mut Change<'_>,
    org: &OrgId,
    user: &str,
) -> Result<(), StoreError> {
    let stmt = change
        .tx
        .prepare_cached(
            "SELECT project_id, role, added_at FROM project_users \
             WHERE org_id = $1 AND user_id = $2",
        )
        .await?;
    let rows = change.tx.query(&stmt, &[&org.as_str(), &user]).await?;
    for row in rows {
        let role: String = row.try_get(1)?;
        let member = ProjectMember {
            user_id: user.to_owned(),
            name: None,
            email: None,
            role: ProjectRole::parse(&role).unwrap_or(ProjectRole::Member),
            added_at: row.try_get(2)?,
        };
        let project = ProjectId::from_stored(row.try_get(0)?);
        end_membership(change, org, &project, &member).await?;
    }
    Ok(())
}

/// Writes an imported project line: created or replaced by id. The Default project's line gives
/// the organization's Default project its id (with whatever already belongs to it).
pub(crate) async fn import_project(
    tx: &impl GenericClient,
    org: &OrgId,
    project: &super::ImportedProject<'_>,
) -> Result<(), String> {
    let failed = |e: StoreError| format!("{e}");
    rules::importable(project.is_default, project.archived_at)?;
    let current = default_project_in(tx, org).await.map_err(failed)?;
    let existing = match project_in(tx, org, project.id).await {
        Ok(found) => Some(found),
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => return Err(failed(e)),
    };
    if project.is_default && current.id != *project.id {
        if existing.is_some() {
            return Err(format!(
                "project '{}' exists and is not this organization's Default project",
                project.id
            ));
        }
        rekey(tx, org, &current.id, project.id)
            .await
            .map_err(failed)?;
    } else if !project.is_default && existing.as_ref().is_some_and(|p| p.is_default) {
        return Err(format!(
            "project '{}' is this organization's Default project: its line needs \
             \"is_default\": true",
            project.id
        ));
    }
    let upsert = async {
        let stmt = tx
            .prepare_cached(
                "INSERT INTO projects (org_id, id, name, created_at, archived_at, external_key_id, residency) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_id, id) DO UPDATE SET \
                 name = excluded.name, created_at = excluded.created_at, archived_at = excluded.archived_at, \
                 external_key_id = excluded.external_key_id, residency = excluded.residency",
            )
            .await?;
        tx.execute(
            &stmt,
            &[
                &org.as_str(),
                &project.id.as_str(),
                &project.name.as_str(),
                &project.created_at,
                &project.archived_at,
                &project.external_key_id,
                &project.residency,
            ],
        )
        .await
    };
    upsert.await.map_err(|e| failed(e.into()))?;
    Ok(())
}

/// Gives the Default project `new` as its id: a new row, its children moved, the old row gone.
async fn rekey(
    tx: &impl GenericClient,
    org: &OrgId,
    old: &ProjectId,
    new: &ProjectId,
) -> Result<(), StoreError> {
    let ids: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
        [&org.as_str(), &old.as_str(), &new.as_str()];
    tx.execute(
        "INSERT INTO projects (org_id, id, name, created_at, archived_at, is_default, external_key_id, residency) \
         SELECT org_id, $3, name, created_at, archived_at, false, external_key_id, residency \
         FROM projects WHERE org_id = $1 AND id = $2",
        &ids,
    )
    .await?;
    for table in super::PROJECT_CHILDREN {
        tx.execute(
            &format!("UPDATE {table} SET project_id = $3 WHERE org_id = $1 AND project_id = $2"),
            &ids,
        )
        .await?;
    }
    tx.execute(
        "DELETE FROM projects WHERE org_id = $1 AND id = $2",
        &ids[..2],
    )
    .await?;
    tx.execute(
        "UPDATE projects SET is_default = true WHERE org_id = $1 AND id = $2",
        &[ids[0], ids[2]],
    )
    .await?;
    Ok(())
}

/// Writes an imported membership; the project and the user must exist.
pub(crate) async fn import_member(
    tx: &impl GenericClient,
    org: &OrgId,
    project: &ProjectId,
    user: &str,
    role: ProjectRole,
    added_at: i64,
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO project_users (org_id, project_id, user_id, role, added_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id, project_id, user_id) \
             DO UPDATE SET role = excluded.role, added_at = excluded.added_at",
        )
        .await?;
    tx.execute(
        &stmt,
        &[
            &org.as_str(),
            &project.as_str(),
            &user,
            &role.as_str(),
            &added_at,
        ],
    )
    .await?;
    Ok(())
}

#[async_trait]
impl ProjectStore for PostgresStore {
    async fn fetch_projects(
        &self,
        org: &OrgId,
        query: &FirstQuery,
        include_archived: bool,
    ) -> Result<Vec<(Position, ProjectRecord)>, StoreError> {
        let client = self.client().await?;
        let page = departures::place(
            &client,
            org,
            FirstList::PROJECTS,
            "",
            query,
            "SELECT created_at, id FROM projects WHERE org_id = $1 AND $2 = '' AND id = $3",
        )
        .await?;
        let (at, id) = page.start();
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {PROJECT_COLUMNS} FROM projects WHERE org_id = $1 \
                 AND (created_at, id) > ($2, $3) AND ($4 OR archived_at IS NULL) \
                 ORDER BY created_at, id LIMIT $5"
            ))
            .await?;
        client
            .query(
                &stmt,
                &[&org.as_str(), &at, &id, &include_archived, &page.fetch()],
            )
            .await?
            .iter()
            .map(|row| project_from_row(row).map(|project| (project.position(), project)))
            .collect()
    }

    async fn get_project(&self, org: &OrgId, id: &ProjectId) -> Result<ProjectRecord, StoreError> {
        project_in(&self.client().await?, org, id).await
    }

    async fn create_project(
        &self,
        org: &OrgId,
        project: &NewProject,
    ) -> Result<ProjectRecord, StoreError> {
        let mut project = ProjectRecord {
            id: ProjectId::generate(),
            name: project.name.as_str().to_owned(),
            created_at: 0,
            archived_at: None,
            is_default: false,
            external_key_id: project.external_key_id.clone(),
            residency: project.residency.map(str::to_owned),
        };
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        project.created_at = change.now;
        let stmt = change
            .tx
            .prepare_cached(
                "INSERT INTO projects (org_id, id, name, created_at, external_key_id, residency) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .await?;
        change
            .tx
            .execute(
                &stmt,
                &[
                    &org.as_str(),
                    &project.id.as_str(),
                    &project.name,
                    &project.created_at,
                    &project.external_key_id,
                    &project.residency,
                ],
            )
            .await?;
        change.record(project_event("project.created", &project));
        change.commit().await?;
        Ok(project)
    }

    async fn modify_project(
        &self,
        org: &OrgId,
        id: &ProjectId,
        project_change: &ProjectChange,
    ) -> Result<ProjectRecord, StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let mut project = writable_project_in(&change.tx, org, id).await?;
        if let Some(name) = &project_change.name {
            project.name = name.as_str().to_owned();
        }
        if let Some(key) = &project_change.external_key_id {
            project.external_key_id = Some(key.clone());
        }
        let stmt = change
            .tx
            .prepare_cached(
                "UPDATE projects SET name = $3, external_key_id = $4 \
                 WHERE org_id = $1 AND id = $2",
            )
            .await?;
        change
            .tx
            .execute(
                &stmt,
                &[
                    &org.as_str(),
                    &id.as_str(),
                    &project.name,
                    &project.external_key_id,
                ],
            )
            .await?;
        if project_change.name.is_some() {
            refresh(&change.tx, org, Touched::MembersOf(id)).await?;
        }
        change.record(project_event("project.updated", &project));
        change.commit().await?;
        Ok(project)
    }

    async fn archive_project(
        &self,
        org: &OrgId,
        id: &ProjectId,
    ) -> Result<ProjectRecord, StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let mut project = project_in(&change.tx, org, id).await?;
        rules::archivable(&project)?;
        if project.archived_at.is_some() {
            return Ok(project);
        }
        project.archived_at = Some(change.now);
        let stmt = change
            .tx
            .prepare_cached("UPDATE projects SET archived_at = $3 WHERE org_id = $1 AND id = $2")
            .await?;
        change
            .tx
            .execute(&stmt, &[&org.as_str(), &id.as_str(), &project.archived_at])
            .await?;
        refresh(&change.tx, org, Touched::MembersOf(id)).await?;
        change.record(project_event("project.archived", &project));
        change.commit().await?;
        Ok(project)
    }

    async fn fetch_project_users(
        &self,
        org: &OrgId,
        project: &ProjectId,
        query: &FirstQuery,
    ) -> Result<Vec<(Position, ProjectMember)>, StoreError> {
        let client = self.client().await?;
        project_in(&client, org, project).await?;
        let page = departures::place(
            &client,
            org,
            FirstList::PROJECT_USERS,
            project.as_str(),
            query,
            "SELECT added_at, user_id FROM project_users \
             WHERE org_id = $1 AND project_id = $2 AND user_id = $3",
        )
        .await?;
        let (at, id) = page.start();
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {MEMBER_COLUMNS} FROM project_users AS m JOIN users AS u \
                 ON u.org_id = m.org_id AND u.id = m.user_id AND NOT u.deleted \
                 WHERE m.org_id = $1 AND m.project_id = $2 AND (m.added_at, m.user_id) > ($3, $4) \
                 ORDER BY m.added_at, m.user_id LIMIT $5"
            ))
            .await?;
        client
            .query(
                &stmt,
                &[&org.as_str(), &project.as_str(), &at, &id, &page.fetch()],
            )
            .await?
            .iter()
            .map(|row| member_from_row(row).map(|member| (member.position(), member)))
            .collect()
    }

    async fn add_project_user(
        &self,
        org: &OrgId,
        project: &ProjectId,
        target: &MemberTarget,
        role: ProjectRole,
    ) -> Result<ProjectMember, StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let record = writable_project_in(&change.tx, org, project).await?;
        let (by_id, by_email) = users_named(&change.tx, org, target).await?;
        let user = rules::one_user(target, by_id, by_email)?;
        let already = member_in(&change.tx, org, project, &user).await?.is_some();
        rules::not_yet_member(target, &record, &user, already)?;
        let stmt = change
            .tx
            .prepare_cached(
                "INSERT INTO project_users (org_id, project_id, user_id, role, added_at) \
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
                    &user,
                    &role.as_str(),
                    &change.now,
                ],
            )
            .await?;
        refresh(&change.tx, org, Touched::User(&user)).await?;
        let member = live_member_in(&change.tx, org, project, &user).await?;
        change.record(member_event(
            "project.user.added",
            project,
            &user,
            Some(role),
        ));
        change.commit().await?;
        Ok(member)
    }

    async fn get_project_user(
        &self,
        org: &OrgId,
        project: &ProjectId,
        user: &str,
    ) -> Result<ProjectMember, StoreError> {
        let client = self.client().await?;
        project_in(&client, org, project).await?;
        live_member_in(&client, org, project, user).await
    }

    async fn modify_project_user(
        &self,
        org: &OrgId,
        project: &ProjectId,
        user: &str,
        role: ProjectRole,
    ) -> Result<ProjectMember, StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        // CONTRACT.md: what the path names must exist (404) before a rule refuses (400).
        let record = project_in(&change.tx, org, project).await?;
        let mut member = live_member_in(&change.tx, org, project, user).await?;
        rules::writable(&record)?;
        member.role = role;
        let stmt = change
            .tx
            .prepare_cached(
                "UPDATE project_users SET role = $4 \
                 WHERE org_id = $1 AND project_id = $2 AND user_id = $3",
            )
            .await?;
        change
            .tx
            .execute(
                &stmt,
                &[&org.as_str(), &project.as_str(), &user, &role.as_str()],
            )
            .await?;
        refresh(&change.tx, org, Touched::User(user)).await?;
        change.record(member_event(
            "project.user.updated",
            project,
            user,
            Some(role),
        ));
        change.commit().await?;
        Ok(member)
    }

    async fn remove_project_user(
        &self,
        org: &OrgId,
        project: &ProjectId,
        user: &str,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let record = project_in(&change.tx, org, project).await?;
        let member = live_member_in(&change.tx, org, project, user).await?;
        rules::writable(&record)?;
        end_membership(&mut change, org, project, &member).await?;
        change.record(member_event("project.user.removed", project, user, None));
        change.commit().await
    }
}
