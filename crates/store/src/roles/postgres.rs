//! Custom roles in PostgreSQL.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{NewRole, RoleChange, RoleRecord, RoleStore, no_such_role, role_event, rules};
use crate::ids::RoleId;
use crate::page::{NextQuery, Position};
use crate::postgres::{Change, PostgresStore};
use crate::{OrgId, StoreError};

/// The columns [`role_from_row`] reads.
pub(crate) const ROLE_COLUMNS: &str = "id, name, description, permissions, created_at, updated_at";

pub(crate) fn role_from_row(row: &Row) -> Result<RoleRecord, StoreError> {
    let permissions: serde_json::Value = row.try_get(3)?;
    Ok(RoleRecord {
        id: RoleId::from_stored(row.try_get(0)?),
        name: row.try_get(1)?,
        description: row.try_get(2)?,
        permissions: serde_json::from_value(permissions)
            .map_err(|e| anyhow::anyhow!("a stored role's permissions are broken: {e}"))?,
        predefined: None,
        created_at: Some(row.try_get(4)?),
        updated_at: Some(row.try_get(5)?),
    })
}

/// A custom role of `org`.
pub(crate) async fn custom_role_in(
    client: &impl GenericClient,
    org: &OrgId,
    id: &RoleId,
) -> Result<Option<RoleRecord>, StoreError> {
    let sql = format!("SELECT {ROLE_COLUMNS} FROM roles WHERE org_id = $1 AND id = $2");
    let stmt = client.prepare_cached(&sql).await?;
    client
        .query_opt(&stmt, &[&org.as_str(), &id.as_str()])
        .await?
        .map(|row| role_from_row(&row))
        .transpose()
}

async fn name_holder(
    client: &impl GenericClient,
    org: &OrgId,
    folded: &str,
) -> Result<Option<RoleId>, StoreError> {
    let stmt = client
        .prepare_cached("SELECT id FROM roles WHERE org_id = $1 AND name_folded = $2")
        .await?;
    Ok(client
        .query_opt(&stmt, &[&org.as_str(), &folded])
        .await?
        .map(|row| row.try_get(0))
        .transpose()?
        .map(RoleId::from_stored))
}

#[async_trait]
impl RoleStore for PostgresStore {
    async fn fetch_custom_roles(
        &self,
        org: &OrgId,
        query: &NextQuery,
    ) -> Result<Vec<(Position, RoleRecord)>, StoreError> {
        let (at, id) = query.start();
        let sql = format!(
            "SELECT {ROLE_COLUMNS} FROM roles WHERE org_id = $1 AND (created_at, id) {cmp} ($2, $3) \
             ORDER BY created_at {dir}, id {dir} LIMIT $4",
            cmp = query.order.after_sql(),
            dir = query.order.sql(),
        );
        let client = self.client().await?;
        let stmt = client.prepare_cached(&sql).await?;
        client
            .query(&stmt, &[&org.as_str(), &at, &id, &query.fetch()])
            .await?
            .iter()
            .map(|row| role_from_row(row).map(|role| (role.position(), role)))
            .collect()
    }

    async fn custom_role(&self, org: &OrgId, id: &RoleId) -> Result<RoleRecord, StoreError> {
        custom_role_in(&self.client().await?, org, id)
            .await?
            .ok_or_else(|| no_such_role(id))
    }

    async fn create_role(&self, org: &OrgId, role: &NewRole) -> Result<RoleRecord, StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let holder = name_holder(&change.tx, org, &role.name.folded()).await?;
        rules::name_free(&role.name, holder.as_ref(), None)?;
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
        let stmt = change
            .tx
            .prepare_cached(
                "INSERT INTO roles (org_id, id, name, name_folded, description, permissions, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            )
            .await?;
        change
            .tx
            .execute(
                &stmt,
                &[
                    &org.as_str(),
                    &record.id.as_str(),
                    &record.name,
                    &role.name.folded(),
                    &record.description,
                    &serde_json::json!(record.permissions),
                    &at,
                ],
            )
            .await?;
        change.record(role_event("role.created", &record));
        change.commit().await?;
        Ok(record)
    }

    async fn update_custom_role(
        &self,
        org: &OrgId,
        id: &RoleId,
        role_change: &RoleChange,
    ) -> Result<RoleRecord, StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let mut role = custom_role_in(&change.tx, org, id)
            .await?
            .ok_or_else(|| no_such_role(id))?;
        if let Some(name) = &role_change.name {
            let holder = name_holder(&change.tx, org, &name.folded()).await?;
            rules::name_free(name, holder.as_ref(), Some(id))?;
        }
        rules::apply(role_change, &mut role, change.now);
        let stmt = change
            .tx
            .prepare_cached(
                "UPDATE roles SET name = $3, name_folded = $4, description = $5, \
                 permissions = $6, updated_at = $7 WHERE org_id = $1 AND id = $2",
            )
            .await?;
        change
            .tx
            .execute(
                &stmt,
                &[
                    &org.as_str(),
                    &id.as_str(),
                    &role.name,
                    &role.name.to_lowercase(),
                    &role.description,
                    &serde_json::json!(role.permissions),
                    &role.updated_at,
                ],
            )
            .await?;
        change.record(role_event("role.updated", &role));
        change.commit().await?;
        Ok(role)
    }

    async fn delete_custom_role(&self, org: &OrgId, id: &RoleId) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let role = custom_role_in(&change.tx, org, id)
            .await?
            .ok_or_else(|| no_such_role(id))?;
        for sql in [
            "DELETE FROM user_roles WHERE org_id = $1 AND role_id = $2",
            "DELETE FROM group_roles WHERE org_id = $1 AND role_id = $2",
            "DELETE FROM roles WHERE org_id = $1 AND id = $2",
        ] {
            let stmt = change.tx.prepare_cached(sql).await?;
            change
                .tx
                .execute(&stmt, &[&org.as_str(), &id.as_str()])
                .await?;
        }
        change.record(role_event("role.deleted", &role));
        change.commit().await
    }
}
