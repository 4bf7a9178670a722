//! `orgusers projects …`: the organization's projects and their users from the command line.
//! What else lives in a project has a file each: `service_accounts.rs`, `project_keys.rs`,
//! `project_groups.rs`.

use clap::{Args, Subcommand, ValueEnum};
use orgusers_api::projects::{Project, ProjectCreate, ProjectUpdate, ProjectUser, ProjectUserAdd};
use orgusers_client::{ProjectListParams, Projects};

use crate::output::{self, Column, Fit, Format, Record};
use crate::project_groups::ProjectGroupsCommand;
use crate::project_keys::ProjectKeysCommand;
use crate::remote::{self, ApiArgs, FirstLastArgs};
use crate::service_accounts::ServiceAccountsCommand;

#[derive(Args, Debug)]
pub struct ProjectsArgs {
    #[command(flatten)]
    api: ApiArgs,
    #[command(subcommand)]
    command: ProjectsCommand,
}

#[derive(Subcommand, Debug)]
enum ProjectsCommand {
    /// List projects, oldest first: one page, or every page with --all.
    List {
        /// Archived projects too.
        #[arg(long)]
        include_archived: bool,
        #[command(flatten)]
        page: FirstLastArgs,
    },
    /// Show one project, archived or not.
    Get {
        #[arg(value_name = "PROJECT")]
        id: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Create a project.
    Create {
        /// The project's name (names need not be unique).
        #[arg(long)]
        name: String,
        /// The id of the project's encryption key.
        #[arg(long)]
        external_key_id: Option<String>,
        /// Where the project's data lives (GLOBAL, US_STORAGE_PROCESSING, …).
        #[arg(long)]
        residency: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Rename a project.
    Rename {
        #[arg(value_name = "PROJECT")]
        id: String,
        /// The new name.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Archive a project: it stays readable but can no longer be changed, and projects are never
    /// unarchived (asks first on a terminal, unless --yes).
    Archive {
        #[arg(value_name = "PROJECT")]
        id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// A project's users: list, add, get, update, remove.
    #[command(subcommand)]
    Users(ProjectUsersCommand),
    /// A project's service accounts and their keys.
    #[command(subcommand)]
    ServiceAccounts(ServiceAccountsCommand),
    /// A project's API keys: list, get, delete.
    #[command(subcommand)]
    Keys(ProjectKeysCommand),
    /// The groups granted access to a project: list, add, get, remove.
    #[command(subcommand)]
    Groups(ProjectGroupsCommand),
}

/// A role in a project.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProjectRoleArg {
    /// Manages the project.
    Owner,
    /// Uses the project.
    Member,
}

impl ProjectRoleArg {
    /// `owner` or `member`, as the API names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Member => "member",
        }
    }
}

#[derive(Subcommand, Debug)]
enum ProjectUsersCommand {
    /// List a project's users: one page, or every page with --all.
    List {
        #[arg(value_name = "PROJECT")]
        project: String,
        #[command(flatten)]
        page: FirstLastArgs,
    },
    /// Add a user of the organization to a project.
    Add {
        #[arg(value_name = "PROJECT")]
        project: String,
        /// The user's id, or email (anything with an `@`).
        #[arg(value_name = "USER")]
        user: String,
        /// The user's role in the project.
        #[arg(long, value_enum)]
        role: ProjectRoleArg,
    },
    /// Show one user of a project.
    Get {
        #[arg(value_name = "PROJECT")]
        project: String,
        #[arg(value_name = "USER")]
        user: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Change a project user's role.
    Update {
        #[arg(value_name = "PROJECT")]
        project: String,
        #[arg(value_name = "USER")]
        user: String,
        /// The new role.
        #[arg(long, value_enum)]
        role: ProjectRoleArg,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Remove a user from a project; the user stays in the organization (asks first on a
    /// terminal, unless --yes).
    Remove {
        #[arg(value_name = "PROJECT")]
        project: String,
        #[arg(value_name = "USER")]
        user: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(args: ProjectsArgs) -> anyhow::Result<()> {
    let client = args.api.client()?;
    let projects = client.projects();
    match args.command {
        ProjectsCommand::List {
            include_archived,
            page,
        } => {
            let params = ProjectListParams {
                limit: page.limit,
                after: page.after.clone(),
                include_archived,
            };
            page.print(projects.list(&params), projects.list_all(params.clone()))
                .await?;
        }
        ProjectsCommand::Get { id, format } => {
            output::print_one(&projects.retrieve(&id).await?, format)?;
        }
        ProjectsCommand::Create {
            name,
            external_key_id,
            residency,
            format,
        } => {
            let project = ProjectCreate {
                name,
                external_key_id,
                residency,
            };
            output::print_one(&projects.create(&project).await?, format)?;
        }
        ProjectsCommand::Rename { id, name, format } => {
            let update = ProjectUpdate {
                name: Some(name),
                ..ProjectUpdate::default()
            };
            output::print_one(&projects.modify(&id, &update).await?, format)?;
        }
        ProjectsCommand::Archive { id, yes } => {
            if !yes && !remote::confirm(&format!("archive project {id}"), true)? {
                anyhow::bail!("not archived");
            }
            let archived = projects.archive(&id).await?;
            println!("archived {}", archived.id);
        }
        ProjectsCommand::Users(command) => users(projects, command).await?,
        ProjectsCommand::ServiceAccounts(command) => {
            crate::service_accounts::run(projects, command).await?;
        }
        ProjectsCommand::Keys(command) => crate::project_keys::run(projects, command).await?,
        ProjectsCommand::Groups(command) => crate::project_groups::run(projects, command).await?,
    }
    Ok(())
}

async fn users(projects: Projects<'_>, command: ProjectUsersCommand) -> anyhow::Result<()> {
    match command {
        ProjectUsersCommand::List { project, page } => {
            let users = projects.users(&project);
            let params = page.params();
            page.print(users.list(&params), users.list_all(params.clone()))
                .await?;
        }
        ProjectUsersCommand::Add {
            project,
            user,
            role,
        } => {
            let (user_id, email) = if user.contains('@') {
                (None, Some(user))
            } else {
                (Some(user), None)
            };
            let body = ProjectUserAdd {
                user_id,
                email,
                role: role.as_str().to_owned(),
            };
            let added = projects.users(&project).add(&body).await?;
            let email = added
                .email
                .as_deref()
                .map(|email| format!(" ({email})"))
                .unwrap_or_default();
            println!("added {}{email} to {project} as {}", added.id, added.role);
        }
        ProjectUsersCommand::Get {
            project,
            user,
            format,
        } => {
            output::print_one(&projects.users(&project).retrieve(&user).await?, format)?;
        }
        ProjectUsersCommand::Update {
            project,
            user,
            role,
            format,
        } => {
            let changed = projects
                .users(&project)
                .modify(&user, role.as_str())
                .await?;
            output::print_one(&changed, format)?;
        }
        ProjectUsersCommand::Remove { project, user, yes } => {
            if !yes
                && !remote::confirm(&format!("remove user {user} from project {project}"), false)?
            {
                anyhow::bail!("not removed");
            }
            let removed = projects.users(&project).remove(&user).await?;
            println!("removed {} from {project}", removed.id);
        }
    }
    Ok(())
}

/// A Unix time as a table shows it; `-` when there is none.
pub fn date_or_dash(unix: Option<i64>) -> String {
    unix.map_or_else(|| "-".to_owned(), output::date)
}

/// A Unix time as CSV shows it; empty when there is none.
pub fn time_or_empty(unix: Option<i64>) -> String {
    unix.map(|at| at.to_string()).unwrap_or_default()
}

impl Record for Project {
    const NOUN: &'static str = "projects";
    const COLUMNS: &'static [Column] = &[
        Column::new("ID", Fit::Whole),
        Column::new("STATUS", Fit::Whole),
        Column::new("CREATED", Fit::Optional),
        Column::new("NAME", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] = &[
        "id",
        "name",
        "status",
        "created_at",
        "archived_at",
        "external_key_id",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            output::or_dash(self.status.as_deref()),
            output::date(self.created_at),
            output::or_dash(self.name.as_deref()),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        vec![
            self.id.clone(),
            text(&self.name),
            text(&self.status),
            self.created_at.to_string(),
            time_or_empty(self.archived_at),
            text(&self.external_key_id),
        ]
    }
}

impl Record for ProjectUser {
    const NOUN: &'static str = "users";
    const COLUMNS: &'static [Column] = &[
        Column::new("ID", Fit::Whole),
        Column::new("EMAIL", Fit::Whole),
        Column::new("ROLE", Fit::Whole),
        Column::new("ADDED", Fit::Optional),
        Column::new("NAME", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] = &["id", "email", "name", "role", "added_at"];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            output::or_dash(self.email.as_deref()),
            self.role.clone(),
            output::date(self.added_at),
            output::or_dash(self.name.as_deref()),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.email.clone().unwrap_or_default(),
            self.name.clone().unwrap_or_default(),
            self.role.clone(),
            self.added_at.to_string(),
        ]
    }
}
