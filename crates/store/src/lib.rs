//! The storage of orgusers: domain types, the [`Store`] trait that the HTTP layer and the command
//! line talk to, and its implementations (SQLite, PostgreSQL), chosen at run time from a
//! [`DatabaseUrl`].

pub mod audit;
pub mod audit_logs;
pub mod body;
pub mod clock;
pub mod console_sessions;
pub mod domain;
pub mod groups;
pub mod ids;
mod import;
pub mod invites;
pub mod keys;
pub mod page;
mod postgres;
pub mod project_groups;
pub mod project_keys;
pub mod projects;
pub mod roles;
mod row;
pub mod service_accounts;
pub mod snapshots;
mod sqlite;
pub mod transfer;
pub mod user_roles;
pub mod users;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;

pub use domain::{
    AdminKey, EmailAddress, EmailFilter, InvalidValue, KeyHash, LimitError, OrgId, PageLimit, Role,
    UserId, parse_limit,
};
pub use ids::Kind;
pub use import::{ImportError, ImportSource, ImportSummary, ImportedUser, UserSource, json_type};
pub use keys::{KeyIdentity, KeyInfo, KeyStore};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use transfer::ImportRecord;
pub use users::{UserChange, UserPage, UserQuery, UserSearch, UserStore};

/// Everything that can go wrong in a store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A path names an object the organization does not have (or no longer has).
    #[error("no such {}: {id}", kind.noun())]
    NotFound {
        /// What kind of object.
        kind: Kind,
        /// The id as given.
        id: String,
    },
    /// The request conflicts with the state: a duplicate name, a predefined role changed, a
    /// member that is not a user of the organization, …
    #[error("{message}")]
    Conflict {
        /// The body field at fault, if one is.
        param: Option<&'static str>,
        /// One sentence that says what is wrong.
        message: String,
    },
    /// The `after` of a first/last list names nothing that list ever held.
    #[error("no {} with id '{id}'", kind.noun())]
    UnknownCursor {
        /// What the list holds.
        kind: Kind,
        /// The id as given.
        id: String,
    },
    /// A body field names an object the organization does not have (`user_id` of a group
    /// member, `role_id` of an assignment).
    #[error("no {} with id '{id}'", kind.noun())]
    UnknownReference {
        /// The body field.
        param: &'static str,
        /// What kind of object it names.
        kind: Kind,
        /// The id as given.
        id: String,
    },
    /// The change would leave the organization without an owner.
    #[error("an organization must keep at least one owner")]
    LastOwner,
    /// An admin key given by the operator already belongs to another organization.
    #[error("that admin key belongs to organization {0}")]
    KeyOfAnotherOrganization(OrgId),
    /// An import record was refused; nothing was written.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The backend failed: I/O, a lost connection, a broken invariant.
    #[error(transparent)]
    Backend(#[from] anyhow::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Backend(e.into())
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Backend(e.into())
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Self::Backend(anyhow::Error::new(e).context("no database connection"))
    }
}

/// Connection settings of a store. SQLite uses none of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Most connections a PostgreSQL store keeps open.
    pub pool_size: usize,
    /// How long a request waits for a connection (and a connection attempt may take) before the
    /// request fails.
    pub pool_timeout: std::time::Duration,
    /// How long opening the store keeps retrying an unreachable database before giving up.
    pub connect_retry: std::time::Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            pool_size: 16,
            pool_timeout: std::time::Duration::from_secs(5),
            connect_retry: std::time::Duration::from_secs(30),
        }
    }
}

impl StoreError {
    /// A [`StoreError::NotFound`] of `kind`.
    pub fn not_found(kind: Kind, id: impl Into<String>) -> Self {
        Self::NotFound {
            kind,
            id: id.into(),
        }
    }

    /// A [`StoreError::UnknownCursor`] of a list of `kind`.
    pub fn unknown_cursor(kind: Kind, id: impl Into<String>) -> Self {
        Self::UnknownCursor {
            kind,
            id: id.into(),
        }
    }

    /// A [`StoreError::Conflict`] naming `param`.
    pub fn conflict(param: Option<&'static str>, message: impl Into<String>) -> Self {
        Self::Conflict {
            param,
            message: message.into(),
        }
    }
}

