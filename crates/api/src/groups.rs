//! Wire types of `/organization/groups` and its members.

use serde::{Deserialize, Serialize};

/// The `object` value of a [`Group`].
pub const GROUP_OBJECT: &str = "group";
/// The `object` value of the answer to deleting a group.
pub const GROUP_DELETED_OBJECT: &str = "group.deleted";
/// The `object` value of a [`GroupUserAssignment`].
pub const GROUP_USER_OBJECT: &str = "group.user";
/// The `object` value of the answer to removing a group member.
pub const GROUP_USER_DELETED_OBJECT: &str = "group.user.deleted";

/// A group as lists, retrieve and create show it (`GroupResponse` in the spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupInfo {
    /// `group_…`.
    pub id: String,
    /// The group's name.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Whether an identity provider manages the group; false for groups made through the API.
    pub is_scim_managed: bool,
    /// `group` (or `tenant_group`, which orgusers never makes).
    #[serde(default = "group_type")]
    pub group_type: String,
}

fn group_type() -> String {
    GROUP_OBJECT.to_owned()
}

/// The answer to renaming a group (`GroupResourceWithSuccess` in the spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRenamed {
    /// `group_…`.
    pub id: String,
    /// The new name.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// As in [`GroupInfo`].
    pub is_scim_managed: bool,
}

/// A group inside a role assignment (`Group` in the spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Always `group`.
    pub object: String,
    /// `group_…`.
    pub id: String,
    /// The group's name.
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// As `is_scim_managed` elsewhere.
    pub scim_managed: bool,
}

/// The body of create and rename (`CreateGroupBody`, `UpdateGroupBody`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupName {
    /// 1 to 255 characters.
    pub name: String,
}

/// The body of `POST /organization/groups/{group_id}/users` (`CreateGroupUserBody`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupUserAdd {
    /// An organization user's id.
    pub user_id: String,
}

/// The answer to adding a member (`GroupUserAssignment`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupUserAssignment {
    /// Always `group.user`.
    pub object: String,
    /// The member.
    pub user_id: String,
    /// The group.
    pub group_id: String,
}

/// A member as a group's user list shows it (`GroupUser` in the spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupUser {
    /// The user's id.
    pub id: String,
    /// The user's name (empty when the user has none).
    pub name: String,
    /// The user's email.
    #[serde(default)]
    pub email: Option<String>,
}

/// A member as retrieve shows it (`GroupMemberUser` in the spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupMember {
    /// The user's id.
    pub id: String,
    /// The user's name (empty when the user has none).
    pub name: String,
    /// The user's email.
    #[serde(default)]
    pub email: Option<String>,
    /// The user's picture.
    #[serde(default)]
    pub picture: Option<String>,
    /// Whether the user is a service account.
    #[serde(default)]
    pub is_service_account: Option<bool>,
    /// `user` (or `tenant_user`, which orgusers never makes).
    pub user_type: String,
}
