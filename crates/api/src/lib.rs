//! Wire types of the OpenAI Admin API's organization directory: users here, the other resources
//! in a module each (`roles`, `groups`, `projects`, `invites`), list envelopes in `list`.
//!
//! These structs mirror the official OpenAPI schemas field for field: the server serializes them,
//! the client deserializes them, and neither keeps a second copy of the models. Fields the spec
//! does not require carry `#[serde(default)]` so that answers from other servers of this API (the
//! real one included) still deserialize.

pub mod admin_api_keys;
pub mod audit_logs;
pub mod control;
pub mod groups;
pub mod invites;
pub mod list;
pub mod projects;
pub mod render;
pub mod roles;
pub mod users;

use serde::{Deserialize, Serialize};

pub use users::*;

/// The `object` value of a list (`UserList`, `list::NextList`).
pub const LIST_OBJECT: &str = "list";

/// The OpenAI error envelope: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The error itself.
    pub error: ErrorBody,
}

/// The inside of the OpenAI error envelope. All four keys are always present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A sentence for people.
    pub message: String,
    /// `invalid_request_error` or `server_error`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The parameter at fault, if one is.
    pub param: Option<String>,
    /// A machine-readable code, if there is one.
    pub code: Option<String>,
}

/// The body of `GET /health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// `ok` when the store is reachable.
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_type_is_renamed() {
        let e = ErrorResponse {
            error: ErrorBody {
                message: "m".into(),
                kind: "server_error".into(),
                param: None,
                code: None,
            },
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"error":{"message":"m","type":"server_error","param":null,"code":null}}"#
        );
    }
}
