//! The middleware around every request: request id, the OpenAI response headers, the request
//! deadline, the catch for panics, and one log line per request.

use std::any::Any;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::CONNECTION;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;

use crate::Limits;
use crate::access_log::{AccessEntry, AccessLog};
use crate::control::journal::{self, Journal, JournalEntry};
use crate::drain::SharedBody;
use crate::error::{ApiError, CloseConnection, InternalErrorDetail};
use crate::extract::{ActingKeySlot, BodyDeadline, LongQuery, OrganizationSlot};
use crate::head::{CLOSE_HEADER, QUERY_HEADER, REFUSAL_HEADER, Refusal};

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const OPENAI_PROCESSING_MS: HeaderName = HeaderName::from_static("openai-processing-ms");
const OPENAI_VERSION: HeaderName = HeaderName::from_static("openai-version");
const OPENAI_ORGANIZATION: HeaderName = HeaderName::from_static("openai-organization");
const API_VERSION: HeaderValue = HeaderValue::from_static("2020-10-01");

/// An incoming request id is echoed when it is at most 200 characters of `[A-Za-z0-9_.-]`.
fn acceptable_request_id(v: &HeaderValue) -> bool {
    let bytes = v.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 200
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// `req_` + 32 hex digits.
fn new_request_id() -> HeaderValue {
    let n: u128 = rand::rng().random();
    HeaderValue::try_from(format!("req_{n:032x}")).unwrap_or(HeaderValue::from_static("req_0"))
}

/// What the middleware needs: the time limits, where request lines go, and the request journal
/// (`None` without the control endpoints).
#[derive(Clone)]
pub struct Stamping {
    pub limits: Limits,
    pub access_log: Arc<dyn AccessLog>,
    pub journal: Option<Arc<Journal>>,
}

pub async fn stamp(State(stamping): State<Stamping>, mut req: Request, next: Next) -> Response {
    let limits = stamping.limits;
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&X_REQUEST_ID)
        .filter(|v| acceptable_request_id(v))
        .cloned()
        .unwrap_or_else(new_request_id);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    // Only `/v1/…` requests go to the journal; their query is kept before the router sees it.
    let journaled = stamping.journal.is_some() && path.starts_with("/v1/");
    let mut query = match req.uri().query() {
        Some(query) if journaled => Some(journal::bounded_query(query)),
        _ => None,
    };
    let organization = OrganizationSlot::default();
    // The head guard's internal headers: a refusal, a query set aside, a connection to close.
    let refusal = req
        .headers()
        .get(&REFUSAL_HEADER)
        .and_then(|v| Refusal::from_name(v.as_bytes()));
    let close_after = req.headers_mut().remove(&CLOSE_HEADER).is_some();
    if let Some(set_aside) = req.headers_mut().remove(&QUERY_HEADER) {
        let long = String::from_utf8_lossy(set_aside.as_bytes()).into_owned();
        if journaled {
            query = Some(journal::bounded_query(&long));
        }
        req.extensions_mut().insert(LongQuery(long));
    }
    req.extensions_mut().insert(organization.clone());
    let acting_key = ActingKeySlot::default();
    req.extensions_mut().insert(acting_key.clone());
    req.extensions_mut()
        .insert(BodyDeadline(tokio::time::Instant::now() + limits.body_read));

    let mut response = match refusal {
        Some(Refusal::RequestLine) => ApiError::RequestLineTooLong.into_response(),
        Some(Refusal::Headers) => ApiError::HeadersTooLarge.into_response(),
        // The changes the request makes record the key that `Authenticated` finds.
        None => orgusers_store::audit::acting_as(acting_key.0, run(limits, req, next)).await,
    };
    let close = close_after || response.extensions().get::<CloseConnection>().is_some();

    let elapsed = started.elapsed();
    let rid = request_id.to_str().unwrap_or_default().to_owned();
    let headers = response.headers_mut();
    if close {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    headers.insert(X_REQUEST_ID, request_id);
    headers.insert(OPENAI_VERSION, API_VERSION);
    headers.insert(
        OPENAI_PROCESSING_MS,
        HeaderValue::from(elapsed.as_millis() as u64),
    );
    if let Some(org) = organization.0.get()
        && let Ok(value) = HeaderValue::try_from(org.as_str())
    {
        headers.insert(OPENAI_ORGANIZATION, value);
    }
    if let Some(InternalErrorDetail(detail)) = response.extensions().get::<InternalErrorDetail>() {
        tracing::error!(request_id = %rid, %method, %path, error = %detail, "request failed");
    }
    let status = response.status().as_u16();
    stamping.access_log.record(&AccessEntry {
        request_id: &rid,
        method: &method,
        path: &path,
        status,
        latency_us: elapsed.as_micros() as u64,
    });
    // Only once a key has named the organization: an unauthenticated request has no journal.
    if journaled
        && let Some(journal) = &stamping.journal
        && let Some(org) = organization.0.get()
    {
        journal.record(
            org,
            JournalEntry {
                method,
                path,
                query,
                status,
                request_id: rid,
                received: SystemTime::now()
                    .checked_sub(elapsed)
                    .unwrap_or(SystemTime::now()),
                latency: elapsed,
            },
        );
    }
    response
}

/// Runs the request within its deadlines, then reads off what the handler left of its body
/// (unless the answer closes the connection anyway).
async fn run(limits: Limits, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let body = SharedBody::new(body);
    let req = Request::from_parts(parts, Body::new(body.clone()));
    // The body has its own deadline (a 408, the client's doing), which falls before this one:
    // a request still running past both is the server's fault.
    let deadline = limits.body_read + limits.request;
    let response = match tokio::time::timeout(deadline, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::Internal(anyhow::anyhow!(
            "request not finished within {deadline:?} of its head"
        ))
        .into_response(),
    };
    if response.extensions().get::<CloseConnection>().is_none() {
        body.drain().await;
    }
    response
}

/// Turns a panic in a handler into the generic 500, with the panic message kept for the log.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic".to_owned());
    ApiError::Internal(anyhow::anyhow!("handler panicked: {message}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids() {
        assert!(acceptable_request_id(&HeaderValue::from_static(
            "abc-1.2_x"
        )));
        assert!(!acceptable_request_id(&HeaderValue::from_static("a b")));
        assert!(!acceptable_request_id(&HeaderValue::from_static("")));
        let long = HeaderValue::try_from("a".repeat(201)).unwrap();
        assert!(!acceptable_request_id(&long));
        let id = new_request_id();
        let id = id.to_str().unwrap();
        assert_eq!(id.len(), 4 + 32);
        assert!(id.starts_with("req_"));
        assert!(id[4..].chars().all(|c| c.is_ascii_hexdigit()));
    }
}
