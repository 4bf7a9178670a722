//! `orgusers audit-logs …`: the organization's audit log from the command line, newest first.

use clap::{Args, Subcommand};
use orgusers_api::audit_logs::AuditLog;
use orgusers_client::AuditLogListParams;

use crate::emulator::moment;
use crate::output::{self, Column, Fit, Format, Record};
use crate::remote::ApiArgs;

#[derive(Args, Debug)]
pub struct AuditLogsArgs {
    #[command(flatten)]
    api: ApiArgs,
    #[command(subcommand)]
    command: AuditLogsCommand,
}

#[derive(Subcommand, Debug)]
enum AuditLogsCommand {
    /// List audit log entries, newest first: one page, or every page with --all.
    List(ListArgs),
}

#[derive(Args, Debug)]
struct ListArgs {
    /// Only entries of this event type (`project.created`, …); repeatable.
    #[arg(long = "type", value_name = "TYPE")]
    event_types: Vec<String>,
    /// Only entries about this object id; repeatable.
    #[arg(long = "resource", value_name = "ID")]
    resource_ids: Vec<String>,
    /// Only entries scoped to this project; repeatable.
    #[arg(long = "project", value_name = "ID")]
    project_ids: Vec<String>,
    /// Only entries made by this admin key (or user) id; repeatable.
    #[arg(long = "actor", value_name = "ID")]
    actor_ids: Vec<String>,
    /// Only entries made by a key whose owning user had this email (any case); repeatable.
    #[arg(long = "actor-email", value_name = "EMAIL")]
    actor_emails: Vec<String>,
    /// Only entries at or after this time: Unix seconds or RFC 3339.
    #[arg(long, value_name = "TIME", value_parser = moment)]
    since: Option<i64>,
    /// Only entries at or before this time: Unix seconds or RFC 3339.
    #[arg(long, value_name = "TIME", value_parser = moment)]
    until: Option<i64>,
    /// Page size, 1 to 100 (the server's default is 20).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
    limit: Option<u32>,
    /// Start after this entry id (older entries): the last one of a previous page.
    #[arg(long, value_name = "ID")]
    after: Option<String>,
    /// Every page, not just the first.
    #[arg(long)]
    all: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub async fn run(args: AuditLogsArgs) -> anyhow::Result<()> {
    let client = args.api.client()?;
    let audit_logs = client.audit_logs();
    let AuditLogsCommand::List(list) = args.command;
    let params = AuditLogListParams {
        limit: list.limit,
        after: list.after,
        before: None,
        since: list.since,
        until: list.until,
        event_types: list.event_types,
        actor_ids: list.actor_ids,
        actor_emails: list.actor_emails,
        resource_ids: list.resource_ids,
        project_ids: list.project_ids,
    };
    if list.all {
        return output::print_all(audit_logs.list_all(params), list.format).await;
    }
    let page = audit_logs.list(&params).await?;
    let more = page.has_more.then(|| match &page.last_id {
        Some(last) => format!("--after {last} for the next page, --all for every page"),
        None => "--all lists every page".to_owned(),
    });
    output::print_page(&page.data, list.format, more)
}

/// An entry's time to the second, in RFC 3339 (UTC); Unix seconds if before 1970.
fn moment_text(unix: i64) -> String {
    match u64::try_from(unix) {
        Ok(seconds) => humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds),
        )
        .to_string(),
        Err(_) => unix.to_string(),
    }
}

/// The id of the acting key, or empty.
fn actor_of(entry: &AuditLog) -> String {
    entry
        .actor
        .as_ref()
        .and_then(|actor| actor.api_key.as_ref())
        .and_then(|key| key.id.clone())
        .unwrap_or_default()
}

/// The `id` of the entry's payload: what it is about.
fn resource_of(entry: &AuditLog) -> String {
    entry
        .payload()
        .and_then(|payload| payload.get("id"))
        .and_then(|id| id.as_str())
        .unwrap_or_default()
        .to_owned()
}

fn project_of(entry: &AuditLog) -> String {
    entry
        .project
        .as_ref()
        .map(|project| project.id.clone())
        .unwrap_or_default()
}

impl Record for AuditLog {
    const NOUN: &'static str = "audit log entries";
    /// Ids are never cut; the project is left out when the row runs short.
    const COLUMNS: &'static [Column] = &[
        Column::new("ID", Fit::Whole),
        Column::new("TIME", Fit::Whole),
        Column::new("TYPE", Fit::Whole),
        Column::new("ACTOR", Fit::Whole),
        Column::new("RESOURCE", Fit::Whole),
        Column::new("PROJECT", Fit::Optional),
    ];
    const CSV_HEADER: &'static [&'static str] = &[
        "id",
        "effective_at",
        "type",
        "actor_key_id",
        "resource_id",
        "project_id",
        "payload",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            moment_text(self.effective_at),
            self.event_type.clone(),
            output::or_dash(Some(actor_of(self).as_str()).filter(|a| !a.is_empty())),
            resource_of(self),
            output::or_dash(Some(project_of(self).as_str()).filter(|p| !p.is_empty())),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.effective_at.to_string(),
            self.event_type.clone(),
            actor_of(self),
            resource_of(self),
            project_of(self),
            self.payload().map(|p| p.to_string()).unwrap_or_default(),
        ]
    }
}
