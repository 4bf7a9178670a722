//! `orgusers serve`: the admin keys and the init files of the start, the listening socket, and
//! the server until a signal.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context as _;
use clap::Args;
use orgusers_server::{AccessLog, AppState, Limits};
use orgusers_store::{
    AdminKey, DatabaseUrl, ImportError, ImportRecord, ImportSource, OrgId, Store, StoreError,
    UserQuery,
};
use tokio::net::TcpListener;

use crate::StoreArgs;

/// What separates the files of one `--init` value or of `ORGUSERS_INIT`: the separator of the
/// OS's path lists (as in `PATH`), `:` on Unix and `;` on Windows, where `:` is part of a path.
const PATH_LIST_SEPARATOR: char = if cfg!(windows) { ';' } else { ':' };

/// The database `--database` names when it is not given (the `default_value` of
/// `StoreArgs::database` in `main.rs`, which must say the same): the hint on an empty
/// organization leaves `--database` out of the commands it prints for it.
const DEFAULT_DATABASE: &str = "sqlite://orgusers.db";

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
    /// Import this directory file (JSON Lines, as `orgusers import` reads) into the default
    /// organization at start, only while that organization is empty; repeatable, applied in
    /// order as one import. A value may list several files separated by `:` (`;` on Windows).
    #[arg(
        long = "init",
        value_name = "FILE",
        env = "ORGUSERS_INIT",
        value_delimiter = PATH_LIST_SEPARATOR,
        value_parser = parse_init_path
    )]
    init: Vec<PathBuf>,
    /// Leave out the control endpoints (`/_orgusers/...`: reset, snapshots, clock, faults,
    /// request journal, invite acceptance); they then answer as unknown paths. For deployments
    /// that serve real organizations.
    #[arg(long, env = "ORGUSERS_NO_CONTROL", value_parser = parse_switch)]
    no_control: bool,
    /// Leave out the web console (`/console/`); it then answers as an unknown path.
    #[arg(long, env = "ORGUSERS_NO_CONSOLE", value_parser = parse_switch)]
    no_console: bool,
}

/// A path of `--init`, where, unlike clap's own path parser, an empty one is accepted (and then
/// ignored): an empty `ORGUSERS_INIT`, as a container's environment often has, names no file.
fn parse_init_path(s: &str) -> Result<PathBuf, std::convert::Infallible> {
    Ok(PathBuf::from(s))
}

/// A yes-or-no switch as an environment variable may give it: true/false, yes/no, on/off, 1/0
/// (any case), and empty for no, as a container's environment often leaves an unset one.
fn parse_switch(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => Ok(true),
        "" | "0" | "false" | "f" | "no" | "n" | "off" => Ok(false),
        _ => Err("expected true or false (also yes/no, on/off, 1/0)".to_owned()),
    }
}

fn parse_admin_key(s: &str) -> Result<AdminKey, String> {
    AdminKey::parse(s).map_err(|e| e.0)
}

