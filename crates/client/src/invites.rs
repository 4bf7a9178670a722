//! The `/organization/invites` resource, and orgusers' acceptance of an invite
//! (`POST /_orgusers/invites/{invite_id}/accept`), which the real API does not have: there the
//! person invited follows the link in the invite's email.
//!
//! ```no_run
//! use orgusers_api::invites::{InviteProject, InviteRequest};
//! use orgusers_client::Client;
//!
//! # async fn run() -> Result<(), orgusers_client::Error> {
//! let client = Client::from_env()?;
//! let request = InviteRequest {
//!     email: "ada@example.com".into(),
//!     role: "reader".into(),
//!     projects: Some(vec![InviteProject { id: "proj_abc".into(), role: "owner".into() }]),
//! };
//! let invite = client.invites().create(&request).await?;
//! // orgusers only: accept in the person's place.
//! let user = client.invites().accept(&invite.id, Some("Ada Lovelace")).await?;
//! println!("{} joined as {:?}", user.id, user.role);
//! # Ok(()) }
//! ```

use futures_util::Stream;
use orgusers_api::User;
use orgusers_api::invites::{Invite, InviteDeleted, InviteList, InviteRequest};
use reqwest::Method;
use serde::Serialize;

use crate::pager::{self, FirstLastParams};
use crate::{Client, Error, segment};

const INVITES: &str = "/organization/invites";

fn invite_path(id: &str) -> String {
    format!("{INVITES}/{}", segment(id))
}

/// The path of orgusers' control endpoint that accepts an invite, beside `/v1`.
fn acceptance_path(id: &str) -> String {
    format!("/_orgusers/invites/{}/accept", segment(id))
}

/// The body of an acceptance: the new user's name, when one is given.
#[derive(Debug, Serialize)]
struct Acceptance<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
}

/// The invites of the key's organization, from [`Client::invites`].
#[derive(Debug, Clone, Copy)]
pub struct Invites<'a> {
    client: &'a Client,
}

impl Client {
    /// The organization's invites, pending, accepted and expired.
    pub fn invites(&self) -> Invites<'_> {
        Invites { client: self }
    }
}

impl<'a> Invites<'a> {
    /// One page of invites, oldest first.
    pub async fn list(&self, params: &FirstLastParams) -> Result<InviteList, Error> {
        pager::page(self.client, INVITES, params).await
    }

    /// Every invite from `params.after` on, page after page as the stream is read.
    pub fn list_all(
        self,
        params: FirstLastParams,
    ) -> impl Stream<Item = Result<Invite, Error>> + 'a {
        pager::list_all_by_id(self.client, INVITES.to_owned(), params)
    }

    /// Invites `request.email` with `request.role` into the projects it names: omitted, the
    /// Default project as `member`; empty, none. The invite is `pending` until accepted.
    pub async fn create(&self, request: &InviteRequest) -> Result<Invite, Error> {
        self.client.post(INVITES, request).await
    }

    /// One invite.
    pub async fn retrieve(&self, id: &str) -> Result<Invite, Error> {
        self.client.get(&invite_path(id)).await
    }

    /// Deletes a pending or expired invite (an accepted one cannot be deleted).
    pub async fn delete(&self, id: &str) -> Result<InviteDeleted, Error> {
        self.client.delete(&invite_path(id)).await
    }

    /// Accepts a pending invite in the person's place, with `name` as the new user's name
    /// (orgusers only: against the real API this fails as an unknown URL). Answers the new
    /// organization user, with the invite's email, role and project memberships.
    pub async fn accept(&self, id: &str, name: Option<&str>) -> Result<User, Error> {
        let body = serde_json::to_vec(&Acceptance { name })
            .map_err(|e| Error::Config(format!("cannot encode the request body: {e}")))?;
        let url = format!("{}{}", self.client.root_url(), acceptance_path(id));
        self.client.send_to(Method::POST, &url, Some(body)).await
    }
}

#[cfg(test)]
mod tests {
    use futures_util::TryStreamExt;
    use orgusers_api::invites::InviteProject;
    use serde_json::{Value, json};

    use super::*;
    use crate::directory_tests::{recording_server, seen};
    use crate::scripted_tests::user;

    fn invite(id: &str, projects: Value) -> Value {
        json!({"object": "organization.invite", "id": id, "email": format!("{id}@example.com"),
               "role": "reader", "status": "pending", "created_at": 1_711_471_533,
               "expires_at": 1_712_076_333, "accepted_at": null, "projects": projects})
    }

