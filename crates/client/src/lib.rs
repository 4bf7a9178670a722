//! A typed client for the OpenAI Admin API *organization users* resource and the directory
//! around it: roles, users' roles, groups, their members and their roles, and projects with
//! their users, service accounts, API keys and groups.
//!
//! It speaks to any server of this API: orgusers, or the real one at
//! `https://api.openai.com/v1`. Models are the shared wire types of [`orgusers_api`].
//!
//! ```no_run
//! use futures_util::TryStreamExt;
//! use orgusers_client::{Client, ListParams};
//!
//! # async fn run() -> Result<(), orgusers_client::Error> {
//! // OPENAI_ADMIN_KEY and OPENAI_BASE_URL, as the official SDKs read them.
//! let client = Client::from_env()?;
//! let users = client.users();
//!
//! // One page.
//! let page = users.list(&ListParams { limit: Some(10), ..ListParams::default() }).await?;
//! println!("{} users, more: {}", page.data.len(), page.has_more);
//!
//! // Every user, page after page.
//! let everyone: Vec<_> = users.list_all(ListParams::default()).try_collect().await?;
//!
//! // Filter by email, change a role.
//! let ada = users.list(&ListParams::emails(["ada@example.com"])).await?;
//! if let Some(user) = ada.data.first() {
//!     let update = orgusers_api::UserUpdate { role: Some(Some("owner".into())), ..Default::default() };
//!     users.update(&user.id, &update).await?;
//! }
//! # Ok(()) }
//! ```
//!
//! Roles and groups list with a cursor (`next`) rather than an id: [`PageParams`] asks for a
//! page, and `list_all` follows the cursors.
//!
//! ```no_run
//! use futures_util::TryStreamExt;
//! use orgusers_client::{Client, Order, PageParams};
//!
//! # async fn run() -> Result<(), orgusers_client::Error> {
//! let client = Client::from_env()?;
//! let roles: Vec<_> = client.roles().list_all(PageParams::default()).try_collect().await?;
//! let group = client.groups().create("Support").await?;
//! client.groups().users(&group.id).add("user-abc").await?;
//! client.groups().roles(&group.id).assign(&roles[0].id).await?;
//! let newest = PageParams { limit: Some(5), order: Some(Order::Desc), ..PageParams::default() };
//! for member in client.groups().users(&group.id).list(&newest).await?.data {
//!     println!("{} {}", member.id, member.name);
//! }
//! # Ok(()) }
//! ```
//!
//! Projects, their users, service accounts and API keys list first/last pages, as users do:
//! `after` is the `last_id` of the previous page ([`FirstLastParams`], [`ProjectListParams`],
//! [`ProjectApiKeyListParams`]); the groups granted access to a project list with a cursor.
//!
//! ```no_run
//! use futures_util::TryStreamExt;
//! use orgusers_api::projects::{ProjectCreate, ProjectUserAdd, ServiceAccountCreate};
//! use orgusers_client::{Client, ProjectListParams};
//!
//! # async fn run() -> Result<(), orgusers_client::Error> {
//! let client = Client::from_env()?;
//! let projects = client.projects();
//! let every: Vec<_> = projects
//!     .list_all(ProjectListParams { include_archived: true, ..ProjectListParams::default() })
//!     .try_collect()
//!     .await?;
//! let create = ProjectCreate { name: "Billing".into(), external_key_id: None, residency: None };
//! let project = projects.create(&create).await?;
//! let ada = ProjectUserAdd { user_id: None, email: Some("ada@example.com".into()), role: "owner".into() };
//! projects.users(&project.id).add(&ada).await?;
//! let account = ServiceAccountCreate { name: "Deployer".into(), create_service_account_only: None };
//! let created = projects.service_accounts(&project.id).create(&account).await?;
//! if let Some(key) = created.api_key {
//!     println!("store this secret now, it is shown once: {}", key.value);
//! }
//! # Ok(()) }
//! ```

mod admin_api_keys;
mod audit_logs;
pub mod control;
#[cfg(test)]
mod directory_tests;
mod emulator;
mod error;
mod groups;
mod invites;
mod pager;
mod project_api_keys;
mod projects;
#[cfg(test)]
mod projects_tests;
mod retry;
mod roles;
#[cfg(test)]
mod scripted_tests;
mod service_accounts;
mod user_roles;

use std::time::Duration;

