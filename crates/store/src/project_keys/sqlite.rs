//! Project API keys in SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{
    HAS_ACCESS_SQL, KEY_COLUMNS, KeyRow, NewKey, OwnerAccess, OwnerType, ProjectKeyRecord,
    ProjectKeyStore, key_created_event, key_deleted_event, no_such_key,
};
use crate::ids::{ApiKeyId, ProjectId};
use crate::page::{FirstList, FirstQuery, Position};
use crate::projects::rules as project_rules;
use crate::projects::sqlite::project_in;
use crate::sqlite::{Change, SqliteStore, departures, org_seq};
use crate::{OrgId, StoreError};

/// The keys with their owners: `k` joined to its service account `s`, its user `u` and that
/// user's membership `m` of the key's project.
const KEYS_WITH_OWNERS: &str = "FROM project_api_keys AS k \
     LEFT JOIN service_accounts AS s \
       ON k.owner_type = 'service_account' AND s.org = k.org AND s.id = k.owner_id \
     LEFT JOIN users AS u \
       ON k.owner_type = 'user' AND u.org = k.org AND u.id = k.owner_id AND u.deleted = 0 \
     LEFT JOIN project_users AS m \
       ON k.owner_type = 'user' AND m.org = k.org AND m.project_id = k.project_id \
       AND m.user_id = k.owner_id";

fn key_from_row(row: &Row<'_>) -> rusqlite::Result<ProjectKeyRecord> {
    Ok(KeyRow {
        id: row.get(0)?,
        project_id: row.get(1)?,
        name: row.get(2)?,
        redacted_value: row.get(3)?,
        created_at: row.get(4)?,
        last_used_at: row.get(5)?,
        owner_type: row.get(6)?,
        owner_id: row.get(7)?,
        account_name: row.get(8)?,
        account_created_at: row.get(9)?,
        account_role: row.get(10)?,
        user_name: row.get(11)?,
        user_email: row.get(12)?,
        user_added_at: row.get(13)?,
        member_role: row.get(14)?,
        value_sha256: row.get(15)?,
    }
    .into_record())
}

fn key_in(
    conn: &Connection,
    org: i64,
    project: &ProjectId,
    id: &ApiKeyId,
) -> Result<ProjectKeyRecord, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} {KEYS_WITH_OWNERS} \
         WHERE k.org = ?1 AND k.project_id = ?2 AND k.id = ?3"
    ))?
    .query_row(params![org, project.as_str(), id.as_str()], key_from_row)
    .optional()?
    .ok_or_else(|| no_such_key(id))
}

/// Stores `key` of `project`, owned by `owner`, as its hash and redacted form.
pub(crate) fn insert_key(
    change: &mut Change<'_>,
    project: &ProjectId,
    owner: (OwnerType, &str),
    key: &NewKey,
) -> Result<(), StoreError> {
    let (owner_type, owner_id) = owner;
    change
        .tx
        .prepare_cached(
            "INSERT INTO project_api_keys (org, project_id, id, name, redacted_value, \
             value_sha256, created_at, owner_type, owner_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            change.org,
            project.as_str(),
            key.id.as_str(),
            key.name.as_str(),
            key.secret.redacted(),
            key.secret.hash().0.as_slice(),
            key.created_at,
            owner_type.as_str(),
            owner_id
        ])?;
    change.record(key_created_event(project, owner_id, key));
    Ok(())
}

/// Deletes one key, keeping its place in its project's list for cursors.
fn delete_key(
    change: &mut Change<'_>,
    project: &str,
    position: &Position,
) -> Result<(), StoreError> {
    change
        .tx
        .prepare_cached("DELETE FROM project_api_keys WHERE org = ?1 AND id = ?2")?
        .execute(params![change.org, position.id])?;
    departures::record(
        change.tx,
        change.org,
        FirstList::PROJECT_API_KEYS,
        project,
        position,
    )?;
    change.record(key_deleted_event(project, &position.id));
    Ok(())
}

