//! Handlers of `/v1/organization/roles`: extract, call the store once, answer.

use axum::Json;
use axum::extract::State;
use orgusers_api::list::{Deleted, NextList};
use orgusers_api::roles::{ROLE_DELETED_OBJECT, Role};
use orgusers_store::body::{BodyObject, invalid};
use orgusers_store::ids::RoleId;
use orgusers_store::page::{ListBounds, ListScope};
use orgusers_store::roles::{NewRole, Permissions, RoleChange, RoleName, RoleRecord};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Authenticated, LimitedBody, QueryString};
use crate::list::next_list;
use crate::params;

const FIELDS: [&str; 3] = ["role_name", "permissions", "description"];

fn role_name(text: &str) -> Result<RoleName, ApiError> {
    RoleName::parse(text).map_err(|e| invalid("role_name", e).into())
}

fn permissions(given: &[String]) -> Result<Permissions, ApiError> {
    Permissions::parse(given).map_err(|e| invalid("permissions", e).into())
}

pub async fn list(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    QueryString(query): QueryString,
) -> Result<Json<NextList<Role>>, ApiError> {
    let scope = ListScope {
        list: "roles",
        org: &org,
        parent: "",
    };
    let key = state.store.cursor_key();
    let query = params::next_query(query.as_deref(), ListBounds::ROLES, &scope, key)?;
    let page = state.store.list_roles(&org, &query).await?;
    Ok(Json(next_list(page, &scope, key, RoleRecord::to_wire)))
}

pub async fn create(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    LimitedBody(body): LimitedBody,
) -> Result<Json<Role>, ApiError> {
    let body = BodyObject::parse(&body)?;
    body.only(&FIELDS)?;
    let role = NewRole {
        name: role_name(body.required_str("role_name")?)?,
        permissions: permissions(&body.required_strings("permissions")?)?,
        description: body.optional_str("description")?.map(str::to_owned),
    };
    Ok(Json(state.store.create_role(&org, &role).await?.to_wire()))
}

pub async fn retrieve(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Role>, ApiError> {
    let id = RoleId::from_request(&id);
    Ok(Json(state.store.get_role(&org, &id).await?.to_wire()))
}

pub async fn update(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(id): ApiPath<String>,
    LimitedBody(body): LimitedBody,
) -> Result<Json<Role>, ApiError> {
    let body = BodyObject::parse(&body)?;
    body.only(&FIELDS)?;
    let change = RoleChange {
        name: body.optional_str("role_name")?.map(role_name).transpose()?,
        permissions: body
            .optional_strings("permissions")?
            .map(|given| permissions(&given))
            .transpose()?,
        description: body.optional_str("description")?.map(str::to_owned),
    };
    let id = RoleId::from_request(&id);
    Ok(Json(
        state.store.update_role(&org, &id, &change).await?.to_wire(),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Deleted>, ApiError> {
    let id = RoleId::from_request(&id);
    state.store.delete_role(&org, &id).await?;
    Ok(Json(Deleted::new(ROLE_DELETED_OBJECT, id.as_str())))
}
