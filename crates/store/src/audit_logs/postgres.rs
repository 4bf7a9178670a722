//! The audit log in PostgreSQL: one indexed read of `audit_log` (an arm per value of a split
//! filter), then the names of the page's projects.

use async_trait::async_trait;
use tokio_postgres::types::ToSql;

use super::{
    AuditLogPage, AuditLogQuery, AuditLogStore, Bound, Dialect, PageSql, StoredEntry, StoredPage,
    rules,
};
use crate::postgres::PostgresStore;
use crate::{OrgId, StoreError};

/// Rows carry the organization's id (`org_id`); the payload is read as text because JSONB keeps
/// no key order of its own, only its canonical one.
const POSTGRES: Dialect = Dialect {
    table: "audit_log",
    org: "org_id",
    payload: "a.payload::text",
    placeholder: |n| format!("${n}"),
    // PostgreSQL's planner has statistics (and no hints).
    index_hints: false,
    unordered: false,
    resources_beside: None,
};

#[async_trait]
impl AuditLogStore for PostgresStore {
    async fn list_audit_logs(
        &self,
        org: &OrgId,
        query: &AuditLogQuery,
    ) -> Result<AuditLogPage, StoreError> {
        self.read_page(org, query).await?.into_page(query.limit)
    }

    async fn list_audit_logs_json(
        &self,
        org: &OrgId,
        query: &AuditLogQuery,
    ) -> Result<Vec<u8>, StoreError> {
        Ok(self.read_page(org, query).await?.into_json(query.limit))
    }
}

impl PostgresStore {
    /// The rows of one page (and the one after it, which says whether more follow).
    async fn read_page(
        &self,
        org: &OrgId,
        query: &AuditLogQuery,
    ) -> Result<StoredPage, StoreError> {
        let client = self.client().await?;
        let cursor = match &query.cursor {
            None => None,
            Some(cursor) => {
                let row = client
                    .query_opt(
                        "SELECT effective_at, seq FROM audit_log WHERE org_id = $1 AND id = $2",
                        &[&org.as_str(), &cursor.id()],
                    )
                    .await?
                    .ok_or_else(|| rules::unknown_cursor(cursor))?;
                Some((row.try_get::<_, i64>(0)?, row.try_get::<_, i64>(1)?))
            }
        };
        let page = PageSql::of(
            query,
            Bound::Text(org.as_str().to_owned()),
            cursor,
            &POSTGRES,
        );
        let values: Vec<Box<dyn ToSql + Sync + Send>> = page
            .values
            .into_iter()
            .map(|bound| -> Box<dyn ToSql + Sync + Send> {
                match bound {
                    Bound::Int(n) => Box::new(n),
                    Bound::Text(text) => Box::new(text),
                }
            })
            .collect();
        let bound: Vec<&(dyn ToSql + Sync)> = values
            .iter()
            .map(|value| value.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let mut rows = Vec::with_capacity(query.limit + 1);
        for row in client.query(&page.sql, &bound).await? {
            rows.push(StoredEntry {
                id: row.try_get(0)?,
                event_type: row.try_get(1)?,
                effective_at: row.try_get(2)?,
                project_id: row.try_get(3)?,
                project_name: None,
                actor_key_id: row.try_get(4)?,
                actor_user_id: row.try_get(7)?,
                actor_email: row.try_get(8)?,
                payload: row.try_get(5)?,
            });
        }
        let mut stored = StoredPage {
            rows,
            ascending: page.ascending,
        };
        let projects = stored.projects(query.limit);
        if !projects.is_empty() {
            let statement = client
                .prepare_cached("SELECT id, name FROM projects WHERE org_id = $1 AND id = ANY($2)")
                .await?;
            let mut names = Vec::with_capacity(projects.len());
            for row in client
                .query(&statement, &[&org.as_str(), &projects])
                .await?
            {
                names.push((row.try_get(0)?, row.try_get(1)?));
            }
            stored.name_projects(&names);
        }
        Ok(stored)
    }
}
