//! Admin keys: what opens an organization. Stored only as SHA-256 hashes.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use async_trait::async_trait;
use orgusers_api::admin_api_keys::{ADMIN_API_KEY_OBJECT, AdminApiKey, AdminApiKeyOwner};
use serde_json::json;

use crate::audit::{Actor, AuditEvent};
use crate::page::{FirstQuery, NextPage, Position, SortOrder, fetched_page};
use crate::users::find_user;
use crate::{AdminKey, InvalidValue, KeyHash, Kind, OrgId, StoreError, UserStore};

/// Longest lifetime `expires_in_seconds` may give a key: a year.
pub const MAX_EXPIRES_IN_SECONDS: i64 = 31_536_000;

/// How long a key made over HTTP lives: 1 second to a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyLifetime(i64);

impl KeyLifetime {
    /// Checks `expires_in_seconds` as given.
    pub fn parse(seconds: i64) -> Result<Self, InvalidValue> {
        if !(1..=MAX_EXPIRES_IN_SECONDS).contains(&seconds) {
            return Err(InvalidValue(format!(
                "expected a value between 1 and {MAX_EXPIRES_IN_SECONDS}, but got {seconds} instead"
            )));
        }
        Ok(Self(seconds))
    }

    /// The moment a key created at `created_at` expires.
    pub fn expiry_from(self, created_at: i64) -> i64 {
        created_at.saturating_add(self.0)
    }
}

/// An admin key as `/organization/admin_api_keys` shows it: never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminKeyRecord {
    /// `key_…`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The value's redacted form ([`AdminKey::redacted`]).
    pub redacted_value: String,
    /// Unix seconds, by the organization's clock (keys made over HTTP).
    pub created_at: i64,
    /// Unix seconds from which it opens nothing, by the organization's clock.
    pub expires_at: Option<i64>,
    /// Unix seconds of the last use, kept at most once a minute per server.
    pub last_used_at: Option<i64>,
    /// The user who owns it, while that user is live in the organization.
    pub owner: Option<KeyOwner>,
}

/// The user who owns an admin key, as the key's `owner` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOwner {
    /// The user's id.
    pub id: String,
    /// The user's name.
    pub name: Option<String>,
    /// When the user was added to the organization (Unix seconds).
    pub added_at: i64,
    /// The user's role in the organization: `owner` or `reader`.
    pub role: String,
}

/// The name of the owner a key no user owns shows: such keys belong to whoever runs orgusers
/// (docs/decisions.md, "Admin API keys over HTTP").
pub const KEY_OWNER_NAME: &str = "orgusers operator";

impl AdminKeyRecord {
    /// Its place in the organization's list of keys.
    pub fn position(&self) -> Position {
        Position::new(self.created_at, self.id.as_str())
    }

    /// The `AdminApiKey` object of the API.
    pub fn to_wire(&self) -> AdminApiKey {
        AdminApiKey {
            object: ADMIN_API_KEY_OBJECT.to_owned(),
            id: self.id.clone(),
            name: Some(self.name.clone()),
            redacted_value: self.redacted_value.clone(),
            created_at: self.created_at,
            expires_at: self.expires_at,
            last_used_at: self.last_used_at,
            owner: match &self.owner {
                Some(user) => AdminApiKeyOwner {
                    kind: Some("user".to_owned()),
                    object: Some("organization.user".to_owned()),
                    id: Some(user.id.clone()),
                    name: user.name.clone(),
                    created_at: Some(user.added_at),
                    role: Some(user.role.clone()),
                },
                // A key no user owns was made by `serve` or `orgusers keys`, or by a key that
                // descends from those: the owner shown is that operator, as a service-style
                // owner with no id that would name nothing in the directory.
                None => AdminApiKeyOwner {
                    kind: Some("service_account".to_owned()),
                    object: Some("organization.service_account".to_owned()),
                    id: None,
                    name: Some(KEY_OWNER_NAME.to_owned()),
                    created_at: None,
                    role: Some("owner".to_owned()),
                },
            },
        }
    }
}

/// The id of the user of `org` that `user` names (its id or its email, see [`find_user`]):
/// the owner `orgusers keys create --owner` gives a key.
pub async fn owner_named(
    store: &(impl UserStore + ?Sized),
    org: &OrgId,
    user: &str,
) -> Result<String, StoreError> {
    find_user(store, org, user)
        .await?
        .map(|found| found.id)
        .ok_or_else(|| StoreError::not_found(Kind::User, user))
}

/// `No such admin API key: <id>`.
pub(crate) fn no_such_admin_key(id: &str) -> StoreError {
    StoreError::not_found(Kind::AdminApiKey, id)
}

pub(crate) fn admin_key_created_event(id: &str) -> AuditEvent {
    // Admin keys carry no scopes: each opens the whole admin API of its organization.
    AuditEvent::new("api_key.created", id, json!({ "data": { "scopes": [] } }))
}

pub(crate) fn admin_key_deleted_event(id: &str) -> AuditEvent {
    AuditEvent::new("api_key.deleted", id, json!({}))
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

/// A live admin key that opened a request: its organization, its id and its owner's id (the
/// actor of what the request changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyIdentity {
    /// The organization it opens.
    pub org: OrgId,
    /// `key_…`.
    pub key_id: String,
    /// The user who owns it, if one does (as stored; a change checks the user is live).
    pub owner_user_id: Option<String>,
}

impl KeyIdentity {
    /// The actor of the changes this key makes.
    pub fn actor(&self) -> Actor {
        Actor {
            key_id: self.key_id.clone(),
            owner_user_id: self.owner_user_id.clone(),
        }
    }
}

