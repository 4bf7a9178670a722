//! Invites in SQLite.

use async_trait::async_trait;
use orgusers_api::User;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{
    ImportedInvite, InviteGrant, InviteProjects, InviteRecord, InviteStatus, InviteStore,
    NewInvite, accepted_event, deleted_event, no_such_invite, rules, sent_event, user_added_event,
};
use crate::domain::fold_email;
use crate::ids::{InviteId, ProjectId};
use crate::page::{FirstList, FirstQuery, Position};
use crate::projects::sqlite::{default_project_in, project_in, refresh};
use crate::projects::{ProjectRecord, ProjectRole, Touched};
use crate::sqlite::{Change, SqliteStore, departures, org_now, org_seq};
use crate::users::sqlite::live_user;
use crate::{OrgId, Role, StoreError, UserId};

const INVITE_COLUMNS: &str = "id, email, role, created_at, expires_at, accepted_at";

/// An invite row without its projects, its status read at `now`.
fn invite_from_row(row: &Row<'_>, now: i64) -> rusqlite::Result<InviteRecord> {
    let role: String = row.get(2)?;
    let expires_at = row.get(4)?;
    let accepted_at = row.get(5)?;
    Ok(InviteRecord {
        id: InviteId::from_stored(row.get(0)?),
        email: row.get(1)?,
        role: Role::parse(&role).unwrap_or(Role::Reader),
        created_at: row.get(3)?,
        expires_at,
        accepted_at,
        projects: Vec::new(),
        status: InviteStatus::at(accepted_at, expires_at, now),
    })
}

/// The memberships `invite` grants, in its order.
fn grants_of(
    conn: &Connection,
    org: i64,
    invite: &InviteId,
) -> Result<Vec<InviteGrant>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT project_id, role FROM invite_projects \
             WHERE org = ?1 AND invite_id = ?2 ORDER BY position",
        )?
        .query_map(params![org, invite.as_str()], |r| {
            let role: String = r.get(1)?;
            Ok(InviteGrant {
                project_id: ProjectId::from_stored(r.get(0)?),
                role: ProjectRole::parse(&role).unwrap_or(ProjectRole::Member),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

/// The invite `id` of the organization `org` (its seq), its status read at `now`.
fn invite_in(
    conn: &Connection,
    org: i64,
    id: &InviteId,
    now: i64,
) -> Result<InviteRecord, StoreError> {
    let mut invite = conn
        .prepare_cached(&format!(
            "SELECT {INVITE_COLUMNS} FROM invites WHERE org = ?1 AND id = ?2"
        ))?
        .query_row(params![org, id.as_str()], |row| invite_from_row(row, now))
        .optional()?
        .ok_or_else(|| no_such_invite(id))?;
    invite.projects = grants_of(conn, org, id)?;
    Ok(invite)
}

/// The live user whose folded email is `folded`.
fn user_with_email(
    conn: &Connection,
    org: i64,
    folded: &str,
) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM users WHERE org = ?1 AND email_folded = ?2 AND deleted = 0",
        )?
        .query_row(params![org, folded], |r| r.get(0))
        .optional()?)
}

/// A pending invite (unaccepted, not expired at `now`) sent to the folded address.
fn pending_invite_to(
    conn: &Connection,
    org: i64,
    folded: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM invites WHERE org = ?1 AND email_folded = ?2 \
             AND accepted_at IS NULL AND expires_at > ?3 ORDER BY created_at, id LIMIT 1",
        )?
        .query_row(params![org, folded, now], |r| r.get(0))
        .optional()?)
}

