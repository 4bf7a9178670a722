//! The `/organization/users/{user_id}/roles` resource: the roles one user holds.

use futures_util::Stream;
use orgusers_api::list::{NextList, Unassigned};
use orgusers_api::roles::{AssignedRole, RoleAssign, UserRoleAssignment};

use crate::pager::{self, PageParams};
use crate::{Client, Error, segment};

/// The roles of one user, from [`Users::roles`](crate::Users::roles).
#[derive(Debug, Clone)]
pub struct UserRoles<'a> {
    client: &'a Client,
    /// `/organization/users/{user_id}/roles`.
    path: String,
}

impl<'a> UserRoles<'a> {
    pub(crate) fn new(client: &'a Client, user_path: &str) -> Self {
        Self {
            client,
            path: format!("{user_path}/roles"),
        }
    }

    fn role_path(&self, role_id: &str) -> String {
        format!("{}/{}", self.path, segment(role_id))
    }

    /// One page of the user's roles, each with where the user holds it from.
    pub async fn list(&self, params: &PageParams) -> Result<NextList<AssignedRole>, Error> {
        pager::page(self.client, &self.path, params).await
    }

    /// Every role of the user from `params.after` on, page after page as the stream is read.
    pub fn list_all(
        &self,
        params: PageParams,
    ) -> impl Stream<Item = Result<AssignedRole, Error>> + 'a {
        pager::list_all(self.client, self.path.clone(), params)
    }

    /// Gives the user a role.
    pub async fn assign(&self, role_id: &str) -> Result<UserRoleAssignment, Error> {
        let body = RoleAssign {
            role_id: role_id.to_owned(),
        };
        self.client.post(&self.path, &body).await
    }

    /// One role the user holds.
    pub async fn retrieve(&self, role_id: &str) -> Result<AssignedRole, Error> {
        self.client.get(&self.role_path(role_id)).await
    }

    /// Takes a role from the user.
    pub async fn unassign(&self, role_id: &str) -> Result<Unassigned, Error> {
        self.client.delete(&self.role_path(role_id)).await
    }
}
