//! Handlers of `/v1/organization/projects/{project_id}/service_accounts` and the keys made for
//! them: extract, call the store once, answer.

use axum::Json;
use axum::extract::State;
use orgusers_api::list::{Deleted, FirstList};
use orgusers_api::projects::{
    SERVICE_ACCOUNT_DELETED_OBJECT, ServiceAccount, ServiceAccountApiKey, ServiceAccountCreated,
};
use orgusers_store::body::{BodyObject, invalid};
use orgusers_store::ids::{ProjectId, ServiceAccountId};
use orgusers_store::project_keys::{KeyName, KeyScopes};
use orgusers_store::projects::ProjectRole;
use orgusers_store::service_accounts::{
    NewServiceAccount, ServiceAccountChange, ServiceAccountName, ServiceAccountRecord,
};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Authenticated, LimitedBody, QueryString};
use crate::list::first_list;
use crate::params;

fn account_name(body: &BodyObject) -> Result<Option<ServiceAccountName>, ApiError> {
    body.present_str("name")?
        .map(|name| ServiceAccountName::parse(name).map_err(|e| invalid("name", e).into()))
        .transpose()
}

pub async fn list(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(project): ApiPath<String>,
    QueryString(query): QueryString,
) -> Result<Json<FirstList<ServiceAccount>>, ApiError> {
    let query = params::first_query(query.as_deref())?;
    let project = ProjectId::from_request(&project);
    let page = state
        .store
        .list_service_accounts(&org, &project, &query)
        .await?;
    Ok(Json(first_list(page, ServiceAccountRecord::to_wire, |a| {
        &a.id
    })))
}

pub async fn create(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(project): ApiPath<String>,
    LimitedBody(body): LimitedBody,
) -> Result<Json<ServiceAccountCreated>, ApiError> {
    let body = BodyObject::parse(&body)?;
    body.only(&["name", "create_service_account_only"])?;
    let new = NewServiceAccount {
        name: ServiceAccountName::parse(body.required_str("name")?)
            .map_err(|e| invalid("name", e))?,
        without_key: body
            .optional_bool("create_service_account_only")?
            .unwrap_or(false),
    };
    let project = ProjectId::from_request(&project);
    let created = state
        .store
        .create_service_account(&org, &project, &new)
        .await?;
    Ok(Json(created.to_wire()))
}

pub async fn retrieve(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath((project, id)): ApiPath<(String, String)>,
) -> Result<Json<ServiceAccount>, ApiError> {
    let project = ProjectId::from_request(&project);
    let id = ServiceAccountId::from_request(&id);
    let account = state.store.get_service_account(&org, &project, &id).await?;
    Ok(Json(account.to_wire()))
}

pub async fn modify(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath((project, id)): ApiPath<(String, String)>,
    LimitedBody(body): LimitedBody,
) -> Result<Json<ServiceAccount>, ApiError> {
    let body = BodyObject::parse(&body)?;
    body.only(&["name", "role"])?;
    let name = account_name(&body)?;
    // `role: null` is refused like a wrong type: an account always has a role.
    body.present_str("role")?;
    let role = body
        .optional_enum("role", ProjectRole::NAMES)?
        .map(|role| {
            ProjectRole::parse(role).ok_or_else(|| ApiError::Internal(anyhow::anyhow!("{role}")))
        })
        .transpose()?;
    let change = ServiceAccountChange { name, role };
    let project = ProjectId::from_request(&project);
    let id = ServiceAccountId::from_request(&id);
    let account = state
        .store
        .modify_service_account(&org, &project, &id, &change)
        .await?;
    Ok(Json(account.to_wire()))
}

pub async fn delete(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath((project, id)): ApiPath<(String, String)>,
) -> Result<Json<Deleted>, ApiError> {
    let project = ProjectId::from_request(&project);
    let id = ServiceAccountId::from_request(&id);
    state
        .store
        .delete_service_account(&org, &project, &id)
        .await?;
    Ok(Json(Deleted::new(
        SERVICE_ACCOUNT_DELETED_OBJECT,
        id.as_str(),
    )))
}

pub async fn create_key(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath((project, id)): ApiPath<(String, String)>,
    LimitedBody(body): LimitedBody,
) -> Result<Json<ServiceAccountApiKey>, ApiError> {
    // The spec does not require a body here: none is the same as `{}`.
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        BodyObject::parse(b"{}")?
    } else {
        BodyObject::parse(&body)?
    };
    body.only(&["name", "scopes"])?;
    let name = match body.optional_str("name")? {
        None => KeyName::default_name(),
        Some(name) => KeyName::parse(name).map_err(|e| invalid("name", e))?,
    };
    let scopes = body.optional_strings("scopes")?.unwrap_or_default();
    let scopes = KeyScopes::parse(scopes).map_err(|(i, e)| invalid(&format!("scopes[{i}]"), e))?;
    let project = ProjectId::from_request(&project);
    let id = ServiceAccountId::from_request(&id);
    let key = state
        .store
        .create_service_account_key(&org, &project, &id, name, scopes)
        .await?;
    Ok(Json(key.to_wire()))
}
