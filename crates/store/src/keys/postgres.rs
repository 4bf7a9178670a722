//! Admin keys in PostgreSQL.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{
    AdminKeyRecord, KeyIdentity, KeyInfo, KeyLifetime, KeyOwner, KeyStore, admin_key_created_event,
    admin_key_deleted_event, no_such_admin_key,
};
use crate::clock::OrgClock;
use crate::domain::generate_key_id;
use crate::page::{FirstList, FirstQuery, Position, SortOrder};
use crate::postgres::{Change, PostgresStore, departures};
use crate::{AdminKey, KeyHash, OrgId, StoreError, now};

/// The columns of an [`AdminKeyRecord`], as [`admin_key_from_row`] reads them from
/// [`ADMIN_KEY_FROM`].
const ADMIN_KEY_COLUMNS: &str = "k.id, k.name, k.redacted_value, k.created_at, k.expires_at, \
                                 k.last_used_at, u.id, u.name, u.added_at, u.role";

/// The keys with their owners, who show while they are live users.
const ADMIN_KEY_FROM: &str = "admin_keys AS k LEFT JOIN users AS u \
     ON u.org_id = k.org_id AND u.id = k.owner_user_id AND NOT u.deleted";

fn admin_key_from_row(row: &Row) -> Result<AdminKeyRecord, StoreError> {
    let owner = match row.try_get::<_, Option<String>>(6)? {
        Some(id) => Some(KeyOwner {
            id,
            name: row.try_get(7)?,
            added_at: row.try_get(8)?,
            role: row.try_get(9)?,
        }),
        None => None,
    };
    Ok(AdminKeyRecord {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        redacted_value: row.try_get(2)?,
        created_at: row.try_get(3)?,
        expires_at: row.try_get(4)?,
        last_used_at: row.try_get(5)?,
        owner,
    })
}

/// A live key of `org`, with its owner.
async fn live_admin_key(
    client: &impl GenericClient,
    org: &OrgId,
    id: &str,
) -> Result<AdminKeyRecord, StoreError> {
    let stmt = client
        .prepare_cached(&format!(
            "SELECT {ADMIN_KEY_COLUMNS} FROM {ADMIN_KEY_FROM} \
             WHERE k.org_id = $1 AND k.id = $2 AND k.revoked_at IS NULL"
        ))
        .await?;
    match client.query_opt(&stmt, &[&org.as_str(), &id]).await? {
        Some(row) => admin_key_from_row(&row),
        None => Err(no_such_admin_key(id)),
    }
}

/// The clock columns of `organizations`, as [`clock_from_row`] reads them from `at`.
const CLOCK_COLUMNS: &str = "o.clock_frozen_at, o.clock_offset, o.clock_floor";

