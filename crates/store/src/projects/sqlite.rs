//! Projects and their members in SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{
    MemberTarget, NewProject, ProjectChange, ProjectMember, ProjectRecord, ProjectRole,
    ProjectStore, Touched, member_event, no_such_project, project_event, rules,
};
use crate::ids::ProjectId;
use crate::page::{FirstList, FirstQuery, Position};
use crate::row::SQLITE_USER_PROJECTS;
use crate::sqlite::{Change, SqliteStore, departures, org_seq};
use crate::{Kind, OrgId, StoreError};

const PROJECT_COLUMNS: &str =
    "id, name, created_at, archived_at, is_default, external_key_id, residency";

fn project_from_row(row: &Row<'_>) -> rusqlite::Result<ProjectRecord> {
    Ok(ProjectRecord {
        id: ProjectId::from_stored(row.get(0)?),
        name: row.get(1)?,
        created_at: row.get(2)?,
        archived_at: row.get(3)?,
        is_default: row.get::<_, i64>(4)? != 0,
        external_key_id: row.get(5)?,
        residency: row.get(6)?,
    })
}

const MEMBER_COLUMNS: &str = "u.id, u.name, u.email, m.role, m.added_at";

fn member_from_row(row: &Row<'_>) -> rusqlite::Result<ProjectMember> {
    let role: String = row.get(3)?;
    Ok(ProjectMember {
        user_id: row.get(0)?,
        name: row.get(1)?,
        email: row.get(2)?,
        role: ProjectRole::parse(&role).unwrap_or(ProjectRole::Member),
        added_at: row.get(4)?,
    })
}

/// A project of the organization `org` (its seq), archived or not.
pub(crate) fn project_in(
    conn: &Connection,
    org: i64,
    id: &ProjectId,
) -> Result<ProjectRecord, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {PROJECT_COLUMNS} FROM projects WHERE org = ?1 AND id = ?2"
    ))?
    .query_row(params![org, id.as_str()], project_from_row)
    .optional()?
    .ok_or_else(|| no_such_project(id))
}

/// A project that may be changed: it exists and is not archived.
pub(crate) fn writable_project_in(
    conn: &Connection,
    org: i64,
    id: &ProjectId,
) -> Result<ProjectRecord, StoreError> {
    let project = project_in(conn, org, id)?;
    rules::writable(&project)?;
    Ok(project)
}

/// The organization's Default project.
pub(crate) fn default_project_in(conn: &Connection, org: i64) -> Result<ProjectRecord, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {PROJECT_COLUMNS} FROM projects WHERE org = ?1 AND is_default = 1"
    ))?
    .query_row(params![org], project_from_row)
    .optional()?
    .ok_or_else(|| anyhow::anyhow!("organization {org} has no Default project").into())
}

fn member_in(
    conn: &Connection,
    org: i64,
    project: &ProjectId,
    user: &str,
) -> Result<Option<ProjectMember>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {MEMBER_COLUMNS} FROM project_users AS m JOIN users AS u \
             ON u.org = m.org AND u.id = m.user_id AND u.deleted = 0 \
             WHERE m.org = ?1 AND m.project_id = ?2 AND m.user_id = ?3"
        ))?
        .query_row(params![org, project.as_str(), user], member_from_row)
        .optional()?)
}

fn live_member_in(
    conn: &Connection,
    org: i64,
    project: &ProjectId,
    user: &str,
) -> Result<ProjectMember, StoreError> {
    member_in(conn, org, project, user)?.ok_or_else(|| StoreError::not_found(Kind::User, user))
}

/// The live user with this id, and the one with this folded email.
fn users_named(
    conn: &Connection,
    org: i64,
    target: &MemberTarget,
) -> Result<(Option<String>, Option<String>), StoreError> {
    let by_id = match &target.user_id {
        None => None,
        Some(id) => conn
            .prepare_cached("SELECT id FROM users WHERE org = ?1 AND id = ?2 AND deleted = 0")?
            .query_row(params![org, id], |r| r.get(0))
            .optional()?,
    };
    let by_email = match &target.email {
        None => None,
        Some(email) => conn
            .prepare_cached(
                "SELECT id FROM users WHERE org = ?1 AND email_folded = ?2 AND deleted = 0",
            )?
            .query_row(params![org, email], |r| r.get(0))
            .optional()?,
    };
    Ok((by_id, by_email))
}

/// Adds the new users of an import to the organization's Default project, owners as owners and
/// readers as members (CONTRACT.md: unless their line gives `projects`).
pub(crate) struct DefaultMemberships<'t> {
    insert: rusqlite::Statement<'t>,
    org: i64,
    project: ProjectId,
}

