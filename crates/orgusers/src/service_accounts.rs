//! `orgusers projects service-accounts …`: a project's service accounts and the keys made for
//! them, from the command line. A new key's secret is printed this once, in every format.

use std::io::IsTerminal as _;

use clap::Subcommand;
use orgusers_api::projects::{
    ServiceAccount, ServiceAccountApiKey, ServiceAccountCreate, ServiceAccountCreated,
    ServiceAccountKeyCreate, ServiceAccountUpdate,
};
use orgusers_client::Projects;

use crate::output::{self, Column, Fit, Format, Record};
use crate::projects::ProjectRoleArg;
use crate::remote::{self, FirstLastArgs};

#[derive(Subcommand, Debug)]
pub enum ServiceAccountsCommand {
    /// List a project's service accounts: one page, or every page with --all.
    List {
        #[arg(value_name = "PROJECT")]
        project: String,
        #[command(flatten)]
        page: FirstLastArgs,
    },
    /// Show one service account.
    Get {
        #[arg(value_name = "PROJECT")]
        project: String,
        #[arg(value_name = "ACCOUNT")]
        account: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Create a service account with the role member and a first API key, whose secret is
    /// printed this once; with --without-key, no key and the role none.
    Create {
        #[arg(value_name = "PROJECT")]
        project: String,
        /// The service account's name.
        #[arg(long)]
        name: String,
        /// Create no API key (the account's role is then none).
        #[arg(long)]
        without_key: bool,
        /// table: a line about the account, then the key's secret alone on the last line.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Change a service account: only what is given.
    Update {
        #[arg(value_name = "PROJECT")]
        project: String,
        #[arg(value_name = "ACCOUNT")]
        account: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        /// A new role.
        #[arg(long, value_enum)]
        role: Option<ProjectRoleArg>,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Delete a service account and its keys (asks first on a terminal, unless --yes).
    Delete {
        #[arg(value_name = "PROJECT")]
        project: String,
        #[arg(value_name = "ACCOUNT")]
        account: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Create an API key for a service account; its secret is printed this once.
    CreateKey {
        #[arg(value_name = "PROJECT")]
        project: String,
        #[arg(value_name = "ACCOUNT")]
        account: String,
        /// The key's name (the server's default: Secret key).
        #[arg(long)]
        name: Option<String>,
        /// A scope asked for (repeatable, or comma-separated).
        #[arg(long = "scope", value_name = "SCOPE", value_delimiter = ',')]
        scopes: Vec<String>,
        /// table: a line about the key, then its secret alone on the last line.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

pub async fn run(projects: Projects<'_>, command: ServiceAccountsCommand) -> anyhow::Result<()> {
    match command {
        ServiceAccountsCommand::List { project, page } => {
            let accounts = projects.service_accounts(&project);
            let params = page.params();
            page.print(accounts.list(&params), accounts.list_all(params.clone()))
                .await?;
        }
        ServiceAccountsCommand::Get {
            project,
            account,
            format,
        } => {
            let shown = projects
                .service_accounts(&project)
                .retrieve(&account)
                .await?;
            output::print_one(&shown, format)?;
        }
        ServiceAccountsCommand::Create {
            project,
            name,
            without_key,
            format,
        } => {
            let body = ServiceAccountCreate {
                name,
                create_service_account_only: without_key.then_some(true),
            };
            let created = projects.service_accounts(&project).create(&body).await?;
            let summary = match &created.api_key {
                Some(key) => format!(
                    "created service account {} ({}, {}) in {project} with key {} ({})",
                    created.id, created.name, created.role, key.id, key.name
                ),
                None => format!(
                    "created service account {} ({}, {}) in {project} without a key",
                    created.id, created.name, created.role
                ),
            };
            let secret = created.api_key.as_ref().map(|key| key.value.as_str());
            print_with_secret(&created, format, &summary, secret)?;
        }
        ServiceAccountsCommand::Update {
            project,
            account,
            name,
            role,
            format,
        } => {
            if name.is_none() && role.is_none() {
                anyhow::bail!("nothing to change: give --name or --role");
            }
            let update = ServiceAccountUpdate {
                name,
                role: role.map(|role| role.as_str().to_owned()),
            };
            let changed = projects
                .service_accounts(&project)
                .modify(&account, &update)
                .await?;
            output::print_one(&changed, format)?;
        }
        ServiceAccountsCommand::Delete {
            project,
            account,
            yes,
        } => {
            if !yes && !remote::confirm(&format!("delete service account {account}"), true)? {
                anyhow::bail!("not deleted");
            }
            let deleted = projects.service_accounts(&project).delete(&account).await?;
            println!("deleted {}", deleted.id);
        }
        ServiceAccountsCommand::CreateKey {
            project,
            account,
            name,
            scopes,
            format,
        } => {
            let body = ServiceAccountKeyCreate {
                name,
                scopes: (!scopes.is_empty()).then_some(scopes),
            };
            let key = projects
                .service_accounts(&project)
                .create_api_key(&account, &body)
                .await?;
            let summary = format!(
                "created key {} ({}) for service account {account}",
                key.id, key.name
            );
            print_with_secret(&key, format, &summary, Some(&key.value))?;
        }
    }
    Ok(())
}

/// Prints a creation whose answer may hold a key's secret, which no later call shows again. A
/// table is `summary` and then the secret alone on the last line, with a reminder on standard
/// error when it is a terminal; the other formats are the answer as the API sent it, the secret
/// included.
fn print_with_secret<T: Record>(
    answer: &T,
    format: Format,
    summary: &str,
    secret: Option<&str>,
) -> anyhow::Result<()> {
    if format != Format::Table {
        return output::print_one(answer, format);
    }
    println!("{summary}");
    if let Some(secret) = secret {
        println!("{secret}");
        if std::io::stderr().is_terminal() {
            eprintln!("(the key above is shown only this once: store it now)");
        }
    }
    Ok(())
}

impl Record for ServiceAccount {
    const NOUN: &'static str = "service accounts";
    const COLUMNS: &'static [Column] = &[
        Column::new("ID", Fit::Whole),
        Column::new("ROLE", Fit::Whole),
        Column::new("CREATED", Fit::Optional),
        Column::new("NAME", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] = &["id", "name", "role", "created_at"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.role.clone(),
            output::date(self.created_at),
            self.name.clone(),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            self.role.clone(),
            self.created_at.to_string(),
        ]
    }
}

/// A new service account: its CSV row carries its first key, the secret included.
impl Record for ServiceAccountCreated {
    const NOUN: &'static str = "service accounts";
    const COLUMNS: &'static [Column] = &[
        Column::new("ID", Fit::Whole),
        Column::new("ROLE", Fit::Whole),
        Column::new("KEY", Fit::Whole),
        Column::new("NAME", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] = &[
        "id",
        "name",
        "role",
        "created_at",
        "api_key_id",
        "api_key_name",
        "api_key_value",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.role.clone(),
            output::or_dash(self.api_key.as_ref().map(|key| key.value.as_str())),
            self.name.clone(),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        let key = |field: fn(&ServiceAccountApiKey) -> &str| {
            self.api_key
                .as_ref()
                .map(|key| field(key).to_owned())
                .unwrap_or_default()
        };
        vec![
            self.id.clone(),
            self.name.clone(),
            self.role.clone(),
            self.created_at.to_string(),
            key(|k| &k.id),
            key(|k| &k.name),
            key(|k| &k.value),
        ]
    }
}

/// A new key with its secret.
impl Record for ServiceAccountApiKey {
    const NOUN: &'static str = "keys";
    const COLUMNS: &'static [Column] = &[
        Column::new("ID", Fit::Whole),
        Column::new("KEY", Fit::Whole),
        Column::new("NAME", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] = &["id", "name", "created_at", "value"];

    fn cells(&self) -> Vec<String> {
        vec![self.id.clone(), self.value.clone(), self.name.clone()]
    }

    fn csv_fields(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            self.created_at.to_string(),
            self.value.clone(),
        ]
    }
}