fn clock_from_row(row: &Row, at: usize) -> Result<OrgClock, StoreError> {
    Ok(OrgClock {
        frozen_at: row.try_get(at)?,
        offset: row.try_get(at + 1)?,
        floor: row.try_get(at + 2)?,
    })
}

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
    owner: Option<&str>,
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
            "INSERT INTO admin_keys (id, org_id, name, key_hash, last4, created_at, redacted_value, \
             owner_user_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &info.id,
                &org.as_str(),
                &info.name,
                &key.hash().0.as_slice(),
                &info.last4,
                &info.created_at,
                &key.redacted(),
                &owner,
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
        owner: Option<&str>,
    ) -> Result<KeyInfo, StoreError> {
        insert_key(&self.client().await?, org, name, key, owner).await
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
                insert_key(&tx, org, "serve --admin-key", key, None).await?;
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

    async fn authenticate(&self, key: &KeyHash) -> Result<Option<KeyIdentity>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT k.org_id, k.key_hash, k.id, k.expires_at, k.owner_user_id, {CLOCK_COLUMNS} \
                 FROM admin_keys AS k JOIN organizations AS o ON o.id = k.org_id \
                 WHERE k.key_hash = $1 AND k.revoked_at IS NULL"
            ))
            .await?;
        let Some(row) = client.query_opt(&stmt, &[&key.0.as_slice()]).await? else {
            return Ok(None);
        };
        let org: String = row.try_get(0)?;
        let stored: Vec<u8> = row.try_get(1)?;
        let key_id: String = row.try_get(2)?;
        let expires_at: Option<i64> = row.try_get(3)?;
        let owner_user_id: Option<String> = row.try_get(4)?;
        if !key.matches(&stored) {
            return Ok(None);
        }
        // Expiry is judged by the organization's clock, which the control endpoints move.
        if let Some(expires_at) = expires_at
            && clock_from_row(&row, 5)?.reading(now()) >= expires_at
        {
            return Ok(None);
        }
        Ok(Some(KeyIdentity {
            org: OrgId::from_stored(org),
            key_id,
            owner_user_id,
        }))
    }

    async fn fetch_admin_keys(
        &self,
        org: &OrgId,
        query: &FirstQuery,
        order: SortOrder,
    ) -> Result<Vec<(Position, AdminKeyRecord)>, StoreError> {
        let client = self.client().await?;
        // Revoked keys keep their row, so the live query places an `after` naming one; the
        // departures are there for keys that ever leave the table.
        let mut page = departures::place(
            &client,
            org,
            FirstList::ADMIN_API_KEYS,
            "",
            query,
            "SELECT created_at, id FROM admin_keys WHERE org_id = $1 AND $2 = '' AND id = $3",
        )
        .await?;
        page.order = order;
        let (at, id) = page.start();
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {ADMIN_KEY_COLUMNS} FROM {ADMIN_KEY_FROM} \
                 WHERE k.org_id = $1 AND k.revoked_at IS NULL AND (k.created_at, k.id) {} ($2, $3) \
                 ORDER BY k.created_at {order}, k.id {order} LIMIT $4",
                order.after_sql(),
                order = order.sql(),
            ))
            .await?;
        client
            .query(&stmt, &[&org.as_str(), &at, &id, &page.fetch()])
            .await?
            .iter()
            .map(|row| admin_key_from_row(row).map(|key| (key.position(), key)))
            .collect()
    }

    async fn get_admin_key(&self, org: &OrgId, id: &str) -> Result<AdminKeyRecord, StoreError> {
        live_admin_key(&self.client().await?, org, id).await
    }

    async fn create_admin_key(
        &self,
        org: &OrgId,
        name: &str,
        lifetime: Option<KeyLifetime>,
    ) -> Result<(AdminKeyRecord, AdminKey), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let key = AdminKey::generate();
        let id = generate_key_id();
        // The acting key's owner, if still a live user, owns the key it makes.
        let owner = change.acting_user().await?.map(|user| user.id);
        change
            .tx
            .execute(
                "INSERT INTO admin_keys (id, org_id, name, key_hash, last4, created_at, \
                 redacted_value, expires_at, owner_user_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    &id,
                    &org.as_str(),
                    &name,
                    &key.hash().0.as_slice(),
                    &key.last4(),
                    &change.now,
                    &key.redacted(),
                    &lifetime.map(|l| l.expiry_from(change.now)),
                    &owner,
                ],
            )
            .await?;
        let record = live_admin_key(&change.tx, org, &id).await?;
        change.record(admin_key_created_event(&record.id));
        change.commit().await?;
        Ok((record, key))
    }

    async fn delete_admin_key(&self, org: &OrgId, id: &str) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let revoked = change
            .tx
            .execute(
                "UPDATE admin_keys SET revoked_at = $3 \
                 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL",
                &[&org.as_str(), &id, &change.now],
            )
            .await?;
        if revoked == 0 {
            return Err(no_such_admin_key(id));
        }
        change.record(admin_key_deleted_event(id));
        change.commit().await
    }

    async fn touch_admin_key(&self, key_id: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT {CLOCK_COLUMNS} FROM admin_keys AS k \
                     JOIN organizations AS o ON o.id = k.org_id WHERE k.id = $1"
                ),
                &[&key_id],
            )
            .await?;
        let Some(row) = row else {
            return Ok(());
        };
        let at = clock_from_row(&row, 0)?.reading(now());
        client
            .execute(
                "UPDATE admin_keys SET last_used_at = $2 WHERE id = $1",
                &[&key_id, &at],
            )
            .await?;
        Ok(())
    }
}
