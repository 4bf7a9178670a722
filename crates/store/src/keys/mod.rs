//! Admin keys: what opens an organization. Stored only as SHA-256 hashes.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use async_trait::async_trait;

use crate::{AdminKey, KeyHash, OrgId, StoreError};

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

/// Admin keys per backend.
#[async_trait]
pub trait KeyStore: Send + Sync + 'static {
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
}
