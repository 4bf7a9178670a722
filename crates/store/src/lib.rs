//! The storage of orgusers: domain types, the [`Store`] trait that the HTTP layer and the command
//! line talk to, and its implementations (SQLite, PostgreSQL), chosen at run time from a
//! [`DatabaseUrl`].

pub mod audit;
pub mod body;
pub mod domain;
pub mod groups;
pub mod ids;
mod import;
pub mod page;
mod postgres;
pub mod roles;
mod row;
mod sqlite;
pub mod transfer;
pub mod user_roles;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use async_trait::async_trait;
use orgusers_api::{User, UserList};

pub use domain::{
    AdminKey, EmailAddress, EmailFilter, InvalidValue, KeyHash, LimitError, OrgId, PageLimit, Role,
    UserId, parse_limit,
};
pub use ids::Kind;
pub use import::{ImportError, ImportSource, ImportSummary, ImportedUser, UserSource, json_type};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use transfer::ImportRecord;

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
    /// A list cursor names no user the organization ever had.
    #[error("no user with id '{0}'")]
    UnknownCursor(String),
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

/// What one list request asks for, already validated.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Page size; the store fetches one more to tell whether another page follows.
    pub limit: usize,
    /// The id of the user the page starts after.
    pub after: Option<String>,
    /// Only users whose folded email is one of these.
    pub emails: Option<EmailFilter>,
}

/// One page of users, in list order.
#[derive(Debug, Clone, PartialEq)]
pub struct UserPage {
    /// The users.
    pub users: Vec<User>,
    /// Whether another page follows.
    pub has_more: bool,
}

/// A change to a user; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserChange {
    /// The new role.
    pub role: Option<Role>,
    /// New technical level metadata.
    pub technical_level: Option<Option<String>>,
    /// New developer persona metadata.
    pub developer_persona: Option<Option<String>>,
}

/// Whether `user` is one of its organization's owners.
pub(crate) fn is_owner(user: &User) -> bool {
    user.role.as_deref() == Some(Role::Owner.as_str())
}

impl UserChange {
    /// Whether applying this to `user` takes an owner away (the last-owner guard's question).
    pub(crate) fn demotes_owner(&self, user: &User) -> bool {
        self.role == Some(Role::Reader) && is_owner(user)
    }

    /// The audit event of this change applied to `user`.
    pub(crate) fn event(&self, user: &User) -> audit::AuditEvent {
        let mut changes = serde_json::Map::new();
        if self.role.is_some() {
            changes.insert("role".into(), user.role.clone().into());
        }
        if self.technical_level.is_some() {
            changes.insert(
                "technical_level".into(),
                user.technical_level.clone().into(),
            );
        }
        if self.developer_persona.is_some() {
            changes.insert(
                "developer_persona".into(),
                user.developer_persona.clone().into(),
            );
        }
        audit::AuditEvent::new(
            "user.updated",
            user.id.as_str(),
            serde_json::json!({ "changes_requested": changes }),
        )
    }

    /// Applies this change to `user`, which is then what the store writes and answers.
    pub(crate) fn apply_to(&self, user: &mut User) {
        if let Some(role) = self.role {
            user.role = Some(role.as_str().to_owned());
        }
        if let Some(level) = &self.technical_level {
            user.technical_level.clone_from(level);
        }
        if let Some(persona) = &self.developer_persona {
            user.developer_persona.clone_from(persona);
        }
    }
}

/// An admin key as listings show it: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// `key_…`.
    pub id: String,
    /// A name given at creation.
    pub name: String,
    /// The organization it opens.
    pub org: OrgId,
    /// Unix seconds.
    pub created_at: i64,
    /// The last four characters of the key.
    pub last4: String,
    /// Unix seconds of revocation, if revoked.
    pub revoked_at: Option<i64>,
}

