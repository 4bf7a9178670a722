//! Invites to the organization: an address, the organization role and the project memberships
//! its acceptance grants. The public API creates, lists, reads and deletes them; acceptance is
//! the emulator's own (a control endpoint), since the real one happens by email.
//!
//! An invite's status is not stored: it is read from the organization's clock at the moment of
//! the read (`pending` until `expires_at`, then `expired`; `accepted` once accepted).

pub(crate) mod postgres;
pub(crate) mod sqlite;

use async_trait::async_trait;
use orgusers_api::User;
use orgusers_api::invites::{INVITE_LIFETIME_SECONDS, INVITE_OBJECT, Invite, InviteProject};
use serde_json::{Value, json};

use crate::audit::AuditEvent;
use crate::body::{BodyError, BodyObject, invalid};
use crate::ids::{InviteId, ProjectId};
use crate::page::{FirstQuery, NextPage, Position, fetched_page};
use crate::projects::ProjectRole;
use crate::{EmailAddress, InvalidValue, Kind, OrgId, Role, StoreError};

/// Where an invite stands, as a read at one moment of the organization's clock sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteStatus {
    /// Not accepted and not yet expired.
    Pending,
    /// Not accepted, and its `expires_at` has come.
    Expired,
    /// Accepted: its user exists (or existed).
    Accepted,
}

impl InviteStatus {
    /// The values an import line's `status` may have.
    pub const NAMES: &'static [&'static str] = &["accepted", "expired", "pending"];

    /// The status of an invite with these times at `now`.
    pub fn at(accepted_at: Option<i64>, expires_at: i64, now: i64) -> Self {
        match accepted_at {
            Some(_) => Self::Accepted,
            None if now >= expires_at => Self::Expired,
            None => Self::Pending,
        }
    }

    /// `accepted`, `expired` or `pending`; anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "accepted" => Some(Self::Accepted),
            "expired" => Some(Self::Expired),
            "pending" => Some(Self::Pending),
            _ => None,
        }
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Expired => "expired",
            Self::Accepted => "accepted",
        }
    }
}

/// A project membership an invite grants on acceptance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteGrant {
    /// The project.
    pub project_id: ProjectId,
    /// The role the user gets there.
    pub role: ProjectRole,
}

impl InviteGrant {
    /// The item of `Invite.projects`.
    pub fn to_wire(&self) -> InviteProject {
        InviteProject {
            id: self.project_id.to_string(),
            role: self.role.as_str().to_owned(),
        }
    }
}

/// An invite as the store holds it, with its status at the moment it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteRecord {
    /// `invite-…`.
    pub id: InviteId,
    /// The address as given.
    pub email: String,
    /// The organization role of the user it makes.
    pub role: Role,
    /// Unix seconds of sending.
    pub created_at: i64,
    /// Unix seconds from which it reads as expired.
    pub expires_at: i64,
    /// Unix seconds of its acceptance.
    pub accepted_at: Option<i64>,
    /// The memberships it grants, in the order the invite gave them.
    pub projects: Vec<InviteGrant>,
    /// Its status when it was read.
    pub status: InviteStatus,
}

impl InviteRecord {
    /// Its place in list order.
    pub fn position(&self) -> Position {
        Position::new(self.created_at, self.id.as_str())
    }

    /// The `Invite` object of the API.
    pub fn to_wire(&self) -> Invite {
        Invite {
            object: INVITE_OBJECT.to_owned(),
            id: self.id.to_string(),
            email: self.email.clone(),
            role: self.role.as_str().to_owned(),
            status: self.status.as_str().to_owned(),
            created_at: self.created_at,
            expires_at: Some(self.expires_at),
            accepted_at: self.accepted_at,
            projects: self.projects.iter().map(InviteGrant::to_wire).collect(),
        }
    }
}

/// Which projects a new invite grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteProjects {
    /// `projects` omitted: the Default project as `member`, as the spec's legacy behaviour.
    DefaultProject,
    /// The projects listed (none for `[]`), each once.
    Listed(Vec<InviteGrant>),
}

impl InviteProjects {
    /// The projects a body lists; a project listed twice is refused (the index of the second).
    pub fn listed(grants: Vec<InviteGrant>) -> Result<Self, (usize, InvalidValue)> {
        for (i, grant) in grants.iter().enumerate() {
            if grants[..i]
                .iter()
                .any(|earlier| earlier.project_id == grant.project_id)
            {
                return Err((
                    i,
                    InvalidValue(format!("project {} is listed twice", grant.project_id)),
                ));
            }
        }
        Ok(Self::Listed(grants))
    }
}

