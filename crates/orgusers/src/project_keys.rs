//! `orgusers projects keys …`: a project's API keys from the command line, never with their
//! secrets.

use clap::{Subcommand, ValueEnum};
use orgusers_api::projects::ProjectApiKey;
use orgusers_client::{OwnerProjectAccess, ProjectApiKeyListParams, Projects};

use crate::output::{self, Column, Fit, Format, Record};
use crate::projects::{date_or_dash, time_or_empty};
use crate::remote::{self, FirstLastArgs};

/// Which keys a list shows, by whether their owner has access to the project.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerAccessArg {
    /// Keys whose owner has access to the project.
    Active,
    /// Keys whose owner no longer has access.
    Inactive,
    /// Every enabled key.
    Any,
}

#[derive(Subcommand, Debug)]
pub enum ProjectKeysCommand {
    /// List a project's API keys: one page, or every page with --all.
    List {
        #[arg(value_name = "PROJECT")]
        project: String,
        /// Only the keys whose owner has (active) or has not (inactive) access to the project;
        /// any for every key. The server's default applies when absent.
        #[arg(long, value_enum)]
        owner_access: Option<OwnerAccessArg>,
        #[command(flatten)]
        page: FirstLastArgs,
    },
    /// Show one API key, its secret redacted.
    Get {
        #[arg(value_name = "PROJECT")]
        project: String,
        #[arg(value_name = "KEY")]
        key: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Delete (revoke) an API key (asks first on a terminal, unless --yes).
    Delete {
        #[arg(value_name = "PROJECT")]
        project: String,
        #[arg(value_name = "KEY")]
        key: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(projects: Projects<'_>, command: ProjectKeysCommand) -> anyhow::Result<()> {
    match command {
        ProjectKeysCommand::List {
            project,
            owner_access,
            page,
        } => {
            let keys = projects.api_keys(&project);
            let params = ProjectApiKeyListParams {
                limit: page.limit,
                after: page.after.clone(),
                owner_project_access: owner_access.map(|access| match access {
                    OwnerAccessArg::Active => OwnerProjectAccess::Active,
                    OwnerAccessArg::Inactive => OwnerProjectAccess::Inactive,
                    OwnerAccessArg::Any => OwnerProjectAccess::Any,
                }),
            };
            page.print(keys.list(&params), keys.list_all(params.clone()))
                .await?;
        }
        ProjectKeysCommand::Get {
            project,
            key,
            format,
        } => {
            output::print_one(&projects.api_keys(&project).retrieve(&key).await?, format)?;
        }
        ProjectKeysCommand::Delete { project, key, yes } => {
            if !yes && !remote::confirm(&format!("delete API key {key}"), true)? {
                anyhow::bail!("not deleted");
            }
            let deleted = projects.api_keys(&project).delete(&key).await?;
            println!("deleted {}", deleted.id);
        }
    }
    Ok(())
}

/// Who owns a key: `user` or `service_account`, and the owner's id.
fn owner(key: &ProjectApiKey) -> (&str, &str) {
    let id = match (&key.owner.user, &key.owner.service_account) {
        (Some(user), _) => user.id.as_str(),
        (None, Some(account)) => account.id.as_str(),
        (None, None) => "",
    };
    (key.owner.kind.as_str(), id)
}

impl Record for ProjectApiKey {
    const NOUN: &'static str = "keys";
    const COLUMNS: &'static [Column] = &[
        Column::new("ID", Fit::Whole),
        Column::new("KEY", Fit::Whole),
        Column::new("OWNER", Fit::Whole),
        Column::new("ACCESS", Fit::Optional),
        Column::new("LAST USED", Fit::Optional),
        Column::new("NAME", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] = &[
        "id",
        "name",
        "redacted_value",
        "created_at",
        "last_used_at",
        "owner_project_access",
        "owner_type",
        "owner_id",
    ];

    fn cells(&self) -> Vec<String> {
        let (_, owner_id) = owner(self);
        vec![
            self.id.clone(),
            self.redacted_value.clone(),
            output::or_dash(Some(owner_id).filter(|id| !id.is_empty())),
            self.owner_project_access.clone(),
            date_or_dash(self.last_used_at),
            self.name.clone(),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        let (owner_type, owner_id) = owner(self);
        vec![
            self.id.clone(),
            self.name.clone(),
            self.redacted_value.clone(),
            self.created_at.to_string(),
            time_or_empty(self.last_used_at),
            self.owner_project_access.clone(),
            owner_type.to_owned(),
            owner_id.to_owned(),
        ]
    }
}
