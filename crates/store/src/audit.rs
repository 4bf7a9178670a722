//! The audit seam: every change a store makes through the API appends the events it causes in
//! the same transaction as the change itself (`sqlite::Change`, `postgres::Change`), so that a
//! change that was acknowledged has its entry and one that failed has none.

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
