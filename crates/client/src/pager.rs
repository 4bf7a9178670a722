//! The cursor-style lists: roles, groups, group members and role assignments. A page is a
//! [`NextList`] whose `next` is the `after` of the page that follows; [`list_all`] walks them.

use futures_util::Stream;
use orgusers_api::list::NextList;
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

/// One page of the list at `path`.
pub(crate) async fn page<T: DeserializeOwned>(
    client: &Client,
    path: &str,
    params: &PageParams,
) -> Result<NextList<T>, Error> {
    let query = params.query_string();
    if query.is_empty() {
        client.get(path).await
    } else {
        client.get(&format!("{path}?{query}")).await
    }
}

/// Every item of the list at `path` from `params.after` on, fetching pages of `params.limit` as
/// the stream is read and following `next` until a page says `has_more: false` (or has no
/// `next`). The stream ends after the first error.
pub(crate) fn list_all<'a, T: DeserializeOwned + 'a>(
    client: &'a Client,
    path: String,
    params: PageParams,
) -> impl Stream<Item = Result<T, Error>> + 'a {
    struct Walk<T> {
        path: String,
        params: PageParams,
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
            match page::<T>(client, &walk.path, &walk.params).await {
                Ok(page) => {
                    walk.done = !page.has_more || page.next.is_none();
                    walk.params.after = page.next;
                    walk.buffered = page.data.into_iter();
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
