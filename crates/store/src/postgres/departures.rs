//! Where items that left a first/last list stood (the `list_departures` table), so that an
//! `after` naming one still places the next page.

use deadpool_postgres::GenericClient;

use crate::page::{FirstList, FirstQuery, NextQuery, Position};
use crate::{OrgId, StoreError};

/// Places `query.after` in `list` of `parent`: where the live item is, found by `live_sql`
/// (`SELECT at, id` with `$1` the organization, `$2` the parent, `$3` the id; no ORDER or LIMIT),
/// or where it stood when it left. An id the list never held is an unknown cursor.
pub(crate) async fn place(
    client: &impl GenericClient,
    org: &OrgId,
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
         WHERE org_id = $1 AND list = $4 AND parent = $2 AND id = $3 LIMIT 1"
    );
    let stmt = client.prepare_cached(&sql).await?;
    let row = client
        .query_opt(
            &stmt,
            &[&org.as_str(), &parent, &after.as_str(), &list.list],
        )
        .await?;
    match row {
        Some(row) => Ok(query.placed(Some(Position::new(
            row.try_get(0)?,
            row.try_get::<_, String>(1)?,
        )))),
        None => Err(StoreError::unknown_cursor(list.kind, after)),
    }
}

/// Keeps the position of an item leaving `list` of `parent`.
pub(crate) async fn record(
    client: &impl GenericClient,
    org: &OrgId,
    list: FirstList,
    parent: &str,
    position: &Position,
) -> Result<(), StoreError> {
    let stmt = client
        .prepare_cached(
            "INSERT INTO list_departures (org_id, list, parent, id, at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (org_id, list, parent, id) DO UPDATE SET at = excluded.at",
        )
        .await?;
    client
        .execute(
            &stmt,
            &[
                &org.as_str(),
                &list.list,
                &parent,
                &position.id,
                &position.at,
            ],
        )
        .await?;
    Ok(())
}
