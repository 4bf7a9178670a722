//! `orgusers users …`: the users API from the command line, against orgusers or the real API.

use std::io::{self, BufRead, IsTerminal, Write};

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use futures_util::TryStreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use orgusers_api::{User, UserUpdate};
use orgusers_client::{Client, DEFAULT_BASE_URL, ListParams};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

#[derive(Args, Debug)]
pub struct UsersArgs {
    /// The API's base URL, ending in /v1.
    #[arg(long, env = "OPENAI_BASE_URL", default_value = DEFAULT_BASE_URL, global = true)]
    base_url: String,
    /// An admin API key.
    #[arg(long, env = "OPENAI_ADMIN_KEY", hide_env_values = true, global = true)]
    admin_key: Option<String>,
    #[command(subcommand)]
    command: UsersCommand,
}

#[derive(Subcommand, Debug)]
enum UsersCommand {
    /// List users: one page, or every page with --all.
    List {
        /// Only users with this email (repeatable; case-insensitive).
        #[arg(long = "email", value_name = "EMAIL")]
        emails: Vec<String>,
        /// Page size, 1 to 100.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
        limit: Option<u32>,
        /// Start after this user id.
        #[arg(long)]
        after: Option<String>,
        /// Every page, not just the first.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show one user.
    Get {
        id: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Change a user's role or metadata; an empty value clears metadata.
    Update {
        id: String,
        /// owner or reader.
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        technical_level: Option<String>,
        #[arg(long)]
        developer_persona: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Delete a user (asks first on a terminal, unless --yes).
    Delete {
        id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// Aligned columns for people.
    Table,
    /// Indented JSON (an array for lists).
    Json,
    /// One user object per line.
    Jsonl,
    /// Comma-separated values with one header row.
    Csv,
}

pub async fn run(args: UsersArgs) -> anyhow::Result<()> {
    let key = args
        .admin_key
        .filter(|k| !k.is_empty())
        .context("an admin key is required: pass --admin-key or set OPENAI_ADMIN_KEY")?;
    let client = Client::builder(&args.base_url, key).build()?;
    let users = client.users();
    match args.command {
        UsersCommand::List {
            emails,
            limit,
            after,
            all,
            format,
        } => {
            let params = ListParams {
                limit,
                after,
                emails,
            };
            if !all {
                let page = users.list(&params).await?;
                print_users(&page.data, format)?;
                if page.has_more && format == Format::Table && io::stderr().is_terminal() {
                    eprintln!("(more users follow: --all lists every page)");
                }
                return Ok(());
            }
            let progress = if io::stderr().is_terminal() {
                ProgressBar::new_spinner().with_style(
                    ProgressStyle::with_template("{spinner} {pos} users")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                )
            } else {
                ProgressBar::hidden()
            };
            let mut stream = std::pin::pin!(users.list_all(params));
            let mut collected = Vec::new();
            let mut out = io::BufWriter::new(io::stdout().lock());
            let mut csv = (format == Format::Csv).then(csv_writer);
            while let Some(user) = stream.try_next().await? {
                progress.inc(1);
                // JSON Lines and CSV stream as pages arrive; tables and JSON need them all.
                match (format, csv.as_mut()) {
                    (Format::Jsonl, _) => write_jsonl(&mut out, &user)?,
                    (Format::Csv, Some(writer)) => write_csv_row(writer, &user)?,
                    _ => collected.push(user),
                }
            }
            progress.finish_and_clear();
            if let Some(writer) = csv {
                out.write_all(&writer.into_inner().context("cannot write CSV")?)?;
            }
            out.flush()?;
            drop(out);
            if matches!(format, Format::Table | Format::Json) {
                print_users(&collected, format)?;
            }
        }
        UsersCommand::Get { id, format } => {
            print_user(&users.retrieve(&id).await?, format)?;
        }
        UsersCommand::Update {
            id,
            role,
            technical_level,
            developer_persona,
            format,
        } => {
            if role.is_none() && technical_level.is_none() && developer_persona.is_none() {
                anyhow::bail!(
                    "nothing to change: give --role, --technical-level or --developer-persona"
                );
            }
            let clearable = |v: Option<String>| v.map(|v| Some(v).filter(|v| !v.is_empty()));
            let update = UserUpdate {
                role: role.map(Some),
                role_id: None,
                technical_level: clearable(technical_level),
                developer_persona: clearable(developer_persona),
            };
            print_user(&users.update(&id, &update).await?, format)?;
        }
        UsersCommand::Delete { id, yes } => {
            if !yes && !confirm(&id)? {
                anyhow::bail!("not deleted");
            }
            let deleted = users.delete(&id).await?;
            println!("deleted {}", deleted.id);
        }
    }
    Ok(())
}

/// Asks on the terminal; refuses when there is no terminal to ask on.
fn confirm(id: &str) -> anyhow::Result<bool> {
    if !io::stdin().is_terminal() {
        anyhow::bail!("refusing to delete {id} without --yes: standard input is not a terminal");
    }
    eprint!("Delete user {id}? This cannot be undone. [y/N] ");
    io::stderr().flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

fn print_user(user: &User, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            let mut out = io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, user)?;
            writeln!(out)?;
            Ok(())
        }
        other => print_users(std::slice::from_ref(user), other),
    }
}

fn print_users(users: &[User], format: Format) -> anyhow::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    match format {
        Format::Table => out.write_all(table(users, table_width()).as_bytes())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, users)?;
            writeln!(out)?;
        }
        Format::Jsonl => {
            for user in users {
                write_jsonl(&mut out, user)?;
            }
        }
        Format::Csv => {
            let mut writer = csv_writer();
            for user in users {
                write_csv_row(&mut writer, user)?;
            }
            out.write_all(&writer.into_inner().context("cannot write CSV")?)?;
        }
    }
    out.flush()?;
    Ok(())
}

