//! Project API keys in PostgreSQL.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{
    HAS_ACCESS_SQL, KEY_COLUMNS, KeyRow, NewKey, OwnerAccess, OwnerType, ProjectKeyRecord,
    ProjectKeyStore, key_created_event, key_deleted_event, no_such_key,
};
use crate::ids::{ApiKeyId, ProjectId};
use crate::page::{FirstList, FirstQuery, Position};
use crate::postgres::{Change, PostgresStore, departures};
use crate::projects::postgres::project_in;
use crate::projects::rules as project_rules;
use crate::{OrgId, StoreError};

/// The keys with their owners: `k` joined to its service account `s`, its user `u` and that
/// user's membership `m` of the key's project.
const KEYS_WITH_OWNERS: &str = "FROM project_api_keys AS k \
     LEFT JOIN service_accounts AS s \
       ON k.owner_type = 'service_account' AND s.org_id = k.org_id AND s.id = k.owner_id \
     LEFT JOIN users AS u \
       ON k.owner_type = 'user' AND u.org_id = k.org_id AND u.id = k.owner_id AND NOT u.deleted \
     LEFT JOIN project_users AS m \
       ON k.owner_type = 'user' AND m.org_id = k.org_id AND m.project_id = k.project_id \
       AND m.user_id = k.owner_id";

fn key_from_row(row: &Row) -> Result<ProjectKeyRecord, StoreError> {
    Ok(KeyRow {
        id: row.try_get(0)?,
        project_id: row.try_get(1)?,
        name: row.try_get(2)?,
        redacted_value: row.try_get(3)?,
        created_at: row.try_get(4)?,
        last_used_at: row.try_get(5)?,
        owner_type: row.try_get(6)?,
        owner_id: row.try_get(7)?,
        account_name: row.try_get(8)?,
        account_created_at: row.try_get(9)?,
        account_role: row.try_get(10)?,
        user_name: row.try_get(11)?,
        user_email: row.try_get(12)?,
        user_added_at: row.try_get(13)?,
        member_role: row.try_get(14)?,
        value_sha256: row.try_get(15)?,
    }
    .into_record())
}

async fn key_in(
    client: &impl GenericClient,
    org: &OrgId,
    project: &ProjectId,
    id: &ApiKeyId,
) -> Result<ProjectKeyRecord, StoreError> {
    let stmt = client
        .prepare_cached(&format!(
            "SELECT {KEY_COLUMNS} {KEYS_WITH_OWNERS} \
             WHERE k.org_id = $1 AND k.project_id = $2 AND k.id = $3"
        ))
        .await?;
    match client
        .query_opt(&stmt, &[&org.as_str(), &project.as_str(), &id.as_str()])
        .await?
    {
        Some(row) => key_from_row(&row),
        None => Err(no_such_key(id)),
    }
}

/// Stores `key` of `project`, owned by `owner`, as its hash and redacted form.
pub(crate) async fn insert_key(
    change: &mut Change<'_>,
    org: &OrgId,
    project: &ProjectId,
    owner: (OwnerType, &str),
    key: &NewKey,
) -> Result<(), StoreError> {
    let (owner_type, owner_id) = owner;
    let stmt = change
        .tx
        .prepare_cached(
            "INSERT INTO project_api_keys (org_id, project_id, id, name, redacted_value, \
             value_sha256, created_at, owner_type, owner_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .await?;
    change
        .tx
        .execute(
            &stmt,
            &[
                &org.as_str(),
                &project.as_str(),
                &key.id.as_str(),
                &key.name.as_str(),
                &key.secret.redacted(),
                &key.secret.hash().0.as_slice(),
                &key.created_at,
                &owner_type.as_str(),
                &owner_id,
            ],
        )
        .await?;
    change.record(key_created_event(project, owner_id, key));
    Ok(())
}

/// Deletes one key, keeping its place in its project's list for cursors.
async fn delete_key(
    change: &mut Change<'_>,
    org: &OrgId,
    project: &str,
    position: &Position,
) -> Result<(), StoreError> {
    let stmt = change
        .tx
        .prepare_cached("DELETE FROM project_api_keys WHERE org_id = $1 AND id = $2")
        .await?;
    change
        .tx
        .execute(&stmt, &[&org.as_str(), &position.id])
        .await?;
    departures::record(
        &change.tx,
        org,
        FirstList::PROJECT_API_KEYS,
        project,
        position,
    )
    .await?;
    change.record(key_deleted_event(project, &position.id));
    Ok(())
}

/// Deletes every key `owner` owns, in whichever project.
pub(crate) async fn delete_keys_of(
    change: &mut Change<'_>,
    org: &OrgId,
    owner_type: OwnerType,
    owner_id: &str,
) -> Result<(), StoreError> {
    let stmt = change
        .tx
        .prepare_cached(
            "SELECT project_id, created_at, id FROM project_api_keys \
             WHERE org_id = $1 AND owner_id = $2 AND owner_type = $3 ORDER BY created_at, id",
        )
        .await?;
    let rows = change
        .tx
        .query(&stmt, &[&org.as_str(), &owner_id, &owner_type.as_str()])
        .await?;
    for row in rows {
        let project: String = row.try_get(0)?;
        let position = Position::new(row.try_get(1)?, row.try_get::<_, String>(2)?);
        delete_key(change, org, &project, &position).await?;
    }
    Ok(())
}

/// Deletes the keys `user` owns (its deletion from the organization).
pub(crate) async fn delete_keys_of_user(
    change: &mut Change<'_>,
    org: &OrgId,
    user: &str,
) -> Result<(), StoreError> {
    delete_keys_of(change, org, OwnerType::User, user).await
}

#[async_trait]
impl ProjectKeyStore for PostgresStore {
    async fn fetch_project_keys(
        &self,
        org: &OrgId,
        project: &ProjectId,
        query: &FirstQuery,
        access: Option<OwnerAccess>,
    ) -> Result<Vec<(Position, ProjectKeyRecord)>, StoreError> {
        let client = self.client().await?;
        project_in(&client, org, project).await?;
        let page = departures::place(
            &client,
            org,
            FirstList::PROJECT_API_KEYS,
            project.as_str(),
            query,
            "SELECT created_at, id FROM project_api_keys \
             WHERE org_id = $1 AND project_id = $2 AND id = $3",
        )
        .await?;
        let (at, id) = page.start();
        let active = access.map(|access| access == OwnerAccess::Active);
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} {KEYS_WITH_OWNERS} \
                 WHERE k.org_id = $1 AND k.project_id = $2 AND (k.created_at, k.id) > ($3, $4) \
                 AND ($6::BOOLEAN IS NULL OR $6::BOOLEAN = {HAS_ACCESS_SQL}) \
                 ORDER BY k.created_at, k.id LIMIT $5"
            ))
            .await?;
        client
            .query(
                &stmt,
                &[
                    &org.as_str(),
                    &project.as_str(),
                    &at,
                    &id,
                    &page.fetch(),
                    &active,
                ],
            )
            .await?
            .iter()
            .map(|row| key_from_row(row).map(|key| (key.position(), key)))
            .collect()
    }

    async fn get_project_key(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ApiKeyId,
    ) -> Result<ProjectKeyRecord, StoreError> {
        let client = self.client().await?;
        project_in(&client, org, project).await?;
        key_in(&client, org, project, id).await
    }

    async fn delete_project_key(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ApiKeyId,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let record = project_in(&change.tx, org, project).await?;
        let key = key_in(&change.tx, org, project, id).await?;
        project_rules::writable(&record)?;
        delete_key(&mut change, org, project.as_str(), &key.position()).await?;
        change.commit().await
    }
}