use futures_util::Stream;
use orgusers_api::{User, UserDeleted, UserList, UserUpdate};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use admin_api_keys::{AdminApiKeyListParams, AdminApiKeys};
pub use audit_logs::{AuditLogListParams, AuditLogs};
pub use error::Error;
pub use groups::{GroupRoles, GroupUsers, Groups};
pub use invites::Invites;
pub use pager::{FirstLastParams, Order, PageParams};
pub use project_api_keys::{OwnerProjectAccess, ProjectApiKeyListParams, ProjectApiKeys};
pub use projects::{ProjectGroups, ProjectListParams, ProjectUsers, Projects};
pub use roles::Roles;
pub use service_accounts::ServiceAccounts;
pub use user_roles::UserRoles;

/// The real API, used when `OPENAI_BASE_URL` is not set.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// Makes rustls use the ring provider for this process, unless one is installed already.
///
/// [`ClientBuilder::build`] calls it. A program that builds other HTTP clients on the same
/// reqwest (whose TLS needs a process-wide provider once this crate is linked) calls it first.
pub fn install_tls_provider() {
    #[cfg(feature = "tls")]
    {
        // Fails only when a provider is installed already, which is what we want.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// A client of one server with one admin key. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    admin_key: String,
    max_retries: u32,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("max_retries", &self.max_retries)
            .finish_non_exhaustive()
    }
}

/// Settings of a [`Client`] before it is built.
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base_url: String,
    admin_key: String,
    timeout: Duration,
    connect_timeout: Duration,
    max_retries: u32,
}

impl ClientBuilder {
    /// The whole-request timeout (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The connection timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How many times a request is retried after a 429, a 5xx or a connection failure
    /// (default 2, as the official SDKs).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, Error> {
        if self.admin_key.is_empty() {
            return Err(Error::Config("an admin key is required".into()));
        }
        install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(concat!("orgusers-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            base_url: self.base_url.trim_end_matches('/').to_owned(),
            admin_key: self.admin_key,
            max_retries: self.max_retries,
        })
    }
}

impl Client {
    /// A builder for a server at `base_url` (ending in `/v1`) with an admin key.
    ///
    /// ```
    /// let client = orgusers_client::Client::builder("http://127.0.0.1:8080/v1", "sk-admin-…")
    ///     .max_retries(0)
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn builder(base_url: impl Into<String>, admin_key: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            admin_key: admin_key.into(),
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_retries: 2,
        }
    }

    /// A client configured as the official SDKs are: `OPENAI_ADMIN_KEY` (required) and
    /// `OPENAI_BASE_URL` (default [`DEFAULT_BASE_URL`]).
    pub fn from_env() -> Result<Self, Error> {
        let key = std::env::var("OPENAI_ADMIN_KEY")
            .map_err(|_| Error::Config("OPENAI_ADMIN_KEY is not set".into()))?;
        let base = std::env::var("OPENAI_BASE_URL").unwrap_or_else(|_| DEFAULT_BASE_URL.into());
        Self::builder(base, key).build()
    }

    /// The users of the key's organization.
    pub fn users(&self) -> Users<'_> {
        Users { client: self }
    }

    /// The organization's roles.
    pub fn roles(&self) -> Roles<'_> {
        Roles::new(self)
    }

    /// The organization's groups, their members and their roles.
    pub fn groups(&self) -> Groups<'_> {
        Groups::new(self)
    }

    /// The organization's projects, and what lives in each: its users, service accounts, API
    /// keys and the groups granted access.
    pub fn projects(&self) -> Projects<'_> {
        Projects::new(self)
    }

    /// A GET.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path_and_query: &str) -> Result<T, Error> {
        self.send(Method::GET, path_and_query, None).await
    }

    /// A POST with `body` as JSON.
    pub(crate) async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, Error> {
        let body = serde_json::to_vec(body)
            .map_err(|e| Error::Config(format!("cannot encode the request body: {e}")))?;
        self.send(Method::POST, path, Some(body)).await
    }

    /// A POST without a body, for the operations that take none (`archive`).
    pub(crate) async fn post_without_body<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<T, Error> {
        self.send(Method::POST, path, None).await
    }

    /// A DELETE.
    pub(crate) async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        self.send(Method::DELETE, path, None).await
    }

    /// Sends one request to a path under the base URL; see [`Client::send_to`].
    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T, Error> {
        let url = format!("{}{path_and_query}", self.base_url);
        self.send_to(method, &url, body).await
    }

    /// The server's root: the base URL without its `/v1`, under which orgusers serves its own
    /// control endpoints (`/_orgusers/…`).
    pub(crate) fn root_url(&self) -> &str {
        self.base_url.strip_suffix("/v1").unwrap_or(&self.base_url)
    }

    /// Sends one request to `url`, retrying as configured, and decodes a 2xx body. A body is
    /// JSON, encoded once for every attempt.
    pub(crate) async fn send_to<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T, Error> {
        let mut attempt = 0;
        loop {
            let mut request = self
                .http
                .request(method.clone(), url)
                .bearer_auth(&self.admin_key);
            if let Some(body) = &body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let outcome = request.send().await;
            let wait = retry::decide(&outcome, attempt, self.max_retries);
            match (outcome, wait) {
                (_, Some(wait)) => {
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                (Ok(response), None) => return error::decode(response).await,
                (Err(e), None) => return Err(Error::Http(e)),
            }
        }
    }
}

