//! `orgusers users roles …`: the roles users hold, from the command line.

use clap::Subcommand;
use orgusers_api::roles::AssignedRole;
use orgusers_client::Client;

use crate::output::{self, Column, Fit, Record};
use crate::remote::{self, PageArgs};
use crate::roles::{permission_count, permission_list};

#[derive(Subcommand, Debug)]
pub enum UserRolesCommand {
    /// List the roles a user holds, each with where it comes from: the user itself (direct) or a
    /// group.
    List {
        #[arg(value_name = "USER")]
        user: String,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Give a user a role.
    Assign {
        #[arg(value_name = "USER")]
        user: String,
        #[arg(value_name = "ROLE")]
        role: String,
    },
    /// Take a role from a user (asks first on a terminal, unless --yes).
    Unassign {
        #[arg(value_name = "USER")]
        user: String,
        #[arg(value_name = "ROLE")]
        role: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(client: &Client, command: UserRolesCommand) -> anyhow::Result<()> {
    let users = client.users();
    match command {
        UserRolesCommand::List { user, page } => {
            let roles = users.roles(&user);
            let params = page.params();
            page.print(roles.list(&params), roles.list_all(params.clone()))
                .await?;
        }
        UserRolesCommand::Assign { user, role } => {
            let assigned = users.roles(&user).assign(&role).await?;
            println!(
                "assigned {} ({}) to {}",
                assigned.role.id, assigned.role.name, assigned.user.id
            );
        }
        UserRolesCommand::Unassign { user, role, yes } => {
            if !yes && !remote::confirm(&format!("unassign role {role} from user {user}"), false)? {
                anyhow::bail!("not unassigned");
            }
            users.roles(&user).unassign(&role).await?;
            println!("unassigned {role} from {user}");
        }
    }
    Ok(())
}

/// Where a user holds a role from, as a table shows it: `direct`, and the groups' ids.
fn via(role: &AssignedRole) -> String {
    let sources: Vec<&str> = role
        .assignment_sources
        .iter()
        .flatten()
        .map(|source| match source.principal_type.as_str() {
            "user" => "direct",
            _ => source.principal_id.as_str(),
        })
        .collect();
    if sources.is_empty() {
        "-".to_owned()
    } else {
        sources.join(", ")
    }
}

impl Record for AssignedRole {
    const NOUN: &'static str = "roles";
    const COLUMNS: &'static [Column] = &[
        Column::new("ID", Fit::Whole),
        Column::new("NAME", Fit::Whole),
        Column::new("VIA", Fit::Whole),
        Column::new("PERMISSIONS", Fit::Optional),
        Column::new("DESCRIPTION", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] = &[
        "id",
        "name",
        "description",
        "permissions",
        "predefined_role",
        "assignment_sources",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            via(self),
            permission_count(&self.permissions),
            output::or_dash(self.description.as_deref()),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        let sources: Vec<String> = self
            .assignment_sources
            .iter()
            .flatten()
            .map(|s| format!("{}:{}", s.principal_type, s.principal_id))
            .collect();
        vec![
            self.id.clone(),
            self.name.clone(),
            self.description.clone().unwrap_or_default(),
            permission_list(&self.permissions),
            output::flag(self.predefined_role),
            sources.join(" "),
        ]
    }
}
