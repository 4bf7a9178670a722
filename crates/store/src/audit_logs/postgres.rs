//! The audit log in PostgreSQL: one indexed read of `audit_log`, the project's name joined in.

use async_trait::async_trait;
use tokio_postgres::types::ToSql;

use super::{
    AuditCursor, AuditLogPage, AuditLogQuery, AuditLogStore, Bound, Filter, StoredEntry,
    StoredPage, rules,
};
use crate::postgres::PostgresStore;
use crate::{OrgId, StoreError};

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
        let mut values: Vec<Box<dyn ToSql + Sync + Send>> = vec![Box::new(org.as_str().to_owned())];
        // Newest first: the page below a cursor for `after` (and the first page), the page above
        // it for `before`, read upwards and turned round.
        let (start, ascending) = match &query.cursor {
            None => ("", false),
            Some(cursor) => {
                let row = client
                    .query_opt(
                        "SELECT effective_at, seq FROM audit_log WHERE org_id = $1 AND id = $2",
                        &[&org.as_str(), &cursor.id()],
                    )
                    .await?
                    .ok_or_else(|| rules::unknown_cursor(cursor))?;
                values.push(Box::new(row.try_get::<_, i64>(0)?));
                values.push(Box::new(row.try_get::<_, i64>(1)?));
                match cursor {
                    AuditCursor::After(_) => (" AND (a.effective_at, a.seq) < ($2, $3)", false),
                    AuditCursor::Before(_) => (" AND (a.effective_at, a.seq) > ($2, $3)", true),
                }
            }
        };
        let order = if ascending { "ASC" } else { "DESC" };
        let filter = Filter::of(query, values.len() + 1, |n| format!("${n}"));
        for bound in filter.values {
            match bound {
                Bound::Int(n) => values.push(Box::new(n)),
                Bound::Text(text) => values.push(Box::new(text)),
            }
        }
        let fetch = i64::try_from(query.limit)
            .unwrap_or(i64::MAX)
            .saturating_add(1);
        values.push(Box::new(fetch));
        // The payload as text (JSONB keeps no key order of its own, only its canonical one).
        let sql = format!(
            "SELECT a.id, a.type, a.effective_at, a.project_id, p.name, a.actor_key_id, \
             a.payload::text \
             FROM audit_log AS a LEFT JOIN projects AS p ON p.org_id = a.org_id AND p.id = a.project_id \
             WHERE a.org_id = $1{start}{} \
             ORDER BY a.effective_at {order}, a.seq {order} LIMIT ${}",
            filter.sql,
            values.len()
        );
        let bound: Vec<&(dyn ToSql + Sync)> = values
            .iter()
            .map(|value| value.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let mut rows = Vec::with_capacity(query.limit + 1);
        for row in client.query(&sql, &bound).await? {
            rows.push(StoredEntry {
                id: row.try_get(0)?,
                event_type: row.try_get(1)?,
                effective_at: row.try_get(2)?,
                project_id: row.try_get(3)?,
                project_name: row.try_get(4)?,
                actor_key_id: row.try_get(5)?,
                payload: row.try_get(6)?,
            });
        }
        Ok(StoredPage { rows, ascending })
    }
}
