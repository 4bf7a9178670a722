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

/// Who holds a custom role directly (not through a group's members).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomRoleHolders {
    /// The live users who hold it themselves, in list order.
    pub users: Vec<User>,
    /// The groups that hold it, in list order.
    pub groups: Vec<crate::groups::GroupRecord>,
}

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

    /// Who holds the custom role `role` directly: live users in list order and groups in
    /// list order, each read by one statement (the console's role page).
    async fn custom_role_holders(
        &self,
        org: &OrgId,
        role: &RoleId,
    ) -> Result<CustomRoleHolders, StoreError>;

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

#[cfg(test)]
mod tests {
    use crate::groups::GroupName;
    use crate::roles::{NewRole, Permissions, RoleName};
    use crate::{ImportRecord, PostgresStore, SqliteStore, Store, StoreOptions};

    /// Holders of a custom role: the live users who hold it themselves (not a deleted one, not
    /// one who holds another role) in list order, and the groups that hold it in list order.
    async fn holders_are_read_whole(store: &impl Store) {
        let org = store.ensure_organization(None).await.unwrap();
        let lines = ["zed", "ada", "bob", "cy"]
            .into_iter()
            .enumerate()
            .map(|(n, id)| {
                ImportRecord::from_json_line(
                    n + 1,
                    &format!(
                        r#"{{"id":"{id}","email":"{id}@x.io","added_at":{}}}"#,
                        100 + n
                    ),
                )
            });
        store
            .import_users(&org, Box::new(lines.collect::<Vec<_>>().into_iter()))
            .await
            .unwrap();
        let role = |name: &str| NewRole {
            name: RoleName::parse(name).unwrap(),
            permissions: Permissions::parse(&["api.users.read".to_owned()]).unwrap(),
            description: None,
        };
        let held = store.create_role(&org, &role("Held")).await.unwrap();
        let other = store.create_role(&org, &role("Other")).await.unwrap();
        for user in ["ada", "zed", "cy"] {
            store
                .assign_custom_user_role(&org, user, &held.id)
                .await
                .unwrap();
        }
        store
            .assign_custom_user_role(&org, "bob", &other.id)
            .await
            .unwrap();
        store.delete_user(&org, "cy").await.unwrap();
        let mut groups = Vec::new();
        for name in ["First", "Second", "Third"] {
            let group = GroupName::parse(name).unwrap();
            groups.push(store.create_group(&org, &group).await.unwrap());
        }
        for (group, role) in [
            (&groups[2], &held),
            (&groups[1], &other),
            (&groups[0], &held),
        ] {
            store
                .assign_group_role(&org, &group.id, &role.id)
                .await
                .unwrap();
        }
        let found = store.custom_role_holders(&org, &held.id).await.unwrap();
        let ids: Vec<&str> = found.users.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["zed", "ada"], "list order: added_at");
        assert_eq!(found.users[1], store.get_user(&org, "ada").await.unwrap());
        // List order is (created_at, id): groups made within one second sort by id.
        let mut holding = vec![groups[0].clone(), groups[2].clone()];
        holding.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        assert_eq!(found.groups, holding);
        let none = store.create_role(&org, &role("Nobody's")).await.unwrap();
        let found = store.custom_role_holders(&org, &none.id).await.unwrap();
        assert!(found.users.is_empty() && found.groups.is_empty());
    }

    #[tokio::test]
    async fn sqlite_holders_are_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("holders.db"))
            .await
            .unwrap();
        holders_are_read_whole(&store).await;
    }

    /// Runs where `ORGUSERS_TEST_POSTGRES_URL` names a server, in a database of its own.
    #[tokio::test]
    async fn postgres_holders_are_read_whole() {
        let Some(scratch) = crate::postgres::ScratchDatabase::create("orgusers_holders").await
        else {
            return;
        };
        let store = PostgresStore::open(&scratch.url, &StoreOptions::default())
            .await
            .unwrap();
        holders_are_read_whole(&store).await;
        drop(store);
        scratch.remove().await;
    }
}
