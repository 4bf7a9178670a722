//! Signing in to the console and staying signed in.
//!
//! `POST /console/sign-in` takes an admin key (form field `key`), hashes it and authenticates it
//! exactly as the API does ([`crate::keys::KeyCache::authenticate`]), then exchanges it for a
//! session: a random 32-byte token, base64url, in the cookie `orgusers_console`
//! (`HttpOnly; SameSite=Strict; Path=/console`, plus `Secure` when a fronting proxy says the
//! request came over TLS with `X-Forwarded-Proto: https`: `serve` has no TLS itself). The store
//! keeps the token's SHA-256, never the token, and the key's SHA-256, never the key.
//!
//! Every console request finds its session by the cookie (a read: its `last_seen_at` is written
//! only when more than `LAST_SEEN_GRANULARITY_SECONDS`, a minute, behind, and a `GET` clears the
//! flash only when there is one) and authenticates the session's key hash again through the key
//! cache: a revoked or expired key ends its sessions within [`crate::KEY_CACHE_TTL`]. Sessions
//! end after `IDLE_EXPIRY_SECONDS` (30 minutes, counted from the recorded `last_seen_at`, so
//! exact to a minute) without a request or `ABSOLUTE_EXPIRY_SECONDS` (12 hours) after sign-in
//! (`orgusers_store::console_sessions`).
//! The key's id becomes the request's acting key, so that what the console changes is audited
//! with it, as the API's changes are.
//!
//! Sign-in attempts are limited per client address ([`SignInLimiter`]): the peer address of the
//! connection, not a forwarded header, which any client could set.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{
    ConnectInfo, FromRequest, FromRequestParts, OptionalFromRequestParts, Request, State,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use maud::{Markup, html};
use orgusers_store::console_sessions::{Flash, FlashKind, NewConsoleSession, SessionTokenHash};
use orgusers_store::{AdminKey, OrgId, StoreError};
use rand::RngCore as _;
use sha2::{Digest, Sha256};

use super::{ConsoleError, Html, bare_page, csrf, page, see_other};
use crate::AppState;
use crate::extract::ActingKeySlot;

/// The session cookie.
pub const COOKIE: &str = "orgusers_console";

/// The most a console form body may hold.
const MAX_FORM_BYTES: usize = 64 * 1024;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/sign-in", page(get(sign_in_page).post(sign_in)))
        .route("/console/sign-out", page(axum::routing::post(sign_out)))
}

/// A signed-in console request: its session, and the admin key it authenticated again.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    /// The organization the session's key opens.
    pub org: OrgId,
    /// The session's admin key: `key_…`.
    pub key_id: String,
    /// That key's name (its id when it has none to show).
    pub key_name: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// Whether the emulator's control endpoints are served (the Emulator nav entry).
    pub control: bool,
    /// The flash message left for this page (`GET` requests take it).
    pub flash: Option<Flash>,
    token: SessionTokenHash,
}

impl SignedIn {
    /// Leaves `message` for the next page and redirects there (`303`): the end of every
    /// successful form. A failure to store the flash is logged, not answered: what the form
    /// did is done.
    pub(crate) async fn redirect_with(
        &self,
        state: &AppState,
        kind: FlashKind,
        message: impl Into<String>,
        to: &str,
    ) -> Response {
        let flash = Flash {
            kind,
            message: message.into(),
        };
        if let Err(e) = state.store.set_console_flash(&self.token, &flash).await {
            tracing::warn!(error = %e, "could not keep the console's flash message");
        }
        see_other(to)
    }

    /// [`Self::redirect_with`] a [`FlashKind::Status`] message: what a form that did what it
    /// was asked answers.
    pub(crate) async fn done(
        &self,
        state: &AppState,
        message: impl Into<String>,
        to: &str,
    ) -> Response {
        self.redirect_with(state, FlashKind::Status, message, to)
            .await
    }
}

