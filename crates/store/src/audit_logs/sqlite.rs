//! The audit log in SQLite: one indexed read of `audit_log`, the project's name joined in.

use async_trait::async_trait;
use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, params, params_from_iter};

use super::{
    AuditCursor, AuditLogEntry, AuditLogPage, AuditLogQuery, AuditLogStore, Bound, Filter, rules,
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
        self.read_here(|conn| {
            let seq = org_seq(conn, org)?;
            let mut values = vec![SqlValue::Integer(seq)];
            // Newest first: the page below a cursor for `after` (and the first page), the page
            // above it for `before`, read upwards and turned round.
            let (start, order) = match &query.cursor {
                None => (String::new(), "DESC"),
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
                        AuditCursor::After(_) => (" AND (a.effective_at, a.seq) < (?2, ?3)".to_owned(), "DESC"),
                        AuditCursor::Before(_) => (" AND (a.effective_at, a.seq) > (?2, ?3)".to_owned(), "ASC"),
                    }
                }
            };
            let filter = Filter::of(query, values.len() + 1, |n| format!("?{n}"));
            values.extend(filter.values.into_iter().map(|bound| match bound {
                Bound::Int(n) => SqlValue::Integer(n),
                Bound::Text(text) => SqlValue::Text(text),
            }));
            let fetch = i64::try_from(query.limit).unwrap_or(i64::MAX).saturating_add(1);
            values.push(SqlValue::Integer(fetch));
            let sql = format!(
                "SELECT a.id, a.type, a.effective_at, a.project_id, p.name, a.actor_key_id, a.payload \
                 FROM audit_log AS a LEFT JOIN projects AS p ON p.org = a.org AND p.id = a.project_id \
                 WHERE a.org = ?1{start}{} \
                 ORDER BY a.effective_at {order}, a.seq {order} LIMIT ?{}",
                filter.sql,
                values.len()
            );
            let mut entries = conn
                .prepare_cached(&sql)?
                .query_map(params_from_iter(values), |row| {
                    let project_id: Option<String> = row.get(3)?;
                    let payload: String = row.get(6)?;
                    Ok((
                        AuditLogEntry {
                            id: row.get(0)?,
                            event_type: row.get(1)?,
                            effective_at: row.get(2)?,
                            project: project_id.map(|id| (id, None)),
                            actor_key_id: row.get(5)?,
                            actor_user: None,
                            payload: serde_json::Value::Null,
                        },
                        row.get::<_, Option<String>>(4)?,
                        payload,
                    ))
                })?
                .map(|row| {
                    let (mut entry, project_name, payload) = row?;
                    if let Some((_, name)) = &mut entry.project {
                        *name = project_name;
                    }
                    entry.payload = serde_json::from_str(&payload)
                        .map_err(|e| anyhow::anyhow!("an audit log payload is not JSON: {e}"))?;
                    Ok(entry)
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            let has_more = entries.len() > query.limit;
            entries.truncate(query.limit);
            if order == "ASC" {
                entries.reverse();
            }
            Ok(AuditLogPage { entries, has_more })
        })
    }
}