fn write_jsonl(out: &mut impl Write, user: &User) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, user)?;
    out.write_all(b"\n")?;
    Ok(())
}

const CSV_HEADER: [&str; 8] = [
    "id",
    "email",
    "name",
    "role",
    "added_at",
    "is_service_account",
    "technical_level",
    "developer_persona",
];

fn csv_writer() -> csv::Writer<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = writer.write_record(CSV_HEADER);
    writer
}

fn write_csv_row(writer: &mut csv::Writer<Vec<u8>>, user: &User) -> anyhow::Result<()> {
    writer.write_record([
        user.id.as_str(),
        user.email.as_deref().unwrap_or(""),
        user.name.as_deref().unwrap_or(""),
        user.role.as_deref().unwrap_or(""),
        &user.added_at.to_string(),
        if user.is_service_account {
            "true"
        } else {
            "false"
        },
        user.technical_level.as_deref().unwrap_or(""),
        user.developer_persona.as_deref().unwrap_or(""),
    ])?;
    Ok(())
}

/// `COLUMNS` when set, else the terminal's width when printing to one, else 80.
fn table_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| {
            console::Term::stdout()
                .size_checked()
                .map(|(_, cols)| usize::from(cols))
        })
        .filter(|&c: &usize| c >= 40)
        .unwrap_or(80)
}

fn added_date(unix: i64) -> String {
    let at =
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(unix).unwrap_or(0));
    humantime::format_rfc3339_seconds(at).to_string()[..10].to_owned()
}

/// Cuts `text` to `width` display columns, ending in `…` when cut.
fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// The narrowest a name column is worth showing; below it the ADDED column makes room.
const MIN_NAME_WIDTH: usize = 12;
const GAP: usize = 2;

/// Aligned columns within `width`. Ids and emails are never cut; the name takes what is left,
/// cut with `…`, and the ADDED date is left out when it would squeeze the name too much.
fn table(users: &[User], width: usize) -> String {
    let rows: Vec<[String; 5]> = users
        .iter()
        .map(|u| {
            [
                u.id.clone(),
                u.email.clone().unwrap_or_else(|| "-".into()),
                u.role.clone().unwrap_or_else(|| "-".into()),
                added_date(u.added_at),
                u.name.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let header = ["ID", "EMAIL", "ROLE", "ADDED", "NAME"];
    let mut widths = header.map(UnicodeWidthStr::width);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let fixed = |columns: &[usize]| -> usize { columns.iter().map(|&c| widths[c] + GAP).sum() };
    let mut columns = vec![0, 1, 2, 3];
    if width.saturating_sub(fixed(&columns)) < MIN_NAME_WIDTH.min(widths[4]) {
        columns.retain(|&c| c != 3);
    }
    let name_width = widths[4].min(width.saturating_sub(fixed(&columns))).max(4);
    columns.push(4);

    let mut out = String::new();
    let mut line = |cells: [&str; 5]| {
        let mut text = String::new();
        for &c in &columns {
            if c == 4 {
                text.push_str(&fit(cells[4], name_width));
            } else {
                text.push_str(cells[c]);
                text.push_str(&" ".repeat(widths[c] - cells[c].width() + GAP));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header);
    for row in &rows {
        line([&row[0], &row[1], &row[2], &row[3], &row[4]]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, email: &str, name: &str) -> User {
        serde_json::from_value(serde_json::json!({
            "object": "organization.user", "id": id, "email": email, "name": name,
            "role": "reader", "added_at": 1_700_000_000
        }))
        .unwrap()
    }

    #[test]
    fn tables_fit_80_columns_without_cutting_ids_or_emails() {
        let users = [
            user(
                "user-abcdefghijklmnopqrstuvwx",
                "zoë.ødegaard@exämple.com",
                "Zoë Ødegaard with a very long name indeed",
            ),
            user("u-2", "王芳@example.com", "王芳"),
        ];
        let text = table(&users, 80);
        for line in text.lines() {
            assert!(line.width() <= 80, "{line:?} is {} wide", line.width());
        }
        assert!(text.contains("user-abcdefghijklmnopqrstuvwx"));
        assert!(text.contains("zoë.ødegaard@exämple.com"));
        assert!(text.contains('…'), "the long name is cut: {text}");
        assert!(
            !text.contains("ADDED"),
            "the date makes room for the name: {text}"
        );
        // Wider terminals, or shorter ids, show the date too.
        let wide = table(&users, 120);
        assert!(
            wide.contains("2023-11-14")
                && wide.contains("Zoë Ødegaard with a very long name indeed")
        );
        let short = table(&[user("u-1", "a@x.io", "Ada")], 80);
        assert!(short.lines().next().unwrap().contains("ADDED"));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("ID "));
        // Columns line up: every email starts where the header's EMAIL does.
        let email_at = lines[0].find("EMAIL").unwrap();
        assert_eq!(lines[1].find("zoë").unwrap(), email_at);
    }

    #[test]
    fn fit_counts_display_width() {
        assert_eq!(fit("abcdef", 10), "abcdef");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("王芳王芳", 5), "王芳…");
    }
}
