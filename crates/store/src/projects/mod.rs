//! Projects and their direct members.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use async_trait::async_trait;
use orgusers_api::projects::{PROJECT_OBJECT, PROJECT_USER_OBJECT, Project, ProjectUser};
use serde_json::json;

use crate::audit::AuditEvent;
use crate::ids::ProjectId;
use crate::page::{FirstQuery, NextPage, Position, fetched_page};
use crate::{InvalidValue, Kind, OrgId, Role, StoreError};

/// Longest project name, in characters.
pub const MAX_PROJECT_NAME_CHARS: usize = 255;

/// The residencies a project may be created with (`PublicProjectResidency` in the spec).
pub const RESIDENCIES: &[&str] = &[
    "GLOBAL",
    "US_STORAGE_PROCESSING",
    "EU_STORAGE_PROCESSING",
    "JP_STORAGE",
    "KR_STORAGE",
    "CA_STORAGE",
    "SG_STORAGE",
    "IN_STORAGE",
    "AU_STORAGE",
    "GB_STORAGE",
    "AE_STORAGE",
    "AE_STORAGE_PROCESSING",
];

/// A project's name: 1 to 255 characters; names need not be unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName(String);

impl ProjectName {
    /// Checks a name as given.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let chars = s.chars().count();
        if chars == 0 || chars > MAX_PROJECT_NAME_CHARS {
            return Err(InvalidValue(format!(
                "a project name must have 1 to {MAX_PROJECT_NAME_CHARS} characters"
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A role within a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectRole {
    /// `owner`.
    Owner,
    /// `member`.
    Member,
}

impl ProjectRole {
    /// The values a body may give.
    pub const NAMES: &'static [&'static str] = &["owner", "member"];

    /// `owner` or `member`; anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Self::Owner),
            "member" => Some(Self::Member),
            _ => None,
        }
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Member => "member",
        }
    }

    /// The project role an organization role gives in the Default project.
    pub fn default_for(role: Role) -> Self {
        match role {
            Role::Owner => Self::Owner,
            Role::Reader => Self::Member,
        }
    }

    /// The id of this predefined role of `project`, as project groups name it.
    pub fn role_id(self, project: &ProjectId) -> String {
        format!("role-api-project-{}__api-project__{project}", self.as_str())
    }

    /// The role a project role id of `project` names.
    pub fn from_role_id(id: &str, project: &ProjectId) -> Option<Self> {
        [Self::Owner, Self::Member]
            .into_iter()
            .find(|role| role.role_id(project) == id)
    }
}

/// A project as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRecord {
    /// `proj_…`.
    pub id: ProjectId,
    /// Its name.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the archiving.
    pub archived_at: Option<i64>,
    /// Whether this is the organization's Default project.
    pub is_default: bool,
    /// The id of its encryption key.
    pub external_key_id: Option<String>,
    /// Its residency, when one was chosen.
    pub residency: Option<String>,
}

impl ProjectRecord {
    /// Its place in list order.
    pub fn position(&self) -> Position {
        Position::new(self.created_at, self.id.as_str())
    }

    /// The `Project` object of the API.
    pub fn to_project(&self) -> Project {
        Project {
            id: self.id.to_string(),
            object: PROJECT_OBJECT.to_owned(),
            name: Some(self.name.clone()),
            created_at: self.created_at,
            archived_at: self.archived_at,
            status: Some(self.status().to_owned()),
            external_key_id: self.external_key_id.clone(),
            residency: self.residency.clone(),
        }
    }

    /// `active` or `archived`.
    pub fn status(&self) -> &'static str {
        if self.archived_at.is_some() {
            "archived"
        } else {
            "active"
        }
    }
}

/// What a new project is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProject {
    /// Its name.
    pub name: ProjectName,
    /// The id of its encryption key.
    pub external_key_id: Option<String>,
    /// One of [`RESIDENCIES`].
    pub residency: Option<&'static str>,
}

/// A change to a project; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProjectChange {
    /// A new name.
    pub name: Option<ProjectName>,
    /// A new encryption key id.
    pub external_key_id: Option<String>,
}

/// A direct member of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectMember {
    /// The user's id.
    pub user_id: String,
    /// The user's name.
    pub name: Option<String>,
    /// The user's email.
    pub email: Option<String>,
    /// Its role in the project.
    pub role: ProjectRole,
    /// Unix seconds of joining the project.
    pub added_at: i64,
}

impl ProjectMember {
    /// Its place in the project's list.
    pub fn position(&self) -> Position {
        Position::new(self.added_at, self.user_id.as_str())
    }

    /// The `ProjectUser` object of the API.
    pub fn to_project_user(&self) -> ProjectUser {
        ProjectUser {
            object: PROJECT_USER_OBJECT.to_owned(),
            id: self.user_id.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role.as_str().to_owned(),
            added_at: self.added_at,
        }
    }
}

