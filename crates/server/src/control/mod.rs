//! The emulator's own endpoints, under `/_orgusers/` (never under `/v1`): reset, snapshots,
//! invite acceptance, the organization's clock, injected faults and the request journal. Each
//! acts on the calling key's organization only. `serve --no-control` leaves them out of the
//! router, so that they answer as unknown paths.

use axum::Router;

use crate::AppState;

mod clock;
pub(crate) mod faults;
mod invites;
pub(crate) mod journal;
mod snapshots;

/// Every control route.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(faults::routes())
        .merge(journal::routes())
        .merge(clock::routes())
        .merge(snapshots::routes())
        .merge(invites::routes())
}
