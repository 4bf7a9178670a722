//! Invites in PostgreSQL.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use orgusers_api::User;
use tokio_postgres::Row;

use super::{
    ImportedInvite, InviteGrant, InviteProjects, InviteRecord, InviteStatus, InviteStore,
    NewInvite, accepted_event, deleted_event, no_such_invite, rules, sent_event, user_added_event,
};
use crate::domain::fold_email;
use crate::ids::{InviteId, ProjectId};
use crate::page::{FirstList, FirstQuery, Position};
use crate::postgres::{Change, PostgresStore, departures, org_now};
use crate::projects::postgres::{default_project_in, project_in, refresh};
use crate::projects::{ProjectRecord, ProjectRole, Touched};
use crate::users::postgres::live_user;
use crate::{OrgId, Role, StoreError, UserId};

const INVITE_COLUMNS: &str = "id, email, role, created_at, expires_at, accepted_at";

/// An invite row without its projects, its status read at `now`.
fn invite_from_row(row: &Row, now: i64) -> Result<InviteRecord, StoreError> {
    let role: String = row.try_get(2)?;
    let expires_at = row.try_get(4)?;
    let accepted_at = row.try_get(5)?;
    Ok(InviteRecord {
        id: InviteId::from_stored(row.try_get(0)?),
        email: row.try_get(1)?,
        role: Role::parse(&role).unwrap_or(Role::Reader),
        created_at: row.try_get(3)?,
        expires_at,
        accepted_at,
        projects: Vec::new(),
        status: InviteStatus::at(accepted_at, expires_at, now),
    })
}

/// The memberships `invite` grants, in its order.
async fn grants_of(
    client: &impl GenericClient,
    org: &OrgId,
    invite: &InviteId,
) -> Result<Vec<InviteGrant>, StoreError> {
    let stmt = client
        .prepare_cached(
            "SELECT project_id, role FROM invite_projects \
             WHERE org_id = $1 AND invite_id = $2 ORDER BY position",
        )
        .await?;
    client
        .query(&stmt, &[&org.as_str(), &invite.as_str()])
        .await?
        .iter()
        .map(|row| {
            let role: String = row.try_get(1)?;
            Ok(InviteGrant {
                project_id: ProjectId::from_stored(row.try_get(0)?),
                role: ProjectRole::parse(&role).unwrap_or(ProjectRole::Member),
            })
        })
        .collect()
}

/// The invite `id` of `org`, its status read at `now`.
async fn invite_in(
    client: &impl GenericClient,
    org: &OrgId,
    id: &InviteId,
    now: i64,
) -> Result<InviteRecord, StoreError> {
    let stmt = client
        .prepare_cached(&format!(
            "SELECT {INVITE_COLUMNS} FROM invites WHERE org_id = $1 AND id = $2"
        ))
        .await?;
    let mut invite = match client
        .query_opt(&stmt, &[&org.as_str(), &id.as_str()])
        .await?
    {
        Some(row) => invite_from_row(&row, now)?,
        None => return Err(no_such_invite(id)),
    };
    invite.projects = grants_of(client, org, id).await?;
    Ok(invite)
}

/// The live user whose folded email is `folded`.
async fn user_with_email(
    client: &impl GenericClient,
    org: &OrgId,
    folded: &str,
) -> Result<Option<String>, StoreError> {
    let stmt = client
        .prepare_cached(
            "SELECT id FROM users WHERE org_id = $1 AND email_folded = $2 AND NOT deleted",
        )
        .await?;
    match client.query_opt(&stmt, &[&org.as_str(), &folded]).await? {
        Some(row) => Ok(Some(row.try_get(0)?)),
        None => Ok(None),
    }
}

/// A pending invite (unaccepted, not expired at `now`) sent to the folded address.
async fn pending_invite_to(
    client: &impl GenericClient,
    org: &OrgId,
    folded: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let stmt = client
        .prepare_cached(
            "SELECT id FROM invites WHERE org_id = $1 AND email_folded = $2 \
             AND accepted_at IS NULL AND expires_at > $3 ORDER BY created_at, id LIMIT 1",
        )
        .await?;
    match client
        .query_opt(&stmt, &[&org.as_str(), &folded, &now])
        .await?
    {
        Some(row) => Ok(Some(row.try_get(0)?)),
        None => Ok(None),
    }
}

