//! Injected faults: `POST /_orgusers/faults` and its list and removals.
//!
//! A fault makes later `/v1/…` requests of one organization that match its method and path wait
//! `latency_ms` and, when it has a `status`, fail with that status in the error envelope the
//! real API gives it ([`InjectedFault::envelope`]), so that clients can rehearse their retries
//! and error handling. Faults live in this process's memory, per organization: they are a test
//! fixture, not state of the directory, and another instance behind the same database has its
//! own. They never apply to `/_orgusers/…` (so a fault can always be removed) nor to `/health`.
//!
//! [`Faults::fire`] runs for every authenticated request; when no organization has a fault it is
//! one atomic load.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::routing::{delete, get};
use axum::{Json, Router};
use orgusers_api::control::{ControlList, Fault as FaultObject, FaultDeleted, FaultsDeleted};
use orgusers_store::OrgId;
use orgusers_store::body::{BodyError, BodyObject, invalid, one_of};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::Value;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Authenticated, LimitedBody};

/// The `object` of a fault.
pub const FAULT_OBJECT: &str = "orgusers.fault";
/// The `object` of the answer to removing every fault.
pub const FAULTS_DELETED_OBJECT: &str = "orgusers.faults.deleted";
/// The `object` of the answer to removing one fault.
pub const FAULT_DELETED_OBJECT: &str = "orgusers.fault.deleted";
/// The longest delay a fault may add. The request's own deadline still applies (by default
/// 60 s from its head, `Limits`), so a delay near it ends as that deadline's 500.
pub const MAX_LATENCY_MS: i64 = 60_000;
/// The most faults one organization may have at once: they are kept in memory, and each is
/// tried against every request of the organization.
pub const MAX_FAULTS_PER_ORGANIZATION: usize = 100;
/// The methods a fault may name besides `*`.
pub(crate) const METHODS: &[&str] = &[
    "*", "GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS",
];
/// The longest path a fault may name: the longest path a request may have.
const MAX_PATH_CHARS: usize = crate::head::MAX_PATH;

/// The routes of faults.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/_orgusers/faults", get(list).post(create).delete(clear))
        .route("/_orgusers/faults/{fault_id}", delete(remove))
}

/// Which requests a fault applies to, by path: the path without its query.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PathPattern {
    /// Exactly this path.
    Exact(String),
    /// Every path that starts with this (the pattern without its trailing `*`).
    Prefix(String),
}

impl PathPattern {
    /// A path as a fault body gives it: `/v1/…`, ending in `*` for a prefix.
    fn parse(text: &str) -> Result<Self, BodyError> {
        let (base, pattern) = match text.strip_suffix('*') {
            Some(prefix) => (prefix, Self::Prefix(prefix.to_owned())),
            None => (text, Self::Exact(text.to_owned())),
        };
        let why = if !base.starts_with("/v1/") {
            Some("a fault applies to /v1/ paths only: expected a path starting with '/v1/'")
        } else if base.contains('*') {
            Some("'*' may only end the path, to match every path that starts with what precedes it")
        } else if base.contains('?') || base.contains('#') {
            Some("expected a path without a query: faults match on the path alone")
        } else if text.len() > MAX_PATH_CHARS {
            Some("the path is longer than any request's path may be")
        } else {
            None
        };
        match why {
            Some(why) => Err(invalid("path", why)),
            None => Ok(pattern),
        }
    }

    fn matches(&self, path: &str) -> bool {
        match self {
            Self::Exact(exact) => path == exact,
            Self::Prefix(prefix) => path.starts_with(prefix.as_str()),
        }
    }

    /// The pattern as it was given.
    fn text(&self) -> String {
        match self {
            Self::Exact(exact) => exact.clone(),
            Self::Prefix(prefix) => format!("{prefix}*"),
        }
    }
}

