//! Where items that left a first/last list stood (the `list_departures` table), so that an
//! `after` naming one still places the next page.

use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreError;
use crate::page::{FirstList, FirstQuery, NextQuery, Position};

/// Places `query.after` in `list` of `parent`: where the live item is, found by `live_sql`
/// (`SELECT at, id` with `?1` the organization's seq, `?2` the parent, `?3` the id; no ORDER or
/// LIMIT), or where it stood when it left. An id the list never held is an unknown cursor.
pub(crate) fn place(
    conn: &Connection,
    org: i64,
    list: FirstList,
    parent: &str,
    query: &FirstQuery,
    live_sql: &str,
) -> Result<NextQuery, StoreError> {
    let Some(after) = &query.after else {
        return Ok(query.placed(None));
    };
    let sql = format!(
        "{live_sql} UNION ALL SELECT at, id FROM list_departures \
         WHERE org = ?1 AND list = ?4 AND parent = ?2 AND id = ?3 LIMIT 1"
    );
    conn.prepare_cached(&sql)?
        .query_row(params![org, parent, after, list.list], |r| {
            Ok(Position::new(r.get(0)?, r.get::<_, String>(1)?))
        })
        .optional()?
        .map(|position| query.placed(Some(position)))
        .ok_or_else(|| StoreError::unknown_cursor(list.kind, after))
}

/// Keeps the position of an item leaving `list` of `parent`.
pub(crate) fn record(
    conn: &Connection,
    org: i64,
    list: FirstList,
    parent: &str,
    position: &Position,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO list_departures (org, list, parent, id, at) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (org, list, parent, id) DO UPDATE SET at = excluded.at",
    )?
    .execute(params![org, list.list, parent, position.id, position.at])?;
    Ok(())
}
