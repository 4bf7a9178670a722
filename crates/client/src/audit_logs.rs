//! The `/organization/audit_logs` resource: what changed in the organization, newest first.
//!
//! ```no_run
//! use orgusers_client::{AuditLogListParams, Client};
//!
//! # async fn run() -> Result<(), orgusers_client::Error> {
//! let client = Client::from_env()?;
//! let params = AuditLogListParams {
//!     event_types: vec!["project.created".into()],
//!     ..AuditLogListParams::default()
//! };
//! for entry in client.audit_logs().list(&params).await?.data {
//!     println!("{} {} at {}", entry.id, entry.event_type, entry.effective_at);
//! }
//! # Ok(()) }
//! ```

use futures_util::Stream;
use orgusers_api::audit_logs::{AuditLog, AuditLogList};

use crate::pager::{self, ListQuery, append_limit_and_after};
use crate::{Client, Error};

const AUDIT_LOGS: &str = "/organization/audit_logs";

/// What an audit log request asks for. Every filter left empty admits every entry; filters
/// combine with AND, the values of one with OR.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditLogListParams {
    /// Page size, 1 to 100 (the server's default is 20).
    pub limit: Option<u32>,
    /// Older entries than this entry id: the `last_id` of the previous page.
    pub after: Option<String>,
    /// Newer entries than this entry id: the `first_id` of the page.
    pub before: Option<String>,
    /// `effective_at[gte]`: entries at or after this Unix time.
    pub since: Option<i64>,
    /// `effective_at[lte]`: entries at or before this Unix time.
    pub until: Option<i64>,
    /// `event_types[]`.
    pub event_types: Vec<String>,
    /// `actor_ids[]`.
    pub actor_ids: Vec<String>,
    /// `actor_emails[]`.
    pub actor_emails: Vec<String>,
    /// `resource_ids[]`.
    pub resource_ids: Vec<String>,
    /// `project_ids[]`.
    pub project_ids: Vec<String>,
}

impl ListQuery for AuditLogListParams {
    fn query_string(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        append_limit_and_after(&mut query, self.limit, self.after.as_deref());
        if let Some(before) = &self.before {
            query.append_pair("before", before);
        }
        if let Some(since) = self.since {
            query.append_pair("effective_at[gte]", &since.to_string());
        }
        if let Some(until) = self.until {
            query.append_pair("effective_at[lte]", &until.to_string());
        }
        for (name, values) in [
            ("event_types[]", &self.event_types),
            ("actor_ids[]", &self.actor_ids),
            ("actor_emails[]", &self.actor_emails),
            ("resource_ids[]", &self.resource_ids),
            ("project_ids[]", &self.project_ids),
        ] {
            for value in values {
                query.append_pair(name, value);
            }
        }
        query.finish()
    }

    fn start_after(&mut self, after: String) {
        self.before = None;
        self.after = Some(after);
    }
}

/// The audit log of the key's organization, from [`Client::audit_logs`].
#[derive(Debug, Clone, Copy)]
pub struct AuditLogs<'a> {
    client: &'a Client,
}

impl Client {
    /// The organization's audit log.
    pub fn audit_logs(&self) -> AuditLogs<'_> {
        AuditLogs { client: self }
    }
}

impl<'a> AuditLogs<'a> {
    /// One page of entries, newest first.
    pub async fn list(&self, params: &AuditLogListParams) -> Result<AuditLogList, Error> {
        pager::page(self.client, AUDIT_LOGS, params).await
    }

    /// Every entry from `params` on, older and older, page after page as the stream is read.
    pub fn list_all(
        self,
        params: AuditLogListParams,
    ) -> impl Stream<Item = Result<AuditLog, Error>> + 'a {
        pager::list_all_by_id(self.client, AUDIT_LOGS.to_owned(), params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_sent_as_arrays() {
        let params = AuditLogListParams {
            limit: Some(5),
            since: Some(10),
            event_types: vec!["user.added".into(), "group.updated".into()],
            project_ids: vec!["proj_a".into()],
            ..AuditLogListParams::default()
        };
        assert_eq!(
            ListQuery::query_string(&params),
            "limit=5&effective_at%5Bgte%5D=10&event_types%5B%5D=user.added\
             &event_types%5B%5D=group.updated&project_ids%5B%5D=proj_a"
        );
    }
}
