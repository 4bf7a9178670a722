//! `orgusers invites …`: the organization's invites from the command line, and their acceptance
//! through orgusers' control endpoint (`POST /_orgusers/invites/{id}/accept`), which stands in
//! for the person following the link of the invite's email.

use clap::{Args, Subcommand, ValueEnum};
use orgusers_api::invites::{Invite, InviteProject, InviteRequest};

use crate::output::{self, Column, Fit, Format, Record};
use crate::projects::{ProjectRoleArg, date_or_dash, time_or_empty};
use crate::remote::{self, ApiArgs, FirstLastArgs};

#[derive(Args, Debug)]
pub struct InvitesArgs {
    #[command(flatten)]
    api: ApiArgs,
    #[command(subcommand)]
    command: InvitesCommand,
}

#[derive(Subcommand, Debug)]
enum InvitesCommand {
    /// List invites, oldest first: one page, or every page with --all.
    List {
        #[command(flatten)]
        page: FirstLastArgs,
    },
    /// Invite an email address into the organization and, on acceptance, into projects.
    Create {
        /// The address to invite.
        email: String,
        /// The role in the organization.
        #[arg(long, value_enum, default_value_t = OrgRoleArg::Reader)]
        role: OrgRoleArg,
        /// A project to join on acceptance, as member (the default) or owner; repeatable.
        /// Without any, the server's default: the Default project, as member.
        #[arg(long = "project", value_name = "ID[:ROLE]", value_parser = parse_project)]
        projects: Vec<InviteProject>,
        /// Join no project at all, not even the Default project.
        #[arg(long, conflicts_with = "projects")]
        no_projects: bool,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Show one invite.
    Get {
        #[arg(value_name = "INVITE")]
        id: String,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Delete a pending or expired invite (asks first on a terminal, unless --yes).
    Delete {
        #[arg(value_name = "INVITE")]
        id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Accept a pending invite in the person's place (orgusers only); prints the new user.
    Accept {
        #[arg(value_name = "INVITE")]
        id: String,
        /// The new user's name.
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
}

/// A role in the organization.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum OrgRoleArg {
    /// Reads and uses the organization.
    Reader,
    /// Manages the organization.
    Owner,
}

impl OrgRoleArg {
    /// `reader` or `owner`, as the API names it.
    fn as_str(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Owner => "owner",
        }
    }
}

/// `ID` or `ID:ROLE` (`owner` or `member`; `member` when left out) as a project grant.
fn parse_project(text: &str) -> Result<InviteProject, String> {
    let (id, role) = match text.split_once(':') {
        Some((id, role)) => {
            let role = ProjectRoleArg::from_str(role, true)
                .map_err(|_| format!("the project role must be owner or member, not {role:?}"))?;
            (id, role)
        }
        None => (text, ProjectRoleArg::Member),
    };
    if id.is_empty() {
        return Err("expected a project id, as ID or ID:ROLE".to_owned());
    }
    Ok(InviteProject {
        id: id.to_owned(),
        role: role.as_str().to_owned(),
    })
}

pub async fn run(args: InvitesArgs) -> anyhow::Result<()> {
    let client = args.api.client()?;
    let invites = client.invites();
    match args.command {
        InvitesCommand::List { page } => {
            let params = page.params();
            page.print(invites.list(&params), invites.list_all(params.clone()))
                .await?;
        }
        InvitesCommand::Create {
            email,
            role,
            projects,
            no_projects,
            format,
        } => {
            // Nothing given: nothing sent, so the server grants its default.
            let projects = (no_projects || !projects.is_empty()).then_some(projects);
            let request = InviteRequest {
                email,
                role: role.as_str().to_owned(),
                projects,
            };
            output::print_one(&invites.create(&request).await?, format)?;
        }
        InvitesCommand::Get { id, format } => {
            output::print_one(&invites.retrieve(&id).await?, format)?;
        }
        InvitesCommand::Delete { id, yes } => {
            if !yes && !remote::confirm(&format!("delete invite {id}"), false)? {
                anyhow::bail!("not deleted");
            }
            let deleted = invites.delete(&id).await?;
            println!("deleted {}", deleted.id);
        }
        InvitesCommand::Accept { id, name, format } => {
            let user = invites.accept(&id, name.as_deref()).await?;
            output::print_one(&user, format)?;
        }
    }
    Ok(())
}

/// An invite's projects as CSV shows them: `ID:ROLE`, separated by spaces.
fn grants(projects: &[InviteProject]) -> String {
    projects
        .iter()
        .map(|p| format!("{}:{}", p.id, p.role))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Record for Invite {
    const NOUN: &'static str = "invites";
    /// Ids and emails are never cut; the EXPIRES date is left out when the row runs short.
    /// PROJECTS counts the projects the invite grants (`get` and the other formats name them).
    const COLUMNS: &'static [Column] = &[
        Column::new("ID", Fit::Whole),
        Column::new("EMAIL", Fit::Whole),
        Column::new("ROLE", Fit::Whole),
        Column::new("STATUS", Fit::Whole),
        Column::new("EXPIRES", Fit::Optional),
        Column::new("PROJECTS", Fit::Rest),
    ];
    const CSV_HEADER: &'static [&'static str] = &[
        "id",
        "email",
        "role",
        "status",
        "created_at",
        "expires_at",
        "accepted_at",
        "projects",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.email.clone(),
            self.role.clone(),
            self.status.clone(),
            date_or_dash(self.expires_at),
            self.projects.len().to_string(),
        ]
    }

