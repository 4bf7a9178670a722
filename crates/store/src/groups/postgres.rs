//! Groups in PostgreSQL.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{
    GroupName, GroupRecord, GroupStore, MemberRecord, group_event, group_role_event, member_event,
    no_such_group, predefined_role, rules,
};
use crate::ids::{GroupId, RoleId};
use crate::page::{NextQuery, Position};
use crate::postgres::{Change, PostgresStore};
use crate::roles::RoleRecord;
use crate::roles::postgres::{custom_role_in, role_from_row};
use crate::{Kind, OrgId, StoreError};

pub(crate) fn group_from_row(row: &Row) -> Result<GroupRecord, StoreError> {
    Ok(GroupRecord {
        id: GroupId::from_stored(row.try_get(0)?),
        name: row.try_get(1)?,
        created_at: row.try_get(2)?,
    })
}

fn member_from_row(row: &Row) -> Result<MemberRecord, StoreError> {
    Ok(MemberRecord {
        user_id: row.try_get(0)?,
        name: row.try_get(1)?,
        email: row.try_get(2)?,
        picture: row.try_get(3)?,
        is_service_account: row.try_get(4)?,
        added_at: row.try_get(5)?,
    })
}

const MEMBER_COLUMNS: &str = "u.id, u.name, u.email, u.picture, u.is_service_account, m.added_at";

async fn group_in(
    client: &impl GenericClient,
    org: &OrgId,
    id: &GroupId,
) -> Result<GroupRecord, StoreError> {
    let stmt = client
        .prepare_cached("SELECT id, name, created_at FROM groups WHERE org_id = $1 AND id = $2")
        .await?;
    match client
        .query_opt(&stmt, &[&org.as_str(), &id.as_str()])
        .await?
    {
        Some(row) => group_from_row(&row),
        None => Err(no_such_group(id)),
    }
}

async fn user_exists(
    client: &impl GenericClient,
    org: &OrgId,
    user: &str,
) -> Result<bool, StoreError> {
    let stmt = client
        .prepare_cached("SELECT 1 FROM users WHERE org_id = $1 AND id = $2 AND NOT deleted")
        .await?;
    Ok(client
        .query_opt(&stmt, &[&org.as_str(), &user])
        .await?
        .is_some())
}

#[async_trait]
impl GroupStore for PostgresStore {
    async fn fetch_groups(
        &self,
        org: &OrgId,
        query: &NextQuery,
    ) -> Result<Vec<(Position, GroupRecord)>, StoreError> {
        let (at, id) = query.start();
        let sql = format!(
            "SELECT id, name, created_at FROM groups WHERE org_id = $1 \
             AND (created_at, id) {cmp} ($2, $3) ORDER BY created_at {dir}, id {dir} LIMIT $4",
            cmp = query.order.after_sql(),
            dir = query.order.sql(),
        );
        let client = self.client().await?;
        let stmt = client.prepare_cached(&sql).await?;
        client
            .query(&stmt, &[&org.as_str(), &at, &id, &query.fetch()])
            .await?
            .iter()
            .map(|row| group_from_row(row).map(|group| (group.position(), group)))
            .collect()
    }

    async fn get_group(&self, org: &OrgId, id: &GroupId) -> Result<GroupRecord, StoreError> {
        group_in(&self.client().await?, org, id).await
    }