/// Admin keys per backend.
#[async_trait]
pub trait KeyStore: Send + Sync + 'static {
    /// Stores a new key for `org` under `name`, owned by the user `owner` (an id of a user of
    /// `org`, see [`owner_named`]) when given.
    async fn create_key(
        &self,
        org: &OrgId,
        name: &str,
        key: &AdminKey,
        owner: Option<&str>,
    ) -> Result<KeyInfo, StoreError>;

    /// Makes sure `key` opens `org`: creates it, or re-enables it if it was revoked.
    async fn ensure_key(&self, org: &OrgId, key: &AdminKey) -> Result<(), StoreError>;

    /// Every key of every organization, oldest first.
    async fn list_keys(&self) -> Result<Vec<KeyInfo>, StoreError>;

    /// Revokes a key by id; false when there is no such key.
    async fn revoke_key(&self, key_id: &str) -> Result<bool, StoreError>;

    /// The organization a live key opens, and the key's id. A key past its `expires_at` (by
    /// its organization's clock) opens nothing, as a revoked one.
    async fn authenticate(&self, key: &KeyHash) -> Result<Option<KeyIdentity>, StoreError>;

    /// Up to `query.limit + 1` live (unrevoked) keys of `org` after `query.after` in `order`
    /// (creation time, ties by id); expired keys are listed until deleted. An `after` naming a
    /// key the organization never had is an unknown cursor.
    async fn fetch_admin_keys(
        &self,
        org: &OrgId,
        query: &FirstQuery,
        order: SortOrder,
    ) -> Result<Vec<(Position, AdminKeyRecord)>, StoreError>;

    /// One page of `org`'s live keys.
    async fn list_admin_keys(
        &self,
        org: &OrgId,
        query: &FirstQuery,
        order: SortOrder,
    ) -> Result<NextPage<AdminKeyRecord>, StoreError> {
        let rows = self.fetch_admin_keys(org, query, order).await?;
        Ok(fetched_page(rows, query.limit))
    }

    /// A live key of `org`; a revoked one or another organization's is not found.
    async fn get_admin_key(&self, org: &OrgId, id: &str) -> Result<AdminKeyRecord, StoreError>;

    /// Creates a key of `org` named `name` at the organization's time, expiring `lifetime`
    /// after it if given; the answer holds the value, to show once. The key is owned by the
    /// owner of the acting key (the request's), when that key has a live one.
    async fn create_admin_key(
        &self,
        org: &OrgId,
        name: &str,
        lifetime: Option<KeyLifetime>,
    ) -> Result<(AdminKeyRecord, AdminKey), StoreError>;

    /// Revokes a live key of `org` (the API's deletion): it leaves the list and opens nothing,
    /// and `orgusers keys list` shows it revoked.
    async fn delete_admin_key(&self, org: &OrgId, id: &str) -> Result<(), StoreError>;

    /// Notes a use of the key `key_id` now, by its organization's clock. Callers throttle it
    /// (once a minute per key and server): it is a write.
    async fn touch_admin_key(&self, key_id: &str) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_run_from_a_second_to_a_year() {
        assert!(KeyLifetime::parse(0).is_err());
        assert!(KeyLifetime::parse(-1).is_err());
        assert!(KeyLifetime::parse(MAX_EXPIRES_IN_SECONDS + 1).is_err());
        assert_eq!(KeyLifetime::parse(60).unwrap().expiry_from(1_000), 1_060);
        assert_eq!(
            KeyLifetime::parse(MAX_EXPIRES_IN_SECONDS)
                .unwrap()
                .expiry_from(i64::MAX),
            i64::MAX
        );
    }

    #[test]
    fn values_are_redacted_to_their_prefix_and_last_four() {
        let generated = AdminKey::generate();
        let value = generated.expose();
        assert_eq!(
            generated.redacted(),
            format!("sk-admin-...{}", &value[value.len() - 4..])
        );
        // An operator's key shows no more than its last four, however many `-` it holds.
        assert_eq!(
            AdminKey::presented("sk-admin-test-key-0000WXYZ").redacted(),
            "sk-admin-...WXYZ"
        );
        assert_eq!(
            AdminKey::presented("team-prod-secret-ABCD").redacted(),
            "...ABCD"
        );
    }

    #[test]
    fn a_key_no_user_owns_shows_the_operator_as_its_owner() {
        let record = AdminKeyRecord {
            id: "key_x".into(),
            name: "ci".into(),
            redacted_value: "sk-admin-...WXYZ".into(),
            created_at: 5,
            expires_at: None,
            last_used_at: Some(7),
            owner: None,
        };
        let wire = serde_json::to_value(record.to_wire()).unwrap();
        assert_eq!(wire["object"], "organization.admin_api_key");
        assert!(wire["expires_at"].is_null(), "present, as null: {wire}");
        assert_eq!(wire["last_used_at"], 7);
        assert_eq!(
            wire["owner"],
            json!({"type": "service_account", "object": "organization.service_account",
                   "name": KEY_OWNER_NAME, "role": "owner"})
        );
        assert!(wire.get("value").is_none());
    }

    #[test]
    fn an_owned_key_shows_its_user() {
        let record = AdminKeyRecord {
            id: "key_x".into(),
            name: "ci".into(),
            redacted_value: "sk-admin-...WXYZ".into(),
            created_at: 5,
            expires_at: None,
            last_used_at: None,
            owner: Some(KeyOwner {
                id: "user-a".into(),
                name: Some("Ann".into()),
                added_at: 3,
                role: "reader".into(),
            }),
        };
        let wire = serde_json::to_value(record.to_wire()).unwrap();
        assert_eq!(
            wire["owner"],
            json!({"type": "user", "object": "organization.user", "id": "user-a",
                   "name": "Ann", "created_at": 3, "role": "reader"})
        );
    }
}
