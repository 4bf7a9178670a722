//! A short-lived cache of verified admin keys, so that most requests skip the store lookup.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use orgusers_store::{KeyHash, OrgId, Store, StoreError};

/// How long a verified key is trusted before the store is asked again. Revocation takes effect
/// on running servers within this time.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(1);
/// Past this many entries the cache starts afresh, so it cannot grow without bound.
const MAX_ENTRIES: usize = 10_000;

/// Verified keys and when they were verified. Only keys that opened an organization are kept:
/// an unknown key always reaches the store.
#[derive(Default)]
pub struct KeyCache {
    verified: Mutex<HashMap<KeyHash, (OrgId, Instant)>>,
}

impl KeyCache {
    /// The organization `key` opens, from the cache when verified within [`KEY_CACHE_TTL`].
    pub async fn authenticate(
        &self,
        store: &dyn Store,
        key: &KeyHash,
    ) -> Result<Option<OrgId>, StoreError> {
        if let Some(org) = self.fresh(key) {
            return Ok(Some(org));
        }
        let found = store.authenticate(key).await?;
        if let Some(org) = &found {
            let mut verified = self.lock();
            if verified.len() >= MAX_ENTRIES {
                verified.clear();
            }
            verified.insert(*key, (org.clone(), Instant::now()));
        }
        Ok(found)
    }

    fn fresh(&self, key: &KeyHash) -> Option<OrgId> {
        let verified = self.lock();
        let (org, at) = verified.get(key)?;
        (at.elapsed() < KEY_CACHE_TTL).then(|| org.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<KeyHash, (OrgId, Instant)>> {
        self.verified.lock().unwrap_or_else(|p| p.into_inner())
    }
}
