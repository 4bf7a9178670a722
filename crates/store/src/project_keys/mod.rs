//! Project API keys: the keys of a project, owned by a service account of the project or by a
//! user (those come from an import). Secrets are stored only as SHA-256 hashes; none of them
//! opens the admin API, which admin keys alone do.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::fmt;

use async_trait::async_trait;
use orgusers_api::projects::{
    PROJECT_API_KEY_OBJECT, ProjectApiKey, ProjectApiKeyOwner, ProjectApiKeyOwnerServiceAccount,
    ProjectApiKeyOwnerUser, SERVICE_ACCOUNT_API_KEY_OBJECT, ServiceAccountApiKey,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit::AuditEvent;
use crate::domain::random_alphanumeric;
use crate::ids::{ApiKeyId, ProjectId, ServiceAccountId};
use crate::page::{FirstQuery, NextPage, Position, fetched_page};
use crate::projects::ProjectRole;
use crate::service_accounts::ServiceAccountRole;
use crate::{InvalidValue, KeyHash, Kind, OrgId, StoreError};

/// Longest key name, in characters.
pub const MAX_KEY_NAME_CHARS: usize = 255;
/// The name of a key created without one.
pub const DEFAULT_KEY_NAME: &str = "Secret key";
/// Longest scope, in characters.
pub const MAX_SCOPE_CHARS: usize = 255;

/// A key's name: 1 to 255 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyName(String);

impl KeyName {
    /// Checks a name as given.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let chars = s.chars().count();
        if chars == 0 || chars > MAX_KEY_NAME_CHARS {
            return Err(InvalidValue(format!(
                "a key name must have 1 to {MAX_KEY_NAME_CHARS} characters"
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name of a key created without one.
    pub fn default_name() -> Self {
        Self(DEFAULT_KEY_NAME.to_owned())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The scopes a key is created with: each 1 to 255 characters without whitespace. orgusers grants
/// every key the same access; the scopes go to the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyScopes(Vec<String>);

impl KeyScopes {
    /// Checks scopes as given; the error names the first scope at fault by its index.
    pub fn parse(scopes: Vec<String>) -> Result<Self, (usize, InvalidValue)> {
        for (i, scope) in scopes.iter().enumerate() {
            let chars = scope.chars().count();
            if chars == 0 || chars > MAX_SCOPE_CHARS || scope.chars().any(char::is_whitespace) {
                return Err((
                    i,
                    InvalidValue(format!(
                        "a scope must have 1 to {MAX_SCOPE_CHARS} characters and no whitespace"
                    )),
                ));
            }
        }
        Ok(Self(scopes))
    }

    /// The scopes.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// The secret of a project key in plain text: `sk-svcacct-` + 48 alphanumerics. Shown once, when
/// it is created; never printed (`Debug` shows only its redacted form).
#[derive(Clone, PartialEq, Eq)]
pub struct KeySecret(String);

impl KeySecret {
    /// The prefix of service-account keys.
    pub const SERVICE_ACCOUNT_PREFIX: &'static str = "sk-svcacct-";

    /// A fresh service-account key.
    pub fn generate() -> Self {
        Self(format!(
            "{}{}",
            Self::SERVICE_ACCOUNT_PREFIX,
            random_alphanumeric(48)
        ))
    }

    /// The hash under which the key is stored.
    pub fn hash(&self) -> KeyHash {
        KeyHash(Sha256::digest(self.0.as_bytes()).into())
    }

    /// The form listings show (see [`rules::redact`]).
    pub fn redacted(&self) -> String {
        rules::redact(&self.0)
    }

    /// The secret itself, for the one answer that shows it.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeySecret({})", self.redacted())
    }
}

/// A key about to be stored, with its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    /// `key_…`.
    pub id: ApiKeyId,
    /// Its name.
    pub name: KeyName,
    /// Unix seconds.
    pub created_at: i64,
    /// The secret, shown once.
    pub secret: KeySecret,
    /// The scopes it was asked with.
    pub scopes: KeyScopes,
}

impl NewKey {
    /// A fresh key named `name`, created at `created_at`.
    pub fn generate(name: KeyName, scopes: KeyScopes, created_at: i64) -> Self {
        Self {
            id: ApiKeyId::generate(),
            name,
            created_at,
            secret: KeySecret::generate(),
            scopes,
        }
    }

    /// The `ServiceAccountApiKeyBody` of the API: the one answer with the secret.
    pub fn to_wire(&self) -> ServiceAccountApiKey {
        ServiceAccountApiKey {
            object: SERVICE_ACCOUNT_API_KEY_OBJECT.to_owned(),
            value: self.secret.reveal().to_owned(),
            name: self.name.as_str().to_owned(),
            created_at: self.created_at,
            id: self.id.to_string(),
        }
    }
}

/// Who owns a key, as `owner_type` stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerType {
    /// An organization user.
    User,
    /// A service account of the key's project.
    ServiceAccount,
}

impl OwnerType {
    /// The field of an import line that names an owner of this type, and what it names.
    pub fn import_reference(self) -> (&'static str, &'static str) {
        match self {
            Self::User => ("owner.user.id", "user"),
            Self::ServiceAccount => (
                "owner.service_account.id",
                "service account of this project",
            ),
        }
    }

    /// The stored and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::ServiceAccount => "service_account",
        }
    }
}

/// The owner of a key, with what the key's answer shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOwner {
    /// A user of the organization.
    User {
        /// The user's id.
        id: String,
        /// The user's name.
        name: Option<String>,
        /// The user's email.
        email: Option<String>,
        /// Unix seconds the user joined the organization.
        added_at: i64,
        /// The user's role in the key's project, `None` when not a direct member.
        project_role: Option<ProjectRole>,
    },
    /// A service account of the key's project.
    ServiceAccount {
        /// `svc_acct_…`.
        id: ServiceAccountId,
        /// Its name.
        name: String,
        /// Unix seconds.
        created_at: i64,
        /// Its role in the project.
        role: ServiceAccountRole,
    },
}

/// A project API key as the store holds it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectKeyRecord {
    /// `key_…`.
    pub id: ApiKeyId,
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// Its name.
    pub name: String,
    /// The secret's redacted form.
    pub redacted_value: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last use.
    pub last_used_at: Option<i64>,
    /// Who owns it.
    pub owner: KeyOwner,
    /// The SHA-256 of its secret, which an export carries; `None` for a key imported without
    /// one. Never answered by the API.
    pub value_sha256: Option<[u8; 32]>,
}

impl ProjectKeyRecord {
    /// Its place in the project's list.
    pub fn position(&self) -> Position {
        Position::new(self.created_at, self.id.as_str())
    }

    /// The `ProjectApiKey` object of the API.
    pub fn to_wire(&self) -> ProjectApiKey {
        let owner = match &self.owner {
            KeyOwner::User {
                id,
                name,
                email,
                added_at,
                project_role,
            } => ProjectApiKeyOwner {
                kind: OwnerType::User.as_str().to_owned(),
                user: Some(ProjectApiKeyOwnerUser {
                    id: id.clone(),
                    email: email.clone().unwrap_or_default(),
                    name: name.clone().unwrap_or_default(),
                    created_at: *added_at,
                    role: project_role.map_or("none", ProjectRole::as_str).to_owned(),
                }),
                service_account: None,
            },
            KeyOwner::ServiceAccount {
                id,
                name,
                created_at,
                role,
            } => ProjectApiKeyOwner {
                kind: OwnerType::ServiceAccount.as_str().to_owned(),
                user: None,
                service_account: Some(ProjectApiKeyOwnerServiceAccount {
                    id: id.to_string(),
                    name: name.clone(),
                    created_at: *created_at,
                    role: role.as_str().to_owned(),
                }),
            },
        };
        ProjectApiKey {
            object: PROJECT_API_KEY_OBJECT.to_owned(),
            redacted_value: self.redacted_value.clone(),
            name: self.name.clone(),
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            id: self.id.to_string(),
            owner_project_access: OwnerAccess::of(&self.owner).as_str().to_owned(),
            owner,
        }
    }
}

/// Whether a key's owner has access to the key's project (`owner_project_access`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerAccess {
    /// The owner has access.
    Active,
    /// The owner has no access.
    Inactive,
}

