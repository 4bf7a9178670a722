//! Users in PostgreSQL.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use orgusers_api::User;
use orgusers_api::render::UserFields;
use tokio_postgres::Row;

use super::{UserChange, UserPage, UserQuery, UserSearch, UserStore, rules};
use crate::audit::AuditEvent;
use crate::postgres::{
    ANALYZE_AFTER_ROWS, Change, PostgresStore, import, insert_organization, lock_organization,
    transfer,
};
use crate::row::USER_COLUMNS;
use crate::{ImportSource, ImportSummary, Kind, OrgId, StoreError, now};

pub(crate) fn user_from_row(row: &Row) -> Result<User, StoreError> {
    let fields = UserFields {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        email: row.try_get(2)?,
        role: row.try_get(3)?,
        added_at: row.try_get(4)?,
        is_default: row.try_get(5)?,
        created: row.try_get(6)?,
        picture: row.try_get(7)?,
        enabled: row.try_get(8)?,
        banned: row.try_get(9)?,
        banned_at: row.try_get(10)?,
        is_service_account: row.try_get(11)?,
        is_scale_tier_authorized_purchaser: row.try_get(12)?,
        is_scim_managed: row.try_get(13)?,
        api_key_last_used_at: row.try_get(14)?,
        technical_level: row.try_get(15)?,
        developer_persona: row.try_get(16)?,
        projects: row.try_get(17)?,
    };
    Ok(fields.to_user())
}

pub(crate) async fn live_user(
    client: &impl GenericClient,
    org: &OrgId,
    id: &str,
) -> Result<User, StoreError> {
    let sql =
        format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND id = $2 AND NOT deleted");
    let stmt = client.prepare_cached(&sql).await?;
    match client.query_opt(&stmt, &[&org.as_str(), &id]).await? {
        Some(row) => user_from_row(&row),
        None => Err(StoreError::not_found(Kind::User, id)),
    }
}

async fn owner_count(client: &impl GenericClient, org: &OrgId) -> Result<i64, StoreError> {
    let stmt = client
        .prepare_cached(
            "SELECT count(*) FROM users WHERE org_id = $1 AND NOT deleted AND role = 'owner'",
        )
        .await?;
    Ok(client
        .query_one(&stmt, &[&org.as_str()])
        .await?
        .try_get(0)?)
}

/// Applies `user_change` to the live user `id`, refusing to demote the last owner: the one path
/// of every role change (modify, and the assignment of a predefined role).
pub(crate) async fn update_user_in(
    change: &mut Change<'_>,
    org: &OrgId,
    id: &str,
    user_change: &UserChange,
) -> Result<User, StoreError> {
    let tx = &change.tx;
    let mut user = live_user(tx, org, id).await?;
    if rules::takes_an_owner(&user, Some(user_change)) {
        rules::keeps_an_owner(owner_count(tx, org).await?)?;
    }
    user_change.apply_to(&mut user);
    let stmt = tx
        .prepare_cached(
            "UPDATE users SET role = $3, technical_level = $4, developer_persona = $5 \
             WHERE org_id = $1 AND id = $2 AND NOT deleted",
        )
        .await?;
    tx.execute(
        &stmt,
        &[
            &org.as_str(),
            &id,
            &user.role,
            &user.technical_level,
            &user.developer_persona,
        ],
    )
    .await?;
    change.record(user_change.event(&user));
    Ok(user)
}

