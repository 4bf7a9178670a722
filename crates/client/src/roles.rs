//! The `/organization/roles` resource.

use futures_util::Stream;
use orgusers_api::list::{Deleted, NextList};
use orgusers_api::roles::{Role, RoleCreate, RoleUpdate};

use crate::pager::{self, PageParams};
use crate::{Client, Error, segment};

const ROLES: &str = "/organization/roles";

fn role_path(id: &str) -> String {
    format!("{ROLES}/{}", segment(id))
}

/// The roles of the key's organization: the two predefined ones and custom roles.
#[derive(Debug, Clone, Copy)]
pub struct Roles<'a> {
    client: &'a Client,
}

impl<'a> Roles<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// One page of roles.
    pub async fn list(&self, params: &PageParams) -> Result<NextList<Role>, Error> {
        pager::page(self.client, ROLES, params).await
    }

    /// Every role from `params.after` on, page after page as the stream is read.
    pub fn list_all(self, params: PageParams) -> impl Stream<Item = Result<Role, Error>> + 'a {
        pager::list_all(self.client, ROLES.to_owned(), params)
    }

    /// One role.
    pub async fn retrieve(&self, id: &str) -> Result<Role, Error> {
        self.client.get(&role_path(id)).await
    }

    /// Creates a custom role.
    pub async fn create(&self, role: &RoleCreate) -> Result<Role, Error> {
        self.client.post(ROLES, role).await
    }

    /// Changes what `update` gives of a custom role; returns the role as it now is.
    pub async fn update(&self, id: &str, update: &RoleUpdate) -> Result<Role, Error> {
        self.client.post(&role_path(id), update).await
    }

    /// Deletes a custom role.
    pub async fn delete(&self, id: &str) -> Result<Deleted, Error> {
        self.client.delete(&role_path(id)).await
    }
}
