//! Wire types of `/organization/invites`: the invite, its list, the request that creates one and
//! the answer to deleting one.

use serde::{Deserialize, Serialize};

use crate::list::{Deleted, FirstList};

/// The `object` value of an [`Invite`].
pub const INVITE_OBJECT: &str = "organization.invite";
/// The `object` value of the answer to deleting an invite.
pub const INVITE_DELETED_OBJECT: &str = "organization.invite.deleted";
/// How long an invite stays pending: 7 days, in seconds.
pub const INVITE_LIFETIME_SECONDS: i64 = 7 * 24 * 3600;

/// An invite to the organization (`Invite` in the spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invite {
    /// Always `organization.invite`.
    pub object: String,
    /// `invite-…`.
    pub id: String,
    /// The address the invite was sent to.
    pub email: String,
    /// `owner` or `reader`: the organization role of the user it makes.
    pub role: String,
    /// `accepted`, `expired` or `pending`.
    pub status: String,
    /// Unix seconds of sending.
    pub created_at: i64,
    /// Unix seconds after which it can no longer be accepted.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Unix seconds of its acceptance, `null` until then.
    #[serde(default)]
    pub accepted_at: Option<i64>,
    /// The project memberships its acceptance grants.
    #[serde(default)]
    pub projects: Vec<InviteProject>,
}

/// A project membership an invite grants (an item of `Invite.projects` and of
/// `InviteRequest.projects`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteProject {
    /// The project's id.
    pub id: String,
    /// `owner` or `member`.
    pub role: String,
}

/// A page of `GET /organization/invites` (`InviteListResponse`).
pub type InviteList = FirstList<Invite>;

/// The answer to deleting an invite (`InviteDeleteResponse`):
/// `{"object":"organization.invite.deleted","id":…,"deleted":true}`.
pub type InviteDeleted = Deleted;

/// The body of `POST /organization/invites` (`InviteRequest`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRequest {
    /// The address to invite.
    pub email: String,
    /// `owner` or `reader`.
    pub role: String,
    /// The projects to join on acceptance; omitted: the Default project as `member`; empty:
    /// none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projects: Option<Vec<InviteProject>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invites_serialize_in_spec_order_with_nulls() {
        let invite = Invite {
            object: INVITE_OBJECT.into(),
            id: "invite-abc".into(),
            email: "a@x.io".into(),
            role: "reader".into(),
            status: "pending".into(),
            created_at: 1,
            expires_at: Some(2),
            accepted_at: None,
            projects: vec![InviteProject {
                id: "proj_a".into(),
                role: "member".into(),
            }],
        };
        assert_eq!(
            serde_json::to_string(&invite).unwrap(),
            r#"{"object":"organization.invite","id":"invite-abc","email":"a@x.io","role":"reader","status":"pending","created_at":1,"expires_at":2,"accepted_at":null,"projects":[{"id":"proj_a","role":"member"}]}"#
        );
        let request = InviteRequest {
            email: "a@x.io".into(),
            role: "owner".into(),
            projects: None,
        };
        assert_eq!(
            serde_json::to_string(&request).unwrap(),
            r#"{"email":"a@x.io","role":"owner"}"#
        );
    }
}
