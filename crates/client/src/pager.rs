//! Paging, for both styles of list. Cursor-style lists (roles, groups, group members, role
//! assignments, project groups) answer a [`NextList`] whose `next` is the `after` of the page
//! that follows. First/last lists (users, projects, project users, service accounts, project API
//! keys) answer a [`FirstList`] (users a [`UserList`]) whose `last_id` is that `after`. One walk,
//! [`walk`], follows either; [`list_all`] and [`list_all_by_id`] name the two styles.

use futures_util::Stream;
use orgusers_api::UserList;
use orgusers_api::list::{FirstList, NextList};
use serde::de::DeserializeOwned;

use crate::{Client, Error};
/// The order of a cursor-style list, by creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Oldest first.
    Asc,
    /// Newest first.
    Desc,
}

impl Order {
    /// `asc` or `desc`, as the query names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }
}

/// What a cursor-style list request asks for. Every field left out takes the server's default
/// (which differs from list to list).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageParams {
    /// Page size (orgusers and the real API take up to 1000).
    pub limit: Option<u32>,
    /// Oldest or newest first.
    pub order: Option<Order>,
    /// A cursor: the `next` of the previous page.
    pub after: Option<String>,
}

impl PageParams {
    /// The query string, without the `?`.
    pub fn query_string(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(limit) = self.limit {
            query.append_pair("limit", &limit.to_string());
        }
        if let Some(order) = self.order {
            query.append_pair("order", order.as_str());
        }
        if let Some(after) = &self.after {
            query.append_pair("after", after);
        }
        query.finish()
    }
}

impl ListQuery for PageParams {
    fn query_string(&self) -> String {
        PageParams::query_string(self)
    }

    fn start_after(&mut self, after: String) {
        self.after = Some(after);
    }
}

/// What a first/last list request asks for (project users, service accounts). Every field left
/// out takes the server's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FirstLastParams {
    /// Page size, 1 to 100 (the server's default is 20).
    pub limit: Option<u32>,
    /// Start after this id: the `last_id` of the previous page.
    pub after: Option<String>,
}

impl FirstLastParams {
    /// The query string, without the `?`.
    pub fn query_string(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        append_limit_and_after(&mut query, self.limit, self.after.as_deref());
        query.finish()
    }
}

impl ListQuery for FirstLastParams {
    fn query_string(&self) -> String {
        FirstLastParams::query_string(self)
    }

    fn start_after(&mut self, after: String) {
        self.after = Some(after);
    }
}

/// Appends `limit` and `after`, when given, in that order (as the official SDKs send them).
pub(crate) fn append_limit_and_after(
    query: &mut form_urlencoded::Serializer<'_, String>,
    limit: Option<u32>,
    after: Option<&str>,
) {
    if let Some(limit) = limit {
        query.append_pair("limit", &limit.to_string());
    }
    if let Some(after) = after {
        query.append_pair("after", after);
    }
}

/// The query of a list request, as a walk sends it page after page.
pub(crate) trait ListQuery {
    /// The query string, without the `?`; empty when nothing is asked for.
    fn query_string(&self) -> String;
    /// Asks for the page after `after` (a `next` cursor or a `last_id`).
    fn start_after(&mut self, after: String);
}

/// A page of a list, as a walk reads it.
pub(crate) trait Page: DeserializeOwned {
    /// What the list holds.
    type Item;
    /// The page's items, and the `after` of the page that follows: `None` on the last page.
    fn into_items_and_after(self) -> (Vec<Self::Item>, Option<String>);
}

impl<T: DeserializeOwned> Page for NextList<T> {
    type Item = T;

    fn into_items_and_after(self) -> (Vec<T>, Option<String>) {
        (self.data, self.next.filter(|_| self.has_more))
    }
}

impl<T: DeserializeOwned> Page for FirstList<T> {
    type Item = T;

    fn into_items_and_after(self) -> (Vec<T>, Option<String>) {
        (self.data, self.last_id.filter(|_| self.has_more))
    }
}

impl Page for UserList {
    type Item = orgusers_api::User;

    fn into_items_and_after(self) -> (Vec<Self::Item>, Option<String>) {
        (self.data, self.last_id.filter(|_| self.has_more))
    }
}

/// One page of the list at `path`, of either style.
pub(crate) async fn page<P: DeserializeOwned>(
    client: &Client,
    path: &str,
    params: &impl ListQuery,
) -> Result<P, Error> {
    let query = params.query_string();
    if query.is_empty() {
        client.get(path).await
    } else {
        client.get(&format!("{path}?{query}")).await
    }
}

/// Every item of the cursor-style list at `path` from `params.after` on: see [`walk`].
pub(crate) fn list_all<'a, T: DeserializeOwned + 'a>(
    client: &'a Client,
    path: String,
    params: PageParams,
) -> impl Stream<Item = Result<T, Error>> + 'a {
    walk::<NextList<T>, _>(client, path, params)
}

/// Every item of the first/last list at `path` from the query's `after` on: see [`walk`].
pub(crate) fn list_all_by_id<'a, T: DeserializeOwned + 'a, Q: ListQuery + 'a>(
    client: &'a Client,
    path: String,
    params: Q,
) -> impl Stream<Item = Result<T, Error>> + 'a {
    walk::<FirstList<T>, _>(client, path, params)
}

/// Every item of the list at `path`, fetching pages of `P` as the stream is read: the first
/// with `params`, each next one after where the previous ended, until a page says `has_more:
/// false` (or names no next page). The stream ends after the first error.
pub(crate) fn walk<'a, P: Page + 'a, Q: ListQuery + 'a>(
    client: &'a Client,
    path: String,
    params: Q,
) -> impl Stream<Item = Result<P::Item, Error>> + 'a {
    struct Walk<Q, T> {
        path: String,
        params: Q,
        buffered: std::vec::IntoIter<T>,
        done: bool,
    }
    let start = Walk {
        path,
        params,
        buffered: Vec::new().into_iter(),
        done: false,
    };
    futures_util::stream::unfold(start, move |mut walk| async move {
        loop {
            if let Some(item) = walk.buffered.next() {
                return Some((Ok(item), walk));
            }
            if walk.done {
                return None;
            }
            match page::<P>(client, &walk.path, &walk.params).await {
                Ok(page) => {
                    let (items, after) = page.into_items_and_after();
                    match after {
                        Some(after) => walk.params.start_after(after),
                        None => walk.done = true,
                    }
                    walk.buffered = items.into_iter();
                }
                Err(e) => {
                    walk.done = true;
                    walk.buffered = Vec::new().into_iter();
                    return Some((Err(e), walk));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_last_queries_name_limit_and_after() {
        let params = FirstLastParams {
            limit: Some(100),
            after: Some("user-a b".into()),
        };
        assert_eq!(params.query_string(), "limit=100&after=user-a+b");
        assert_eq!(FirstLastParams::default().query_string(), "");
    }

    #[test]
    fn queries_name_limit_order_and_cursor() {
        let params = PageParams {
            limit: Some(50),
            order: Some(Order::Desc),
            after: Some("c+/=1".into()),
        };
        assert_eq!(
            params.query_string(),
            "limit=50&order=desc&after=c%2B%2F%3D1"
        );
        assert_eq!(PageParams::default().query_string(), "");
        let asc = PageParams {
            order: Some(Order::Asc),
            ..PageParams::default()
        };
        assert_eq!(asc.query_string(), "order=asc");
    }
}
