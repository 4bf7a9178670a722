//! Invite acceptance: `POST /_orgusers/invites/{invite_id}/accept`. The public API has no way to
//! accept an invite (the real one is accepted from its email), so the emulator offers this one
//! to make the user an invite stands for.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use orgusers_api::User;
use orgusers_store::body::BodyObject;
use orgusers_store::ids::InviteId;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Authenticated, LimitedBody};

/// The routes of invite acceptance.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/_orgusers/invites/{invite_id}/accept", post(accept))
}

/// Accepts a pending invite; the body, optional, may give the new user's `name`. Answers the
/// new user as `GET /v1/organization/users/{id}` shows it.
async fn accept(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(id): ApiPath<String>,
    LimitedBody(body): LimitedBody,
) -> Result<Json<User>, ApiError> {
    // No body (or only white space), whatever its Content-Type, is the same as `{}`.
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        BodyObject::parse(b"{}")?
    } else {
        BodyObject::parse(&body)?
    };
    body.only(&["name"])?;
    let name = body.optional_str("name")?.map(str::to_owned);
    let id = InviteId::from_request(&id);
    Ok(Json(state.store.accept_invite(&org, &id, name).await?))
}
