//! Handlers of `/v1/organization/groups` and its `users` and `roles`: extract, call the store
//! once, answer.

use axum::Json;
use axum::extract::State;
use orgusers_api::groups::{
    GROUP_DELETED_OBJECT, GROUP_USER_DELETED_OBJECT, GROUP_USER_OBJECT, GroupInfo, GroupMember,
    GroupRenamed, GroupUser, GroupUserAssignment,
};
use orgusers_api::list::{Deleted, NextList, Unassigned};
use orgusers_api::roles::{
    AssignedRole, GROUP_ROLE_DELETED_OBJECT, GROUP_ROLE_OBJECT, GroupRoleAssignment,
};
use orgusers_store::body::{BodyObject, invalid};
use orgusers_store::groups::{GroupName, GroupRecord, MemberRecord};
use orgusers_store::ids::{GroupId, RoleId};
use orgusers_store::page::{ListBounds, ListScope};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Authenticated, LimitedBody, QueryString};
use crate::list::next_list;
use crate::params;
use crate::user_roles::assigned_role;

fn group_name(body: &[u8]) -> Result<GroupName, ApiError> {
    let body = BodyObject::parse(body)?;
    body.only(&["name"])?;
    GroupName::parse(body.required_str("name")?).map_err(|e| invalid("name", e).into())
}

pub async fn list(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    QueryString(query): QueryString,
) -> Result<Json<NextList<GroupInfo>>, ApiError> {
    let scope = ListScope {
        list: "groups",
        org: &org,
        parent: "",
    };
    let key = state.store.cursor_key();
    let query = params::next_query(query.as_deref(), ListBounds::GROUPS, &scope, key)?;
    let page = state.store.list_groups(&org, &query).await?;
    Ok(Json(next_list(page, &scope, key, GroupRecord::to_info)))
}

pub async fn create(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    LimitedBody(body): LimitedBody,
) -> Result<Json<GroupInfo>, ApiError> {
    let name = group_name(&body)?;
    Ok(Json(state.store.create_group(&org, &name).await?.to_info()))
}

pub async fn retrieve(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<GroupInfo>, ApiError> {
    let id = GroupId::from_request(&id);
    Ok(Json(state.store.get_group(&org, &id).await?.to_info()))
}

pub async fn rename(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(id): ApiPath<String>,
    LimitedBody(body): LimitedBody,
) -> Result<Json<GroupRenamed>, ApiError> {
    let name = group_name(&body)?;
    let id = GroupId::from_request(&id);
    Ok(Json(
        state
            .store
            .rename_group(&org, &id, &name)
            .await?
            .to_renamed(),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Deleted>, ApiError> {
    let id = GroupId::from_request(&id);
    state.store.delete_group(&org, &id).await?;
    Ok(Json(Deleted::new(GROUP_DELETED_OBJECT, id.as_str())))
}

pub async fn list_users(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(group): ApiPath<String>,
    QueryString(query): QueryString,
) -> Result<Json<NextList<GroupUser>>, ApiError> {
    let scope = ListScope {
        list: "group.users",
        org: &org,
        parent: &group,
    };
    let key = state.store.cursor_key();
    let query = params::next_query(query.as_deref(), ListBounds::GROUP_USERS, &scope, key)?;
    let group = GroupId::from_request(&group);
    let page = state.store.list_group_users(&org, &group, &query).await?;
    Ok(Json(next_list(
        page,
        &scope,
        key,
        MemberRecord::to_list_item,
    )))
}

pub async fn add_user(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(group): ApiPath<String>,
    LimitedBody(body): LimitedBody,
) -> Result<Json<GroupUserAssignment>, ApiError> {
    let body = BodyObject::parse(&body)?;
    body.only(&["user_id"])?;
    let user = body.required_str("user_id")?;
    let group = GroupId::from_request(&group);
    state.store.add_group_user(&org, &group, user).await?;
    Ok(Json(GroupUserAssignment {
        object: GROUP_USER_OBJECT.to_owned(),
        user_id: user.to_owned(),
        group_id: group.to_string(),
    }))
}

pub async fn retrieve_user(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath((group, user)): ApiPath<(String, String)>,
) -> Result<Json<GroupMember>, ApiError> {
    let group = GroupId::from_request(&group);
    let member = state.store.get_group_user(&org, &group, &user).await?;
    Ok(Json(member.to_member()))
}

pub async fn remove_user(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath((group, user)): ApiPath<(String, String)>,
) -> Result<Json<Unassigned>, ApiError> {
    let group = GroupId::from_request(&group);
    state.store.remove_group_user(&org, &group, &user).await?;
    Ok(Json(Unassigned::new(GROUP_USER_DELETED_OBJECT)))
}

pub async fn list_roles(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(group): ApiPath<String>,
    QueryString(query): QueryString,
) -> Result<Json<NextList<AssignedRole>>, ApiError> {
    let scope = ListScope {
        list: "group.roles",
        org: &org,
        parent: &group,
    };
    let key = state.store.cursor_key();
    let query = params::next_query(query.as_deref(), ListBounds::ASSIGNMENTS, &scope, key)?;
    let group = GroupId::from_request(&group);
    let page = state.store.list_group_roles(&org, &group, &query).await?;
    Ok(Json(next_list(page, &scope, key, |role| {
        role.to_assigned(None)
    })))
}

pub async fn assign_role(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(group): ApiPath<String>,
    LimitedBody(body): LimitedBody,
) -> Result<Json<GroupRoleAssignment>, ApiError> {
    let role = assigned_role(&body)?;
    let group = GroupId::from_request(&group);
    let (group, role) = state.store.assign_group_role(&org, &group, &role).await?;
    Ok(Json(GroupRoleAssignment {
        object: GROUP_ROLE_OBJECT.to_owned(),
        group: group.to_group(),
        role: role.to_wire(),
    }))
}

pub async fn retrieve_role(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath((group, role)): ApiPath<(String, String)>,
) -> Result<Json<AssignedRole>, ApiError> {
    let (group, role) = (GroupId::from_request(&group), RoleId::from_request(&role));
    let held = state.store.get_group_role(&org, &group, &role).await?;
    Ok(Json(held.to_assigned(None)))
}

pub async fn unassign_role(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath((group, role)): ApiPath<(String, String)>,
) -> Result<Json<Unassigned>, ApiError> {
    let (group, role) = (GroupId::from_request(&group), RoleId::from_request(&role));
    state.store.unassign_group_role(&org, &group, &role).await?;
    Ok(Json(Unassigned::new(GROUP_ROLE_DELETED_OBJECT)))
}
