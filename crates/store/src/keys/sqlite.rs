//! Admin keys in SQLite.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::{KeyInfo, KeyStore};
use crate::domain::generate_key_id;
use crate::sqlite::SqliteStore;
use crate::{AdminKey, KeyHash, OrgId, StoreError, now};

fn key_info_from_row(row: &Row<'_>) -> rusqlite::Result<KeyInfo> {
    Ok(KeyInfo {
        id: row.get(0)?,
        name: row.get(1)?,
        org: OrgId::from_stored(row.get(2)?),
        created_at: row.get(3)?,
        last4: row.get(4)?,
        revoked_at: row.get(5)?,
    })
}

fn insert_key(
    tx: &Transaction<'_>,
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
    tx.execute(
        "INSERT INTO admin_keys (id, org_id, name, key_hash, last4, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![info.id, org.as_str(), info.name, key.hash().0.as_slice(), info.last4, info.created_at],
    )?;
    Ok(info)
}

#[async_trait]
impl KeyStore for SqliteStore {
    async fn create_key(
        &self,
        org: &OrgId,
        name: &str,
        key: &AdminKey,
    ) -> Result<KeyInfo, StoreError> {
        let (org, name, key) = (org.clone(), name.to_owned(), key.clone());
        self.run(move |s| s.write(|tx| insert_key(tx, &org, &name, &key)))
            .await
    }

    async fn ensure_key(&self, org: &OrgId, key: &AdminKey) -> Result<(), StoreError> {
        let (org, key) = (org.clone(), key.clone());
        self.run(move |s| {
            s.write(|tx| {
                let owner: Option<String> = tx
                    .query_row(
                        "SELECT org_id FROM admin_keys WHERE key_hash = ?1",
                        [key.hash().0.as_slice()],
                        |r| r.get(0),
                    )
                    .optional()?;
                match owner {
                    None => insert_key(tx, &org, "serve --admin-key", &key).map(drop),
                    // Only a revoked key is written: a commit that changes nothing still costs
                    // an fsync, and `serve --admin-key` runs this at every start.
                    Some(owner) if owner == org.as_str() => {
                        tx.execute(
                            "UPDATE admin_keys SET revoked_at = NULL WHERE key_hash = ?1 AND revoked_at IS NOT NULL",
                            [key.hash().0.as_slice()],
                        )?;
                        Ok(())
                    }
                    Some(owner) => Err(StoreError::KeyOfAnotherOrganization(OrgId::from_stored(
                        owner,
                    ))),
                }
            })
        })
        .await
    }

    async fn list_keys(&self) -> Result<Vec<KeyInfo>, StoreError> {
        self.read_here(|c| {
            let mut stmt = c.prepare(
                "SELECT id, name, org_id, created_at, last4, revoked_at FROM admin_keys ORDER BY created_at, id",
            )?;
            let keys = stmt.query_map([], key_info_from_row)?.collect::<Result<_, _>>()?;
            Ok(keys)
        })
    }

    async fn revoke_key(&self, key_id: &str) -> Result<bool, StoreError> {
        let key_id = key_id.to_owned();
        self.run(move |s| {
            s.write(|tx| {
                let changed = tx.execute(
                    "UPDATE admin_keys SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1",
                    params![key_id, now()],
                )?;
                Ok(changed > 0)
            })
        })
        .await
    }

    async fn authenticate(&self, key: &KeyHash) -> Result<Option<OrgId>, StoreError> {
        self.read_here(|c| {
            let found: Option<(String, Vec<u8>)> = c
                .prepare_cached(
                    "SELECT org_id, key_hash FROM admin_keys WHERE key_hash = ?1 AND revoked_at IS NULL",
                )?
                .query_row([key.0.as_slice()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            Ok(found
                .filter(|(_, stored)| key.matches(stored))
                .map(|(org, _)| OrgId::from_stored(org)))
        })
    }
}