#[async_trait]
impl UserStore for PostgresStore {
    async fn list_users(&self, org: &OrgId, query: &UserQuery) -> Result<UserPage, StoreError> {
        let client = self.client().await?;
        let (after_added_at, after_id) = match &query.after {
            None => (i64::MIN, String::new()),
            Some(after) => {
                let stmt = client
                    .prepare_cached("SELECT added_at FROM users WHERE org_id = $1 AND id = $2")
                    .await?;
                match client.query_opt(&stmt, &[&org.as_str(), after]).await? {
                    Some(row) => (row.try_get(0)?, after.clone()),
                    None => return Err(StoreError::unknown_cursor(Kind::User, after)),
                }
            }
        };
        let fetch = i64::try_from(query.limit)
            .unwrap_or(i64::MAX)
            .saturating_add(1);
        let rows = match &query.emails {
            None => {
                let sql = format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND NOT deleted \
                     AND (added_at, id) > ($2, $3) ORDER BY added_at, id LIMIT $4"
                );
                let stmt = client.prepare_cached(&sql).await?;
                client
                    .query(&stmt, &[&org.as_str(), &after_added_at, &after_id, &fetch])
                    .await?
            }
            Some(filter) => {
                let sql = format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND NOT deleted \
                     AND (added_at, id) > ($2, $3) AND email_folded = ANY($5) \
                     ORDER BY added_at, id LIMIT $4"
                );
                let stmt = client.prepare_cached(&sql).await?;
                let wanted = filter.addresses();
                client
                    .query(
                        &stmt,
                        &[&org.as_str(), &after_added_at, &after_id, &fetch, &wanted],
                    )
                    .await?
            }
        };
        let mut users = rows
            .iter()
            .map(user_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let has_more = users.len() > query.limit;
        users.truncate(query.limit);
        Ok(UserPage { users, has_more })
    }

    async fn get_user(&self, org: &OrgId, id: &str) -> Result<User, StoreError> {
        live_user(&self.client().await?, org, id).await
    }

    async fn search_users(&self, org: &OrgId, search: &UserSearch) -> Result<UserPage, StoreError> {
        let client = self.client().await?;
        let cursor = search.after.as_ref().or(search.before.as_ref());
        let (at, id) = match cursor {
            None => (i64::MIN, String::new()),
            Some(cursor) => {
                let stmt = client
                    .prepare_cached("SELECT added_at FROM users WHERE org_id = $1 AND id = $2")
                    .await?;
                match client.query_opt(&stmt, &[&org.as_str(), cursor]).await? {
                    Some(row) => (row.try_get(0)?, cursor.clone()),
                    None => return Err(StoreError::unknown_cursor(Kind::User, cursor)),
                }
            }
        };
        let (compare, order) = if search.backwards() {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND NOT deleted \
             AND ($5::text IS NULL OR role = $5) \
             AND (lower(coalesce(name, '')) LIKE $4 ESCAPE '\\' \
                  OR lower(coalesce(email, '')) LIKE $4 ESCAPE '\\') \
             AND (added_at, id) {compare} ($2, $3) ORDER BY added_at {order}, id {order} LIMIT $6"
        );
        let stmt = client.prepare_cached(&sql).await?;
        let rows = client
            .query(
                &stmt,
                &[
                    &org.as_str(),
                    &at,
                    &id,
                    &search.like_pattern(),
                    &search.role_str(),
                    &search.fetch(),
                ],
            )
            .await?;
        let users = rows
            .iter()
            .map(user_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(search.page(users))
    }

    async fn update_user(
        &self,
        org: &OrgId,
        id: &str,
        change: &UserChange,
    ) -> Result<User, StoreError> {
        let mut client = self.client().await?;
        let mut tx = Change::begin(&mut client, org).await?;
        let user = update_user_in(&mut tx, org, id, change).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn delete_user(&self, org: &OrgId, id: &str) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let mut change = Change::begin(&mut client, org).await?;
        let tx = &change.tx;
        let current = live_user(tx, org, id).await?;
        if rules::takes_an_owner(&current, None) {
            rules::keeps_an_owner(owner_count(tx, org).await?)?;
        }
        // Erase everything personal; id and added_at stay so cursors keep their place.
        let stmt = tx
            .prepare_cached(
                "UPDATE users SET deleted = TRUE, name = NULL, email = NULL, email_folded = NULL, \
                 role = 'reader', is_default = FALSE, picture = NULL, enabled = NULL, \
                 banned = NULL, banned_at = NULL, is_service_account = FALSE, \
                 is_scale_tier_authorized_purchaser = NULL, is_scim_managed = FALSE, \
                 api_key_last_used_at = NULL, technical_level = NULL, developer_persona = NULL, \
                 projects_data = NULL WHERE org_id = $1 AND id = $2",
            )
            .await?;
        tx.execute(&stmt, &[&org.as_str(), &id]).await?;
        // Its memberships and assignments end with it.
        for sql in [
            "DELETE FROM group_users WHERE org_id = $1 AND user_id = $2",
            "DELETE FROM user_roles WHERE org_id = $1 AND user_id = $2",
            // Its admin keys go on opening the organization, owned by no user from now on.
            "UPDATE admin_keys SET owner_user_id = NULL WHERE org_id = $1 AND owner_user_id = $2",
        ] {
            let stmt = tx.prepare_cached(sql).await?;
            tx.execute(&stmt, &[&org.as_str(), &id]).await?;
        }
        crate::projects::postgres::end_memberships_of(&mut change, org, id).await?;
        crate::project_keys::postgres::delete_keys_of_user(&mut change, org, id).await?;
        change.record(AuditEvent::new("user.deleted", id, serde_json::json!({})));
        change.commit().await
    }

    async fn import_users(
        &self,
        org: &OrgId,
        source: ImportSource,
    ) -> Result<ImportSummary, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // Sorts and hashes of a large import's staging table stay in memory.
        tx.batch_execute("SET LOCAL work_mem = '256MB'").await?;
        insert_organization(&tx, org).await?;
        let started = lock_organization(&tx, org).await?.reading(now());
        let (users, aside) = crate::transfer::split_users(source);
        let mut summary = import::import(&tx, org, users, started).await?;
        let aside = std::mem::take(
            &mut *aside
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        summary.directory = transfer::apply(&tx, org, &aside).await?;
        crate::projects::postgres::refresh(&tx, org, crate::projects::Touched::Everyone).await?;
        if summary.created + summary.replaced >= ANALYZE_AFTER_ROWS {
            // Fresh statistics before the rows are seen: without them the planner judged a
            // million-user table by an empty one's and answered a 100-address email filter with
            // a scan of the list-order index (under 3 requests a second, in the benchmark).
            // Autovacuum would analyze the table too, but only a minute or more later.
            tx.batch_execute("ANALYZE users").await?;
        }
        tx.commit().await?;
        Ok(summary)
    }
}
