//! Groups, their members and the roles they hold.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use async_trait::async_trait;
use orgusers_api::groups::{GROUP_OBJECT, Group, GroupInfo, GroupMember, GroupRenamed, GroupUser};
use serde_json::json;

use crate::audit::AuditEvent;
use crate::ids::{GroupId, RoleId};
use crate::page::{NextPage, NextQuery, Position, fetched_page};
use crate::roles::RoleRecord;
use crate::{InvalidValue, Kind, OrgId, Role, StoreError};

/// Longest group name, in characters.
pub const MAX_GROUP_NAME_CHARS: usize = 255;

/// A group's name: 1 to 255 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupName(String);

impl GroupName {
    /// Checks a name as given.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let chars = s.chars().count();
        if chars == 0 || chars > MAX_GROUP_NAME_CHARS {
            return Err(InvalidValue(format!(
                "a group name must have 1 to {MAX_GROUP_NAME_CHARS} characters"
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A group as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// `group_…`.
    pub id: GroupId,
    /// Its name.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
}

impl GroupRecord {
    /// Its place in list order.
    pub fn position(&self) -> Position {
        Position::new(self.created_at, self.id.as_str())
    }

    /// The `GroupResponse` object of the API.
    pub fn to_info(&self) -> GroupInfo {
        GroupInfo {
            id: self.id.to_string(),
            name: self.name.clone(),
            created_at: self.created_at,
            is_scim_managed: false,
            group_type: GROUP_OBJECT.to_owned(),
        }
    }

    /// The `GroupResourceWithSuccess` object of the API.
    pub fn to_renamed(&self) -> GroupRenamed {
        GroupRenamed {
            id: self.id.to_string(),
            name: self.name.clone(),
            created_at: self.created_at,
            is_scim_managed: false,
        }
    }

    /// The `Group` object of the API.
    pub fn to_group(&self) -> Group {
        Group {
            object: GROUP_OBJECT.to_owned(),
            id: self.id.to_string(),
            name: self.name.clone(),
            created_at: self.created_at,
            scim_managed: false,
        }
    }
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    /// The user's id.
    pub user_id: String,
    /// The user's name.
    pub name: Option<String>,
    /// The user's email.
    pub email: Option<String>,
    /// The user's picture.
    pub picture: Option<String>,
    /// Whether the user is a service account.
    pub is_service_account: bool,
    /// When the user joined the group.
    pub added_at: i64,
}

impl MemberRecord {
    /// Its place in the group's list.
    pub fn position(&self) -> Position {
        Position::new(self.added_at, self.user_id.as_str())
    }

    /// The `GroupUser` object of the API.
    pub fn to_list_item(&self) -> GroupUser {
        GroupUser {
            id: self.user_id.clone(),
            name: self.name.clone().unwrap_or_default(),
            email: self.email.clone(),
        }
    }

    /// The `GroupMemberUser` object of the API.
    pub fn to_member(&self) -> GroupMember {
        GroupMember {
            id: self.user_id.clone(),
            name: self.name.clone().unwrap_or_default(),
            email: self.email.clone(),
            picture: self.picture.clone(),
            is_service_account: Some(self.is_service_account),
            user_type: "user".to_owned(),
        }
    }
}

/// Decisions about groups that do not depend on the backend.
pub mod rules {
    use crate::StoreError;
    use crate::roles::RoleRecord;

    /// Groups hold custom roles only: a predefined role is what a user's `role` says.
    pub fn assignable_to_group(role: &RoleRecord) -> Result<(), StoreError> {
        match role.predefined {
            Some(_) => Err(StoreError::conflict(
                Some("role_id"),
                format!(
                    "The predefined role '{}' is held through a user's role and cannot be \
                     assigned to a group.",
                    role.name
                ),
            )),
            None => Ok(()),
        }
    }
}

pub(crate) fn group_event(event_type: &'static str, group: &GroupRecord) -> AuditEvent {
    AuditEvent::new(event_type, group.id.as_str(), json!({ "name": group.name }))
}

pub(crate) fn member_event(event_type: &'static str, group: &GroupId, user: &str) -> AuditEvent {
    AuditEvent::new(
        event_type,
        group.as_str(),
        json!({ "group_id": group.as_str(), "user_id": user }),
    )
}

pub(crate) fn group_role_event(
    event_type: &'static str,
    group: &GroupId,
    role: &RoleId,
) -> AuditEvent {
    AuditEvent::new(
        event_type,
        role.as_str(),
        json!({ "principal_type": "group", "principal_id": group.as_str(), "role_id": role.as_str() }),
    )
}

pub(crate) fn no_such_group(id: &GroupId) -> StoreError {
    StoreError::not_found(Kind::Group, id.as_str())
}

/// Groups per backend; paging and the rules that need no transaction are provided.
#[async_trait]
pub trait GroupStore: Send + Sync + 'static {
    /// Up to `query.fetch()` groups after the cursor, in list order.
    async fn fetch_groups(
        &self,
        org: &OrgId,
        query: &NextQuery,
    ) -> Result<Vec<(Position, GroupRecord)>, StoreError>;

    /// One group.
    async fn get_group(&self, org: &OrgId, id: &GroupId) -> Result<GroupRecord, StoreError>;

    /// The groups `user` belongs to, in list order (creation, ties by id); none for a user the
    /// organization does not have.
    async fn groups_of_user(&self, org: &OrgId, user: &str)
    -> Result<Vec<GroupRecord>, StoreError>;

    /// Creates a group.
    async fn create_group(&self, org: &OrgId, name: &GroupName) -> Result<GroupRecord, StoreError>;

    /// Renames a group.
    async fn rename_group(
        &self,
        org: &OrgId,
        id: &GroupId,
        name: &GroupName,
    ) -> Result<GroupRecord, StoreError>;

    /// Deletes a group with its memberships and role assignments.
    async fn delete_group(&self, org: &OrgId, id: &GroupId) -> Result<(), StoreError>;

    /// Up to `query.fetch()` members after the cursor, in list order.
    async fn fetch_group_users(
        &self,
        org: &OrgId,
        group: &GroupId,
        query: &NextQuery,
    ) -> Result<Vec<(Position, MemberRecord)>, StoreError>;

    /// Adds an organization user to a group; adding a member again changes nothing.
    async fn add_group_user(
        &self,
        org: &OrgId,
        group: &GroupId,
        user: &str,
    ) -> Result<(), StoreError>;

    /// One member.
    async fn get_group_user(
        &self,
        org: &OrgId,
        group: &GroupId,
        user: &str,
    ) -> Result<MemberRecord, StoreError>;

    /// Ends a membership.
    async fn remove_group_user(
        &self,
        org: &OrgId,
        group: &GroupId,
        user: &str,
    ) -> Result<(), StoreError>;

    /// Every role the group holds.
    async fn group_roles(
        &self,
        org: &OrgId,
        group: &GroupId,
    ) -> Result<Vec<RoleRecord>, StoreError>;

    /// Assigns a custom role to a group; assigning it again changes nothing.
    async fn assign_group_role(
        &self,
        org: &OrgId,
        group: &GroupId,
        role: &RoleId,
    ) -> Result<(GroupRecord, RoleRecord), StoreError>;

    /// Removes a role from a group.
    async fn unassign_group_role(
        &self,
        org: &OrgId,
        group: &GroupId,
        role: &RoleId,
    ) -> Result<(), StoreError>;

    /// One page of the organization's groups.
    async fn list_groups(
        &self,
        org: &OrgId,
        query: &NextQuery,
    ) -> Result<NextPage<GroupRecord>, StoreError> {
        Ok(fetched_page(
            self.fetch_groups(org, query).await?,
            query.limit,
        ))
    }

    /// One page of a group's members.
    async fn list_group_users(
        &self,
        org: &OrgId,
        group: &GroupId,
        query: &NextQuery,
    ) -> Result<NextPage<MemberRecord>, StoreError> {
        Ok(fetched_page(
            self.fetch_group_users(org, group, query).await?,
            query.limit,
        ))
    }

    /// One page of a group's roles (a group holds few: they are paged in memory).
    async fn list_group_roles(
        &self,
        org: &OrgId,
        group: &GroupId,
        query: &NextQuery,
    ) -> Result<NextPage<RoleRecord>, StoreError> {
        let roles = self.group_roles(org, group).await?;
        let rows = roles
            .into_iter()
            .map(|role| (role.position(), role))
            .collect();
        Ok(fetched_page(query.select(rows), query.limit))
    }

    /// One role of a group.
    async fn get_group_role(
        &self,
        org: &OrgId,
        group: &GroupId,
        role: &RoleId,
    ) -> Result<RoleRecord, StoreError> {
        self.group_roles(org, group)
            .await?
            .into_iter()
            .find(|held| &held.id == role)
            .ok_or_else(|| StoreError::not_found(Kind::Role, role.as_str()))
    }
}

/// Whether `id` names one of the organization's predefined roles.
pub(crate) fn predefined_role(org: &OrgId, id: &RoleId) -> Option<RoleRecord> {
    Role::from_role_id(id.as_str(), org).map(|role| RoleRecord::predefined(org, role))
}
