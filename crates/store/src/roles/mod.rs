//! Organization roles: the two predefined ones every organization has, and custom roles.
//!
//! The predefined roles are not stored: a user's `role` is the one fact of which predefined role
//! it holds (CONTRACT.md "Roles and groups"), so they are built here from the organization's
//! id. Custom roles live in each backend (`sqlite.rs`, `postgres.rs`); the rules that do not
//! depend on the backend are the default methods of [`RoleStore`] and the functions of
//! [`rules`].

pub(crate) mod postgres;
pub(crate) mod sqlite;

use async_trait::async_trait;
use orgusers_api::roles::{
    AssignedRole, AssignmentSource, ORGANIZATION_RESOURCE, ROLE_OBJECT, Role as WireRole,
};
use serde_json::json;

use crate::audit::AuditEvent;
use crate::ids::RoleId;
use crate::page::{NextPage, NextQuery, Position, fetched_page};
use crate::{InvalidValue, Kind, OrgId, Role, StoreError};

/// Every permission an organization role can grant: the predefined owner role holds them all.
pub const OWNER_PERMISSIONS: &[&str] = &[
    "api.organization.read",
    "api.organization.write",
    "api.users.read",
    "api.users.write",
    "api.invites.read",
    "api.invites.write",
    "api.groups.read",
    "api.groups.write",
    "api.roles.read",
    "api.roles.write",
    "api.projects.read",
    "api.projects.write",
    "api.admin_api_keys.read",
    "api.admin_api_keys.write",
    "api.audit_logs.read",
    "api.usage.read",
];

/// The permissions of the predefined reader role.
pub const READER_PERMISSIONS: &[&str] = &[
    "api.organization.read",
    "api.users.read",
    "api.invites.read",
    "api.groups.read",
    "api.roles.read",
    "api.projects.read",
    "api.usage.read",
];

/// Longest role name, in characters.
pub const MAX_ROLE_NAME_CHARS: usize = 255;

/// A custom role's name: 1 to 255 characters, not only spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleName(String);

