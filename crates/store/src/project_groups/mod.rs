//! Groups granted access to a project, with the project role they hold there.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use async_trait::async_trait;
use orgusers_api::groups::GROUP_OBJECT;
use orgusers_api::projects::{PROJECT_GROUP_OBJECT, ProjectGroup};
use serde_json::json;

use crate::audit::AuditEvent;
use crate::ids::{GroupId, ProjectId};
use crate::page::{NextPage, NextQuery, Position, fetched_page};
use crate::projects::ProjectRole;
use crate::{Kind, OrgId, StoreError};

/// A group's access to a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectGroupRecord {
    /// The project.
    pub project_id: ProjectId,
    /// The group.
    pub group_id: GroupId,
    /// The group's name.
    pub group_name: String,
    /// The project role it holds.
    pub role: ProjectRole,
    /// Unix seconds of the grant.
    pub created_at: i64,
}

impl ProjectGroupRecord {
    /// Its place in the project's list.
    pub fn position(&self) -> Position {
        Position::new(self.created_at, self.group_id.as_str())
    }

    /// The `ProjectGroup` object of the API.
    pub fn to_wire(&self) -> ProjectGroup {
        ProjectGroup {
            object: PROJECT_GROUP_OBJECT.to_owned(),
            project_id: self.project_id.to_string(),
            group_id: self.group_id.to_string(),
            group_name: self.group_name.clone(),
            group_type: GROUP_OBJECT.to_owned(),
            created_at: self.created_at,
        }
    }
}

/// Decisions about project groups that do not depend on the backend.
pub mod rules {
    use crate::StoreError;
    use crate::ids::ProjectId;
    use crate::projects::ProjectRole;

    /// The project role `role` names: one of the project's two predefined roles.
    pub fn project_role(project: &ProjectId, role: &str) -> Result<ProjectRole, StoreError> {
        ProjectRole::from_role_id(role, project).ok_or_else(|| {
            StoreError::conflict(
                Some("role"),
                format!(
                    "'{role}' is no role of project {project}; expected '{}' or '{}'.",
                    ProjectRole::Owner.role_id(project),
                    ProjectRole::Member.role_id(project)
                ),
            )
        })
    }
}

pub(crate) fn grant_event(
    event_type: &'static str,
    project: &ProjectId,
    group: &GroupId,
    role: Option<ProjectRole>,
) -> AuditEvent {
    AuditEvent::new(
        event_type,
        project.as_str(),
        json!({ "project_id": project.as_str(), "group_id": group.as_str(), "role": role.map(ProjectRole::as_str) }),
    )
}

pub(crate) fn not_granted(group: &GroupId) -> StoreError {
    StoreError::not_found(Kind::Group, group.as_str())
}

/// Project groups per backend; paging is provided.
#[async_trait]
pub trait ProjectGroupStore: Send + Sync + 'static {
    /// Up to `query.fetch()` grants after the cursor, in list order.
    async fn fetch_project_groups(
        &self,
        org: &OrgId,
        project: &ProjectId,
        query: &NextQuery,
    ) -> Result<Vec<(Position, ProjectGroupRecord)>, StoreError>;

    /// Grants a group access to an active project with the role `role` names; a group that has
    /// access already keeps it unchanged.
    async fn add_project_group(
        &self,
        org: &OrgId,
        project: &ProjectId,
        group: &GroupId,
        role: &str,
    ) -> Result<ProjectGroupRecord, StoreError>;

    /// One grant.
    async fn get_project_group(
        &self,
        org: &OrgId,
        project: &ProjectId,
        group: &GroupId,
    ) -> Result<ProjectGroupRecord, StoreError>;

    /// Ends a group's access to an active project.
    async fn remove_project_group(
        &self,
        org: &OrgId,
        project: &ProjectId,
        group: &GroupId,
    ) -> Result<(), StoreError>;

    /// One page of a project's groups.
    async fn list_project_groups(
        &self,
        org: &OrgId,
        project: &ProjectId,
        query: &NextQuery,
    ) -> Result<NextPage<ProjectGroupRecord>, StoreError> {
        let rows = self.fetch_project_groups(org, project, query).await?;
        Ok(fetched_page(rows, query.limit))
    }
}
