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

/// A fresh audit log entry id: `audit_log-` + 24 alphanumerics.
pub fn generate_entry_id() -> String {
    format!("audit_log-{}", random_alphanumeric(24))
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

tokio::task_local! {
    /// The admin key acting in the current request: set by the HTTP layer around each request
    /// (filled once the key is known), read by every change that request makes.
    static ACTOR: Arc<OnceLock<String>>;
}

/// Runs `f` with `actor` as where its changes find the acting admin key's id (the HTTP layer
/// fills it when it authenticates the request). Changes made outside any such scope (import,
/// seed, the command line's own store calls) record no actor.
pub async fn acting_as<F: Future>(actor: Arc<OnceLock<String>>, f: F) -> F::Output {
    ACTOR.scope(actor, f).await
}

/// The id of the admin key acting in the current task, if any.
pub(crate) fn current_actor() -> Option<String> {
    ACTOR.try_with(|slot| slot.get().cloned()).ok().flatten()
}