/// One fault of an organization.
#[derive(Debug, Clone)]
pub(crate) struct Fault {
    id: String,
    /// `*` or an upper-case method name.
    method: &'static str,
    path: PathPattern,
    status: Option<StatusCode>,
    latency: Duration,
    probability: f64,
    /// The count it was created with; `None`: unlimited.
    count: Option<u64>,
    /// How many more times it fires; `None`: unlimited. Never 0: a used-up fault is removed.
    remaining: Option<u64>,
    created_at: i64,
}

impl Fault {
    fn matches(&self, method: &Method, path: &str) -> bool {
        (self.method == "*" || self.method == method.as_str()) && self.path.matches(path)
    }

    /// Whether it fires this time, by its probability.
    fn rolls(&self) -> bool {
        if self.probability >= 1.0 {
            true
        } else if self.probability <= 0.0 {
            false
        } else {
            rand::rng().random::<f64>() < self.probability
        }
    }

    fn to_object(&self) -> FaultObject {
        FaultObject {
            object: FAULT_OBJECT.to_owned(),
            id: self.id.clone(),
            method: self.method.to_owned(),
            path: self.path.text(),
            status: self.status.map(|s| s.as_u16()),
            latency_ms: u64::try_from(self.latency.as_millis()).unwrap_or(u64::MAX),
            probability: self.probability,
            count: self.count,
            remaining: self.remaining,
            created_at: self.created_at,
        }
    }
}

/// What a fault does to the request it fires on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Firing {
    /// How long the request waits first.
    pub latency: Duration,
    /// The status it is then answered with; `None`: it goes on as usual.
    pub status: Option<StatusCode>,
}

/// Every organization's faults, in this process.
#[derive(Debug, Default)]
pub struct Faults {
    /// Whether any organization has a fault. Read without the lock on every request, so that
    /// requests pay nothing while no fault exists; written under the lock.
    armed: AtomicBool,
    by_organization: Mutex<HashMap<OrgId, Vec<Fault>>>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, HashMap<OrgId, Vec<Fault>>> {
        // A panic while holding the lock leaves the map consistent (each change is one
        // operation on it), so a poisoned lock is used as it is.
        self.by_organization
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The fault that fires on `org`'s `method path`, if any: the oldest matching fault whose
    /// probability comes up. Its remaining count goes down by one, under the same lock as the
    /// choice, and a fault whose count is used up is removed.
    pub fn fire(&self, org: &OrgId, method: &Method, path: &str) -> Option<Firing> {
        if !self.armed.load(Ordering::Acquire) {
            return None;
        }
        let mut by_organization = self.lock();
        let faults = by_organization.get_mut(org)?;
        let index = faults
            .iter()
            .position(|fault| fault.matches(method, path) && fault.rolls())?;
        let fault = &mut faults[index];
        let firing = Firing {
            latency: fault.latency,
            status: fault.status,
        };
        if let Some(remaining) = &mut fault.remaining {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                faults.remove(index);
                if faults.is_empty() {
                    by_organization.remove(org);
                    self.armed
                        .store(!by_organization.is_empty(), Ordering::Release);
                }
            }
        }
        Some(firing)
    }

    pub(crate) fn add(&self, org: &OrgId, fault: Fault) -> Result<FaultObject, ApiError> {
        let mut by_organization = self.lock();
        let faults = by_organization.entry(org.clone()).or_default();
        if faults.len() >= MAX_FAULTS_PER_ORGANIZATION {
            return Err(ApiError::Conflict {
                param: None,
                message: format!(
                    "An organization can have at most {MAX_FAULTS_PER_ORGANIZATION} faults at once. Remove some first."
                ),
            });
        }
        let object = fault.to_object();
        faults.push(fault);
        self.armed.store(true, Ordering::Release);
        Ok(object)
    }

    pub(crate) fn list(&self, org: &OrgId) -> Vec<FaultObject> {
        self.lock()
            .get(org)
            .map(|faults| faults.iter().map(Fault::to_object).collect())
            .unwrap_or_default()
    }

    /// Removes every fault of `org`; returns how many there were.
    pub(crate) fn clear(&self, org: &OrgId) -> usize {
        let mut by_organization = self.lock();
        let removed = by_organization.remove(org).map_or(0, |faults| faults.len());
        self.armed
            .store(!by_organization.is_empty(), Ordering::Release);
        removed
    }

