//! Groups in SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{
    GroupName, GroupRecord, GroupStore, MemberRecord, group_event, group_role_event, member_event,
    no_such_group, predefined_role, rules,
};
use crate::ids::{GroupId, RoleId};
use crate::page::{NextQuery, Position};
use crate::roles::RoleRecord;
use crate::roles::sqlite::{custom_role_in, role_from_row};
use crate::sqlite::{SqliteStore, org_seq};
use crate::{Kind, OrgId, StoreError};

pub(crate) fn group_from_row(row: &Row<'_>) -> rusqlite::Result<GroupRecord> {
    Ok(GroupRecord {
        id: GroupId::from_stored(row.get(0)?),
        name: row.get(1)?,
        created_at: row.get(2)?,
    })
}

fn member_from_row(row: &Row<'_>) -> rusqlite::Result<MemberRecord> {
    Ok(MemberRecord {
        user_id: row.get(0)?,
        name: row.get(1)?,
        email: row.get(2)?,
        picture: row.get(3)?,
        is_service_account: row.get::<_, i64>(4)? != 0,
        added_at: row.get(5)?,
    })
}

const MEMBER_COLUMNS: &str = "u.id, u.name, u.email, u.picture, u.is_service_account, m.added_at";

fn group_in(conn: &Connection, org: i64, id: &GroupId) -> Result<GroupRecord, StoreError> {
    conn.prepare_cached("SELECT id, name, created_at FROM groups WHERE org = ?1 AND id = ?2")?
        .query_row(params![org, id.as_str()], group_from_row)
        .optional()?
        .ok_or_else(|| no_such_group(id))
}

fn member_in(
    conn: &Connection,
    org: i64,
    group: &GroupId,
    user: &str,
) -> Result<Option<MemberRecord>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {MEMBER_COLUMNS} FROM group_users AS m JOIN users AS u \
             ON u.org = m.org AND u.id = m.user_id AND u.deleted = 0 \
             WHERE m.org = ?1 AND m.group_id = ?2 AND m.user_id = ?3"
        ))?
        .query_row(params![org, group.as_str(), user], member_from_row)
        .optional()?)
}

fn user_exists(conn: &Connection, org: i64, user: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM users WHERE org = ?1 AND id = ?2 AND deleted = 0")?
        .query_row(params![org, user], |_| Ok(()))
        .optional()?
        .is_some())
}

