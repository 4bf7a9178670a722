//! Handlers of `/v1/organization/admin_api_keys`: the calling organization's admin keys, the
//! same ones `orgusers keys` manages. Extract, call the store once, answer.

use axum::Json;
use axum::extract::State;
use orgusers_api::admin_api_keys::{
    ADMIN_API_KEY_DELETED_OBJECT, AdminApiKey, AdminApiKeyCreated, AdminApiKeyList,
};
use orgusers_api::list::Deleted;
use orgusers_store::body::{BodyError, BodyObject, invalid};
use orgusers_store::keys::{AdminKeyRecord, KeyLifetime};
use orgusers_store::page::SortOrder;
use serde_json::Value;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Authenticated, LimitedBody, QueryString};
use crate::list::first_list;
use crate::params;

/// The values `order` takes.
const ORDERS: &[&str] = &["asc", "desc"];

pub async fn list(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    QueryString(query): QueryString,
) -> Result<Json<AdminApiKeyList>, ApiError> {
    let raw = query.as_deref();
    let order = params::choice(raw, "order", ORDERS)?
        .and_then(SortOrder::parse)
        .unwrap_or_default();
    let query = params::first_query(raw)?;
    let page = state.store.list_admin_keys(&org, &query, order).await?;
    Ok(Json(first_list(page, AdminKeyRecord::to_wire, |k| &k.id)))
}

pub async fn create(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    LimitedBody(body): LimitedBody,
) -> Result<Json<AdminApiKeyCreated>, ApiError> {
    let body = BodyObject::parse(&body)?;
    body.only(&["name", "expires_in_seconds"])?;
    let name = body.required_str("name")?;
    let lifetime = lifetime_in(&body)?;
    let (record, key) = state.store.create_admin_key(&org, name, lifetime).await?;
    Ok(Json(AdminApiKeyCreated {
        key: record.to_wire(),
        value: key.expose().to_owned(),
    }))
}

/// `expires_in_seconds`: absent for a key that never expires, else an integer of 1 to a year
/// (the spec does not let it be `null`). An integer too large for 64 bits is out of range, not
/// of the wrong type.
fn lifetime_in(body: &BodyObject) -> Result<Option<KeyLifetime>, BodyError> {
    const FIELD: &str = "expires_in_seconds";
    if let Some(Value::Number(n)) = body.get(FIELD)
        && n.as_i64().is_none()
        && n.as_u64().is_some()
    {
        return Err(invalid(
            FIELD,
            format!(
                "expected a value between 1 and {}, but got {n} instead",
                orgusers_store::keys::MAX_EXPIRES_IN_SECONDS
            ),
        ));
    }
    body.present_i64(FIELD)?
        .map(|seconds| KeyLifetime::parse(seconds).map_err(|e| invalid(FIELD, e)))
        .transpose()
}

pub async fn retrieve(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AdminApiKey>, ApiError> {
    Ok(Json(state.store.get_admin_key(&org, &id).await?.to_wire()))
}

pub async fn delete(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Deleted>, ApiError> {
    state.store.delete_admin_key(&org, &id).await?;
    // This server stops trusting the key at once (a key may delete itself); the others within
    // the cache's one second.
    state.keys.forget(&id);
    Ok(Json(Deleted::new(ADMIN_API_KEY_DELETED_OBJECT, id)))
}
