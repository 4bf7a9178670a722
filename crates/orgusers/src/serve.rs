//! `orgusers serve`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use orgusers_server::{AccessLog, AppState, Limits};
use orgusers_store::AdminKey;
use tokio::net::TcpListener;

use crate::StoreArgs;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, env = "ORGUSERS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    store: StoreArgs,
    /// Make sure this admin key opens the default organization (repeatable).
    #[arg(long = "admin-key", value_name = "KEY", value_parser = parse_admin_key)]
    admin_keys: Vec<AdminKey>,
    /// How long a client has to send a request body, from the end of its head; a body not
    /// arrived by then is answered 408 and the connection closed (e.g. 30s, 500ms).
    #[arg(long, env = "ORGUSERS_BODY_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    body_timeout: std::time::Duration,
}

fn parse_admin_key(s: &str) -> Result<AdminKey, String> {
    AdminKey::parse(s).map_err(|e| e.0)
}

/// Serves until Ctrl-C or SIGTERM, sending one line per request to `access_log`.
pub async fn run(args: ServeArgs, access_log: Arc<dyn AccessLog>) -> anyhow::Result<()> {
    let store = args.store.open().await?;
    let mut new_key = None;
    if args.admin_keys.is_empty() {
        if store.default_organization().await?.is_none() {
            let org = store.ensure_organization(None).await?;
            let key = AdminKey::generate();
            store.create_key(&org, "first start", &key).await?;
            new_key = Some((org, key));
        }
    } else {
        let org = store.ensure_organization(None).await?;
        for key in &args.admin_keys {
            store
                .ensure_key(&org, key)
                .await
                .with_context(|| format!("cannot install admin key {}", key.masked()))?;
        }
    }

    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{addr}")?;
    if let Some((org, key)) = &new_key {
        writeln!(
            stdout,
            "created organization {org} and its admin key (shown only now):"
        )?;
        writeln!(stdout, "{}", key.expose())?;
    }
    stdout.flush()?;
    drop(stdout);
    tracing::info!(%addr, "serving");

    let limits = Limits {
        body_read: args.body_timeout,
        ..Limits::default()
    };
    let app = orgusers_server::router(AppState::new(store).with_access_log(access_log), limits);
    orgusers_server::serve(listener, app, limits, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
