//! The audit log: the organization's entries, newest first, filtered by event type, actor,
//! resource, project and time, read with the store's `list_audit_logs` and the query the API's
//! `GET /v1/organization/audit_logs` parses (`audit_logs::audit_log_query`, fed the API's own
//! parameters), so that the filters mean exactly what they mean there.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use maud::{Markup, html};
use orgusers_store::audit_logs::{AuditLogEntry, AuditLogQuery, EVENT_TYPES};

use super::listing::{datetime_local, parse_time, query_value, query_values, time_of};
use super::widgets::{data_table, empty_page};
use super::{
    ConsoleError, Html, PageLinks, Section, SignedIn, alert, listed, page, page_status, pagination,
};
use crate::AppState;
use crate::audit_logs::audit_log_query;
use crate::error::ApiError;
use crate::extract::QueryString;

/// Entries per page.
const PAGE_SIZE: usize = 25;
const PATH: &str = "/console/audit-log";

pub(super) fn routes() -> Router<AppState> {
    Router::new().route(PATH, page(get(list)))
}

/// The filters of the page, as the form gives them.
#[derive(Default)]
struct Filters {
    event_types: Vec<String>,
    actor: String,
    resource: String,
    project: String,
    since: String,
    until: String,
}

impl Filters {
    fn of(query: Option<&str>) -> Self {
        let text = |name| query_value(query, name).unwrap_or_default();
        Self {
            event_types: query_values(query, "event_type"),
            actor: text("actor"),
            resource: text("resource"),
            project: text("project"),
            since: text("since"),
            until: text("until"),
        }
    }