impl<'t> DefaultMemberships<'t> {
    /// Prepares the inserts into `org`'s Default project.
    pub(crate) fn start(conn: &'t Connection, org: i64) -> Result<Self, StoreError> {
        Ok(Self {
            insert: conn.prepare(
                "INSERT INTO project_users (org, project_id, user_id, role, added_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            )?,
            org,
            project: default_project_in(conn, org)?.id,
        })
    }

    /// Makes `user`, new to the organization with `role`, a member from `added_at`.
    pub(crate) fn join(
        &mut self,
        user: &str,
        role: crate::Role,
        added_at: i64,
    ) -> Result<(), StoreError> {
        self.insert.execute(params![
            self.org,
            self.project.as_str(),
            user,
            ProjectRole::default_for(role).as_str(),
            added_at
        ])?;
        Ok(())
    }
}

/// Computes the `projects` field of the users a change touched again (`users.projects_data`).
pub(crate) fn refresh(conn: &Connection, org: i64, touched: Touched<'_>) -> Result<(), StoreError> {
    let (which, id) = match touched {
        Touched::User(user) => ("id = ?2", user),
        Touched::MembersOf(project) => (
            "id IN (SELECT user_id FROM project_users WHERE org = ?1 AND project_id = ?2)",
            project.as_str(),
        ),
        Touched::Everyone => (
            "deleted = 0 AND ?2 = '' AND (projects_data IS NOT NULL \
             OR id IN (SELECT user_id FROM project_users WHERE org = ?1))",
            "",
        ),
    };
    conn.prepare_cached(&format!(
        "UPDATE users SET projects_data = {SQLITE_USER_PROJECTS} WHERE org = ?1 AND {which}"
    ))?
    .execute(params![org, id])?;
    Ok(())
}

/// Ends `user`'s membership of `project`, keeping its place for cursors.
pub(crate) fn end_membership(
    change: &mut Change<'_>,
    project: &ProjectId,
    member: &ProjectMember,
) -> Result<(), StoreError> {
    change
        .tx
        .prepare_cached(
            "DELETE FROM project_users WHERE org = ?1 AND project_id = ?2 AND user_id = ?3",
        )?
        .execute(params![change.org, project.as_str(), member.user_id])?;
    departures::record(
        change.tx,
        change.org,
        FirstList::PROJECT_USERS,
        project.as_str(),
        &member.position(),
    )?;
    refresh(change.tx, change.org, Touched::User(&member.user_id))
}

/// Ends every project membership of `user` (its deletion from the organization, whose event
/// stands for these too, as for its group memberships).
pub(crate) fn end_memberships_of(change: &mut Change<'_>, user: &str) -> Result<(), StoreError> {
    let memberships = change
        .tx
        .prepare_cached(
            "SELECT project_id, role, added_at FROM project_users WHERE org = ?1 AND user_id = ?2",
        )?
        .query_map(params![change.org, user], |r| {
            let role: String = r.get(1)?;
            Ok((
                ProjectId::from_stored(r.get(0)?),
                ProjectMember {
                    user_id: user.to_owned(),
                    name: None,
                    email: None,
                    role: ProjectRole::parse(&role).unwrap_or(ProjectRole::Member),
                    added_at: r.get(2)?,
                },
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (project, member) in memberships {
        end_membership(change, &project, &member)?;
    }
    Ok(())
}

/// Writes an imported project line: created or replaced by id. The Default project's line gives
/// the organization's Default project its id (with whatever already belongs to it).
pub(crate) fn import_project(
    tx: &Connection,
    org: i64,
    project: &super::ImportedProject<'_>,
) -> Result<(), String> {
    let failed = |e: StoreError| format!("{e}");
    rules::importable(project.is_default, project.archived_at)?;
    let current = default_project_in(tx, org).map_err(failed)?;
    let existing = match project_in(tx, org, project.id) {
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
        rekey(tx, org, &current.id, project.id).map_err(failed)?;
    } else if !project.is_default && existing.as_ref().is_some_and(|p| p.is_default) {
        return Err(format!(
            "project '{}' is this organization's Default project: its line needs \
             \"is_default\": true",
            project.id
        ));
    }
    tx.prepare_cached(
        "INSERT INTO projects (org, id, name, created_at, archived_at, external_key_id, residency) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (org, id) DO UPDATE SET \
         name = excluded.name, created_at = excluded.created_at, archived_at = excluded.archived_at, \
         external_key_id = excluded.external_key_id, residency = excluded.residency",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            org,
            project.id.as_str(),
            project.name.as_str(),
            project.created_at,
            project.archived_at,
            project.external_key_id,
            project.residency
        ])
    })
    .map_err(|e| failed(e.into()))?;
    Ok(())
}

/// Gives the Default project `new` as its id: a new row, its children moved, the old row gone.
fn rekey(tx: &Connection, org: i64, old: &ProjectId, new: &ProjectId) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO projects (org, id, name, created_at, archived_at, is_default, external_key_id, residency) \
         SELECT org, ?3, name, created_at, archived_at, 0, external_key_id, residency \
         FROM projects WHERE org = ?1 AND id = ?2",
        params![org, old.as_str(), new.as_str()],
    )?;
    for table in super::PROJECT_CHILDREN {
        tx.execute(
            &format!("UPDATE {table} SET project_id = ?3 WHERE org = ?1 AND project_id = ?2"),
            params![org, old.as_str(), new.as_str()],
        )?;
    }
    tx.execute(
        "DELETE FROM projects WHERE org = ?1 AND id = ?2",
        params![org, old.as_str()],
    )?;
    tx.execute(
        "UPDATE projects SET is_default = 1 WHERE org = ?1 AND id = ?2",
        params![org, new.as_str()],
    )?;
    Ok(())
}