/// Deletes every key `owner` owns, in whichever project.
pub(crate) fn delete_keys_of(
    change: &mut Change<'_>,
    owner_type: OwnerType,
    owner_id: &str,
) -> Result<(), StoreError> {
    let keys = change
        .tx
        .prepare_cached(
            "SELECT project_id, created_at, id FROM project_api_keys \
             WHERE org = ?1 AND owner_id = ?2 AND owner_type = ?3 ORDER BY created_at, id",
        )?
        .query_map(params![change.org, owner_id, owner_type.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Position::new(r.get(1)?, r.get::<_, String>(2)?),
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (project, position) in keys {
        delete_key(change, &project, &position)?;
    }
    Ok(())
}

/// Deletes the keys `user` owns (its deletion from the organization).
pub(crate) fn delete_keys_of_user(change: &mut Change<'_>, user: &str) -> Result<(), StoreError> {
    delete_keys_of(change, OwnerType::User, user)
}

#[async_trait]
impl ProjectKeyStore for SqliteStore {
    async fn fetch_project_keys(
        &self,
        org: &OrgId,
        project: &ProjectId,
        query: &FirstQuery,
        access: Option<OwnerAccess>,
    ) -> Result<Vec<(Position, ProjectKeyRecord)>, StoreError> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} {KEYS_WITH_OWNERS} \
             WHERE k.org = ?1 AND k.project_id = ?2 AND (k.created_at, k.id) > (?3, ?4) \
             AND (?6 IS NULL OR ?6 = {HAS_ACCESS_SQL}) \
             ORDER BY k.created_at, k.id LIMIT ?5"
        );
        let active = access.map(|access| access == OwnerAccess::Active);
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            project_in(conn, seq, project)?;
            let page = departures::place(
                conn,
                seq,
                FirstList::PROJECT_API_KEYS,
                project.as_str(),
                query,
                "SELECT created_at, id FROM project_api_keys \
                 WHERE org = ?1 AND project_id = ?2 AND id = ?3",
            )?;
            let (at, id) = page.start();
            let rows = conn
                .prepare_cached(&sql)?
                .query_map(
                    params![seq, project.as_str(), at, id, page.fetch(), active],
                    key_from_row,
                )?
                .map(|key| key.map(|key| (key.position(), key)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    async fn get_project_key(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ApiKeyId,
    ) -> Result<ProjectKeyRecord, StoreError> {
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            project_in(conn, seq, project)?;
            key_in(conn, seq, project, id)
        })
    }

    async fn delete_project_key(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ApiKeyId,
    ) -> Result<(), StoreError> {
        let (project, id) = (project.clone(), id.clone());
        self.change(org, move |change| {
            let record = project_in(change.tx, change.org, &project)?;
            let key = key_in(change.tx, change.org, &project, &id)?;
            project_rules::writable(&record)?;
            delete_key(change, project.as_str(), &key.position())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project_keys::KeyOwner;
    use crate::projects::{MemberTarget, NewProject, ProjectName, ProjectRole, ProjectStore};
    use crate::service_accounts::{NewServiceAccount, ServiceAccountName, ServiceAccountStore};
    use crate::{ImportRecord, OrgStore, UserStore};

    /// A user-owned key (as an import makes them) shows its owner's project role while the user
    /// is a member, `none` and `inactive` after, and goes with the user's deletion, its place
    /// kept for cursors; the service account's key stays.
    #[tokio::test]
    async fn user_keys_follow_their_owner() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.db");
        let store = SqliteStore::open(&path).await.unwrap();
        let org = store.ensure_organization(None).await.unwrap();
        let lines = vec![
            ImportRecord::from_json_line(1, r#"{"id":"boss","email":"b@x.io","role":"owner"}"#),
            ImportRecord::from_json_line(2, r#"{"id":"ada","email":"a@x.io","name":"Ada"}"#),
        ];
        store
            .import_users(&org, Box::new(lines.into_iter()))
            .await
            .unwrap();
        // A project of its own, whatever the import does with the Default one.
        let project = store
            .create_project(
                &org,
                &NewProject {
                    name: ProjectName::parse("Keys").unwrap(),
                    external_key_id: None,
                    residency: None,
                },
            )
            .await
            .unwrap()
            .id;
        let ada = MemberTarget {
            user_id: Some("ada".into()),
            email: None,
        };
        store
            .add_project_user(&org, &project, &ada, ProjectRole::Member)
            .await
            .unwrap();
        let created = store
            .create_service_account(
                &org,
                &project,
                &NewServiceAccount {
                    name: ServiceAccountName::parse("bot").unwrap(),
                    without_key: false,
                },
            )
            .await
            .unwrap();
        {
            let conn = Connection::open(&path).unwrap();
            conn.busy_timeout(std::time::Duration::from_secs(10))
                .unwrap();
            conn.execute(
                "INSERT INTO project_api_keys (org, project_id, id, name, redacted_value, \
                 created_at, owner_type, owner_id) \
                 SELECT seq, ?1, 'key_ada', 'Ada key', 'sk-proj-...abcd', 1, 'user', 'ada' \
                 FROM organizations",
                [project.as_str()],
            )
            .unwrap();
        }
        let key = ApiKeyId::from_request("key_ada");
        let read = store.get_project_key(&org, &project, &key).await.unwrap();
        let KeyOwner::User {
            id,
            name,
            email,
            project_role,
            ..
        } = &read.owner
        else {
            panic!("a user's key: {read:?}");
        };
        assert_eq!(
            (
                id.as_str(),
                name.as_deref(),
                email.as_deref(),
                *project_role
            ),
            (
                "ada",
                Some("Ada"),
                Some("a@x.io"),
                Some(ProjectRole::Member)
            )
        );
        assert_eq!(OwnerAccess::of(&read.owner), OwnerAccess::Active);
        let active = store
            .list_project_keys(
                &org,
                &project,
                &FirstQuery::first(),
                Some(OwnerAccess::Active),
            )
            .await
            .unwrap();
        assert_eq!(active.items.len(), 2);

        store
            .remove_project_user(&org, &project, "ada")
            .await
            .unwrap();
        let read = store.get_project_key(&org, &project, &key).await.unwrap();
        assert_eq!(OwnerAccess::of(&read.owner), OwnerAccess::Inactive);
        assert_eq!(read.to_wire().owner.user.unwrap().role, "none");
        let inactive = store
            .list_project_keys(
                &org,
                &project,
                &FirstQuery::first(),
                Some(OwnerAccess::Inactive),
            )
            .await
            .unwrap();
        assert_eq!(
            inactive
                .items
                .iter()
                .map(|k| k.id.as_str())
                .collect::<Vec<_>>(),
            ["key_ada"]
        );

        store.delete_user(&org, "ada").await.unwrap();
        assert!(matches!(
            store.get_project_key(&org, &project, &key).await,
            Err(StoreError::NotFound { .. })
        ));
        let after_departed = FirstQuery {
            limit: 10,
            after: Some("key_ada".into()),
        };
        let rest = store
            .list_project_keys(&org, &project, &after_departed, None)
            .await
            .unwrap();
        let account_key = created.key.unwrap().id;
        // The account's key was made after the imported one (created at 1): it follows it.
        assert_eq!(
            rest.items.iter().map(|k| k.id.clone()).collect::<Vec<_>>(),
            [account_key]
        );
        let account = &created.account.id;
        assert!(
            store
                .get_service_account(&org, &project, account)
                .await
                .is_ok()
        );
        let conn = Connection::open(&path).unwrap();
        let deleted: i64 = conn
            .query_row(
                "SELECT count(*) FROM audit_log_entries WHERE type = 'api_key.deleted' AND resource_id = 'key_ada'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(deleted, 1);
    }
}
