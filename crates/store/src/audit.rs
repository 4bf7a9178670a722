//! The audit seam: every change a store makes through the API appends the events it causes in
//! the same transaction as the change itself (`sqlite::Change`, `postgres::Change`), so that a
//! change that was acknowledged has its entry and one that failed has none.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::domain::random_alphanumeric;

/// One event of a change, as the audit log will show it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// The spec's event type: `role.created`, `group.updated`, …
    pub event_type: &'static str,
    /// The id of the object the event is about.
    pub resource_id: String,
    /// The event's payload fields (the spec's, per event type).
    pub payload: Value,
}

impl AuditEvent {
    /// An event about `resource_id` with `payload`.
    pub fn new(event_type: &'static str, resource_id: impl Into<String>, payload: Value) -> Self {
        Self {
            event_type,
            resource_id: resource_id.into(),
            payload,
        }
    }
}

/// A fresh audit log entry id: `audit_log-` + 24 alphanumerics, the first 9 the microseconds of
/// the system clock in base 62 (digits, then upper, then lower case: ASCII order), the rest
/// random. Ids made later sort later, so the index that finds an entry by id (a page's cursor)
/// grows at its end instead of at a random page: one page written per commit, not one per entry.
pub fn generate_entry_id() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    entry_id_at(micros, &random_alphanumeric(15))
}

/// `audit_log-` + `micros` in 9 base-62 digits (its low digits, past the year 2400) + `suffix`.
fn entry_id_at(micros: u128, suffix: &str) -> String {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut prefix = [b'0'; 9];
    let mut rest = micros;
    for digit in prefix.iter_mut().rev() {
        *digit = DIGITS[(rest % 62) as usize];
        rest /= 62;
    }
    let mut id = String::with_capacity(10 + 9 + suffix.len());
    id.push_str("audit_log-");
    id.extend(prefix.iter().map(|&b| char::from(b)));
    id.push_str(suffix);
    id
}

/// The events a store wrote for an organization, oldest first (what the audit log endpoint will
/// read; for now the tests read it).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    /// `audit_log-…`.
    pub id: String,
    /// As in [`AuditEvent`].
    pub event_type: String,
    /// As in [`AuditEvent`].
    pub resource_id: String,
    /// Unix seconds.
    pub effective_at: i64,
    /// As in [`AuditEvent`].
    pub payload: Value,
}

/// The admin key acting in a request, and the user who owns it as the key's authentication
/// read it (the change checks, in its own transaction, that this user is still there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `key_…`.
    pub key_id: String,
    /// The id of the user who owns the key, if one does.
    pub owner_user_id: Option<String>,
}

/// What an entry records of its actor: the key, and its owner as of the change (id, email as
/// the user has it, and that email folded, which `actor_emails` matches).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ActorColumns {
    pub key_id: Option<String>,
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub email_folded: Option<String>,
}

/// The owner of the acting key as a change finds it in its transaction: a live user of the
/// organization, with its email then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActingUser {
    pub id: String,
    pub email: Option<String>,
    pub email_folded: Option<String>,
}

impl ActorColumns {
    /// The columns of `actor` whose owner was found as `user` (`None`: no owner, or one no
    /// longer live, whose entries then name the key alone).
    pub(crate) fn of(actor: Option<&Actor>, user: Option<&ActingUser>) -> Self {
        let Some(actor) = actor else {
            return Self::default();
        };
        Self {
            key_id: Some(actor.key_id.clone()),
            user_id: user.map(|u| u.id.clone()),
            email: user.and_then(|u| u.email.clone()),
            email_folded: user.and_then(|u| u.email_folded.clone()),
        }
    }
}

tokio::task_local! {
    /// The admin key acting in the current request: set by the HTTP layer around each request
    /// (filled once the key is known), read by every change that request makes.
    static ACTOR: Arc<OnceLock<Actor>>;
}

/// Runs `f` with `actor` as where its changes find the acting admin key (the HTTP layer fills
/// it when it authenticates the request). Changes made outside any such scope (import, seed,
/// the command line's own store calls) record no actor.
pub async fn acting_as<F: Future>(actor: Arc<OnceLock<Actor>>, f: F) -> F::Output {
    ACTOR.scope(actor, f).await
}

/// The admin key acting in the current task, if any.
pub(crate) fn current_actor() -> Option<Actor> {
    ACTOR.try_with(|slot| slot.get().cloned()).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_made_later_sort_later() {
        let now = 1_764_000_000_000_000_u128;
        let ids: Vec<String> = [now, now + 1, now + 61, now + 62, now + 3_600_000_000]
            .into_iter()
            .map(|at| entry_id_at(at, "zzzzzzzzzzzzzzz"))
            .collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
        assert!(ids.iter().all(|id| id.len() == "audit_log-".len() + 24));
        let fresh = generate_entry_id();
        assert!(fresh.starts_with("audit_log-") && fresh.len() == 34);
        assert!(fresh[10..].bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
