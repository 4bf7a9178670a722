//! Import of the whole directory: the records of an import file (users and the lines of the
//! other kinds, CONTRACT.md "Import, export and seed of the whole directory"), and how a store
//! applies the directory's lines after its users, in the same transaction.
//!
//! Users keep their own fast path (`import.rs`, each backend's bulk load). The other lines are
//! few beside them: they are set aside as the users pass and applied in file order once the
//! users are written, each checked to refer only to what earlier lines or the store define.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

use crate::body::{BodyError, BodyObject, invalid};
use crate::groups::GroupName;
use crate::ids::{GroupId, RoleId};
use crate::import::{ImportError, ImportedUser};
use crate::roles::{Permissions, RoleName};

/// One line of an import file.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportRecord {
    /// `organization.user` (or no `object`).
    User(Box<ImportedUser>),
    /// Any other kind.
    Directory(DirectoryLine),
}

/// A line of a kind other than users, with its line number.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectoryLine {
    /// 1-based.
    pub line: usize,
    /// What the line holds.
    pub item: DirectoryItem,
}

/// The kinds of directory lines.
#[derive(Debug, Clone, PartialEq)]
pub enum DirectoryItem {
    /// `role`: a custom role, created or replaced by id.
    Role {
        /// Its id (generated when absent).
        id: RoleId,
        /// Its name.
        name: RoleName,
        /// Its permissions.
        permissions: Permissions,
        /// Free text.
        description: Option<String>,
        /// Unix seconds; the import's time when absent.
        created_at: Option<i64>,
        /// Unix seconds; `created_at` when absent.
        updated_at: Option<i64>,
    },
    /// `group`: created or replaced by id.
    Group {
        /// Its id (generated when absent).
        id: GroupId,
        /// Its name.
        name: GroupName,
        /// Unix seconds; the import's time when absent.
        created_at: Option<i64>,
    },
    /// `group.user`: a membership.
    GroupUser {
        /// The group.
        group: GroupId,
        /// The member.
        user: String,
        /// When the user joined; the import's time when absent.
        added_at: Option<i64>,
    },
    /// `user.role`: a role held directly (a predefined one sets the user's `role`).
    UserRole {
        /// The user.
        user: String,
        /// The role.
        role: RoleId,
    },
    /// `group.role`: a custom role held by a group.
    GroupRole {
        /// The group.
        group: GroupId,
        /// The role.
        role: RoleId,
    },
}

impl DirectoryItem {
    /// The user a line refers to, if any.
    pub fn user(&self) -> Option<&str> {
        match self {
            Self::GroupUser { user, .. } | Self::UserRole { user, .. } => Some(user),
            _ => None,
        }
    }
}

fn refusal(line: usize, e: &BodyError) -> ImportError {
    ImportError {
        line,
        field: e.field().map(str::to_owned),
        message: e.message(),
    }
}

/// An id of a nested object (`{"user": {"id": …}}`) or of a flat field (`user_id`).
fn reference(
    body: &BodyObject,
    value: &Value,
    flat: &str,
    nested: &str,
) -> Result<String, BodyError> {
    if let Some(id) = body.optional_str(flat)? {
        return Ok(id.to_owned());
    }
    match value.get(nested).and_then(|object| object.get("id")) {
        Some(Value::String(id)) => Ok(id.clone()),
        Some(other) => Err(BodyError::WrongType {
            field: format!("{nested}.id"),
            expected: "a string",
            got: crate::import::json_type(other),
        }),
        None => Err(BodyError::Missing(flat.to_owned())),
    }
}

impl ImportRecord {
    /// Parses one non-blank line: a user unless its `object` names another kind.
    pub fn from_json_line(line: usize, text: &str) -> Result<Self, ImportError> {
        /// Only the kind of a line, read when it is no user.
        #[derive(serde::Deserialize)]
        struct Object {
            object: Option<Value>,
        }
        match ImportedUser::from_json_line(line, text) {
            Ok(user) => Ok(Self::User(Box::new(user))),
            // A refused user line may be a line of another kind: users lines, by far the most
            // of a file, are read once.
            Err(e) => match serde_json::from_str::<Object>(text) {
                Ok(Object {
                    object: Some(Value::String(kind)),
                }) if kind != orgusers_api::USER_OBJECT => {
                    DirectoryLine::from_json_line(line, text).map(Self::Directory)
                }
                _ => Err(e),
            },
        }
    }
}