    async fn groups_of_user(
        &self,
        org: &OrgId,
        user: &str,
    ) -> Result<Vec<GroupRecord>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT g.id, g.name, g.created_at FROM group_users AS m \
                 JOIN groups AS g ON g.org_id = m.org_id AND g.id = m.group_id \
                 WHERE m.org_id = $1 AND m.user_id = $2 ORDER BY g.created_at, g.id",
            )
            .await?;
        client
            .query(&stmt, &[&org.as_str(), &user])
            .await?
            .iter()
            .map(group_from_row)
            .collect()
    }

    async fn create_group(&self, org: &OrgId, name: &GroupName) -> Result<GroupRecord, StoreError> {
        let mut group = GroupRecord {
            id: GroupId::generate(),
            name: name.as_str().to_owned(),
            created_at: 0,
        };
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        group.created_at = change.now;
        let stmt = change
            .tx
            .prepare_cached(
                "INSERT INTO groups (org_id, id, name, created_at) VALUES ($1, $2, $3, $4)",
            )
            .await?;
        change
            .tx
            .execute(
                &stmt,
                &[
                    &org.as_str(),
                    &group.id.as_str(),
                    &group.name,
                    &group.created_at,
                ],
            )
            .await?;
        change.record(group_event("group.created", &group));
        change.commit().await?;
        Ok(group)
    }

    async fn rename_group(
        &self,
        org: &OrgId,
        id: &GroupId,
        name: &GroupName,
    ) -> Result<GroupRecord, StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let mut group = group_in(&change.tx, org, id).await?;
        group.name = name.as_str().to_owned();
        let stmt = change
            .tx
            .prepare_cached("UPDATE groups SET name = $3 WHERE org_id = $1 AND id = $2")
            .await?;
        change
            .tx
            .execute(&stmt, &[&org.as_str(), &id.as_str(), &group.name])
            .await?;
        change.record(group_event("group.updated", &group));
        change.commit().await?;
        Ok(group)
    }

    async fn delete_group(&self, org: &OrgId, id: &GroupId) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let group = group_in(&change.tx, org, id).await?;
        for sql in [
            "DELETE FROM group_users WHERE org_id = $1 AND group_id = $2",
            "DELETE FROM group_roles WHERE org_id = $1 AND group_id = $2",
            "DELETE FROM project_groups WHERE org_id = $1 AND group_id = $2",
            "DELETE FROM groups WHERE org_id = $1 AND id = $2",
        ] {
            let stmt = change.tx.prepare_cached(sql).await?;
            change
                .tx
                .execute(&stmt, &[&org.as_str(), &id.as_str()])
                .await?;
        }
        change.record(group_event("group.deleted", &group));
        change.commit().await
    }

    async fn fetch_group_users(
        &self,
        org: &OrgId,
        group: &GroupId,
        query: &NextQuery,
    ) -> Result<Vec<(Position, MemberRecord)>, StoreError> {
        let (at, id) = query.start();
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM group_users AS m JOIN users AS u \
             ON u.org_id = m.org_id AND u.id = m.user_id AND NOT u.deleted \
             WHERE m.org_id = $1 AND m.group_id = $2 AND (m.added_at, m.user_id) {cmp} ($3, $4) \
             ORDER BY m.added_at {dir}, m.user_id {dir} LIMIT $5",
            cmp = query.order.after_sql(),
            dir = query.order.sql(),
        );
        let client = self.client().await?;
        group_in(&client, org, group).await?;
        let stmt = client.prepare_cached(&sql).await?;
        client
            .query(
                &stmt,
                &[&org.as_str(), &group.as_str(), &at, &id, &query.fetch()],
            )
            .await?
            .iter()
            .map(|row| member_from_row(row).map(|member| (member.position(), member)))
            .collect()
    }

    async fn add_group_user(
        &self,
        org: &OrgId,
        group: &GroupId,
        user: &str,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        group_in(&change.tx, org, group).await?;
        if !user_exists(&change.tx, org, user).await? {
            return Err(StoreError::UnknownReference {
                param: "user_id",
                kind: Kind::User,
                id: user.to_owned(),
            });
        }
        let stmt = change
            .tx
            .prepare_cached(
                "INSERT INTO group_users (org_id, group_id, user_id, added_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .await?;
        let added = change
            .tx
            .execute(&stmt, &[&org.as_str(), &group.as_str(), &user, &change.now])
            .await?;
        if added > 0 {
            change.record(member_event("group.user.added", group, user));
        }
        change.commit().await
    }

    async fn get_group_user(
        &self,
        org: &OrgId,
        group: &GroupId,
        user: &str,
    ) -> Result<MemberRecord, StoreError> {
        let client = self.client().await?;
        group_in(&client, org, group).await?;
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM group_users AS m JOIN users AS u \
             ON u.org_id = m.org_id AND u.id = m.user_id AND NOT u.deleted \
             WHERE m.org_id = $1 AND m.group_id = $2 AND m.user_id = $3"
        );
        let stmt = client.prepare_cached(&sql).await?;
        match client
            .query_opt(&stmt, &[&org.as_str(), &group.as_str(), &user])
            .await?
        {
            Some(row) => member_from_row(&row),
            None => Err(StoreError::not_found(Kind::User, user)),
        }
    }

    async fn remove_group_user(
        &self,
        org: &OrgId,
        group: &GroupId,
        user: &str,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        group_in(&change.tx, org, group).await?;
        let stmt = change
            .tx
            .prepare_cached(
                "DELETE FROM group_users WHERE org_id = $1 AND group_id = $2 AND user_id = $3",
            )
            .await?;
        let removed = change
            .tx
            .execute(&stmt, &[&org.as_str(), &group.as_str(), &user])
            .await?;
        if removed == 0 {
            return Err(StoreError::not_found(Kind::User, user));
        }
        change.record(member_event("group.user.removed", group, user));
        change.commit().await
    }

    async fn group_roles(
        &self,
        org: &OrgId,
        group: &GroupId,
    ) -> Result<Vec<RoleRecord>, StoreError> {
        let client = self.client().await?;
        group_in(&client, org, group).await?;
        let stmt = client
            .prepare_cached(
                "SELECT r.id, r.name, r.description, r.permissions, r.created_at, r.updated_at \
                 FROM group_roles AS g JOIN roles AS r ON r.org_id = g.org_id AND r.id = g.role_id \
                 WHERE g.org_id = $1 AND g.group_id = $2",
            )
            .await?;
        client
            .query(&stmt, &[&org.as_str(), &group.as_str()])
            .await?
            .iter()
            .map(role_from_row)
            .collect()
    }

    async fn assign_group_role(
        &self,
        org: &OrgId,
        group: &GroupId,
        role: &RoleId,
    ) -> Result<(GroupRecord, RoleRecord), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let group = group_in(&change.tx, org, group).await?;
        if let Some(predefined) = predefined_role(org, role) {
            rules::assignable_to_group(&predefined)?;
        }
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
                "INSERT INTO group_roles (org_id, group_id, role_id, assigned_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .await?;
        let added = change
            .tx
            .execute(
                &stmt,
                &[
                    &org.as_str(),
                    &group.id.as_str(),
                    &role.as_str(),
                    &change.now,
                ],
            )
            .await?;
        if added > 0 {
            change.record(group_role_event("role.assignment.created", &group.id, role));
        }
        change.commit().await?;
        Ok((group, record))
    }

    async fn unassign_group_role(
        &self,
        org: &OrgId,
        group: &GroupId,
        role: &RoleId,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        group_in(&change.tx, org, group).await?;
        let stmt = change
            .tx
            .prepare_cached(
                "DELETE FROM group_roles WHERE org_id = $1 AND group_id = $2 AND role_id = $3",
            )
            .await?;
        let removed = change
            .tx
            .execute(&stmt, &[&org.as_str(), &group.as_str(), &role.as_str()])
            .await?;
        if removed == 0 {
            return Err(StoreError::not_found(Kind::Role, role.as_str()));
        }
        change.record(group_role_event("role.assignment.deleted", group, role));
        change.commit().await
    }
}
