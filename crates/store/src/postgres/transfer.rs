//! The directory lines of an import, applied in PostgreSQL after its users (see
//! `crate::transfer`). Imports write no audit events: they set the scene.

use deadpool_postgres::GenericClient;

use crate::project_groups::rules::project_role;
use crate::project_keys::OwnerType;
use crate::projects::ImportedProject;
use crate::projects::postgres as projects;
use crate::roles::postgres::custom_role_in;
use crate::transfer::{DirectoryItem, DirectorySummary, SetAside, unknown};
use crate::{ImportError, OrgId, Role, StoreError};

fn refused(line: usize, field: &str, message: String) -> StoreError {
    ImportError {
        line,
        field: Some(field.to_owned()),
        message,
    }
    .into()
}

async fn exists(
    client: &impl GenericClient,
    sql: &str,
    org: &OrgId,
    id: &str,
) -> Result<bool, StoreError> {
    let stmt = client.prepare_cached(sql).await?;
    Ok(client
        .query_opt(&stmt, &[&org.as_str(), &id])
        .await?
        .is_some())
}

const LIVE_USER: &str = "SELECT 1 FROM users WHERE org_id = $1 AND id = $2 AND NOT deleted";
const GROUP: &str = "SELECT 1 FROM groups WHERE org_id = $1 AND id = $2";
const PROJECT: &str = "SELECT 1 FROM projects WHERE org_id = $1 AND id = $2";
const SERVICE_ACCOUNT_PROJECT: &str =
    "SELECT project_id FROM service_accounts WHERE org_id = $1 AND id = $2";
const KEY_PROJECT: &str = "SELECT project_id FROM project_api_keys WHERE org_id = $1 AND id = $2";

/// The project of the row `sql` finds by id, if any.
async fn project_of(
    client: &impl GenericClient,
    sql: &str,
    org: &OrgId,
    id: &str,
) -> Result<Option<String>, StoreError> {
    let stmt = client.prepare_cached(sql).await?;
    Ok(client
        .query_opt(&stmt, &[&org.as_str(), &id])
        .await?
        .map(|row| row.try_get(0))
        .transpose()?)
}

/// Memberships of consecutive `group.user` lines, written with one statement: line by line,
/// a round trip each made a 100,000-user seed take a minute.
#[derive(Default)]
struct Memberships {
    lines: Vec<i64>,
    groups: Vec<String>,
    users: Vec<String>,
    added_at: Vec<i64>,
}

impl Memberships {
    async fn flush(&mut self, tx: &impl GenericClient, org: &OrgId) -> Result<(), StoreError> {
        if self.lines.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(self);
        // The first line (in file order) naming no group or no user of the organization.
        let check = tx
            .prepare_cached(
                "SELECT b.line, g.id IS NULL, b.group_id, b.user_id \
                 FROM unnest($2::bigint[], $3::text[], $4::text[]) AS b(line, group_id, user_id) \
                 LEFT JOIN groups AS g ON g.org_id = $1 AND g.id = b.group_id \
                 LEFT JOIN users AS u ON u.org_id = $1 AND u.id = b.user_id AND NOT u.deleted \
                 WHERE g.id IS NULL OR u.id IS NULL ORDER BY b.line LIMIT 1",
            )
            .await?;
        if let Some(row) = tx
            .query_opt(
                &check,
                &[&org.as_str(), &batch.lines, &batch.groups, &batch.users],
            )
            .await?
        {
            let line = usize::try_from(row.try_get::<_, i64>(0)?).unwrap_or_default();
            let no_group: bool = row.try_get(1)?;
            let (group, user): (String, String) = (row.try_get(2)?, row.try_get(3)?);
            return Err(if no_group {
                unknown(line, "group_id", "group", &group)
            } else {
                unknown(line, "user_id", "user", &user)
            }
            .into());
        }
        // One row per membership, the last line's time winning, as line by line.
        let mut last: std::collections::HashMap<(&str, &str), i64> = Default::default();
        for ((group, user), at) in batch.groups.iter().zip(&batch.users).zip(&batch.added_at) {
            last.insert((group, user), *at);
        }
        let (mut groups, mut users, mut times) = (Vec::new(), Vec::new(), Vec::new());
        for ((group, user), at) in last {
            groups.push(group);
            users.push(user);
            times.push(at);
        }
        let insert = tx
            .prepare_cached(
                "INSERT INTO group_users (org_id, group_id, user_id, added_at) \
                 SELECT $1, group_id, user_id, added_at \
                 FROM unnest($2::text[], $3::text[], $4::bigint[]) AS b(group_id, user_id, added_at) \
                 ON CONFLICT (org_id, group_id, user_id) DO UPDATE SET added_at = excluded.added_at",
            )
            .await?;
        tx.execute(&insert, &[&org.as_str(), &groups, &users, &times])
            .await?;
        Ok(())
    }
}

