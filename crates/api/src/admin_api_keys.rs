//! Admin API keys (`/organization/admin_api_keys`): the organization's keys to the admin API,
//! never with their value except in the answer that creates one.

use serde::{Deserialize, Serialize};

use crate::list::FirstList;

/// The `object` of an admin API key.
pub const ADMIN_API_KEY_OBJECT: &str = "organization.admin_api_key";
/// The `object` of the answer to deleting one.
pub const ADMIN_API_KEY_DELETED_OBJECT: &str = "organization.admin_api_key.deleted";

/// An admin API key, without its value (`AdminApiKey`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminApiKey {
    /// Always `organization.admin_api_key`.
    pub object: String,
    /// `key_…`.
    pub id: String,
    /// The key's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The value's prefix up to its last `-`, `...` and its last 4 characters.
    pub redacted_value: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds after which the key opens nothing, `null` for a key that does not expire.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Unix seconds of the last use (kept to the minute), `null` if never used.
    #[serde(default)]
    pub last_used_at: Option<i64>,
    /// Who owns the key.
    pub owner: AdminApiKeyOwner,
}

/// The owner of an admin API key. Every field is optional in the spec; an owner that is no
/// user leaves out what it does not have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminApiKeyOwner {
    /// `user` or `service_account`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `organization.user` or `organization.service_account`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The owner's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The owner's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Unix seconds the owner was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// The owner's role in the organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// The answer that creates a key: the key and, this once, its value
/// (`AdminApiKeyCreateResponse`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminApiKeyCreated {
    /// The key.
    #[serde(flatten)]
    pub key: AdminApiKey,
    /// The key's value, shown only here.
    pub value: String,
}

/// A page of admin API keys (`ApiKeyList`).
pub type AdminApiKeyList = FirstList<AdminApiKey>;

/// The body that creates a key (`POST /organization/admin_api_keys`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminApiKeyCreateRequest {
    /// The key's name.
    pub name: String,
    /// Seconds until the key expires, 1 to 31536000; omitted for a key that does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_seconds: Option<i64>,
}
