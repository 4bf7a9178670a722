//! `orgusers users …`: the users API from the command line, against orgusers or the real API.

use clap::{Args, Subcommand};
use orgusers_api::{User, UserUpdate};
use orgusers_client::ListParams;

use crate::output::{self, Column, Fit, Format, Record};
use crate::remote::{self, ApiArgs};
use crate::user_roles::UserRolesCommand;

#[derive(Args, Debug)]
pub struct UsersArgs {
    #[command(flatten)]
    api: ApiArgs,
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
    /// The roles a user holds: list, assign, unassign.
    #[command(subcommand)]
    Roles(UserRolesCommand),
}

pub async fn run(args: UsersArgs) -> anyhow::Result<()> {
    let client = args.api.client()?;
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
            if all {
                output::print_all(users.list_all(params), format).await?;
            } else {
                let page = users.list(&params).await?;
                let more = page.has_more.then(|| "--all lists every page".to_owned());
                output::print_page(&page.data, format, more)?;
            }
        }
        UsersCommand::Get { id, format } => {
            output::print_one(&users.retrieve(&id).await?, format)?;
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
            output::print_one(&users.update(&id, &update).await?, format)?;
        }
        UsersCommand::Delete { id, yes } => {
            if !yes && !remote::confirm(&format!("delete user {id}"), true)? {
                anyhow::bail!("not deleted");
            }
            let deleted = users.delete(&id).await?;
            println!("deleted {}", deleted.id);
        }
        UsersCommand::Roles(command) => crate::user_roles::run(&client, command).await?,
    }
    Ok(())
}

impl Record for User {
    const NOUN: &'static str = "users";
    /// Ids and emails are never cut; the name takes what is left, cut with `…`, and the ADDED
    /// date is left out when it would squeeze the name too much.
    const COLUMNS: &'static [Column] = &[
        Column::new("ID", Fit::Whole),
        Column::new("EMAIL", Fit::Whole),
        Column::new("ROLE", Fit::Whole),
        Column::new("ADDED", Fit::Optional),
        Column::new("NAME", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] = &[
        "id",
        "email",
        "name",
        "role",
        "added_at",
        "is_service_account",
        "technical_level",
        "developer_persona",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            output::or_dash(self.email.as_deref()),
            output::or_dash(self.role.as_deref()),
            output::date(self.added_at),
            output::or_dash(self.name.as_deref()),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        vec![
            self.id.clone(),
            text(&self.email),
            text(&self.name),
            text(&self.role),
            self.added_at.to_string(),
            output::flag(self.is_service_account),
            text(&self.technical_level),
            text(&self.developer_persona),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::table;
    use unicode_width::UnicodeWidthStr;

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
}
