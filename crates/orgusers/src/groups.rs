//! `orgusers groups …`: the organization's groups, their members and their roles from the
//! command line.

use clap::{Args, Subcommand};
use futures_util::TryStreamExt;
use orgusers_api::groups::{GroupInfo, GroupRenamed, GroupUser};
use orgusers_api::list::NextList;
use orgusers_api::roles::AssignedRole;
use orgusers_client::Groups;
use serde::Serialize;

use crate::output::{self, Column, Fit, Format, Record};
use crate::remote::{self, ApiArgs, PageArgs};
use crate::roles::{permission_count, permission_list};

#[derive(Args, Debug)]
pub struct GroupsArgs {
    #[command(flatten)]
    api: ApiArgs,
    #[command(subcommand)]
    command: GroupsCommand,
}

#[derive(Subcommand, Debug)]
enum GroupsCommand {
    /// List groups: one page, or every page with --all.
    List {
        #[command(flatten)]
        page: PageArgs,
    },
    /// Show one group.
    Get {
        #[arg(value_name = "GROUP")]
        id: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Create a group.
    Create {
        /// 1 to 255 characters.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Rename a group.
    Rename {
        #[arg(value_name = "GROUP")]
        id: String,
        /// The new name.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Delete a group; its members stay in the organization (asks first on a terminal, unless
    /// --yes).
    Delete {
        #[arg(value_name = "GROUP")]
        id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// A group's members: list, add, remove.
    #[command(subcommand)]
    Users(GroupUsersCommand),
    /// The roles a group gives its members: list, assign, unassign.
    #[command(subcommand)]
    Roles(GroupRolesCommand),
}

#[derive(Subcommand, Debug)]
enum GroupUsersCommand {
    /// List a group's members: one page, or every page with --all.
    List {
        #[arg(value_name = "GROUP")]
        group: String,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Add a user of the organization to a group.
    Add {
        #[arg(value_name = "GROUP")]
        group: String,
        #[arg(value_name = "USER")]
        user: String,
    },
    /// Remove a member from a group (asks first on a terminal, unless --yes).
    Remove {
        #[arg(value_name = "GROUP")]
        group: String,
        #[arg(value_name = "USER")]
        user: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand, Debug)]
enum GroupRolesCommand {
    /// List the roles of a group: one page, or every page with --all.
    List {
        #[arg(value_name = "GROUP")]
        group: String,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Give a group a role, and so its members.
    Assign {
        #[arg(value_name = "GROUP")]
        group: String,
        #[arg(value_name = "ROLE")]
        role: String,
    },
    /// Take a role from a group (asks first on a terminal, unless --yes).
    Unassign {
        #[arg(value_name = "GROUP")]
        group: String,
        #[arg(value_name = "ROLE")]
        role: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(args: GroupsArgs) -> anyhow::Result<()> {
    let client = args.api.client()?;
    let groups = client.groups();
    match args.command {
        GroupsCommand::List { page } => {
            let params = page.params();
            page.print(groups.list(&params), groups.list_all(params.clone()))
                .await?;
        }
        GroupsCommand::Get { id, format } => {
            output::print_one(&groups.retrieve(&id).await?, format)?;
        }
        GroupsCommand::Create { name, format } => {
            output::print_one(&groups.create(&name).await?, format)?;
        }
        GroupsCommand::Rename { id, name, format } => {
            output::print_one(&groups.rename(&id, &name).await?, format)?;
        }
        GroupsCommand::Delete { id, yes } => {
            if !yes && !remote::confirm(&format!("delete group {id}"), true)? {
                anyhow::bail!("not deleted");
            }
            let deleted = groups.delete(&id).await?;
            println!("deleted {}", deleted.id);
        }
        GroupsCommand::Users(command) => members(groups, command).await?,
        GroupsCommand::Roles(command) => roles(groups, command).await?,
    }
    Ok(())
}

async fn members(groups: Groups<'_>, command: GroupUsersCommand) -> anyhow::Result<()> {
    match command {
        GroupUsersCommand::List { group, page } => {
            let members = groups.users(&group);
            let params = page.params();
            page.print(members.list(&params), members.list_all(params.clone()))
                .await?;
        }
        GroupUsersCommand::Add { group, user } => {
            let added = groups.users(&group).add(&user).await?;
            println!("added {} to {}", added.user_id, added.group_id);
        }
        GroupUsersCommand::Remove { group, user, yes } => {
            if !yes && !remote::confirm(&format!("remove user {user} from group {group}"), false)? {
                anyhow::bail!("not removed");
            }
            groups.users(&group).remove(&user).await?;
            println!("removed {user} from {group}");
        }
    }
    Ok(())
}

async fn roles(groups: Groups<'_>, command: GroupRolesCommand) -> anyhow::Result<()> {
    match command {
        GroupRolesCommand::List { group, page } => {
            let roles = groups.roles(&group);
            let params = page.params();
            let first = async {
                let page = roles.list(&params).await?;
                let data = page.data.into_iter().map(GroupRole).collect();
                Ok(NextList::new(data, page.has_more, page.next))
            };
            page.print(first, roles.list_all(params.clone()).map_ok(GroupRole))
                .await?;
        }
        GroupRolesCommand::Assign { group, role } => {
            let assigned = groups.roles(&group).assign(&role).await?;
            println!(
                "assigned {} ({}) to {} ({})",
                assigned.role.id, assigned.role.name, assigned.group.id, assigned.group.name
            );
        }
        GroupRolesCommand::Unassign { group, role, yes } => {
            if !yes && !remote::confirm(&format!("unassign role {role} from group {group}"), false)?
            {
                anyhow::bail!("not unassigned");
            }
            groups.roles(&group).unassign(&role).await?;
            println!("unassigned {role} from {group}");
        }
    }
    Ok(())
}

impl Record for GroupInfo {
    const NOUN: &'static str = "groups";
    const COLUMNS: &'static [Column] = &[
        Column::new("ID", Fit::Whole),
        Column::new("CREATED", Fit::Optional),
        Column::new("NAME", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] =
        &["id", "name", "created_at", "is_scim_managed", "group_type"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            output::date(self.created_at),
            self.name.clone(),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            self.created_at.to_string(),
            output::flag(self.is_scim_managed),
            self.group_type.clone(),
        ]
    }
}

impl Record for GroupRenamed {
    const NOUN: &'static str = "groups";
    const COLUMNS: &'static [Column] = GroupInfo::COLUMNS;
    const CSV_HEADER: &'static [&'static str] = &["id", "name", "created_at", "is_scim_managed"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            output::date(self.created_at),
            self.name.clone(),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            self.created_at.to_string(),
            output::flag(self.is_scim_managed),
        ]
    }
}

impl Record for GroupUser {
    const NOUN: &'static str = "users";
    const COLUMNS: &'static [Column] = &[
        Column::new("ID", Fit::Whole),
        Column::new("EMAIL", Fit::Whole),
        Column::new("NAME", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] = &["id", "email", "name"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            output::or_dash(self.email.as_deref()),
            Some(self.name.as_str())
                .filter(|name| !name.is_empty())
                .unwrap_or("-")
                .to_owned(),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.email.clone().unwrap_or_default(),
            self.name.clone(),
        ]
    }
}

/// A role of a group. Its JSON is the role's as the API sent it; its table and CSV leave out
/// where the role is held from, which a group's list never says.
#[derive(Serialize)]
#[serde(transparent)]
struct GroupRole(AssignedRole);

impl Record for GroupRole {
    const NOUN: &'static str = "roles";
    const COLUMNS: &'static [Column] = &[
        Column::new("ID", Fit::Whole),
        Column::new("NAME", Fit::Whole),
        Column::new("PERMISSIONS", Fit::Optional),
        Column::new("DESCRIPTION", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] = &[
        "id",
        "name",
        "description",
        "permissions",
        "predefined_role",
    ];

    fn cells(&self) -> Vec<String> {
        let role = &self.0;
        vec![
            role.id.clone(),
            role.name.clone(),
            permission_count(&role.permissions),
            output::or_dash(role.description.as_deref()),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        let role = &self.0;
        vec![
            role.id.clone(),
            role.name.clone(),
            role.description.clone().unwrap_or_default(),
            permission_list(&role.permissions),
            output::flag(role.predefined_role),
        ]
    }
}