/// Writes an imported membership; the project and the user must exist.
pub(crate) fn import_member(
    tx: &Connection,
    org: i64,
    project: &ProjectId,
    user: &str,
    role: ProjectRole,
    added_at: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO project_users (org, project_id, user_id, role, added_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (org, project_id, user_id) \
         DO UPDATE SET role = excluded.role, added_at = excluded.added_at",
    )?
    .execute(params![
        org,
        project.as_str(),
        user,
        role.as_str(),
        added_at
    ])?;
    Ok(())
}

#[async_trait]
impl ProjectStore for SqliteStore {
    async fn fetch_projects(
        &self,
        org: &OrgId,
        query: &FirstQuery,
        include_archived: bool,
    ) -> Result<Vec<(Position, ProjectRecord)>, StoreError> {
        let sql = format!(
            "SELECT {PROJECT_COLUMNS} FROM projects WHERE org = ?1 \
             AND (created_at, id) > (?2, ?3) AND (?4 OR archived_at IS NULL) \
             ORDER BY created_at, id LIMIT ?5"
        );
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            let page = departures::place(
                conn,
                seq,
                FirstList::PROJECTS,
                "",
                query,
                "SELECT created_at, id FROM projects WHERE org = ?1 AND ?2 = '' AND id = ?3",
            )?;
            let (at, id) = page.start();
            let rows = conn
                .prepare_cached(&sql)?
                .query_map(
                    params![seq, at, id, include_archived, page.fetch()],
                    project_from_row,
                )?
                .map(|project| project.map(|project| (project.position(), project)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    async fn get_project(&self, org: &OrgId, id: &ProjectId) -> Result<ProjectRecord, StoreError> {
        self.read_here(|conn| project_in(conn, org_seq(conn, org)?, id))
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
        self.change(org, move |change| {
            project.created_at = change.now;
            change
                .tx
                .prepare_cached(
                    "INSERT INTO projects (org, id, name, created_at, external_key_id, residency) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    change.org,
                    project.id.as_str(),
                    project.name,
                    project.created_at,
                    project.external_key_id,
                    project.residency
                ])?;
            change.record(project_event("project.created", &project));
            Ok(project)
        })
        .await
    }

    async fn modify_project(
        &self,
        org: &OrgId,
        id: &ProjectId,
        project_change: &ProjectChange,
    ) -> Result<ProjectRecord, StoreError> {
        let (id, project_change) = (id.clone(), project_change.clone());
        self.change(org, move |change| {
            let mut project = writable_project_in(change.tx, change.org, &id)?;
            if let Some(name) = &project_change.name {
                project.name = name.as_str().to_owned();
            }
            if let Some(key) = &project_change.external_key_id {
                project.external_key_id = Some(key.clone());
            }
            change
                .tx
                .prepare_cached(
                    "UPDATE projects SET name = ?3, external_key_id = ?4 WHERE org = ?1 AND id = ?2",
                )?
                .execute(params![
                    change.org,
                    id.as_str(),
                    project.name,
                    project.external_key_id
                ])?;
            if project_change.name.is_some() {
                refresh(change.tx, change.org, Touched::MembersOf(&id))?;
            }
            change.record(project_event("project.updated", &project));
            Ok(project)
        })
        .await
    }

    async fn archive_project(
        &self,
        org: &OrgId,
        id: &ProjectId,
    ) -> Result<ProjectRecord, StoreError> {
        let id = id.clone();
        self.change(org, move |change| {
            let mut project = project_in(change.tx, change.org, &id)?;
            rules::archivable(&project)?;
            if project.archived_at.is_some() {
                return Ok(project);
            }
            project.archived_at = Some(change.now);
            change
                .tx
                .prepare_cached("UPDATE projects SET archived_at = ?3 WHERE org = ?1 AND id = ?2")?
                .execute(params![change.org, id.as_str(), project.archived_at])?;
            refresh(change.tx, change.org, Touched::MembersOf(&id))?;
            change.record(project_event("project.archived", &project));
            Ok(project)
        })
        .await
    }

    async fn fetch_project_users(
        &self,
        org: &OrgId,
        project: &ProjectId,
        query: &FirstQuery,
    ) -> Result<Vec<(Position, ProjectMember)>, StoreError> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM project_users AS m JOIN users AS u \
             ON u.org = m.org AND u.id = m.user_id AND u.deleted = 0 \
             WHERE m.org = ?1 AND m.project_id = ?2 AND (m.added_at, m.user_id) > (?3, ?4) \
             ORDER BY m.added_at, m.user_id LIMIT ?5"
        );
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            project_in(conn, seq, project)?;
            let page = departures::place(
                conn,
                seq,
                FirstList::PROJECT_USERS,
                project.as_str(),
                query,
                "SELECT added_at, user_id FROM project_users \
                 WHERE org = ?1 AND project_id = ?2 AND user_id = ?3",
            )?;
            let (at, id) = page.start();
            let rows = conn
                .prepare_cached(&sql)?
                .query_map(
                    params![seq, project.as_str(), at, id, page.fetch()],
                    member_from_row,
                )?
                .map(|member| member.map(|member| (member.position(), member)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    async fn add_project_user(
        &self,
        org: &OrgId,
        project: &ProjectId,
        target: &MemberTarget,
        role: ProjectRole,
    ) -> Result<ProjectMember, StoreError> {
        let (project, target) = (project.clone(), target.clone());
        self.change(org, move |change| {
            let record = writable_project_in(change.tx, change.org, &project)?;
            let (by_id, by_email) = users_named(change.tx, change.org, &target)?;
            let user = rules::one_user(&target, by_id, by_email)?;
            let already = member_in(change.tx, change.org, &project, &user)?.is_some();
            rules::not_yet_member(&target, &record, &user, already)?;
            change
                .tx
                .prepare_cached(
                    "INSERT INTO project_users (org, project_id, user_id, role, added_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    change.org,
                    project.as_str(),
                    user,
                    role.as_str(),
                    change.now
                ])?;
            refresh(change.tx, change.org, Touched::User(&user))?;
            change.record(member_event(
                "project.user.added",
                &project,
                &user,
                Some(role),
            ));
            live_member_in(change.tx, change.org, &project, &user)
        })
        .await
    }

    async fn get_project_user(
        &self,
        org: &OrgId,
        project: &ProjectId,
        user: &str,
    ) -> Result<ProjectMember, StoreError> {
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            project_in(conn, seq, project)?;
            live_member_in(conn, seq, project, user)
        })
    }