/// The `projects` of an invite body or import line: `None` when absent or `null`, else each
/// item `{"id": …, "role": "owner"|"member"}`, no project twice. Refusals name the item
/// (`projects[1].role`), a project listed twice names `projects`.
pub fn grants_in(body: &BodyObject) -> Result<Option<Vec<InviteGrant>>, BodyError> {
    let items = match body.get("projects") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(BodyError::WrongType {
                field: "projects".into(),
                expected: "an array",
                got: crate::json_type(other),
            });
        }
    };
    let mut grants = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let within = |e: BodyError| e.within(&format!("projects[{i}]"));
        let item = BodyObject::from_value(item.clone()).map_err(|_| BodyError::WrongType {
            field: format!("projects[{i}]"),
            expected: "an object",
            got: crate::json_type(item),
        })?;
        item.only(&["id", "role"]).map_err(within)?;
        let id = item.required_str("id").map_err(within)?;
        let role = item
            .required_enum("role", ProjectRole::NAMES)
            .map_err(within)?;
        grants.push(InviteGrant {
            project_id: ProjectId::from_request(id),
            role: ProjectRole::parse(role).unwrap_or(ProjectRole::Member),
        });
    }
    match InviteProjects::listed(grants) {
        Ok(InviteProjects::Listed(grants)) => Ok(Some(grants)),
        Ok(InviteProjects::DefaultProject) => Ok(None),
        Err((_, why)) => Err(invalid("projects", why)),
    }
}

/// What `POST /organization/invites` asks for, already parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvite {
    /// The address.
    pub email: EmailAddress,
    /// The organization role.
    pub role: Role,
    /// The projects its acceptance grants.
    pub projects: InviteProjects,
}

/// An invite line of an import, as the backends apply it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ImportedInvite<'a> {
    pub id: &'a InviteId,
    pub email: &'a EmailAddress,
    pub role: Role,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
}

/// Decisions about invites that do not depend on the backend; each backend calls them inside
/// its transaction, on what it read there.
pub mod rules {
    use super::{INVITE_LIFETIME_SECONDS, InviteGrant, InviteId, InviteRecord, InviteStatus};
    use super::{NewInvite, StoreError};
    use crate::projects::ProjectRecord;

    /// A new invite sent at `now`, granting `projects` (already resolved): pending for 7 days.
    pub fn created(new: &NewInvite, projects: Vec<InviteGrant>, now: i64) -> InviteRecord {
        InviteRecord {
            id: InviteId::generate(),
            email: new.email.as_str().to_owned(),
            role: new.role,
            created_at: now,
            expires_at: expires_at(now),
            accepted_at: None,
            projects,
            status: InviteStatus::Pending,
        }
    }

    /// When an invite sent at `created_at` expires.
    pub fn expires_at(created_at: i64) -> i64 {
        created_at.saturating_add(INVITE_LIFETIME_SECONDS)
    }

    /// An address may be invited unless a live user of the organization has it (`user`) or a
    /// pending invite was sent to it (`pending`), both compared case-insensitively.
    pub fn invitable(
        email: &str,
        user: Option<String>,
        pending: Option<String>,
    ) -> Result<(), StoreError> {
        if let Some(user) = user {
            return Err(StoreError::conflict(
                Some("email"),
                format!("'{email}' is already the email of user {user} of this organization."),
            ));
        }
        if let Some(invite) = pending {
            return Err(StoreError::conflict(
                Some("email"),
                format!("'{email}' already has a pending invite: {invite}."),
            ));
        }
        Ok(())
    }

    /// A project an invite may grant: one of the organization's (else an unknown reference
    /// naming `projects`) that is active.
    pub fn grantable(
        id: &crate::ids::ProjectId,
        project: Option<&ProjectRecord>,
    ) -> Result<(), StoreError> {
        match project {
            None => Err(StoreError::UnknownReference {
                param: "projects",
                kind: crate::Kind::Project,
                id: id.to_string(),
            }),
            Some(project) if project.archived_at.is_some() => Err(StoreError::conflict(
                Some("projects"),
                format!("Project {id} is archived: an invite can only grant active projects."),
            )),
            Some(_) => Ok(()),
        }
    }

    /// An accepted invite stays, as the record of how its user came.
    pub fn deletable(invite: &InviteRecord) -> Result<(), StoreError> {
        match invite.status {
            InviteStatus::Accepted => Err(StoreError::conflict(
                None,
                format!(
                    "Invite {} has been accepted and cannot be deleted.",
                    invite.id
                ),
            )),
            InviteStatus::Pending | InviteStatus::Expired => Ok(()),
        }
    }

