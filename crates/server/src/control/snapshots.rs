//! `POST /_orgusers/reset` and `/_orgusers/snapshots…`: empty the calling organization, or save
//! and restore its whole state.

use axum::extract::State;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use orgusers_api::control::{ControlList, Reset, Snapshot, SnapshotDeleted};
use orgusers_store::body::{BodyObject, invalid};
use orgusers_store::snapshots::{SnapshotInfo, SnapshotName};
use orgusers_store::{Kind, StoreError};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Authenticated, LimitedBody};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/_orgusers/reset", post(reset))
        .route("/_orgusers/snapshots", get(list).post(save))
        .route("/_orgusers/snapshots/{name}", delete(remove))
        .route("/_orgusers/snapshots/{name}/restore", post(restore))
}

fn snapshot(info: SnapshotInfo) -> Snapshot {
    Snapshot::new(info.name, info.created_at)
}

/// A name in a path: one that is no valid name names no snapshot.
fn named(name: &str) -> Result<SnapshotName, ApiError> {
    SnapshotName::parse(name).map_err(|_| StoreError::not_found(Kind::Snapshot, name).into())
}

async fn reset(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
) -> Result<Json<Reset>, ApiError> {
    state.store.reset(&org).await?;
    Ok(Json(Reset::new(org.as_str())))
}

async fn save(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    LimitedBody(body): LimitedBody,
) -> Result<Json<Snapshot>, ApiError> {
    let body = BodyObject::parse(&body)?;
    body.only(&["name"])?;
    let name = SnapshotName::parse(body.required_str("name")?).map_err(|e| invalid("name", e))?;
    Ok(Json(snapshot(
        state.store.save_snapshot(&org, &name).await?,
    )))
}

async fn list(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
) -> Result<Json<ControlList<Snapshot>>, ApiError> {
    let found = state.store.list_snapshots(&org).await?;
    Ok(Json(ControlList::new(
        found.into_iter().map(snapshot).collect(),
    )))
}

async fn restore(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<Snapshot>, ApiError> {
    let name = named(&name)?;
    Ok(Json(snapshot(
        state.store.restore_snapshot(&org, &name).await?,
    )))
}

async fn remove(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<SnapshotDeleted>, ApiError> {
    let name = named(&name)?;
    state.store.delete_snapshot(&org, &name).await?;
    Ok(Json(SnapshotDeleted::new(name.as_str())))
}