    /// Removes one fault of `org`; whether it was there.
    pub(crate) fn remove(&self, org: &OrgId, id: &str) -> bool {
        let mut by_organization = self.lock();
        let Some(faults) = by_organization.get_mut(org) else {
            return false;
        };
        let Some(index) = faults.iter().position(|fault| fault.id == id) else {
            return false;
        };
        faults.remove(index);
        if faults.is_empty() {
            by_organization.remove(org);
        }
        self.armed
            .store(!by_organization.is_empty(), Ordering::Release);
        true
    }
}

/// `fault_` + 24 alphanumerics.
fn new_fault_id() -> String {
    let suffix: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    format!("fault_{suffix}")
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A number field in `min..=max` that may be absent or `null` (both `None`).
fn optional_number(
    body: &BodyObject,
    field: &str,
    min: f64,
    max: f64,
) -> Result<Option<f64>, BodyError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
            _ => Err(invalid(
                field,
                format!("expected a number from {min} to {max}, but got {n} instead"),
            )),
        },
        Some(other) => Err(BodyError::WrongType {
            field: field.to_owned(),
            expected: "a number",
            got: orgusers_store::json_type(other),
        }),
    }
}

/// An integer field in `min..=max` that may be absent or `null` (both `None`).
fn optional_bounded(
    body: &BodyObject,
    field: &str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, BodyError> {
    match body.get(field) {
        // Integers too large for i64 are still integers: out of range, not of the wrong type.
        Some(Value::Number(n)) if n.is_u64() && n.as_i64().is_none() => Err(invalid(
            field,
            format!("expected an integer from {min} to {max}, but got {n} instead"),
        )),
        _ => match body.optional_i64(field)? {
            Some(v) if !(min..=max).contains(&v) => Err(invalid(
                field,
                format!("expected an integer from {min} to {max}, but got {v} instead"),
            )),
            value => Ok(value),
        },
    }
}

/// Parses the body of `POST /_orgusers/faults` into a fault with a fresh id.
pub(crate) fn parse_fault(bytes: &[u8]) -> Result<Fault, BodyError> {
    let body = BodyObject::parse(bytes)?;
    body.only(&[
        "method",
        "path",
        "status",
        "latency_ms",
        "probability",
        "count",
    ])?;
    let method = match body.optional_str("method")? {
        None => "*",
        Some(given) => METHODS
            .iter()
            .copied()
            .find(|m| m.eq_ignore_ascii_case(given))
            .ok_or_else(|| {
                invalid(
                    "method",
                    format!(
                        "expected one of {}, but got '{given}' instead",
                        one_of(METHODS)
                    ),
                )
            })?,
    };
    let path = PathPattern::parse(body.required_str("path")?)?;
    let status = optional_bounded(&body, "status", 400, 599)?
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok());
    let latency_ms = optional_bounded(&body, "latency_ms", 0, MAX_LATENCY_MS)?.unwrap_or(0);
    let probability = optional_number(&body, "probability", 0.0, 1.0)?.unwrap_or(1.0);
    let count = optional_bounded(&body, "count", 1, i64::MAX)?.and_then(|c| u64::try_from(c).ok());
    Ok(Fault {
        id: new_fault_id(),
        method,
        path,
        status,
        latency: Duration::from_millis(u64::try_from(latency_ms).unwrap_or(0)),
        probability,
        count,
        remaining: count,
        created_at: now_unix(),
    })
}

async fn create(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    LimitedBody(body): LimitedBody,
) -> Result<Json<FaultObject>, ApiError> {
    let fault = parse_fault(&body)?;
    Ok(Json(state.faults.add(&org, fault)?))
}

async fn list(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
) -> Json<ControlList<FaultObject>> {
    Json(ControlList::new(state.faults.list(&org)))
}