    /// The query of the API's list for these filters and the page `(after, before)`: its
    /// parameters, which [`audit_log_query`] reads as the API does. A time that is no time
    /// is refused with its sentence.
    fn api_query(&self, after: Option<&str>, before: Option<&str>) -> Result<String, String> {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("limit", &PAGE_SIZE.to_string());
        for event_type in &self.event_types {
            query.append_pair("event_types[]", event_type);
        }
        for (name, value) in [
            ("actor_ids[]", &self.actor),
            ("resource_ids[]", &self.resource),
            ("project_ids[]", &self.project),
        ] {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        if !self.since.is_empty() {
            let (at, _) = parse_time(&self.since).map_err(|e| format!("Since: {e}"))?;
            query.append_pair("effective_at[gte]", &at.to_string());
        }
        if !self.until.is_empty() {
            let (at, with_seconds) = parse_time(&self.until).map_err(|e| format!("Until: {e}"))?;
            // A minute without seconds includes the whole minute.
            let at = if with_seconds { at } else { at + 59 };
            query.append_pair("effective_at[lte]", &at.to_string());
        }
        if let Some(after) = after {
            query.append_pair("after", after);
        } else if let Some(before) = before {
            query.append_pair("before", before);
        }
        Ok(query.finish())
    }

    /// The page's own parameters, for its pagination links.
    fn params(&self) -> Vec<(&'static str, &str)> {
        let mut params: Vec<(&'static str, &str)> = self
            .event_types
            .iter()
            .map(|t| ("event_type", t.as_str()))
            .collect();
        params.extend([
            ("actor", self.actor.as_str()),
            ("resource", self.resource.as_str()),
            ("project", self.project.as_str()),
            ("since", self.since.as_str()),
            ("until", self.until.as_str()),
        ]);
        params
    }

    fn any(&self) -> bool {
        !self.event_types.is_empty()
            || [
                &self.actor,
                &self.resource,
                &self.project,
                &self.since,
                &self.until,
            ]
            .iter()
            .any(|v| !v.is_empty())
    }
}

/// The sentence of a query the API's parser refuses.
fn refusal_of(e: &ApiError) -> String {
    match e {
        ApiError::UnknownEventType(got) => {
            format!("'{got}' is not an event type of the audit log.")
        }
        _ => "These filters cannot be read: check them and try again.".to_owned(),
    }
}

async fn list(
    State(state): State<AppState>,
    session: SignedIn,
    QueryString(query): QueryString,
) -> Result<Html, ConsoleError> {
    let query = query.as_deref();
    let filters = Filters::of(query);
    let after = query_value(query, "after");
    let before = query_value(query, "before");
    let parsed: Result<AuditLogQuery, String> = filters
        .api_query(after.as_deref(), before.as_deref())
        .and_then(|q| audit_log_query(Some(&q)).map_err(|e| refusal_of(&e)));
    let (found, refusal) = match parsed {
        Err(message) => (None, Some(message)),
        Ok(audit_query) => listed(
            state
                .store
                .list_audit_logs(&session.org, &audit_query)
                .await,
        )?,
    };
    let backwards = after.is_none() && before.is_some();
    let content = html! {
        h1 { "Audit log" }
        (filter_form(&filters))
        @if let Some(message) = &refusal {
            (alert(message))
        }
        @if let Some(found) = &found {
            @if found.entries.is_empty() {
                (empty_page(if filters.any() { "No entries match these filters." } else { "No entries on this page." }))
            } @else {
                (data_table("Audit log entries", Some("Audit log entries, newest first"), &["Time", "Type", "Actor", "Resource", "Project", "Details"], false, html! {
                    @for entry in &found.entries { (entry_row(entry)) }
                }))
                @let ids: Vec<&str> = found.entries.iter().map(|e| e.id.as_str()).collect();
                @let links = PageLinks::new(&ids, found.has_more, after.is_some() || before.is_some(), backwards);
                (pagination(PATH, &filters.params(), links.before.as_deref(), links.after.as_deref()))
            }
        }
    };
    let status = page_status(refusal.is_some());
    Ok(Html(
        status,
        session.page(Section::AuditLog, "Audit log", content),
    ))
}

fn entry_row(entry: &AuditLogEntry) -> Markup {
    let resource = entry
        .payload
        .get("id")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("—");
    let payload = serde_json::to_string_pretty(&entry.payload).unwrap_or_default();
    html! {
        tr {
            td data-label="Time" { (time_of(entry.effective_at)) }
            td data-label="Type" { code { (entry.event_type) } }
            td data-label="Actor" {
                @match &entry.actor_key_id {
                    Some(key) => code { (key) },
                    None => "—",
                }
                @if let Some(user) = &entry.actor_user {
                    @if let Some(email) = &user.email { " (" (email) ")" }
                }
            }
            td data-label="Resource" { code { (resource) } }
            td data-label="Project" {
                @match &entry.project {
                    Some((id, name)) => {
                        @if let Some(name) = name { (name) " " }
                        code { (id) }
                    }
                    None => "—",
                }
            }
            td data-label="Details" {
                details {
                    summary { "Payload" }
                    pre { code { (payload) } }
                }
            }
        }
    }
}

fn filter_form(filters: &Filters) -> Markup {
    let chosen = |t: &str| filters.event_types.iter().any(|c| c == t);
    // A time typed as RFC 3339 or Unix seconds is shown back as the input's UTC value.
    let local = |text: &str| match parse_time(text) {
        Ok((at, _)) => datetime_local(at),
        Err(_) => text.to_owned(),
    };
    html! {
        form method="get" action=(PATH) class="filters" role="search" aria-label="Filter the audit log" {
            div class="field" {
                label for="event-type" { "Event type" }
                select id="event-type" name="event_type" {
                    option value="" selected[filters.event_types.is_empty()] { "Any type" }
                    @for event_type in EVENT_TYPES {
                        option value=(event_type) selected[chosen(event_type)] { (event_type) }
                    }
                }
            }
            div class="field" {
                label for="actor" { "Actor (admin key id)" }
                input id="actor" name="actor" type="text" value=(filters.actor) spellcheck="false";
            }
            div class="field" {
                label for="resource" { "Resource id" }
                input id="resource" name="resource" type="text" value=(filters.resource) spellcheck="false";
            }
            div class="field" {
                label for="project" { "Project id" }
                input id="project" name="project" type="text" value=(filters.project) spellcheck="false";
            }
            div class="field" {
                label for="since" { "Since (UTC)" }
                input id="since" name="since" type="datetime-local" step="1"
                    value=(local(&filters.since)) aria-describedby="time-hint";
            }
            div class="field" {
                label for="until" { "Until (UTC)" }
                input id="until" name="until" type="datetime-local" step="1"
                    value=(local(&filters.until)) aria-describedby="time-hint";
            }
            p class="hint" id="time-hint" { "Times are UTC. Without a browser picker, type 2024-05-01T12:00 or RFC 3339." }
            button type="submit" { "Filter" }
            a href=(PATH) class="button button-secondary" { "Clear filters" }
        }
    }
}
