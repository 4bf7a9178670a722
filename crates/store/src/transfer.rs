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
use crate::ids::{ApiKeyId, GroupId, InviteId, ProjectId, RoleId, ServiceAccountId};
use crate::import::{ImportError, ImportedUser};
use crate::invites::{InviteGrant, InviteStatus};
use crate::project_keys::{KeyName, OwnerType};
use crate::projects::{ProjectName, ProjectRole, RESIDENCIES};
use crate::roles::{Permissions, RoleName};
use crate::service_accounts::{ServiceAccountName, ServiceAccountRole};

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
    /// `organization.project`: created or replaced by id; `is_default` names the
    /// organization's Default project (which takes the line's id).
    Project {
        /// Its id (generated when absent).
        id: ProjectId,
        /// Its name.
        name: ProjectName,
        /// Unix seconds; the import's time when absent.
        created_at: Option<i64>,
        /// Unix seconds of its archiving.
        archived_at: Option<i64>,
        /// Whether it is the Default project.
        is_default: bool,
        /// Its encryption key id.
        external_key_id: Option<String>,
        /// Its residency.
        residency: Option<&'static str>,
    },
    /// `organization.project.user`: a direct membership.
    ProjectUser {
        /// The project.
        project: ProjectId,
        /// The member.
        user: String,
        /// Its role there.
        role: ProjectRole,
        /// When the user joined; the import's time when absent.
        added_at: Option<i64>,
    },
    /// `project.group`: a group's access to a project, with `role` the id of a project role.
    ProjectGroup {
        /// The project.
        project: ProjectId,
        /// The group.
        group: GroupId,
        /// `role-api-project-owner__api-project__{project}` or the member one.
        role: String,
        /// When access was granted; the import's time when absent.
        created_at: Option<i64>,
    },
    /// `organization.project.service_account`: created or replaced by id.
    ServiceAccount {
        /// Its project.
        project: ProjectId,
        /// Its id (generated when absent).
        id: ServiceAccountId,
        /// Its name.
        name: ServiceAccountName,
        /// Its role in the project.
        role: ServiceAccountRole,
        /// Unix seconds; the import's time when absent.
        created_at: Option<i64>,
    },
    /// `organization.project.api_key`: a key of a project, created or replaced by id; it
    /// authenticates nothing here, and `value_sha256` keeps its secret's hash for the record.
    ProjectKey {
        /// Its project.
        project: ProjectId,
        /// Its id (generated when absent).
        id: ApiKeyId,
        /// Its name.
        name: KeyName,
        /// The redacted secret it is listed with.
        redacted_value: String,
        /// Unix seconds; the import's time when absent.
        created_at: Option<i64>,
        /// Unix seconds of its last use.
        last_used_at: Option<i64>,
        /// `user` or `service_account`, and the owner's id.
        owner: (OwnerType, String),
        /// The SHA-256 of its secret.
        value_sha256: Option<[u8; 32]>,
    },
    /// `organization.invite`: created or replaced by id; its status follows from
    /// `accepted_at` and the organization's clock.
    Invite {
        /// Its id (generated when absent).
        id: InviteId,
        /// The address.
        email: crate::EmailAddress,
        /// The organization role its user gets.
        role: crate::Role,
        /// Unix seconds of sending; the import's time when absent.
        created_at: Option<i64>,
        /// Unix seconds of expiry; 7 days after `created_at` when absent.
        expires_at: Option<i64>,
        /// Unix seconds of acceptance.
        accepted_at: Option<i64>,
        /// The memberships it grants; the Default project as `member` when absent.
        projects: Option<Vec<InviteGrant>>,
    },
}