/// Serves until Ctrl-C or SIGTERM, sending one line per request to `access_log`.
///
/// Before listening: the admin keys (the given ones, or on a first start a new one), then the
/// init files, so that a bad init file stops the start before any client can connect.
pub async fn run(args: ServeArgs, access_log: Arc<dyn AccessLog>) -> anyhow::Result<()> {
    let store = args.store.open().await?;
    // The key a first start creates; shown once, on the lines after `listening on`.
    let mut new_key = None;
    let org = if args.admin_keys.is_empty() {
        match store.default_organization().await? {
            Some(org) => org,
            None => {
                let org = store.ensure_organization(None).await?;
                let key = AdminKey::generate();
                store.create_key(&org, "first start", &key, None).await?;
                new_key = Some(key);
                org
            }
        }
    } else {
        let org = store.ensure_organization(None).await?;
        for key in &args.admin_keys {
            store
                .ensure_key(&org, key)
                .await
                .with_context(|| format!("cannot install admin key {}", key.masked()))?;
        }
        org
    };

    let init_files: Vec<PathBuf> = args
        .init
        .into_iter()
        // An empty entry (`a.jsonl::b.jsonl`, an empty `ORGUSERS_INIT`) names no file, as in `PATH`.
        .filter(|path| !path.as_os_str().is_empty())
        .collect();
    if !init_files.is_empty()
        && let Err(e) = apply_init_files(store.as_ref(), &org, &init_files).await
    {
        // The key of a first start is shown only once: a start that stops here must still show
        // it, or the next start (which finds the organization) would never print it.
        if let Some(key) = &new_key {
            let mut stdout = std::io::stdout().lock();
            print_new_key(&mut stdout, &org, key)?;
            stdout.flush()?;
        }
        return Err(e);
    }
    let without_users = !has_users(store.as_ref(), &org).await?;

    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    // Written in one piece: whoever reads the listening line finds the rest already there.
    let mut banner = Vec::new();
    writeln!(banner, "listening on http://{addr}")?;
    if let Some(key) = &new_key {
        print_new_key(&mut banner, &org, key)?;
    }
    if without_users {
        print_first_users_hint(&mut banner, &args.store.database, !args.no_control)?;
    }
    // Last, so that the key and the hint keep their places right after `listening on`.
    if !args.no_console {
        writeln!(banner, "console: http://{addr}/console/")?;
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&banner)?;
    stdout.flush()?;
    drop(stdout);
    tracing::info!(
        %addr,
        control = !args.no_control,
        console = !args.no_console,
        "serving"
    );

    let limits = Limits {
        body_read: args.body_timeout,
        ..Limits::default()
    };
    let mut state = AppState::new(store).with_access_log(access_log);
    if args.no_control {
        state = state.without_control();
    }
    if args.no_console {
        state = state.without_console();
    }
    let app = orgusers_server::router(state, limits);
    orgusers_server::serve(listener, app, limits, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// The key a first start created, on the lines that follow `listening on …`.
fn print_new_key(
    out: &mut impl std::io::Write,
    org: &OrgId,
    key: &AdminKey,
) -> std::io::Result<()> {
    writeln!(
        out,
        "created organization {org} and its admin key (shown only now):"
    )?;
    writeln!(out, "{}", key.expose())
}

/// Tells a new operator how to fill the organization, with commands that work on this store as
/// they are printed (`--database` given when the store is not the default one), and, when the
/// control endpoints are served, the API's way: an invite, accepted through them (the public API
/// cannot accept one).
fn print_first_users_hint(
    out: &mut impl std::io::Write,
    database: &str,
    control: bool,
) -> std::io::Result<()> {
    let on_this_store = if database == DEFAULT_DATABASE {
        String::new()
    } else {
        // Redacted, so that a password never reaches the terminal: the operator puts it back.
        let shown =
            DatabaseUrl::parse(database).map_or_else(|_| database.to_owned(), |url| url.redacted());
        format!(" --database {}", shell_word(&shown))
    };
    let commands = [
        (
            format!("orgusers seed{on_this_store} --count 100"),
            "realistic generated users",
        ),
        (
            format!("orgusers import{on_this_store} FILE"),
            "JSON Lines, as export writes",
        ),
        (
            format!("orgusers serve{on_this_store} --init FILE"),
            "the same, at start",
        ),
    ];
    let width = commands
        .iter()
        .map(|(command, _)| command.len())
        .max()
        .unwrap_or(0);
    writeln!(out, "the organization has no users yet; add some with")?;
    for (command, what) in &commands {
        writeln!(out, "  {command:width$}   ({what})")?;
    }
    if control {
        writeln!(
            out,
            "  or through the API: POST /v1/organization/invites, then POST /_orgusers/invites/ID/accept"
        )?;
    }
    Ok(())
}

/// `word` as one word of a POSIX shell: as it is when it holds nothing the shell would read,
/// else in single quotes.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._:@%+=,-".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Whether `org` has at least one user.
async fn has_users(store: &dyn Store, org: &OrgId) -> Result<bool, StoreError> {
    let query = UserQuery {
        limit: 1,
        ..UserQuery::default()
    };
    Ok(!store.list_users(org, &query).await?.users.is_empty())
}

/// Whether `org` holds nothing an import could have written: no users, and of the rest of its
/// directory (what `export` writes besides users) nothing but its Default project, which every
/// organization has. Admin keys are not directory data: the start installs them before the init
/// files, and they do not make an organization non-empty.
///
/// Reusing the export's reading keeps this in step with every kind import and export carry. It
/// reads the whole directory only of an organization without users, which holds little.
async fn organization_is_empty(store: &dyn Store, org: &OrgId) -> Result<bool, StoreError> {
    if has_users(store, org).await? {
        return Ok(false);
    }
    let lines = orgusers_store::transfer::directory_lines(store, org).await?;
    Ok(lines
        .iter()
        .all(|line| line.get("is_default") == Some(&serde_json::Value::Bool(true))))
}

/// Imports the init files, in order and as one import (one transaction: all of them or
/// nothing), into `org` when it is empty; logs and does nothing when it already has data, so
/// that restarting with the same `--init` changes nothing.
async fn apply_init_files(store: &dyn Store, org: &OrgId, paths: &[PathBuf]) -> anyhow::Result<()> {
    // Opened first, also when they will be skipped: a misspelt path fails every start, not only
    // the first one.
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let file = File::open(path)
            .with_context(|| format!("cannot open init file {}", path.display()))?;
        files.push((path.clone(), BufReader::with_capacity(1 << 16, file)));
    }
    if !organization_is_empty(store, org).await? {
        tracing::info!(
            organization = %org,
            files = %join_paths(paths),
            "init files skipped: the organization already has data"
        );
        return Ok(());
    }
    let records = InitRecords::new(files);
    let starts = Arc::clone(&records.starts);
    let summary = match store
        .import_users(org, Box::new(records) as ImportSource)
        .await
    {
        Ok(summary) => summary,
        Err(StoreError::Import(refusal)) => {
            let starts = starts.lock().unwrap_or_else(PoisonError::into_inner);
            let (path, refusal) = locate(&starts, refusal);
            return Err(anyhow::anyhow!(
                "init file {}: {refusal}",
                path.map_or_else(|| join_paths(paths), |p| p.display().to_string())
            )
            .context("cannot apply the init files, nothing was imported"));
        }
        Err(e) => {
            return Err(
                anyhow::Error::new(e).context("cannot apply the init files, nothing was imported")
            );
        }
    };
    tracing::info!(
        organization = %org,
        files = %join_paths(paths),
        users = summary.created + summary.replaced,
        projects = summary.directory.projects,
        groups = summary.directory.groups,
        roles = summary.directory.roles,
        "init files imported"
    );
    Ok(())
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where one init file begins among the lines of the import.
struct FileStart {
    /// How many lines the files before it have.
    lines_before: usize,
    path: PathBuf,
}

/// The file and the line within it of a refusal that names a line of the whole import.
fn locate(starts: &[FileStart], mut refusal: ImportError) -> (Option<&PathBuf>, ImportError) {
    match starts.iter().rev().find(|s| s.lines_before < refusal.line) {
        Some(start) => {
            refusal.line -= start.lines_before;
            (Some(&start.path), refusal)
        }
        None => (None, refusal),
    }
}

/// The records of the init files, one file after the other, as one import. Lines are numbered
/// on across the files, since the store's refusals name one line number; `starts` records where
/// each file begins so that a refusal can be told as file and line. Parsed on the thread that
/// reads the import: init files are read once per start, not worth `import`'s parser thread.
struct InitRecords {
    files: std::vec::IntoIter<(PathBuf, BufReader<File>)>,
    current: Option<BufReader<File>>,
    /// Lines read so far, over every file.
    lines: usize,
    starts: Arc<Mutex<Vec<FileStart>>>,
    buffer: String,
    /// Set after a refused line: the import stops at it.
    refused: bool,
}

impl InitRecords {
    fn new(files: Vec<(PathBuf, BufReader<File>)>) -> Self {
        Self {
            files: files.into_iter(),
            current: None,
            lines: 0,
            starts: Arc::default(),
            buffer: String::new(),
            refused: false,
        }
    }
}

impl Iterator for InitRecords {
    type Item = Result<ImportRecord, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.refused {
            let Some(reader) = self.current.as_mut() else {
                let (path, reader) = self.files.next()?;
                self.starts
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(FileStart {
                        lines_before: self.lines,
                        path,
                    });
                self.current = Some(reader);
                continue;
            };
            self.buffer.clear();
            let read = reader.read_line(&mut self.buffer);
            if matches!(read, Ok(0)) {
                self.current = None;
                continue;
            }
            self.lines += 1;
            let record = match read {
                Ok(_) => {
                    let text = self.buffer.trim_end_matches(['\n', '\r']);
                    if text.trim().is_empty() {
                        continue;
                    }
                    ImportRecord::from_json_line(self.lines, text)
                }
                Err(e) => Err(ImportError {
                    line: self.lines,
                    field: None,
                    message: format!("cannot read the line: {e}"),
                }),
            };
            self.refused = record.is_err();
            return Some(record);
        }
        None
    }
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