async fn clear(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
) -> Json<FaultsDeleted> {
    Json(FaultsDeleted {
        object: FAULTS_DELETED_OBJECT.to_owned(),
        deleted: u64::try_from(state.faults.clear(&org)).unwrap_or(u64::MAX),
    })
}

async fn remove(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<FaultDeleted>, ApiError> {
    if !state.faults.remove(&org, &id) {
        return Err(ApiError::NoSuchFault(id));
    }
    Ok(Json(FaultDeleted {
        object: FAULT_DELETED_OBJECT.to_owned(),
        id,
        deleted: true,
    }))
}

const INVALID_REQUEST: &str = "invalid_request_error";
const SERVER_ERROR: &str = "server_error";
const SERVER_ERROR_MESSAGE: &str =
    "The server had an error while processing your request. Sorry about that!";

/// A fault's failure of one request, as [`ApiError::InjectedFault`] carries it.
#[derive(Debug, Clone)]
pub struct InjectedFault {
    /// The status to answer with, 400 to 599.
    pub status: StatusCode,
    /// The organization of the request, which a rate limit's message names.
    pub organization: OrgId,
    /// The request's key as messages show it (`sk-adm***WXYZ`), which a 401's message names.
    pub masked_key: String,
}

/// The `type`, `code` and `message` of an error envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub message: String,
}

impl InjectedFault {
    /// The envelope the real API answers this status with: one table for every status from 400
    /// to 599. Statuses the real API is known to send have its own type, code and sentence;
    /// the others have the generic type of their class and their reason phrase.
    pub fn envelope(&self) -> Envelope {
        let client = |code: Option<&'static str>, message: &str| Envelope {
            kind: INVALID_REQUEST,
            code,
            message: message.to_owned(),
        };
        let server = |message: &str| Envelope {
            kind: SERVER_ERROR,
            code: None,
            message: message.to_owned(),
        };
        match self.status.as_u16() {
            400 => client(
                None,
                "We could not parse the JSON body of your request. The API expects a JSON payload.",
            ),
            401 => client(
                Some("invalid_api_key"),
                &format!("Incorrect API key provided: {}.", self.masked_key),
            ),
            403 => client(
                None,
                "You have insufficient permissions for this operation.",
            ),
            404 => client(None, "The requested resource was not found."),
            408 => client(None, "Request timeout."),
            409 => client(
                None,
                "The request conflicts with another request in progress on the same resource. Please retry.",
            ),
            413 => client(None, "Request body too large."),
            414 => client(None, "Request line too long."),
            429 => Envelope {
                kind: "requests",
                code: Some("rate_limit_exceeded"),
                message: format!(
                    "Rate limit reached for requests in organization {} on requests per min (RPM): Limit {RATE_LIMIT}, Used {RATE_LIMIT}, Requested 1. Please try again in 0s.",
                    self.organization
                ),
            },
            431 => client(None, "Request header fields too large."),
            500 => server(SERVER_ERROR_MESSAGE),
            502 => server("Bad gateway."),
            503 => Envelope {
                kind: "service_unavailable_error",
                code: Some("server_is_overloaded"),
                message: "Our servers are currently overloaded. Please try again later.".into(),
            },
            504 => server("Gateway timeout."),
            _ if self.status.is_client_error() => client(None, &reason_sentence(self.status)),
            _ => server(&match self.status.canonical_reason() {
                Some(_) => reason_sentence(self.status),
                None => SERVER_ERROR_MESSAGE.to_owned(),
            }),
        }
    }

    /// The headers the real API sends with this status: a rate limit says when to retry (at
    /// once, so that clients' retries stay fast in tests) and what the limits are.
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            let limit = HeaderValue::from(RATE_LIMIT);
            for (name, value) in [
                (RETRY_AFTER, HeaderValue::from_static("0")),
                (RATELIMIT_LIMIT_REQUESTS, limit),
                (RATELIMIT_REMAINING_REQUESTS, HeaderValue::from_static("0")),
                (RATELIMIT_RESET_REQUESTS, HeaderValue::from_static("0s")),
            ] {
                headers.insert(name, value);
            }
        }
        headers
    }
}