/// The project `id` of `org`, if it has one.
fn project_if_any(
    conn: &Connection,
    org: i64,
    id: &ProjectId,
) -> Result<Option<ProjectRecord>, StoreError> {
    match project_in(conn, org, id) {
        Ok(project) => Ok(Some(project)),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The memberships a new invite grants: the Default project as member, or the listed ones,
/// each an active project of the organization.
fn resolved_grants(
    conn: &Connection,
    org: i64,
    projects: &InviteProjects,
) -> Result<Vec<InviteGrant>, StoreError> {
    match projects {
        InviteProjects::DefaultProject => Ok(vec![default_grant(conn, org)?]),
        InviteProjects::Listed(grants) => {
            for grant in grants {
                let project = project_if_any(conn, org, &grant.project_id)?;
                rules::grantable(&grant.project_id, project.as_ref())?;
            }
            Ok(grants.clone())
        }
    }
}

/// Writes the memberships an invite grants, replacing any it had.
fn write_grants(
    conn: &Connection,
    org: i64,
    invite: &InviteId,
    grants: &[InviteGrant],
) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM invite_projects WHERE org = ?1 AND invite_id = ?2")?
        .execute(params![org, invite.as_str()])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO invite_projects (org, invite_id, position, project_id, role) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (position, grant) in grants.iter().enumerate() {
        insert.execute(params![
            org,
            invite.as_str(),
            position as i64,
            grant.project_id.as_str(),
            grant.role.as_str()
        ])?;
    }
    Ok(())
}

/// Writes an imported invite line: created or replaced by id, with its memberships.
pub(crate) fn import_invite(
    conn: &Connection,
    org: i64,
    invite: &ImportedInvite<'_>,
    grants: &[InviteGrant],
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO invites (org, id, email, email_folded, role, created_at, expires_at, accepted_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (org, id) DO UPDATE SET \
         email = excluded.email, email_folded = excluded.email_folded, role = excluded.role, \
         created_at = excluded.created_at, expires_at = excluded.expires_at, \
         accepted_at = excluded.accepted_at",
    )?
    .execute(params![
        org,
        invite.id.as_str(),
        invite.email.as_str(),
        invite.email.folded(),
        invite.role.as_str(),
        invite.created_at,
        invite.expires_at,
        invite.accepted_at
    ])?;
    write_grants(conn, org, invite.id, grants)
}

/// The organization's Default project as `member`: what an invite without `projects` grants.
pub(crate) fn default_grant(conn: &Connection, org: i64) -> Result<InviteGrant, StoreError> {
    Ok(InviteGrant {
        project_id: default_project_in(conn, org)?.id,
        role: ProjectRole::Member,
    })
}

/// Creates the organization user an accepted invite makes, as an imported user with only these
/// fields looks: enabled, not banned, no picture nor metadata, `created` = `added_at`.
fn insert_user(
    change: &Change<'_>,
    id: &UserId,
    invite: &InviteRecord,
    name: Option<&str>,
) -> Result<(), StoreError> {
    change
        .tx
        .prepare_cached(
            "INSERT INTO users (org, id, added_at, name, email, email_folded, role, is_default, \
             created, enabled, banned, is_service_account, is_scim_managed) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?3, 1, 0, 0, 0)",
        )?
        .execute(params![
            change.org,
            id.as_str(),
            change.now,
            name,
            invite.email,
            fold_email(&invite.email),
            invite.role.as_str()
        ])?;
    Ok(())
}

#[async_trait]
impl InviteStore for SqliteStore {
    async fn fetch_invites(
        &self,
        org: &OrgId,
        query: &FirstQuery,
    ) -> Result<Vec<(Position, InviteRecord)>, StoreError> {
        let sql = format!(
            "SELECT {INVITE_COLUMNS} FROM invites WHERE org = ?1 \
             AND (created_at, id) > (?2, ?3) ORDER BY created_at, id LIMIT ?4"
        );
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            let now = org_now(conn, seq)?;
            let page = departures::place(
                conn,
                seq,
                FirstList::INVITES,
                "",
                query,
                "SELECT created_at, id FROM invites WHERE org = ?1 AND ?2 = '' AND id = ?3",
            )?;
            let (at, id) = page.start();
            let mut invites = conn
                .prepare_cached(&sql)?
                .query_map(params![seq, at, id, page.fetch()], |row| {
                    invite_from_row(row, now)
                })?
                .collect::<Result<Vec<_>, _>>()?;
            for invite in &mut invites {
                invite.projects = grants_of(conn, seq, &invite.id)?;
            }
            Ok(invites
                .into_iter()
                .map(|invite| (invite.position(), invite))
                .collect())
        })
    }

    async fn get_invite(&self, org: &OrgId, id: &InviteId) -> Result<InviteRecord, StoreError> {
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            invite_in(conn, seq, id, org_now(conn, seq)?)
        })
    }

    async fn create_invite(
        &self,
        org: &OrgId,
        new: &NewInvite,
    ) -> Result<InviteRecord, StoreError> {
        let new = new.clone();
        self.change(org, move |change| {
            let folded = new.email.folded();
            let holder = user_with_email(change.tx, change.org, folded)?;
            let pending = pending_invite_to(change.tx, change.org, folded, change.now)?;
            rules::invitable(new.email.as_str(), holder, pending)?;
            let grants = resolved_grants(change.tx, change.org, &new.projects)?;
            let invite = rules::created(&new, grants, change.now);
            let imported = ImportedInvite {
                id: &invite.id,
                email: &new.email,
                role: invite.role,
                created_at: invite.created_at,
                expires_at: invite.expires_at,
                accepted_at: None,
            };
            import_invite(change.tx, change.org, &imported, &invite.projects)?;
            change.record(sent_event(&invite));
            Ok(invite)
        })
        .await
    }

    async fn delete_invite(&self, org: &OrgId, id: &InviteId) -> Result<(), StoreError> {
        let id = id.clone();
        self.change(org, move |change| {
            let invite = invite_in(change.tx, change.org, &id, change.now)?;
            rules::deletable(&invite)?;
            write_grants(change.tx, change.org, &id, &[])?;
            change
                .tx
                .prepare_cached("DELETE FROM invites WHERE org = ?1 AND id = ?2")?
                .execute(params![change.org, id.as_str()])?;
            departures::record(
                change.tx,
                change.org,
                FirstList::INVITES,
                "",
                &invite.position(),
            )?;
            change.record(deleted_event(&invite));
            Ok(())
        })
        .await
    }

    async fn accept_invite(
        &self,
        org: &OrgId,
        id: &InviteId,
        name: Option<String>,
    ) -> Result<User, StoreError> {
        let (org_id, id) = (org.clone(), id.clone());
        self.change(org, move |change| {
            let invite = invite_in(change.tx, change.org, &id, change.now)?;
            let holder = user_with_email(change.tx, change.org, &fold_email(&invite.email))?;
            rules::acceptable(&invite, holder)?;
            let user = UserId::generate();
            insert_user(change, &user, &invite, name.as_deref())?;
            // A project archived since the invite was sent accepts no members: it is skipped.
            for grant in &invite.projects {
                let active = project_if_any(change.tx, change.org, &grant.project_id)?
                    .is_some_and(|project| project.archived_at.is_none());
                if active {
                    change
                        .tx
                        .prepare_cached(
                            "INSERT INTO project_users (org, project_id, user_id, role, added_at) \
                             VALUES (?1, ?2, ?3, ?4, ?5)",
                        )?
                        .execute(params![
                            change.org,
                            grant.project_id.as_str(),
                            user.as_str(),
                            grant.role.as_str(),
                            change.now
                        ])?;
                }
            }
            refresh(change.tx, change.org, Touched::User(user.as_str()))?;
            change
                .tx
                .prepare_cached("UPDATE invites SET accepted_at = ?3 WHERE org = ?1 AND id = ?2")?
                .execute(params![change.org, id.as_str(), change.now])?;
            change.record(accepted_event(&invite));
            change.record(user_added_event(user.as_str(), invite.role));
            live_user(change.tx, &org_id, user.as_str())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::EmailAddress;
    use crate::OrgStore;

    #[tokio::test]
    async fn invites_write_their_audit_events() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("invites.db");
        let store = SqliteStore::open(&path).await.unwrap();
        let org = store.ensure_organization(None).await.unwrap();
        let new = |email: &str| NewInvite {
            email: EmailAddress::parse(email).unwrap(),
            role: Role::Owner,
            projects: InviteProjects::Listed(Vec::new()),
        };
        let kept = store.create_invite(&org, &new("Ada@x.io")).await.unwrap();
        let dropped = store.create_invite(&org, &new("bob@x.io")).await.unwrap();
        assert!(
            store.create_invite(&org, &new("ada@X.io")).await.is_err(),
            "a pending invite holds the address"
        );
        store.delete_invite(&org, &dropped.id).await.unwrap();
        let user = store
            .accept_invite(&org, &kept.id, Some("Ada".into()))
            .await
            .unwrap();
        assert_eq!(
            (
                user.email.as_deref(),
                user.name.as_deref(),
                user.role.as_deref()
            ),
            (Some("Ada@x.io"), Some("Ada"), Some("owner"))
        );
        let conn = Connection::open(&path).unwrap();
        let events: Vec<(String, String, Value)> = conn
            .prepare("SELECT type, resource_id, payload FROM audit_log_entries ORDER BY seq")
            .unwrap()
            .query_map([], |r| {
                let payload: String = r.get(2)?;
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    serde_json::from_str(&payload).unwrap(),
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let sent = |id: &InviteId, email: &str| {
            (
                "invite.sent".to_owned(),
                id.to_string(),
                json!({"id": id.to_string(), "data": {"email": email, "role": "owner"}}),
            )
        };
        assert_eq!(
            events,
            [
                sent(&kept.id, "Ada@x.io"),
                sent(&dropped.id, "bob@x.io"),
                (
                    "invite.deleted".into(),
                    dropped.id.to_string(),
                    json!({"id": dropped.id.to_string()})
                ),
                (
                    "invite.accepted".into(),
                    kept.id.to_string(),
                    json!({"id": kept.id.to_string()})
                ),
                (
                    "user.added".into(),
                    user.id.clone(),
                    json!({"id": user.id, "data": {"role": "owner"}})
                ),
            ]
        );
        let accepted = store.get_invite(&org, &kept.id).await.unwrap();
        assert_eq!(accepted.status, InviteStatus::Accepted);
        assert_eq!(accepted.accepted_at, Some(user.added_at));
    }
}
