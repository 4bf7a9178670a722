//! The PostgreSQL store: a connection pool shared by any number of orgusers instances over one
//! database.
//!
//! Every transaction that changes an organization's users first locks that organization's row
//! (`SELECT … FOR UPDATE`), so the last-owner guard holds across instances: two demotions of the
//! last two owners, through two servers, are serialised and the second one sees the first.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use orgusers_api::User;
use orgusers_api::render::UserFields;
use tokio_postgres::{Client, Config, NoTls, Row};

use crate::audit::AuditEvent;
use crate::domain::generate_key_id;
use crate::is_owner;
use crate::page::CursorKey;
use crate::row::USER_COLUMNS;
use crate::{
    AdminKey, ImportSource, ImportSummary, KeyHash, KeyInfo, Kind, OrgId, StoreError, StoreOptions,
    UserChange, UserPage, UserQuery, UserStore, now,
};

mod embedded {
    refinery::embed_migrations!("migrations/postgres");
}

mod import;
mod transfer;

/// Imports of at least this many rows refresh the planner's statistics of the users table.
const ANALYZE_AFTER_ROWS: usize = 10_000;
/// Advisory lock held while migrations run, so that instances starting together take turns.
const MIGRATION_LOCK: i64 = 0x6f72_6775_7365_7201;
/// Advisory lock held while the default organization is looked up or created.
const DEFAULT_ORG_LOCK: i64 = 0x6f72_6775_7365_7202;

/// A store in a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    cursor_key: CursorKey,
}

/// One write transaction of an organization, holding the organization's row lock, with the
/// audit events its change causes; [`Change::commit`] appends them in the same transaction.
pub(crate) struct Change<'c> {
    /// The transaction.
    pub tx: deadpool_postgres::Transaction<'c>,
    org: OrgId,
    events: Vec<AuditEvent>,
}

impl<'c> Change<'c> {
    /// Begins a change of `org`, taking its lock (which serialises its changes across
    /// instances).
    pub async fn begin(
        client: &'c mut deadpool_postgres::Object,
        org: &OrgId,
    ) -> Result<Self, StoreError> {
        let tx = client.transaction().await?;
        lock_organization(&tx, org).await?;
        Ok(Self {
            tx,
            org: org.clone(),
            events: Vec::new(),
        })
    }

    /// Adds an event of this change.
    pub fn record(&mut self, event: AuditEvent) {
        self.events.push(event);
    }

    /// Appends the events and commits.
    pub async fn commit(self) -> Result<(), StoreError> {
        if !self.events.is_empty() {
            let insert = self
                .tx
                .prepare_cached(
                    "INSERT INTO audit_log (org_id, id, type, effective_at, resource_id, payload) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .await?;
            let at = now();
            for event in &self.events {
                self.tx
                    .execute(
                        &insert,
                        &[
                            &self.org.as_str(),
                            &crate::audit::generate_entry_id(),
                            &event.event_type,
                            &at,
                            &event.resource_id,
                            &event.payload,
                        ],
                    )
                    .await?;
            }
        }
        self.tx.commit().await?;
        Ok(())
    }
}

/// The store's cursor key, made by the first instance that opens the database.
async fn load_cursor_key(client: &impl GenericClient) -> Result<CursorKey, StoreError> {
    client
        .execute(
            "INSERT INTO store_secrets (name, value) VALUES ('cursor_key', $1) \
             ON CONFLICT (name) DO NOTHING",
            &[&CursorKey::generate_bytes().as_slice()],
        )
        .await?;
    let bytes: Vec<u8> = client
        .query_one(
            "SELECT value FROM store_secrets WHERE name = 'cursor_key'",
            &[],
        )
        .await?
        .try_get(0)?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("the stored cursor key is not 32 bytes"))?;
    Ok(CursorKey::from_bytes(bytes))
}

impl PostgresStore {
    /// Connects (retrying an unreachable database for `options.connect_retry`), applies pending
    /// migrations and builds the pool.
    pub async fn open(url: &str, options: &StoreOptions) -> Result<Self, StoreError> {
        let mut config: Config = url
            .parse()
            .context("not a valid PostgreSQL connection URL")?;
        config
            .connect_timeout(options.pool_timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30));
        if config.get_application_name().is_none() {
            config.application_name("orgusers");
        }
        migrate_with_retry(&config, options).await?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(1))
            .wait_timeout(Some(options.pool_timeout))
            .create_timeout(Some(options.pool_timeout))
            .recycle_timeout(Some(options.pool_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .context("cannot build the connection pool")?;
        let cursor_key = load_cursor_key(&pool.get().await?).await?;
        Ok(Self { pool, cursor_key })
    }

    pub(crate) async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        Ok(self.pool.get().await?)
    }
}