/// The session of a request, if it has a live one whose key still opens its organization.
async fn resolve(parts: &mut Parts, state: &AppState) -> Result<Option<SignedIn>, ConsoleError> {
    if !state.console {
        return Ok(None);
    }
    let Some(token) = cookie_token(&parts.headers) else {
        return Ok(None);
    };
    let token = token_hash(&token);
    let store = state.store.as_ref();
    let Some(session) = store.console_session(&token, orgusers_store::now()).await? else {
        return Ok(None);
    };
    let identity = state.keys.authenticate(store, &session.key_hash).await?;
    let Some(identity) = identity.filter(|i| i.org == session.org) else {
        // The key was revoked or expired: its sessions end with it.
        store.delete_console_session(&token).await?;
        return Ok(None);
    };
    if let Some(slot) = parts.extensions.get::<ActingKeySlot>() {
        let _ = slot.0.set(identity.actor());
    }
    let key_name = match store.get_admin_key(&identity.org, &identity.key_id).await {
        Ok(record) if !record.name.is_empty() => record.name,
        Ok(_) | Err(StoreError::NotFound { .. }) => identity.key_id.clone(),
        Err(e) => return Err(e.into()),
    };
    // A `GET` shows the flash, so it is cleared, which is a write only when there is one;
    // other requests leave it for the page they redirect to.
    let flash = if parts.method == Method::GET {
        session.flash
    } else {
        None
    };
    if let Some(flash) = &flash {
        store.clear_console_flash(&token, &flash.message).await?;
    }
    Ok(Some(SignedIn {
        org: identity.org,
        key_id: identity.key_id,
        key_name,
        csrf: session.csrf,
        control: state.control,
        flash,
        token,
    }))
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    /// Without a live session: `303` to the sign-in page.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match resolve(parts, state).await {
            Ok(Some(session)) => Ok(session),
            Ok(None) => Err(see_other("/console/sign-in")),
            Err(e) => Err(e.into_response()),
        }
    }
}

impl OptionalFromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Response> {
        resolve(parts, state)
            .await
            .map_err(IntoResponse::into_response)
    }
}

/// The fields of a form (`application/x-www-form-urlencoded`), as sent.
#[derive(Debug, Default)]
pub(crate) struct FormFields(Vec<(String, String)>);

impl FormFields {
    fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }
}

async fn form_body(body: axum::body::Body) -> Result<FormFields, ConsoleError> {
    let bytes: Bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| {
            ConsoleError::Refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                "That form is too large.".to_owned(),
            )
        })?;
    Ok(FormFields::parse(&bytes))
}

/// A signed-in form `POST` whose `csrf` field is the session's token; else `403` and nothing
/// done (without a session: `303` to the sign-in page).
pub(crate) struct SignedInForm {
    pub session: SignedIn,
    pub fields: FormFields,
}

impl FromRequest<AppState> for SignedInForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let session =
            <SignedIn as FromRequestParts<AppState>>::from_request_parts(&mut parts, state).await?;
        let fields = form_body(body).await.map_err(IntoResponse::into_response)?;
        if !csrf::matches(&session.csrf, fields.get(csrf::FIELD)) {
            return Err(ConsoleError::Forbidden.into_response());
        }
        Ok(Self { session, fields })
    }
}

/// The session token of the request's cookie, decoded.
fn cookie_token(headers: &HeaderMap) -> Option<[u8; 32]> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| URL_SAFE_NO_PAD.decode(value.trim()).ok())
        .and_then(|bytes| bytes.try_into().ok())
}

fn token_hash(token: &[u8; 32]) -> SessionTokenHash {
    SessionTokenHash(Sha256::digest(token).into())
}

fn random_token() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// Whether a fronting proxy says the request came over TLS.
fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// The `Set-Cookie` of a session (`value` its token), or of its end (`None`).
fn session_cookie(value: Option<&str>, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = match value {
        Some(token) => {
            format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/console{secure}")
        }
        None => format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0{secure}"),
    };
    HeaderValue::try_from(cookie).unwrap_or(HeaderValue::from_static(""))
}

/// The sign-in form: always empty; `failed` adds the one message a refusal gets.
fn sign_in_form(failed: bool) -> Markup {
    bare_page(
        "Sign in",
        html! {
            h1 { "Sign in to the console" }
            @if failed {
                (super::alert("That key is not valid."))
            }
            form method="post" action="/console/sign-in" class="stack" {
                label for="key" { "Admin API key" }
                input id="key" name="key" type="password" autocomplete="off" required
                    spellcheck="false" autocapitalize="off";
                p class="hint" id="key-hint" {
                    "An admin key of the organization (sk-admin-…). It is exchanged for a \
                     session and not kept in this browser."
                }
                button type="submit" { "Sign in" }
            }
        },
    )
}

async fn sign_in_page(session: Option<SignedIn>) -> Response {
    match session {
        Some(_) => see_other("/console/people"),
        None => Html(StatusCode::OK, sign_in_form(false)).into_response(),
    }
}

