//! `orgusers faults …` and `orgusers requests`: the injected faults and the request journal of
//! an orgusers server (its `/_orgusers/` control endpoints), from the command line.

use clap::{Args, Subcommand};
use orgusers_client::control::{Fault, FaultCreate, RequestRecord};

use crate::output::{self, Column, Fit, Format, Record};
use crate::remote::ApiArgs;

#[derive(Args, Debug)]
pub struct FaultsArgs {
    #[command(flatten)]
    api: ApiArgs,
    #[command(subcommand)]
    command: FaultsCommand,
}

#[derive(Subcommand, Debug)]
enum FaultsCommand {
    /// Add a fault: later /v1 requests that match wait --latency-ms and, with --status, fail
    /// with that status in the real API's error envelope.
    Add {
        /// A /v1/… path, or a prefix ending in * (quote it in the shell), e.g.
        /// '/v1/organization/users*'.
        #[arg(long)]
        path: String,
        /// A method (GET, POST, DELETE, …) or * for any; default *.
        #[arg(long)]
        method: Option<String>,
        /// The status to answer with, 400 to 599; without it requests only wait.
        #[arg(long, value_parser = clap::value_parser!(u16).range(400..=599))]
        status: Option<u16>,
        /// How long matching requests wait first, 0 to 60000 (default 0).
        #[arg(long, value_parser = clap::value_parser!(u64).range(0..=60_000))]
        latency_ms: Option<u64>,
        /// The chance that the fault fires on a matching request, 0 to 1 (default 1).
        #[arg(long, value_parser = probability)]
        probability: Option<f64>,
        /// How many requests it fires on before it disappears (default: no limit).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        count: Option<u64>,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// List the faults, oldest first.
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Remove every fault.
    Clear,
    /// Remove one fault.
    Remove {
        #[arg(value_name = "FAULT")]
        id: String,
    },
}

/// A probability: a number from 0 to 1.
fn probability(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("expected a number from 0 to 1, got {text:?}")),
    }
}

pub async fn run(args: FaultsArgs) -> anyhow::Result<()> {
    let client = args.api.client()?;
    let faults = client.faults();
    match args.command {
        FaultsCommand::Add {
            path,
            method,
            status,
            latency_ms,
            probability,
            count,
            format,
        } => {
            let fault = FaultCreate {
                method,
                path,
                status,
                latency_ms,
                probability,
                count,
            };
            output::print_one(&faults.add(&fault).await?, format)?;
        }
        FaultsCommand::List { format } => output::print_list(&faults.list().await?, format)?,
        FaultsCommand::Clear => {
            let cleared = faults.clear().await?;
            println!("removed {} faults", cleared.deleted);
        }
        FaultsCommand::Remove { id } => {
            let removed = faults.remove(&id).await?;
            println!("removed {}", removed.id);
        }
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct RequestsArgs {
    #[command(flatten)]
    api: ApiArgs,
    /// How many of the last requests, 1 to 1000 (the server's default is 100).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    limit: Option<u32>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub async fn requests(args: RequestsArgs) -> anyhow::Result<()> {
    let client = args.api.client()?;
    output::print_list(&client.requests(args.limit).await?, args.format)
}

/// A count that may be unlimited, as tables and CSV show it.
fn or_unlimited(count: Option<u64>) -> String {
    count.map_or_else(|| "unlimited".to_owned(), |n| n.to_string())
}

impl Record for Fault {
    const NOUN: &'static str = "faults";
    const COLUMNS: &'static [Column] = &[
        Column::new("ID", Fit::Whole),
        Column::new("METHOD", Fit::Whole),
        Column::new("STATUS", Fit::Whole),
        Column::new("LATENCY_MS", Fit::Optional),
        Column::new("PROBABILITY", Fit::Optional),
        Column::new("REMAINING", Fit::Optional),
        Column::new("PATH", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] = &[
        "id",
        "method",
        "path",
        "status",
        "latency_ms",
        "probability",
        "count",
        "remaining",
        "created_at",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.method.clone(),
            self.status
                .map_or_else(|| "-".to_owned(), |s| s.to_string()),
            self.latency_ms.to_string(),
            self.probability.to_string(),
            or_unlimited(self.remaining),
            self.path.clone(),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.method.clone(),
            self.path.clone(),
            self.status.map(|s| s.to_string()).unwrap_or_default(),
            self.latency_ms.to_string(),
            self.probability.to_string(),
            self.count.map(|n| n.to_string()).unwrap_or_default(),
            self.remaining.map(|n| n.to_string()).unwrap_or_default(),
            self.created_at.to_string(),
        ]
    }
}

impl Record for RequestRecord {
    const NOUN: &'static str = "requests";
    const COLUMNS: &'static [Column] = &[
        Column::new("REQUEST_ID", Fit::Whole),
        Column::new("STATUS", Fit::Whole),
        Column::new("MS", Fit::Optional),
        Column::new("METHOD", Fit::Whole),
        Column::new("PATH", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] = &[
        "request_id",
        "created_at",
        "method",
        "path",
        "query",
        "status",
        "latency_ms",
    ];

    fn cells(&self) -> Vec<String> {
        let target = match &self.query {
            Some(query) => format!("{}?{query}", self.path),
            None => self.path.clone(),
        };
        vec![
            self.request_id.clone(),
            self.status.to_string(),
            self.latency_ms.to_string(),
            self.method.clone(),
            target,
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        vec![
            self.request_id.clone(),
            self.created_at.to_string(),
            self.method.clone(),
            self.path.clone(),
            self.query.clone().unwrap_or_default(),
            self.status.to_string(),
            self.latency_ms.to_string(),
        ]
    }
}
