//! Service accounts: non-human members of one project, each with the API keys made for it.
//! They are not organization users.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use async_trait::async_trait;
use orgusers_api::projects::{SERVICE_ACCOUNT_OBJECT, ServiceAccount, ServiceAccountCreated};
use serde_json::{Map, Value, json};

use crate::audit::AuditEvent;
use crate::ids::{ProjectId, ServiceAccountId};
use crate::page::{FirstQuery, NextPage, Position, fetched_page};
use crate::project_keys::{KeyName, KeyScopes, NewKey};
use crate::projects::ProjectRole;
use crate::{InvalidValue, Kind, OrgId, StoreError, now};

/// Longest service account name, in characters.
pub const MAX_SERVICE_ACCOUNT_NAME_CHARS: usize = 255;

/// A service account's name: 1 to 255 characters; names need not be unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccountName(String);

impl ServiceAccountName {
    /// Checks a name as given.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let chars = s.chars().count();
        if chars == 0 || chars > MAX_SERVICE_ACCOUNT_NAME_CHARS {
            return Err(InvalidValue(format!(
                "a service account name must have 1 to {MAX_SERVICE_ACCOUNT_NAME_CHARS} characters"
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A service account's role in its project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceAccountRole {
    /// `owner`.
    Owner,
    /// `member`: what an account created with a key gets.
    Member,
    /// `none`: what an account created without a key gets.
    None,
}

impl ServiceAccountRole {
    /// `owner`, `member` or `none`; anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "member" => Some(Self::Member),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Member => "member",
            Self::None => "none",
        }
    }
}

impl From<ProjectRole> for ServiceAccountRole {
    fn from(role: ProjectRole) -> Self {
        match role {
            ProjectRole::Owner => Self::Owner,
            ProjectRole::Member => Self::Member,
        }
    }
}

/// A service account as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccountRecord {
    /// `svc_acct_…`.
    pub id: ServiceAccountId,
    /// Its project.
    pub project_id: ProjectId,
    /// Its name.
    pub name: String,
    /// Its role in the project.
    pub role: ServiceAccountRole,
    /// Unix seconds.
    pub created_at: i64,
}

impl ServiceAccountRecord {
    /// Its place in the project's list.
    pub fn position(&self) -> Position {
        Position::new(self.created_at, self.id.as_str())
    }

    /// The `ProjectServiceAccount` object of the API.
    pub fn to_wire(&self) -> ServiceAccount {
        ServiceAccount {
            object: SERVICE_ACCOUNT_OBJECT.to_owned(),
            id: self.id.to_string(),
            name: self.name.clone(),
            role: self.role.as_str().to_owned(),
            created_at: self.created_at,
        }
    }
}

/// What `POST /projects/{p}/service_accounts` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewServiceAccount {
    /// Its name.
    pub name: ServiceAccountName,
    /// `create_service_account_only`: no key, and role `none`.
    pub without_key: bool,
}

/// A service account just created, with its first key (and that key's secret) unless it was
/// created without one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedServiceAccount {
    /// The account.
    pub account: ServiceAccountRecord,
    /// Its key.
    pub key: Option<NewKey>,
}

impl CreatedServiceAccount {
    /// The `ProjectServiceAccountCreateResponse` of the API: the one answer with the secret.
    pub fn to_wire(&self) -> ServiceAccountCreated {
        ServiceAccountCreated {
            object: SERVICE_ACCOUNT_OBJECT.to_owned(),
            id: self.account.id.to_string(),
            name: self.account.name.clone(),
            role: self.account.role.as_str().to_owned(),
            created_at: self.account.created_at,
            api_key: self.key.as_ref().map(NewKey::to_wire),
        }
    }
}

/// A change to a service account; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceAccountChange {
    /// A new name.
    pub name: Option<ServiceAccountName>,
    /// A new role.
    pub role: Option<ProjectRole>,
}

/// Decisions about service accounts that do not depend on the backend.
pub mod rules {
    use super::{
        CreatedServiceAccount, NewServiceAccount, ServiceAccountChange, ServiceAccountRecord,
        ServiceAccountRole,
    };
    use crate::ids::{ProjectId, ServiceAccountId};
    use crate::project_keys::{KeyName, KeyScopes, NewKey};

    /// A new account of `project`: role `member` with a key named `Secret key`, or role `none`
    /// and no key when asked for the account only.
    pub fn created(
        project: &ProjectId,
        new: &NewServiceAccount,
        created_at: i64,
    ) -> CreatedServiceAccount {
        let (role, key) = if new.without_key {
            (ServiceAccountRole::None, None)
        } else {
            let key = NewKey::generate(KeyName::default_name(), KeyScopes::default(), created_at);
            (ServiceAccountRole::Member, Some(key))
        };
        CreatedServiceAccount {
            account: ServiceAccountRecord {
                id: ServiceAccountId::generate(),
                project_id: project.clone(),
                name: new.name.as_str().to_owned(),
                role,
                created_at,
            },
            key,
        }
    }

    /// `account` as `change` leaves it.
    pub fn changed(
        account: &ServiceAccountRecord,
        change: &ServiceAccountChange,
    ) -> ServiceAccountRecord {
        let mut account = account.clone();
        if let Some(name) = &change.name {
            account.name = name.as_str().to_owned();
        }
        if let Some(role) = change.role {
            account.role = role.into();
        }
        account
    }
}

