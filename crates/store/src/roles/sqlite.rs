//! Custom roles in SQLite.

use anyhow::Context as _;
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{NewRole, RoleChange, RoleRecord, RoleStore, no_such_role, role_event, rules};
use crate::ids::RoleId;
use crate::page::{NextQuery, Position};
use crate::sqlite::{SqliteStore, org_of_param1};
use crate::{OrgId, StoreError};

/// The columns [`role_from_row`] reads.
macro_rules! role_columns {
    () => {
        "id, name, description, permissions, created_at, updated_at"
    };
}

pub(crate) fn role_from_row(row: &Row<'_>) -> rusqlite::Result<RoleRecord> {
    let permissions: String = row.get(3)?;
    Ok(RoleRecord {
        id: RoleId::from_stored(row.get(0)?),
        name: row.get(1)?,
        description: row.get(2)?,
        permissions: serde_json::from_str(&permissions).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
        })?,
        predefined: None,
        created_at: Some(row.get(4)?),
        updated_at: Some(row.get(5)?),
    })
}

/// A custom role of the organization whose `seq` is `org`.
pub(crate) fn custom_role_in(
    conn: &Connection,
    org: i64,
    id: &RoleId,
) -> Result<Option<RoleRecord>, StoreError> {
    Ok(conn
        .prepare_cached(concat!(
            "SELECT ",
            role_columns!(),
            " FROM roles WHERE org = ?1 AND id = ?2"
        ))?
        .query_row(params![org, id.as_str()], role_from_row)
        .optional()?)
}

fn name_holder(conn: &Connection, org: i64, folded: &str) -> Result<Option<RoleId>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id FROM roles WHERE org = ?1 AND name_folded = ?2")?
        .query_row(params![org, folded], |r| r.get(0))
        .optional()?
        .map(RoleId::from_stored))
}

fn encode_permissions(permissions: &[String]) -> Result<String, StoreError> {
    Ok(serde_json::to_string(permissions).context("cannot encode permissions")?)
}

#[async_trait]
impl RoleStore for SqliteStore {
    async fn fetch_custom_roles(
        &self,
        org: &OrgId,
        query: &NextQuery,
    ) -> Result<Vec<(Position, RoleRecord)>, StoreError> {
        let (at, id) = query.start();
        let sql = format!(
            concat!(
                "SELECT ",
                role_columns!(),
                " FROM roles WHERE org = ",
                org_of_param1!(),
                " AND (created_at, id) {cmp} (?2, ?3) ORDER BY created_at {dir}, id {dir} LIMIT ?4"
            ),
            cmp = query.order.after_sql(),
            dir = query.order.sql(),
        );
        self.read_here(|conn| {
            let mut statement = conn.prepare_cached(&sql)?;
            let rows = statement
                .query_map(params![org.as_str(), at, id, query.fetch()], role_from_row)?
                .map(|role| role.map(|role| (role.position(), role)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    async fn custom_role(&self, org: &OrgId, id: &RoleId) -> Result<RoleRecord, StoreError> {
        self.read_here(|conn| {
            let seq = crate::sqlite::org_seq(conn, org)?;
            custom_role_in(conn, seq, id)?.ok_or_else(|| no_such_role(id))
        })
    }

    async fn create_role(&self, org: &OrgId, role: &NewRole) -> Result<RoleRecord, StoreError> {
        let role = role.clone();
        self.change(org, move |change| {
            rules::name_free(
                &role.name,
                name_holder(change.tx, change.org, &role.name.folded())?.as_ref(),
                None,
            )?;
            let at = change.now;
            let record = RoleRecord {
                id: RoleId::generate(),
                name: role.name.as_str().to_owned(),
                description: role.description.clone(),
                permissions: role.permissions.as_slice().to_vec(),
                predefined: None,
                created_at: Some(at),
                updated_at: Some(at),
            };
            change
                .tx
                .prepare_cached(
                    "INSERT INTO roles (org, id, name, name_folded, description, permissions, \
                     created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                )?
                .execute(params![
                    change.org,
                    record.id.as_str(),
                    record.name,
                    role.name.folded(),
                    record.description,
                    encode_permissions(&record.permissions)?,
                    at
                ])?;
            change.record(role_event("role.created", &record));
            Ok(record)
        })
        .await
    }

    async fn update_custom_role(
        &self,
        org: &OrgId,
        id: &RoleId,
        role_change: &RoleChange,
    ) -> Result<RoleRecord, StoreError> {
        let (id, role_change) = (id.clone(), role_change.clone());
        self.change(org, move |change| {
            let mut role =
                custom_role_in(change.tx, change.org, &id)?.ok_or_else(|| no_such_role(&id))?;
            if let Some(name) = &role_change.name {
                rules::name_free(
                    name,
                    name_holder(change.tx, change.org, &name.folded())?.as_ref(),
                    Some(&id),
                )?;
            }
            rules::apply(&role_change, &mut role, change.now);
            change
                .tx
                .prepare_cached(
                    "UPDATE roles SET name = ?3, name_folded = ?4, description = ?5, \
                     permissions = ?6, updated_at = ?7 WHERE org = ?1 AND id = ?2",
                )?
                .execute(params![
                    change.org,
                    id.as_str(),
                    role.name,
                    role.name.to_lowercase(),
                    role.description,
                    encode_permissions(&role.permissions)?,
                    role.updated_at
                ])?;
            change.record(role_event("role.updated", &role));
            Ok(role)
        })
        .await
    }

    async fn delete_custom_role(&self, org: &OrgId, id: &RoleId) -> Result<(), StoreError> {
        let id = id.clone();
        self.change(org, move |change| {
            let role =
                custom_role_in(change.tx, change.org, &id)?.ok_or_else(|| no_such_role(&id))?;
            for sql in [
                "DELETE FROM user_roles WHERE org = ?1 AND role_id = ?2",
                "DELETE FROM group_roles WHERE org = ?1 AND role_id = ?2",
                "DELETE FROM roles WHERE org = ?1 AND id = ?2",
            ] {
                change
                    .tx
                    .prepare_cached(sql)?
                    .execute(params![change.org, id.as_str()])?;
            }
            change.record(role_event("role.deleted", &role));
            Ok(())
        })
        .await
    }
}
