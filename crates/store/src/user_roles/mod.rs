//! The organization roles users hold: the predefined one their `role` names, custom roles
//! assigned to them directly, and custom roles of their groups.

mod postgres;
mod sqlite;

use async_trait::async_trait;
use orgusers_api::User;
use orgusers_api::roles::{AssignedRole, AssignmentSource};
use serde_json::json;

use crate::audit::AuditEvent;
use crate::ids::RoleId;
use crate::page::{NextPage, NextQuery, fetched_page};
use crate::roles::RoleRecord;
use crate::{Kind, OrgId, Role, StoreError, UserChange, UserStore};

/// What a user holds besides its predefined role.
#[derive(Debug, Clone, PartialEq)]
pub struct UserHoldings {
    /// The predefined role its `role` names.
    pub role: Role,
    /// Custom roles, each with where it comes from (one row per source).
    pub custom: Vec<(RoleRecord, AssignmentSource)>,
}

impl UserHoldings {
    /// Every role the user holds, each once with all its sources, in no particular order.
    pub fn roles(self, org: &OrgId, user: &str) -> Vec<(RoleRecord, Vec<AssignmentSource>)> {
        let mut roles: Vec<(RoleRecord, Vec<AssignmentSource>)> = vec![(
            RoleRecord::predefined(org, self.role),
            vec![user_source(user)],
        )];
        for (role, source) in self.custom {
            match roles.iter_mut().find(|(held, _)| held.id == role.id) {
                Some((_, sources)) => sources.push(source),
                None => roles.push((role, vec![source])),
            }
        }
        for (_, sources) in &mut roles {
            // Direct holdings first, then groups by id: the same on every store.
            sources.sort_by(|a, b| {
                (a.principal_type != "user", &a.principal_id)
                    .cmp(&(b.principal_type != "user", &b.principal_id))
            });
        }
        roles
    }
}

/// The source of a role a user holds directly.
pub fn user_source(user: &str) -> AssignmentSource {
    AssignmentSource {
        principal_id: user.to_owned(),
        principal_type: "user".to_owned(),
    }
}

/// The source of a role held through a group.
pub fn group_source(group: &str) -> AssignmentSource {
    AssignmentSource {
        principal_id: group.to_owned(),
        principal_type: "group".to_owned(),
    }
}

pub(crate) fn user_role_event(event_type: &'static str, user: &str, role: &RoleId) -> AuditEvent {
    AuditEvent::new(
        event_type,
        role.as_str(),
        json!({ "principal_type": "user", "principal_id": user, "role_id": role.as_str() }),
    )
}

/// Decisions about users' roles that do not depend on the backend.
pub mod rules {
    use crate::StoreError;
    use crate::roles::RoleRecord;

    /// A predefined role is never unassigned: a user always holds exactly one.
    pub fn unassignable(role: &RoleRecord) -> Result<(), StoreError> {
        match role.predefined {
            Some(_) => Err(StoreError::conflict(
                Some("role_id"),
                format!(
                    "A user always holds one predefined role; assign the other one instead of \
                     unassigning '{}'.",
                    role.name
                ),
            )),
            None => Ok(()),
        }
    }

    /// A role held only through groups cannot be unassigned from the user.
    pub fn held_through_groups(role: &str) -> StoreError {
        StoreError::conflict(
            Some("role_id"),
            format!(
                "The role {role} is held through a group, not assigned to the user directly; \
                 remove it from the group or the user from the group."
            ),
        )
    }
}

/// Users' custom role assignments per backend; the predefined role and paging are provided.
#[async_trait]
pub trait UserRoleStore: UserStore {
    /// The user's predefined role and custom roles with their sources.
    async fn user_holdings(&self, org: &OrgId, user: &str) -> Result<UserHoldings, StoreError>;

    /// Assigns a custom role directly; assigning it again changes nothing.
    async fn assign_custom_user_role(
        &self,
        org: &OrgId,
        user: &str,
        role: &RoleId,
    ) -> Result<(User, RoleRecord), StoreError>;

    /// Removes a custom role held directly.
    async fn unassign_custom_user_role(
        &self,
        org: &OrgId,
        user: &str,
        role: &RoleId,
    ) -> Result<(), StoreError>;

    /// Every custom role held directly by a user of the organization, as (user, role), in
    /// user and role order (for export).
    async fn direct_assignments(&self, org: &OrgId) -> Result<Vec<(String, RoleId)>, StoreError>;

    /// One page of the roles a user holds.
    async fn list_user_roles(
        &self,
        org: &OrgId,
        user: &str,
        query: &NextQuery,
    ) -> Result<NextPage<AssignedRole>, StoreError> {
        let roles = self.user_holdings(org, user).await?.roles(org, user);
        let rows = roles
            .into_iter()
            .map(|(role, sources)| (role.position(), role.to_assigned(Some(sources))))
            .collect();
        Ok(fetched_page(query.select(rows), query.limit))
    }

    /// One role a user holds.
    async fn get_user_role(
        &self,
        org: &OrgId,
        user: &str,
        role: &RoleId,
    ) -> Result<AssignedRole, StoreError> {
        self.user_holdings(org, user)
            .await?
            .roles(org, user)
            .into_iter()
            .find(|(held, _)| &held.id == role)
            .map(|(held, sources)| held.to_assigned(Some(sources)))
            .ok_or_else(|| StoreError::not_found(Kind::Role, role.as_str()))
    }

    /// Assigns a role: the other predefined role switches `role` (the last-owner rule holds),
    /// a custom role is added.
    async fn assign_user_role(
        &self,
        org: &OrgId,
        user: &str,
        role: &RoleId,
    ) -> Result<(User, RoleRecord), StoreError> {
        match Role::from_role_id(role.as_str(), org) {
            Some(predefined) => {
                let change = UserChange {
                    role: Some(predefined),
                    ..UserChange::default()
                };
                let user = self.update_user(org, user, &change).await?;
                Ok((user, RoleRecord::predefined(org, predefined)))
            }
            None => self.assign_custom_user_role(org, user, role).await,
        }
    }

    /// Unassigns a role held directly; predefined roles and roles held through groups refuse.
    async fn unassign_user_role(
        &self,
        org: &OrgId,
        user: &str,
        role: &RoleId,
    ) -> Result<(), StoreError> {
        match Role::from_role_id(role.as_str(), org) {
            Some(predefined) => {
                self.get_user(org, user).await?;
                rules::unassignable(&RoleRecord::predefined(org, predefined))
            }
            None => self.unassign_custom_user_role(org, user, role).await,
        }
    }
}