/// Applies the set-aside lines in file order.
pub(crate) async fn apply(
    tx: &impl GenericClient,
    org: &OrgId,
    aside: &SetAside,
) -> Result<DirectorySummary, StoreError> {
    let mut summary = DirectorySummary::default();
    let started = crate::postgres::org_now(tx, org).await?;
    let mut memberships = Memberships::default();
    for line in &aside.lines {
        aside.check_order(line)?;
        let n = line.line;
        if let DirectoryItem::GroupUser {
            group,
            user,
            added_at,
        } = &line.item
        {
            memberships.lines.push(i64::try_from(n).unwrap_or(i64::MAX));
            memberships.groups.push(group.as_str().to_owned());
            memberships.users.push(user.clone());
            memberships.added_at.push(added_at.unwrap_or(started));
            summary.count(&line.item);
            continue;
        }
        memberships.flush(tx, org).await?;
        match &line.item {
            DirectoryItem::Role {
                id,
                name,
                permissions,
                description,
                created_at,
                updated_at,
            } => {
                if Role::from_role_id(id.as_str(), org).is_some() {
                    return Err(refused(
                        n,
                        "id",
                        "predefined roles exist in every organization; leave them out".into(),
                    ));
                }
                let stmt = tx
                    .prepare_cached("SELECT id FROM roles WHERE org_id = $1 AND name_folded = $2")
                    .await?;
                let holder: Option<String> = tx
                    .query_opt(&stmt, &[&org.as_str(), &name.folded()])
                    .await?
                    .map(|row| row.try_get(0))
                    .transpose()?;
                if holder.is_some_and(|holder| holder != id.as_str()) {
                    return Err(refused(
                        n,
                        "name",
                        format!("a role named '{}' already exists", name.as_str()),
                    ));
                }
                let created = created_at.unwrap_or(started);
                let stmt = tx
                    .prepare_cached(
                        "INSERT INTO roles (org_id, id, name, name_folded, description, permissions, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (org_id, id) DO UPDATE SET \
                         name = excluded.name, name_folded = excluded.name_folded, description = excluded.description, \
                         permissions = excluded.permissions, created_at = excluded.created_at, updated_at = excluded.updated_at",
                    )
                    .await?;
                tx.execute(
                    &stmt,
                    &[
                        &org.as_str(),
                        &id.as_str(),
                        &name.as_str(),
                        &name.folded(),
                        description,
                        &serde_json::json!(permissions.as_slice()),
                        &created,
                        &updated_at.unwrap_or(created),
                    ],
                )
                .await?;
            }
            DirectoryItem::Group {
                id,
                name,
                created_at,
            } => {
                let stmt = tx
                    .prepare_cached(
                        "INSERT INTO groups (org_id, id, name, created_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (org_id, id) DO UPDATE SET name = excluded.name, created_at = excluded.created_at",
                    )
                    .await?;
                tx.execute(
                    &stmt,
                    &[
                        &org.as_str(),
                        &id.as_str(),
                        &name.as_str(),
                        &created_at.unwrap_or(started),
                    ],
                )
                .await?;
            }
            DirectoryItem::GroupUser { .. } => {}
            DirectoryItem::UserRole { user, role } => {
                if !exists(tx, LIVE_USER, org, user).await? {
                    return Err(unknown(n, "user_id", "user", user).into());
                }
                if let Some(predefined) = Role::from_role_id(role.as_str(), org) {
                    let stmt = tx
                        .prepare_cached("UPDATE users SET role = $3 WHERE org_id = $1 AND id = $2")
                        .await?;
                    tx.execute(&stmt, &[&org.as_str(), user, &predefined.as_str()])
                        .await?;
                } else {
                    if custom_role_in(tx, org, role).await?.is_none() {
                        return Err(unknown(n, "role_id", "role", role.as_str()).into());
                    }
                    let stmt = tx
                        .prepare_cached(
                            "INSERT INTO user_roles (org_id, user_id, role_id, assigned_at) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT DO NOTHING",
                        )
                        .await?;
                    tx.execute(&stmt, &[&org.as_str(), user, &role.as_str(), &started])
                        .await?;
                }
            }
            DirectoryItem::GroupRole { group, role } => {
                if !exists(tx, GROUP, org, group.as_str()).await? {
                    return Err(unknown(n, "group_id", "group", group.as_str()).into());
                }
                if Role::from_role_id(role.as_str(), org).is_some() {
                    return Err(refused(
                        n,
                        "role_id",
                        "predefined roles cannot be assigned to groups".into(),
                    ));
                }
                if custom_role_in(tx, org, role).await?.is_none() {
                    return Err(unknown(n, "role_id", "role", role.as_str()).into());
                }
                let stmt = tx
                    .prepare_cached(
                        "INSERT INTO group_roles (org_id, group_id, role_id, assigned_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT DO NOTHING",
                    )
                    .await?;
                tx.execute(
                    &stmt,
                    &[&org.as_str(), &group.as_str(), &role.as_str(), &started],
                )
                .await?;
            }
            DirectoryItem::Project {
                id,
                name,
                created_at,
                archived_at,
                is_default,
                external_key_id,
                residency,
            } => {
                let project = ImportedProject {
                    id,
                    name,
                    created_at: created_at.unwrap_or(started),
                    archived_at: *archived_at,
                    is_default: *is_default,
                    external_key_id: external_key_id.as_deref(),
                    residency: *residency,
                };
                projects::import_project(tx, org, &project)
                    .await
                    .map_err(|e| refused(n, "id", e))?;
            }
            DirectoryItem::ProjectUser {
                project,
                user,
                role,
                added_at,
            } => {
                if !exists(tx, PROJECT, org, project.as_str()).await? {
                    return Err(unknown(n, "project_id", "project", project.as_str()).into());
                }
                if !exists(tx, LIVE_USER, org, user).await? {
                    return Err(unknown(n, "id", "user", user).into());
                }
                projects::import_member(tx, org, project, user, *role, added_at.unwrap_or(started))
                    .await?;
            }
            DirectoryItem::ProjectGroup {
                project,
                group,
                role,
                created_at,
            } => {
                if !exists(tx, PROJECT, org, project.as_str()).await? {
                    return Err(unknown(n, "project_id", "project", project.as_str()).into());
                }
                if !exists(tx, GROUP, org, group.as_str()).await? {
                    return Err(unknown(n, "group_id", "group", group.as_str()).into());
                }
                let role =
                    project_role(project, role).map_err(|e| refused(n, "role", e.to_string()))?;
                let stmt = tx
                    .prepare_cached(
                        "INSERT INTO project_groups (org_id, project_id, group_id, role, created_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (org_id, project_id, group_id) DO UPDATE SET role = excluded.role, created_at = excluded.created_at",
                    )
                    .await?;
                tx.execute(
                    &stmt,
                    &[
                        &org.as_str(),
                        &project.as_str(),
                        &group.as_str(),
                        &role.as_str(),
                        &created_at.unwrap_or(started),
                    ],
                )
                .await?;
            }
            DirectoryItem::ServiceAccount {
                project,
                id,
                name,
                role,
                created_at,
            } => {
                if !exists(tx, PROJECT, org, project.as_str()).await? {
                    return Err(unknown(n, "project_id", "project", project.as_str()).into());
                }
                let elsewhere = project_of(tx, SERVICE_ACCOUNT_PROJECT, org, id.as_str()).await?;
                if let Some(other) = elsewhere.filter(|other| other != project.as_str()) {
                    return Err(refused(
                        n,
                        "id",
                        format!("service account '{id}' belongs to project '{other}'"),
                    ));
                }
                let stmt = tx
                    .prepare_cached(
                        "INSERT INTO service_accounts (org_id, project_id, id, name, role, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (org_id, id) DO UPDATE SET name = excluded.name, role = excluded.role, created_at = excluded.created_at",
                    )
                    .await?;
                tx.execute(
                    &stmt,
                    &[
                        &org.as_str(),
                        &project.as_str(),
                        &id.as_str(),
                        &name.as_str(),
                        &role.as_str(),
                        &created_at.unwrap_or(started),
                    ],
                )
                .await?;
            }
            DirectoryItem::ProjectKey {
                project,
                id,
                name,
                redacted_value,
                created_at,
                last_used_at,
                owner: (owner_type, owner_id),
                value_sha256,
            } => {
                if !exists(tx, PROJECT, org, project.as_str()).await? {
                    return Err(unknown(n, "project_id", "project", project.as_str()).into());
                }
                let owner_known = match owner_type {
                    OwnerType::User => exists(tx, LIVE_USER, org, owner_id).await?,
                    OwnerType::ServiceAccount => {
                        project_of(tx, SERVICE_ACCOUNT_PROJECT, org, owner_id)
                            .await?
                            .as_deref()
                            == Some(project.as_str())
                    }
                };
                if !owner_known {
                    let (field, kind) = owner_type.import_reference();
                    return Err(unknown(n, field, kind, owner_id).into());
                }
                let elsewhere = project_of(tx, KEY_PROJECT, org, id.as_str()).await?;
                if let Some(other) = elsewhere.filter(|other| other != project.as_str()) {
                    return Err(refused(
                        n,
                        "id",
                        format!("API key '{id}' belongs to project '{other}'"),
                    ));
                }
                let stmt = tx
                    .prepare_cached(
                        "INSERT INTO project_api_keys (org_id, project_id, id, name, redacted_value, value_sha256, created_at, \
                         last_used_at, owner_type, owner_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                         ON CONFLICT (org_id, id) DO UPDATE SET name = excluded.name, redacted_value = excluded.redacted_value, \
                         value_sha256 = excluded.value_sha256, created_at = excluded.created_at, \
                         last_used_at = excluded.last_used_at, owner_type = excluded.owner_type, owner_id = excluded.owner_id",
                    )
                    .await?;
                let hash = value_sha256.as_ref().map(<[u8; 32]>::as_slice);
                tx.execute(
                    &stmt,
                    &[
                        &org.as_str(),
                        &project.as_str(),
                        &id.as_str(),
                        &name.as_str(),
                        redacted_value,
                        &hash,
                        &created_at.unwrap_or(started),
                        last_used_at,
                        &owner_type.as_str(),
                        owner_id,
                    ],
                )
                .await?;
            }
            DirectoryItem::Invite {
                id,
                email,
                role,
                created_at,
                expires_at,
                accepted_at,
                projects,
            } => {
                let grants = match projects {
                    None => vec![crate::invites::postgres::default_grant(tx, org).await?],
                    Some(grants) => grants.clone(),
                };
                for grant in &grants {
                    if !exists(tx, PROJECT, org, grant.project_id.as_str()).await? {
                        let id = grant.project_id.as_str();
                        return Err(unknown(n, "projects", "project", id).into());
                    }
                }
                let created_at = created_at.unwrap_or(started);
                let invite = crate::invites::ImportedInvite {
                    id,
                    email,
                    role: *role,
                    created_at,
                    expires_at: expires_at
                        .unwrap_or_else(|| crate::invites::rules::expires_at(created_at)),
                    accepted_at: *accepted_at,
                };
                crate::invites::postgres::import_invite(tx, org, &invite, &grants).await?;
            }
        }
        summary.count(&line.item);
    }
    memberships.flush(tx, org).await?;
    Ok(summary)
}
