//! Admin keys in SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::{
    AdminKeyRecord, KeyIdentity, KeyInfo, KeyLifetime, KeyOwner, KeyStore, admin_key_created_event,
    admin_key_deleted_event, no_such_admin_key,
};
use crate::clock::OrgClock;
use crate::domain::generate_key_id;
use crate::page::{FirstList, FirstQuery, Position, SortOrder};
use crate::sqlite::{SqliteStore, departures, org_seq};
use crate::{AdminKey, KeyHash, OrgId, StoreError, now};

/// The columns of an [`AdminKeyRecord`], as [`admin_key_from_row`] reads them from
/// [`ADMIN_KEY_FROM`].
const ADMIN_KEY_COLUMNS: &str = "k.id, k.name, k.redacted_value, k.created_at, k.expires_at, \
                                 k.last_used_at, u.id, u.name, u.added_at, u.role";

/// The keys with their owners, who show while they are live users; `?1` is the organization's
/// id and `?2` its `seq`.
const ADMIN_KEY_FROM: &str = "admin_keys AS k LEFT JOIN users AS u \
     ON u.org = ?2 AND u.id = k.owner_user_id AND u.deleted = 0";

fn admin_key_from_row(row: &Row<'_>) -> rusqlite::Result<AdminKeyRecord> {
    let owner_id: Option<String> = row.get(6)?;
    let owner = match owner_id {
        Some(id) => Some(KeyOwner {
            id,
            name: row.get(7)?,
            added_at: row.get(8)?,
            role: row.get(9)?,
        }),
        None => None,
    };
    Ok(AdminKeyRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        redacted_value: row.get(2)?,
        created_at: row.get(3)?,
        expires_at: row.get(4)?,
        last_used_at: row.get(5)?,
        owner,
    })
}

fn live_admin_key(conn: &Connection, org: &OrgId, id: &str) -> Result<AdminKeyRecord, StoreError> {
    let seq = org_seq(conn, org)?;
    conn.prepare_cached(&format!(
        "SELECT {ADMIN_KEY_COLUMNS} FROM {ADMIN_KEY_FROM} \
         WHERE k.org_id = ?1 AND k.id = ?3 AND k.revoked_at IS NULL"
    ))?
    .query_row(params![org.as_str(), seq, id], admin_key_from_row)
    .optional()?
    .ok_or_else(|| no_such_admin_key(id))
}

