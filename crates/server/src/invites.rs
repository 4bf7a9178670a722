//! Handlers of `/v1/organization/invites`: extract, call the store once, answer.

use axum::Json;
use axum::extract::State;
use orgusers_api::invites::{INVITE_DELETED_OBJECT, Invite, InviteDeleted, InviteList};
use orgusers_store::body::{BodyObject, invalid};
use orgusers_store::ids::InviteId;
use orgusers_store::invites::{InviteProjects, InviteRecord, NewInvite, grants_in};
use orgusers_store::{EmailAddress, Role};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Authenticated, LimitedBody, QueryString};
use crate::list::first_list;
use crate::params;

/// The roles an invite may give, as `InviteRequest.role` lists them.
const INVITE_ROLES: &[&str] = &["owner", "reader"];

pub async fn list(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    QueryString(query): QueryString,
) -> Result<Json<InviteList>, ApiError> {
    let query = params::first_query(query.as_deref())?;
    let page = state.store.list_invites(&org, &query).await?;
    Ok(Json(first_list(page, InviteRecord::to_wire, |i| &i.id)))
}

pub async fn create(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    LimitedBody(body): LimitedBody,
) -> Result<Json<Invite>, ApiError> {
    let body = BodyObject::parse(&body)?;
    body.only(&["email", "role", "projects"])?;
    let email =
        EmailAddress::parse(body.required_str("email")?).map_err(|e| invalid("email", e))?;
    // `required_enum` admits only the names of `INVITE_ROLES`.
    let role = match body.required_enum("role", INVITE_ROLES)? {
        "owner" => Role::Owner,
        _ => Role::Reader,
    };
    let projects = match grants_in(&body)? {
        None => InviteProjects::DefaultProject,
        Some(grants) => InviteProjects::Listed(grants),
    };
    let new = NewInvite {
        email,
        role,
        projects,
    };
    let invite = state.store.create_invite(&org, &new).await?;
    Ok(Json(invite.to_wire()))
}

pub async fn retrieve(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Invite>, ApiError> {
    let id = InviteId::from_request(&id);
    Ok(Json(state.store.get_invite(&org, &id).await?.to_wire()))
}

pub async fn delete(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<InviteDeleted>, ApiError> {
    let id = InviteId::from_request(&id);
    state.store.delete_invite(&org, &id).await?;
    Ok(Json(InviteDeleted::new(INVITE_DELETED_OBJECT, id.as_str())))
}
