//! Wire types of `/organization/roles` and of the role assignments of users and groups.

use serde::{Deserialize, Serialize};

use crate::User;
use crate::groups::Group;

/// The `object` value of a [`Role`].
pub const ROLE_OBJECT: &str = "role";
/// The `object` value of the answer to deleting a role.
pub const ROLE_DELETED_OBJECT: &str = "role.deleted";
/// The `object` value of a [`UserRoleAssignment`].
pub const USER_ROLE_OBJECT: &str = "user.role";
/// The `object` value of the answer to unassigning a user's role.
pub const USER_ROLE_DELETED_OBJECT: &str = "user.role.deleted";
/// The `object` value of a [`GroupRoleAssignment`].
pub const GROUP_ROLE_OBJECT: &str = "group.role";
/// The `object` value of the answer to unassigning a group's role.
pub const GROUP_ROLE_DELETED_OBJECT: &str = "group.role.deleted";
/// The `resource_type` of organization roles.
pub const ORGANIZATION_RESOURCE: &str = "api.organization";

/// An organization role (`Role` in the spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    /// Always `role`.
    pub object: String,
    /// `role_…`, or the id of a predefined role.
    pub id: String,
    /// Unique within the organization, compared case-insensitively.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// The permissions the role grants.
    pub permissions: Vec<String>,
    /// Always `api.organization` here.
    pub resource_type: String,
    /// Whether the role is one of the two every organization has.
    pub predefined_role: bool,
}

/// Where a user holds a role from (`assignment_sources` items).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentSource {
    /// The user's id, or the group's.
    pub principal_id: String,
    /// `user` or `group`.
    pub principal_type: String,
}

/// A role as a user's or a group's role list shows it (`AssignedRoleDetails` in the spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignedRole {
    /// The role's id.
    pub id: String,
    /// The role's name.
    pub name: String,
    /// The permissions the role grants.
    pub permissions: Vec<String>,
    /// Always `api.organization` here.
    pub resource_type: String,
    /// Whether the role is predefined.
    pub predefined_role: bool,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// When the role was created; `null` for predefined roles.
    #[serde(default)]
    pub created_at: Option<i64>,
    /// When the role was last changed; `null` for predefined roles.
    #[serde(default)]
    pub updated_at: Option<i64>,
    /// The user who created the role, when known.
    #[serde(default)]
    pub created_by: Option<String>,
    /// That user's `id`, `name` and `email`, when known.
    #[serde(default)]
    pub created_by_user_obj: Option<serde_json::Map<String, serde_json::Value>>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// Where the role is held from; `null` in a group's list.
    #[serde(default)]
    pub assignment_sources: Option<Vec<AssignmentSource>>,
}

/// The body of `POST /organization/roles` (`PublicCreateOrganizationRoleBody`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleCreate {
    /// The new role's name.
    pub role_name: String,
    /// Its permissions, each one the predefined owner role holds.
    pub permissions: Vec<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The body of `POST /organization/roles/{role_id}` (`PublicUpdateOrganizationRoleBody`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleUpdate {
    /// A new name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    /// New permissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    /// A new description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The body of the role assignment endpoints (`PublicAssignOrganizationGroupRoleBody`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleAssign {
    /// The role to assign.
    pub role_id: String,
}

/// The answer to assigning a role to a user (`UserRoleAssignment`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRoleAssignment {
    /// Always `user.role`.
    pub object: String,
    /// The user, as it now is.
    pub user: User,
    /// The role.
    pub role: Role,
}

/// The answer to assigning a role to a group (`GroupRoleAssignment`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRoleAssignment {
    /// Always `group.role`.
    pub object: String,
    /// The group.
    pub group: Group,
    /// The role.
    pub role: Role,
}
