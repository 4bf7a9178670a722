//! The HTTP layer of orgusers. It translates OpenAI admin API requests into [`Store`] calls and
//! their results into the API's wire format; it decides nothing itself.
//!
//! [`router`] builds the axum application; [`serve`] runs it on a listener with the timeouts a
//! public server needs.

pub mod access_log;
mod admin_api_keys;
mod audit_logs;
mod console;
mod control;
mod drain;
mod error;
mod extract;
mod groups;
pub mod head;
mod invites;
mod keys;
mod list;
pub mod params;
mod project_keys;
mod projects;
mod roles;
mod service_accounts;
mod stamp;
mod user_roles;
mod users;

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{Method, Uri};
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use orgusers_store::Store;
use tokio::net::TcpListener;

pub use access_log::{AccessEntry, AccessLog, TracingAccessLog};
pub use error::ApiError;
pub use keys::KEY_CACHE_TTL;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    store: Arc<dyn Store>,
    keys: Arc<keys::KeyCache>,
    access_log: Arc<dyn AccessLog>,
    /// Whether the control endpoints (`/_orgusers/…`) are served.
    control: bool,
    /// The injected faults of every organization (`/_orgusers/faults`), in this process.
    faults: Arc<control::faults::Faults>,
    /// Every organization's last requests (`/_orgusers/requests`), in this process.
    journal: Arc<control::journal::Journal>,
    /// Whether the web console (`/console/…`) is served.
    console: bool,
    /// The console's sign-in attempts per client address, in this process.
    sign_ins: Arc<console::SignInLimiter>,
}

impl AppState {
    /// State around a store; request lines go to `tracing` ([`TracingAccessLog`]).
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            keys: Arc::default(),
            access_log: Arc::new(TracingAccessLog),
            control: true,
            faults: Arc::default(),
            journal: Arc::default(),
            console: true,
            sign_ins: Arc::default(),
        }
    }

    /// The same state without the web console: `/console/…` answers as unknown paths
    /// (`serve --no-console`).
    pub fn without_console(self) -> Self {
        Self {
            console: false,
            ..self
        }
    }

    /// The same state without the control endpoints: they answer as unknown paths
    /// (`serve --no-control`, for deployments that serve real organizations).
    pub fn without_control(self) -> Self {
        Self {
            control: false,
            ..self
        }
    }

    /// The same state with request lines going to `access_log`.
    pub fn with_access_log(self, access_log: Arc<dyn AccessLog>) -> Self {
        Self { access_log, ..self }
    }
}

/// Limits that protect the server from slow or stuck clients and requests.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time allowed for a client to send the request head.
    pub header_read: Duration,
    /// Time allowed for the whole body to arrive, from the end of the head; a body that has not
    /// arrived by then is answered `408`.
    pub body_read: Duration,
    /// Time allowed for handling one request beyond `body_read`: a request not answered within
    /// `body_read + request` of its head is answered `500`.
    pub request: Duration,
    /// Time allowed for open requests to finish at shutdown.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(30),
            request: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The application: every route of the API, the catch-all for unknown paths and methods, and
/// the middleware that stamps headers, logs and bounds each request.
pub fn router(state: AppState, limits: Limits) -> Router {
    let stamping = stamp::Stamping {
        limits,
        access_log: Arc::clone(&state.access_log),
        // Without the control endpoints nobody can read the journal: nothing is recorded.
        journal: state.control.then(|| Arc::clone(&state.journal)),
    };
    let control = if state.control {
        control::routes()
    } else {
        Router::new()
    };
    let console = if state.console {
        console::routes()
    } else {
        Router::new()
    };
    Router::new()
        .route("/health", get(users::health))
        .route("/v1/organization/users", get(users::list))
        .route(
            "/v1/organization/users/{user_id}",
            get(users::retrieve)
                .post(users::modify)
                .delete(users::delete),
        )
        .merge(directory_routes())
        .merge(control)
        .merge(console)
        .fallback(invalid_url)
        .method_not_allowed_fallback(invalid_url)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            stamp::panic_response,
        ))
        .layer(axum::middleware::from_fn_with_state(stamping, stamp::stamp))
        .with_state(state)
}

