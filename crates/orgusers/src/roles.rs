//! `orgusers roles …`: the organization's roles from the command line.

use clap::{Args, Subcommand};
use orgusers_api::roles::{Role, RoleCreate, RoleUpdate};

use crate::output::{self, Column, Fit, Format, Record};
use crate::remote::{self, ApiArgs, PageArgs};

#[derive(Args, Debug)]
pub struct RolesArgs {
    #[command(flatten)]
    api: ApiArgs,
    #[command(subcommand)]
    command: RolesCommand,
}

#[derive(Subcommand, Debug)]
enum RolesCommand {
    /// List roles (the two predefined ones, then custom roles): one page, or every page with --all.
    List {
        #[command(flatten)]
        page: PageArgs,
    },
    /// Show one role.
    Get {
        #[arg(value_name = "ROLE")]
        id: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Create a custom role.
    Create {
        /// Unique in the organization (case-insensitively).
        #[arg(long)]
        name: String,
        /// A permission the role grants (repeatable, or comma-separated), e.g. api.users.read.
        #[arg(long = "permission", value_name = "PERMISSION", value_delimiter = ',')]
        permissions: Vec<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Change a custom role: only what is given; --permission replaces every permission.
    Update {
        #[arg(value_name = "ROLE")]
        id: String,
        #[arg(long)]
        name: Option<String>,
        /// A permission the role grants (repeatable, or comma-separated).
        #[arg(long = "permission", value_name = "PERMISSION", value_delimiter = ',')]
        permissions: Vec<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Delete a custom role (asks first on a terminal, unless --yes).
    Delete {
        #[arg(value_name = "ROLE")]
        id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(args: RolesArgs) -> anyhow::Result<()> {
    let client = args.api.client()?;
    let roles = client.roles();
    match args.command {
        RolesCommand::List { page } => {
            let params = page.params();
            page.print(roles.list(&params), roles.list_all(params.clone()))
                .await?;
        }
        RolesCommand::Get { id, format } => {
            output::print_one(&roles.retrieve(&id).await?, format)?;
        }
        RolesCommand::Create {
            name,
            permissions,
            description,
            format,
        } => {
            let role = RoleCreate {
                role_name: name,
                permissions,
                description,
            };
            output::print_one(&roles.create(&role).await?, format)?;
        }
        RolesCommand::Update {
            id,
            name,
            permissions,
            description,
            format,
        } => {
            if name.is_none() && permissions.is_empty() && description.is_none() {
                anyhow::bail!("nothing to change: give --name, --permission or --description");
            }
            let update = RoleUpdate {
                role_name: name,
                permissions: (!permissions.is_empty()).then_some(permissions),
                description,
            };
            output::print_one(&roles.update(&id, &update).await?, format)?;
        }
        RolesCommand::Delete { id, yes } => {
            if !yes && !remote::confirm(&format!("delete role {id}"), true)? {
                anyhow::bail!("not deleted");
            }
            let deleted = roles.delete(&id).await?;
            println!("deleted {}", deleted.id);
        }
    }
    Ok(())
}

/// How many permissions, as tables show them.
pub fn permission_count(permissions: &[String]) -> String {
    permissions.len().to_string()
}

/// Permissions as one CSV field, separated by spaces.
pub fn permission_list(permissions: &[String]) -> String {
    permissions.join(" ")
}

impl Record for Role {
    const NOUN: &'static str = "roles";
    const COLUMNS: &'static [Column] = &[
        Column::new("ID", Fit::Whole),
        Column::new("NAME", Fit::Whole),
        Column::new("TYPE", Fit::Optional),
        Column::new("PERMISSIONS", Fit::Optional),
        Column::new("DESCRIPTION", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] = &[
        "id",
        "name",
        "description",
        "permissions",
        "resource_type",
        "predefined_role",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            if self.predefined_role {
                "predefined"
            } else {
                "custom"
            }
            .to_owned(),
            permission_count(&self.permissions),
            output::or_dash(self.description.as_deref()),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            self.description.clone().unwrap_or_default(),
            permission_list(&self.permissions),
            self.resource_type.clone(),
            output::flag(self.predefined_role),
        ]
    }
}
