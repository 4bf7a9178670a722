//! The `/organization/projects` resource, its users (`…/users`) and the groups granted access to
//! it (`…/groups`). Its service accounts and API keys have a file each.

use futures_util::Stream;
use orgusers_api::list::{Deleted, FirstList, NextList, Unassigned};
use orgusers_api::projects::{
    Project, ProjectCreate, ProjectGroup, ProjectGroupAdd, ProjectUpdate, ProjectUser,
    ProjectUserAdd, ProjectUserUpdate,
};

use crate::pager::{self, FirstLastParams, ListQuery, PageParams};
use crate::project_api_keys::ProjectApiKeys;
use crate::service_accounts::ServiceAccounts;
use crate::{Client, Error, segment};

const PROJECTS: &str = "/organization/projects";

fn project_path(id: &str) -> String {
    format!("{PROJECTS}/{}", segment(id))
}

/// What a list of projects asks for. Every field left out takes the server's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectListParams {
    /// Page size, 1 to 100 (the server's default is 20).
    pub limit: Option<u32>,
    /// Start after this project id: the `last_id` of the previous page.
    pub after: Option<String>,
    /// Archived projects too (the server leaves them out by default).
    pub include_archived: bool,
}

impl ProjectListParams {
    /// The query string, without the `?`; `include_archived=true` only when asked for.
    pub fn query_string(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        pager::append_limit_and_after(&mut query, self.limit, self.after.as_deref());
        if self.include_archived {
            query.append_pair("include_archived", "true");
        }
        query.finish()
    }
}

impl ListQuery for ProjectListParams {
    fn query_string(&self) -> String {
        ProjectListParams::query_string(self)
    }

    fn start_after(&mut self, after: String) {
        self.after = Some(after);
    }
}

/// The projects of the key's organization.
#[derive(Debug, Clone, Copy)]
pub struct Projects<'a> {
    client: &'a Client,
}

impl<'a> Projects<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// One page of projects, oldest first.
    pub async fn list(&self, params: &ProjectListParams) -> Result<FirstList<Project>, Error> {
        pager::page(self.client, PROJECTS, params).await
    }

    /// Every project from `params.after` on, page after page as the stream is read.
    pub fn list_all(
        self,
        params: ProjectListParams,
    ) -> impl Stream<Item = Result<Project, Error>> + 'a {
        pager::list_all_by_id(self.client, PROJECTS.to_owned(), params)
    }

    /// One project, archived or not.
    pub async fn retrieve(&self, id: &str) -> Result<Project, Error> {
        self.client.get(&project_path(id)).await
    }

    /// Creates a project.
    pub async fn create(&self, project: &ProjectCreate) -> Result<Project, Error> {
        self.client.post(PROJECTS, project).await
    }

    /// Changes what `update` gives of a project (its name); returns the project as it now is.
    pub async fn modify(&self, id: &str, update: &ProjectUpdate) -> Result<Project, Error> {
        self.client.post(&project_path(id), update).await
    }

    /// Archives a project: it can still be read, but no longer changed. Projects are never
    /// deleted, and an archived one stays archived.
    pub async fn archive(&self, id: &str) -> Result<Project, Error> {
        self.client
            .post_without_body(&format!("{}/archive", project_path(id)))
            .await
    }

    /// The users of one project.
    pub fn users(&self, project_id: &str) -> ProjectUsers<'a> {
        ProjectUsers {
            client: self.client,
            path: format!("{}/users", project_path(project_id)),
        }
    }

    /// The service accounts of one project, and their keys.
    pub fn service_accounts(&self, project_id: &str) -> ServiceAccounts<'a> {
        ServiceAccounts::new(self.client, &project_path(project_id))
    }

    /// The API keys of one project.
    pub fn api_keys(&self, project_id: &str) -> ProjectApiKeys<'a> {
        ProjectApiKeys::new(self.client, &project_path(project_id))
    }

    /// The groups granted access to one project.
    pub fn groups(&self, project_id: &str) -> ProjectGroups<'a> {
        ProjectGroups {
            client: self.client,
            path: format!("{}/groups", project_path(project_id)),
        }
    }
}