/// Who `POST /projects/{p}/users` names: by id, by email, or both (then the same user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberTarget {
    /// `user_id` of the body.
    pub user_id: Option<String>,
    /// `email` of the body, folded.
    pub email: Option<String>,
}

/// Decisions about projects that do not depend on the backend; each backend calls them inside
/// its transaction, on what it read there.
pub mod rules {
    use super::{MemberTarget, ProjectRecord};
    use crate::StoreError;

    /// An archived project can be read but not changed.
    pub fn writable(project: &ProjectRecord) -> Result<(), StoreError> {
        match project.archived_at {
            None => Ok(()),
            Some(_) => Err(StoreError::conflict(
                None,
                format!(
                    "Project {} is archived: it can be read but not changed.",
                    project.id
                ),
            )),
        }
    }

    /// The Default project stays.
    pub fn archivable(project: &ProjectRecord) -> Result<(), StoreError> {
        if project.is_default {
            return Err(StoreError::conflict(
                None,
                "The Default project cannot be archived.",
            ));
        }
        Ok(())
    }

    /// An imported project line: the Default project is never archived.
    pub fn importable(is_default: bool, archived_at: Option<i64>) -> Result<(), String> {
        if is_default && archived_at.is_some() {
            return Err("the Default project cannot be archived".into());
        }
        Ok(())
    }

    /// The body field that named the user, for the refusals that concern it.
    pub fn target_param(target: &MemberTarget) -> &'static str {
        if target.user_id.is_some() {
            "user_id"
        } else {
            "email"
        }
    }

    /// The user found by `user_id` and the one found by `email`, when both were given, must be
    /// the same; a user that is not in the organization is refused naming the field.
    pub fn one_user(
        target: &MemberTarget,
        by_id: Option<String>,
        by_email: Option<String>,
    ) -> Result<String, StoreError> {
        let not_in_org = |param: &'static str, value: &str| {
            StoreError::conflict(
                Some(param),
                format!("'{value}' is not a user of this organization."),
            )
        };
        let by_id = match (&target.user_id, by_id) {
            (Some(id), None) => return Err(not_in_org("user_id", id)),
            (_, found) => found,
        };
        let by_email = match (&target.email, by_email) {
            (Some(email), None) => return Err(not_in_org("email", email)),
            (_, found) => found,
        };
        match (by_id, by_email) {
            (Some(a), Some(b)) if a != b => Err(StoreError::conflict(
                Some("email"),
                "'user_id' and 'email' name different users.",
            )),
            (Some(user), _) | (None, Some(user)) => Ok(user),
            (None, None) => Err(StoreError::conflict(
                Some("user_id"),
                "Give the user to add as 'user_id' or 'email'.",
            )),
        }
    }

    /// A user is added to a project once.
    pub fn not_yet_member(
        target: &MemberTarget,
        project: &ProjectRecord,
        user: &str,
        already: bool,
    ) -> Result<(), StoreError> {
        if already {
            return Err(StoreError::conflict(
                Some(target_param(target)),
                format!("User {user} is already a member of project {}.", project.id),
            ));
        }
        Ok(())
    }
}

pub(crate) fn project_event(event_type: &'static str, project: &ProjectRecord) -> AuditEvent {
    AuditEvent::new(
        event_type,
        project.id.as_str(),
        json!({ "name": project.name, "status": project.status() }),
    )
}

pub(crate) fn member_event(
    event_type: &'static str,
    project: &ProjectId,
    user: &str,
    role: Option<ProjectRole>,
) -> AuditEvent {
    AuditEvent::new(
        event_type,
        project.as_str(),
        json!({ "project_id": project.as_str(), "user_id": user, "role": role.map(ProjectRole::as_str) }),
    )
}

pub(crate) fn no_such_project(id: &ProjectId) -> StoreError {
    StoreError::not_found(Kind::Project, id.as_str())
}

/// The users whose `projects` field a change may have changed, whose kept JSON
/// (`users.projects_data`) each backend then computes again in the change's transaction.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Touched<'a> {
    /// One user: a membership of theirs began, changed or ended.
    User(&'a str),
    /// The members of a project that was renamed or archived.
    MembersOf(&'a ProjectId),
    /// Every user with a membership, or with one before: an import.
    Everyone,
}

/// The tables whose rows belong to a project, by `project_id`: what moves with it when the
/// Default project takes an imported id.
pub(crate) const PROJECT_CHILDREN: &[&str] = &[
    "project_users",
    "service_accounts",
    "project_api_keys",
    "project_groups",
    "invite_projects",
];

/// A project line of an import, as the backends apply it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ImportedProject<'a> {
    pub id: &'a ProjectId,
    pub name: &'a ProjectName,
    pub created_at: i64,
    pub archived_at: Option<i64>,
    pub is_default: bool,
    pub external_key_id: Option<&'a str>,
    pub residency: Option<&'static str>,
}

