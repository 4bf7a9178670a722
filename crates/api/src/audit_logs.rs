//! Audit logs (`GET /organization/audit_logs`): `AuditLog` and its actor, as the spec shows them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::list::FirstList;

/// One entry of the audit log (`AuditLog`). The payload is the object under the key named by
/// `type` (`"project.created": {"id": …, "data": {…}}`), kept in `details`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditLog {
    /// `audit_log-…`.
    pub id: String,
    /// A value of `AuditLogEventType`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Unix seconds.
    pub effective_at: i64,
    /// The project the action was scoped to, absent for others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<AuditLogProject>,
    /// Who acted; absent for changes made outside a request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<AuditLogActor>,
    /// The payload under the key named by `type`, and any other fields of the entry.
    #[serde(flatten)]
    pub details: Map<String, Value>,
}

impl AuditLog {
    /// The payload of the entry's type, if present.
    pub fn payload(&self) -> Option<&Value> {
        self.details.get(&self.event_type)
    }
}

/// `AuditLog.project`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogProject {
    /// `proj_…`.
    pub id: String,
    /// The project's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `AuditLogActor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogActor {
    /// `api_key` or `session`.
    #[serde(rename = "type")]
    pub actor_type: String,
    /// The key that acted, for `api_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<AuditLogActorApiKey>,
}

/// `AuditLogActorApiKey`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogActorApiKey {
    /// The key's tracking id, `key_…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `user` or `service_account`.
    #[serde(rename = "type")]
    pub key_type: String,
    /// The user owning the key, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<AuditLogActorUser>,
}

/// `AuditLogActorUser`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogActorUser {
    /// `user-…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The user's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A page of `GET /organization/audit_logs` (`ListAuditLogsResponse`), newest first.
pub type AuditLogList = FirstList<AuditLog>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_payload_sits_under_the_type() {
        let entry: AuditLog = serde_json::from_value(json!({
            "id": "audit_log-a",
            "type": "project.archived",
            "effective_at": 5,
            "project": {"id": "proj_a", "name": "A"},
            "actor": {"type": "api_key", "api_key": {"id": "key_a", "type": "user"}},
            "project.archived": {"id": "proj_a"}
        }))
        .unwrap();
        assert_eq!(entry.payload(), Some(&json!({"id": "proj_a"})));
        let back = serde_json::to_value(&entry).unwrap();
        assert_eq!(back["project.archived"], json!({"id": "proj_a"}));
        assert_eq!(back["actor"]["api_key"]["id"], "key_a");
    }
}
