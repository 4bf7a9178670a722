//! The middleware around every request: request id, the OpenAI response headers, the request
//! deadline, the catch for panics, and one log line per request.

use std::any::Any;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;

use crate::Limits;
use crate::drain::SharedBody;
use crate::error::{ApiError, InternalErrorDetail};
use crate::extract::OrganizationSlot;

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

pub async fn stamp(State(limits): State<Limits>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&X_REQUEST_ID)
        .filter(|v| acceptable_request_id(v))
        .cloned()
        .unwrap_or_else(new_request_id);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let organization = OrganizationSlot::default();
    req.extensions_mut().insert(organization.clone());

    let (parts, body) = req.into_parts();
    let body = SharedBody::new(body);
    let req = Request::from_parts(parts, Body::new(body.clone()));

    let mut response = match tokio::time::timeout(limits.request, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::Internal(anyhow::anyhow!(
            "request not finished within {:?}",
            limits.request
        ))
        .into_response(),
    };

    body.drain().await;

    let elapsed = started.elapsed();
    let rid = request_id.to_str().unwrap_or_default().to_owned();
    let headers = response.headers_mut();
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
    tracing::info!(
        request_id = %rid,
        %method,
        %path,
        status = response.status().as_u16(),
        latency_us = elapsed.as_micros() as u64,
        "request"
    );
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
