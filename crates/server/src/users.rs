//! Handlers of `/v1/organization/users`: extract, call the store once, answer.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use orgusers_api::{Health, User, UserDeleted};
use orgusers_store::StoreError;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Authenticated, LimitedBody, QueryString, UserIdParam};
use crate::params;

/// A JSON body the store has already written (see `Store::list_users_json`).
pub struct JsonBytes(pub Vec<u8>);

impl IntoResponse for JsonBytes {
    fn into_response(self) -> Response {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            self.0,
        )
            .into_response()
    }
}

pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.store.ping().await?;
    Ok(Json(Health {
        status: "ok".to_owned(),
    }))
}

pub async fn list(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    QueryString(query): QueryString,
) -> Result<JsonBytes, ApiError> {
    let query = params::list_query(query.as_deref())?;
    Ok(JsonBytes(state.store.list_users_json(&org, &query).await?))
}

pub async fn retrieve(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    UserIdParam(id): UserIdParam,
) -> Result<JsonBytes, ApiError> {
    Ok(JsonBytes(state.store.get_user_json(&org, &id).await?))
}

pub async fn modify(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    UserIdParam(id): UserIdParam,
    LimitedBody(body): LimitedBody,
) -> Result<Json<User>, ApiError> {
    let change = params::user_change(&body, &org)?;
    match state.store.update_user(&org, &id, &change).await {
        Ok(user) => Ok(Json(user)),
        Err(StoreError::LastOwner) => Err(ApiError::LastOwner {
            param: Some("role"),
        }),
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    UserIdParam(id): UserIdParam,
) -> Result<Json<UserDeleted>, ApiError> {
    state.store.delete_user(&org, &id).await?;
    Ok(Json(UserDeleted::new(id)))
}
