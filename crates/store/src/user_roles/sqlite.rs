//! Users' custom role assignments in SQLite.

use async_trait::async_trait;
use orgusers_api::User;
use rusqlite::{OptionalExtension, params};

use super::{
    CustomRoleHolders, UserHoldings, UserRoleStore, group_source, rules, user_role_event,
    user_source,
};
use crate::groups::sqlite::group_from_row;
use crate::ids::RoleId;
use crate::roles::RoleRecord;
use crate::roles::sqlite::{custom_role_in, role_from_row};
use crate::row::user_columns_of_u;
use crate::sqlite::{SqliteStore, org_seq};
use crate::users::sqlite::{live_user, user_fields};
use crate::{Kind, OrgId, Role, StoreError};

#[async_trait]
impl UserRoleStore for SqliteStore {
    async fn user_holdings(&self, org: &OrgId, user: &str) -> Result<UserHoldings, StoreError> {
        self.read_here(|conn| {
            let holder = live_user(conn, org, user)?;
            let seq = org_seq(conn, org)?;
            let mut custom = Vec::new();
            let mut direct = conn.prepare_cached(
                "SELECT r.id, r.name, r.description, r.permissions, r.created_at, r.updated_at \
                 FROM user_roles AS a JOIN roles AS r ON r.org = a.org AND r.id = a.role_id \
                 WHERE a.org = ?1 AND a.user_id = ?2",
            )?;
            for role in direct.query_map(params![seq, user], role_from_row)? {
                custom.push((role?, user_source(user)));
            }
            let mut through_groups = conn.prepare_cached(
                "SELECT r.id, r.name, r.description, r.permissions, r.created_at, r.updated_at, \
                 m.group_id FROM group_users AS m \
                 JOIN group_roles AS g ON g.org = m.org AND g.group_id = m.group_id \
                 JOIN roles AS r ON r.org = g.org AND r.id = g.role_id \
                 WHERE m.org = ?1 AND m.user_id = ?2",
            )?;
            for row in through_groups.query_map(params![seq, user], |row| {
                Ok((role_from_row(row)?, row.get::<_, String>(6)?))
            })? {
                let (role, group) = row?;
                custom.push((role, group_source(&group)));
            }
            let role = holder
                .role
                .as_deref()
                .and_then(Role::parse)
                .unwrap_or(Role::Reader);
            Ok(UserHoldings { role, custom })
        })
    }

    async fn direct_assignments(&self, org: &OrgId) -> Result<Vec<(String, RoleId)>, StoreError> {
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            let rows = conn
                .prepare_cached(
                    "SELECT user_id, role_id FROM user_roles WHERE org = ?1 ORDER BY user_id, role_id",
                )?
                .query_map(params![seq], |r| {
                    Ok((r.get(0)?, RoleId::from_stored(r.get(1)?)))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    async fn custom_role_holders(
        &self,
        org: &OrgId,
        role: &RoleId,
    ) -> Result<CustomRoleHolders, StoreError> {
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            let mut users = Vec::new();
            let mut statement = conn.prepare_cached(concat!(
                "SELECT ",
                user_columns_of_u!(),
                " FROM user_roles AS a \
                 JOIN users AS u ON u.org = a.org AND u.id = a.user_id AND u.deleted = 0 \
                 WHERE a.org = ?1 AND a.role_id = ?2 ORDER BY u.added_at, u.id"
            ))?;
            let mut rows = statement.query(params![seq, role.as_str()])?;
            while let Some(row) = rows.next()? {
                users.push(user_fields(row)?.to_user());
            }
            let groups = conn
                .prepare_cached(
                    "SELECT g.id, g.name, g.created_at FROM group_roles AS a \
                     JOIN groups AS g ON g.org = a.org AND g.id = a.group_id \
                     WHERE a.org = ?1 AND a.role_id = ?2 ORDER BY g.created_at, g.id",
                )?
                .query_map(params![seq, role.as_str()], group_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(CustomRoleHolders { users, groups })
        })
    }

    async fn assign_custom_user_role(
        &self,
        org: &OrgId,
        user: &str,
        role: &RoleId,
    ) -> Result<(User, RoleRecord), StoreError> {
        let (org_id, user, role) = (org.clone(), user.to_owned(), role.clone());
        self.change(org, move |change| {
            let holder = live_user(change.tx, &org_id, &user)?;
            let record = custom_role_in(change.tx, change.org, &role)?.ok_or_else(|| {
                StoreError::UnknownReference {
                    param: "role_id",
                    kind: Kind::Role,
                    id: role.to_string(),
                }
            })?;
            let added = change
                .tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO user_roles (org, user_id, role_id, assigned_at) \
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![change.org, user, role.as_str(), change.now])?;
            if added > 0 {
                change.record(user_role_event("role.assignment.created", &user, &role));
            }
            Ok((holder, record))
        })
        .await
    }

    async fn unassign_custom_user_role(
        &self,
        org: &OrgId,
        user: &str,
        role: &RoleId,
    ) -> Result<(), StoreError> {
        let (org_id, user, role) = (org.clone(), user.to_owned(), role.clone());
        self.change(org, move |change| {
            live_user(change.tx, &org_id, &user)?;
            let removed = change
                .tx
                .prepare_cached(
                    "DELETE FROM user_roles WHERE org = ?1 AND user_id = ?2 AND role_id = ?3",
                )?
                .execute(params![change.org, user, role.as_str()])?;
            if removed > 0 {
                change.record(user_role_event("role.assignment.deleted", &user, &role));
                return Ok(());
            }
            let through_group = change
                .tx
                .prepare_cached(
                    "SELECT 1 FROM group_users AS m JOIN group_roles AS g \
                     ON g.org = m.org AND g.group_id = m.group_id \
                     WHERE m.org = ?1 AND m.user_id = ?2 AND g.role_id = ?3 LIMIT 1",
                )?
                .query_row(params![change.org, user, role.as_str()], |_| Ok(()))
                .optional()?
                .is_some();
            if through_group {
                return Err(rules::held_through_groups(role.as_str()));
            }
            Err(StoreError::not_found(Kind::Role, role.as_str()))
        })
        .await
    }
}