    fn page(data: Vec<Value>, has_more: bool) -> Value {
        json!({"object": "list", "first_id": data.first().map(|item| item["id"].clone()),
               "last_id": data.last().map(|item| item["id"].clone()), "has_more": has_more,
               "data": data})
    }

    #[tokio::test]
    async fn invites_are_created_read_listed_accepted_and_deleted() {
        let granted = json!([{"id": "proj_a", "role": "owner"}]);
        let (client, log) = recording_server(vec![
            (200, invite("invite-a", granted.clone())),
            (200, invite("invite-b", json!([]))),
            (200, invite("invite-a", granted.clone())),
            (200, page(vec![invite("invite-a", granted.clone())], true)),
            (200, page(vec![invite("invite-b", json!([]))], false)),
            (200, user("user-new")),
            (200, user("user-other")),
            (
                200,
                json!({"object": "organization.invite.deleted", "id": "invite-b", "deleted": true}),
            ),
        ])
        .await;
        let invites = client.invites();
        let into_a = InviteRequest {
            email: "a@example.com".into(),
            role: "reader".into(),
            projects: Some(vec![InviteProject {
                id: "proj_a".into(),
                role: "owner".into(),
            }]),
        };
        let made = invites.create(&into_a).await.unwrap();
        assert_eq!(
            made.projects,
            [InviteProject {
                id: "proj_a".into(),
                role: "owner".into()
            }]
        );
        let nowhere = InviteRequest {
            email: "b@example.com".into(),
            role: "owner".into(),
            projects: None,
        };
        assert!(invites.create(&nowhere).await.unwrap().projects.is_empty());
        assert_eq!(
            invites.retrieve("invite-a").await.unwrap().expires_at,
            Some(1_712_076_333)
        );
        let every: Vec<Invite> = invites
            .list_all(FirstLastParams {
                limit: Some(1),
                after: None,
            })
            .try_collect()
            .await
            .unwrap();
        assert_eq!(
            every.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["invite-a", "invite-b"]
        );
        let accepted = invites.accept("invite-a", Some("Ada")).await.unwrap();
        assert_eq!(accepted.id, "user-new");
        invites.accept("invite-c", None).await.unwrap();
        let deleted = invites.delete("invite-b").await.unwrap();
        assert_eq!((deleted.id.as_str(), deleted.deleted), ("invite-b", true));
        assert_eq!(
            *log.lock().unwrap(),
            [
                seen(
                    "POST",
                    "/organization/invites",
                    Some(json!({"email": "a@example.com", "role": "reader",
                                "projects": [{"id": "proj_a", "role": "owner"}]}))
                ),
                // No projects given: none sent, so the server grants its default.
                seen(
                    "POST",
                    "/organization/invites",
                    Some(json!({"email": "b@example.com", "role": "owner"}))
                ),
                seen("GET", "/organization/invites/invite-a", None),
                seen("GET", "/organization/invites?limit=1", None),
                seen("GET", "/organization/invites?limit=1&after=invite-a", None),
                // The control endpoint lives beside /v1, not under it.
                (
                    "POST".to_owned(),
                    "/_orgusers/invites/invite-a/accept".to_owned(),
                    Some(json!({"name": "Ada"}))
                ),
                (
                    "POST".to_owned(),
                    "/_orgusers/invites/invite-c/accept".to_owned(),
                    Some(json!({}))
                ),
                seen("DELETE", "/organization/invites/invite-b", None),
            ]
        );
    }

    #[test]
    fn invite_ids_are_escaped_in_paths() {
        assert_eq!(
            invite_path("invite-abc"),
            "/organization/invites/invite-abc"
        );
        assert_eq!(invite_path("a/b"), "/organization/invites/a%2Fb");
        assert_eq!(
            acceptance_path("invite-a b"),
            "/_orgusers/invites/invite-a%20b/accept"
        );
    }

    #[test]
    fn an_acceptance_sends_a_name_only_when_given() {
        let named = serde_json::to_string(&Acceptance { name: Some("Ada") }).unwrap();
        assert_eq!(named, r#"{"name":"Ada"}"#);
        assert_eq!(
            serde_json::to_string(&Acceptance { name: None }).unwrap(),
            "{}"
        );
    }
}
