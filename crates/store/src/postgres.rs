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
use tokio_postgres::{Client, Config, NoTls};

use crate::audit::{ActingUser, Actor, ActorColumns, AuditEvent};
use crate::clock::OrgClock;
use crate::page::CursorKey;
use crate::{OrgId, OrgStore, StoreError, StoreOptions, now};

mod embedded {
    refinery::embed_migrations!("migrations/postgres");
}

pub(crate) mod departures;
pub(crate) mod import;
pub(crate) mod transfer;

/// Imports of at least this many rows refresh the planner's statistics of the users table.
pub(crate) const ANALYZE_AFTER_ROWS: usize = 10_000;
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
    /// The organization's time for this change (its clock, read with its lock): every
    /// timestamp the change writes.
    pub now: i64,
    /// The organization's clock as stored when the change began (`now` is its reading).
    pub clock: OrgClock,
    /// The admin key acting (the request's), which every event records.
    actor: Option<Actor>,
    /// Its owner as this change found it, once looked up ([`Change::acting_user`]).
    acting_user: Option<Option<ActingUser>>,
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
        let clock = lock_organization(&tx, org).await?;
        Ok(Self {
            tx,
            org: org.clone(),
            now: clock.reading(now()),
            clock,
            actor: crate::audit::current_actor(),
            acting_user: None,
            events: Vec::new(),
        })
    }

    /// Adds an event of this change.
    pub fn record(&mut self, event: AuditEvent) {
        self.events.push(event);
    }

    /// The owner of the acting key while it is a live user of the organization, read in this
    /// transaction (so with the email it has now), once per change and only for a key that
    /// has an owner: one read of the users' primary key.
    pub(crate) async fn acting_user(&mut self) -> Result<Option<ActingUser>, StoreError> {
        if let Some(found) = &self.acting_user {
            return Ok(found.clone());
        }
        let owner = self.actor.as_ref().and_then(|a| a.owner_user_id.clone());
        let found = match owner {
            None => None,
            Some(id) => {
                let row = self
                    .tx
                    .query_opt(
                        "SELECT email, email_folded FROM users \
                         WHERE org_id = $1 AND id = $2 AND NOT deleted",
                        &[&self.org.as_str(), &id],
                    )
                    .await?;
                match row {
                    None => None,
                    Some(row) => Some(ActingUser {
                        email: row.try_get(0)?,
                        email_folded: row.try_get(1)?,
                        id,
                    }),
                }
            }
        };
        self.acting_user = Some(found.clone());
        Ok(found)
    }

    /// Appends the events and commits.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        if !self.events.is_empty() {
            let user = self.acting_user().await?;
            let actor = ActorColumns::of(self.actor.as_ref(), user.as_ref());
            let insert = self
                .tx
                .prepare_cached(
                    "INSERT INTO audit_log (org_id, id, type, effective_at, resource_id, payload, \
                     actor_key_id, project_id, actor_user_id, actor_email, actor_email_folded) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .await?;
            let at = self.now;
            for event in &self.events {
                // Stored in the spec's terms, as the audit log endpoint answers them.
                let entry = crate::audit_logs::SpecEntry::of(event);
                self.tx
                    .execute(
                        &insert,
                        &[
                            &self.org.as_str(),
                            &crate::audit::generate_entry_id(),
                            &entry.event_type,
                            &at,
                            &entry.resource_id,
                            &entry.payload,
                            &actor.key_id,
                            &entry.project_id,
                            &actor.user_id,
                            &actor.email,
                            &actor.email_folded,
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

/// Locks the organization's row until the transaction ends, and reads its clock: every change
/// to its data takes this lock first, which serialises them across instances.
pub(crate) async fn lock_organization(
    client: &impl GenericClient,
    org: &OrgId,
) -> Result<OrgClock, StoreError> {
    let stmt = client
        .prepare_cached(
            "SELECT clock_frozen_at, clock_offset, clock_floor FROM organizations \
             WHERE id = $1 FOR UPDATE",
        )
        .await?;
    let row = client.query_opt(&stmt, &[&org.as_str()]).await?;
    Ok(match row {
        Some(row) => clock_of(&row)?,
        None => OrgClock::default(),
    })
}

fn clock_of(row: &tokio_postgres::Row) -> Result<OrgClock, StoreError> {
    Ok(OrgClock {
        frozen_at: row.try_get(0)?,
        offset: row.try_get(1)?,
        floor: row.try_get(2)?,
    })
}

/// The clock of `org` (real time for an organization the store does not have).
pub(crate) async fn org_clock(
    client: &impl GenericClient,
    org: &OrgId,
) -> Result<OrgClock, StoreError> {
    let stmt = client
        .prepare_cached(
            "SELECT clock_frozen_at, clock_offset, clock_floor FROM organizations WHERE id = $1",
        )
        .await?;
    let row = client.query_opt(&stmt, &[&org.as_str()]).await?;
    Ok(match row {
        Some(row) => clock_of(&row)?,
        None => OrgClock::default(),
    })
}

/// The time of `org`, by its clock.
pub(crate) async fn org_now(client: &impl GenericClient, org: &OrgId) -> Result<i64, StoreError> {
    Ok(org_clock(client, org).await?.reading(now()))
}

/// Stores the clock of `org`.
pub(crate) async fn set_org_clock(
    client: &impl GenericClient,
    org: &OrgId,
    clock: &OrgClock,
) -> Result<(), StoreError> {
    client
        .execute(
            "UPDATE organizations SET clock_frozen_at = $2, clock_offset = $3, clock_floor = $4 \
             WHERE id = $1",
            &[&org.as_str(), &clock.frozen_at, &clock.offset, &clock.floor],
        )
        .await?;
    Ok(())
}

pub(crate) async fn insert_organization(
    client: &impl GenericClient,
    org: &OrgId,
) -> Result<(), StoreError> {
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

#[async_trait]
impl OrgStore for PostgresStore {
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

    async fn clock(&self, org: &OrgId) -> Result<OrgClock, StoreError> {
        org_clock(&self.client().await?, org).await
    }

    async fn set_clock(
        &self,
        org: &OrgId,
        setting: crate::clock::ClockSetting,
    ) -> Result<OrgClock, StoreError> {
        let mut client = self.client().await?;
        let change = Change::begin(&mut client, org).await?;
        let clock = change.clock.apply(setting, now())?;
        set_org_clock(&change.tx, org, &clock).await?;
        change.commit().await?;
        Ok(clock)
    }
}

/// A fresh, empty database on the server `ORGUSERS_TEST_POSTGRES_URL` names, for one test.
#[cfg(test)]
pub(crate) struct ScratchDatabase {
    /// Its URL.
    pub url: String,
    name: String,
    admin: Client,
}

#[cfg(test)]
impl ScratchDatabase {
    /// A new database named `prefix_…`, or `None` (the test is skipped) when the variable is
    /// not set.
    pub(crate) async fn create(prefix: &str) -> Option<Self> {
        let Ok(base) = std::env::var("ORGUSERS_TEST_POSTGRES_URL") else {
            eprintln!("skipped: ORGUSERS_TEST_POSTGRES_URL is not set");
            return None;
        };
        let name = format!("{prefix}_{}", crate::domain::random_alphanumeric(12)).to_lowercase();
        let (admin, connection) = tokio_postgres::connect(&base, NoTls).await.unwrap();
        tokio::spawn(connection);
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let (head, tail) = base.split_at(base.find('?').unwrap_or(base.len()));
        let url = format!("{}/{name}{tail}", &head[..head.rfind('/').unwrap()]);
        Some(Self { url, name, admin })
    }

    /// Drops the database. Connections of a store's pool may linger after the store is
    /// dropped: `FORCE` ends them, and a failure leaves the database behind.
    pub(crate) async fn remove(self) {
        let _ = self
            .admin
            .batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .await;
    }
}

#[cfg(test)]
mod tests {
    use refinery::Target;

    use super::*;
    use crate::page::FirstQuery;
    use crate::projects::ProjectStore;

    /// A database at the schema before projects (V2), with users, gets each organization's
    /// Default project and its live users as members when a store opens it. Runs where
    /// `ORGUSERS_TEST_POSTGRES_URL` names a server, in a database of its own.
    #[tokio::test]
    async fn stores_before_projects_get_their_default_project() {
        let Some(scratch) = ScratchDatabase::create("orgusers_migrate").await else {
            return;
        };
        let url = scratch.url.clone();
        {
            let (mut client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
            tokio::spawn(connection);
            embedded::migrations::runner()
                .set_target(Target::Version(2))
                .run_async(&mut client)
                .await
                .unwrap();
            client
                .batch_execute(
                    "INSERT INTO organizations (id, created_at) VALUES ('org-a', 1);
                     INSERT INTO users (org_id, id, added_at, deleted, role, created)
                     VALUES ('org-a', 'user-a', 5, false, 'owner', 1),
                            ('org-a', 'user-b', 6, false, 'reader', 1),
                            ('org-a', 'user-gone', 7, true, 'reader', 1);",
                )
                .await
                .unwrap();
        }
        let store = PostgresStore::open(&url, &StoreOptions::default())
            .await
            .unwrap();
        let org = OrgId::parse("org-a").unwrap();
        let projects = store
            .list_projects(&org, &FirstQuery::first(), true)
            .await
            .unwrap()
            .items;
        assert_eq!(projects.len(), 1);
        assert!(projects[0].is_default && projects[0].name == "Default project");
        let members: Vec<(String, &str)> = store
            .list_project_users(&org, &projects[0].id, &FirstQuery::first())
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|m| (m.user_id, m.role.as_str()))
            .collect();
        assert_eq!(
            members,
            [
                ("user-a".to_owned(), "owner"),
                ("user-b".to_owned(), "member")
            ]
        );
        // New organizations get theirs from the trigger.
        let other = store
            .ensure_organization(Some(&OrgId::parse("org-b").unwrap()))
            .await
            .unwrap();
        let theirs = store
            .list_projects(&other, &FirstQuery::first(), true)
            .await
            .unwrap()
            .items;
        assert!(theirs.len() == 1 && theirs[0].is_default);
        drop(store);
        scratch.remove().await;
    }
}