impl DirectoryLine {
    /// Parses a line whose `object` is `role`, `group`, `group.user`, `user.role` or
    /// `group.role`.
    pub fn from_json_line(line: usize, text: &str) -> Result<Self, ImportError> {
        let value: Value = serde_json::from_str(text).map_err(|e| ImportError {
            line,
            field: None,
            message: format!("not valid JSON: {e}"),
        })?;
        let body = BodyObject::from_value(value.clone()).map_err(|e| refusal(line, &e))?;
        let item = Self::item(&body, &value).map_err(|e| refusal(line, &e))?;
        Ok(Self { line, item })
    }

    fn item(body: &BodyObject, value: &Value) -> Result<DirectoryItem, BodyError> {
        let object = body.required_str("object")?;
        match object {
            "role" => {
                body.only(&[
                    "object",
                    "id",
                    "name",
                    "description",
                    "permissions",
                    "resource_type",
                    "predefined_role",
                    "created_at",
                    "updated_at",
                ])?;
                if value.get("predefined_role") == Some(&Value::Bool(true)) {
                    return Err(invalid(
                        "predefined_role",
                        "predefined roles exist in every organization; leave them out",
                    ));
                }
                if let Some(kind) = body.optional_str("resource_type")?
                    && kind != orgusers_api::roles::ORGANIZATION_RESOURCE
                {
                    return Err(invalid("resource_type", "expected 'api.organization'"));
                }
                Ok(DirectoryItem::Role {
                    id: match body.optional_str("id")? {
                        Some(id) => RoleId::from_stored(external_id("id", id)?),
                        None => RoleId::generate(),
                    },
                    name: RoleName::parse(body.required_str("name")?)
                        .map_err(|e| invalid("name", e))?,
                    permissions: Permissions::parse(&body.required_strings("permissions")?)
                        .map_err(|e| invalid("permissions", e))?,
                    description: body.optional_str("description")?.map(str::to_owned),
                    created_at: body.optional_i64("created_at")?,
                    updated_at: body.optional_i64("updated_at")?,
                })
            }
            "group" => {
                body.only(&[
                    "object",
                    "id",
                    "name",
                    "created_at",
                    "is_scim_managed",
                    "group_type",
                ])?;
                Ok(DirectoryItem::Group {
                    id: match body.optional_str("id")? {
                        Some(id) => GroupId::from_stored(external_id("id", id)?),
                        None => GroupId::generate(),
                    },
                    name: GroupName::parse(body.required_str("name")?)
                        .map_err(|e| invalid("name", e))?,
                    created_at: body.optional_i64("created_at")?,
                })
            }
            "group.user" => {
                body.only(&["object", "group_id", "user_id", "added_at"])?;
                Ok(DirectoryItem::GroupUser {
                    group: GroupId::from_stored(body.required_str("group_id")?.to_owned()),
                    user: body.required_str("user_id")?.to_owned(),
                    added_at: body.optional_i64("added_at")?,
                })
            }
            "user.role" => {
                body.only(&["object", "user_id", "role_id", "user", "role"])?;
                Ok(DirectoryItem::UserRole {
                    user: reference(body, value, "user_id", "user")?,
                    role: RoleId::from_stored(reference(body, value, "role_id", "role")?),
                })
            }
            "group.role" => {
                body.only(&["object", "group_id", "role_id", "group", "role"])?;
                Ok(DirectoryItem::GroupRole {
                    group: GroupId::from_stored(reference(body, value, "group_id", "group")?),
                    role: RoleId::from_stored(reference(body, value, "role_id", "role")?),
                })
            }
            other => Err(invalid(
                "object",
                format!(
                    "'{other}' is no kind of this file; expected one of 'organization.user', \
                     'role', 'group', 'group.user', 'user.role' or 'group.role'"
                ),
            )),
        }
    }
}

/// Imported ids follow the rule of imported user ids.
fn external_id(field: &str, id: &str) -> Result<String, BodyError> {
    crate::domain::parse_external_id("an id", id).map_err(|e| invalid(field, e))
}