async fn sign_in(State(state): State<AppState>, req: Request) -> Result<Response, ConsoleError> {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    state.sign_ins.check(peer, Instant::now())?;
    let (parts, body) = req.into_parts();
    let fields = form_body(body).await?;
    let refused = || Html(StatusCode::UNAUTHORIZED, sign_in_form(true)).into_response();
    let Some(presented) = fields.text("key") else {
        return Ok(refused());
    };
    let key_hash = AdminKey::presented(presented).hash();
    drop(fields);
    let Some(identity) = state
        .keys
        .authenticate(state.store.as_ref(), &key_hash)
        .await?
    else {
        return Ok(refused());
    };
    let token = random_token();
    let session = NewConsoleSession {
        token_hash: token_hash(&token),
        org: identity.org,
        key_hash,
        csrf: URL_SAFE_NO_PAD.encode(random_token()),
        now: orgusers_store::now(),
    };
    state.store.create_console_session(&session).await?;
    let mut response = see_other("/console/people");
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(
            Some(&URL_SAFE_NO_PAD.encode(token)),
            over_tls(&parts.headers),
        ),
    );
    Ok(response)
}

async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: SignedInForm,
) -> Result<Response, ConsoleError> {
    state
        .store
        .delete_console_session(&form.session.token)
        .await?;
    let mut response = see_other("/console/sign-in");
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(None, over_tls(&headers)));
    Ok(response)
}

/// Sign-in attempts per client address: a token bucket of [`Self::BURST`] attempts, refilled
/// at [`Self::BURST`] a minute, in memory (per process). At most [`Self::MAX_ADDRESSES`]
/// addresses are tracked: past that, addresses whose bucket is full again are forgotten, and if
/// that frees nothing the map starts afresh, so it cannot grow without bound.
#[derive(Default)]
pub(crate) struct SignInLimiter {
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl SignInLimiter {
    /// Attempts allowed at once, and per minute.
    pub(crate) const BURST: f64 = 10.0;
    const PER_SECOND: f64 = Self::BURST / 60.0;
    const MAX_ADDRESSES: usize = 10_000;

    /// Takes one attempt of `peer` at `now`, or refuses with the seconds until the next one.
    pub(crate) fn check(&self, peer: IpAddr, now: Instant) -> Result<(), ConsoleError> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let level = |(tokens, at): (f64, Instant)| {
            (tokens + now.saturating_duration_since(at).as_secs_f64() * Self::PER_SECOND)
                .min(Self::BURST)
        };
        if buckets.len() >= Self::MAX_ADDRESSES && !buckets.contains_key(&peer) {
            buckets.retain(|_, bucket| level(*bucket) < Self::BURST);
            if buckets.len() >= Self::MAX_ADDRESSES {
                buckets.clear();
            }
        }
        let tokens = buckets.get(&peer).copied().map_or(Self::BURST, level);
        if tokens < 1.0 {
            buckets.insert(peer, (tokens, now));
            let wait = ((1.0 - tokens) / Self::PER_SECOND).ceil() as u64;
            return Err(ConsoleError::RateLimited(wait.max(1)));
        }
        buckets.insert(peer, (tokens - 1.0, now));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use orgusers_store::console_sessions::{ABSOLUTE_EXPIRY_SECONDS, IDLE_EXPIRY_SECONDS};

    use super::*;

    #[test]
    fn sign_ins_are_limited_per_address() {
        let limiter = SignInLimiter::default();
        let (a, b) = (
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
        );
        let start = Instant::now();
        for _ in 0..10 {
            assert!(limiter.check(a, start).is_ok());
        }
        assert!(matches!(
            limiter.check(a, start),
            Err(ConsoleError::RateLimited(6))
        ));
        assert!(limiter.check(b, start).is_ok());
        assert!(limiter.check(a, start + Duration::from_secs(6)).is_ok());
    }

    #[test]
    fn the_map_of_addresses_is_bounded() {
        let limiter = SignInLimiter::default();
        let now = Instant::now();
        for i in 0..(SignInLimiter::MAX_ADDRESSES as u32 + 5) {
            let _ = limiter.check(IpAddr::V4(Ipv4Addr::from(i)), now);
        }
        assert!(limiter.buckets.lock().unwrap().len() <= SignInLimiter::MAX_ADDRESSES);
    }

    #[test]
    fn cookies() {
        let mut headers = HeaderMap::new();
        let token = [7u8; 32];
        let value = format!("a=b; {COOKIE}={}", URL_SAFE_NO_PAD.encode(token));
        headers.insert(header::COOKIE, HeaderValue::try_from(value).unwrap());
        assert_eq!(cookie_token(&headers), Some(token));
        let set = session_cookie(Some("t"), true);
        assert_eq!(
            set.to_str().unwrap(),
            "orgusers_console=t; HttpOnly; SameSite=Strict; Path=/console; Secure"
        );
        let mut forwarded = HeaderMap::new();
        forwarded.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(over_tls(&forwarded) && !over_tls(&HeaderMap::new()));
    }

    #[test]
    fn expiry_constants() {
        assert_eq!(IDLE_EXPIRY_SECONDS, 1800);
        assert_eq!(ABSOLUTE_EXPIRY_SECONDS, 43_200);
    }
}