/// The storage of orgusers: one small trait per resource, composed. Every call is scoped to one
/// organization where data is concerned.
pub trait Store:
    OrgStore
    + KeyStore
    + UserStore
    + roles::RoleStore
    + groups::GroupStore
    + user_roles::UserRoleStore
    + projects::ProjectStore
    + service_accounts::ServiceAccountStore
    + project_keys::ProjectKeyStore
    + project_groups::ProjectGroupStore
    + invites::InviteStore
    + snapshots::SnapshotStore
    + audit_logs::AuditLogStore
    + console_sessions::ConsoleSessionStore
{
}

impl<T> Store for T where
    T: OrgStore
        + KeyStore
        + UserStore
        + roles::RoleStore
        + groups::GroupStore
        + user_roles::UserRoleStore
        + projects::ProjectStore
        + service_accounts::ServiceAccountStore
        + project_keys::ProjectKeyStore
        + project_groups::ProjectGroupStore
        + invites::InviteStore
        + snapshots::SnapshotStore
        + audit_logs::AuditLogStore
        + console_sessions::ConsoleSessionStore
{
}

/// Organizations: the scope of every other call.
#[async_trait]
pub trait OrgStore: Send + Sync + 'static {
    /// The secret that cursor-style lists sign their cursors with (see [`page::CursorKey`]).
    fn cursor_key(&self) -> &page::CursorKey;

    /// Succeeds when the store answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// The default organization (the first one created), if any exists.
    async fn default_organization(&self) -> Result<Option<OrgId>, StoreError>;

    /// Makes sure `org` exists (the default one when `None`, created on an empty store) and
    /// returns its id.
    async fn ensure_organization(&self, org: Option<&OrgId>) -> Result<OrgId, StoreError>;

    /// The organization's clock.
    async fn clock(&self, org: &OrgId) -> Result<clock::OrgClock, StoreError>;

    /// Changes the organization's clock (refusing to move it back, see [`clock`]) and returns
    /// it.
    async fn set_clock(
        &self,
        org: &OrgId,
        setting: clock::ClockSetting,
    ) -> Result<clock::OrgClock, StoreError>;
}

/// Where the data lives, parsed from a database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection string.
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses `sqlite://PATH`, `sqlite:///abs/path`, `sqlite:PATH`, `postgres://…`,
    /// `postgresql://…`, or a bare file path (SQLite).
    pub fn parse(url: &str) -> Result<Self, InvalidValue> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        if path.is_empty() {
            return Err(InvalidValue(format!(
                "database URL {url:?} names no file; use sqlite://PATH or postgres://…"
            )));
        }
        if url.contains("://") && !url.starts_with("sqlite://") {
            return Err(InvalidValue(format!(
                "unsupported database URL {}; use sqlite://PATH or postgres://…",
                redact_url(url)
            )));
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    /// The URL as logs may show it: any password replaced by `***`.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => redact_url(url),
        }
    }
}

/// Replaces the password of `scheme://user:password@host…` with `***`.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Opens the store a URL names with default options and brings its schema up to date.
pub async fn open(url: &DatabaseUrl) -> Result<Arc<dyn Store>, StoreError> {
    open_with(url, &StoreOptions::default()).await
}

/// Opens the store a URL names and brings its schema up to date.
pub async fn open_with(
    url: &DatabaseUrl,
    options: &StoreOptions,
) -> Result<Arc<dyn Store>, StoreError> {
    match url {
        DatabaseUrl::Sqlite(path) => Ok(Arc::new(SqliteStore::open(path).await?)),
        DatabaseUrl::Postgres(url) => Ok(Arc::new(PostgresStore::open(url, options).await?)),
    }
}

/// The current time in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        let sqlite = |p: &str| Ok(DatabaseUrl::Sqlite(PathBuf::from(p)));
        assert_eq!(
            DatabaseUrl::parse("sqlite://orgusers.db"),
            sqlite("orgusers.db")
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///abs/x.db"),
            sqlite("/abs/x.db")
        );
        assert_eq!(DatabaseUrl::parse("data/x.db"), sqlite("data/x.db"));
        assert_eq!(DatabaseUrl::parse("sqlite://x.db?mode=rwc"), sqlite("x.db"));
        assert!(matches!(
            DatabaseUrl::parse("postgres://u:p@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        let url = DatabaseUrl::parse("postgres://me:secret@db:5432/app?sslmode=disable").unwrap();
        assert_eq!(
            url.redacted(),
            "postgres://me:***@db:5432/app?sslmode=disable"
        );
        let url = DatabaseUrl::parse("postgres://me@db/app").unwrap();
        assert_eq!(url.redacted(), "postgres://me@db/app");
    }
}