/// The directory lines of an import, set aside while its users are written.
#[derive(Debug, Default)]
pub struct SetAside {
    /// The lines, in file order.
    pub lines: Vec<DirectoryLine>,
    /// Users defined after the first directory line, with their line: a directory line may
    /// only refer to a user of an earlier line (or of the store).
    pub late_users: HashMap<String, usize>,
}

impl SetAside {
    /// Refuses a line that refers to a user defined on a later line.
    pub fn check_order(&self, line: &DirectoryLine) -> Result<(), ImportError> {
        if let Some(user) = line.item.user()
            && let Some(&defined) = self.late_users.get(user)
            && defined > line.line
        {
            return Err(ImportError {
                line: line.line,
                field: Some("user_id".into()),
                message: format!("user '{user}' is defined on line {defined}, after this line"),
            });
        }
        Ok(())
    }
}

/// The users of `records` for a backend's user import; every other line goes to the returned
/// [`SetAside`], read once the users have been consumed.
pub fn split_users(
    records: crate::ImportSource,
) -> (crate::import::UserSource, Arc<Mutex<SetAside>>) {
    let aside = Arc::new(Mutex::new(SetAside::default()));
    let sink = Arc::clone(&aside);
    let users = records.filter_map(move |record| {
        let mut aside = sink.lock().unwrap_or_else(PoisonError::into_inner);
        match record {
            Ok(ImportRecord::User(user)) => {
                if !aside.lines.is_empty()
                    && let Some(id) = &user.id
                {
                    aside.late_users.insert(id.as_str().to_owned(), user.line);
                }
                Some(Ok(*user))
            }
            Ok(ImportRecord::Directory(line)) => {
                aside.lines.push(line);
                None
            }
            Err(e) => Some(Err(e)),
        }
    });
    (Box::new(users), aside)
}

/// What the directory lines of an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirectorySummary {
    /// Custom roles created or replaced.
    pub roles: usize,
    /// Groups created or replaced.
    pub groups: usize,
    /// Group memberships.
    pub memberships: usize,
    /// Role assignments of users and groups.
    pub assignments: usize,
}

impl DirectorySummary {
    /// Counts one applied line.
    pub fn count(&mut self, item: &DirectoryItem) {
        match item {
            DirectoryItem::Role { .. } => self.roles += 1,
            DirectoryItem::Group { .. } => self.groups += 1,
            DirectoryItem::GroupUser { .. } => self.memberships += 1,
            DirectoryItem::UserRole { .. } | DirectoryItem::GroupRole { .. } => {
                self.assignments += 1;
            }
        }
    }
}

/// The refusal of a line that names an object neither earlier lines nor the store define.
pub fn unknown(line: usize, field: &str, kind: &str, id: &str) -> ImportError {
    ImportError {
        line,
        field: Some(field.to_owned()),
        message: format!("no {kind} '{id}' in this organization or on an earlier line"),
    }
}

/// Page size of the reads an export makes.
const EXPORT_PAGE: usize = 1000;

