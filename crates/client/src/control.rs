//! orgusers' own control endpoints (`/_orgusers/…`, beside `/v1`): injected faults and the
//! request journal. The real API has none of them; against it these calls fail as unknown URLs.
//!
//! ```no_run
//! use orgusers_client::Client;
//! use orgusers_client::control::FaultCreate;
//!
//! # async fn run() -> Result<(), orgusers_client::Error> {
//! let client = Client::from_env()?;
//! // The next two user lists are rate limited.
//! let rate_limit = FaultCreate {
//!     method: Some("GET".into()),
//!     status: Some(429),
//!     count: Some(2),
//!     ..FaultCreate::new("/v1/organization/users")
//! };
//! let fault = client.faults().add(&rate_limit).await?;
//! println!("{} fires {:?} more times", fault.id, fault.remaining);
//! for request in client.requests(Some(10)).await? {
//!     println!("{} {} {}", request.status, request.method, request.path);
//! }
//! # Ok(()) }
//! ```

use orgusers_api::control::ControlList;
pub use orgusers_api::control::{Fault, FaultCreate, FaultDeleted, FaultsDeleted, RequestRecord};
use reqwest::Method;

use crate::{Client, Error, segment};

const FAULTS: &str = "/_orgusers/faults";
const REQUESTS: &str = "/_orgusers/requests";

/// The organization's injected faults.
#[derive(Debug, Clone, Copy)]
pub struct Faults<'a> {
    client: &'a Client,
}

impl Faults<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.client.root_url())
    }

    /// Adds a fault; it applies from the next request on.
    pub async fn add(&self, fault: &FaultCreate) -> Result<Fault, Error> {
        let body = serde_json::to_vec(fault)
            .map_err(|e| Error::Config(format!("cannot encode the request body: {e}")))?;
        self.client
            .send_to(Method::POST, &self.url(FAULTS), Some(body))
            .await
    }

    /// Every fault, oldest first.
    pub async fn list(&self) -> Result<Vec<Fault>, Error> {
        let list: ControlList<Fault> = self
            .client
            .send_to(Method::GET, &self.url(FAULTS), None)
            .await?;
        Ok(list.data)
    }

    /// Removes every fault.
    pub async fn clear(&self) -> Result<FaultsDeleted, Error> {
        self.client
            .send_to(Method::DELETE, &self.url(FAULTS), None)
            .await
    }

    /// Removes one fault.
    pub async fn remove(&self, id: &str) -> Result<FaultDeleted, Error> {
        let path = format!("{FAULTS}/{}", segment(id));
        self.client
            .send_to(Method::DELETE, &self.url(&path), None)
            .await
    }
}

impl Client {
    /// The organization's injected faults (orgusers only).
    pub fn faults(&self) -> Faults<'_> {
        Faults { client: self }
    }

    /// The organization's last `limit` (default 100, at most 1000) `/v1` requests, newest first
    /// (orgusers only).
    pub async fn requests(&self, limit: Option<u32>) -> Result<Vec<RequestRecord>, Error> {
        let query = limit.map(|n| format!("?limit={n}"));
        let url = format!("{}{REQUESTS}{}", self.root_url(), query.unwrap_or_default());
        let list: ControlList<RequestRecord> = self.send_to(Method::GET, &url, None).await?;
        Ok(list.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_calls_go_beside_v1() {
        let client = Client::builder("http://127.0.0.1:1/v1", "sk-admin-x")
            .build()
            .unwrap();
        assert_eq!(client.root_url(), "http://127.0.0.1:1");
        assert_eq!(
            client.faults().url(FAULTS),
            "http://127.0.0.1:1/_orgusers/faults"
        );
        let other = Client::builder("http://127.0.0.1:1/", "sk-admin-x")
            .build()
            .unwrap();
        assert_eq!(other.root_url(), "http://127.0.0.1:1");
    }

    #[test]
    fn only_given_fields_are_sent() {
        let body = serde_json::to_value(FaultCreate {
            status: Some(429),
            count: Some(2),
            ..FaultCreate::new("/v1/organization/users")
        })
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"path": "/v1/organization/users", "status": 429, "count": 2})
        );
    }
}
