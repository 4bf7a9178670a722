//! The one error type of the HTTP boundary and its one mapping to the OpenAI error envelope.

use axum::Json;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use orgusers_api::{ErrorBody, ErrorResponse};
use orgusers_store::body::BodyError;
use orgusers_store::{Kind, StoreError};

use crate::control::faults::InjectedFault;

/// Every way a request can fail, as the client is told.
#[derive(Debug)]
pub enum ApiError {
    /// No `Authorization: Bearer` with a token.
    MissingKey,
    /// A key that is unknown or revoked, as shown masked.
    InvalidKey { masked: String },
    /// `limit` below the list's minimum; carries the value as sent.
    LimitBelowMin { min: i64, got: String },
    /// `limit` above the list's maximum; carries the value as sent.
    LimitAboveMax { max: i64, got: String },
    /// `limit` not an integer; carries the value as sent.
    LimitNotInteger(String),
    /// `after` of a first/last list names nothing that list ever held.
    UnknownCursor { kind: Kind, id: String },
    /// More distinct `emails` than allowed; carries the count.
    TooManyEmails(usize),
    /// A path names an object the caller's organization does not have.
    NotFound { kind: Kind, id: String },
    /// `after` of a cursor-style list that this server did not issue for that list.
    ForeignCursor,
    /// `order` is not `asc` or `desc`; carries the value as sent.
    InvalidOrder(String),
    /// A boolean query parameter that is not `true`, `false`, `1` or `0` in any case.
    NotABoolean { param: &'static str, got: String },
    /// A query parameter outside its enumeration.
    InvalidQueryValue {
        param: &'static str,
        allowed: &'static [&'static str],
        got: String,
    },
    /// An integer query parameter (`effective_at[gt]`, …) that is not one; carries the value.
    QueryNotInteger { param: &'static str, got: String },
    /// A value of `event_types` that is no `AuditLogEventType`; carries the value.
    UnknownEventType(String),
    /// A body that is not a JSON object, or a field of it that is missing, of the wrong type,
    /// invalid or unknown (the shared reader's refusals; its sentences are CONTRACT.md's).
    Body(BodyError),
    /// A body field names an object the organization does not have.
    UnknownReference {
        param: &'static str,
        kind: Kind,
        id: String,
    },
    /// The request conflicts with the state (CONTRACT.md: 400, code null).
    Conflict {
        param: Option<&'static str>,
        message: String,
    },
    /// `role` is not `owner` or `reader`; carries the value as the message shows it.
    InvalidRole(String),
    /// `role` and `role_id` name different roles.
    RoleMismatch { role: String, role_id_role: String },
    /// The change would leave the organization without an owner; `param` is `role` on modify.
    LastOwner { param: Option<&'static str> },
    /// The body is over the limit.
    BodyTooLarge,
    /// The body did not arrive within the body timeout.
    RequestTimeout,
    /// The request line, or its path, is over its limit (see [`crate::head`]).
    RequestLineTooLong,
    /// Too many header fields, or too many bytes of them (see [`crate::head`]).
    HeadersTooLarge,
    /// More than one `Authorization` header: which one counts would depend on who reads it.
    AmbiguousCredentials,
    /// No route for this method and path.
    InvalidUrl { method: Method, path: String },
    /// A fault injected through `/_orgusers/faults` fired on this request: its status, in the
    /// envelope and with the headers the real API gives that status.
    InjectedFault(InjectedFault),
    /// `DELETE /_orgusers/faults/{fault_id}` names no fault of the organization.
    NoSuchFault(String),
    /// Anything unexpected. The detail is logged with the request id, never sent.
    Internal(anyhow::Error),
}

/// The detail of an internal error, handed to the request middleware to log with the request id.
#[derive(Debug, Clone)]
pub struct InternalErrorDetail(pub String);

/// Marks an answer after which the connection is closed: what the client sends next cannot be
/// trusted to start a request (a head or a body that never arrived whole).
#[derive(Debug, Clone, Copy)]
pub struct CloseConnection;

const INVALID_REQUEST: &str = "invalid_request_error";

impl ApiError {
    /// The status, type, param, code and message this error is answered with.
    fn parts(
        &self,
    ) -> (
        StatusCode,
        &'static str,
        Option<String>,
        Option<&'static str>,
        String,
    ) {
        use ApiError as E;
        let bad = StatusCode::BAD_REQUEST;
        let param = |p: &str| Some(p.to_owned());
        match self {
            E::MissingKey => (
                StatusCode::UNAUTHORIZED,
                INVALID_REQUEST,
                None,
                None,
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).".into(),
            ),
            E::InvalidKey { masked } => (
                StatusCode::UNAUTHORIZED,
                INVALID_REQUEST,
                None,
                Some("invalid_api_key"),
                format!("Incorrect API key provided: {masked}."),
            ),
            E::LimitBelowMin { min, got } => (
                bad,
                INVALID_REQUEST,
                param("limit"),
                Some("integer_below_min_value"),
                format!("Invalid 'limit': integer below minimum value. Expected a value >= {min}, but got {got} instead."),
            ),
            E::LimitAboveMax { max, got } => (
                bad,
                INVALID_REQUEST,
                param("limit"),
                Some("integer_above_max_value"),
                format!("Invalid 'limit': integer above maximum value. Expected a value <= {max}, but got {got} instead."),
            ),
            E::LimitNotInteger(got) => (
                bad,
                INVALID_REQUEST,
                param("limit"),
                Some("invalid_type"),
                format!("Invalid 'limit': expected an integer, but got '{got}' instead."),
            ),
            E::UnknownCursor { kind, id } => (
                bad,
                INVALID_REQUEST,
                param("after"),
                Some("invalid_value"),
                format!("Invalid 'after': no {} with id '{id}'.", kind.noun()),
            ),
            E::TooManyEmails(count) => (
                bad,
                INVALID_REQUEST,
                param("emails"),
                Some("array_above_max_length"),
                format!("Invalid 'emails': array too long. Expected an array with maximum length 1000, but got {count} instead."),
            ),
            E::NotFound { kind, id } => (
                StatusCode::NOT_FOUND,
                INVALID_REQUEST,
                param(kind.path_param()),
                None,
                format!("No such {}: {id}", kind.noun()),
            ),
            E::ForeignCursor => (
                bad,
                INVALID_REQUEST,
                param("after"),
                Some("invalid_value"),
                "Invalid 'after': not a cursor of this list. Pass the 'next' of the previous page.".into(),
            ),
            E::InvalidOrder(got) => (
                bad,
                INVALID_REQUEST,
                param("order"),
                Some("invalid_value"),
                format!("Invalid 'order': expected one of 'asc' or 'desc', but got '{got}' instead."),
            ),
            E::NotABoolean { param: p, got } => (
                bad,
                INVALID_REQUEST,
                param(p),
                Some("invalid_type"),
                format!("Invalid type for '{p}': expected a boolean, but got '{got}' instead."),
            ),
            E::InvalidQueryValue {
                param: p,
                allowed,
                got,
            } => (
                bad,
                INVALID_REQUEST,
                param(p),
                Some("invalid_value"),
                format!(
                    "Invalid '{p}': expected one of {}, but got '{got}' instead.",
                    orgusers_store::body::one_of(allowed)
                ),
            ),
            E::QueryNotInteger { param: p, got } => (
                bad,
                INVALID_REQUEST,
                param(p),
                Some("invalid_type"),
                format!("Invalid type for '{p}': expected an integer, but got '{got}' instead."),
            ),
            E::UnknownEventType(got) => (
                bad,
                INVALID_REQUEST,
                param("event_types"),
                Some("invalid_value"),
                format!(
                    "Invalid 'event_types': '{got}' is not an audit log event type; expected values of AuditLogEventType such as 'project.created' or 'user.added'."
                ),
            ),
            E::UnknownReference { param: p, kind, id } => (
                bad,
                INVALID_REQUEST,
                param(p),
                Some("invalid_value"),
                format!("Invalid '{p}': no {} with id '{id}' in this organization.", kind.noun()),
            ),
            E::Body(e) => (
                bad,
                INVALID_REQUEST,
                e.field().map(str::to_owned),
                e.code(),
                e.message(),
            ),
            E::Conflict { param: p, message } => (
                bad,
                INVALID_REQUEST,
                p.map(str::to_owned),
                None,
                message.clone(),
            ),
            E::InvalidRole(got) => (
                bad,
                INVALID_REQUEST,
                param("role"),
                Some("invalid_value"),
                format!("Invalid 'role': expected one of 'owner' or 'reader', but got {got} instead."),
            ),
            E::RoleMismatch { role, role_id_role } => (
                bad,
                INVALID_REQUEST,
                param("role_id"),
                Some("invalid_value"),
                format!("Invalid 'role_id': it names the '{role_id_role}' role, but 'role' is '{role}'."),
            ),
            E::LastOwner { param: p } => (
                bad,
                INVALID_REQUEST,
                p.map(str::to_owned),
                None,
                "An organization must keep at least one owner.".into(),
            ),
            E::BodyTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                INVALID_REQUEST,
                None,
                None,
                "Request body too large.".into(),
            ),
            E::RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                INVALID_REQUEST,
                None,
                None,
                "Request timeout.".into(),
            ),
            E::RequestLineTooLong => (
                StatusCode::URI_TOO_LONG,
                INVALID_REQUEST,
                None,
                None,
                "Request line too long.".into(),
            ),
            E::HeadersTooLarge => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                INVALID_REQUEST,
                None,
                None,
                "Request header fields too large.".into(),
            ),
            E::AmbiguousCredentials => (
                bad,
                INVALID_REQUEST,
                None,
                None,
                "Your request carried more than one Authorization header. Send your API key in exactly one (i.e. Authorization: Bearer YOUR_KEY).".into(),
            ),
            E::InvalidUrl { method, path } => (
                StatusCode::NOT_FOUND,
                INVALID_REQUEST,
                None,
                None,
                format!("Invalid URL ({method} {path})"),
            ),
            E::InjectedFault(fault) => {
                let envelope = fault.envelope();
                (
                    fault.status,
                    envelope.kind,
                    None,
                    envelope.code,
                    envelope.message,
                )
            }
            E::NoSuchFault(id) => (
                StatusCode::NOT_FOUND,
                INVALID_REQUEST,
                param("fault_id"),
                None,
                format!("No such fault: {id}"),
            ),
            E::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                None,
                None,
                "The server had an error while processing your request.".into(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, param, code, message) = self.parts();
        let body = ErrorResponse {
            error: ErrorBody {
                message,
                kind: kind.to_owned(),
                param,
                code: code.map(str::to_owned),
            },
        };
        let mut response = (status, Json(body)).into_response();
        match self {
            Self::Internal(detail) => {
                response
                    .extensions_mut()
                    .insert(InternalErrorDetail(format!("{detail:#}")));
            }
            Self::RequestTimeout | Self::RequestLineTooLong | Self::HeadersTooLarge => {
                response.extensions_mut().insert(CloseConnection);
            }
            // An injected 408 or 413 leaves the connection open: the middleware reads off the
            // body, which did arrive.
            Self::InjectedFault(fault) => response.headers_mut().extend(fault.headers()),
            _ => {}
        }
        response
    }
}