impl StoreError {
    /// A [`StoreError::NotFound`] of `kind`.
    pub fn not_found(kind: Kind, id: impl Into<String>) -> Self {
        Self::NotFound {
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
    UserStore + roles::RoleStore + groups::GroupStore + user_roles::UserRoleStore
{
}

impl<T> Store for T where
    T: UserStore + roles::RoleStore + groups::GroupStore + user_roles::UserRoleStore
{
}

/// Organizations, admin keys and users.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// The secret that cursor-style lists sign their cursors with (see [`page::CursorKey`]).
    fn cursor_key(&self) -> &page::CursorKey;

    /// Succeeds when the store answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// The default organization (the first one created), if any exists.
    async fn default_organization(&self) -> Result<Option<OrgId>, StoreError>;

    /// Makes sure `org` exists (the default one when `None`, created on an empty store) and
    /// returns its id.
    async fn ensure_organization(&self, org: Option<&OrgId>) -> Result<OrgId, StoreError>;

    /// Stores a new key for `org` under `name`.
    async fn create_key(
        &self,
        org: &OrgId,
        name: &str,
        key: &AdminKey,
    ) -> Result<KeyInfo, StoreError>;

    /// Makes sure `key` opens `org`: creates it, or re-enables it if it was revoked.
    async fn ensure_key(&self, org: &OrgId, key: &AdminKey) -> Result<(), StoreError>;

    /// Every key of every organization, oldest first.
    async fn list_keys(&self) -> Result<Vec<KeyInfo>, StoreError>;

    /// Revokes a key by id; false when there is no such key.
    async fn revoke_key(&self, key_id: &str) -> Result<bool, StoreError>;

    /// The organization a live key opens.
    async fn authenticate(&self, key: &KeyHash) -> Result<Option<OrgId>, StoreError>;

    /// One page of the organization's users in list order.
    async fn list_users(&self, org: &OrgId, query: &UserQuery) -> Result<UserPage, StoreError>;

    /// One user.
    async fn get_user(&self, org: &OrgId, id: &str) -> Result<User, StoreError>;

    /// [`Self::list_users`] as the JSON of the API's list object.
    ///
    /// A store that can write the JSON straight from its rows overrides this (and
    /// [`Self::get_user_json`]): building owned [`User`]s only to serialize them was most of the
    /// cost of a large page.
    async fn list_users_json(&self, org: &OrgId, query: &UserQuery) -> Result<Vec<u8>, StoreError> {
        let page = self.list_users(org, query).await?;
        let list = UserList::new(page.users, page.has_more);
        Ok(serde_json::to_vec(&list).context("cannot encode a page of users")?)
    }

    /// [`Self::get_user`] as the JSON of the API's user object.
    async fn get_user_json(&self, org: &OrgId, id: &str) -> Result<Vec<u8>, StoreError> {
        let user = self.get_user(org, id).await?;
        Ok(serde_json::to_vec(&user).context("cannot encode a user")?)
    }

    /// Applies `change` and returns the user as it now is.
    async fn update_user(
        &self,
        org: &OrgId,
        id: &str,
        change: &UserChange,
    ) -> Result<User, StoreError>;

    /// Deletes a user, erasing its personal data but keeping its list position.
    async fn delete_user(&self, org: &OrgId, id: &str) -> Result<(), StoreError>;

    /// Writes every record of `source` in one transaction, or nothing.
    async fn import_users(
        &self,
        org: &OrgId,
        source: ImportSource,
    ) -> Result<ImportSummary, StoreError>;
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

    fn user(role: &str) -> User {
        serde_json::from_value(serde_json::json!({
            "object": "organization.user", "id": "u", "role": role, "added_at": 1,
            "technical_level": "old", "developer_persona": "kept"
        }))
        .unwrap()
    }

    #[test]
    fn changes_apply_field_by_field() {
        let mut u = user("owner");
        let change = UserChange {
            role: Some(Role::Reader),
            technical_level: Some(None),
            developer_persona: None,
        };
        assert!(change.demotes_owner(&u));
        assert!(!change.demotes_owner(&user("reader")));
        assert!(!UserChange::default().demotes_owner(&u));
        change.apply_to(&mut u);
        assert_eq!(u.role.as_deref(), Some("reader"));
        assert_eq!(u.technical_level, None);
        assert_eq!(u.developer_persona.as_deref(), Some("kept"));
        assert!(is_owner(&user("owner")) && !is_owner(&user("reader")));
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