impl OwnerAccess {
    /// The values `owner_project_access` may take as a filter (`any`: no filter).
    pub const FILTERS: &'static [&'static str] = &["active", "inactive", "any"];

    /// The filter a query value asks for: `None` for `any`.
    pub fn filter(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "inactive" => Some(Self::Inactive),
            _ => None,
        }
    }

    /// The access `owner` has ([`rules::has_access`]).
    pub fn of(owner: &KeyOwner) -> Self {
        if rules::has_access(owner) {
            Self::Active
        } else {
            Self::Inactive
        }
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
        }
    }
}

/// [`rules::has_access`] as SQL over the list query's `k` (the key) and `m` (the owner's direct
/// membership of the key's project, left-joined): the same on both backends.
pub(crate) const HAS_ACCESS_SQL: &str =
    "(k.owner_type = 'service_account' OR m.user_id IS NOT NULL)";

/// The columns of a key row with its owner, the same on both backends (see [`KeyRow`]): the key,
/// its service account `s` and its user `u` (each left-joined) and the user's membership `m`.
pub(crate) const KEY_COLUMNS: &str = "k.id, k.project_id, k.name, k.redacted_value, k.created_at, \
     k.last_used_at, k.owner_type, k.owner_id, s.name, s.created_at, s.role, u.name, u.email, \
     u.added_at, m.role, k.value_sha256";

