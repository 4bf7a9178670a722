//! The directory lines of an import, applied in SQLite after its users (see
//! `crate::transfer`). Imports write no audit events: they set the scene.

use rusqlite::{OptionalExtension, Transaction, params};

use crate::projects::ImportedProject;
use crate::projects::sqlite as projects;
use crate::roles::sqlite::custom_role_in;
use crate::transfer::{DirectoryItem, DirectorySummary, SetAside, unknown};
use crate::{ImportError, OrgId, Role, StoreError, now};

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
    let started = now();
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
        }
        summary.count(&line.item);
    }
    Ok(summary)
}