/// The clock of the organization `org_id` names.
fn clock_of(conn: &Connection, org_id: &str) -> Result<OrgClock, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT clock_frozen_at, clock_offset, clock_floor FROM organizations WHERE id = ?1",
        )?
        .query_row([org_id], |r| {
            Ok(OrgClock {
                frozen_at: r.get(0)?,
                offset: r.get(1)?,
                floor: r.get(2)?,
            })
        })?)
}

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
    tx.execute(
        "INSERT INTO admin_keys (id, org_id, name, key_hash, last4, created_at, redacted_value, \
         owner_user_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            info.id,
            org.as_str(),
            info.name,
            key.hash().0.as_slice(),
            info.last4,
            info.created_at,
            key.redacted(),
            owner
        ],
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
        owner: Option<&str>,
    ) -> Result<KeyInfo, StoreError> {
        let (org, name, key) = (org.clone(), name.to_owned(), key.clone());
        let owner = owner.map(str::to_owned);
        self.run(move |s| s.write(|tx| insert_key(tx, &org, &name, &key, owner.as_deref())))
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
                    None => insert_key(tx, &org, "serve --admin-key", &key, None).map(drop),
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

    async fn authenticate(&self, key: &KeyHash) -> Result<Option<KeyIdentity>, StoreError> {
        self.read_here(|c| {
            type Found = (String, Vec<u8>, String, Option<i64>, Option<String>);
            let found: Option<Found> = c
                .prepare_cached(
                    "SELECT org_id, key_hash, id, expires_at, owner_user_id FROM admin_keys \
                     WHERE key_hash = ?1 AND revoked_at IS NULL",
                )?
                .query_row([key.0.as_slice()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .optional()?;
            let Some((org, stored, key_id, expires_at, owner_user_id)) = found else {
                return Ok(None);
            };
            if !key.matches(&stored) {
                return Ok(None);
            }
            // Expiry is judged by the organization's clock, which the control endpoints move.
            if let Some(expires_at) = expires_at
                && clock_of(c, &org)?.reading(now()) >= expires_at
            {
                return Ok(None);
            }
            Ok(Some(KeyIdentity {
                org: OrgId::from_stored(org),
                key_id,
                owner_user_id,
            }))
        })
    }

    async fn fetch_admin_keys(
        &self,
        org: &OrgId,
        query: &FirstQuery,
        order: SortOrder,
    ) -> Result<Vec<(Position, AdminKeyRecord)>, StoreError> {
        let sql = format!(
            "SELECT {ADMIN_KEY_COLUMNS} FROM {ADMIN_KEY_FROM} \
             WHERE k.org_id = ?1 AND k.revoked_at IS NULL AND (k.created_at, k.id) {} (?3, ?4) \
             ORDER BY k.created_at {order}, k.id {order} LIMIT ?5",
            order.after_sql(),
            order = order.sql(),
        );
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            // Revoked keys keep their row, so the live query places an `after` naming one;
            // the departures are there for keys that ever leave the table.
            let mut page = departures::place(
                conn,
                seq,
                FirstList::ADMIN_API_KEYS,
                "",
                query,
                "SELECT k.created_at, k.id FROM admin_keys AS k \
                 JOIN organizations AS o ON o.id = k.org_id \
                 WHERE o.seq = ?1 AND ?2 = '' AND k.id = ?3",
            )?;
            page.order = order;
            let (at, id) = page.start();
            let rows = conn
                .prepare_cached(&sql)?
                .query_map(
                    params![org.as_str(), seq, at, id, page.fetch()],
                    admin_key_from_row,
                )?
                .map(|key| key.map(|key| (key.position(), key)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    async fn get_admin_key(&self, org: &OrgId, id: &str) -> Result<AdminKeyRecord, StoreError> {
        self.read_here(|conn| live_admin_key(conn, org, id))
    }

    async fn create_admin_key(
        &self,
        org: &OrgId,
        name: &str,
        lifetime: Option<KeyLifetime>,
    ) -> Result<(AdminKeyRecord, AdminKey), StoreError> {
        let (org_id, name) = (org.clone(), name.to_owned());
        self.change(org, move |change| {
            let key = AdminKey::generate();
            let id = generate_key_id();
            // The acting key's owner, if still a live user, owns the key it makes.
            let owner = change.acting_user()?.map(|user| user.id);
            change
                .tx
                .prepare_cached(
                    "INSERT INTO admin_keys (id, org_id, name, key_hash, last4, created_at, \
                     redacted_value, expires_at, owner_user_id) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(params![
                    id,
                    org_id.as_str(),
                    name,
                    key.hash().0.as_slice(),
                    key.last4(),
                    change.now,
                    key.redacted(),
                    lifetime.map(|l| l.expiry_from(change.now)),
                    owner
                ])?;
            let record = live_admin_key(change.tx, &org_id, &id)?;
            change.record(admin_key_created_event(&record.id));
            Ok((record, key))
        })
        .await
    }

    async fn delete_admin_key(&self, org: &OrgId, id: &str) -> Result<(), StoreError> {
        let (org_id, id) = (org.clone(), id.to_owned());
        self.change(org, move |change| {
            let revoked = change
                .tx
                .prepare_cached(
                    "UPDATE admin_keys SET revoked_at = ?3 \
                     WHERE org_id = ?1 AND id = ?2 AND revoked_at IS NULL",
                )?
                .execute(params![org_id.as_str(), id, change.now])?;
            if revoked == 0 {
                return Err(no_such_admin_key(&id));
            }
            change.record(admin_key_deleted_event(&id));
            Ok(())
        })
        .await
    }

    async fn touch_admin_key(&self, key_id: &str) -> Result<(), StoreError> {
        let key_id = key_id.to_owned();
        self.run(move |s| {
            s.write(|tx| {
                let org: Option<String> = tx
                    .prepare_cached("SELECT org_id FROM admin_keys WHERE id = ?1")?
                    .query_row([&key_id], |r| r.get(0))
                    .optional()?;
                let Some(org) = org else {
                    return Ok(());
                };
                let at = clock_of(tx, &org)?.reading(now());
                tx.prepare_cached("UPDATE admin_keys SET last_used_at = ?2 WHERE id = ?1")?
                    .execute(params![key_id, at])?;
                Ok(())
            })
        })
        .await
    }
}
