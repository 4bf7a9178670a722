//! `orgusers projects groups …`: the groups granted access to a project, from the command line.

use clap::Subcommand;
use orgusers_api::projects::ProjectGroup;
use orgusers_client::Projects;

use crate::output::{self, Column, Fit, Format, Record};
use crate::remote::{self, PageArgs};

#[derive(Subcommand, Debug)]
pub enum ProjectGroupsCommand {
    /// List the groups with access to a project: one page, or every page with --all.
    List {
        #[arg(value_name = "PROJECT")]
        project: String,
        // Pages of at most 100 groups; the server's default is 20.
        #[command(flatten)]
        page: PageArgs<100>,
    },
    /// Grant a group access to a project.
    Add {
        #[arg(value_name = "PROJECT")]
        project: String,
        #[arg(value_name = "GROUP")]
        group: String,
        /// owner, member, or the id of a project role.
        #[arg(long)]
        role: String,
    },
    /// Show one group's access to a project.
    Get {
        #[arg(value_name = "PROJECT")]
        project: String,
        #[arg(value_name = "GROUP")]
        group: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Revoke a group's access to a project; the group itself stays (asks first on a terminal,
    /// unless --yes).
    Remove {
        #[arg(value_name = "PROJECT")]
        project: String,
        #[arg(value_name = "GROUP")]
        group: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

/// The project role `role` names: `owner` and `member` are the project's predefined roles, and
/// anything else is taken as a role id.
fn project_role_id(project: &str, role: &str) -> String {
    match role {
        "owner" | "member" => format!("role-api-project-{role}__api-project__{project}"),
        id => id.to_owned(),
    }
}

pub async fn run(projects: Projects<'_>, command: ProjectGroupsCommand) -> anyhow::Result<()> {
    match command {
        ProjectGroupsCommand::List { project, page } => {
            let groups = projects.groups(&project);
            let params = page.params();
            page.print(groups.list(&params), groups.list_all(params.clone()))
                .await?;
        }
        ProjectGroupsCommand::Add {
            project,
            group,
            role,
        } => {
            let role = project_role_id(&project, &role);
            let added = projects.groups(&project).add(&group, &role).await?;
            println!(
                "added {} ({}) to {} as {role}",
                added.group_id, added.group_name, added.project_id
            );
        }
        ProjectGroupsCommand::Get {
            project,
            group,
            format,
        } => {
            output::print_one(&projects.groups(&project).retrieve(&group).await?, format)?;
        }
        ProjectGroupsCommand::Remove {
            project,
            group,
            yes,
        } => {
            if !yes
                && !remote::confirm(
                    &format!("remove group {group} from project {project}"),
                    false,
                )?
            {
                anyhow::bail!("not removed");
            }
            projects.groups(&project).remove(&group).await?;
            println!("removed {group} from {project}");
        }
    }
    Ok(())
}

impl Record for ProjectGroup {
    const NOUN: &'static str = "groups";
    const COLUMNS: &'static [Column] = &[
        Column::new("GROUP", Fit::Whole),
        Column::new("TYPE", Fit::Optional),
        Column::new("ADDED", Fit::Optional),
        Column::new("NAME", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] = &[
        "project_id",
        "group_id",
        "group_name",
        "group_type",
        "created_at",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.group_id.clone(),
            self.group_type.clone(),
            output::date(self.created_at),
            self.group_name.clone(),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        vec![
            self.project_id.clone(),
            self.group_id.clone(),
            self.group_name.clone(),
            self.group_type.clone(),
            self.created_at.to_string(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_and_member_name_the_projects_predefined_roles() {
        assert_eq!(
            project_role_id("proj_a", "owner"),
            "role-api-project-owner__api-project__proj_a"
        );
        assert_eq!(
            project_role_id("proj_a", "member"),
            "role-api-project-member__api-project__proj_a"
        );
        assert_eq!(project_role_id("proj_a", "role_custom"), "role_custom");
    }
}
