//! The `/organization/admin_api_keys` resource: the organization's admin keys, listed and read
//! without their values; the value of a new key comes once, in the answer that creates it.
//!
//! ```no_run
//! use orgusers_api::admin_api_keys::AdminApiKeyCreateRequest;
//! use orgusers_client::Client;
//!
//! # async fn run() -> Result<(), orgusers_client::Error> {
//! let client = Client::from_env()?;
//! let request = AdminApiKeyCreateRequest { name: "ci".into(), expires_in_seconds: Some(3600) };
//! let created = client.admin_api_keys().create(&request).await?;
//! println!("{} {}", created.key.id, created.value);
//! # Ok(()) }
//! ```

use futures_util::Stream;
use orgusers_api::admin_api_keys::{
    AdminApiKey, AdminApiKeyCreateRequest, AdminApiKeyCreated, AdminApiKeyList,
};
use orgusers_api::list::Deleted;

use crate::pager::{self, ListQuery, Order};
use crate::{Client, Error, segment};

const ADMIN_API_KEYS: &str = "/organization/admin_api_keys";

fn key_path(id: &str) -> String {
    format!("{ADMIN_API_KEYS}/{}", segment(id))
}

/// What a list of admin API keys asks for. Every field left out takes the server's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminApiKeyListParams {
    /// Page size, 1 to 100 (the server's default is 20).
    pub limit: Option<u32>,
    /// Start after this key id: the `last_id` of the previous page.
    pub after: Option<String>,
    /// By creation time, oldest first (the server's default) or newest first.
    pub order: Option<Order>,
}

impl AdminApiKeyListParams {
    /// The query string, without the `?`.
    pub fn query_string(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        pager::append_limit_and_after(&mut query, self.limit, self.after.as_deref());
        if let Some(order) = self.order {
            query.append_pair("order", order.as_str());
        }
        query.finish()
    }
}

impl ListQuery for AdminApiKeyListParams {
    fn query_string(&self) -> String {
        AdminApiKeyListParams::query_string(self)
    }

    fn start_after(&mut self, after: String) {
        self.after = Some(after);
    }
}

/// The admin API keys of the key's organization, from [`Client::admin_api_keys`].
#[derive(Debug, Clone, Copy)]
pub struct AdminApiKeys<'a> {
    client: &'a Client,
}

impl Client {
    /// The organization's admin API keys (revoked ones are gone; expired ones stay listed).
    pub fn admin_api_keys(&self) -> AdminApiKeys<'_> {
        AdminApiKeys { client: self }
    }
}

impl<'a> AdminApiKeys<'a> {
    /// One page of keys.
    pub async fn list(&self, params: &AdminApiKeyListParams) -> Result<AdminApiKeyList, Error> {
        pager::page(self.client, ADMIN_API_KEYS, params).await
    }

    /// Every key from `params.after` on, page after page as the stream is read.
    pub fn list_all(
        self,
        params: AdminApiKeyListParams,
    ) -> impl Stream<Item = Result<AdminApiKey, Error>> + 'a {
        pager::list_all_by_id(self.client, ADMIN_API_KEYS.to_owned(), params)
    }

    /// Creates a key; the answer carries its value, which nothing shows again.
    pub async fn create(
        &self,
        request: &AdminApiKeyCreateRequest,
    ) -> Result<AdminApiKeyCreated, Error> {
        self.client.post(ADMIN_API_KEYS, request).await
    }

    /// One key, its value redacted.
    pub async fn retrieve(&self, id: &str) -> Result<AdminApiKey, Error> {
        self.client.get(&key_path(id)).await
    }

    /// Deletes (revokes) a key; the calling key may delete itself.
    pub async fn delete(&self, id: &str) -> Result<Deleted, Error> {
        self.client.delete(&key_path(id)).await
    }
}

#[cfg(test)]
mod tests {
    use futures_util::TryStreamExt;
    use serde_json::{Value, json};

    use super::*;
    use crate::directory_tests::{recording_server, seen};

    fn key(id: &str) -> Value {
        json!({"object": "organization.admin_api_key", "id": id, "name": "ci",
               "redacted_value": "sk-admin-...WXYZ", "created_at": 1_711_471_533,
               "expires_at": null, "last_used_at": null,
               "owner": {"type": "service_account", "role": "owner"}})
    }

    fn page(data: Vec<Value>, has_more: bool) -> Value {
        json!({"object": "list", "first_id": data.first().map(|item| item["id"].clone()),
               "last_id": data.last().map(|item| item["id"].clone()), "has_more": has_more,
               "data": data})
    }

    #[test]
    fn list_queries_name_the_order_last() {
        let params = AdminApiKeyListParams {
            limit: Some(2),
            after: Some("key_a".into()),
            order: Some(Order::Desc),
        };
        assert_eq!(params.query_string(), "limit=2&after=key_a&order=desc");
        assert_eq!(AdminApiKeyListParams::default().query_string(), "");
    }

    #[tokio::test]
    async fn keys_are_created_read_listed_and_deleted() {
        let mut created = key("key_a");
        created["value"] = json!("sk-admin-secret");
        let (client, log) = recording_server(vec![
            (200, created),
            (200, key("key_a")),
            (200, page(vec![key("key_a")], true)),
            (200, page(vec![key("key_b")], false)),
            (
                200,
                json!({"object": "organization.admin_api_key.deleted", "id": "key_a", "deleted": true}),
            ),
        ])
        .await;
        let keys = client.admin_api_keys();
        let request = AdminApiKeyCreateRequest {
            name: "ci".into(),
            expires_in_seconds: None,
        };
        let made = keys.create(&request).await.unwrap();
        assert_eq!(
            (made.key.id.as_str(), made.value.as_str()),
            ("key_a", "sk-admin-secret")
        );
        assert_eq!(keys.retrieve("key_a").await.unwrap().id, "key_a");
        let params = AdminApiKeyListParams {
            limit: Some(1),
            order: Some(Order::Desc),
            ..AdminApiKeyListParams::default()
        };
        let all: Vec<AdminApiKey> = keys.list_all(params).try_collect().await.unwrap();
        assert_eq!(all.len(), 2);
        assert!(keys.delete("key_a").await.unwrap().deleted);
        assert_eq!(
            *log.lock().unwrap(),
            vec![
                seen("POST", ADMIN_API_KEYS, Some(json!({"name": "ci"}))),
                seen("GET", "/organization/admin_api_keys/key_a", None),
                seen(
                    "GET",
                    "/organization/admin_api_keys?limit=1&order=desc",
                    None
                ),
                seen(
                    "GET",
                    "/organization/admin_api_keys?limit=1&after=key_a&order=desc",
                    None
                ),
                seen("DELETE", "/organization/admin_api_keys/key_a", None),
            ]
        );
    }
}
