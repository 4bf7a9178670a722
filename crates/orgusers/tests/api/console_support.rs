//! Helpers the console's page-family tests share, over the browser of `console.rs`.

pub(crate) use crate::audit_actor::events_of;
pub(crate) use crate::console::{Browser, Page};
use crate::harness::*;

/// Two users to import: Ada (owner) and Bob (reader), with names and emails.
pub(crate) fn ada_and_bob() -> Vec<serde_json::Value> {
    vec![
        serde_json::json!({"id": "user-ada", "email": "ada@example.com", "name": "Ada Lovelace",
               "added_at": 1_700_000_000, "role": "owner"}),
        serde_json::json!({"id": "user-bob", "email": "bob@example.com", "name": "Bob Builder",
               "added_at": 1_700_000_001, "role": "reader"}),
    ]
}

/// A new project named `name`, made through the API: its id.
pub(crate) async fn new_project(app: &TestApp, name: &str) -> String {
    let r = app
        .post(
            "/v1/organization/projects",
            &serde_json::json!({ "name": name }).to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

/// A browser signed in with a new admin key named `name`, that key's id, and how many audit
/// events the organization had then: what the console changes is audited with a key no API
/// call of the test uses, and [`events_since`] reads what came after.
pub(crate) async fn signed_in_with_new_key(app: &TestApp, name: &str) -> (Browser, String, usize) {
    let created = app
        .post(
            "/v1/organization/admin_api_keys",
            &serde_json::json!({ "name": name }).to_string(),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let value = created.body["value"].as_str().unwrap().to_owned();
    let id = created.body["id"].as_str().unwrap().to_owned();
    let mark = events_of(app, app.org.as_str()).await.len();
    (Browser::signed_in(&app.base, &value).await, id, mark)
}

/// The audit events of the test's organization after the first `mark`, oldest first: their
/// type and acting key id.
pub(crate) async fn events_since(app: &TestApp, mark: usize) -> Vec<(String, Option<String>)> {
    events_of(app, app.org.as_str())
        .await
        .into_iter()
        .skip(mark)
        .collect()
}

/// Asserts that the audit events after a mark are of `types`, in that order, each with the
/// acting key `key_id`.
#[track_caller]
pub(crate) fn assert_audited(events: &[(String, Option<String>)], types: &[&str], key_id: &str) {
    let found: Vec<&str> = events.iter().map(|(event, _)| event.as_str()).collect();
    assert_eq!(found, types, "{events:?}");
    assert!(
        events
            .iter()
            .all(|(_, actor)| actor.as_deref() == Some(key_id)),
        "{events:?}"
    );
}

impl Page {
    /// The `href` of the link with `rel` (`next`, `prev`), unescaped.
    pub(crate) fn rel_link(&self, rel: &str) -> Option<String> {
        let marker = format!("rel=\"{rel}\" href=\"");
        self.body
            .split(&marker)
            .nth(1)
            .map(|rest| rest[..rest.find('"').unwrap()].replace("&amp;", "&"))
    }

    /// The `value` of the input with `id`.
    pub(crate) fn input_value(&self, id: &str) -> Option<String> {
        let at = self.body.find(&format!("id=\"{id}\""))?;
        let rest = &self.body[at..];
        let rest = &rest[rest.find("value=\"")? + "value=\"".len()..];
        Some(rest[..rest.find('"')?].to_owned())
    }

    /// The `value` of the (first) input named `name`.
    pub(crate) fn input_value_by_name(&self, name: &str) -> String {
        let at = self
            .body
            .find(&format!("name=\"{name}\" value=\""))
            .unwrap_or_else(|| panic!("no {name} in {}", self.body));
        let rest = &self.body[at + format!("name=\"{name}\" value=\"").len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    /// Whether the page has an alert with `text` in it.
    pub(crate) fn has_alert(&self, text: &str) -> bool {
        self.body
            .split("role=\"alert\">")
            .skip(1)
            .any(|rest| rest[..rest.find("</").unwrap_or(rest.len())].contains(text))
    }

    /// Whether the page has a status message with `text` in it.
    pub(crate) fn has_status(&self, text: &str) -> bool {
        self.body
            .split("role=\"status\">")
            .skip(1)
            .any(|rest| rest[..rest.find("</div>").unwrap_or(rest.len())].contains(text))
    }
}