impl RoleName {
    /// Checks a name as given.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        if s.trim().is_empty() || s.chars().count() > MAX_ROLE_NAME_CHARS {
            return Err(InvalidValue(format!(
                "a role name must have 1 to {MAX_ROLE_NAME_CHARS} characters, not only spaces"
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form names are compared in (unique per organization, case-insensitively).
    pub fn folded(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A custom role's permissions: at least one, each one the owner role holds, duplicates dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions(Vec<String>);

impl Permissions {
    /// Checks permissions as given.
    pub fn parse(given: &[String]) -> Result<Self, InvalidValue> {
        if given.is_empty() {
            return Err(InvalidValue("a role needs at least one permission".into()));
        }
        let mut kept: Vec<String> = Vec::with_capacity(given.len());
        for permission in given {
            if !OWNER_PERMISSIONS.contains(&permission.as_str()) {
                return Err(InvalidValue(format!(
                    "unknown permission '{permission}'; permissions are: {}",
                    OWNER_PERMISSIONS.join(", ")
                )));
            }
            if !kept.contains(permission) {
                kept.push(permission.clone());
            }
        }
        Ok(Self(kept))
    }

    /// The permissions, in the order given.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// A role as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRecord {
    /// The role's id.
    pub id: RoleId,
    /// Its name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// What it grants.
    pub permissions: Vec<String>,
    /// The predefined role it is, for the two every organization has.
    pub predefined: Option<Role>,
    /// Unix seconds; `None` for predefined roles.
    pub created_at: Option<i64>,
    /// Unix seconds; `None` for predefined roles.
    pub updated_at: Option<i64>,
}

impl RoleRecord {
    /// The predefined role `role` of `org`.
    pub fn predefined(org: &OrgId, role: Role) -> Self {
        let (description, permissions) = match role {
            Role::Owner => ("Can administer the organization", OWNER_PERMISSIONS),
            Role::Reader => ("Can read the organization", READER_PERMISSIONS),
        };
        Self {
            id: RoleId::from_stored(role.role_id(org)),
            name: role.as_str().to_owned(),
            description: Some(description.to_owned()),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            predefined: Some(role),
            created_at: None,
            updated_at: None,
        }
    }

    /// Both predefined roles of `org`.
    pub fn predefined_roles(org: &OrgId) -> [Self; 2] {
        [
            Self::predefined(org, Role::Owner),
            Self::predefined(org, Role::Reader),
        ]
    }

    /// Its place in list order: predefined roles first, then custom roles by creation.
    pub fn position(&self) -> Position {
        Position::new(self.created_at.unwrap_or(0), self.id.as_str())
    }

    /// The `Role` object of the API.
    pub fn to_wire(&self) -> WireRole {
        WireRole {
            object: ROLE_OBJECT.to_owned(),
            id: self.id.to_string(),
            name: self.name.clone(),
            description: self.description.clone(),
            permissions: self.permissions.clone(),
            resource_type: ORGANIZATION_RESOURCE.to_owned(),
            predefined_role: self.predefined.is_some(),
        }
    }

    /// The `AssignedRoleDetails` object of the API.
    pub fn to_assigned(&self, sources: Option<Vec<AssignmentSource>>) -> AssignedRole {
        AssignedRole {
            id: self.id.to_string(),
            name: self.name.clone(),
            permissions: self.permissions.clone(),
            resource_type: ORGANIZATION_RESOURCE.to_owned(),
            predefined_role: self.predefined.is_some(),
            description: self.description.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            created_by: None,
            created_by_user_obj: None,
            metadata: Some(serde_json::Map::new()),
            assignment_sources: sources,
        }
    }
}

/// A new custom role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRole {
    /// Its name.
    pub name: RoleName,
    /// Its permissions.
    pub permissions: Permissions,
    /// Free text.
    pub description: Option<String>,
}

/// A change to a custom role; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleChange {
    /// A new name.
    pub name: Option<RoleName>,
    /// New permissions.
    pub permissions: Option<Permissions>,
    /// A new description.
    pub description: Option<String>,
}

/// Decisions about roles that do not depend on the backend; each backend calls them inside its
/// transaction, on what it read there.
pub mod rules {
    use super::{RoleChange, RoleName, RoleRecord};
    use crate::ids::RoleId;
    use crate::{Role, StoreError};

    /// Refuses a change to a predefined role.
    pub fn changeable(role: &RoleRecord) -> Result<(), StoreError> {
        match role.predefined {
            Some(_) => Err(StoreError::conflict(
                None,
                format!(
                    "The predefined role '{}' cannot be changed or deleted.",
                    role.name
                ),
            )),
            None => Ok(()),
        }
    }

    /// Refuses a name that another role of the organization has (`holder`, the custom role
    /// found under the same folded name, if any), the predefined roles' names included.
    pub fn name_free(
        name: &RoleName,
        holder: Option<&RoleId>,
        me: Option<&RoleId>,
    ) -> Result<(), StoreError> {
        let folded = name.folded();
        let predefined = [Role::Owner, Role::Reader]
            .iter()
            .any(|role| role.as_str() == folded);
        let other = holder.is_some_and(|holder| Some(holder) != me);
        if predefined || other {
            return Err(StoreError::conflict(
                Some("role_name"),
                format!(
                    "A role named '{}' already exists in this organization.",
                    name.as_str()
                ),
            ));
        }
        Ok(())
    }

    /// Applies `change` to `role`, stamping `now`.
    pub fn apply(change: &RoleChange, role: &mut RoleRecord, now: i64) {
        if let Some(name) = &change.name {
            role.name = name.as_str().to_owned();
        }
        if let Some(permissions) = &change.permissions {
            role.permissions = permissions.as_slice().to_vec();
        }
        if let Some(description) = &change.description {
            role.description = Some(description.clone());
        }
        role.updated_at = Some(now);
    }
}

/// The audit event of a role's creation, change or deletion.
pub(crate) fn role_event(event_type: &'static str, role: &RoleRecord) -> AuditEvent {
    AuditEvent::new(
        event_type,
        role.id.as_str(),
        json!({
            "role_name": role.name,
            "permissions": role.permissions,
            "description": role.description,
        }),
    )
}

/// Custom roles, per backend; the predefined ones are merged in by the provided methods.
#[async_trait]
pub trait RoleStore: Send + Sync + 'static {
    /// Up to `query.fetch()` custom roles after the cursor, in list order.
    async fn fetch_custom_roles(
        &self,
        org: &OrgId,
        query: &NextQuery,
    ) -> Result<Vec<(Position, RoleRecord)>, StoreError>;

    /// One custom role.
    async fn custom_role(&self, org: &OrgId, id: &RoleId) -> Result<RoleRecord, StoreError>;

    /// Creates a custom role (its name must be free).
    async fn create_role(&self, org: &OrgId, role: &NewRole) -> Result<RoleRecord, StoreError>;

    /// Changes a custom role and returns it as it now is.
    async fn update_custom_role(
        &self,
        org: &OrgId,
        id: &RoleId,
        change: &RoleChange,
    ) -> Result<RoleRecord, StoreError>;

    /// Deletes a custom role and every assignment of it.
    async fn delete_custom_role(&self, org: &OrgId, id: &RoleId) -> Result<(), StoreError>;

    /// One page of the organization's roles, predefined ones included.
    async fn list_roles(
        &self,
        org: &OrgId,
        query: &NextQuery,
    ) -> Result<NextPage<RoleRecord>, StoreError> {
        let mut rows = self.fetch_custom_roles(org, query).await?;
        rows.extend(
            RoleRecord::predefined_roles(org)
                .into_iter()
                .map(|role| (role.position(), role)),
        );
        Ok(fetched_page(query.select(rows), query.limit))
    }

    /// One role, predefined or custom.
    async fn get_role(&self, org: &OrgId, id: &RoleId) -> Result<RoleRecord, StoreError> {
        match Role::from_role_id(id.as_str(), org) {
            Some(role) => Ok(RoleRecord::predefined(org, role)),
            None => self.custom_role(org, id).await,
        }
    }

    /// Changes a role; predefined ones refuse.
    async fn update_role(
        &self,
        org: &OrgId,
        id: &RoleId,
        change: &RoleChange,
    ) -> Result<RoleRecord, StoreError> {
        if let Some(role) = Role::from_role_id(id.as_str(), org) {
            rules::changeable(&RoleRecord::predefined(org, role))?;
        }
        self.update_custom_role(org, id, change).await
    }

    /// Deletes a role; predefined ones refuse.
    async fn delete_role(&self, org: &OrgId, id: &RoleId) -> Result<(), StoreError> {
        if let Some(role) = Role::from_role_id(id.as_str(), org) {
            rules::changeable(&RoleRecord::predefined(org, role))?;
        }
        self.delete_custom_role(org, id).await
    }
}

/// The not-found error of a role id.
pub(crate) fn no_such_role(id: &RoleId) -> StoreError {
    StoreError::not_found(Kind::Role, id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_checked() {
        let given = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(Permissions::parse(&[]).is_err());
        assert!(Permissions::parse(&given(&["api.nope"])).is_err());
        let kept = Permissions::parse(&given(&["api.groups.read", "api.groups.read"])).unwrap();
        assert_eq!(kept.as_slice(), ["api.groups.read"]);
        assert!(
            READER_PERMISSIONS
                .iter()
                .all(|p| OWNER_PERMISSIONS.contains(p))
        );
    }

    #[test]
    fn names_are_unique_with_the_predefined_ones() {
        let name = |s: &str| RoleName::parse(s).unwrap();
        let me = RoleId::from_request("role_me");
        let other = RoleId::from_request("role_other");
        assert!(rules::name_free(&name("Auditors"), None, None).is_ok());
        assert!(rules::name_free(&name("Auditors"), Some(&me), Some(&me)).is_ok());
        assert!(rules::name_free(&name("Auditors"), Some(&other), Some(&me)).is_err());
        assert!(rules::name_free(&name("OWNER"), None, None).is_err());
        assert!(RoleName::parse(" ").is_err());
        assert!(RoleName::parse(&"x".repeat(256)).is_err());
    }

    #[test]
    fn predefined_roles_come_first_and_refuse_changes() {
        let org = OrgId::parse("org-a").unwrap();
        let [owner, reader] = RoleRecord::predefined_roles(&org);
        assert_eq!(
            owner.id.as_str(),
            "role-api-organization-owner__api-organization__org-a"
        );
        assert!(owner.position() < reader.position());
        assert!(rules::changeable(&owner).is_err());
        assert!(owner.to_wire().predefined_role);
    }
}
