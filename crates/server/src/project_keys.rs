//! Handlers of `/v1/organization/projects/{project_id}/api_keys`: extract, call the store once,
//! answer.

use axum::Json;
use axum::extract::State;
use orgusers_api::list::{Deleted, FirstList};
use orgusers_api::projects::{PROJECT_API_KEY_DELETED_OBJECT, ProjectApiKey};
use orgusers_store::ids::{ApiKeyId, ProjectId};
use orgusers_store::project_keys::{OwnerAccess, ProjectKeyRecord};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Authenticated, QueryString};
use crate::list::first_list;
use crate::params;

pub async fn list(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(project): ApiPath<String>,
    QueryString(query): QueryString,
) -> Result<Json<FirstList<ProjectApiKey>>, ApiError> {
    let raw = query.as_deref();
    let access = params::choice(raw, "owner_project_access", OwnerAccess::FILTERS)?
        .and_then(OwnerAccess::filter);
    let query = params::first_query(raw)?;
    let project = ProjectId::from_request(&project);
    let page = state
        .store
        .list_project_keys(&org, &project, &query, access)
        .await?;
    Ok(Json(first_list(page, ProjectKeyRecord::to_wire, |k| &k.id)))
}

pub async fn retrieve(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath((project, id)): ApiPath<(String, String)>,
) -> Result<Json<ProjectApiKey>, ApiError> {
    let project = ProjectId::from_request(&project);
    let id = ApiKeyId::from_request(&id);
    let key = state.store.get_project_key(&org, &project, &id).await?;
    Ok(Json(key.to_wire()))
}

pub async fn delete(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath((project, id)): ApiPath<(String, String)>,
) -> Result<Json<Deleted>, ApiError> {
    let project = ProjectId::from_request(&project);
    let id = ApiKeyId::from_request(&id);
    state.store.delete_project_key(&org, &project, &id).await?;
    Ok(Json(Deleted::new(
        PROJECT_API_KEY_DELETED_OBJECT,
        id.as_str(),
    )))
}