#[async_trait]
impl GroupStore for SqliteStore {
    async fn fetch_groups(
        &self,
        org: &OrgId,
        query: &NextQuery,
    ) -> Result<Vec<(Position, GroupRecord)>, StoreError> {
        let (at, id) = query.start();
        let sql = format!(
            "SELECT id, name, created_at FROM groups WHERE org = ?1 \
             AND (created_at, id) {cmp} (?2, ?3) ORDER BY created_at {dir}, id {dir} LIMIT ?4",
            cmp = query.order.after_sql(),
            dir = query.order.sql(),
        );
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            let rows = conn
                .prepare_cached(&sql)?
                .query_map(params![seq, at, id, query.fetch()], group_from_row)?
                .map(|group| group.map(|group| (group.position(), group)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    async fn get_group(&self, org: &OrgId, id: &GroupId) -> Result<GroupRecord, StoreError> {
        self.read_here(|conn| group_in(conn, org_seq(conn, org)?, id))
    }

    async fn groups_of_user(
        &self,
        org: &OrgId,
        user: &str,
    ) -> Result<Vec<GroupRecord>, StoreError> {
        self.read_here(|conn| {
            let org = org_seq(conn, org)?;
            let mut stmt = conn.prepare_cached(
                "SELECT g.id, g.name, g.created_at FROM group_users AS m \
                 JOIN groups AS g ON g.org = m.org AND g.id = m.group_id \
                 WHERE m.org = ?1 AND m.user_id = ?2 ORDER BY g.created_at, g.id",
            )?;
            let groups = stmt
                .query_map(params![org, user], group_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(groups)
        })
    }

    async fn create_group(&self, org: &OrgId, name: &GroupName) -> Result<GroupRecord, StoreError> {
        let mut group = GroupRecord {
            id: GroupId::generate(),
            name: name.as_str().to_owned(),
            created_at: 0,
        };
        self.change(org, move |change| {
            group.created_at = change.now;
            change
                .tx
                .prepare_cached(
                    "INSERT INTO groups (org, id, name, created_at) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![
                    change.org,
                    group.id.as_str(),
                    group.name,
                    group.created_at
                ])?;
            change.record(group_event("group.created", &group));
            Ok(group)
        })
        .await
    }

    async fn rename_group(
        &self,
        org: &OrgId,
        id: &GroupId,
        name: &GroupName,
    ) -> Result<GroupRecord, StoreError> {
        let (id, name) = (id.clone(), name.clone());
        self.change(org, move |change| {
            let mut group = group_in(change.tx, change.org, &id)?;
            group.name = name.as_str().to_owned();
            change
                .tx
                .prepare_cached("UPDATE groups SET name = ?3 WHERE org = ?1 AND id = ?2")?
                .execute(params![change.org, id.as_str(), group.name])?;
            change.record(group_event("group.updated", &group));
            Ok(group)
        })
        .await
    }

    async fn delete_group(&self, org: &OrgId, id: &GroupId) -> Result<(), StoreError> {
        let id = id.clone();
        self.change(org, move |change| {
            let group = group_in(change.tx, change.org, &id)?;
            for sql in [
                "DELETE FROM group_users WHERE org = ?1 AND group_id = ?2",
                "DELETE FROM group_roles WHERE org = ?1 AND group_id = ?2",
                "DELETE FROM project_groups WHERE org = ?1 AND group_id = ?2",
                "DELETE FROM groups WHERE org = ?1 AND id = ?2",
            ] {
                change
                    .tx
                    .prepare_cached(sql)?
                    .execute(params![change.org, id.as_str()])?;
            }
            change.record(group_event("group.deleted", &group));
            Ok(())
        })
        .await
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
             ON u.org = m.org AND u.id = m.user_id AND u.deleted = 0 \
             WHERE m.org = ?1 AND m.group_id = ?2 AND (m.added_at, m.user_id) {cmp} (?3, ?4) \
             ORDER BY m.added_at {dir}, m.user_id {dir} LIMIT ?5",
            cmp = query.order.after_sql(),
            dir = query.order.sql(),
        );
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            group_in(conn, seq, group)?;
            let rows = conn
                .prepare_cached(&sql)?
                .query_map(
                    params![seq, group.as_str(), at, id, query.fetch()],
                    member_from_row,
                )?
                .map(|member| member.map(|member| (member.position(), member)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    async fn add_group_user(
        &self,
        org: &OrgId,
        group: &GroupId,
        user: &str,
    ) -> Result<(), StoreError> {
        let (group, user) = (group.clone(), user.to_owned());
        self.change(org, move |change| {
            group_in(change.tx, change.org, &group)?;
            if !user_exists(change.tx, change.org, &user)? {
                return Err(StoreError::UnknownReference {
                    param: "user_id",
                    kind: Kind::User,
                    id: user,
                });
            }
            let added = change
                .tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO group_users (org, group_id, user_id, added_at) \
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![change.org, group.as_str(), user, change.now])?;
            if added > 0 {
                change.record(member_event("group.user.added", &group, &user));
            }
            Ok(())
        })
        .await
    }

    async fn get_group_user(
        &self,
        org: &OrgId,
        group: &GroupId,
        user: &str,
    ) -> Result<MemberRecord, StoreError> {
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            group_in(conn, seq, group)?;
            member_in(conn, seq, group, user)?
                .ok_or_else(|| StoreError::not_found(Kind::User, user))
        })
    }

    async fn remove_group_user(
        &self,
        org: &OrgId,
        group: &GroupId,
        user: &str,
    ) -> Result<(), StoreError> {
        let (group, user) = (group.clone(), user.to_owned());
        self.change(org, move |change| {
            group_in(change.tx, change.org, &group)?;
            let removed = change
                .tx
                .prepare_cached(
                    "DELETE FROM group_users WHERE org = ?1 AND group_id = ?2 AND user_id = ?3",
                )?
                .execute(params![change.org, group.as_str(), user])?;
            if removed == 0 {
                return Err(StoreError::not_found(Kind::User, user));
            }
            change.record(member_event("group.user.removed", &group, &user));
            Ok(())
        })
        .await
    }

    async fn group_roles(
        &self,
        org: &OrgId,
        group: &GroupId,
    ) -> Result<Vec<RoleRecord>, StoreError> {
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            group_in(conn, seq, group)?;
            let roles = conn
                .prepare_cached(
                    "SELECT r.id, r.name, r.description, r.permissions, r.created_at, r.updated_at \
                     FROM group_roles AS g JOIN roles AS r ON r.org = g.org AND r.id = g.role_id \
                     WHERE g.org = ?1 AND g.group_id = ?2",
                )?
                .query_map(params![seq, group.as_str()], role_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(roles)
        })
    }

    async fn assign_group_role(
        &self,
        org: &OrgId,
        group: &GroupId,
        role: &RoleId,
    ) -> Result<(GroupRecord, RoleRecord), StoreError> {
        let (org_id, group, role) = (org.clone(), group.clone(), role.clone());
        self.change(org, move |change| {
            let group = group_in(change.tx, change.org, &group)?;
            if let Some(predefined) = predefined_role(&org_id, &role) {
                rules::assignable_to_group(&predefined)?;
            }
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
                    "INSERT OR IGNORE INTO group_roles (org, group_id, role_id, assigned_at) \
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![
                    change.org,
                    group.id.as_str(),
                    role.as_str(),
                    change.now
                ])?;
            if added > 0 {
                change.record(group_role_event(
                    "role.assignment.created",
                    &group.id,
                    &role,
                ));
            }
            Ok((group, record))
        })
        .await
    }

    async fn unassign_group_role(
        &self,
        org: &OrgId,
        group: &GroupId,
        role: &RoleId,
    ) -> Result<(), StoreError> {
        let (group, role) = (group.clone(), role.clone());
        self.change(org, move |change| {
            group_in(change.tx, change.org, &group)?;
            let removed = change
                .tx
                .prepare_cached(
                    "DELETE FROM group_roles WHERE org = ?1 AND group_id = ?2 AND role_id = ?3",
                )?
                .execute(params![change.org, group.as_str(), role.as_str()])?;
            if removed == 0 {
                return Err(StoreError::not_found(Kind::Role, role.as_str()));
            }
            change.record(group_role_event("role.assignment.deleted", &group, &role));
            Ok(())
        })
        .await
    }
}