    /// Only a pending invite can be accepted, and only while no live user has its address
    /// (`holder`: one who came since the invite was sent).
    pub fn acceptable(invite: &InviteRecord, holder: Option<String>) -> Result<(), StoreError> {
        match invite.status {
            InviteStatus::Accepted => {
                return Err(StoreError::conflict(
                    None,
                    format!("Invite {} has already been accepted.", invite.id),
                ));
            }
            InviteStatus::Expired => {
                return Err(StoreError::conflict(
                    None,
                    format!(
                        "Invite {} expired at {} and can no longer be accepted.",
                        invite.id, invite.expires_at
                    ),
                ));
            }
            InviteStatus::Pending => {}
        }
        match holder {
            Some(user) => Err(StoreError::conflict(
                None,
                format!(
                    "'{}' is already the email of user {user} of this organization.",
                    invite.email
                ),
            )),
            None => Ok(()),
        }
    }

    /// An imported line's `status` must agree with its `accepted_at`: accepted exactly when it
    /// has one (pending and expired follow from the clock, so either is taken as it comes).
    pub fn importable(
        status: Option<InviteStatus>,
        accepted_at: Option<i64>,
    ) -> Result<(), (&'static str, &'static str)> {
        match (status, accepted_at) {
            (Some(InviteStatus::Accepted), None) => Err((
                "accepted_at",
                "an accepted invite needs its accepted_at (Unix seconds)",
            )),
            (Some(InviteStatus::Pending | InviteStatus::Expired), Some(_)) => Err((
                "status",
                "an invite with an accepted_at has status 'accepted'",
            )),
            _ => Ok(()),
        }
    }
}

pub(crate) fn sent_event(invite: &InviteRecord) -> AuditEvent {
    AuditEvent::new(
        "invite.sent",
        invite.id.as_str(),
        json!({ "data": { "email": invite.email, "role": invite.role.as_str() } }),
    )
}

pub(crate) fn deleted_event(invite: &InviteRecord) -> AuditEvent {
    AuditEvent::new("invite.deleted", invite.id.as_str(), json!({}))
}

pub(crate) fn accepted_event(invite: &InviteRecord) -> AuditEvent {
    AuditEvent::new("invite.accepted", invite.id.as_str(), json!({}))
}

/// The user an accepted invite made.
pub(crate) fn user_added_event(user: &str, role: Role) -> AuditEvent {
    AuditEvent::new(
        "user.added",
        user,
        json!({ "data": { "role": role.as_str() } }),
    )
}

pub(crate) fn no_such_invite(id: &InviteId) -> StoreError {
    StoreError::not_found(Kind::Invite, id.as_str())
}

