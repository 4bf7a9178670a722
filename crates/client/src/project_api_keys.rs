//! The `/organization/projects/{project_id}/api_keys` resource: the project's API keys, owned by
//! users or service accounts, never with their secrets.

use futures_util::Stream;
use orgusers_api::list::{Deleted, FirstList};
use orgusers_api::projects::ProjectApiKey;

use crate::pager::{self, ListQuery};
use crate::{Client, Error, segment};

/// Which keys a list of project API keys shows, by whether their owner has access to the
/// project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerProjectAccess {
    /// Keys whose owner has access to the project.
    Active,
    /// Keys whose owner no longer has access.
    Inactive,
    /// Every enabled key.
    Any,
}

impl OwnerProjectAccess {
    /// `active`, `inactive` or `any`, as the query names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::Any => "any",
        }
    }
}

/// What a list of project API keys asks for. Every field left out takes the server's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectApiKeyListParams {
    /// Page size, 1 to 100 (the server's default is 20).
    pub limit: Option<u32>,
    /// Start after this key id: the `last_id` of the previous page.
    pub after: Option<String>,
    /// Only the keys whose owner has, or has not, access to the project.
    pub owner_project_access: Option<OwnerProjectAccess>,
}

impl ProjectApiKeyListParams {
    /// The query string, without the `?`.
    pub fn query_string(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        pager::append_limit_and_after(&mut query, self.limit, self.after.as_deref());
        if let Some(access) = self.owner_project_access {
            query.append_pair("owner_project_access", access.as_str());
        }
        query.finish()
    }
}

impl ListQuery for ProjectApiKeyListParams {
    fn query_string(&self) -> String {
        ProjectApiKeyListParams::query_string(self)
    }

    fn start_after(&mut self, after: String) {
        self.after = Some(after);
    }
}

/// The API keys of one project, from [`Projects::api_keys`](crate::Projects::api_keys).
#[derive(Debug, Clone)]
pub struct ProjectApiKeys<'a> {
    client: &'a Client,
    /// `/organization/projects/{project_id}/api_keys`.
    path: String,
}

impl<'a> ProjectApiKeys<'a> {
    pub(crate) fn new(client: &'a Client, project_path: &str) -> Self {
        Self {
            client,
            path: format!("{project_path}/api_keys"),
        }
    }

    fn key_path(&self, id: &str) -> String {
        format!("{}/{}", self.path, segment(id))
    }

    /// One page of the project's API keys.
    pub async fn list(
        &self,
        params: &ProjectApiKeyListParams,
    ) -> Result<FirstList<ProjectApiKey>, Error> {
        pager::page(self.client, &self.path, params).await
    }

    /// Every key from `params.after` on, page after page as the stream is read.
    pub fn list_all(
        &self,
        params: ProjectApiKeyListParams,
    ) -> impl Stream<Item = Result<ProjectApiKey, Error>> + 'a {
        pager::list_all_by_id(self.client, self.path.clone(), params)
    }

    /// One key, its secret redacted.
    pub async fn retrieve(&self, id: &str) -> Result<ProjectApiKey, Error> {
        self.client.get(&self.key_path(id)).await
    }

    /// Deletes (revokes) a key.
    pub async fn delete(&self, id: &str) -> Result<Deleted, Error> {
        self.client.delete(&self.key_path(id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_queries_name_the_owner_access_last() {
        let params = ProjectApiKeyListParams {
            limit: Some(2),
            after: None,
            owner_project_access: Some(OwnerProjectAccess::Inactive),
        };
        assert_eq!(
            params.query_string(),
            "limit=2&owner_project_access=inactive"
        );
        assert_eq!(ProjectApiKeyListParams::default().query_string(), "");
    }
}
