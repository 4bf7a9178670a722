//! The request journal: `GET /_orgusers/requests`, each organization's last `/v1/…` requests.
//!
//! The stamping middleware records every answered `/v1/…` request whose key authenticated
//! (before that the organization is unknown): method, path, query, status, request id, time and
//! latency. Never a header, so never a key, and never a body. It lives in this process's
//! memory, at most [`JOURNAL_CAPACITY`] requests per organization, the oldest dropped first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::Method;
use axum::routing::get;
use axum::{Json, Router};
use orgusers_api::control::{ControlList, RequestRecord};
use orgusers_store::{LimitError, OrgId, parse_limit};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Authenticated, QueryString};

/// The most requests kept per organization.
pub const JOURNAL_CAPACITY: usize = 1000;
/// How many requests `GET /_orgusers/requests` answers without a `limit`.
pub const DEFAULT_LIMIT: usize = 100;
/// The longest query kept of a request, in bytes: a query may be up to a megabyte long, and the
/// journal keeps a thousand requests per organization. A longer one is cut (at a character
/// boundary).
pub const MAX_QUERY_BYTES: usize = 8 * 1024;
/// The `object` of a journal entry.
pub const REQUEST_OBJECT: &str = "orgusers.request";

/// The routes of the journal.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/_orgusers/requests", get(list))
}

/// One answered request.
#[derive(Debug, Clone)]
pub struct JournalEntry {
    pub method: Method,
    /// The path as sent, without the query.
    pub path: String,
    /// The query as sent (without `?`), at most [`MAX_QUERY_BYTES`]; `None` when there was none.
    pub query: Option<String>,
    pub status: u16,
    pub request_id: String,
    /// When the request arrived.
    pub received: SystemTime,
    /// From arrival to answer.
    pub latency: Duration,
}

impl JournalEntry {
    fn to_object(&self) -> RequestRecord {
        RequestRecord {
            object: REQUEST_OBJECT.to_owned(),
            method: self.method.as_str().to_owned(),
            path: self.path.clone(),
            query: self.query.clone(),
            status: self.status,
            request_id: self.request_id.clone(),
            created_at: self
                .received
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            latency_ms: u64::try_from(self.latency.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// `query` cut to at most [`MAX_QUERY_BYTES`], at a character boundary.
pub fn bounded_query(query: &str) -> String {
    if query.len() <= MAX_QUERY_BYTES {
        return query.to_owned();
    }
    let mut end = MAX_QUERY_BYTES;
    while !query.is_char_boundary(end) {
        end -= 1;
    }
    query[..end].to_owned()
}

/// Every organization's last requests, in this process.
#[derive(Debug, Default)]
pub struct Journal {
    by_organization: Mutex<HashMap<OrgId, VecDeque<JournalEntry>>>,
}

impl Journal {
    fn lock(&self) -> MutexGuard<'_, HashMap<OrgId, VecDeque<JournalEntry>>> {
        // Each change is one push or pop: a panic elsewhere cannot leave the map half-changed.
        self.by_organization
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Records one answered request of `org`, dropping its oldest beyond the capacity.
    pub fn record(&self, org: &OrgId, entry: JournalEntry) {
        let mut by_organization = self.lock();
        // The organization's id is cloned only for its first request.
        let entries = match by_organization.get_mut(org) {
            Some(entries) => entries,
            None => by_organization
                .entry(org.clone())
                .or_insert_with(|| VecDeque::with_capacity(16)),
        };
        if entries.len() >= JOURNAL_CAPACITY {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// `org`'s last `limit` requests, newest first.
    pub fn newest(&self, org: &OrgId, limit: usize) -> Vec<RequestRecord> {
        self.lock()
            .get(org)
            .map(|entries| {
                entries
                    .iter()
                    .rev()
                    .take(limit)
                    .map(JournalEntry::to_object)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `limit`: 1 to [`JOURNAL_CAPACITY`], [`DEFAULT_LIMIT`] when absent; a repeated one's last
/// value counts, as in the API's lists.
fn journal_limit(raw: Option<&str>) -> Result<usize, ApiError> {
    let limit = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .filter(|(name, _)| name == "limit")
        .map(|(_, value)| value.into_owned())
        .last();
    let Some(text) = limit else {
        return Ok(DEFAULT_LIMIT);
    };
    let max = i64::try_from(JOURNAL_CAPACITY).unwrap_or(i64::MAX);
    parse_limit(&text, 1, max).map_err(|e| match e {
        LimitError::NotAnInteger => ApiError::LimitNotInteger(text),
        LimitError::BelowMin => ApiError::LimitBelowMin { min: 1, got: text },
        LimitError::AboveMax => ApiError::LimitAboveMax { max, got: text },
    })
}

async fn list(
    State(state): State<AppState>,
    Authenticated(org): Authenticated,
    QueryString(query): QueryString,
) -> Result<Json<ControlList<RequestRecord>>, ApiError> {
    let limit = journal_limit(query.as_deref())?;
    Ok(Json(ControlList::new(state.journal.newest(&org, limit))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> JournalEntry {
        JournalEntry {
            method: Method::GET,
            path: format!("/v1/organization/users/user-{n}"),
            query: None,
            status: 200,
            request_id: format!("req_{n}"),
            received: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            latency: Duration::from_millis(3),
        }
    }

    #[test]
    fn newest_first_bounded_per_organization() {
        let journal = Journal::default();
        let org = OrgId::parse("org-a").unwrap();
        let other = OrgId::parse("org-b").unwrap();
        for n in 0..JOURNAL_CAPACITY + 5 {
            journal.record(&org, entry(n));
        }
        journal.record(&other, entry(9999));
        let all = journal.newest(&org, usize::MAX);
        assert_eq!(all.len(), JOURNAL_CAPACITY);
        assert_eq!(all[0].request_id, format!("req_{}", JOURNAL_CAPACITY + 4));
        assert_eq!(all[JOURNAL_CAPACITY - 1].request_id, "req_5");
        let two = journal.newest(&org, 2);
        assert_eq!(two.len(), 2);
        assert_eq!(two[0].created_at, 1_700_000_000);
        assert_eq!(two[0].latency_ms, 3);
        assert_eq!(two[0].object, REQUEST_OBJECT);
        assert_eq!(journal.newest(&other, 10).len(), 1);
        assert!(
            journal
                .newest(&OrgId::parse("org-c").unwrap(), 10)
                .is_empty()
        );
    }

    #[test]
    fn limits_are_checked_as_the_api_checks_them() {
        assert_eq!(journal_limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(journal_limit(Some("limit=7")).unwrap(), 7);
        assert_eq!(journal_limit(Some("limit=2&limit=1000")).unwrap(), 1000);
        assert!(matches!(
            journal_limit(Some("limit=0")),
            Err(ApiError::LimitBelowMin { min: 1, .. })
        ));
        assert!(matches!(
            journal_limit(Some("limit=1001")),
            Err(ApiError::LimitAboveMax { max: 1000, .. })
        ));
        assert!(matches!(
            journal_limit(Some("limit=x")),
            Err(ApiError::LimitNotInteger(_))
        ));
    }

    #[test]
    fn long_queries_are_cut_at_a_character_boundary() {
        assert_eq!(bounded_query("limit=1"), "limit=1");
        let long = format!("q={}", "é".repeat(MAX_QUERY_BYTES));
        let cut = bounded_query(&long);
        assert!(cut.len() <= MAX_QUERY_BYTES && cut.len() >= MAX_QUERY_BYTES - 1);
        assert!(long.starts_with(&cut));
    }
}
