//! The user columns both stores select, in the order of [`UserFields`]' fields.

#[cfg(doc)]
use orgusers_api::render::UserFields;

/// The columns of a user row, in the order of [`UserFields`]' fields, as a literal for
/// `concat!` (statements are constants, not formatted per call).
macro_rules! user_columns {
    () => {
        "id, name, email, role, added_at, is_default, created, picture, enabled, banned, \
         banned_at, is_service_account, is_scale_tier_authorized_purchaser, is_scim_managed, \
         api_key_last_used_at, technical_level, developer_persona, projects_data"
    };
}
pub(crate) use user_columns;

/// [`user_columns`] of the table aliased `u`.
macro_rules! user_columns_of_u {
    () => {
        "u.id, u.name, u.email, u.role, u.added_at, u.is_default, u.created, u.picture, \
         u.enabled, u.banned, u.banned_at, u.is_service_account, \
         u.is_scale_tier_authorized_purchaser, u.is_scim_managed, u.api_key_last_used_at, \
         u.technical_level, u.developer_persona, u.projects_data"
    };
}
pub(crate) use user_columns_of_u;

/// The columns of a user row, in the order of [`UserFields`]' fields.
pub(crate) const USER_COLUMNS: &str = user_columns!();

/// Room for one user's JSON: the seeded users take 500 to 600 bytes.
pub(crate) const USER_JSON_CAPACITY: usize = 640;

/// SQLite: the `projects.data` JSON of the user row of `users`, written as serde writes it
/// (compact, fields in `UserProject` order): its active direct projects, oldest first; `NULL`
/// when there is none. What `users.projects_data` keeps (see `projects::sqlite::refresh`).
pub(crate) const SQLITE_USER_PROJECTS: &str = "(SELECT '[' || group_concat('{\"id\":' \
     || json_quote(p.id) || ',\"name\":' || json_quote(p.name) || ',\"role\":' \
     || json_quote(m.role) || '}', ',' ORDER BY p.created_at, p.id) || ']' \
     FROM project_users AS m JOIN projects AS p ON p.org = m.org AND p.id = m.project_id \
     WHERE m.org = users.org AND m.user_id = users.id AND p.archived_at IS NULL)";

/// PostgreSQL: [`SQLITE_USER_PROJECTS`].
pub(crate) const POSTGRES_USER_PROJECTS: &str = "(SELECT '[' || string_agg('{\"id\":' \
     || to_json(p.id)::text || ',\"name\":' || to_json(p.name)::text || ',\"role\":' \
     || to_json(m.role)::text || '}', ',' ORDER BY p.created_at, p.id) || ']' \
     FROM project_users AS m JOIN projects AS p ON p.org_id = m.org_id AND p.id = m.project_id \
     WHERE m.org_id = users.org_id AND m.user_id = users.id AND p.archived_at IS NULL)";
