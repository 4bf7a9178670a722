//! Wire types of `/organization/projects` and what lives in a project: its users, service
//! accounts, API keys and the groups granted access.

use serde::{Deserialize, Serialize};

/// The `object` value of a [`Project`].
pub const PROJECT_OBJECT: &str = "organization.project";
/// The `object` value of a [`ProjectUser`].
pub const PROJECT_USER_OBJECT: &str = "organization.project.user";
/// The `object` value of the answer to removing a project user.
pub const PROJECT_USER_DELETED_OBJECT: &str = "organization.project.user.deleted";
/// The `object` value of a [`ServiceAccount`].
pub const SERVICE_ACCOUNT_OBJECT: &str = "organization.project.service_account";
/// The `object` value of the answer to deleting a service account.
pub const SERVICE_ACCOUNT_DELETED_OBJECT: &str = "organization.project.service_account.deleted";
/// The `object` value of a [`ServiceAccountApiKey`].
pub const SERVICE_ACCOUNT_API_KEY_OBJECT: &str = "organization.project.service_account.api_key";
/// The `object` value of a [`ProjectApiKey`].
pub const PROJECT_API_KEY_OBJECT: &str = "organization.project.api_key";
/// The `object` value of the answer to deleting a project API key.
pub const PROJECT_API_KEY_DELETED_OBJECT: &str = "organization.project.api_key.deleted";
/// The `object` value of a [`ProjectGroup`].
pub const PROJECT_GROUP_OBJECT: &str = "project.group";
/// The `object` value of the answer to removing a project group (a [`crate::list::Unassigned`]).
pub const PROJECT_GROUP_DELETED_OBJECT: &str = "project.group.deleted";
/// The name of every organization's first project.
pub const DEFAULT_PROJECT_NAME: &str = "Default project";

/// A project (`Project` in the spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// `proj_…`.
    pub id: String,
    /// Always `organization.project`.
    pub object: String,
    /// The project's name.
    #[serde(default)]
    pub name: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the archiving, `null` while active.
    #[serde(default)]
    pub archived_at: Option<i64>,
    /// `active` or `archived`.
    #[serde(default)]
    pub status: Option<String>,
    /// The id of the project's encryption key, if one was given.
    #[serde(default)]
    pub external_key_id: Option<String>,
    /// Where the project's data lives, when it was chosen at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residency: Option<String>,
}

/// A member of a project (`ProjectUser` in the spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectUser {
    /// Always `organization.project.user`.
    pub object: String,
    /// The user's id.
    pub id: String,
    /// The user's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The user's email.
    #[serde(default)]
    pub email: Option<String>,
    /// `owner` or `member`.
    pub role: String,
    /// Unix seconds of joining the project.
    pub added_at: i64,
}

/// A service account of a project (`ProjectServiceAccount` in the spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceAccount {
    /// Always `organization.project.service_account`.
    pub object: String,
    /// `svc_acct_…`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `owner`, `member` or `none`.
    pub role: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// The answer to creating a service account (`ProjectServiceAccountCreateResponse`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceAccountCreated {
    /// Always `organization.project.service_account`.
    pub object: String,
    /// `svc_acct_…`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `member`, or `none` when it was created without a key.
    pub role: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Its first key with the secret, shown this once; `null` when created without one.
    #[serde(default)]
    pub api_key: Option<ServiceAccountApiKey>,
}

/// A new key of a service account, with its secret (`ProjectServiceAccountApiKey`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceAccountApiKey {
    /// Always `organization.project.service_account.api_key`.
    pub object: String,
    /// The secret: `sk-svcacct-…`. Shown only in this answer.
    pub value: String,
    /// The key's name.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// `key_…`.
    pub id: String,
}

/// A project API key, without its secret (`ProjectApiKey`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectApiKey {
    /// Always `organization.project.api_key`.
    pub object: String,
    /// The secret's prefix up to its last `-`, `...` and its last 4 characters.
    pub redacted_value: String,
    /// The key's name.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last use, `null` if never used.
    pub last_used_at: Option<i64>,
    /// `key_…`.
    pub id: String,
    /// `active` while the owner still has access to the project, else `inactive`.
    pub owner_project_access: String,
    /// Who owns the key.
    pub owner: ProjectApiKeyOwner,
}

/// The owner of a project API key: a user or a service account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectApiKeyOwner {
    /// `user` or `service_account`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The user, when `type` is `user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<ProjectApiKeyOwnerUser>,
    /// The service account, when `type` is `service_account`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<ProjectApiKeyOwnerServiceAccount>,
}

/// A user owning a key (`ProjectApiKeyOwnerUser`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectApiKeyOwnerUser {
    /// The user's id.
    pub id: String,
    /// The user's email.
    pub email: String,
    /// The user's name.
    pub name: String,
    /// Unix seconds the user joined the organization.
    pub created_at: i64,
    /// The user's role in the project, `none` once no longer a member.
    pub role: String,
}

/// A service account owning a key (`ProjectApiKeyOwnerServiceAccount`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectApiKeyOwnerServiceAccount {
    /// `svc_acct_…`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Its role in the project.
    pub role: String,
}

/// A group's access to a project (`ProjectGroup`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectGroup {
    /// Always `project.group`.
    pub object: String,
    /// The project.
    pub project_id: String,
    /// The group.
    pub group_id: String,
    /// The group's name.
    pub group_name: String,
    /// `group` (orgusers makes no `tenant_group`).
    pub group_type: String,
    /// Unix seconds of the grant.
    pub created_at: i64,
}

/// The body of `POST /organization/projects` (`ProjectCreateRequest`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectCreate {
    /// The project's name.
    pub name: String,
    /// The id of the project's encryption key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_key_id: Option<String>,
    /// Where the project's data lives (`GLOBAL`, `US_STORAGE_PROCESSING`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residency: Option<String>,
}

/// The body of `POST /organization/projects/{project_id}` (`ProjectUpdateRequest`); an absent
/// field is left as it is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ProjectUpdate {
    /// A new name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new encryption key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_key_id: Option<String>,
}

/// The body of `POST /organization/projects/{project_id}/users` (`ProjectUserCreateRequest`):
/// the user by id or by email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectUserAdd {
    /// The organization user's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The organization user's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `owner` or `member`.
    pub role: String,
}

/// The body of `POST /organization/projects/{project_id}/users/{user_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectUserUpdate {
    /// `owner` or `member`.
    pub role: String,
}

/// The body of `POST /organization/projects/{project_id}/service_accounts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceAccountCreate {
    /// Its name.
    pub name: String,
    /// Create it without an API key (its role is then `none`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_service_account_only: Option<bool>,
}

/// The body of `POST /organization/projects/{project_id}/service_accounts/{id}`; an absent
/// field is left as it is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ServiceAccountUpdate {
    /// A new name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `owner` or `member`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// The body of `POST /organization/projects/{project_id}/service_accounts/{id}/api_keys`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ServiceAccountKeyCreate {
    /// The key's name (`Secret key` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Scopes asked for; orgusers checks their form and grants every key the same access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

/// The body of `POST /organization/projects/{project_id}/groups` (`InviteProjectGroupBody`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectGroupAdd {
    /// The group.
    pub group_id: String,
    /// A project role id: `role-api-project-owner__api-project__{project_id}` or the member one.
    pub role: String,
}
