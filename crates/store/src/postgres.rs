//! The PostgreSQL store: a connection pool shared by any number of orgusers instances over one
//! database.
//!
//! Every transaction that changes an organization's users first locks that organization's row
//! (`SELECT … FOR UPDATE`), so the last-owner guard holds across instances: two demotions of the
//! last two owners, through two servers, are serialised and the second one sees the first.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use orgusers_api::User;
use tokio_postgres::{Client, Config, NoTls, Row};

use crate::domain::generate_key_id;
use crate::is_owner;
use crate::row::{StoredUser, USER_COLUMNS};
use crate::{
    AdminKey, ImportSource, ImportSummary, ImportedUser, KeyHash, KeyInfo, OrgId, Store,
    StoreError, StoreOptions, UserChange, UserId, UserPage, UserQuery, now,
};

mod embedded {
    refinery::embed_migrations!("migrations/postgres");
}

/// Advisory lock held while migrations run, so that instances starting together take turns.
const MIGRATION_LOCK: i64 = 0x6f72_6775_7365_7201;
/// Advisory lock held while the default organization is looked up or created.
const DEFAULT_ORG_LOCK: i64 = 0x6f72_6775_7365_7202;
/// Records written per statement during an import.
const IMPORT_BATCH: usize = 2000;

/// A store in a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
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
        Ok(Self { pool })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
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
    let read = || -> Result<StoredUser, tokio_postgres::Error> {
        Ok(StoredUser {
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
        })
    };
    Ok(read()?.into())
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

async fn live_user(client: &impl GenericClient, org: &OrgId, id: &str) -> Result<User, StoreError> {
    let sql =
        format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND id = $2 AND NOT deleted");
    let stmt = client.prepare_cached(&sql).await?;
    match client.query_opt(&stmt, &[&org.as_str(), &id]).await? {
        Some(row) => user_from_row(&row),
        None => Err(StoreError::UserNotFound(id.to_owned())),
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

#[async_trait]
impl Store for PostgresStore {
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
                    "UPDATE admin_keys SET revoked_at = NULL WHERE key_hash = $1",
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
        let tx = client.transaction().await?;
        lock_organization(&tx, org).await?;
        let mut user = live_user(&tx, org, id).await?;
        if change.demotes_owner(&user) && owner_count(&tx, org).await? <= 1 {
            return Err(StoreError::LastOwner);
        }
        change.apply_to(&mut user);
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
        tx.commit().await?;
        Ok(user)
    }

    async fn delete_user(&self, org: &OrgId, id: &str) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        lock_organization(&tx, org).await?;
        let current = live_user(&tx, org, id).await?;
        if is_owner(&current) && owner_count(&tx, org).await? <= 1 {
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
        tx.commit().await?;
        Ok(())
    }

    async fn import_users(
        &self,
        org: &OrgId,
        mut source: ImportSource,
    ) -> Result<ImportSummary, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // The table grows inside this transaction, unseen by the planner's statistics: without
        // this, the per-batch lookups by id and email may be planned as scans of the whole table.
        tx.batch_execute("SET LOCAL enable_seqscan = off").await?;
        insert_organization(&tx, org).await?;
        lock_organization(&tx, org).await?;
        let mut import = BatchImport {
            started: now(),
            ..BatchImport::default()
        };
        loop {
            let mut batch = Vec::with_capacity(IMPORT_BATCH);
            let mut refused = None;
            while batch.len() < IMPORT_BATCH {
                match source.next() {
                    Some(Ok(user)) => batch.push(user),
                    Some(Err(e)) => {
                        refused = Some(e);
                        break;
                    }
                    None => break,
                }
            }
            let last = batch.len() < IMPORT_BATCH;
            // Earlier lines are checked first, so the error reported is the first in the file.
            import.write(&tx, org, batch).await?;
            if let Some(e) = refused {
                return Err(e.into());
            }
            if last {
                break;
            }
        }
        tx.commit().await?;
        Ok(import.summary)
    }
}

/// The state of one import across its batches.
#[derive(Default)]
struct BatchImport {
    started: i64,
    summary: ImportSummary,
    seen_ids: HashSet<String>,
}

/// One batch's columns, as arrays for a single `UNNEST` insert.
#[derive(Default)]
struct Columns {
    id: Vec<String>,
    added_at: Vec<i64>,
    name: Vec<Option<String>>,
    email: Vec<Option<String>>,
    email_folded: Vec<Option<String>>,
    role: Vec<&'static str>,
    is_default: Vec<bool>,
    created: Vec<i64>,
    picture: Vec<Option<String>>,
    enabled: Vec<Option<bool>>,
    banned: Vec<Option<bool>>,
    banned_at: Vec<Option<i64>>,
    is_service_account: Vec<bool>,
    is_scale_tier_authorized_purchaser: Vec<Option<bool>>,
    is_scim_managed: Vec<bool>,
    api_key_last_used_at: Vec<Option<i64>>,
    technical_level: Vec<Option<String>>,
    developer_persona: Vec<Option<String>>,
}

