//! Extractors that turn request parts into validated inputs, failing with [`ApiError`]s.
//!
//! Handlers list them in the contract's order of checks: authentication, then the path, then the
//! body (size, then parsing).

use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH};
use axum::http::request::Parts;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use orgusers_store::audit::Actor;
use orgusers_store::body::BodyError;
use orgusers_store::{AdminKey, Kind, OrgId};

use crate::AppState;
use crate::control::faults::InjectedFault;
use crate::error::ApiError;

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Where the authenticated organization is left for the response middleware, which sets
/// `openai-organization` from it.
#[derive(Clone, Default)]
pub struct OrganizationSlot(pub Arc<OnceLock<OrgId>>);

/// Where [`Authenticated`] leaves the admin key that opened the request and its owner's id, for
/// what runs around the handler (the audit log's actor). Put in the request's extensions by the
/// middleware that wants it.
#[derive(Clone, Default)]
pub struct ActingKeySlot(pub Arc<OnceLock<Actor>>);

/// The organization whose admin key authenticated the request.
pub struct Authenticated(pub OrgId);

/// The bearer token of the `Authorization` header; the scheme is case-insensitive and an empty
/// token counts as none. More than one `Authorization` header is refused before any is read:
/// a proxy in front may have read another one than this server would.
fn bearer_token(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let mut headers = parts.headers.get_all(AUTHORIZATION).iter();
    let Some(header) = headers.next() else {
        return Ok(None);
    };
    if headers.next().is_some() {
        return Err(ApiError::AmbiguousCredentials);
    }
    let Some((scheme, token)) = header.to_str().ok().and_then(|h| h.trim().split_once(' ')) else {
        return Ok(None);
    };
    let token = token.trim();
    Ok((scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token))
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = AdminKey::presented(bearer_token(parts)?.ok_or(ApiError::MissingKey)?);
        let identity = state
            .keys
            .authenticate(state.store.as_ref(), &key.hash())
            .await?
            .ok_or_else(|| ApiError::InvalidKey {
                masked: key.masked(),
            })?;
        if let Some(slot) = parts.extensions.get::<ActingKeySlot>() {
            let _ = slot.0.set(identity.actor());
        }
        let org = identity.org;
        // Set once per request; a second extraction would carry the same organization, and must
        // not meet the request's faults a second time.
        let first = match parts.extensions.get::<OrganizationSlot>() {
            Some(slot) => slot.0.set(org.clone()).is_ok(),
            None => true,
        };
        // Injected faults (`/_orgusers/faults`) apply here, where the organization is known,
        // and to `/v1/…` only, so that the control endpoints always answer.
        if first
            && parts.uri.path().starts_with("/v1/")
            && let Some(firing) = state.faults.fire(&org, &parts.method, parts.uri.path())
        {
            if !firing.latency.is_zero() {
                tokio::time::sleep(firing.latency).await;
            }
            if let Some(status) = firing.status {
                return Err(ApiError::InjectedFault(InjectedFault {
                    status,
                    organization: org,
                    masked_key: key.masked(),
                }));
            }
        }
        Ok(Self(org))
    }
}

/// The `{user_id}` path segment, percent-decoded.
pub struct UserIdParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for UserIdParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(Self(id)),
            // Not valid UTF-8 once decoded: no user can have such an id.
            Err(_) => {
                let raw = parts.uri.path().rsplit('/').next().unwrap_or_default();
                Err(ApiError::NotFound {
                    kind: Kind::User,
                    id: raw.to_owned(),
                })
            }
        }
    }
}

/// The query string of a request: from the URI, or, when the target was too long for a URI,
/// from where [`crate::head`] and the middleware put it.
pub struct QueryString(pub Option<String>);

/// A query string too long for a URI, set aside by the middleware.
#[derive(Clone)]
pub struct LongQuery(pub String);

impl<S: Send + Sync> FromRequestParts<S> for QueryString {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(match parts.extensions.remove::<LongQuery>() {
            Some(LongQuery(query)) => Some(query),
            None => parts.uri.query().map(str::to_owned),
        }))
    }
}

/// When the body must have arrived; set by the middleware for every request.
#[derive(Clone, Copy)]
pub struct BodyDeadline(pub tokio::time::Instant);

/// A request body of at most [`MAX_BODY_BYTES`], arrived before the [`BodyDeadline`].
pub struct LimitedBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for LimitedBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            return Err(ApiError::BodyTooLarge);
        }
        let deadline = req.extensions().get::<BodyDeadline>().copied();
        let collect = Limited::new(req.into_body(), MAX_BODY_BYTES).collect();
        let collected = match deadline {
            Some(BodyDeadline(at)) => tokio::time::timeout_at(at, collect)
                .await
                .map_err(|_| ApiError::RequestTimeout)?,
            None => collect.await,
        };
        match collected {
            Ok(collected) => Ok(Self(collected.to_bytes())),
            Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(ApiError::BodyTooLarge),
            // The client went away or sent a broken body: there is no JSON to parse.
            Err(_) => Err(ApiError::Body(BodyError::NotAnObject)),
        }
    }
}

/// Path parameters of the directory's nested routes (`{group_id}/users/{user_id}`, …),
/// percent-decoded. A segment that is not UTF-8 once decoded names nothing: answered as an
/// unknown URL.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T> FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(_) => Err(ApiError::InvalidUrl {
                method: parts.method.clone(),
                path: parts.uri.path().to_owned(),
            }),
        }
    }
}