/// The users of one project, from [`Projects::users`].
#[derive(Debug, Clone)]
pub struct ProjectUsers<'a> {
    client: &'a Client,
    /// `/organization/projects/{project_id}/users`.
    path: String,
}

impl<'a> ProjectUsers<'a> {
    fn user_path(&self, user_id: &str) -> String {
        format!("{}/{}", self.path, segment(user_id))
    }

    /// One page of the project's users.
    pub async fn list(&self, params: &FirstLastParams) -> Result<FirstList<ProjectUser>, Error> {
        pager::page(self.client, &self.path, params).await
    }

    /// Every user of the project from `params.after` on, page after page as the stream is read.
    pub fn list_all(
        &self,
        params: FirstLastParams,
    ) -> impl Stream<Item = Result<ProjectUser, Error>> + 'a {
        pager::list_all_by_id(self.client, self.path.clone(), params)
    }

    /// Adds a user of the organization to the project, named by `user_id` or `email`, with
    /// `role` `owner` or `member`.
    pub async fn add(&self, user: &ProjectUserAdd) -> Result<ProjectUser, Error> {
        self.client.post(&self.path, user).await
    }

    /// One user of the project.
    pub async fn retrieve(&self, user_id: &str) -> Result<ProjectUser, Error> {
        self.client.get(&self.user_path(user_id)).await
    }

    /// Gives a user of the project the role `owner` or `member`; returns the user as it now is.
    pub async fn modify(&self, user_id: &str, role: &str) -> Result<ProjectUser, Error> {
        let body = ProjectUserUpdate {
            role: role.to_owned(),
        };
        self.client.post(&self.user_path(user_id), &body).await
    }

    /// Ends a user's membership of the project (the user stays in the organization).
    pub async fn remove(&self, user_id: &str) -> Result<Deleted, Error> {
        self.client.delete(&self.user_path(user_id)).await
    }
}

/// The groups granted access to one project, from [`Projects::groups`]. A cursor-style list.
#[derive(Debug, Clone)]
pub struct ProjectGroups<'a> {
    client: &'a Client,
    /// `/organization/projects/{project_id}/groups`.
    path: String,
}

impl<'a> ProjectGroups<'a> {
    fn group_path(&self, group_id: &str) -> String {
        format!("{}/{}", self.path, segment(group_id))
    }

    /// One page of the groups with access (`limit` 0 to 100, the server's default 20).
    pub async fn list(&self, params: &PageParams) -> Result<NextList<ProjectGroup>, Error> {
        pager::page(self.client, &self.path, params).await
    }

    /// Every group with access from `params.after` on, page after page as the stream is read.
    pub fn list_all(
        &self,
        params: PageParams,
    ) -> impl Stream<Item = Result<ProjectGroup, Error>> + 'a {
        pager::list_all(self.client, self.path.clone(), params)
    }

    /// Grants a group access to the project with `role`, a project role id:
    /// `role-api-project-owner__api-project__{project_id}` or the member one.
    pub async fn add(&self, group_id: &str, role: &str) -> Result<ProjectGroup, Error> {
        let body = ProjectGroupAdd {
            group_id: group_id.to_owned(),
            role: role.to_owned(),
        };
        self.client.post(&self.path, &body).await
    }

    /// One group's access to the project.
    pub async fn retrieve(&self, group_id: &str) -> Result<ProjectGroup, Error> {
        self.client.get(&self.group_path(group_id)).await
    }

    /// Revokes a group's access to the project (the group itself stays).
    pub async fn remove(&self, group_id: &str) -> Result<Unassigned, Error> {
        self.client.delete(&self.group_path(group_id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_queries_ask_for_archived_ones_only_when_wanted() {
        let params = ProjectListParams {
            limit: Some(5),
            after: Some("proj_a".into()),
            include_archived: true,
        };
        assert_eq!(
            params.query_string(),
            "limit=5&after=proj_a&include_archived=true"
        );
        assert_eq!(ProjectListParams::default().query_string(), "");
    }

    #[test]
    fn project_ids_are_escaped_in_paths() {
        assert_eq!(project_path("proj_a"), "/organization/projects/proj_a");
        assert_eq!(project_path("a/b"), "/organization/projects/a%2Fb");
    }
}
