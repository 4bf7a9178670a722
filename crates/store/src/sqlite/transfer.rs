//! The directory lines of an import, applied in SQLite after its users (see
//! `crate::transfer`). Imports write no audit events: they set the scene.

use rusqlite::{OptionalExtension, Transaction, params};

use crate::project_groups::rules::project_role;
use crate::project_keys::OwnerType;
use crate::projects::ImportedProject;
use crate::projects::sqlite as projects;
use crate::roles::sqlite::custom_role_in;
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

fn exists(tx: &Transaction<'_>, sql: &str, org: i64, id: &str) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached(sql)?
        .query_row(params![org, id], |_| Ok(()))
        .optional()?
        .is_some())
}

const LIVE_USER: &str = "SELECT 1 FROM users WHERE org = ?1 AND id = ?2 AND deleted = 0";
const GROUP: &str = "SELECT 1 FROM groups WHERE org = ?1 AND id = ?2";
const PROJECT: &str = "SELECT 1 FROM projects WHERE org = ?1 AND id = ?2";

/// Applies the set-aside lines in file order.
pub(crate) fn apply(
    tx: &Transaction<'_>,
    org_id: &OrgId,
    org: i64,
    aside: &SetAside,
) -> Result<DirectorySummary, StoreError> {
    let mut summary = DirectorySummary::default();
    let started = crate::sqlite::org_now(tx, org)?;
    for line in &aside.lines {
        aside.check_order(line)?;
        let n = line.line;
        match &line.item {
            DirectoryItem::Role {
                id,
                name,
                permissions,
                description,
                created_at,
                updated_at,
            } => {
                if Role::from_role_id(id.as_str(), org_id).is_some() {
                    return Err(refused(
                        n,
                        "id",
                        "predefined roles exist in every organization; leave them out".into(),
                    ));
                }
                let holder: Option<String> = tx
                    .prepare_cached("SELECT id FROM roles WHERE org = ?1 AND name_folded = ?2")?
                    .query_row(params![org, name.folded()], |r| r.get(0))
                    .optional()?;
                if holder.is_some_and(|holder| holder != id.as_str()) {
                    return Err(refused(
                        n,
                        "name",
                        format!("a role named '{}' already exists", name.as_str()),
                    ));
                }
                let created = created_at.unwrap_or(started);
                tx.prepare_cached(
                    "INSERT INTO roles (org, id, name, name_folded, description, permissions, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (org, id) DO UPDATE SET \
                     name = excluded.name, name_folded = excluded.name_folded, description = excluded.description, \
                     permissions = excluded.permissions, created_at = excluded.created_at, updated_at = excluded.updated_at",
                )?
                .execute(params![
                    org,
                    id.as_str(),
                    name.as_str(),
                    name.folded(),
                    description,
                    serde_json::to_string(permissions.as_slice()).map_err(anyhow::Error::from)?,
                    created,
                    updated_at.unwrap_or(created)
                ])?;
            }
            DirectoryItem::Group {
                id,
                name,
                created_at,
            } => {
                tx.prepare_cached(
                    "INSERT INTO groups (org, id, name, created_at) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (org, id) DO UPDATE SET name = excluded.name, created_at = excluded.created_at",
                )?
                .execute(params![org, id.as_str(), name.as_str(), created_at.unwrap_or(started)])?;
            }
            DirectoryItem::GroupUser {
                group,
                user,
                added_at,
            } => {
                if !exists(tx, GROUP, org, group.as_str())? {
                    return Err(unknown(n, "group_id", "group", group.as_str()).into());
                }
                if !exists(tx, LIVE_USER, org, user)? {
                    return Err(unknown(n, "user_id", "user", user).into());
                }
                tx.prepare_cached(
                    "INSERT INTO group_users (org, group_id, user_id, added_at) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (org, group_id, user_id) DO UPDATE SET added_at = excluded.added_at",
                )?
                .execute(params![org, group.as_str(), user, added_at.unwrap_or(started)])?;
            }
            DirectoryItem::UserRole { user, role } => {
                if !exists(tx, LIVE_USER, org, user)? {
                    return Err(unknown(n, "user_id", "user", user).into());
                }
                if let Some(predefined) = Role::from_role_id(role.as_str(), org_id) {
                    tx.prepare_cached("UPDATE users SET role = ?3 WHERE org = ?1 AND id = ?2")?
                        .execute(params![org, user, predefined.as_str()])?;
                } else {
                    if custom_role_in(tx, org, role)?.is_none() {
                        return Err(unknown(n, "role_id", "role", role.as_str()).into());
                    }
                    tx.prepare_cached(
                        "INSERT OR IGNORE INTO user_roles (org, user_id, role_id, assigned_at) VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![org, user, role.as_str(), started])?;
                }
            }
            DirectoryItem::GroupRole { group, role } => {
                if !exists(tx, GROUP, org, group.as_str())? {
                    return Err(unknown(n, "group_id", "group", group.as_str()).into());
                }
                if Role::from_role_id(role.as_str(), org_id).is_some() {
                    return Err(refused(
                        n,
                        "role_id",
                        "predefined roles cannot be assigned to groups".into(),
                    ));
                }
                if custom_role_in(tx, org, role)?.is_none() {
                    return Err(unknown(n, "role_id", "role", role.as_str()).into());
                }
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO group_roles (org, group_id, role_id, assigned_at) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![org, group.as_str(), role.as_str(), started])?;
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
                projects::import_project(tx, org, &project).map_err(|e| refused(n, "id", e))?;
            }
            DirectoryItem::ProjectUser {
                project,
                user,
                role,
                added_at,
            } => {
                if !exists(tx, PROJECT, org, project.as_str())? {
                    return Err(unknown(n, "project_id", "project", project.as_str()).into());
                }
                if !exists(tx, LIVE_USER, org, user)? {
                    return Err(unknown(n, "id", "user", user).into());
                }
                projects::import_member(
                    tx,
                    org,
                    project,
                    user,
                    *role,
                    added_at.unwrap_or(started),
                )?;
            }
            DirectoryItem::ProjectGroup {
                project,
                group,
                role,
                created_at,
            } => {
                if !exists(tx, PROJECT, org, project.as_str())? {
                    return Err(unknown(n, "project_id", "project", project.as_str()).into());
                }
                if !exists(tx, GROUP, org, group.as_str())? {
                    return Err(unknown(n, "group_id", "group", group.as_str()).into());
                }
                let role =
                    project_role(project, role).map_err(|e| refused(n, "role", e.to_string()))?;
                tx.prepare_cached(
                    "INSERT INTO project_groups (org, project_id, group_id, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5) \
                     ON CONFLICT (org, project_id, group_id) DO UPDATE SET role = excluded.role, created_at = excluded.created_at",
                )?
                .execute(params![org, project.as_str(), group.as_str(), role.as_str(), created_at.unwrap_or(started)])?;
            }
            DirectoryItem::ServiceAccount {
                project,
                id,
                name,
                role,
                created_at,
            } => {
                if !exists(tx, PROJECT, org, project.as_str())? {
                    return Err(unknown(n, "project_id", "project", project.as_str()).into());
                }
                let elsewhere: Option<String> = tx
                    .prepare_cached(
                        "SELECT project_id FROM service_accounts WHERE org = ?1 AND id = ?2",
                    )?
                    .query_row(params![org, id.as_str()], |r| r.get(0))
                    .optional()?;
                if let Some(other) = elsewhere.filter(|other| other != project.as_str()) {
                    return Err(refused(
                        n,
                        "id",
                        format!("service account '{id}' belongs to project '{other}'"),
                    ));
                }
                tx.prepare_cached(
                    "INSERT INTO service_accounts (org, project_id, id, name, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                     ON CONFLICT (org, id) DO UPDATE SET name = excluded.name, role = excluded.role, created_at = excluded.created_at",
                )?
                .execute(params![org, project.as_str(), id.as_str(), name.as_str(), role.as_str(), created_at.unwrap_or(started)])?;
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
                if !exists(tx, PROJECT, org, project.as_str())? {
                    return Err(unknown(n, "project_id", "project", project.as_str()).into());
                }
                let owner_known = match owner_type {
                    OwnerType::User => exists(tx, LIVE_USER, org, owner_id)?,
                    OwnerType::ServiceAccount => tx
                        .prepare_cached(
                            "SELECT 1 FROM service_accounts WHERE org = ?1 AND id = ?2 AND project_id = ?3",
                        )?
                        .query_row(params![org, owner_id, project.as_str()], |_| Ok(()))
                        .optional()?
                        .is_some(),
                };
                if !owner_known {
                    let (field, kind) = owner_type.import_reference();
                    return Err(unknown(n, field, kind, owner_id).into());
                }
                let elsewhere: Option<String> = tx
                    .prepare_cached(
                        "SELECT project_id FROM project_api_keys WHERE org = ?1 AND id = ?2",
                    )?
                    .query_row(params![org, id.as_str()], |r| r.get(0))
                    .optional()?;
                if let Some(other) = elsewhere.filter(|other| other != project.as_str()) {
                    return Err(refused(
                        n,
                        "id",
                        format!("API key '{id}' belongs to project '{other}'"),
                    ));
                }
                tx.prepare_cached(
                    "INSERT INTO project_api_keys (org, project_id, id, name, redacted_value, value_sha256, created_at, \
                     last_used_at, owner_type, owner_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                     ON CONFLICT (org, id) DO UPDATE SET name = excluded.name, redacted_value = excluded.redacted_value, \
                     value_sha256 = excluded.value_sha256, created_at = excluded.created_at, \
                     last_used_at = excluded.last_used_at, owner_type = excluded.owner_type, owner_id = excluded.owner_id",
                )?
                .execute(params![
                    org,
                    project.as_str(),
                    id.as_str(),
                    name.as_str(),
                    redacted_value,
                    value_sha256.as_ref().map(<[u8; 32]>::as_slice),
                    created_at.unwrap_or(started),
                    last_used_at,
                    owner_type.as_str(),
                    owner_id
                ])?;
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
                    None => vec![crate::invites::sqlite::default_grant(tx, org)?],
                    Some(grants) => grants.clone(),
                };
                for grant in &grants {
                    if !exists(tx, PROJECT, org, grant.project_id.as_str())? {
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
                crate::invites::sqlite::import_invite(tx, org, &invite, &grants)?;
            }
        }
        summary.count(&line.item);
    }
    Ok(summary)
}
