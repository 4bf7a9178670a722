//! The user columns both stores select, and the wire user built from them.

use orgusers_api::{NESTED_USER_OBJECT, NestedUser, USER_OBJECT, User};

/// The columns of a user row, in the order of [`StoredUser`]'s fields.
pub(crate) const USER_COLUMNS: &str = "id, name, email, role, added_at, is_default, created, \
    picture, enabled, banned, banned_at, is_service_account, is_scale_tier_authorized_purchaser, \
    is_scim_managed, api_key_last_used_at, technical_level, developer_persona";

/// [`USER_COLUMNS`] of the table aliased `u`.
pub(crate) const USER_COLUMNS_OF_U: &str = "u.id, u.name, u.email, u.role, u.added_at, \
    u.is_default, u.created, u.picture, u.enabled, u.banned, u.banned_at, u.is_service_account, \
    u.is_scale_tier_authorized_purchaser, u.is_scim_managed, u.api_key_last_used_at, \
    u.technical_level, u.developer_persona";

/// One user row as stored, column for column.
pub(crate) struct StoredUser {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: String,
    pub added_at: i64,
    pub is_default: bool,
    pub created: i64,
    pub picture: Option<String>,
    pub enabled: Option<bool>,
    pub banned: Option<bool>,
    pub banned_at: Option<i64>,
    pub is_service_account: bool,
    pub is_scale_tier_authorized_purchaser: Option<bool>,
    pub is_scim_managed: bool,
    pub api_key_last_used_at: Option<i64>,
    pub technical_level: Option<String>,
    pub developer_persona: Option<String>,
}

impl From<StoredUser> for User {
    /// The nested `user` repeats the id, email and name, as the API does.
    fn from(row: StoredUser) -> Self {
        User {
            object: USER_OBJECT.to_owned(),
            user: Some(NestedUser {
                object: NESTED_USER_OBJECT.to_owned(),
                id: row.id.clone(),
                email: row.email.clone(),
                name: row.name.clone(),
                picture: row.picture,
                enabled: row.enabled,
                banned: row.banned,
                banned_at: row.banned_at,
            }),
            id: row.id,
            name: row.name,
            email: row.email,
            role: Some(row.role),
            added_at: row.added_at,
            is_default: row.is_default,
            created: row.created,
            is_service_account: row.is_service_account,
            is_scale_tier_authorized_purchaser: row.is_scale_tier_authorized_purchaser,
            is_scim_managed: row.is_scim_managed,
            api_key_last_used_at: row.api_key_last_used_at,
            technical_level: row.technical_level,
            developer_persona: row.developer_persona,
            projects: None,
        }
    }
}