/// The organization directory around users: one block per resource.
fn directory_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/organization/admin_api_keys",
            get(admin_api_keys::list).post(admin_api_keys::create),
        )
        .route(
            "/v1/organization/admin_api_keys/{key_id}",
            get(admin_api_keys::retrieve).delete(admin_api_keys::delete),
        )
        .route("/v1/organization/audit_logs", get(audit_logs::list))
        .route(
            "/v1/organization/roles",
            get(roles::list).post(roles::create),
        )
        .route(
            "/v1/organization/roles/{role_id}",
            get(roles::retrieve)
                .post(roles::update)
                .delete(roles::delete),
        )
        .route(
            "/v1/organization/users/{user_id}/roles",
            get(user_roles::list).post(user_roles::assign),
        )
        .route(
            "/v1/organization/users/{user_id}/roles/{role_id}",
            get(user_roles::retrieve).delete(user_roles::unassign),
        )
        .route(
            "/v1/organization/groups",
            get(groups::list).post(groups::create),
        )
        .route(
            "/v1/organization/groups/{group_id}",
            get(groups::retrieve)
                .post(groups::rename)
                .delete(groups::delete),
        )
        .route(
            "/v1/organization/groups/{group_id}/users",
            get(groups::list_users).post(groups::add_user),
        )
        .route(
            "/v1/organization/groups/{group_id}/users/{user_id}",
            get(groups::retrieve_user).delete(groups::remove_user),
        )
        .route(
            "/v1/organization/groups/{group_id}/roles",
            get(groups::list_roles).post(groups::assign_role),
        )
        .route(
            "/v1/organization/groups/{group_id}/roles/{role_id}",
            get(groups::retrieve_role).delete(groups::unassign_role),
        )
        .route(
            "/v1/organization/invites",
            get(invites::list).post(invites::create),
        )
        .route(
            "/v1/organization/invites/{invite_id}",
            get(invites::retrieve).delete(invites::delete),
        )
        .route(
            "/v1/organization/projects",
            get(projects::list).post(projects::create),
        )
        .route(
            "/v1/organization/projects/{project_id}",
            get(projects::retrieve).post(projects::modify),
        )
        .route(
            "/v1/organization/projects/{project_id}/archive",
            post(projects::archive),
        )
        .route(
            "/v1/organization/projects/{project_id}/users",
            get(projects::list_users).post(projects::add_user),
        )
        .route(
            "/v1/organization/projects/{project_id}/users/{user_id}",
            get(projects::retrieve_user)
                .post(projects::modify_user)
                .delete(projects::remove_user),
        )
        .route(
            "/v1/organization/projects/{project_id}/groups",
            get(projects::list_groups).post(projects::add_group),
        )
        .route(
            "/v1/organization/projects/{project_id}/groups/{group_id}",
            get(projects::retrieve_group).delete(projects::remove_group),
        )
        .route(
            "/v1/organization/projects/{project_id}/service_accounts",
            get(service_accounts::list).post(service_accounts::create),
        )
        .route(
            "/v1/organization/projects/{project_id}/service_accounts/{service_account_id}",
            get(service_accounts::retrieve)
                .post(service_accounts::modify)
                .delete(service_accounts::delete),
        )
        .route(
            "/v1/organization/projects/{project_id}/service_accounts/{service_account_id}/api_keys",
            post(service_accounts::create_key),
        )
        .route(
            "/v1/organization/projects/{project_id}/api_keys",
            get(project_keys::list),
        )
        .route(
            "/v1/organization/projects/{project_id}/api_keys/{api_key_id}",
            get(project_keys::retrieve).delete(project_keys::delete),
        )
}

async fn invalid_url(method: Method, uri: Uri) -> ApiError {
    ApiError::InvalidUrl {
        method,
        path: uri.path().to_owned(),
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open requests finish for at
/// most [`Limits::shutdown_grace`].
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // hyper's own head limits sit above the guard's, so that the guard's refusals, in the
        // OpenAI envelope, are the ones clients see.
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read)
            .max_buf_size(head::MAX_HEAD_BYTES + 64 * 1024)
            .max_headers(head::MAX_HEADER_COUNT + 8)
            .serve_connection(
                TokioIo::new(head::GuardedIo::new(stream)),
                // The peer's address, for what limits per client (the console's sign-ins).
                TowerToHyperService::new(tower::ServiceExt::map_request(
                    app.clone(),
                    move |mut req: axum::http::Request<hyper::body::Incoming>| {
                        req.extensions_mut()
                            .insert(axum::extract::ConnectInfo(peer));
                        req
                    },
                )),
            );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection closed with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still open at the end of the shutdown grace time");
    }
    Ok(())
}
