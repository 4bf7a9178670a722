//! `orgusers reset`, `orgusers snapshots …` and `orgusers clock …`: the state of an orgusers
//! server's organization (its `/_orgusers/` control endpoints), from the command line.

use clap::{Args, Subcommand};
use orgusers_api::control::{Clock, Snapshot};

use crate::output::{self, Column, Fit, Format, Record};
use crate::remote::ApiArgs;

#[derive(Args, Debug)]
pub struct ResetArgs {
    #[command(flatten)]
    api: ApiArgs,
}

/// Empties the key's organization: users, projects, invites, roles, groups, memberships,
/// service accounts, project keys and audit log; its admin keys stay.
pub async fn reset(args: ResetArgs) -> anyhow::Result<()> {
    let reset = args.api.client()?.reset().await?;
    println!("reset organization {}", reset.organization);
    Ok(())
}

#[derive(Args, Debug)]
pub struct SnapshotsArgs {
    #[command(flatten)]
    api: ApiArgs,
    #[command(subcommand)]
    command: SnapshotsCommand,
}

#[derive(Subcommand, Debug)]
enum SnapshotsCommand {
    /// Save the organization's whole state (admin keys excepted) under NAME, replacing a
    /// snapshot of that name.
    Save {
        /// 1 to 128 letters, digits, '_', '.' or '-'.
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// List the snapshots, oldest first.
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Make the organization's state the snapshot's, its clock included.
    Restore { name: String },
    /// Delete a snapshot.
    Delete { name: String },
}

pub async fn snapshots(args: SnapshotsArgs) -> anyhow::Result<()> {
    let client = args.api.client()?;
    match args.command {
        SnapshotsCommand::Save { name, format } => {
            output::print_one(&client.save_snapshot(&name).await?, format)?;
        }
        SnapshotsCommand::List { format } => {
            output::print_list(&client.snapshots().await?, format)?;
        }
        SnapshotsCommand::Restore { name } => {
            let restored = client.restore_snapshot(&name).await?;
            println!(
                "restored {} (saved at {})",
                restored.name,
                timestamp(restored.created_at)
            );
        }
        SnapshotsCommand::Delete { name } => {
            let deleted = client.delete_snapshot(&name).await?;
            println!("deleted {}", deleted.name);
        }
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct ClockArgs {
    #[command(flatten)]
    api: ApiArgs,
    #[command(subcommand)]
    command: Option<ClockCommand>,
    #[arg(long, value_enum, default_value_t = Format::Json, global = true)]
    format: Format,
}

#[derive(Subcommand, Debug)]
enum ClockCommand {
    /// Show the organization's clock (the default).
    Show,
    /// Freeze the clock at a moment: Unix seconds or RFC 3339 (2030-01-01T00:00:00Z). It then
    /// moves only when advanced; it never moves back before what it has shown.
    Freeze {
        #[arg(value_parser = moment)]
        at: i64,
    },
    /// Move the clock ahead: seconds, or a duration such as 7d, 90m, 1h30m.
    Advance {
        #[arg(value_parser = seconds)]
        by: i64,
    },
    /// Return the clock to real time.
    Real,
}

/// Unix seconds, or an RFC 3339 moment.
pub(crate) fn moment(text: &str) -> Result<i64, String> {
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    let at = humantime::parse_rfc3339_weak(text)
        .map_err(|e| format!("expected Unix seconds or an RFC 3339 time, got {text:?}: {e}"))?;
    at.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .map_err(|_| format!("{text:?} is before 1970"))
}

/// Whole seconds, or a duration such as `7d`.
fn seconds(text: &str) -> Result<i64, String> {
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    let duration = humantime::parse_duration(text)
        .map_err(|e| format!("expected seconds or a duration such as 7d, got {text:?}: {e}"))?;
    i64::try_from(duration.as_secs()).map_err(|_| format!("{text:?} is too long"))
}

pub async fn clock(args: ClockArgs) -> anyhow::Result<()> {
    let client = args.api.client()?;
    let clock = match args.command.unwrap_or(ClockCommand::Show) {
        ClockCommand::Show => client.clock().await?,
        ClockCommand::Freeze { at } => client.set_clock(Some(at)).await?,
        ClockCommand::Advance { by } => client.advance_clock(by).await?,
        ClockCommand::Real => client.set_clock(None).await?,
    };
    output::print_one(&clock, args.format)
}

/// A Unix time as RFC 3339, for people.
fn timestamp(seconds: i64) -> String {
    u64::try_from(seconds).map_or_else(
        |_| seconds.to_string(),
        |s| {
            humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(s),
            )
            .to_string()
        },
    )
}

impl Record for Snapshot {
    const NOUN: &'static str = "snapshots";
    const COLUMNS: &'static [Column] = &[
        Column::new("NAME", Fit::Whole),
        Column::new("CREATED_AT", Fit::Whole),
    ];
    const CSV_HEADER: &'static [&'static str] = &["name", "created_at"];

    fn cells(&self) -> Vec<String> {
        vec![self.name.clone(), timestamp(self.created_at)]
    }

    fn csv_fields(&self) -> Vec<String> {
        vec![self.name.clone(), self.created_at.to_string()]
    }
}

impl Record for Clock {
    const NOUN: &'static str = "clocks";
    const COLUMNS: &'static [Column] = &[
        Column::new("NOW", Fit::Whole),
        Column::new("FROZEN", Fit::Whole),
    ];
    const CSV_HEADER: &'static [&'static str] = &["now", "frozen"];

    fn cells(&self) -> Vec<String> {
        vec![timestamp(self.now), self.frozen.to_string()]
    }

    fn csv_fields(&self) -> Vec<String> {
        vec![self.now.to_string(), self.frozen.to_string()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_and_durations() {
        assert_eq!(moment("4000000000"), Ok(4_000_000_000));
        assert_eq!(moment("2030-01-01T00:00:00Z"), Ok(1_893_456_000));
        assert!(moment("soon").is_err());
        assert_eq!(seconds("7d"), Ok(604_800));
        assert_eq!(seconds("90"), Ok(90));
        assert!(seconds("forever").is_err());
    }
}
