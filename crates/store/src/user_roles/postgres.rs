//! Users' custom role assignments in PostgreSQL.

use async_trait::async_trait;
use orgusers_api::User;

use super::{
    CustomRoleHolders, UserHoldings, UserRoleStore, group_source, rules, user_role_event,
    user_source,
};
use crate::groups::postgres::group_from_row;
use crate::ids::RoleId;
use crate::postgres::{Change, PostgresStore};
use crate::roles::RoleRecord;
use crate::roles::postgres::{custom_role_in, role_from_row};
use crate::row::user_columns_of_u;
use crate::users::postgres::{live_user, user_from_row};
use crate::{Kind, OrgId, Role, StoreError};

#[async_trait]
impl UserRoleStore for PostgresStore {
    async fn user_holdings(&self, org: &OrgId, user: &str) -> Result<UserHoldings, StoreError> {
        let client = self.client().await?;
        let holder = live_user(&client, org, user).await?;
        let direct = client
            .prepare_cached(
                "SELECT r.id, r.name, r.description, r.permissions, r.created_at, r.updated_at \
                 FROM user_roles AS a JOIN roles AS r ON r.org_id = a.org_id AND r.id = a.role_id \
                 WHERE a.org_id = $1 AND a.user_id = $2",
            )
            .await?;
        let mut custom = Vec::new();
        for row in client.query(&direct, &[&org.as_str(), &user]).await? {
            custom.push((role_from_row(&row)?, user_source(user)));
        }
        let through_groups = client
            .prepare_cached(
                "SELECT r.id, r.name, r.description, r.permissions, r.created_at, r.updated_at, \
                 m.group_id FROM group_users AS m \
                 JOIN group_roles AS g ON g.org_id = m.org_id AND g.group_id = m.group_id \
                 JOIN roles AS r ON r.org_id = g.org_id AND r.id = g.role_id \
                 WHERE m.org_id = $1 AND m.user_id = $2",
            )
            .await?;
        for row in client
            .query(&through_groups, &[&org.as_str(), &user])
            .await?
        {
            let group: String = row.try_get(6)?;
            custom.push((role_from_row(&row)?, group_source(&group)));
        }
        let role = holder
            .role
            .as_deref()
            .and_then(Role::parse)
            .unwrap_or(Role::Reader);
        Ok(UserHoldings { role, custom })
    }

    async fn direct_assignments(&self, org: &OrgId) -> Result<Vec<(String, RoleId)>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT user_id, role_id FROM user_roles WHERE org_id = $1 ORDER BY user_id, role_id",
            )
            .await?;
        client
            .query(&stmt, &[&org.as_str()])
            .await?
            .iter()
            .map(|row| Ok((row.try_get(0)?, RoleId::from_stored(row.try_get(1)?))))
            .collect()
    }

    async fn custom_role_holders(
        &self,
        org: &OrgId,
        role: &RoleId,
    ) -> Result<CustomRoleHolders, StoreError> {
        let client = self.client().await?;
        let users = client
            .prepare_cached(concat!(
                "SELECT ",
                user_columns_of_u!(),
                " FROM user_roles AS a \
                 JOIN users AS u ON u.org_id = a.org_id AND u.id = a.user_id AND NOT u.deleted \
                 WHERE a.org_id = $1 AND a.role_id = $2 ORDER BY u.added_at, u.id"
            ))
            .await?;
        let users = client
            .query(&users, &[&org.as_str(), &role.as_str()])
            .await?
            .iter()
            .map(user_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let groups = client
            .prepare_cached(
                "SELECT g.id, g.name, g.created_at FROM group_roles AS a \
                 JOIN groups AS g ON g.org_id = a.org_id AND g.id = a.group_id \
                 WHERE a.org_id = $1 AND a.role_id = $2 ORDER BY g.created_at, g.id",
            )
            .await?;
        let groups = client
            .query(&groups, &[&org.as_str(), &role.as_str()])
            .await?
            .iter()
            .map(group_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CustomRoleHolders { users, groups })
    }

    async fn assign_custom_user_role(
        &self,
        org: &OrgId,
        user: &str,
        role: &RoleId,
    ) -> Result<(User, RoleRecord), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let holder = live_user(&change.tx, org, user).await?;
        let record = custom_role_in(&change.tx, org, role)
            .await?
            .ok_or_else(|| StoreError::UnknownReference {
                param: "role_id",
                kind: Kind::Role,
                id: role.to_string(),
            })?;
        let stmt = change
            .tx
            .prepare_cached(
                "INSERT INTO user_roles (org_id, user_id, role_id, assigned_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .await?;
        let added = change
            .tx
            .execute(&stmt, &[&org.as_str(), &user, &role.as_str(), &change.now])
            .await?;
        if added > 0 {
            change.record(user_role_event("role.assignment.created", user, role));
        }
        change.commit().await?;
        Ok((holder, record))
    }

    async fn unassign_custom_user_role(
        &self,
        org: &OrgId,
        user: &str,
        role: &RoleId,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        live_user(&change.tx, org, user).await?;
        let stmt = change
            .tx
            .prepare_cached(
                "DELETE FROM user_roles WHERE org_id = $1 AND user_id = $2 AND role_id = $3",
            )
            .await?;
        let removed = change
            .tx
            .execute(&stmt, &[&org.as_str(), &user, &role.as_str()])
            .await?;
        if removed > 0 {
            change.record(user_role_event("role.assignment.deleted", user, role));
            return change.commit().await;
        }
        let stmt = change
            .tx
            .prepare_cached(
                "SELECT 1 FROM group_users AS m JOIN group_roles AS g \
                 ON g.org_id = m.org_id AND g.group_id = m.group_id \
                 WHERE m.org_id = $1 AND m.user_id = $2 AND g.role_id = $3 LIMIT 1",
            )
            .await?;
        if change
            .tx
            .query_opt(&stmt, &[&org.as_str(), &user, &role.as_str()])
            .await?
            .is_some()
        {
            return Err(rules::held_through_groups(role.as_str()));
        }
        Err(StoreError::not_found(Kind::Role, role.as_str()))
    }
}
