//! Handlers of `/v1/organization/users/{user_id}/roles`: extract, call the store once, answer.

use axum::Json;
use axum::extract::State;
use orgusers_api::list::{NextList, Unassigned};
use orgusers_api::roles::{
    AssignedRole, USER_ROLE_DELETED_OBJECT, USER_ROLE_OBJECT, UserRoleAssignment,
};
use orgusers_store::StoreError;
use orgusers_store::body::BodyObject;
use orgusers_store::ids::RoleId;
use orgusers_store::page::{ListBounds, ListScope};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Authenticated, LimitedBody, QueryString};
use crate::list::next_list;
use crate::params;

/// The `role_id` of an assignment body (users' and groups').
pub fn assigned_role(body: &[u8]) -> Result<RoleId, ApiError> {
    let body = BodyObject::parse(body)?;
    body.only(&["role_id"])?;
    Ok(RoleId::from_request(body.required_str("role_id")?))
}

pub async fn list(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(user): ApiPath<String>,
    QueryString(query): QueryString,
) -> Result<Json<NextList<AssignedRole>>, ApiError> {
    let scope = ListScope {
        list: "user.roles",
        org: &org,
        parent: &user,
    };
    let key = state.store.cursor_key();
    let query = params::next_query(query.as_deref(), ListBounds::ASSIGNMENTS, &scope, key)?;
    let page = state.store.list_user_roles(&org, &user, &query).await?;
    Ok(Json(next_list(page, &scope, key, Clone::clone)))
}

pub async fn assign(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(user): ApiPath<String>,
    LimitedBody(body): LimitedBody,
) -> Result<Json<UserRoleAssignment>, ApiError> {
    let role = assigned_role(&body)?;
    match state.store.assign_user_role(&org, &user, &role).await {
        Ok((user, role)) => Ok(Json(UserRoleAssignment {
            object: USER_ROLE_OBJECT.to_owned(),
            user,
            role: role.to_wire(),
        })),
        Err(StoreError::LastOwner) => Err(ApiError::LastOwner {
            param: Some("role_id"),
        }),
        Err(e) => Err(e.into()),
    }
}

pub async fn retrieve(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath((user, role)): ApiPath<(String, String)>,
) -> Result<Json<AssignedRole>, ApiError> {
    let role = RoleId::from_request(&role);
    Ok(Json(state.store.get_user_role(&org, &user, &role).await?))
}

pub async fn unassign(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath((user, role)): ApiPath<(String, String)>,
) -> Result<Json<Unassigned>, ApiError> {
    let role = RoleId::from_request(&role);
    state.store.unassign_user_role(&org, &user, &role).await?;
    Ok(Json(Unassigned::new(USER_ROLE_DELETED_OBJECT)))
}