    fn csv_fields(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.email.clone(),
            self.role.clone(),
            self.status.clone(),
            self.created_at.to_string(),
            time_or_empty(self.expires_at),
            time_or_empty(self.accepted_at),
            grants(&self.projects),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::table;
    use unicode_width::UnicodeWidthStr;

    fn invite(email: &str, projects: usize) -> Invite {
        Invite {
            object: "organization.invite".into(),
            id: "invite-abcdefghijklmnopqrstuvwx".into(),
            email: email.into(),
            role: "reader".into(),
            status: "pending".into(),
            created_at: 1_700_000_000,
            expires_at: Some(1_700_604_800),
            accepted_at: None,
            projects: (0..projects)
                .map(|i| InviteProject {
                    id: format!("proj_{i}"),
                    role: "member".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn projects_are_given_as_id_and_role() {
        let owner = parse_project("proj_a:owner").unwrap();
        assert_eq!(
            (owner.id.as_str(), owner.role.as_str()),
            ("proj_a", "owner")
        );
        assert_eq!(parse_project("proj_b").unwrap().role, "member");
        assert_eq!(parse_project("proj_b:MEMBER").unwrap().role, "member");
        assert!(parse_project("proj_c:admin").is_err());
        assert!(parse_project(":owner").is_err());
        assert!(parse_project("").is_err());
    }

    #[test]
    fn tables_keep_ids_and_emails_and_drop_the_date_first() {
        let short = table(&[invite("a@x.io", 2)], 80);
        let lines: Vec<&str> = short.lines().collect();
        assert!(
            lines[0].starts_with("ID ") && lines[0].contains("EXPIRES"),
            "{short}"
        );
        assert!(
            lines[1].contains("2023-11-21") && lines[1].ends_with(" 2"),
            "{short}"
        );
        let longer = table(&[invite("zoë.ødegaard@exä.com", 1)], 80);
        assert!(!longer.contains("EXPIRES"), "{longer}");
        assert!(longer.contains("PROJECTS"), "{longer}");
        for line in longer.lines() {
            assert!(line.width() <= 80, "{line:?}");
        }
        // Past the width, ids and emails stay whole all the same.
        let address = "zoë.ødegaard.with.a.rather.long.address@exämple.com";
        let long = table(&[invite(address, 1)], 80);
        assert!(long.contains("invite-abcdefghijklmnopqrstuvwx") && long.contains(address));
    }

    #[test]
    fn csv_names_every_project() {
        let fields = invite("a@x.io", 2).csv_fields();
        assert_eq!(fields[7], "proj_0:member proj_1:member");
        assert_eq!(fields[6], "");
        assert_eq!(Invite::CSV_HEADER.len(), fields.len());
    }
}