/// What a list request asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListParams {
    /// Page size, 1 to 100 (the server's default is 20).
    pub limit: Option<u32>,
    /// Start after this user id.
    pub after: Option<String>,
    /// Only users with one of these emails (case-insensitive). Empty: no filter.
    pub emails: Vec<String>,
}

impl ListParams {
    /// A filter on emails.
    pub fn emails<S: Into<String>>(emails: impl IntoIterator<Item = S>) -> Self {
        Self {
            emails: emails.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// The query string, encoded as the official SDKs encode it: `emails%5B%5D=` repeated, `+`
    /// as `%2B`.
    pub fn query_string(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for email in &self.emails {
            query.append_pair("emails[]", email);
        }
        pager::append_limit_and_after(&mut query, self.limit, self.after.as_deref());
        query.finish()
    }
}

impl pager::ListQuery for ListParams {
    fn query_string(&self) -> String {
        ListParams::query_string(self)
    }

    fn start_after(&mut self, after: String) {
        self.after = Some(after);
    }
}

/// Characters left as they are in a path segment (RFC 3986 unreserved).
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `id` escaped as one path segment.
pub(crate) fn segment(id: &str) -> percent_encoding::PercentEncode<'_> {
    percent_encoding::utf8_percent_encode(id, PATH_SEGMENT)
}

const USERS: &str = "/organization/users";

fn user_path(id: &str) -> String {
    format!("{USERS}/{}", segment(id))
}

/// The `/organization/users` resource.
#[derive(Debug, Clone, Copy)]
pub struct Users<'a> {
    client: &'a Client,
}

impl<'a> Users<'a> {
    /// One page of users.
    pub async fn list(&self, params: &ListParams) -> Result<UserList, Error> {
        pager::page(self.client, USERS, params).await
    }

    /// Every user from `params.after` on, fetching pages of `params.limit` as the stream is
    /// read. The stream ends after the first error.
    pub fn list_all(self, params: ListParams) -> impl Stream<Item = Result<User, Error>> + 'a {
        pager::walk::<UserList, _>(self.client, USERS.to_owned(), params)
    }

    /// One user.
    pub async fn retrieve(&self, id: &str) -> Result<User, Error> {
        self.client.get(&user_path(id)).await
    }

    /// Changes a user's role or metadata; returns the user as it now is.
    pub async fn update(&self, id: &str, update: &UserUpdate) -> Result<User, Error> {
        self.client.post(&user_path(id), update).await
    }

    /// Deletes a user.
    pub async fn delete(&self, id: &str) -> Result<UserDeleted, Error> {
        self.client.delete(&user_path(id)).await
    }

    /// The roles of one user.
    pub fn roles(&self, user_id: &str) -> UserRoles<'a> {
        UserRoles::new(self.client, &user_path(user_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_encoded_as_the_sdks_do() {
        let params = ListParams {
            limit: Some(5),
            after: Some("user-1".into()),
            emails: vec!["a+b@x.io".into(), "zoë@x.io".into()],
        };
        assert_eq!(
            params.query_string(),
            "emails%5B%5D=a%2Bb%40x.io&emails%5B%5D=zo%C3%AB%40x.io&limit=5&after=user-1"
        );
        assert_eq!(ListParams::default().query_string(), "");
    }

    #[test]
    fn user_ids_are_escaped_in_paths() {
        assert_eq!(
            user_path("user-abc_1.2"),
            "/organization/users/user-abc_1.2"
        );
        assert_eq!(user_path("a/b c"), "/organization/users/a%2Fb%20c");
    }

    #[test]
    fn builder_needs_a_key() {
        assert!(matches!(
            Client::builder("http://x/v1", "").build(),
            Err(Error::Config(_))
        ));
    }
}