/// The project `id` of `org`, if it has one.
async fn project_if_any(
    client: &impl GenericClient,
    org: &OrgId,
    id: &ProjectId,
) -> Result<Option<ProjectRecord>, StoreError> {
    match project_in(client, org, id).await {
        Ok(project) => Ok(Some(project)),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The memberships a new invite grants: the Default project as member, or the listed ones,
/// each an active project of the organization.
async fn resolved_grants(
    client: &impl GenericClient,
    org: &OrgId,
    projects: &InviteProjects,
) -> Result<Vec<InviteGrant>, StoreError> {
    match projects {
        InviteProjects::DefaultProject => Ok(vec![default_grant(client, org).await?]),
        InviteProjects::Listed(grants) => {
            for grant in grants {
                let project = project_if_any(client, org, &grant.project_id).await?;
                rules::grantable(&grant.project_id, project.as_ref())?;
            }
            Ok(grants.clone())
        }
    }
}

/// The organization's Default project as `member`: what an invite without `projects` grants.
pub(crate) async fn default_grant(
    client: &impl GenericClient,
    org: &OrgId,
) -> Result<InviteGrant, StoreError> {
    Ok(InviteGrant {
        project_id: default_project_in(client, org).await?.id,
        role: ProjectRole::Member,
    })
}

/// Writes the memberships an invite grants, replacing any it had.
async fn write_grants(
    client: &impl GenericClient,
    org: &OrgId,
    invite: &InviteId,
    grants: &[InviteGrant],
) -> Result<(), StoreError> {
    let delete = client
        .prepare_cached("DELETE FROM invite_projects WHERE org_id = $1 AND invite_id = $2")
        .await?;
    client
        .execute(&delete, &[&org.as_str(), &invite.as_str()])
        .await?;
    let insert = client
        .prepare_cached(
            "INSERT INTO invite_projects (org_id, invite_id, position, project_id, role) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .await?;
    for (position, grant) in (0_i64..).zip(grants) {
        client
            .execute(
                &insert,
                &[
                    &org.as_str(),
                    &invite.as_str(),
                    &position,
                    &grant.project_id.as_str(),
                    &grant.role.as_str(),
                ],
            )
            .await?;
    }
    Ok(())
}

/// Writes an imported invite line: created or replaced by id, with its memberships.
pub(crate) async fn import_invite(
    client: &impl GenericClient,
    org: &OrgId,
    invite: &ImportedInvite<'_>,
    grants: &[InviteGrant],
) -> Result<(), StoreError> {
    let stmt = client
        .prepare_cached(
            "INSERT INTO invites (org_id, id, email, email_folded, role, created_at, expires_at, accepted_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (org_id, id) DO UPDATE SET \
             email = excluded.email, email_folded = excluded.email_folded, role = excluded.role, \
             created_at = excluded.created_at, expires_at = excluded.expires_at, \
             accepted_at = excluded.accepted_at",
        )
        .await?;
    client
        .execute(
            &stmt,
            &[
                &org.as_str(),
                &invite.id.as_str(),
                &invite.email.as_str(),
                &invite.email.folded(),
                &invite.role.as_str(),
                &invite.created_at,
                &invite.expires_at,
                &invite.accepted_at,
            ],
        )
        .await?;
    write_grants(client, org, invite.id, grants).await
}

/// Creates the organization user an accepted invite makes, as an imported user with only these
/// fields looks: enabled, not banned, no picture nor metadata, `created` = `added_at`.
async fn insert_user(
    change: &Change<'_>,
    org: &OrgId,
    id: &UserId,
    invite: &InviteRecord,
    name: Option<&str>,
) -> Result<(), StoreError> {
    let stmt = change
        .tx
        .prepare_cached(
            "INSERT INTO users (org_id, id, added_at, name, email, email_folded, role, is_default, \
             created, enabled, banned, is_service_account, is_scim_managed) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, false, $3, true, false, false, false)",
        )
        .await?;
    change
        .tx
        .execute(
            &stmt,
            &[
                &org.as_str(),
                &id.as_str(),
                &change.now,
                &name,
                &invite.email,
                &fold_email(&invite.email),
                &invite.role.as_str(),
            ],
        )
        .await?;
    Ok(())
}

#[async_trait]
impl InviteStore for PostgresStore {
    async fn fetch_invites(
        &self,
        org: &OrgId,
        query: &FirstQuery,
    ) -> Result<Vec<(Position, InviteRecord)>, StoreError> {
        let client = self.client().await?;
        let now = org_now(&client, org).await?;
        let page = departures::place(
            &client,
            org,
            FirstList::INVITES,
            "",
            query,
            "SELECT created_at, id FROM invites WHERE org_id = $1 AND $2 = '' AND id = $3",
        )
        .await?;
        let (at, id) = page.start();
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {INVITE_COLUMNS} FROM invites WHERE org_id = $1 \
                 AND (created_at, id) > ($2, $3) ORDER BY created_at, id LIMIT $4"
            ))
            .await?;
        let rows = client
            .query(&stmt, &[&org.as_str(), &at, &id, &page.fetch()])
            .await?;
        let mut invites = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut invite = invite_from_row(row, now)?;
            invite.projects = grants_of(&client, org, &invite.id).await?;
            invites.push((invite.position(), invite));
        }
        Ok(invites)
    }

    async fn get_invite(&self, org: &OrgId, id: &InviteId) -> Result<InviteRecord, StoreError> {
        let client = self.client().await?;
        let now = org_now(&client, org).await?;
        invite_in(&client, org, id, now).await
    }

    async fn create_invite(
        &self,
        org: &OrgId,
        new: &NewInvite,
    ) -> Result<InviteRecord, StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let folded = new.email.folded();
        let holder = user_with_email(&change.tx, org, folded).await?;
        let pending = pending_invite_to(&change.tx, org, folded, change.now).await?;
        rules::invitable(new.email.as_str(), holder, pending)?;
        let grants = resolved_grants(&change.tx, org, &new.projects).await?;
        let invite = rules::created(new, grants, change.now);
        let imported = ImportedInvite {
            id: &invite.id,
            email: &new.email,
            role: invite.role,
            created_at: invite.created_at,
            expires_at: invite.expires_at,
            accepted_at: None,
        };
        import_invite(&change.tx, org, &imported, &invite.projects).await?;
        change.record(sent_event(&invite));
        change.commit().await?;
        Ok(invite)
    }

    async fn delete_invite(&self, org: &OrgId, id: &InviteId) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let invite = invite_in(&change.tx, org, id, change.now).await?;
        rules::deletable(&invite)?;
        write_grants(&change.tx, org, id, &[]).await?;
        let stmt = change
            .tx
            .prepare_cached("DELETE FROM invites WHERE org_id = $1 AND id = $2")
            .await?;
        change
            .tx
            .execute(&stmt, &[&org.as_str(), &id.as_str()])
            .await?;
        departures::record(&change.tx, org, FirstList::INVITES, "", &invite.position()).await?;
        change.record(deleted_event(&invite));
        change.commit().await
    }

    async fn accept_invite(
        &self,
        org: &OrgId,
        id: &InviteId,
        name: Option<String>,
    ) -> Result<User, StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let invite = invite_in(&change.tx, org, id, change.now).await?;
        let holder = user_with_email(&change.tx, org, &fold_email(&invite.email)).await?;
        rules::acceptable(&invite, holder)?;
        let user = UserId::generate();
        insert_user(&change, org, &user, &invite, name.as_deref()).await?;
        // A project archived since the invite was sent accepts no members: it is skipped.
        let insert = change
            .tx
            .prepare_cached(
                "INSERT INTO project_users (org_id, project_id, user_id, role, added_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .await?;
        for grant in &invite.projects {
            let active = project_if_any(&change.tx, org, &grant.project_id)
                .await?
                .is_some_and(|project| project.archived_at.is_none());
            if active {
                change
                    .tx
                    .execute(
                        &insert,
                        &[
                            &org.as_str(),
                            &grant.project_id.as_str(),
                            &user.as_str(),
                            &grant.role.as_str(),
                            &change.now,
                        ],
                    )
                    .await?;
            }
        }
        refresh(&change.tx, org, Touched::User(user.as_str())).await?;
        let stmt = change
            .tx
            .prepare_cached("UPDATE invites SET accepted_at = $3 WHERE org_id = $1 AND id = $2")
            .await?;
        change
            .tx
            .execute(&stmt, &[&org.as_str(), &id.as_str(), &change.now])
            .await?;
        change.record(accepted_event(&invite));
        change.record(user_added_event(user.as_str(), invite.role));
        let created = live_user(&change.tx, org, user.as_str()).await?;
        change.commit().await?;
        Ok(created)
    }
}