/// Projects and their members per backend; paging is provided.
#[async_trait]
pub trait ProjectStore: Send + Sync + 'static {
    /// Up to `query.limit + 1` projects after `query.after`, oldest first; archived ones only
    /// when asked.
    async fn fetch_projects(
        &self,
        org: &OrgId,
        query: &FirstQuery,
        include_archived: bool,
    ) -> Result<Vec<(Position, ProjectRecord)>, StoreError>;

    /// One project, archived or not.
    async fn get_project(&self, org: &OrgId, id: &ProjectId) -> Result<ProjectRecord, StoreError>;

    /// Creates a project.
    async fn create_project(
        &self,
        org: &OrgId,
        project: &NewProject,
    ) -> Result<ProjectRecord, StoreError>;

    /// Changes an active project.
    async fn modify_project(
        &self,
        org: &OrgId,
        id: &ProjectId,
        change: &ProjectChange,
    ) -> Result<ProjectRecord, StoreError>;

    /// Archives a project (again: no change).
    async fn archive_project(
        &self,
        org: &OrgId,
        id: &ProjectId,
    ) -> Result<ProjectRecord, StoreError>;

    /// Up to `query.limit + 1` direct members after `query.after`, in the order they joined.
    async fn fetch_project_users(
        &self,
        org: &OrgId,
        project: &ProjectId,
        query: &FirstQuery,
    ) -> Result<Vec<(Position, ProjectMember)>, StoreError>;

    /// Adds an organization user to an active project.
    async fn add_project_user(
        &self,
        org: &OrgId,
        project: &ProjectId,
        target: &MemberTarget,
        role: ProjectRole,
    ) -> Result<ProjectMember, StoreError>;

    /// One direct member.
    async fn get_project_user(
        &self,
        org: &OrgId,
        project: &ProjectId,
        user: &str,
    ) -> Result<ProjectMember, StoreError>;

    /// Changes a member's role in an active project.
    async fn modify_project_user(
        &self,
        org: &OrgId,
        project: &ProjectId,
        user: &str,
        role: ProjectRole,
    ) -> Result<ProjectMember, StoreError>;

    /// Ends a membership of an active project.
    async fn remove_project_user(
        &self,
        org: &OrgId,
        project: &ProjectId,
        user: &str,
    ) -> Result<(), StoreError>;

    /// One page of the organization's projects.
    async fn list_projects(
        &self,
        org: &OrgId,
        query: &FirstQuery,
        include_archived: bool,
    ) -> Result<NextPage<ProjectRecord>, StoreError> {
        let rows = self.fetch_projects(org, query, include_archived).await?;
        Ok(fetched_page(rows, query.limit))
    }

    /// One page of a project's direct members.
    async fn list_project_users(
        &self,
        org: &OrgId,
        project: &ProjectId,
        query: &FirstQuery,
    ) -> Result<NextPage<ProjectMember>, StoreError> {
        let rows = self.fetch_project_users(org, project, query).await?;
        Ok(fetched_page(rows, query.limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_role_ids() {
        let p = ProjectId::from_request("proj_abc");
        let id = ProjectRole::Owner.role_id(&p);
        assert_eq!(id, "role-api-project-owner__api-project__proj_abc");
        assert_eq!(ProjectRole::from_role_id(&id, &p), Some(ProjectRole::Owner));
        let other = ProjectId::from_request("proj_abd");
        assert_eq!(ProjectRole::from_role_id(&id, &other), None);
        assert_eq!(
            ProjectRole::from_role_id(&ProjectRole::Member.role_id(&p), &p),
            Some(ProjectRole::Member)
        );
    }

    #[test]
    fn member_targets() {
        let target = |id: Option<&str>, email: Option<&str>| MemberTarget {
            user_id: id.map(str::to_owned),
            email: email.map(str::to_owned),
        };
        let found = |s: &str| Some(s.to_owned());
        assert_eq!(
            rules::one_user(&target(Some("u1"), None), found("u1"), None).unwrap(),
            "u1"
        );
        assert_eq!(
            rules::one_user(&target(Some("u1"), Some("a@x")), found("u1"), found("u1")).unwrap(),
            "u1"
        );
        let mismatch = rules::one_user(&target(Some("u1"), Some("a@x")), found("u1"), found("u2"));
        assert!(matches!(
            mismatch,
            Err(StoreError::Conflict {
                param: Some("email"),
                ..
            })
        ));
        let unknown = rules::one_user(&target(None, Some("a@x")), None, None);
        assert!(matches!(
            unknown,
            Err(StoreError::Conflict {
                param: Some("email"),
                ..
            })
        ));
        let unknown = rules::one_user(&target(Some("u9"), None), None, None);
        assert!(matches!(
            unknown,
            Err(StoreError::Conflict {
                param: Some("user_id"),
                ..
            })
        ));
    }
}
