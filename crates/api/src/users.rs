//! Wire types of `/organization/users`.

use serde::{Deserialize, Serialize};

use crate::LIST_OBJECT;

/// The `object` value of a [`User`].
pub const USER_OBJECT: &str = "organization.user";
/// The `object` value of a [`NestedUser`].
pub const NESTED_USER_OBJECT: &str = "user";
/// The `object` value of a [`UserDeleted`].
pub const USER_DELETED_OBJECT: &str = "organization.user.deleted";

/// An individual user within an organization (`User` in the spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Always `organization.user`.
    pub object: String,
    /// The identifier, which can be referenced in API endpoints.
    pub id: String,
    /// The name of the user.
    #[serde(default)]
    pub name: Option<String>,
    /// The email address of the user.
    #[serde(default)]
    pub email: Option<String>,
    /// `owner` or `reader`.
    #[serde(default)]
    pub role: Option<String>,
    /// Unix seconds of when the user was added.
    pub added_at: i64,
    /// Whether this is the organization's default user.
    #[serde(default)]
    pub is_default: bool,
    /// Unix seconds of when the user was created.
    #[serde(default)]
    pub created: i64,
    /// Nested user details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<NestedUser>,
    /// Whether the user is a service account.
    #[serde(default)]
    pub is_service_account: bool,
    /// Whether the user is an authorized purchaser for Scale Tier.
    #[serde(default)]
    pub is_scale_tier_authorized_purchaser: Option<bool>,
    /// Whether the user is managed through SCIM.
    #[serde(default)]
    pub is_scim_managed: bool,
    /// Unix seconds of the user's last API key usage.
    #[serde(default)]
    pub api_key_last_used_at: Option<i64>,
    /// The technical level metadata for the user.
    #[serde(default)]
    pub technical_level: Option<String>,
    /// The developer persona metadata for the user.
    #[serde(default)]
    pub developer_persona: Option<String>,
    /// The active projects the user is a direct member of, oldest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projects: Option<UserProjects>,
}

/// The `user` object nested in a [`User`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NestedUser {
    /// Always `user`.
    pub object: String,
    /// The same id as the enclosing user.
    pub id: String,
    /// The email address of the user.
    #[serde(default)]
    pub email: Option<String>,
    /// The name of the user.
    #[serde(default)]
    pub name: Option<String>,
    /// A picture URL.
    #[serde(default)]
    pub picture: Option<String>,
    /// Whether the account is enabled.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Whether the account is banned.
    #[serde(default)]
    pub banned: Option<bool>,
    /// Unix seconds of the ban.
    #[serde(default)]
    pub banned_at: Option<i64>,
}

/// The projects a user belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserProjects {
    /// Always `list`.
    pub object: String,
    /// The projects.
    pub data: Vec<UserProject>,
}

/// One project of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserProject {
    /// The project id.
    #[serde(default)]
    pub id: Option<String>,
    /// The project name.
    #[serde(default)]
    pub name: Option<String>,
    /// The user's role in the project.
    #[serde(default)]
    pub role: Option<String>,
}

/// A page of users (`UserListResponse` in the spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserList {
    /// Always `list`.
    pub object: String,
    /// The users of this page.
    pub data: Vec<User>,
    /// The id of the first user of `data`, `null` on an empty page.
    #[serde(default)]
    pub first_id: Option<String>,
    /// The id of the last user of `data`, `null` on an empty page.
    #[serde(default)]
    pub last_id: Option<String>,
    /// Whether another page follows.
    pub has_more: bool,
}

impl UserList {
    /// Builds a page envelope around `data`, deriving `first_id` and `last_id` from it.
    pub fn new(data: Vec<User>, has_more: bool) -> Self {
        Self {
            object: LIST_OBJECT.to_owned(),
            first_id: data.first().map(|u| u.id.clone()),
            last_id: data.last().map(|u| u.id.clone()),
            data,
            has_more,
        }
    }
}

/// The answer to a delete (`UserDeleteResponse` in the spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserDeleted {
    /// Always `organization.user.deleted`.
    pub object: String,
    /// The id of the deleted user.
    pub id: String,
    /// Always true.
    pub deleted: bool,
}

impl UserDeleted {
    /// The envelope for a deleted user id.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            object: USER_DELETED_OBJECT.to_owned(),
            id: id.into(),
            deleted: true,
        }
    }
}

/// The body of a modify request (`UserRoleUpdateRequest` in the spec).
///
/// The outer `Option` says whether a field was sent; the inner one whether it was `null`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserUpdate {
    /// `owner` or `reader`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub role: Option<Option<String>>,
    /// The id of an organization role.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub role_id: Option<Option<String>>,
    /// Free-form metadata; `null` clears it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub technical_level: Option<Option<String>>,
    /// Free-form metadata; `null` clears it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub developer_persona: Option<Option<String>>,
}

/// Deserializes a field that is present (possibly as `null`) into `Some(value)`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_tells_absent_from_null() {
        let u: UserUpdate =
            serde_json::from_str(r#"{"technical_level":null,"role":"owner"}"#).unwrap();
        assert_eq!(u.technical_level, Some(None));
        assert_eq!(u.role, Some(Some("owner".to_owned())));
        assert_eq!(u.developer_persona, None);
    }

    #[test]
    fn list_ids_follow_data() {
        let empty = UserList::new(vec![], false);
        assert_eq!(empty.first_id, None);
        assert_eq!(empty.last_id, None);
        let json = serde_json::to_value(&empty).unwrap();
        assert_eq!(json["first_id"], serde_json::Value::Null);
        assert_eq!(json["object"], "list");
    }
}
