//! A short-lived cache of verified admin keys, so that most requests skip the store lookup.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use orgusers_store::keys::KeyIdentity;
use orgusers_store::{KeyHash, Store, StoreError};

/// How often a key's `last_used_at` is written, at most, per key and server: reads stay reads.
const LAST_USED_INTERVAL: Duration = Duration::from_secs(60);

/// How long a verified key is trusted before the store is asked again. Revocation takes effect
/// on running servers within this time.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(1);
/// Past this many entries the cache starts afresh, so it cannot grow without bound.
const MAX_ENTRIES: usize = 10_000;

/// Verified keys and when they were verified. Only keys that opened an organization are kept:
/// an unknown key always reaches the store.
#[derive(Default)]
pub struct KeyCache {
    verified: Mutex<HashMap<KeyHash, (KeyIdentity, Instant)>>,
    /// When this server last wrote each key's `last_used_at`, by key id.
    last_noted: Mutex<HashMap<String, Instant>>,
}

impl KeyCache {
    /// The organization `key` opens (and the key's id), from the cache when verified within
    /// [`KEY_CACHE_TTL`].
    pub async fn authenticate(
        &self,
        store: &dyn Store,
        key: &KeyHash,
    ) -> Result<Option<KeyIdentity>, StoreError> {
        if let Some(identity) = self.fresh(key) {
            self.note_use(store, &identity).await;
            return Ok(Some(identity));
        }
        let found = store.authenticate(key).await?;
        if let Some(identity) = &found {
            {
                let mut verified = self.lock();
                if verified.len() >= MAX_ENTRIES {
                    verified.clear();
                }
                verified.insert(*key, (identity.clone(), Instant::now()));
            }
            self.note_use(store, identity).await;
        }
        Ok(found)
    }

    /// Forgets the key `key_id` at once: a key deleted through this server opens nothing from
    /// its next request on, here; other servers notice within [`KEY_CACHE_TTL`].
    pub fn forget(&self, key_id: &str) {
        self.lock()
            .retain(|_, (identity, _)| identity.key_id != key_id);
    }

    /// Writes the key's `last_used_at` when this server has not in the last
    /// [`LAST_USED_INTERVAL`]. A failure is logged, not answered: the request itself is fine.
    async fn note_use(&self, store: &dyn Store, identity: &KeyIdentity) {
        let due = {
            let mut noted = self.last_noted.lock().unwrap_or_else(|p| p.into_inner());
            let due = noted
                .get(&identity.key_id)
                .is_none_or(|at| at.elapsed() >= LAST_USED_INTERVAL);
            if due {
                if noted.len() >= MAX_ENTRIES {
                    noted.clear();
                }
                noted.insert(identity.key_id.clone(), Instant::now());
            }
            due
        };
        if due && let Err(e) = store.touch_admin_key(&identity.key_id).await {
            tracing::warn!(key_id = %identity.key_id, error = %e, "could not note the key's use");
        }
    }

    fn fresh(&self, key: &KeyHash) -> Option<KeyIdentity> {
        let verified = self.lock();
        let (identity, at) = verified.get(key)?;
        (at.elapsed() < KEY_CACHE_TTL).then(|| identity.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<KeyHash, (KeyIdentity, Instant)>> {
        self.verified.lock().unwrap_or_else(|p| p.into_inner())
    }
}
