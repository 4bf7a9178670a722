//! The `/organization/projects/{project_id}/service_accounts` resource, and the keys made for
//! a service account (`…/{service_account_id}/api_keys`).

use futures_util::Stream;
use orgusers_api::list::{Deleted, FirstList};
use orgusers_api::projects::{
    ServiceAccount, ServiceAccountApiKey, ServiceAccountCreate, ServiceAccountCreated,
    ServiceAccountKeyCreate, ServiceAccountUpdate,
};

use crate::pager::{self, FirstLastParams};
use crate::{Client, Error, segment};

/// The service accounts of one project, from
/// [`Projects::service_accounts`](crate::Projects::service_accounts).
#[derive(Debug, Clone)]
pub struct ServiceAccounts<'a> {
    client: &'a Client,
    /// `/organization/projects/{project_id}/service_accounts`.
    path: String,
}

impl<'a> ServiceAccounts<'a> {
    pub(crate) fn new(client: &'a Client, project_path: &str) -> Self {
        Self {
            client,
            path: format!("{project_path}/service_accounts"),
        }
    }

    fn account_path(&self, id: &str) -> String {
        format!("{}/{}", self.path, segment(id))
    }

    /// One page of the project's service accounts.
    pub async fn list(&self, params: &FirstLastParams) -> Result<FirstList<ServiceAccount>, Error> {
        pager::page(self.client, &self.path, params).await
    }

    /// Every service account from `params.after` on, page after page as the stream is read.
    pub fn list_all(
        &self,
        params: FirstLastParams,
    ) -> impl Stream<Item = Result<ServiceAccount, Error>> + 'a {
        pager::list_all_by_id(self.client, self.path.clone(), params)
    }

    /// Creates a service account: with the role `member` and a first API key, whose secret
    /// (`api_key.value`) this answer alone shows; or, with `create_service_account_only`,
    /// without a key and with the role `none`.
    pub async fn create(
        &self,
        account: &ServiceAccountCreate,
    ) -> Result<ServiceAccountCreated, Error> {
        self.client.post(&self.path, account).await
    }

    /// One service account.
    pub async fn retrieve(&self, id: &str) -> Result<ServiceAccount, Error> {
        self.client.get(&self.account_path(id)).await
    }

    /// Changes what `update` gives of a service account (name, role); returns it as it now is.
    pub async fn modify(
        &self,
        id: &str,
        update: &ServiceAccountUpdate,
    ) -> Result<ServiceAccount, Error> {
        self.client.post(&self.account_path(id), update).await
    }

    /// Deletes a service account and its keys.
    pub async fn delete(&self, id: &str) -> Result<Deleted, Error> {
        self.client.delete(&self.account_path(id)).await
    }

    /// Makes a new API key for a service account. The answer holds the key's secret (`value`),
    /// shown this once.
    pub async fn create_api_key(
        &self,
        id: &str,
        key: &ServiceAccountKeyCreate,
    ) -> Result<ServiceAccountApiKey, Error> {
        let path = format!("{}/api_keys", self.account_path(id));
        self.client.post(&path, key).await
    }
}
