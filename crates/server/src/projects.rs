//! Handlers of `/v1/organization/projects`, its `users` and its `groups`: extract, call the
//! store once, answer.

use axum::Json;
use axum::extract::State;
use orgusers_api::list::{Deleted, FirstList, NextList, Unassigned};
use orgusers_api::projects::{
    PROJECT_GROUP_DELETED_OBJECT, PROJECT_USER_DELETED_OBJECT, Project, ProjectGroup, ProjectUser,
};
use orgusers_store::EmailAddress;
use orgusers_store::body::{BodyObject, invalid};
use orgusers_store::ids::{GroupId, ProjectId};
use orgusers_store::page::{ListBounds, ListScope};
use orgusers_store::project_groups::ProjectGroupRecord;
use orgusers_store::projects::{
    MemberTarget, NewProject, ProjectChange, ProjectMember, ProjectName, ProjectRecord,
    ProjectRole, RESIDENCIES,
};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Authenticated, LimitedBody, QueryString};
use crate::list::{first_list, next_list};
use crate::params;

fn project_name(body: &BodyObject, field: &str) -> Result<Option<ProjectName>, ApiError> {
    body.optional_str(field)?
        .map(|name| ProjectName::parse(name).map_err(|e| invalid(field, e).into()))
        .transpose()
}

fn project_role(body: &BodyObject) -> Result<ProjectRole, ApiError> {
    // `required_enum` admits only the names of `ProjectRole::NAMES`.
    Ok(match body.required_enum("role", ProjectRole::NAMES)? {
        "owner" => ProjectRole::Owner,
        _ => ProjectRole::Member,
    })
}

pub async fn list(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    QueryString(query): QueryString,
) -> Result<Json<FirstList<Project>>, ApiError> {
    let raw = query.as_deref();
    let include_archived = params::flag(raw, "include_archived")?;
    let query = params::first_query(raw)?;
    let page = state
        .store
        .list_projects(&org, &query, include_archived)
        .await?;
    Ok(Json(first_list(page, ProjectRecord::to_project, |p| &p.id)))
}

pub async fn create(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    LimitedBody(body): LimitedBody,
) -> Result<Json<Project>, ApiError> {
    let body = BodyObject::parse(&body)?;
    body.only(&["name", "external_key_id", "residency"])?;
    let project = NewProject {
        name: ProjectName::parse(body.required_str("name")?).map_err(|e| invalid("name", e))?,
        external_key_id: body.optional_str("external_key_id")?.map(str::to_owned),
        residency: body.optional_enum("residency", RESIDENCIES)?,
    };
    let created = state.store.create_project(&org, &project).await?;
    Ok(Json(created.to_project()))
}