impl DirectoryItem {
    /// The user a line refers to, if any.
    pub fn user(&self) -> Option<&str> {
        match self {
            Self::GroupUser { user, .. }
            | Self::UserRole { user, .. }
            | Self::ProjectUser { user, .. } => Some(user),
            Self::ProjectKey {
                owner: (OwnerType::User, user),
                ..
            } => Some(user),
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
        // Users lines, by far the most of a file, are read once; a line the typed parse refuses
        // may be a line of another kind, told by its `object` before the slower reader that
        // names a user line's field at fault.
        let typed = match ImportedUser::from_typed_line(line, text) {
            Some(Ok(user)) => return Ok(Self::User(Box::new(user))),
            refused => refused,
        };
        match serde_json::from_str::<Object>(text) {
            Ok(Object {
                object: Some(Value::String(kind)),
            }) if kind != orgusers_api::USER_OBJECT => {
                DirectoryLine::from_json_line(line, text).map(Self::Directory)
            }
            _ => match typed {
                Some(Err(refused)) => Err(refused),
                _ => ImportedUser::from_json_line_by_field(line, text)
                    .map(|user| Self::User(Box::new(user))),
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
            orgusers_api::projects::PROJECT_OBJECT => {
                body.only(&[
                    "object",
                    "id",
                    "name",
                    "created_at",
                    "archived_at",
                    "status",
                    "external_key_id",
                    "residency",
                    "is_default",
                ])?;
                body.optional_enum("status", &["active", "archived"])?;
                Ok(DirectoryItem::Project {
                    id: match body.optional_str("id")? {
                        Some(id) => ProjectId::from_stored(external_id("id", id)?),
                        None => ProjectId::generate(),
                    },
                    name: ProjectName::parse(body.required_str("name")?)
                        .map_err(|e| invalid("name", e))?,
                    created_at: body.optional_i64("created_at")?,
                    archived_at: body.optional_i64("archived_at")?,
                    is_default: body.present_bool("is_default")?.unwrap_or(false),
                    external_key_id: body.optional_str("external_key_id")?.map(str::to_owned),
                    residency: body.optional_enum("residency", RESIDENCIES)?,
                })
            }
            orgusers_api::projects::PROJECT_USER_OBJECT => {
                body.only(&[
                    "object",
                    "project_id",
                    "id",
                    "name",
                    "email",
                    "role",
                    "added_at",
                ])?;
                let role = body.required_enum("role", ProjectRole::NAMES)?;
                Ok(DirectoryItem::ProjectUser {
                    project: ProjectId::from_stored(body.required_str("project_id")?.to_owned()),
                    user: body.required_str("id")?.to_owned(),
                    role: ProjectRole::parse(role).unwrap_or(ProjectRole::Member),
                    added_at: body.optional_i64("added_at")?,
                })
            }
            orgusers_api::projects::PROJECT_GROUP_OBJECT => {
                body.only(&[
                    "object",
                    "project_id",
                    "group_id",
                    "group_name",
                    "group_type",
                    "role",
                    "created_at",
                ])?;
                Ok(DirectoryItem::ProjectGroup {
                    project: ProjectId::from_stored(body.required_str("project_id")?.to_owned()),
                    group: GroupId::from_stored(body.required_str("group_id")?.to_owned()),
                    role: body.required_str("role")?.to_owned(),
                    created_at: body.optional_i64("created_at")?,
                })
            }
            orgusers_api::projects::SERVICE_ACCOUNT_OBJECT => {
                body.only(&["object", "project_id", "id", "name", "role", "created_at"])?;
                let role = body.required_enum("role", &["owner", "member", "none"])?;
                Ok(DirectoryItem::ServiceAccount {
                    project: ProjectId::from_stored(body.required_str("project_id")?.to_owned()),
                    id: match body.optional_str("id")? {
                        Some(id) => ServiceAccountId::from_stored(external_id("id", id)?),
                        None => ServiceAccountId::generate(),
                    },
                    name: ServiceAccountName::parse(body.required_str("name")?)
                        .map_err(|e| invalid("name", e))?,
                    role: ServiceAccountRole::parse(role).unwrap_or(ServiceAccountRole::None),
                    created_at: body.optional_i64("created_at")?,
                })
            }
            orgusers_api::projects::PROJECT_API_KEY_OBJECT => Self::project_key(body, value),
            orgusers_api::invites::INVITE_OBJECT => Self::invite(body),
            other => Err(invalid(
                "object",
                format!(
                    "'{other}' is no kind of this file; expected one of 'organization.user', \
                     'role', 'group', 'group.user', 'user.role', 'group.role', \
                     'organization.project', 'organization.project.user', 'project.group', \
                     'organization.project.service_account', 'organization.project.api_key' \
                     or 'organization.invite'"
                ),
            )),
        }
    }
}

impl DirectoryLine {
    /// An `organization.invite` line: the API shape; `status`, when given, must agree with
    /// `accepted_at`.
    fn invite(body: &BodyObject) -> Result<DirectoryItem, BodyError> {
        body.only(&[
            "object",
            "id",
            "email",
            "role",
            "status",
            "created_at",
            "expires_at",
            "accepted_at",
            "projects",
        ])?;
        let email = crate::EmailAddress::parse(body.required_str("email")?)
            .map_err(|e| invalid("email", e))?;
        let role = body.required_enum("role", &["owner", "reader"])?;
        let status = body
            .optional_enum("status", InviteStatus::NAMES)?
            .and_then(InviteStatus::parse);
        let accepted_at = body.optional_i64("accepted_at")?;
        crate::invites::rules::importable(status, accepted_at)
            .map_err(|(field, why)| invalid(field, why))?;
        Ok(DirectoryItem::Invite {
            id: match body.optional_str("id")? {
                Some(id) => InviteId::from_stored(external_id("id", id)?),
                None => InviteId::generate(),
            },
            email,
            role: crate::Role::parse(role).unwrap_or(crate::Role::Reader),
            created_at: body.optional_i64("created_at")?,
            expires_at: body.optional_i64("expires_at")?,
            accepted_at,
            projects: crate::invites::grants_in(body)?,
        })
    }

    /// An `organization.project.api_key` line: the API shape with `project_id` and, for the
    /// record, `value_sha256`.
    fn project_key(body: &BodyObject, value: &Value) -> Result<DirectoryItem, BodyError> {
        body.only(&[
            "object",
            "project_id",
            "id",
            "name",
            "redacted_value",
            "created_at",
            "last_used_at",
            "owner_project_access",
            "owner",
            "value_sha256",
        ])?;
        let owner = body
            .object("owner")?
            .ok_or_else(|| BodyError::Missing("owner".into()))?;
        let owner_type = owner
            .required_enum("type", &["user", "service_account"])
            .map_err(|e| e.within("owner"))?;
        let (owner_type, nested) = match owner_type {
            "user" => (OwnerType::User, "user"),
            _ => (OwnerType::ServiceAccount, "service_account"),
        };
        let owner_id = match value["owner"].get(nested).and_then(|o| o.get("id")) {
            Some(Value::String(id)) => id.clone(),
            Some(other) => {
                return Err(BodyError::WrongType {
                    field: format!("owner.{nested}.id"),
                    expected: "a string",
                    got: crate::import::json_type(other),
                });
            }
            None => return Err(BodyError::Missing(format!("owner.{nested}.id"))),
        };
        let value_sha256 = match body.optional_str("value_sha256")? {
            None => None,
            Some(hex_digest) => Some(
                hex::decode(hex_digest)
                    .ok()
                    .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                    .ok_or_else(|| {
                        invalid("value_sha256", "expected 64 hexadecimal digits (a SHA-256)")
                    })?,
            ),
        };
        Ok(DirectoryItem::ProjectKey {
            project: ProjectId::from_stored(body.required_str("project_id")?.to_owned()),
            id: match body.optional_str("id")? {
                Some(id) => ApiKeyId::from_stored(external_id("id", id)?),
                None => ApiKeyId::generate(),
            },
            name: KeyName::parse(body.required_str("name")?).map_err(|e| invalid("name", e))?,
            redacted_value: body.required_str("redacted_value")?.to_owned(),
            created_at: body.optional_i64("created_at")?,
            last_used_at: body.optional_i64("last_used_at")?,
            owner: (owner_type, owner_id),
            value_sha256,
        })
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
    /// Projects created or replaced.
    pub projects: usize,
    /// Project memberships.
    pub project_members: usize,
    /// Groups' access to projects.
    pub project_groups: usize,
    /// Service accounts created or replaced.
    pub service_accounts: usize,
    /// Project API keys created or replaced.
    pub project_keys: usize,
    /// Invites created or replaced.
    pub invites: usize,
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
            DirectoryItem::Project { .. } => self.projects += 1,
            DirectoryItem::ProjectUser { .. } => self.project_members += 1,
            DirectoryItem::ProjectGroup { .. } => self.project_groups += 1,
            DirectoryItem::ServiceAccount { .. } => self.service_accounts += 1,
            DirectoryItem::ProjectKey { .. } => self.project_keys += 1,
            DirectoryItem::Invite { .. } => self.invites += 1,
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
/// read back: roles, groups, memberships, assignments, then projects and their members, then
/// invites.
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
    project_lines(store, org, &mut lines).await?;
    invite_lines(store, org, &mut lines).await?;
    Ok(lines)
}

/// The invites, oldest first, in their API shape (their status as the organization's clock
/// reads it now); after the projects they grant.
async fn invite_lines(
    store: &dyn crate::Store,
    org: &crate::OrgId,
    lines: &mut Vec<Value>,
) -> Result<(), crate::StoreError> {
    let mut query = crate::page::FirstQuery {
        limit: EXPORT_PAGE,
        after: None,
    };
    loop {
        let page = store.list_invites(org, &query).await?;
        for invite in &page.items {
            lines.push(serde_json::to_value(invite.to_wire()).map_err(anyhow::Error::from)?);
        }
        match (page.has_more, page.items.last()) {
            (true, Some(last)) => query.after = Some(last.id.to_string()),
            _ => return Ok(()),
        }
    }
}

/// The projects (archived ones included, the Default one marked `is_default`), then for every
/// project its direct members, its groups, its service accounts and its keys, each with
/// `project_id`.
async fn project_lines(
    store: &dyn crate::Store,
    org: &crate::OrgId,
    lines: &mut Vec<Value>,
) -> Result<(), crate::StoreError> {
    use crate::page::FirstQuery;
    let page_after = |after: Option<String>| FirstQuery {
        limit: EXPORT_PAGE,
        after,
    };
    let mut projects = Vec::new();
    let mut query = page_after(None);
    loop {
        let page = store.list_projects(org, &query, true).await?;
        let last = page.items.last().map(|p| p.id.to_string());
        projects.extend(page.items);
        match (page.has_more, last) {
            (true, Some(last)) => query = page_after(Some(last)),
            _ => break,
        }
    }
    for project in &projects {
        let mut line = serde_json::to_value(project.to_project()).map_err(anyhow::Error::from)?;
        if project.is_default {
            line["is_default"] = true.into();
        }
        lines.push(line);
    }
    for project in &projects {
        let mut query = page_after(None);
        loop {
            let page = store.list_project_users(org, &project.id, &query).await?;
            for member in &page.items {
                let mut line =
                    serde_json::to_value(member.to_project_user()).map_err(anyhow::Error::from)?;
                line["project_id"] = project.id.as_str().into();
                lines.push(line);
            }
            match (page.has_more, page.items.last()) {
                (true, Some(last)) => query = page_after(Some(last.user_id.clone())),
                _ => break,
            }
        }
    }
    for project in &projects {
        let all = |after| crate::page::NextQuery {
            limit: EXPORT_PAGE,
            order: crate::page::SortOrder::Asc,
            after,
        };
        let mut query = all(None);
        loop {
            let page = store.list_project_groups(org, &project.id, &query).await?;
            for grant in &page.items {
                let mut line =
                    serde_json::to_value(grant.to_wire()).map_err(anyhow::Error::from)?;
                line["role"] = grant.role.role_id(&project.id).into();
                lines.push(line);
            }
            match page.next {
                Some(next) => query = all(Some(next)),
                None => break,
            }
        }
    }
    for project in &projects {
        let mut query = page_after(None);
        loop {
            let page = store
                .list_service_accounts(org, &project.id, &query)
                .await?;
            for account in &page.items {
                let mut line =
                    serde_json::to_value(account.to_wire()).map_err(anyhow::Error::from)?;
                line["project_id"] = project.id.as_str().into();
                lines.push(line);
            }
            match (page.has_more, page.items.last()) {
                (true, Some(last)) => query = page_after(Some(last.id.to_string())),
                _ => break,
            }
        }
    }
    for project in &projects {
        let mut query = page_after(None);
        loop {
            let page = store
                .list_project_keys(org, &project.id, &query, None)
                .await?;
            for key in &page.items {
                let mut line = serde_json::to_value(key.to_wire()).map_err(anyhow::Error::from)?;
                line["project_id"] = project.id.as_str().into();
                if let Some(hash) = &key.value_sha256 {
                    line["value_sha256"] = hex::encode(hash).into();
                }
                lines.push(line);
            }
            match (page.has_more, page.items.last()) {
                (true, Some(last)) => query = page_after(Some(last.id.to_string())),
                _ => break,
            }
        }
    }
    Ok(())
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