/// The event of an account's creation (its key's is the key's own).
pub(crate) fn created_event(account: &ServiceAccountRecord) -> AuditEvent {
    AuditEvent::new(
        "service_account.created",
        account.id.as_str(),
        json!({
            "project_id": account.project_id.as_str(),
            "data": { "role": account.role.as_str() },
        }),
    )
}

pub(crate) fn updated_event(
    account: &ServiceAccountRecord,
    change: &ServiceAccountChange,
) -> AuditEvent {
    let mut requested = Map::new();
    if let Some(name) = &change.name {
        requested.insert("name".into(), Value::from(name.as_str()));
    }
    if let Some(role) = change.role {
        requested.insert("role".into(), Value::from(role.as_str()));
    }
    AuditEvent::new(
        "service_account.updated",
        account.id.as_str(),
        json!({ "project_id": account.project_id.as_str(), "changes_requested": requested }),
    )
}

pub(crate) fn deleted_event(account: &ServiceAccountRecord) -> AuditEvent {
    AuditEvent::new(
        "service_account.deleted",
        account.id.as_str(),
        json!({ "project_id": account.project_id.as_str() }),
    )
}

pub(crate) fn no_such_account(id: &ServiceAccountId) -> StoreError {
    StoreError::not_found(Kind::ServiceAccount, id.as_str())
}

/// Service accounts per backend, and the keys made for them; paging and the making of new
/// accounts and keys (ids, secrets, times) are provided.
#[async_trait]
pub trait ServiceAccountStore: crate::OrgStore {
    /// Up to `query.limit + 1` service accounts of `project` after `query.after`, oldest first.
    async fn fetch_service_accounts(
        &self,
        org: &OrgId,
        project: &ProjectId,
        query: &FirstQuery,
    ) -> Result<Vec<(Position, ServiceAccountRecord)>, StoreError>;

    /// One service account of a project.
    async fn get_service_account(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ServiceAccountId,
    ) -> Result<ServiceAccountRecord, StoreError>;

    /// Stores a service account made by [`rules::created`] (and its key) in an active project.
    async fn insert_service_account(
        &self,
        org: &OrgId,
        created: &CreatedServiceAccount,
    ) -> Result<(), StoreError>;

    /// Changes a service account of an active project.
    async fn modify_service_account(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ServiceAccountId,
        change: &ServiceAccountChange,
    ) -> Result<ServiceAccountRecord, StoreError>;

    /// Deletes a service account of an active project, and its keys.
    async fn delete_service_account(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ServiceAccountId,
    ) -> Result<(), StoreError>;

    /// Stores a new key for a service account of an active project.
    async fn insert_service_account_key(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ServiceAccountId,
        key: &NewKey,
    ) -> Result<(), StoreError>;

    /// One page of a project's service accounts.
    async fn list_service_accounts(
        &self,
        org: &OrgId,
        project: &ProjectId,
        query: &FirstQuery,
    ) -> Result<NextPage<ServiceAccountRecord>, StoreError> {
        let rows = self.fetch_service_accounts(org, project, query).await?;
        Ok(fetched_page(rows, query.limit))
    }

    /// Creates a service account in an active project: with role `member` and a key whose
    /// secret the answer carries, or role `none` and no key.
    async fn create_service_account(
        &self,
        org: &OrgId,
        project: &ProjectId,
        new: &NewServiceAccount,
    ) -> Result<CreatedServiceAccount, StoreError> {
        let created = rules::created(project, new, self.clock(org).await?.reading(now()));
        self.insert_service_account(org, &created).await?;
        Ok(created)
    }

    /// Creates a key for a service account of an active project; the answer carries its secret.
    async fn create_service_account_key(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ServiceAccountId,
        name: KeyName,
        scopes: KeyScopes,
    ) -> Result<NewKey, StoreError> {
        let key = NewKey::generate(name, scopes, self.clock(org).await?.reading(now()));
        self.insert_service_account_key(org, project, id, &key)
            .await?;
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_made_with_or_without_a_key() {
        let project = ProjectId::from_request("proj_x");
        let name = ServiceAccountName::parse("bot").unwrap();
        let with = rules::created(
            &project,
            &NewServiceAccount {
                name: name.clone(),
                without_key: false,
            },
            7,
        );
        assert_eq!(with.account.role, ServiceAccountRole::Member);
        let key = with.key.as_ref().unwrap();
        assert_eq!((key.name.as_str(), key.created_at), ("Secret key", 7));
        let wire = serde_json::to_value(with.to_wire()).unwrap();
        assert!(
            wire["api_key"]["value"]
                .as_str()
                .unwrap()
                .starts_with("sk-svcacct-")
        );

        let without = rules::created(
            &project,
            &NewServiceAccount {
                name,
                without_key: true,
            },
            7,
        );
        assert_eq!(without.account.role, ServiceAccountRole::None);
        let wire = serde_json::to_value(without.to_wire()).unwrap();
        assert_eq!(wire["api_key"], Value::Null);
        assert_eq!(wire["role"], "none");

        let changed = rules::changed(
            &without.account,
            &ServiceAccountChange {
                name: None,
                role: Some(ProjectRole::Owner),
            },
        );
        assert_eq!(
            (changed.name.as_str(), changed.role),
            ("bot", ServiceAccountRole::Owner)
        );
        assert!(ServiceAccountName::parse("").is_err());
        assert!(ServiceAccountName::parse(&"x".repeat(256)).is_err());
    }
}
