//! `orgusers`: a local, persistent implementation of the OpenAI Admin API organization users
//! resource, and the commands that administer its store.

mod admin_keys;
mod audit_logs;
mod emulator;
mod faults;
mod groups;
mod invites;
mod keys;
mod logging;
mod output;
mod project_groups;
mod project_keys;
mod projects;
mod remote;
mod roles;
mod seed;
mod serve;
mod service_accounts;
mod transfer;
mod user_roles;
mod users;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use orgusers_server::{AccessLog, TracingAccessLog};
use orgusers_store::{DatabaseUrl, OrgId, Store, StoreOptions};

// Every request allocates its buffers and row values; mimalloc's thread-local free lists make
// that a fraction of the system allocator's cost under load (see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "orgusers", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API over HTTP.
    Serve(serve::ServeArgs),
    /// Import users from JSON Lines (one user object per line), in one transaction.
    Import(transfer::ImportArgs),
    /// Export users as JSON Lines.
    Export(transfer::ExportArgs),
    /// Add realistic, deterministic users.
    Seed(seed::SeedArgs),
    /// Manage admin API keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// List, show, change and delete users, and their roles, over HTTP (orgusers or the real
    /// API).
    Users(users::UsersArgs),
    /// List, show, create, change and delete roles over HTTP.
    Roles(roles::RolesArgs),
    /// Groups, their members and their roles over HTTP.
    Groups(groups::GroupsArgs),
    /// Projects, their users, service accounts, API keys and groups over HTTP.
    Projects(projects::ProjectsArgs),
    /// Invites into the organization and its projects over HTTP, and their acceptance (orgusers).
    Invites(invites::InvitesArgs),
    /// List, show, create and delete the organization's admin API keys over HTTP.
    AdminKeys(admin_keys::AdminKeysArgs),
    /// The organization's audit log over HTTP, newest first, with its filters.
    AuditLogs(audit_logs::AuditLogsArgs),
    /// Injected faults of an orgusers server: requests that wait or fail, to rehearse retries.
    Faults(faults::FaultsArgs),
    /// The last /v1 requests an orgusers server answered for the key's organization.
    Requests(faults::RequestsArgs),
    /// Empty the key's organization on an orgusers server (its admin keys stay).
    Reset(emulator::ResetArgs),
    /// Save, list, restore and delete snapshots of the organization on an orgusers server.
    Snapshots(emulator::SnapshotsArgs),
    /// Show, freeze, advance or release the organization's clock on an orgusers server.
    Clock(emulator::ClockArgs),
}

/// Where the data lives; shared by every store command.
#[derive(Args, Clone, Debug)]
pub struct StoreArgs {
    /// sqlite://PATH, sqlite:///abs/path, a bare file path, or postgres://…
    #[arg(
        long,
        env = "ORGUSERS_DATABASE_URL",
        default_value = "sqlite://orgusers.db"
    )]
    pub database: String,
    /// PostgreSQL: most connections kept open by this process.
    #[arg(long, env = "ORGUSERS_POOL_SIZE", default_value_t = 16)]
    pub pool_size: usize,
    /// PostgreSQL: how long a request waits for a connection before failing (e.g. 5s, 500ms).
    #[arg(long, env = "ORGUSERS_POOL_TIMEOUT", default_value = "5s", value_parser = humantime::parse_duration)]
    pub pool_timeout: std::time::Duration,
    /// PostgreSQL: how long to keep retrying an unreachable database at start.
    #[arg(long, env = "ORGUSERS_CONNECT_RETRY", default_value = "30s", value_parser = humantime::parse_duration)]
    pub connect_retry: std::time::Duration,
}

impl StoreArgs {
    /// Opens the store, applying migrations.
    pub async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        let url = DatabaseUrl::parse(&self.database)?;
        let options = StoreOptions {
            pool_size: self.pool_size,
            pool_timeout: self.pool_timeout,
            connect_retry: self.connect_retry,
        };
        orgusers_store::open_with(&url, &options)
            .await
            .with_context(|| format!("cannot open the store at {}", url.redacted()))
    }
}

/// `--org ORG`: an organization by id; the default one when absent.
#[derive(Args, Clone, Debug)]
pub struct OrgArgs {
    /// Organization id (created if it does not exist); default: the first organization created.
    #[arg(long)]
    pub org: Option<String>,
}

impl OrgArgs {
    /// The parsed `--org`, if given.
    pub fn parsed(&self) -> anyhow::Result<Option<OrgId>> {
        Ok(self.org.as_deref().map(OrgId::parse).transpose()?)
    }

    /// The organization a write goes to: `--org`, else the default one, else a new id that the
    /// write itself creates (and so makes the default) on an empty store.
    pub async fn write_target(&self, store: &dyn Store) -> anyhow::Result<OrgId> {
        Ok(match self.parsed()? {
            Some(org) => org,
            None => store
                .default_organization()
                .await?
                .unwrap_or_else(OrgId::generate),
        })
    }
}

/// Logs to standard error through [`logging`]'s batching writer, so that no request waits on a
/// write. Returns the guard that writes out every buffered line when it is dropped at exit, and
/// where `serve` sends its request lines: written by hand into the same writer when they go to a
/// file or a pipe, through `tracing` on a terminal (in colour) or when the filter leaves them out.
fn init_logging() -> std::io::Result<(logging::FlushGuard, Arc<dyn AccessLog>)> {
    use std::io::IsTerminal as _;
    use tracing_subscriber::EnvFilter;
    let ansi = std::io::stderr().is_terminal();
    let (writer, guard) = logging::batched(std::io::stderr())?;
    // Migration chatter is noise on every command; problems still show as warnings.
    let filter = EnvFilter::try_from_env("ORGUSERS_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,refinery_core=warn"));
    let json = std::env::var("ORGUSERS_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer.clone())
        .with_ansi(ansi)
        .with_target(false);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
    // The filter is fixed from here on, so asking once is enough.
    let lines_wanted =
        tracing::enabled!(target: "orgusers_server::access_log", tracing::Level::INFO);
    let access_log: Arc<dyn AccessLog> = if lines_wanted && !ansi {
        Arc::new(logging::LineAccessLog { out: writer, json })
    } else {
        Arc::new(TracingAccessLog)
    };
    Ok((guard, access_log))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (log_guard, access_log) = match init_logging() {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("error: cannot start the log writer: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(args, access_log).await,
            Command::Import(args) => transfer::import(args).await,
            Command::Export(args) => transfer::export(args).await,
            Command::Seed(args) => seed::run(args).await,
            Command::Keys(command) => keys::run(command).await,
            Command::Users(args) => users::run(args).await,
            Command::Roles(args) => roles::run(args).await,
            Command::Groups(args) => groups::run(args).await,
            Command::Projects(args) => projects::run(args).await,
            Command::Invites(args) => invites::run(args).await,
            Command::AuditLogs(args) => audit_logs::run(args).await,
            Command::AdminKeys(args) => admin_keys::run(args).await,
            Command::Faults(args) => faults::run(args).await,
            Command::Requests(args) => faults::requests(args).await,
            Command::Reset(args) => emulator::reset(args).await,
            Command::Snapshots(args) => emulator::snapshots(args).await,
            Command::Clock(args) => emulator::clock(args).await,
        }
    });
    // Every queued log line is written before the closing message and the exit.
    drop(runtime);
    drop(log_guard);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
