//! `orgusers import` and `orgusers export`: JSON Lines, one object of the directory per line in
//! its API shape (users, roles, groups, memberships, assignments).

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use orgusers_store::{ImportError, ImportRecord, ImportSource, UserQuery};

use crate::{OrgArgs, StoreArgs};

#[derive(Args, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    org: OrgArgs,
    /// The JSON Lines file, or - for standard input.
    file: PathBuf,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    org: OrgArgs,
    /// Where to write; standard output when absent or -.
    file: Option<PathBuf>,
}

fn is_stdio(path: &std::path::Path) -> bool {
    path.as_os_str() == "-"
}

/// Records parsed ahead of the store per hand-over, and hand-overs that may wait.
const PARSED_BATCH: usize = 1024;
const BATCHES_AHEAD: usize = 8;

/// The records of `reader`, numbered from line 1, blank lines skipped, parsed on a thread of
/// their own: parsing a line costs about as much as writing it, so the two run side by side, on
/// separate cores. The thread stops at the first refused line (the import stops there too) or
/// when the store stops reading.
fn records(reader: impl BufRead + Send + 'static, progress: ProgressBar) -> ImportSource {
    let (batches, received) =
        mpsc::sync_channel::<Vec<Result<ImportRecord, ImportError>>>(BATCHES_AHEAD);
    let parser = move || {
        let mut reader = reader;
        let mut line = String::new();
        let mut number = 0usize;
        let mut batch = Vec::with_capacity(PARSED_BATCH);
        loop {
            line.clear();
            number += 1;
            let record = match reader.read_line(&mut line) {
                Ok(0) => break,
                Ok(read) => {
                    progress.inc(read as u64);
                    let text = line.trim_end_matches(['\n', '\r']);
                    if text.trim().is_empty() {
                        continue;
                    }
                    ImportRecord::from_json_line(number, text)
                }
                Err(e) => Err(ImportError {
                    line: number,
                    field: None,
                    message: format!("cannot read the line: {e}"),
                }),
            };
            let refused = record.is_err();
            batch.push(record);
            if refused || batch.len() == PARSED_BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(PARSED_BATCH));
                if batches.send(full).is_err() || refused {
                    return;
                }
            }
        }
        let _ = batches.send(batch);
    };
    if let Err(e) = std::thread::Builder::new()
        .name("orgusers-import-parser".to_owned())
        .spawn(parser)
    {
        let refusal = ImportError {
            line: 1,
            field: None,
            message: format!("cannot start the parser thread: {e}"),
        };
        return Box::new(std::iter::once(Err(refusal)));
    }
    Box::new(received.into_iter().flatten())
}

fn progress_bar(total_bytes: Option<u64>) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    match total_bytes {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {bytes} read, {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    }
}

pub async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let (reader, total): (Box<dyn Read + Send>, Option<u64>) = if is_stdio(&args.file) {
        (Box::new(io::stdin()), None)
    } else {
        let file = File::open(&args.file)
            .with_context(|| format!("cannot open {}", args.file.display()))?;
        let total = file.metadata().ok().map(|m| m.len());
        (Box::new(file), total)
    };
    let store = args.store.open().await?;
    let org = args.org.write_target(store.as_ref()).await?;
    let progress = progress_bar(total);
    let started = Instant::now();
    let source = records(BufReader::with_capacity(1 << 16, reader), progress.clone());
    let result = store.import_users(&org, source).await;
    progress.finish_and_clear();
    let summary = result.context("import aborted, nothing was written")?;
    let directory = summary.directory;
    let others = if directory == Default::default() {
        String::new()
    } else {
        format!(
            ", {} roles, {} groups, {} memberships, {} role assignments, {} projects, {} project \
             members, {} project groups, {} service accounts, {} project API keys, {} invites",
            directory.roles,
            directory.groups,
            directory.memberships,
            directory.assignments,
            directory.projects,
            directory.project_members,
            directory.project_groups,
            directory.service_accounts,
            directory.project_keys,
            directory.invites
        )
    };
    eprintln!(
        "imported {} users into {org} ({} created, {} replaced){others} in {:.2?}",
        summary.created + summary.replaced,
        summary.created,
        summary.replaced,
        started.elapsed()
    );
    Ok(())
}

/// Users fetched per store call while exporting.
const EXPORT_BATCH: usize = 1000;

pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let store = args.store.open().await?;
    let org = store
        .ensure_organization(args.org.parsed()?.as_ref())
        .await?;
    let sink: Box<dyn Write> = match &args.file {
        Some(path) if !is_stdio(path) => Box::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        ),
        _ => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::new(sink);
    let mut query = UserQuery {
        limit: EXPORT_BATCH,
        ..UserQuery::default()
    };
    let mut count = 0usize;
    loop {
        let page = store.list_users(&org, &query).await?;
        for user in &page.users {
            serde_json::to_writer(&mut out, user)?;
            out.write_all(b"\n")?;
        }
        count += page.users.len();
        match (page.has_more, page.users.last()) {
            (true, Some(last)) => query.after = Some(last.id.clone()),
            _ => break,
        }
    }
    let lines = orgusers_store::transfer::directory_lines(store.as_ref(), &org).await?;
    for line in &lines {
        serde_json::to_writer(&mut out, line)?;
        out.write_all(b"\n")?;
    }
    out.flush().context("cannot write the export")?;
    if lines.is_empty() {
        eprintln!("exported {count} users of {org}");
    } else {
        eprintln!(
            "exported {count} users and {} lines of roles, groups, memberships and assignments of {org}",
            lines.len()
        );
    }
    Ok(())
}