/// Invites per backend; paging is provided. Every time an invite is given (sent, expiring,
/// accepted) is the organization's clock.
#[async_trait]
pub trait InviteStore: Send + Sync + 'static {
    /// Up to `query.limit + 1` invites after `query.after`, oldest first, with their status at
    /// the organization's time of the read.
    async fn fetch_invites(
        &self,
        org: &OrgId,
        query: &FirstQuery,
    ) -> Result<Vec<(Position, InviteRecord)>, StoreError>;

    /// One invite, with its status at the organization's time.
    async fn get_invite(&self, org: &OrgId, id: &InviteId) -> Result<InviteRecord, StoreError>;

    /// Sends an invite (CONTRACT.md "Invites": the address must be free, the projects active).
    async fn create_invite(&self, org: &OrgId, new: &NewInvite)
    -> Result<InviteRecord, StoreError>;

    /// Deletes a pending or expired invite.
    async fn delete_invite(&self, org: &OrgId, id: &InviteId) -> Result<(), StoreError>;

    /// Accepts a pending invite: the organization user it makes (with `name`, if given), a
    /// member of the invite's projects that are still active, added now.
    async fn accept_invite(
        &self,
        org: &OrgId,
        id: &InviteId,
        name: Option<String>,
    ) -> Result<User, StoreError>;

    /// One page of the organization's invites.
    async fn list_invites(
        &self,
        org: &OrgId,
        query: &FirstQuery,
    ) -> Result<NextPage<InviteRecord>, StoreError> {
        let rows = self.fetch_invites(org, query).await?;
        Ok(fetched_page(rows, query.limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(id: &str) -> InviteGrant {
        InviteGrant {
            project_id: ProjectId::from_request(id),
            role: ProjectRole::Member,
        }
    }

    fn new_invite() -> NewInvite {
        NewInvite {
            email: EmailAddress::parse("Ada@Example.com").unwrap(),
            role: Role::Reader,
            projects: InviteProjects::DefaultProject,
        }
    }

    #[test]
    fn status_follows_the_clock() {
        assert_eq!(InviteStatus::at(None, 100, 99), InviteStatus::Pending);
        assert_eq!(InviteStatus::at(None, 100, 100), InviteStatus::Expired);
        assert_eq!(InviteStatus::at(Some(50), 100, 200), InviteStatus::Accepted);
        for name in InviteStatus::NAMES {
            assert_eq!(InviteStatus::parse(name).unwrap().as_str(), *name);
        }
    }

    #[test]
    fn new_invites_are_pending_for_seven_days() {
        let invite = rules::created(&new_invite(), vec![grant("proj_a")], 1_000);
        assert!(invite.id.as_str().starts_with("invite-"));
        assert_eq!(invite.id.as_str().len(), "invite-".len() + 24);
        assert_eq!(invite.expires_at, 1_000 + 7 * 86_400);
        let wire = serde_json::to_value(invite.to_wire()).unwrap();
        assert_eq!(wire["email"], "Ada@Example.com");
        assert_eq!(wire["status"], "pending");
        assert_eq!(wire["accepted_at"], serde_json::Value::Null);
        assert_eq!(
            wire["projects"],
            json!([{"id": "proj_a", "role": "member"}])
        );
    }

    #[test]
    fn refusals() {
        assert!(rules::invitable("a@x", None, None).is_ok());
        for (user, pending) in [(Some("u".to_owned()), None), (None, Some("i".to_owned()))] {
            assert!(matches!(
                rules::invitable("a@x", user, pending),
                Err(StoreError::Conflict {
                    param: Some("email"),
                    ..
                })
            ));
        }
        let mut invite = rules::created(&new_invite(), vec![], 0);
        assert!(rules::deletable(&invite).is_ok());
        assert!(rules::acceptable(&invite, None).is_ok());
        assert!(rules::acceptable(&invite, Some("user-x".into())).is_err());
        invite.status = InviteStatus::Expired;
        assert!(rules::deletable(&invite).is_ok());
        assert!(rules::acceptable(&invite, None).is_err());
        invite.status = InviteStatus::Accepted;
        assert!(rules::deletable(&invite).is_err());
        assert!(rules::acceptable(&invite, None).is_err());
        assert!(matches!(
            InviteProjects::listed(vec![grant("p1"), grant("p2"), grant("p1")]),
            Err((2, _))
        ));
        assert!(rules::importable(Some(InviteStatus::Accepted), None).is_err());
        assert!(rules::importable(Some(InviteStatus::Pending), Some(1)).is_err());
        assert!(rules::importable(None, Some(1)).is_ok());
        assert!(rules::importable(Some(InviteStatus::Expired), None).is_ok());
    }

    #[test]
    fn project_lists_are_read_item_by_item() {
        let read = |text: &str| grants_in(&BodyObject::parse(text.as_bytes()).unwrap());
        assert_eq!(read("{}"), Ok(None));
        assert_eq!(read(r#"{"projects":null}"#), Ok(None));
        assert_eq!(read(r#"{"projects":[]}"#), Ok(Some(vec![])));
        assert_eq!(
            read(r#"{"projects":[{"id":"p1","role":"owner"},{"id":"p2","role":"member"}]}"#),
            Ok(Some(vec![
                InviteGrant {
                    project_id: ProjectId::from_request("p1"),
                    role: ProjectRole::Owner
                },
                grant("p2")
            ]))
        );
        let field = |text: &str| read(text).unwrap_err().field().map(str::to_owned);
        assert_eq!(field(r#"{"projects":{}}"#).as_deref(), Some("projects"));
        assert_eq!(
            field(r#"{"projects":["p1"]}"#).as_deref(),
            Some("projects[0]")
        );
        assert_eq!(
            field(r#"{"projects":[{"id":"p1"}]}"#).as_deref(),
            Some("projects[0].role")
        );
        assert_eq!(
            field(r#"{"projects":[{"id":"p1","role":"member"},{"id":3,"role":"member"}]}"#)
                .as_deref(),
            Some("projects[1].id")
        );
        assert_eq!(
            field(r#"{"projects":[{"id":"p1","role":"admin"}]}"#).as_deref(),
            Some("projects[0].role")
        );
        assert_eq!(
            field(r#"{"projects":[{"id":"p1","role":"member","x":1}]}"#).as_deref(),
            Some("projects[0].x")
        );
        assert_eq!(
            field(r#"{"projects":[{"id":"p1","role":"member"},{"id":"p1","role":"owner"}]}"#)
                .as_deref(),
            Some("projects")
        );
    }
}
