//! Service accounts in SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{
    CreatedServiceAccount, ServiceAccountChange, ServiceAccountRecord, ServiceAccountRole,
    ServiceAccountStore, created_event, deleted_event, no_such_account, rules, updated_event,
};
use crate::ids::{ProjectId, ServiceAccountId};
use crate::page::{FirstList, FirstQuery, Position};
use crate::project_keys::sqlite::{delete_keys_of, insert_key};
use crate::project_keys::{NewKey, OwnerType};
use crate::projects::rules as project_rules;
use crate::projects::sqlite::{project_in, writable_project_in};
use crate::sqlite::{Change, SqliteStore, departures, org_seq};
use crate::{OrgId, StoreError};

const ACCOUNT_COLUMNS: &str = "id, project_id, name, role, created_at";

fn account_from_row(row: &Row<'_>) -> rusqlite::Result<ServiceAccountRecord> {
    let role: String = row.get(3)?;
    Ok(ServiceAccountRecord {
        id: ServiceAccountId::from_stored(row.get(0)?),
        project_id: ProjectId::from_stored(row.get(1)?),
        name: row.get(2)?,
        role: ServiceAccountRole::parse(&role).unwrap_or(ServiceAccountRole::None),
        created_at: row.get(4)?,
    })
}

fn account_in(
    conn: &Connection,
    org: i64,
    project: &ProjectId,
    id: &ServiceAccountId,
) -> Result<ServiceAccountRecord, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM service_accounts \
         WHERE org = ?1 AND project_id = ?2 AND id = ?3"
    ))?
    .query_row(
        params![org, project.as_str(), id.as_str()],
        account_from_row,
    )
    .optional()?
    .ok_or_else(|| no_such_account(id))
}

/// The account named by the path, in a project that exists and may be changed: not found comes
/// before the refusal of an archived project.
fn writable_account_in(
    change: &Change<'_>,
    project: &ProjectId,
    id: &ServiceAccountId,
) -> Result<ServiceAccountRecord, StoreError> {
    let record = project_in(change.tx, change.org, project)?;
    let account = account_in(change.tx, change.org, project, id)?;
    project_rules::writable(&record)?;
    Ok(account)
}

#[async_trait]
impl ServiceAccountStore for SqliteStore {
    async fn fetch_service_accounts(
        &self,
        org: &OrgId,
        project: &ProjectId,
        query: &FirstQuery,
    ) -> Result<Vec<(Position, ServiceAccountRecord)>, StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM service_accounts \
             WHERE org = ?1 AND project_id = ?2 AND (created_at, id) > (?3, ?4) \
             ORDER BY created_at, id LIMIT ?5"
        );
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            project_in(conn, seq, project)?;
            let page = departures::place(
                conn,
                seq,
                FirstList::SERVICE_ACCOUNTS,
                project.as_str(),
                query,
                "SELECT created_at, id FROM service_accounts \
                 WHERE org = ?1 AND project_id = ?2 AND id = ?3",
            )?;
            let (at, id) = page.start();
            let rows = conn
                .prepare_cached(&sql)?
                .query_map(
                    params![seq, project.as_str(), at, id, page.fetch()],
                    account_from_row,
                )?
                .map(|account| account.map(|account| (account.position(), account)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    async fn get_service_account(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ServiceAccountId,
    ) -> Result<ServiceAccountRecord, StoreError> {
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            project_in(conn, seq, project)?;
            account_in(conn, seq, project, id)
        })
    }

    async fn insert_service_account(
        &self,
        org: &OrgId,
        created: &CreatedServiceAccount,
    ) -> Result<(), StoreError> {
        let created = created.clone();
        self.change(org, move |change| {
            let account = &created.account;
            writable_project_in(change.tx, change.org, &account.project_id)?;
            change
                .tx
                .prepare_cached(
                    "INSERT INTO service_accounts (org, project_id, id, name, role, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    change.org,
                    account.project_id.as_str(),
                    account.id.as_str(),
                    account.name,
                    account.role.as_str(),
                    account.created_at
                ])?;
            change.record(created_event(account));
            if let Some(key) = &created.key {
                let owner = (OwnerType::ServiceAccount, account.id.as_str());
                insert_key(change, &account.project_id, owner, key)?;
            }
            Ok(())
        })
        .await
    }

    async fn modify_service_account(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ServiceAccountId,
        account_change: &ServiceAccountChange,
    ) -> Result<ServiceAccountRecord, StoreError> {
        let (project, id, account_change) = (project.clone(), id.clone(), account_change.clone());
        self.change(org, move |change| {
            let current = writable_account_in(change, &project, &id)?;
            let account = rules::changed(&current, &account_change);
            change
                .tx
                .prepare_cached(
                    "UPDATE service_accounts SET name = ?3, role = ?4 WHERE org = ?1 AND id = ?2",
                )?
                .execute(params![
                    change.org,
                    id.as_str(),
                    account.name,
                    account.role.as_str()
                ])?;
            change.record(updated_event(&account, &account_change));
            Ok(account)
        })
        .await
    }

    async fn delete_service_account(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ServiceAccountId,
    ) -> Result<(), StoreError> {
        let (project, id) = (project.clone(), id.clone());
        self.change(org, move |change| {
            let account = writable_account_in(change, &project, &id)?;
            delete_keys_of(change, OwnerType::ServiceAccount, id.as_str())?;
            change
                .tx
                .prepare_cached("DELETE FROM service_accounts WHERE org = ?1 AND id = ?2")?
                .execute(params![change.org, id.as_str()])?;
            departures::record(
                change.tx,
                change.org,
                FirstList::SERVICE_ACCOUNTS,
                project.as_str(),
                &account.position(),
            )?;
            change.record(deleted_event(&account));
            Ok(())
        })
        .await
    }

    async fn insert_service_account_key(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ServiceAccountId,
        key: &NewKey,
    ) -> Result<(), StoreError> {
        let (project, id, key) = (project.clone(), id.clone(), key.clone());
        self.change(org, move |change| {
            writable_account_in(change, &project, &id)?;
            insert_key(
                change,
                &project,
                (OwnerType::ServiceAccount, id.as_str()),
                &key,
            )
        })
        .await
    }
}
