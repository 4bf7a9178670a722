//! The `/organization/groups` resource, its members (`…/users`) and its roles (`…/roles`).

use futures_util::Stream;
use orgusers_api::groups::{
    GroupInfo, GroupMember, GroupName, GroupRenamed, GroupUser, GroupUserAdd, GroupUserAssignment,
};
use orgusers_api::list::{Deleted, NextList, Unassigned};
use orgusers_api::roles::{AssignedRole, GroupRoleAssignment, RoleAssign};

use crate::pager::{self, PageParams};
use crate::{Client, Error, segment};

const GROUPS: &str = "/organization/groups";

fn group_path(id: &str) -> String {
    format!("{GROUPS}/{}", segment(id))
}

/// The groups of the key's organization.
#[derive(Debug, Clone, Copy)]
pub struct Groups<'a> {
    client: &'a Client,
}

impl<'a> Groups<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// One page of groups.
    pub async fn list(&self, params: &PageParams) -> Result<NextList<GroupInfo>, Error> {
        pager::page(self.client, GROUPS, params).await
    }

    /// Every group from `params.after` on, page after page as the stream is read.
    pub fn list_all(self, params: PageParams) -> impl Stream<Item = Result<GroupInfo, Error>> + 'a {
        pager::list_all(self.client, GROUPS.to_owned(), params)
    }

    /// One group.
    pub async fn retrieve(&self, id: &str) -> Result<GroupInfo, Error> {
        self.client.get(&group_path(id)).await
    }

    /// Creates a group.
    pub async fn create(&self, name: &str) -> Result<GroupInfo, Error> {
        let body = GroupName {
            name: name.to_owned(),
        };
        self.client.post(GROUPS, &body).await
    }

    /// Renames a group.
    pub async fn rename(&self, id: &str, name: &str) -> Result<GroupRenamed, Error> {
        let body = GroupName {
            name: name.to_owned(),
        };
        self.client.post(&group_path(id), &body).await
    }

    /// Deletes a group (its members stay users of the organization).
    pub async fn delete(&self, id: &str) -> Result<Deleted, Error> {
        self.client.delete(&group_path(id)).await
    }

    /// The members of one group.
    pub fn users(&self, group_id: &str) -> GroupUsers<'a> {
        GroupUsers {
            client: self.client,
            path: format!("{}/users", group_path(group_id)),
        }
    }

    /// The roles of one group.
    pub fn roles(&self, group_id: &str) -> GroupRoles<'a> {
        GroupRoles {
            client: self.client,
            path: format!("{}/roles", group_path(group_id)),
        }
    }
}

/// The members of one group, from [`Groups::users`].
#[derive(Debug, Clone)]
pub struct GroupUsers<'a> {
    client: &'a Client,
    /// `/organization/groups/{group_id}/users`.
    path: String,
}

impl<'a> GroupUsers<'a> {
    fn user_path(&self, user_id: &str) -> String {
        format!("{}/{}", self.path, segment(user_id))
    }

    /// One page of members.
    pub async fn list(&self, params: &PageParams) -> Result<NextList<GroupUser>, Error> {
        pager::page(self.client, &self.path, params).await
    }

    /// Every member from `params.after` on, page after page as the stream is read.
    pub fn list_all(
        &self,
        params: PageParams,
    ) -> impl Stream<Item = Result<GroupUser, Error>> + 'a {
        pager::list_all(self.client, self.path.clone(), params)
    }

    /// Adds a user of the organization to the group.
    pub async fn add(&self, user_id: &str) -> Result<GroupUserAssignment, Error> {
        let body = GroupUserAdd {
            user_id: user_id.to_owned(),
        };
        self.client.post(&self.path, &body).await
    }

    /// One member.
    pub async fn retrieve(&self, user_id: &str) -> Result<GroupMember, Error> {
        self.client.get(&self.user_path(user_id)).await
    }

    /// Removes a member from the group.
    pub async fn remove(&self, user_id: &str) -> Result<Unassigned, Error> {
        self.client.delete(&self.user_path(user_id)).await
    }
}

/// The roles of one group, from [`Groups::roles`]; its members hold them.
#[derive(Debug, Clone)]
pub struct GroupRoles<'a> {
    client: &'a Client,
    /// `/organization/groups/{group_id}/roles`.
    path: String,
}

impl<'a> GroupRoles<'a> {
    fn role_path(&self, role_id: &str) -> String {
        format!("{}/{}", self.path, segment(role_id))
    }

    /// One page of the group's roles.
    pub async fn list(&self, params: &PageParams) -> Result<NextList<AssignedRole>, Error> {
        pager::page(self.client, &self.path, params).await
    }

    /// Every role of the group from `params.after` on, page after page as the stream is read.
    pub fn list_all(
        &self,
        params: PageParams,
    ) -> impl Stream<Item = Result<AssignedRole, Error>> + 'a {
        pager::list_all(self.client, self.path.clone(), params)
    }

    /// Gives the group a role.
    pub async fn assign(&self, role_id: &str) -> Result<GroupRoleAssignment, Error> {
        let body = RoleAssign {
            role_id: role_id.to_owned(),
        };
        self.client.post(&self.path, &body).await
    }

    /// One role the group holds.
    pub async fn retrieve(&self, role_id: &str) -> Result<AssignedRole, Error> {
        self.client.get(&self.role_path(role_id)).await
    }

    /// Takes a role from the group.
    pub async fn unassign(&self, role_id: &str) -> Result<Unassigned, Error> {
        self.client.delete(&self.role_path(role_id)).await
    }
}