impl BatchImport {
    /// Checks a batch in file order against the database as the earlier lines left it, then
    /// writes it with one statement. The checks match the SQLite store's line-by-line ones.
    async fn write(
        &mut self,
        client: &impl GenericClient,
        org: &OrgId,
        batch: Vec<ImportedUser>,
    ) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = batch
            .iter()
            .map(|u| u.id.clone().unwrap_or_else(UserId::generate).into_string())
            .collect();
        let existing: HashMap<String, (i64, bool)> = client
            .query(
                "SELECT id, added_at, deleted FROM users WHERE org_id = $1 AND id = ANY($2)",
                &[&org.as_str(), &ids],
            )
            .await?
            .iter()
            .map(|row| Ok((row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?))))
            .collect::<Result<_, tokio_postgres::Error>>()?;
        let wanted: Vec<&str> = batch
            .iter()
            .filter_map(|u| u.email.as_ref().map(|e| e.folded()))
            .collect();
        // Live holders of the batch's emails, both ways round.
        let mut holder_of_email: HashMap<String, String> = HashMap::new();
        let mut email_of_holder: HashMap<String, String> = HashMap::new();
        for row in client
            .query(
                "SELECT email_folded, id FROM users WHERE org_id = $1 AND NOT deleted \
                 AND email_folded = ANY($2)",
                &[&org.as_str(), &wanted],
            )
            .await?
        {
            let (email, id): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            email_of_holder.insert(id.clone(), email.clone());
            holder_of_email.insert(email, id);
        }

        let mut c = Columns::default();
        for (user, id) in batch.into_iter().zip(ids) {
            if !self.seen_ids.insert(id.clone()) {
                return Err(user.duplicate_id(&id).into());
            }
            // This user's old email is free from now on.
            if let Some(old) = email_of_holder.remove(&id) {
                holder_of_email.remove(&old);
            }
            if let Some(email) = &user.email {
                if let Some(holder) = holder_of_email.get(email.folded()) {
                    return Err(user.email_taken(holder).into());
                }
                holder_of_email.insert(email.folded().to_owned(), id.clone());
            }
            let before = existing.get(&id).copied();
            let added_at = user.resolved_added_at(before, self.started);
            self.summary.count(&user, before);
            c.id.push(id);
            c.added_at.push(added_at);
            c.created.push(user.created.unwrap_or(added_at));
            c.email
                .push(user.email.as_ref().map(|e| e.as_str().to_owned()));
            c.email_folded
                .push(user.email.as_ref().map(|e| e.folded().to_owned()));
            c.name.push(user.name);
            c.role.push(user.role.as_str());
            c.is_default.push(user.is_default);
            c.picture.push(user.picture);
            c.enabled.push(user.enabled);
            c.banned.push(user.banned);
            c.banned_at.push(user.banned_at);
            c.is_service_account.push(user.is_service_account);
            c.is_scale_tier_authorized_purchaser
                .push(user.is_scale_tier_authorized_purchaser);
            c.is_scim_managed.push(user.is_scim_managed);
            c.api_key_last_used_at.push(user.api_key_last_used_at);
            c.technical_level.push(user.technical_level);
            c.developer_persona.push(user.developer_persona);
        }
        let stmt = client
            .prepare_cached(
                "INSERT INTO users (org_id, id, added_at, deleted, name, email, email_folded, role, \
                 is_default, created, picture, enabled, banned, banned_at, is_service_account, \
                 is_scale_tier_authorized_purchaser, is_scim_managed, api_key_last_used_at, \
                 technical_level, developer_persona) \
                 SELECT $1, u.id, u.added_at, FALSE, u.name, u.email, u.email_folded, u.role, \
                 u.is_default, u.created, u.picture, u.enabled, u.banned, u.banned_at, \
                 u.is_service_account, u.is_scale_tier_authorized_purchaser, u.is_scim_managed, \
                 u.api_key_last_used_at, u.technical_level, u.developer_persona \
                 FROM UNNEST($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], \
                 $7::text[], $8::bool[], $9::bigint[], $10::text[], $11::bool[], $12::bool[], \
                 $13::bigint[], $14::bool[], $15::bool[], $16::bool[], $17::bigint[], $18::text[], \
                 $19::text[]) AS u(id, added_at, name, email, email_folded, role, is_default, \
                 created, picture, enabled, banned, banned_at, is_service_account, \
                 is_scale_tier_authorized_purchaser, is_scim_managed, api_key_last_used_at, \
                 technical_level, developer_persona) \
                 ON CONFLICT (org_id, id) DO UPDATE SET added_at = EXCLUDED.added_at, \
                 deleted = FALSE, name = EXCLUDED.name, email = EXCLUDED.email, \
                 email_folded = EXCLUDED.email_folded, role = EXCLUDED.role, \
                 is_default = EXCLUDED.is_default, created = EXCLUDED.created, \
                 picture = EXCLUDED.picture, enabled = EXCLUDED.enabled, \
                 banned = EXCLUDED.banned, banned_at = EXCLUDED.banned_at, \
                 is_service_account = EXCLUDED.is_service_account, \
                 is_scale_tier_authorized_purchaser = EXCLUDED.is_scale_tier_authorized_purchaser, \
                 is_scim_managed = EXCLUDED.is_scim_managed, \
                 api_key_last_used_at = EXCLUDED.api_key_last_used_at, \
                 technical_level = EXCLUDED.technical_level, \
                 developer_persona = EXCLUDED.developer_persona",
            )
            .await?;
        client
            .execute(
                &stmt,
                &[
                    &org.as_str(),
                    &c.id,
                    &c.added_at,
                    &c.name,
                    &c.email,
                    &c.email_folded,
                    &c.role,
                    &c.is_default,
                    &c.created,
                    &c.picture,
                    &c.enabled,
                    &c.banned,
                    &c.banned_at,
                    &c.is_service_account,
                    &c.is_scale_tier_authorized_purchaser,
                    &c.is_scim_managed,
                    &c.api_key_last_used_at,
                    &c.technical_level,
                    &c.developer_persona,
                ],
            )
            .await?;
        Ok(())
    }
}
