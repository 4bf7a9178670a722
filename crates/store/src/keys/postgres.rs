//! Admin keys in PostgreSQL.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{KeyInfo, KeyStore};
use crate::domain::generate_key_id;
use crate::postgres::PostgresStore;
use crate::{AdminKey, KeyHash, OrgId, StoreError, now};

fn key_info_from_row(row: &Row) -> Result<KeyInfo, StoreError> {
    Ok(KeyInfo {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        org: OrgId::from_stored(row.try_get(2)?),
        created_at: row.try_get(3)?,
        last4: row.try_get(4)?,
        revoked_at: row.try_get(5)?,
    })
}

async fn insert_key(
    client: &impl GenericClient,
    org: &OrgId,
    name: &str,
    key: &AdminKey,
) -> Result<KeyInfo, StoreError> {
    let info = KeyInfo {
        id: generate_key_id(),
        name: name.to_owned(),
        org: org.clone(),
        created_at: now(),
        last4: key.last4(),
        revoked_at: None,
    };
    client
        .execute(
            "INSERT INTO admin_keys (id, org_id, name, key_hash, last4, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &info.id,
                &org.as_str(),
                &info.name,
                &key.hash().0.as_slice(),
                &info.last4,
                &info.created_at,
            ],
        )
        .await?;
    Ok(info)
}

#[async_trait]
impl KeyStore for PostgresStore {
    async fn create_key(
        &self,
        org: &OrgId,
        name: &str,
        key: &AdminKey,
    ) -> Result<KeyInfo, StoreError> {
        insert_key(&self.client().await?, org, name, key).await
    }

    async fn ensure_key(&self, org: &OrgId, key: &AdminKey) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let hash = key.hash();
        let owner: Option<String> = tx
            .query_opt(
                "SELECT org_id FROM admin_keys WHERE key_hash = $1 FOR UPDATE",
                &[&hash.0.as_slice()],
            )
            .await?
            .map(|row| row.try_get(0))
            .transpose()?;
        match owner {
            None => {
                insert_key(&tx, org, "serve --admin-key", key).await?;
            }
            Some(owner) if owner == org.as_str() => {
                tx.execute(
                    "UPDATE admin_keys SET revoked_at = NULL WHERE key_hash = $1 AND revoked_at IS NOT NULL",
                    &[&hash.0.as_slice()],
                )
                .await?;
            }
            Some(owner) => {
                return Err(StoreError::KeyOfAnotherOrganization(OrgId::from_stored(
                    owner,
                )));
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list_keys(&self) -> Result<Vec<KeyInfo>, StoreError> {
        self.client()
            .await?
            .query(
                "SELECT id, name, org_id, created_at, last4, revoked_at FROM admin_keys \
                 ORDER BY created_at, id",
                &[],
            )
            .await?
            .iter()
            .map(key_info_from_row)
            .collect()
    }

    async fn revoke_key(&self, key_id: &str) -> Result<bool, StoreError> {
        let changed = self
            .client()
            .await?
            .execute(
                "UPDATE admin_keys SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1",
                &[&key_id, &now()],
            )
            .await?;
        Ok(changed > 0)
    }

    async fn authenticate(&self, key: &KeyHash) -> Result<Option<OrgId>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT org_id, key_hash FROM admin_keys WHERE key_hash = $1 AND revoked_at IS NULL",
            )
            .await?;
        let Some(row) = client.query_opt(&stmt, &[&key.0.as_slice()]).await? else {
            return Ok(None);
        };
        let org: String = row.try_get(0)?;
        let stored: Vec<u8> = row.try_get(1)?;
        Ok(key.matches(&stored).then(|| OrgId::from_stored(org)))
    }
}