pub async fn retrieve(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Project>, ApiError> {
    let id = ProjectId::from_request(&id);
    Ok(Json(state.store.get_project(&org, &id).await?.to_project()))
}

pub async fn modify(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(id): ApiPath<String>,
    LimitedBody(body): LimitedBody,
) -> Result<Json<Project>, ApiError> {
    let body = BodyObject::parse(&body)?;
    body.only(&["name", "external_key_id"])?;
    let change = ProjectChange {
        name: project_name(&body, "name")?,
        external_key_id: body.optional_str("external_key_id")?.map(str::to_owned),
    };
    let id = ProjectId::from_request(&id);
    let project = state.store.modify_project(&org, &id, &change).await?;
    Ok(Json(project.to_project()))
}

pub async fn archive(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Project>, ApiError> {
    let id = ProjectId::from_request(&id);
    Ok(Json(
        state.store.archive_project(&org, &id).await?.to_project(),
    ))
}

pub async fn list_users(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(project): ApiPath<String>,
    QueryString(query): QueryString,
) -> Result<Json<FirstList<ProjectUser>>, ApiError> {
    let query = params::first_query(query.as_deref())?;
    let project = ProjectId::from_request(&project);
    let page = state
        .store
        .list_project_users(&org, &project, &query)
        .await?;
    Ok(Json(first_list(
        page,
        ProjectMember::to_project_user,
        |u| &u.id,
    )))
}

pub async fn add_user(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(project): ApiPath<String>,
    LimitedBody(body): LimitedBody,
) -> Result<Json<ProjectUser>, ApiError> {
    let body = BodyObject::parse(&body)?;
    body.only(&["user_id", "email", "role"])?;
    let user_id = body.optional_str("user_id")?.map(str::to_owned);
    let email = body
        .optional_str("email")?
        .map(|email| {
            EmailAddress::parse(email)
                .map(|email| email.folded().to_owned())
                .map_err(|e| invalid("email", e))
        })
        .transpose()?;
    if user_id.is_none() && email.is_none() {
        return Err(ApiError::Body(orgusers_store::body::BodyError::Missing(
            "user_id".into(),
        )));
    }
    let role = project_role(&body)?;
    let target = MemberTarget { user_id, email };
    let project = ProjectId::from_request(&project);
    let member = state
        .store
        .add_project_user(&org, &project, &target, role)
        .await?;
    Ok(Json(member.to_project_user()))
}

pub async fn retrieve_user(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath((project, user)): ApiPath<(String, String)>,
) -> Result<Json<ProjectUser>, ApiError> {
    let project = ProjectId::from_request(&project);
    let member = state.store.get_project_user(&org, &project, &user).await?;
    Ok(Json(member.to_project_user()))
}

pub async fn modify_user(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath((project, user)): ApiPath<(String, String)>,
    LimitedBody(body): LimitedBody,
) -> Result<Json<ProjectUser>, ApiError> {
    let body = BodyObject::parse(&body)?;
    body.only(&["role"])?;
    let role = project_role(&body)?;
    let project = ProjectId::from_request(&project);
    let member = state
        .store
        .modify_project_user(&org, &project, &user, role)
        .await?;
    Ok(Json(member.to_project_user()))
}

pub async fn remove_user(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath((project, user)): ApiPath<(String, String)>,
) -> Result<Json<Deleted>, ApiError> {
    let project = ProjectId::from_request(&project);
    state
        .store
        .remove_project_user(&org, &project, &user)
        .await?;
    Ok(Json(Deleted::new(PROJECT_USER_DELETED_OBJECT, user)))
}

pub async fn list_groups(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(project): ApiPath<String>,
    QueryString(query): QueryString,
) -> Result<Json<NextList<ProjectGroup>>, ApiError> {
    let scope = ListScope {
        list: "project.groups",
        org: &org,
        parent: &project,
    };
    let key = state.store.cursor_key();
    let query = params::next_query(query.as_deref(), ListBounds::PROJECT_GROUPS, &scope, key)?;
    let project = ProjectId::from_request(&project);
    let page = state
        .store
        .list_project_groups(&org, &project, &query)
        .await?;
    Ok(Json(next_list(
        page,
        &scope,
        key,
        ProjectGroupRecord::to_wire,
    )))
}

pub async fn add_group(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(project): ApiPath<String>,
    LimitedBody(body): LimitedBody,
) -> Result<Json<ProjectGroup>, ApiError> {
    let body = BodyObject::parse(&body)?;
    body.only(&["group_id", "role"])?;
    let group = GroupId::from_request(body.required_str("group_id")?);
    let role = body.required_str("role")?;
    let project = ProjectId::from_request(&project);
    let granted = state
        .store
        .add_project_group(&org, &project, &group, role)
        .await?;
    Ok(Json(granted.to_wire()))
}

pub async fn retrieve_group(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath((project, group)): ApiPath<(String, String)>,
) -> Result<Json<ProjectGroup>, ApiError> {
    let (project, group) = (
        ProjectId::from_request(&project),
        GroupId::from_request(&group),
    );
    let granted = state
        .store
        .get_project_group(&org, &project, &group)
        .await?;
    Ok(Json(granted.to_wire()))
}

pub async fn remove_group(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath((project, group)): ApiPath<(String, String)>,
) -> Result<Json<Unassigned>, ApiError> {
    let (project, group) = (
        ProjectId::from_request(&project),
        GroupId::from_request(&group),
    );
    state
        .store
        .remove_project_group(&org, &project, &group)
        .await?;
    Ok(Json(Unassigned::new(PROJECT_GROUP_DELETED_OBJECT)))
}