    async fn modify_project_user(
        &self,
        org: &OrgId,
        project: &ProjectId,
        user: &str,
        role: ProjectRole,
    ) -> Result<ProjectMember, StoreError> {
        let (project, user) = (project.clone(), user.to_owned());
        self.change(org, move |change| {
            // CONTRACT.md: what the path names must exist (404) before a rule refuses (400).
            let record = project_in(change.tx, change.org, &project)?;
            let mut member = live_member_in(change.tx, change.org, &project, &user)?;
            rules::writable(&record)?;
            member.role = role;
            change
                .tx
                .prepare_cached(
                    "UPDATE project_users SET role = ?4 \
                     WHERE org = ?1 AND project_id = ?2 AND user_id = ?3",
                )?
                .execute(params![change.org, project.as_str(), user, role.as_str()])?;
            refresh(change.tx, change.org, Touched::User(&user))?;
            change.record(member_event(
                "project.user.updated",
                &project,
                &user,
                Some(role),
            ));
            Ok(member)
        })
        .await
    }

    async fn remove_project_user(
        &self,
        org: &OrgId,
        project: &ProjectId,
        user: &str,
    ) -> Result<(), StoreError> {
        let (project, user) = (project.clone(), user.to_owned());
        self.change(org, move |change| {
            let record = project_in(change.tx, change.org, &project)?;
            let member = live_member_in(change.tx, change.org, &project, &user)?;
            rules::writable(&record)?;
            end_membership(change, &project, &member)?;
            change.record(member_event("project.user.removed", &project, &user, None));
            Ok(())
        })
        .await
    }
}