/// Every line of the organization's directory besides its users, in an order an import can
/// read back: roles, groups, memberships, then assignments.
pub async fn directory_lines(
    store: &dyn crate::Store,
    org: &crate::OrgId,
) -> Result<Vec<Value>, crate::StoreError> {
    use crate::page::{NextQuery, SortOrder};
    let all = |after| NextQuery {
        limit: EXPORT_PAGE,
        order: SortOrder::Asc,
        after,
    };
    let mut lines = Vec::new();
    let mut query = all(None);
    loop {
        let page =
            crate::page::fetched_page(store.fetch_custom_roles(org, &query).await?, EXPORT_PAGE);
        for role in &page.items {
            let mut line = serde_json::to_value(role.to_wire()).map_err(anyhow::Error::from)?;
            line["created_at"] = role.created_at.into();
            line["updated_at"] = role.updated_at.into();
            lines.push(line);
        }
        match page.next {
            Some(next) => query = all(Some(next)),
            None => break,
        }
    }
    let mut groups = Vec::new();
    let mut query = all(None);
    loop {
        let page = store.list_groups(org, &query).await?;
        groups.extend(page.items);
        match page.next {
            Some(next) => query = all(Some(next)),
            None => break,
        }
    }
    for group in &groups {
        let mut line = serde_json::to_value(group.to_info()).map_err(anyhow::Error::from)?;
        line["object"] = "group".into();
        lines.push(line);
    }
    for group in &groups {
        let mut query = all(None);
        loop {
            let page = store.list_group_users(org, &group.id, &query).await?;
            for member in &page.items {
                lines.push(serde_json::json!({
                    "object": "group.user",
                    "group_id": group.id.as_str(),
                    "user_id": member.user_id,
                    "added_at": member.added_at,
                }));
            }
            match page.next {
                Some(next) => query = all(Some(next)),
                None => break,
            }
        }
    }
    for (user, role) in store.direct_assignments(org).await? {
        lines.push(
            serde_json::json!({"object": "user.role", "user_id": user, "role_id": role.as_str()}),
        );
    }
    for group in &groups {
        for role in store.group_roles(org, &group.id).await? {
            lines.push(serde_json::json!({"object": "group.role", "group_id": group.id.as_str(), "role_id": role.id.as_str()}));
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ImportRecord, ImportError> {
        ImportRecord::from_json_line(3, text)
    }

    #[test]
    fn lines_of_every_kind() {
        assert!(matches!(
            parse(r#"{"id":"u","email":"a@b.c"}"#),
            Ok(ImportRecord::User(_))
        ));
        let role = parse(
            r#"{"object":"role","id":"role_1","name":"R","permissions":["api.users.read"],"predefined_role":false,"resource_type":"api.organization","description":null}"#,
        );
        assert!(
            matches!(
                role,
                Ok(ImportRecord::Directory(DirectoryLine {
                    line: 3,
                    item: DirectoryItem::Role { .. }
                }))
            ),
            "{role:?}"
        );
        let nested =
            parse(r#"{"object":"user.role","user":{"id":"u"},"role":{"id":"role_1"}}"#).unwrap();
        let flat = parse(r#"{"object":"user.role","user_id":"u","role_id":"role_1"}"#).unwrap();
        assert_eq!(nested, flat);
        assert!(matches!(
            parse(r#"{"object":"group","name":"G"}"#),
            Ok(ImportRecord::Directory(_))
        ));
        assert!(matches!(
            parse(r#"{"object":"group.user","group_id":"g","user_id":"u"}"#),
            Ok(ImportRecord::Directory(_))
        ));
    }

    #[test]
    fn refusals_name_line_and_field() {
        let refused = |text: &str| parse(text).unwrap_err();
        let e = refused(r#"{"object":"group"}"#);
        assert_eq!(
            (e.line, e.field.as_deref(), e.message.as_str()),
            (3, Some("name"), "Missing required parameter: 'name'.")
        );
        let e = refused(r#"{"object":"role","name":"R","permissions":[1]}"#);
        assert_eq!(e.field.as_deref(), Some("permissions[0]"));
        let e = refused(
            r#"{"object":"role","name":"R","permissions":["api.users.read"],"predefined_role":true}"#,
        );
        assert_eq!(e.field.as_deref(), Some("predefined_role"));
        let e = refused(r#"{"object":"planet"}"#);
        assert_eq!(e.field.as_deref(), Some("object"));
        let e = refused(r#"{"object":"group","name":"G","colour":1}"#);
        assert_eq!(e.field.as_deref(), Some("colour"));
        let e = refused(r#"{"object":"group","id":"bad id","name":"G"}"#);
        assert_eq!(e.field.as_deref(), Some("id"));
    }

    #[test]
    fn later_users_cannot_be_referred_to() {
        let records: Vec<Result<ImportRecord, ImportError>> = vec![
            parse(r#"{"id":"early"}"#),
            ImportRecord::from_json_line(
                2,
                r#"{"object":"group.user","group_id":"g","user_id":"late"}"#,
            ),
            ImportRecord::from_json_line(4, r#"{"id":"late"}"#),
        ];
        let (users, aside) = split_users(Box::new(records.into_iter()));
        assert_eq!(users.count(), 2);
        let aside = aside.lock().unwrap();
        let e = aside.check_order(&aside.lines[0]).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (2, Some("user_id")));
    }
}