/// One key row as [`KEY_COLUMNS`] reads it, before it becomes a [`ProjectKeyRecord`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyRow {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub redacted_value: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub owner_type: String,
    pub owner_id: String,
    pub account_name: Option<String>,
    pub account_created_at: Option<i64>,
    pub account_role: Option<String>,
    pub user_name: Option<String>,
    pub user_email: Option<String>,
    pub user_added_at: Option<i64>,
    pub member_role: Option<String>,
    pub value_sha256: Option<Vec<u8>>,
}

impl KeyRow {
    /// The record, its owner built from the joined columns.
    pub fn into_record(self) -> ProjectKeyRecord {
        let owner = if self.owner_type == OwnerType::ServiceAccount.as_str() {
            KeyOwner::ServiceAccount {
                id: ServiceAccountId::from_stored(self.owner_id),
                name: self.account_name.unwrap_or_default(),
                created_at: self.account_created_at.unwrap_or(self.created_at),
                role: self
                    .account_role
                    .as_deref()
                    .and_then(ServiceAccountRole::parse)
                    .unwrap_or(ServiceAccountRole::None),
            }
        } else {
            KeyOwner::User {
                id: self.owner_id,
                name: self.user_name,
                email: self.user_email,
                added_at: self.user_added_at.unwrap_or(self.created_at),
                project_role: self.member_role.as_deref().and_then(ProjectRole::parse),
            }
        };
        ProjectKeyRecord {
            id: ApiKeyId::from_stored(self.id),
            project_id: ProjectId::from_stored(self.project_id),
            name: self.name,
            redacted_value: self.redacted_value,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            owner,
            value_sha256: self
                .value_sha256
                .and_then(|hash| <[u8; 32]>::try_from(hash).ok()),
        }
    }
}

/// Decisions about project keys that do not depend on the backend.
pub mod rules {
    use super::KeyOwner;

    /// The form listings show of a secret: its prefix up to and including its last `-`, then
    /// `...`, then its last 4 characters (of those after that `-`, so that nothing is shown
    /// twice). `sk-svcacct-abc…WXYZ` is `sk-svcacct-...WXYZ`.
    pub fn redact(secret: &str) -> String {
        let (prefix, tail) = match secret.rfind('-') {
            Some(i) => secret.split_at(i + 1),
            None => ("", secret),
        };
        let chars: Vec<char> = tail.chars().collect();
        let last4: String = chars[chars.len().saturating_sub(4)..].iter().collect();
        format!("{prefix}...{last4}")
    }

    /// A key's owner has access to the key's project while it is a service account of the
    /// project (always, while it exists) or a user who is a direct member of the project.
    pub fn has_access(owner: &KeyOwner) -> bool {
        match owner {
            KeyOwner::ServiceAccount { .. } => true,
            KeyOwner::User { project_role, .. } => project_role.is_some(),
        }
    }
}

pub(crate) fn key_created_event(project: &ProjectId, owner: &str, key: &NewKey) -> AuditEvent {
    AuditEvent::new(
        "api_key.created",
        key.id.as_str(),
        json!({
            "project_id": project.as_str(),
            "owner_id": owner,
            "data": { "scopes": key.scopes.as_slice() },
        }),
    )
}

pub(crate) fn key_deleted_event(project: &str, key: &str) -> AuditEvent {
    AuditEvent::new("api_key.deleted", key, json!({ "project_id": project }))
}

pub(crate) fn no_such_key(id: &ApiKeyId) -> StoreError {
    StoreError::not_found(Kind::ApiKey, id.as_str())
}