async fn migrate_with_retry(config: &Config, options: &StoreOptions) -> Result<(), StoreError> {
    let started = Instant::now();
    let mut delay = Duration::from_millis(250);
    loop {
        match config.connect(NoTls).await {
            Ok((mut client, connection)) => {
                let driver = tokio::spawn(connection);
                let result = migrate(&mut client).await;
                drop(client);
                let _ = driver.await;
                return result;
            }
            Err(e) if started.elapsed() + delay < options.connect_retry => {
                tracing::warn!(error = %e, retry_in = ?delay, "PostgreSQL is unreachable; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context(format!(
                        "PostgreSQL still unreachable after {:?}",
                        started.elapsed()
                    ))
                    .into());
            }
        }
    }
}

async fn migrate(client: &mut Client) -> Result<(), StoreError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let result = embedded::migrations::runner().run_async(client).await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    result.context("cannot apply PostgreSQL migrations")?;
    Ok(())
}

fn user_from_row(row: &Row) -> Result<User, StoreError> {
    let fields = UserFields {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        email: row.try_get(2)?,
        role: row.try_get(3)?,
        added_at: row.try_get(4)?,
        is_default: row.try_get(5)?,
        created: row.try_get(6)?,
        picture: row.try_get(7)?,
        enabled: row.try_get(8)?,
        banned: row.try_get(9)?,
        banned_at: row.try_get(10)?,
        is_service_account: row.try_get(11)?,
        is_scale_tier_authorized_purchaser: row.try_get(12)?,
        is_scim_managed: row.try_get(13)?,
        api_key_last_used_at: row.try_get(14)?,
        technical_level: row.try_get(15)?,
        developer_persona: row.try_get(16)?,
    };
    Ok(fields.to_user())
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

pub(crate) async fn live_user(
    client: &impl GenericClient,
    org: &OrgId,
    id: &str,
) -> Result<User, StoreError> {
    let sql =
        format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND id = $2 AND NOT deleted");
    let stmt = client.prepare_cached(&sql).await?;
    match client.query_opt(&stmt, &[&org.as_str(), &id]).await? {
        Some(row) => user_from_row(&row),
        None => Err(StoreError::not_found(Kind::User, id)),
    }
}

async fn owner_count(client: &impl GenericClient, org: &OrgId) -> Result<i64, StoreError> {
    let stmt = client
        .prepare_cached(
            "SELECT count(*) FROM users WHERE org_id = $1 AND NOT deleted AND role = 'owner'",
        )
        .await?;
    Ok(client
        .query_one(&stmt, &[&org.as_str()])
        .await?
        .try_get(0)?)
}

/// Locks the organization's row until the transaction ends: every change to its users takes
/// this lock first, which serialises them across instances.
async fn lock_organization(client: &impl GenericClient, org: &OrgId) -> Result<(), StoreError> {
    let stmt = client
        .prepare_cached("SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE")
        .await?;
    client.query_opt(&stmt, &[&org.as_str()]).await?;
    Ok(())
}

async fn insert_organization(client: &impl GenericClient, org: &OrgId) -> Result<(), StoreError> {
    client
        .execute(
            "INSERT INTO organizations (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
            &[&org.as_str(), &now()],
        )
        .await?;
    Ok(())
}

async fn default_org(client: &impl GenericClient) -> Result<Option<OrgId>, StoreError> {
    Ok(client
        .query_opt("SELECT id FROM organizations ORDER BY seq LIMIT 1", &[])
        .await?
        .map(|row| row.try_get(0))
        .transpose()?
        .map(OrgId::from_stored))
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

/// Applies `user_change` to the live user `id`, refusing to demote the last owner: the one path
/// of every role change (modify, and the assignment of a predefined role).
pub(crate) async fn update_user_in(
    change: &mut Change<'_>,
    org: &OrgId,
    id: &str,
    user_change: &UserChange,
) -> Result<User, StoreError> {
    let tx = &change.tx;
    let mut user = live_user(tx, org, id).await?;
    if user_change.demotes_owner(&user) && owner_count(tx, org).await? <= 1 {
        return Err(StoreError::LastOwner);
    }
    user_change.apply_to(&mut user);
    let stmt = tx
        .prepare_cached(
            "UPDATE users SET role = $3, technical_level = $4, developer_persona = $5 \
             WHERE org_id = $1 AND id = $2 AND NOT deleted",
        )
        .await?;
    tx.execute(
        &stmt,
        &[
            &org.as_str(),
            &id,
            &user.role,
            &user.technical_level,
            &user.developer_persona,
        ],
    )
    .await?;
    change.record(user_change.event(&user));
    Ok(user)
}

#[async_trait]
impl UserStore for PostgresStore {
    fn cursor_key(&self) -> &CursorKey {
        &self.cursor_key
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.client().await?.query_one("SELECT 1", &[]).await?;
        Ok(())
    }

    async fn default_organization(&self) -> Result<Option<OrgId>, StoreError> {
        default_org(&self.client().await?).await
    }

    async fn ensure_organization(&self, org: Option<&OrgId>) -> Result<OrgId, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let org = match org {
            Some(org) => org.clone(),
            None => {
                // Two instances starting on an empty database must agree on one default.
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&DEFAULT_ORG_LOCK])
                    .await?;
                match default_org(&tx).await? {
                    Some(existing) => return Ok(existing),
                    None => OrgId::generate(),
                }
            }
        };
        insert_organization(&tx, &org).await?;
        tx.commit().await?;
        Ok(org)
    }

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

    async fn list_users(&self, org: &OrgId, query: &UserQuery) -> Result<UserPage, StoreError> {
        let client = self.client().await?;
        let (after_added_at, after_id) = match &query.after {
            None => (i64::MIN, String::new()),
            Some(after) => {
                let stmt = client
                    .prepare_cached("SELECT added_at FROM users WHERE org_id = $1 AND id = $2")
                    .await?;
                match client.query_opt(&stmt, &[&org.as_str(), after]).await? {
                    Some(row) => (row.try_get(0)?, after.clone()),
                    None => return Err(StoreError::UnknownCursor(after.clone())),
                }
            }
        };
        let fetch = i64::try_from(query.limit)
            .unwrap_or(i64::MAX)
            .saturating_add(1);
        let rows = match &query.emails {
            None => {
                let sql = format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND NOT deleted \
                     AND (added_at, id) > ($2, $3) ORDER BY added_at, id LIMIT $4"
                );
                let stmt = client.prepare_cached(&sql).await?;
                client
                    .query(&stmt, &[&org.as_str(), &after_added_at, &after_id, &fetch])
                    .await?
            }
            Some(filter) => {
                let sql = format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND NOT deleted \
                     AND (added_at, id) > ($2, $3) AND email_folded = ANY($5) \
                     ORDER BY added_at, id LIMIT $4"
                );
                let stmt = client.prepare_cached(&sql).await?;
                let wanted = filter.addresses();
                client
                    .query(
                        &stmt,
                        &[&org.as_str(), &after_added_at, &after_id, &fetch, &wanted],
                    )
                    .await?
            }
        };
        let mut users = rows
            .iter()
            .map(user_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let has_more = users.len() > query.limit;
        users.truncate(query.limit);
        Ok(UserPage { users, has_more })
    }

    async fn get_user(&self, org: &OrgId, id: &str) -> Result<User, StoreError> {
        live_user(&self.client().await?, org, id).await
    }

    async fn update_user(
        &self,
        org: &OrgId,
        id: &str,
        change: &UserChange,
    ) -> Result<User, StoreError> {
        let mut client = self.client().await?;
        let mut tx = Change::begin(&mut client, org).await?;
        let user = update_user_in(&mut tx, org, id, change).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn delete_user(&self, org: &OrgId, id: &str) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let tx = &change.tx;
        let current = live_user(tx, org, id).await?;
        if is_owner(&current) && owner_count(tx, org).await? <= 1 {
            return Err(StoreError::LastOwner);
        }
        // Erase everything personal; id and added_at stay so cursors keep their place.
        let stmt = tx
            .prepare_cached(
                "UPDATE users SET deleted = TRUE, name = NULL, email = NULL, email_folded = NULL, \
                 role = 'reader', is_default = FALSE, picture = NULL, enabled = NULL, \
                 banned = NULL, banned_at = NULL, is_service_account = FALSE, \
                 is_scale_tier_authorized_purchaser = NULL, is_scim_managed = FALSE, \
                 api_key_last_used_at = NULL, technical_level = NULL, developer_persona = NULL \
                 WHERE org_id = $1 AND id = $2",
            )
            .await?;
        tx.execute(&stmt, &[&org.as_str(), &id]).await?;
        // Its memberships and assignments end with it.
        for sql in [
            "DELETE FROM group_users WHERE org_id = $1 AND user_id = $2",
            "DELETE FROM user_roles WHERE org_id = $1 AND user_id = $2",
        ] {
            let stmt = tx.prepare_cached(sql).await?;
            tx.execute(&stmt, &[&org.as_str(), &id]).await?;
        }
        change.record(AuditEvent::new("user.deleted", id, serde_json::json!({})));
        change.commit().await
    }

    async fn import_users(
        &self,
        org: &OrgId,
        source: ImportSource,
    ) -> Result<ImportSummary, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // Sorts and hashes of a large import's staging table stay in memory.
        tx.batch_execute("SET LOCAL work_mem = '256MB'").await?;
        insert_organization(&tx, org).await?;
        lock_organization(&tx, org).await?;
        let (users, aside) = crate::transfer::split_users(source);
        let mut summary = import::import(&tx, org, users, now()).await?;
        let aside = std::mem::take(
            &mut *aside
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        summary.directory = transfer::apply(&tx, org, &aside).await?;
        if summary.created + summary.replaced >= ANALYZE_AFTER_ROWS {
            // Fresh statistics before the rows are seen: without them the planner judged a
            // million-user table by an empty one's and answered a 100-address email filter with
            // a scan of the list-order index (under 3 requests a second, in the benchmark).
            // Autovacuum would analyze the table too, but only a minute or more later.
            tx.batch_execute("ANALYZE users").await?;
        }
        tx.commit().await?;
        Ok(summary)
    }
}