/// The requests-per-minute limit a rate limit's message and headers name.
const RATE_LIMIT: u32 = 60;
const RETRY_AFTER: HeaderName = HeaderName::from_static("retry-after");
const RATELIMIT_LIMIT_REQUESTS: HeaderName = HeaderName::from_static("x-ratelimit-limit-requests");
const RATELIMIT_REMAINING_REQUESTS: HeaderName =
    HeaderName::from_static("x-ratelimit-remaining-requests");
const RATELIMIT_RESET_REQUESTS: HeaderName = HeaderName::from_static("x-ratelimit-reset-requests");

/// `Gone.`, `I'm a teapot.`; `The request failed with status 455.` for a status without a
/// reason phrase.
fn reason_sentence(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{reason}."),
        None => format!("The request failed with status {}.", status.as_u16()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> OrgId {
        OrgId::parse("org-test").unwrap()
    }

    fn fault(body: &str) -> Fault {
        parse_fault(body.as_bytes()).unwrap()
    }

    fn refusal(body: &str) -> (Option<String>, Option<&'static str>, String) {
        let e = parse_fault(body.as_bytes()).unwrap_err();
        (e.field().map(str::to_owned), e.code(), e.message())
    }

    #[test]
    fn paths_match_exactly_or_by_prefix() {
        let exact = PathPattern::parse("/v1/organization/users").unwrap();
        assert!(exact.matches("/v1/organization/users"));
        assert!(!exact.matches("/v1/organization/users/user-1"));
        assert!(!exact.matches("/v1/organization/user"));
        let prefix = PathPattern::parse("/v1/organization/users*").unwrap();
        assert!(prefix.matches("/v1/organization/users"));
        assert!(prefix.matches("/v1/organization/users/user-1/roles"));
        assert!(!prefix.matches("/v1/organization/roles"));
        assert_eq!(prefix.text(), "/v1/organization/users*");
        let everything = PathPattern::parse("/v1/*").unwrap();
        assert!(everything.matches("/v1/organization/projects"));
        assert!(!everything.matches("/_orgusers/faults"));
        assert!(!everything.matches("/health"));
    }

    #[test]
    fn paths_outside_v1_or_with_inner_stars_are_refused() {
        for path in [
            "/_orgusers/faults",
            "/health",
            "*",
            "/v1",
            "v1/organization/users",
            "/v1/*/users",
            "/v1/organization/users?limit=1",
        ] {
            assert!(PathPattern::parse(path).is_err(), "{path}");
        }
    }

    #[test]
    fn methods_match_by_name_or_star() {
        let get = fault(r#"{"path":"/v1/organization/users","method":"get"}"#);
        assert_eq!(get.method, "GET");
        assert!(get.matches(&Method::GET, "/v1/organization/users"));
        assert!(!get.matches(&Method::POST, "/v1/organization/users"));
        let any = fault(r#"{"path":"/v1/organization/users"}"#);
        assert_eq!(any.method, "*");
        assert!(any.matches(&Method::DELETE, "/v1/organization/users"));
    }

    #[test]
    fn bodies_take_defaults_and_refuse_what_is_wrong() {
        let f = fault(r#"{"path":"/v1/x"}"#);
        assert_eq!(
            (f.status, f.latency, f.probability, f.count, f.remaining),
            (None, Duration::ZERO, 1.0, None, None)
        );
        assert!(
            f.id.starts_with("fault_") && f.id.len() == 6 + 24,
            "{}",
            f.id
        );
        let f =
            fault(r#"{"path":"/v1/x","status":429,"latency_ms":5,"probability":0.5,"count":2}"#);
        assert_eq!(f.status, Some(StatusCode::TOO_MANY_REQUESTS));
        assert_eq!(f.latency, Duration::from_millis(5));
        assert_eq!(
            (f.probability, f.count, f.remaining),
            (0.5, Some(2), Some(2))
        );

        assert_eq!(
            refusal("{}"),
            (
                Some("path".into()),
                Some("missing_required_parameter"),
                "Missing required parameter: 'path'.".into()
            )
        );
        assert_eq!(refusal(r#"{"path":1}"#).1, Some("invalid_type"));
        assert_eq!(
            refusal(r#"{"path":"/v1/x","status":200}"#).1,
            Some("invalid_value")
        );
        assert_eq!(
            refusal(r#"{"path":"/v1/x","status":600}"#).0.as_deref(),
            Some("status")
        );
        assert_eq!(
            refusal(r#"{"path":"/v1/x","status":"429"}"#).1,
            Some("invalid_type")
        );
        assert_eq!(
            refusal(r#"{"path":"/v1/x","status":429.5}"#).1,
            Some("invalid_type")
        );
        assert_eq!(
            refusal(r#"{"path":"/v1/x","latency_ms":60001}"#)
                .0
                .as_deref(),
            Some("latency_ms")
        );
        assert_eq!(
            refusal(r#"{"path":"/v1/x","latency_ms":-1}"#).1,
            Some("invalid_value")
        );
        assert_eq!(
            refusal(r#"{"path":"/v1/x","probability":1.5}"#).1,
            Some("invalid_value")
        );
        assert_eq!(
            refusal(r#"{"path":"/v1/x","probability":"1"}"#).1,
            Some("invalid_type")
        );
        assert_eq!(
            refusal(r#"{"path":"/v1/x","count":0}"#).1,
            Some("invalid_value")
        );
        assert_eq!(
            refusal(r#"{"path":"/v1/x","count":18446744073709551615}"#).1,
            Some("invalid_value")
        );
        assert_eq!(
            refusal(r#"{"path":"/v1/x","method":"FETCH"}"#).0.as_deref(),
            Some("method")
        );
        assert_eq!(
            refusal(r#"{"path":"/v1/x","verb":"GET"}"#),
            (
                Some("verb".into()),
                None,
                "Unrecognized request argument supplied: verb".into()
            )
        );
        assert_eq!(refusal("[]").2, BodyError::NotAnObject.message());
    }

    #[test]
    fn counts_run_out_and_used_up_faults_disappear() {
        let faults = Faults::default();
        let org = org();
        let method = Method::GET;
        assert_eq!(faults.fire(&org, &method, "/v1/x"), None);
        faults
            .add(&org, fault(r#"{"path":"/v1/x","status":500,"count":2}"#))
            .unwrap();
        let firing = Firing {
            latency: Duration::ZERO,
            status: Some(StatusCode::INTERNAL_SERVER_ERROR),
        };
        assert_eq!(faults.fire(&org, &method, "/v1/y"), None);
        assert_eq!(faults.list(&org)[0].remaining, Some(2));
        assert_eq!(faults.fire(&org, &method, "/v1/x"), Some(firing));
        assert_eq!(faults.list(&org)[0].remaining, Some(1));
        assert_eq!(faults.fire(&org, &method, "/v1/x"), Some(firing));
        assert!(faults.list(&org).is_empty());
        assert_eq!(faults.fire(&org, &method, "/v1/x"), None);
        assert!(!faults.armed.load(Ordering::Acquire));
    }

    #[test]
    fn probability_zero_never_fires_and_the_oldest_match_wins() {
        let faults = Faults::default();
        let org = org();
        faults
            .add(
                &org,
                fault(r#"{"path":"/v1/x","status":500,"probability":0}"#),
            )
            .unwrap();
        for _ in 0..200 {
            assert_eq!(faults.fire(&org, &Method::GET, "/v1/x"), None);
        }
        faults
            .add(&org, fault(r#"{"path":"/v1/*","status":502}"#))
            .unwrap();
        faults
            .add(&org, fault(r#"{"path":"/v1/x","status":503}"#))
            .unwrap();
        let fired = faults.fire(&org, &Method::GET, "/v1/x").unwrap();
        assert_eq!(fired.status, Some(StatusCode::BAD_GATEWAY));
        assert_eq!(faults.list(&org).len(), 3);
    }

    #[test]
    fn faults_belong_to_one_organization_and_are_removed() {
        let faults = Faults::default();
        let org = org();
        let other = OrgId::parse("org-other").unwrap();
        let added = faults
            .add(&org, fault(r#"{"path":"/v1/x","status":500}"#))
            .unwrap();
        assert_eq!(faults.fire(&other, &Method::GET, "/v1/x"), None);
        assert!(faults.list(&other).is_empty());
        assert!(!faults.remove(&other, &added.id));
        assert!(faults.remove(&org, &added.id));
        assert!(!faults.remove(&org, &added.id));
        assert!(!faults.armed.load(Ordering::Acquire));
        faults.add(&org, fault(r#"{"path":"/v1/x"}"#)).unwrap();
        faults.add(&org, fault(r#"{"path":"/v1/y"}"#)).unwrap();
        assert_eq!(faults.clear(&org), 2);
        assert_eq!(faults.clear(&org), 0);
        assert!(!faults.armed.load(Ordering::Acquire));
    }

    #[test]
    fn an_organization_has_a_bounded_number_of_faults() {
        let faults = Faults::default();
        let org = org();
        for _ in 0..MAX_FAULTS_PER_ORGANIZATION {
            faults.add(&org, fault(r#"{"path":"/v1/x"}"#)).unwrap();
        }
        assert!(matches!(
            faults.add(&org, fault(r#"{"path":"/v1/x"}"#)),
            Err(ApiError::Conflict { .. })
        ));
    }

    fn injected(status: u16) -> InjectedFault {
        InjectedFault {
            status: StatusCode::from_u16(status).unwrap(),
            organization: org(),
            masked_key: "sk-adm***WXYZ".into(),
        }
    }

    #[test]
    fn every_status_has_an_envelope_of_its_class() {
        for status in 400..=599 {
            let envelope = injected(status).envelope();
            assert!(!envelope.message.is_empty(), "{status}");
            assert!(
                envelope.message.ends_with(['.', '!']),
                "{status}: {}",
                envelope.message
            );
            match status {
                429 => assert_eq!(envelope.kind, "requests"),
                503 => assert_eq!(envelope.kind, "service_unavailable_error"),
                400..=499 => assert_eq!(envelope.kind, INVALID_REQUEST, "{status}"),
                _ => assert_eq!(envelope.kind, SERVER_ERROR, "{status}"),
            }
            let headers = injected(status).headers();
            assert_eq!(headers.contains_key(RETRY_AFTER), status == 429, "{status}");
        }
    }

    #[test]
    fn the_envelopes_the_real_api_sends() {
        let rate_limit = injected(429).envelope();
        assert_eq!(rate_limit.code, Some("rate_limit_exceeded"));
        assert_eq!(
            rate_limit.message,
            "Rate limit reached for requests in organization org-test on requests per min (RPM): Limit 60, Used 60, Requested 1. Please try again in 0s."
        );
        let headers = injected(429).headers();
        assert_eq!(headers[RETRY_AFTER], "0");
        assert_eq!(headers[RATELIMIT_LIMIT_REQUESTS], "60");
        assert_eq!(headers[RATELIMIT_REMAINING_REQUESTS], "0");
        assert_eq!(headers[RATELIMIT_RESET_REQUESTS], "0s");
        assert_eq!(
            injected(401).envelope(),
            Envelope {
                kind: INVALID_REQUEST,
                code: Some("invalid_api_key"),
                message: "Incorrect API key provided: sk-adm***WXYZ.".into()
            }
        );
        assert_eq!(
            injected(500).envelope(),
            Envelope {
                kind: SERVER_ERROR,
                code: None,
                message: SERVER_ERROR_MESSAGE.into()
            }
        );
        assert_eq!(injected(503).envelope().code, Some("server_is_overloaded"));
        assert_eq!(injected(410).envelope().message, "Gone.");
        assert_eq!(
            injected(455).envelope().message,
            "The request failed with status 455."
        );
        assert_eq!(injected(599).envelope().message, SERVER_ERROR_MESSAGE);
    }
}