impl From<BodyError> for ApiError {
    fn from(e: BodyError) -> Self {
        Self::Body(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { kind, id } => Self::NotFound { kind, id },
            StoreError::Conflict { param, message } => Self::Conflict { param, message },
            StoreError::UnknownReference { param, kind, id } => {
                Self::UnknownReference { param, kind, id }
            }
            StoreError::UnknownCursor { kind, id } => Self::UnknownCursor { kind, id },
            // Handlers that can meet it map it with the right param; reaching here is a bug.
            StoreError::LastOwner => Self::LastOwner { param: None },
            other => Self::Internal(other.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;
    use serde_json::{Value, json};

    async fn render(e: ApiError) -> (StatusCode, Value) {
        let response = e.into_response();
        let status = response.status();
        let bytes = to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    fn envelope(message: &str, kind: &str, param: Option<&str>, code: Option<&str>) -> Value {
        json!({"error": {"message": message, "type": kind, "param": param, "code": code}})
    }

    /// Every row of the contract's error table, pinned.
    #[tokio::test]
    async fn every_mapping_matches_the_contract() {
        let ir = INVALID_REQUEST;
        let cases: Vec<(ApiError, u16, Value)> = vec![
            (
                ApiError::MissingKey,
                401,
                envelope(
                    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                    ir,
                    None,
                    None,
                ),
            ),
            (
                ApiError::InvalidKey {
                    masked: "sk-adm***WXYZ".into(),
                },
                401,
                envelope(
                    "Incorrect API key provided: sk-adm***WXYZ.",
                    ir,
                    None,
                    Some("invalid_api_key"),
                ),
            ),
            (
                ApiError::LimitBelowMin {
                    min: 1,
                    got: "0".into(),
                },
                400,
                envelope(
                    "Invalid 'limit': integer below minimum value. Expected a value >= 1, but got 0 instead.",
                    ir,
                    Some("limit"),
                    Some("integer_below_min_value"),
                ),
            ),
            (
                ApiError::LimitAboveMax {
                    max: 100,
                    got: "101".into(),
                },
                400,
                envelope(
                    "Invalid 'limit': integer above maximum value. Expected a value <= 100, but got 101 instead.",
                    ir,
                    Some("limit"),
                    Some("integer_above_max_value"),
                ),
            ),
            (
                ApiError::LimitNotInteger("abc".into()),
                400,
                envelope(
                    "Invalid 'limit': expected an integer, but got 'abc' instead.",
                    ir,
                    Some("limit"),
                    Some("invalid_type"),
                ),
            ),
            (
                ApiError::UnknownCursor {
                    kind: Kind::User,
                    id: "user-x".into(),
                },
                400,
                envelope(
                    "Invalid 'after': no user with id 'user-x'.",
                    ir,
                    Some("after"),
                    Some("invalid_value"),
                ),
            ),
            (
                ApiError::TooManyEmails(1001),
                400,
                envelope(
                    "Invalid 'emails': array too long. Expected an array with maximum length 1000, but got 1001 instead.",
                    ir,
                    Some("emails"),
                    Some("array_above_max_length"),
                ),
            ),
            (
                ApiError::NotFound {
                    kind: Kind::User,
                    id: "user-x".into(),
                },
                404,
                envelope("No such user: user-x", ir, Some("user_id"), None),
            ),
            (
                ApiError::Body(BodyError::NotAnObject),
                400,
                envelope(
                    "We could not parse the JSON body of your request. The API expects a JSON payload.",
                    ir,
                    None,
                    None,
                ),
            ),
            (
                ApiError::Body(BodyError::Unrecognized("name".into())),
                400,
                envelope(
                    "Unrecognized request argument supplied: name",
                    ir,
                    Some("name"),
                    None,
                ),
            ),
            (
                ApiError::InvalidRole("'admin'".into()),
                400,
                envelope(
                    "Invalid 'role': expected one of 'owner' or 'reader', but got 'admin' instead.",
                    ir,
                    Some("role"),
                    Some("invalid_value"),
                ),
            ),
            (
                ApiError::UnknownReference {
                    param: "role_id",
                    kind: Kind::Role,
                    id: "r".into(),
                },
                400,
                envelope(
                    "Invalid 'role_id': no role with id 'r' in this organization.",
                    ir,
                    Some("role_id"),
                    Some("invalid_value"),
                ),
            ),
            (
                ApiError::RoleMismatch {
                    role: "reader".into(),
                    role_id_role: "owner".into(),
                },
                400,
                envelope(
                    "Invalid 'role_id': it names the 'owner' role, but 'role' is 'reader'.",
                    ir,
                    Some("role_id"),
                    Some("invalid_value"),
                ),
            ),
            (
                ApiError::Body(BodyError::WrongType {
                    field: "technical_level".into(),
                    expected: "a string or null",
                    got: "an integer",
                }),
                400,
                envelope(
                    "Invalid type for 'technical_level': expected a string or null, but got an integer instead.",
                    ir,
                    Some("technical_level"),
                    Some("invalid_type"),
                ),
            ),
            (
                ApiError::NotFound {
                    kind: Kind::Group,
                    id: "group_x".into(),
                },
                404,
                envelope("No such group: group_x", ir, Some("group_id"), None),
            ),
            (
                ApiError::NotFound {
                    kind: Kind::Role,
                    id: "role_x".into(),
                },
                404,
                envelope("No such role: role_x", ir, Some("role_id"), None),
            ),
            (
                ApiError::ForeignCursor,
                400,
                envelope(
                    "Invalid 'after': not a cursor of this list. Pass the 'next' of the previous page.",
                    ir,
                    Some("after"),
                    Some("invalid_value"),
                ),
            ),
            (
                ApiError::QueryNotInteger {
                    param: "effective_at[gt]",
                    got: "soon".into(),
                },
                400,
                envelope(
                    "Invalid type for 'effective_at[gt]': expected an integer, but got 'soon' instead.",
                    ir,
                    Some("effective_at[gt]"),
                    Some("invalid_type"),
                ),
            ),
            (
                ApiError::UnknownEventType("project.exploded".into()),
                400,
                envelope(
                    "Invalid 'event_types': 'project.exploded' is not an audit log event type; expected values of AuditLogEventType such as 'project.created' or 'user.added'.",
                    ir,
                    Some("event_types"),
                    Some("invalid_value"),
                ),
            ),
            (
                ApiError::InvalidOrder("up".into()),
                400,
                envelope(
                    "Invalid 'order': expected one of 'asc' or 'desc', but got 'up' instead.",
                    ir,
                    Some("order"),
                    Some("invalid_value"),
                ),
            ),
            (
                ApiError::NotABoolean {
                    param: "include_archived",
                    got: "yes".into(),
                },
                400,
                envelope(
                    "Invalid type for 'include_archived': expected a boolean, but got 'yes' instead.",
                    ir,
                    Some("include_archived"),
                    Some("invalid_type"),
                ),
            ),
            (
                ApiError::InvalidQueryValue {
                    param: "owner_project_access",
                    allowed: &["active", "inactive"],
                    got: "all".into(),
                },
                400,
                envelope(
                    "Invalid 'owner_project_access': expected one of 'active' or 'inactive', but got 'all' instead.",
                    ir,
                    Some("owner_project_access"),
                    Some("invalid_value"),
                ),
            ),
            (
                ApiError::LimitBelowMin {
                    min: 0,
                    got: "-1".into(),
                },
                400,
                envelope(
                    "Invalid 'limit': integer below minimum value. Expected a value >= 0, but got -1 instead.",
                    ir,
                    Some("limit"),
                    Some("integer_below_min_value"),
                ),
            ),
            (
                ApiError::Body(BodyError::Missing("role_name".into())),
                400,
                envelope(
                    "Missing required parameter: 'role_name'.",
                    ir,
                    Some("role_name"),
                    Some("missing_required_parameter"),
                ),
            ),
            (
                ApiError::Body(BodyError::Invalid {
                    field: "name".into(),
                    message: "a group name must have 1 to 255 characters".into(),
                }),
                400,
                envelope(
                    "Invalid 'name': a group name must have 1 to 255 characters.",
                    ir,
                    Some("name"),
                    Some("invalid_value"),
                ),
            ),
            (
                ApiError::UnknownReference {
                    param: "user_id",
                    kind: Kind::User,
                    id: "u".into(),
                },
                400,
                envelope(
                    "Invalid 'user_id': no user with id 'u' in this organization.",
                    ir,
                    Some("user_id"),
                    Some("invalid_value"),
                ),
            ),
            (
                ApiError::Conflict {
                    param: Some("role_name"),
                    message: "A role named 'x' already exists in this organization.".into(),
                },
                400,
                envelope(
                    "A role named 'x' already exists in this organization.",
                    ir,
                    Some("role_name"),
                    None,
                ),
            ),
            (
                ApiError::LastOwner {
                    param: Some("role"),
                },
                400,
                envelope(
                    "An organization must keep at least one owner.",
                    ir,
                    Some("role"),
                    None,
                ),
            ),
            (
                ApiError::LastOwner { param: None },
                400,
                envelope(
                    "An organization must keep at least one owner.",
                    ir,
                    None,
                    None,
                ),
            ),
            (
                ApiError::BodyTooLarge,
                413,
                envelope("Request body too large.", ir, None, None),
            ),
            (
                ApiError::RequestTimeout,
                408,
                envelope("Request timeout.", ir, None, None),
            ),
            (
                ApiError::RequestLineTooLong,
                414,
                envelope("Request line too long.", ir, None, None),
            ),
            (
                ApiError::HeadersTooLarge,
                431,
                envelope("Request header fields too large.", ir, None, None),
            ),
            (
                ApiError::AmbiguousCredentials,
                400,
                envelope(
                    "Your request carried more than one Authorization header. Send your API key in exactly one (i.e. Authorization: Bearer YOUR_KEY).",
                    ir,
                    None,
                    None,
                ),
            ),
            (
                ApiError::InvalidUrl {
                    method: Method::PUT,
                    path: "/v1/x".into(),
                },
                404,
                envelope("Invalid URL (PUT /v1/x)", ir, None, None),
            ),
            (
                ApiError::InjectedFault(InjectedFault {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    organization: orgusers_store::OrgId::parse("org-x").unwrap(),
                    masked_key: "sk-adm***WXYZ".into(),
                }),
                429,
                json!({"error": {
                    "message": "Rate limit reached for requests in organization org-x on requests per min (RPM): Limit 60, Used 60, Requested 1. Please try again in 0s.",
                    "type": "requests",
                    "param": null,
                    "code": "rate_limit_exceeded",
                }}),
            ),
            (
                ApiError::InjectedFault(InjectedFault {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    organization: orgusers_store::OrgId::parse("org-x").unwrap(),
                    masked_key: "sk-adm***WXYZ".into(),
                }),
                500,
                envelope(
                    "The server had an error while processing your request. Sorry about that!",
                    "server_error",
                    None,
                    None,
                ),
            ),
            (
                ApiError::InjectedFault(InjectedFault {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    organization: orgusers_store::OrgId::parse("org-x").unwrap(),
                    masked_key: "sk-adm***WXYZ".into(),
                }),
                503,
                envelope(
                    "Our servers are currently overloaded. Please try again later.",
                    "service_unavailable_error",
                    None,
                    Some("server_is_overloaded"),
                ),
            ),
            (
                ApiError::NoSuchFault("fault_x".into()),
                404,
                envelope("No such fault: fault_x", ir, Some("fault_id"), None),
            ),
            (
                ApiError::Internal(anyhow::anyhow!("secret detail")),
                500,
                envelope(
                    "The server had an error while processing your request.",
                    "server_error",
                    None,
                    None,
                ),
            ),
        ];
        for (error, status, body) in cases {
            let label = format!("{error:?}");
            let (got_status, got_body) = render(error).await;
            assert_eq!(got_status.as_u16(), status, "{label}");
            assert_eq!(got_body, body, "{label}");
        }
    }

    #[test]
    fn answers_that_end_the_connection_are_marked() {
        for e in [
            ApiError::RequestTimeout,
            ApiError::RequestLineTooLong,
            ApiError::HeadersTooLarge,
        ] {
            let label = format!("{e:?}");
            let response = e.into_response();
            assert!(
                response.extensions().get::<CloseConnection>().is_some(),
                "{label}"
            );
        }
        let response = ApiError::BodyTooLarge.into_response();
        assert!(response.extensions().get::<CloseConnection>().is_none());
    }

    #[test]
    fn injected_rate_limits_say_when_to_retry() {
        let fault = |status| {
            ApiError::InjectedFault(InjectedFault {
                status,
                organization: orgusers_store::OrgId::parse("org-x").unwrap(),
                masked_key: "sk-adm***WXYZ".into(),
            })
            .into_response()
        };
        let limited = fault(StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.headers()["retry-after"], "0");
        assert_eq!(limited.headers()["x-ratelimit-remaining-requests"], "0");
        assert!(limited.extensions().get::<CloseConnection>().is_none());
        let failed = fault(StatusCode::INTERNAL_SERVER_ERROR);
        assert!(failed.headers().get("retry-after").is_none());
        assert!(failed.extensions().get::<InternalErrorDetail>().is_none());
    }

    #[test]
    fn internal_detail_stays_out_of_the_body_but_reaches_the_log() {
        let response = ApiError::Internal(anyhow::anyhow!("disk on fire")).into_response();
        let detail = response.extensions().get::<InternalErrorDetail>().cloned();
        assert_eq!(detail.map(|d| d.0), Some("disk on fire".to_owned()));
    }

    #[test]
    fn store_errors_map_to_api_errors() {
        assert!(matches!(
            ApiError::from(StoreError::not_found(Kind::User, "u")),
            ApiError::NotFound { kind: Kind::User, id } if id == "u"
        ));
        assert!(matches!(
            ApiError::from(StoreError::unknown_cursor(Kind::Project, "u")),
            ApiError::UnknownCursor {
                kind: Kind::Project,
                ..
            }
        ));
        assert!(matches!(
            ApiError::from(StoreError::conflict(Some("role_name"), "taken")),
            ApiError::Conflict { param: Some("role_name"), message } if message == "taken"
        ));
        assert!(matches!(
            ApiError::from(StoreError::UnknownReference {
                param: "role_id",
                kind: Kind::Role,
                id: "r".into()
            }),
            ApiError::UnknownReference {
                param: "role_id",
                kind: Kind::Role,
                ..
            }
        ));
        assert!(matches!(
            ApiError::from(StoreError::Backend(anyhow::anyhow!("x"))),
            ApiError::Internal(_)
        ));
    }
}
