//! Service accounts in PostgreSQL.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{
    CreatedServiceAccount, ServiceAccountChange, ServiceAccountRecord, ServiceAccountRole,
    ServiceAccountStore, created_event, deleted_event, no_such_account, rules, updated_event,
};
use crate::ids::{ProjectId, ServiceAccountId};
use crate::page::{FirstList, FirstQuery, Position};
use crate::postgres::{Change, PostgresStore, departures};
use crate::project_keys::postgres::{delete_keys_of, insert_key};
use crate::project_keys::{NewKey, OwnerType};
use crate::projects::postgres::{project_in, writable_project_in};
use crate::projects::rules as project_rules;
use crate::{OrgId, StoreError};

const ACCOUNT_COLUMNS: &str = "id, project_id, name, role, created_at";

fn account_from_row(row: &Row) -> Result<ServiceAccountRecord, StoreError> {
    let role: String = row.try_get(3)?;
    Ok(ServiceAccountRecord {
        id: ServiceAccountId::from_stored(row.try_get(0)?),
        project_id: ProjectId::from_stored(row.try_get(1)?),
        name: row.try_get(2)?,
        role: ServiceAccountRole::parse(&role).unwrap_or(ServiceAccountRole::None),
        created_at: row.try_get(4)?,
    })
}

async fn account_in(
    client: &impl GenericClient,
    org: &OrgId,
    project: &ProjectId,
    id: &ServiceAccountId,
) -> Result<ServiceAccountRecord, StoreError> {
    let stmt = client
        .prepare_cached(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM service_accounts \
             WHERE org_id = $1 AND project_id = $2 AND id = $3"
        ))
        .await?;
    match client
        .query_opt(&stmt, &[&org.as_str(), &project.as_str(), &id.as_str()])
        .await?
    {
        Some(row) => account_from_row(&row),
        None => Err(no_such_account(id)),
    }
}

/// The account named by the path, in a project that exists and may be changed: not found comes
/// before the refusal of an archived project.
async fn writable_account_in(
    client: &impl GenericClient,
    org: &OrgId,
    project: &ProjectId,
    id: &ServiceAccountId,
) -> Result<ServiceAccountRecord, StoreError> {
    let record = project_in(client, org, project).await?;
    let account = account_in(client, org, project, id).await?;
    project_rules::writable(&record)?;
    Ok(account)
}

#[async_trait]
impl ServiceAccountStore for PostgresStore {
    async fn fetch_service_accounts(
        &self,
        org: &OrgId,
        project: &ProjectId,
        query: &FirstQuery,
    ) -> Result<Vec<(Position, ServiceAccountRecord)>, StoreError> {
        let client = self.client().await?;
        project_in(&client, org, project).await?;
        let page = departures::place(
            &client,
            org,
            FirstList::SERVICE_ACCOUNTS,
            project.as_str(),
            query,
            "SELECT created_at, id FROM service_accounts \
             WHERE org_id = $1 AND project_id = $2 AND id = $3",
        )
        .await?;
        let (at, id) = page.start();
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM service_accounts \
                 WHERE org_id = $1 AND project_id = $2 AND (created_at, id) > ($3, $4) \
                 ORDER BY created_at, id LIMIT $5"
            ))
            .await?;
        client
            .query(
                &stmt,
                &[&org.as_str(), &project.as_str(), &at, &id, &page.fetch()],
            )
            .await?
            .iter()
            .map(|row| account_from_row(row).map(|account| (account.position(), account)))
            .collect()
    }

    async fn get_service_account(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ServiceAccountId,
    ) -> Result<ServiceAccountRecord, StoreError> {
        let client = self.client().await?;
        project_in(&client, org, project).await?;
        account_in(&client, org, project, id).await
    }

    async fn insert_service_account(
        &self,
        org: &OrgId,
        created: &CreatedServiceAccount,
    ) -> Result<(), StoreError> {
        let account = &created.account;
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        writable_project_in(&change.tx, org, &account.project_id).await?;
        let stmt = change
            .tx
            .prepare_cached(
                "INSERT INTO service_accounts (org_id, project_id, id, name, role, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .await?;
        change
            .tx
            .execute(
                &stmt,
                &[
                    &org.as_str(),
                    &account.project_id.as_str(),
                    &account.id.as_str(),
                    &account.name,
                    &account.role.as_str(),
                    &account.created_at,
                ],
            )
            .await?;
        change.record(created_event(account));
        if let Some(key) = &created.key {
            let owner = (OwnerType::ServiceAccount, account.id.as_str());
            insert_key(&mut change, org, &account.project_id, owner, key).await?;
        }
        change.commit().await
    }

    async fn modify_service_account(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ServiceAccountId,
        account_change: &ServiceAccountChange,
    ) -> Result<ServiceAccountRecord, StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let current = writable_account_in(&change.tx, org, project, id).await?;
        let account = rules::changed(&current, account_change);
        let stmt = change
            .tx
            .prepare_cached(
                "UPDATE service_accounts SET name = $3, role = $4 WHERE org_id = $1 AND id = $2",
            )
            .await?;
        change
            .tx
            .execute(
                &stmt,
                &[
                    &org.as_str(),
                    &id.as_str(),
                    &account.name,
                    &account.role.as_str(),
                ],
            )
            .await?;
        change.record(updated_event(&account, account_change));
        change.commit().await?;
        Ok(account)
    }

    async fn delete_service_account(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ServiceAccountId,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let account = writable_account_in(&change.tx, org, project, id).await?;
        delete_keys_of(&mut change, org, OwnerType::ServiceAccount, id.as_str()).await?;
        let stmt = change
            .tx
            .prepare_cached("DELETE FROM service_accounts WHERE org_id = $1 AND id = $2")
            .await?;
        change
            .tx
            .execute(&stmt, &[&org.as_str(), &id.as_str()])
            .await?;
        departures::record(
            &change.tx,
            org,
            FirstList::SERVICE_ACCOUNTS,
            project.as_str(),
            &account.position(),
        )
        .await?;
        change.record(deleted_event(&account));
        change.commit().await
    }

    async fn insert_service_account_key(
        &self,
        org: &OrgId,
        project: &ProjectId,
        id: &ServiceAccountId,
        key: &NewKey,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        writable_account_in(&change.tx, org, project, id).await?;
        let owner = (OwnerType::ServiceAccount, id.as_str());
        insert_key(&mut change, org, project, owner, key).await?;
        change.commit().await
    }
}
