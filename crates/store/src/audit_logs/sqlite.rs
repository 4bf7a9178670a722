//! The audit log in SQLite: one indexed read of `audit_log`, the project's name joined in.

use async_trait::async_trait;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::{
    AuditCursor, AuditLogPage, AuditLogQuery, AuditLogStore, Bound, Filter, StoredEntry,
    StoredPage, rules,
};
use crate::sqlite::{SqliteStore, org_seq};
use crate::{OrgId, StoreError};

#[async_trait]
impl AuditLogStore for SqliteStore {
    async fn list_audit_logs(
        &self,
        org: &OrgId,
        query: &AuditLogQuery,
    ) -> Result<AuditLogPage, StoreError> {
        self.read_here(|conn| read_page(conn, org, query)?.into_page(query.limit))
    }

    async fn list_audit_logs_json(
        &self,
        org: &OrgId,
        query: &AuditLogQuery,
    ) -> Result<Vec<u8>, StoreError> {
        self.read_here(|conn| Ok(read_page(conn, org, query)?.into_json(query.limit)))
    }
}

/// The rows of one page (and the one after it, which says whether more follow).
fn read_page(
    conn: &Connection,
    org: &OrgId,
    query: &AuditLogQuery,
) -> Result<StoredPage, StoreError> {
    let seq = org_seq(conn, org)?;
    let mut values = vec![SqlValue::Integer(seq)];
    // Newest first: the page below a cursor for `after` (and the first page), the page above it
    // for `before`, read upwards and turned round.
    let (start, ascending) = match &query.cursor {
        None => ("", false),
        Some(cursor) => {
            let (at, entry_seq): (i64, i64) = conn
                .prepare_cached(
                    "SELECT effective_at, seq FROM audit_log WHERE org = ?1 AND id = ?2",
                )?
                .query_row(params![seq, cursor.id()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
                .ok_or_else(|| rules::unknown_cursor(cursor))?;
            values.push(SqlValue::Integer(at));
            values.push(SqlValue::Integer(entry_seq));
            match cursor {
                AuditCursor::After(_) => (" AND (a.effective_at, a.seq) < (?2, ?3)", false),
                AuditCursor::Before(_) => (" AND (a.effective_at, a.seq) > (?2, ?3)", true),
            }
        }
    };
    let order = if ascending { "ASC" } else { "DESC" };
    let filter = Filter::of(query, values.len() + 1, |n| format!("?{n}"));
    values.extend(filter.values.into_iter().map(|bound| match bound {
        Bound::Int(n) => SqlValue::Integer(n),
        Bound::Text(text) => SqlValue::Text(text),
    }));
    let fetch = i64::try_from(query.limit)
        .unwrap_or(i64::MAX)
        .saturating_add(1);
    values.push(SqlValue::Integer(fetch));
    let sql = format!(
        "SELECT a.id, a.type, a.effective_at, a.project_id, p.name, a.actor_key_id, a.payload \
         FROM audit_log AS a LEFT JOIN projects AS p ON p.org = a.org AND p.id = a.project_id \
         WHERE a.org = ?1{start}{} \
         ORDER BY a.effective_at {order}, a.seq {order} LIMIT ?{}",
        filter.sql,
        values.len()
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(values), |row| {
            Ok(StoredEntry {
                id: row.get(0)?,
                event_type: row.get(1)?,
                effective_at: row.get(2)?,
                project_id: row.get(3)?,
                project_name: row.get(4)?,
                actor_key_id: row.get(5)?,
                payload: row.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(StoredPage { rows, ascending })
}