/// Project API keys per backend; paging is provided. Keys are made with their service account
/// (`ServiceAccountStore`).
#[async_trait]
pub trait ProjectKeyStore: Send + Sync + 'static {
    /// Up to `query.limit + 1` keys of `project` after `query.after`, oldest first; only those
    /// whose owner's access is `access`, when given.
    async fn fetch_project_keys(
        &self,
        org: &OrgId,
        project: &ProjectId,
        query: &FirstQuery,
        access: Option<OwnerAccess>,
    ) -> Result<Vec<(Position, ProjectKeyRecord)>, StoreError>;

    /// One key of a project.
    async fn get_project_key(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ApiKeyId,
    ) -> Result<ProjectKeyRecord, StoreError>;

    /// Deletes (revokes) a key of an active project.
    async fn delete_project_key(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ApiKeyId,
    ) -> Result<(), StoreError>;

    /// One page of a project's keys.
    async fn list_project_keys(
        &self,
        org: &OrgId,
        project: &ProjectId,
        query: &FirstQuery,
        access: Option<OwnerAccess>,
    ) -> Result<NextPage<ProjectKeyRecord>, StoreError> {
        let rows = self.fetch_project_keys(org, project, query, access).await?;
        Ok(fetched_page(rows, query.limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_the_contract_shape_and_redaction() {
        let secret = KeySecret::generate();
        let tail = secret.reveal().strip_prefix("sk-svcacct-").unwrap();
        assert_eq!(tail.len(), 48);
        assert!(tail.chars().all(|c| c.is_ascii_alphanumeric()));
        let redacted = secret.redacted();
        assert_eq!(redacted, format!("sk-svcacct-...{}", &tail[44..]));
        assert!(!format!("{secret:?}").contains(&tail[..40]));
        assert_eq!(secret.hash(), KeySecret(secret.reveal().to_owned()).hash());

        assert_eq!(rules::redact("sk-proj-abcdefWXYZ"), "sk-proj-...WXYZ");
        assert_eq!(rules::redact("sk-abc-de"), "sk-abc-...de");
        assert_eq!(rules::redact("plainsecret"), "...cret");
        assert_eq!(rules::redact("ends-"), "ends-...");
    }

    #[test]
    fn names_and_scopes_are_checked() {
        assert!(KeyName::parse("").is_err());
        assert!(KeyName::parse(&"é".repeat(255)).is_ok());
        assert!(KeyName::parse(&"é".repeat(256)).is_err());
        assert_eq!(KeyName::default_name().as_str(), "Secret key");
        let scopes = |s: &[&str]| KeyScopes::parse(s.iter().map(|s| (*s).to_owned()).collect());
        assert!(scopes(&[]).is_ok());
        assert!(scopes(&["api.responses.write", "api.model.read"]).is_ok());
        assert_eq!(scopes(&["ok", ""]).map_err(|(i, _)| i), Err(1));
        assert_eq!(scopes(&["a b"]).map_err(|(i, _)| i), Err(0));
    }

    #[test]
    fn owners_have_access_while_they_belong() {
        let user = |role| KeyOwner::User {
            id: "u".into(),
            name: None,
            email: None,
            added_at: 1,
            project_role: role,
        };
        assert_eq!(
            OwnerAccess::of(&user(Some(ProjectRole::Member))),
            OwnerAccess::Active
        );
        assert_eq!(OwnerAccess::of(&user(None)), OwnerAccess::Inactive);
        let account = KeyOwner::ServiceAccount {
            id: ServiceAccountId::from_request("svc_acct_x"),
            name: "bot".into(),
            created_at: 1,
            role: ServiceAccountRole::None,
        };
        assert_eq!(OwnerAccess::of(&account), OwnerAccess::Active);
        let record = ProjectKeyRecord {
            id: ApiKeyId::from_request("key_x"),
            project_id: ProjectId::from_request("proj_x"),
            name: "k".into(),
            redacted_value: "sk-svcacct-...WXYZ".into(),
            created_at: 5,
            last_used_at: None,
            owner: user(None),
            value_sha256: Some([7; 32]),
        };
        let wire = serde_json::to_value(record.to_wire()).unwrap();
        assert_eq!(wire["owner_project_access"], "inactive");
        assert!(
            wire.get("value_sha256").is_none(),
            "the hash is never answered"
        );
        assert_eq!(
            wire["owner"],
            json!({"type": "user", "user": {"id": "u", "email": "", "name": "", "created_at": 1, "role": "none"}})
        );
        assert_eq!(OwnerAccess::filter("any"), None);
        assert_eq!(OwnerAccess::filter("active"), Some(OwnerAccess::Active));
    }
}
