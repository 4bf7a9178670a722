//! Users in SQLite: the list and retrieve fast path (rows written straight to JSON), changes,
//! deletion and import.

use std::collections::HashSet;

use anyhow::Context as _;
use async_trait::async_trait;
use orgusers_api::User;
use orgusers_api::render::{UserFields, UserListWriter};
use rusqlite::types::{FromSqlResult, ValueRef};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::{UserChange, UserPage, UserQuery, UserSearch, UserStore, rules};
use crate::projects::sqlite::DefaultMemberships;
use crate::row::{USER_JSON_CAPACITY, user_columns, user_columns_of_u};
use crate::sqlite::{Change, SqliteStore, import, org_of_param1, org_seq, transfer};
use crate::{ImportSource, ImportSummary, Kind, OrgId, StoreError, UserId, now};

/// A user row's fields, borrowed from the row (columns in the order of `user_columns!`).
pub(crate) fn user_fields<'r>(row: &'r Row<'_>) -> Result<UserFields<'r>, StoreError> {
    let text = |i| column(row, i, ValueRef::as_str);
    let opt_text = |i| column(row, i, ValueRef::as_str_or_null);
    let int = |i| column(row, i, ValueRef::as_i64);
    let opt_int = |i| column(row, i, ValueRef::as_i64_or_null);
    Ok(UserFields {
        id: text(0)?,
        name: opt_text(1)?,
        email: opt_text(2)?,
        role: text(3)?,
        added_at: int(4)?,
        is_default: int(5)? != 0,
        created: int(6)?,
        picture: opt_text(7)?,
        enabled: opt_int(8)?.map(|v| v != 0),
        banned: opt_int(9)?.map(|v| v != 0),
        banned_at: opt_int(10)?,
        is_service_account: int(11)? != 0,
        is_scale_tier_authorized_purchaser: opt_int(12)?.map(|v| v != 0),
        is_scim_managed: int(13)? != 0,
        api_key_last_used_at: opt_int(14)?,
        technical_level: opt_text(15)?,
        developer_persona: opt_text(16)?,
        projects: opt_text(17)?,
    })
}

/// Column `i` of `row` read by `as_type`, borrowed from the row. A value of another type than
/// the column's is a broken row, reported as rusqlite reports it.
fn column<'r, T>(
    row: &'r Row<'_>,
    i: usize,
    as_type: impl FnOnce(&ValueRef<'r>) -> FromSqlResult<T>,
) -> rusqlite::Result<T> {
    let value = row.get_ref(i)?;
    as_type(&value)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, value.data_type(), Box::new(e)))
}

const LIVE_USER_SQL: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE org = ",
    org_of_param1!(),
    " AND id = ?2 AND deleted = 0"
);

/// The first page in list order.
const LIST_SQL: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE org = ",
    org_of_param1!(),
    " AND deleted = 0 ORDER BY added_at, id LIMIT ?2"
);

/// A page in list order after the user `?2` (deleted or not), found by the same statement.
const LIST_AFTER_SQL: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE org = ",
    org_of_param1!(),
    " AND deleted = 0 \
     AND (added_at, id) > ((SELECT added_at FROM users WHERE org = ",
    org_of_param1!(),
    " AND id = ?2), ?2) ORDER BY added_at, id LIMIT ?3"
);

/// A page of the users whose folded email is in the JSON array `?5`. Looked up address by
/// address through the email index, then sorted: at most 1000 rows, however large the
/// organization. CROSS JOIN keeps SQLite from scanning the whole organization in list order.
const LIST_BY_EMAIL_SQL: &str = concat!(
    "SELECT ",
    user_columns_of_u!(),
    " FROM json_each(?5) AS wanted CROSS JOIN users AS u \
     ON u.org = ",
    org_of_param1!(),
    " AND u.email_folded = wanted.value AND u.deleted = 0 \
     WHERE (u.added_at, u.id) > (?2, ?3) ORDER BY u.added_at, u.id LIMIT ?4"
);

/// Hands the live user `id` of `org` to `read`; [`StoreError::UserNotFound`] when there is none.
fn with_live_user<T>(
    conn: &Connection,
    org: &OrgId,
    id: &str,
    read: impl FnOnce(UserFields<'_>) -> T,
) -> Result<T, StoreError> {
    let mut statement = conn.prepare_cached(LIVE_USER_SQL)?;
    let mut rows = statement.query(params![org.as_str(), id])?;
    match rows.next()? {
        Some(row) => Ok(read(user_fields(row)?)),
        None => Err(StoreError::not_found(Kind::User, id)),
    }
}

pub(crate) fn live_user(conn: &Connection, org: &OrgId, id: &str) -> Result<User, StoreError> {
    with_live_user(conn, org, id, |user| user.to_user())
}

fn live_user_json(conn: &Connection, org: &OrgId, id: &str) -> Result<Vec<u8>, StoreError> {
    with_live_user(conn, org, id, |user| {
        let mut out = Vec::with_capacity(USER_JSON_CAPACITY);
        user.write_json(&mut out);
        out
    })
}

fn owner_count(conn: &Connection, org: &OrgId) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached(concat!(
            "SELECT count(*) FROM users WHERE org = ",
            org_of_param1!(),
            " AND deleted = 0 AND role = 'owner'"
        ))?
        .query_row([org.as_str()], |r| r.get(0))?)
}

/// Applies `change` to the live user `id`, refusing to demote the last owner: the one path of
/// every role change (modify, and the assignment of a predefined role).
pub(crate) fn update_user_in(
    change: &mut Change<'_>,
    org: &OrgId,
    id: &str,
    user_change: &UserChange,
) -> Result<User, StoreError> {
    let tx = change.tx;
    let mut user = live_user(tx, org, id)?;
    if rules::takes_an_owner(&user, Some(user_change)) {
        rules::keeps_an_owner(owner_count(tx, org)?)?;
    }
    user_change.apply_to(&mut user);
    tx.prepare_cached(concat!(
        "UPDATE users SET role = ?3, technical_level = ?4, developer_persona = ?5 \
         WHERE org = ",
        org_of_param1!(),
        " AND id = ?2 AND deleted = 0"
    ))?
    .execute(params![
        org.as_str(),
        id,
        user.role,
        user.technical_level,
        user.developer_persona
    ])?;
    change.record(user_change.event(&user));
    Ok(user)
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn list_users(&self, org: &OrgId, query: &UserQuery) -> Result<UserPage, StoreError> {
        self.read_here(|c| list_page(c, org, query))
    }

    async fn get_user(&self, org: &OrgId, id: &str) -> Result<User, StoreError> {
        self.read_here(|c| live_user(c, org, id))
    }

    async fn search_users(&self, org: &OrgId, search: &UserSearch) -> Result<UserPage, StoreError> {
        self.read_here(|c| search_page(c, org, search))
    }

    async fn get_user_json(&self, org: &OrgId, id: &str) -> Result<Vec<u8>, StoreError> {
        self.read_here(|c| live_user_json(c, org, id))
    }

    async fn list_users_json(&self, org: &OrgId, query: &UserQuery) -> Result<Vec<u8>, StoreError> {
        self.read_here(|c| list_page_json(c, org, query))
    }

    async fn update_user(
        &self,
        org: &OrgId,
        id: &str,
        change: &UserChange,
    ) -> Result<User, StoreError> {
        let (org_id, id, user_change) = (org.clone(), id.to_owned(), change.clone());
        self.change(org, move |change| {
            update_user_in(change, &org_id, &id, &user_change)
        })
        .await
    }

    async fn delete_user(&self, org: &OrgId, id: &str) -> Result<(), StoreError> {
        let (org_id, id) = (org.clone(), id.to_owned());
        self.change(org, move |change| {
            {
                let (tx, org) = (change.tx, &org_id);
                let current = live_user(tx, org, &id)?;
                if rules::takes_an_owner(&current, None) {
                    rules::keeps_an_owner(owner_count(tx, org)?)?;
                }
                // Erase everything personal; id and added_at stay so cursors keep their place.
                tx.prepare_cached(concat!(
                    "UPDATE users SET deleted = 1, name = NULL, email = NULL, email_folded = NULL, \
                     role = 'reader', is_default = 0, picture = NULL, enabled = NULL, banned = NULL, \
                     banned_at = NULL, is_service_account = 0, is_scale_tier_authorized_purchaser = NULL, \
                     is_scim_managed = 0, api_key_last_used_at = NULL, technical_level = NULL, \
                     developer_persona = NULL, projects_data = NULL WHERE org = ",
                    org_of_param1!(),
                    " AND id = ?2"
                ))?
                .execute(params![org.as_str(), id])?;
                // Its memberships and assignments end with it.
                for table in ["group_users", "user_roles"] {
                    tx.prepare_cached(&format!("DELETE FROM {table} WHERE org = ?1 AND user_id = ?2"))?
                        .execute(params![change.org, id])?;
                }
                // Its admin keys go on opening the organization, owned by no user from now on.
                tx.prepare_cached(
                    "UPDATE admin_keys SET owner_user_id = NULL \
                     WHERE org_id = ?1 AND owner_user_id = ?2",
                )?
                .execute(params![org.as_str(), id])?;
            }
            crate::projects::sqlite::end_memberships_of(change, &id)?;
            crate::project_keys::sqlite::delete_keys_of_user(change, &id)?;
            change.record(crate::audit::AuditEvent::new(
                "user.deleted",
                id.as_str(),
                serde_json::json!({}),
            ));
            Ok(())
        })
        .await
    }

    async fn import_users(
        &self,
        org: &OrgId,
        source: ImportSource,
    ) -> Result<ImportSummary, StoreError> {
        let org = org.clone();
        self.run(move |s| s.write(|tx| import_into(tx, &org, source)))
            .await
    }
}

/// Runs the list query of `query` and hands each user row of the page, in list order, to
/// `each`; returns whether another page follows. The typed and the JSON answers share it.
fn visit_page(
    conn: &Connection,
    org: &OrgId,
    query: &UserQuery,
    mut each: impl FnMut(&Row<'_>) -> Result<(), StoreError>,
) -> Result<bool, StoreError> {
    // One more than the page, to tell whether another page follows.
    let fetch = i64::try_from(query.limit)
        .unwrap_or(i64::MAX)
        .saturating_add(1);
    let mut statement;
    let mut rows = match (&query.emails, &query.after) {
        (None, None) => {
            statement = conn.prepare_cached(LIST_SQL)?;
            statement.query(params![org.as_str(), fetch])?
        }
        // The cursor is looked up inside the page's statement: one read transaction instead of
        // two, which made a deep page cost 1.1 to 1.3 times the first. An empty page is told
        // from an unknown cursor afterwards.
        (None, Some(after)) => {
            statement = conn.prepare_cached(LIST_AFTER_SQL)?;
            statement.query(params![org.as_str(), after, fetch])?
        }
        (Some(filter), after) => {
            let (after_added_at, after_id) = match after {
                None => (i64::MIN, ""),
                Some(after) => (cursor_added_at(conn, org, after)?, after.as_str()),
            };
            let wanted =
                serde_json::to_string(filter.addresses()).context("cannot encode emails")?;
            statement = conn.prepare_cached(LIST_BY_EMAIL_SQL)?;
            statement.query(params![
                org.as_str(),
                after_added_at,
                after_id,
                fetch,
                wanted
            ])?
        }
    };
    let mut seen = 0;
    while let Some(row) = rows.next()? {
        if seen == query.limit {
            return Ok(true);
        }
        each(row)?;
        seen += 1;
    }
    if seen == 0
        && query.emails.is_none()
        && let Some(after) = &query.after
    {
        cursor_added_at(conn, org, after)?;
    }
    Ok(false)
}

/// The `added_at` of the user a cursor names, deleted or not; [`StoreError::UnknownCursor`] when
/// the organization never had such a user.
fn cursor_added_at(conn: &Connection, org: &OrgId, after: &str) -> Result<i64, StoreError> {
    conn.prepare_cached(concat!(
        "SELECT added_at FROM users WHERE org = ",
        org_of_param1!(),
        " AND id = ?2"
    ))?
    .query_row(params![org.as_str(), after], |r| r.get(0))
    .optional()?
    .ok_or_else(|| StoreError::unknown_cursor(Kind::User, after))
}

/// The console's people search, forwards from `after` (or the start) or backwards from
/// `before`: a scan of the organization's users in list order, filtered (it serves people,
/// not the API's hot path).
fn search_page(
    conn: &Connection,
    org: &OrgId,
    search: &UserSearch,
) -> Result<UserPage, StoreError> {
    const FORWARDS: &str = concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE org = ",
        org_of_param1!(),
        " AND deleted = 0 AND (?5 IS NULL OR role = ?5) \
         AND (fold_case(coalesce(name, '')) LIKE ?4 ESCAPE '\\' \
              OR fold_case(coalesce(email, '')) LIKE ?4 ESCAPE '\\') \
         AND (added_at, id) > (?2, ?3) ORDER BY added_at, id LIMIT ?6"
    );
    const BACKWARDS: &str = concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE org = ",
        org_of_param1!(),
        " AND deleted = 0 AND (?5 IS NULL OR role = ?5) \
         AND (fold_case(coalesce(name, '')) LIKE ?4 ESCAPE '\\' \
              OR fold_case(coalesce(email, '')) LIKE ?4 ESCAPE '\\') \
         AND (added_at, id) < (?2, ?3) ORDER BY added_at DESC, id DESC LIMIT ?6"
    );
    let (sql, at, id) = match (&search.after, &search.before) {
        (Some(after), _) => (FORWARDS, cursor_added_at(conn, org, after)?, after.as_str()),
        (None, Some(before)) => (
            BACKWARDS,
            cursor_added_at(conn, org, before)?,
            before.as_str(),
        ),
        (None, None) => (FORWARDS, i64::MIN, ""),
    };
    let mut statement = conn.prepare_cached(sql)?;
    let mut rows = statement.query(params![
        org.as_str(),
        at,
        id,
        search.like_pattern(),
        search.role_str(),
        search.fetch()
    ])?;
    let mut users = Vec::new();
    while let Some(row) = rows.next()? {
        users.push(user_fields(row)?.to_user());
    }
    Ok(search.page(users))
}

fn list_page(conn: &Connection, org: &OrgId, query: &UserQuery) -> Result<UserPage, StoreError> {
    let mut users = Vec::with_capacity(query.limit.min(100));
    let has_more = visit_page(conn, org, query, |row| {
        users.push(user_fields(row)?.to_user());
        Ok(())
    })?;
    Ok(UserPage { users, has_more })
}

fn list_page_json(
    conn: &Connection,
    org: &OrgId,
    query: &UserQuery,
) -> Result<Vec<u8>, StoreError> {
    let mut page = UserListWriter::new(Vec::with_capacity(
        USER_JSON_CAPACITY * query.limit.min(100) + 128,
    ));
    let has_more = visit_page(conn, org, query, |row| {
        page.push(&user_fields(row)?);
        Ok(())
    })?;
    Ok(page.finish(has_more))
}

fn import_into(
    tx: &Transaction<'_>,
    org: &OrgId,
    source: ImportSource,
) -> Result<ImportSummary, StoreError> {
    // The whole import is one transaction: a page cache large enough to hold what it changes
    // keeps SQLite from spilling pages to the WAL and reading them back (a quarter of the time
    // of a million-user import with the 2 MiB default). Set back when the import ends.
    tx.pragma_update(None, "cache_size", IMPORT_CACHE_KIB)?;
    let (users, aside) = crate::transfer::split_users(source);
    let result = import_records(tx, org, users).and_then(|mut summary| {
        let aside = aside
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let seq = org_seq(tx, org)?;
        summary.directory = transfer::apply(tx, org, seq, &aside)?;
        crate::projects::sqlite::refresh(tx, seq, crate::projects::Touched::Everyone)?;
        Ok(summary)
    });
    tx.pragma_update(None, "cache_size", DEFAULT_CACHE_KIB)?;
    result
}

/// `cache_size` during an import: 1 GiB (negative values are KiB), taken only as pages are
/// used. A million-user seed: 3.8 to 4.1 s, against 4.2 to 4.8 s with 256 MiB (same peak RSS).
/// Index builds set their own, smaller size (see `import::build_indexes`).
pub(crate) const IMPORT_CACHE_KIB: i64 = -(1 << 20);
/// SQLite's default `cache_size`: 2 MiB.
pub(crate) const DEFAULT_CACHE_KIB: i64 = -2_000;

fn import_records(
    tx: &Transaction<'_>,
    org: &OrgId,
    source: crate::UserSource,
) -> Result<ImportSummary, StoreError> {
    tx.execute(
        "INSERT OR IGNORE INTO organizations (id, created_at) VALUES (?1, ?2)",
        params![org.as_str(), now()],
    )?;
    let org: i64 = tx.query_row(
        "SELECT seq FROM organizations WHERE id = ?1",
        [org.as_str()],
        |r| r.get(0),
    )?;
    let started = crate::sqlite::org_now(tx, org)?;
    if !import::org_has_users(tx, org)? {
        return import::import_into_empty_org(tx, org, source, started);
    }
    let mut summary = ImportSummary::default();
    let mut seen_ids: HashSet<String> = HashSet::new();
    let mut existing_stmt =
        tx.prepare("SELECT added_at, deleted FROM users WHERE org = ?1 AND id = ?2")?;
    let mut email_stmt = tx.prepare(
        "SELECT id FROM users WHERE org = ?1 AND email_folded = ?2 AND deleted = 0 AND id <> ?3",
    )?;
    // The bulk path's row, replacing a user with the same id (a deleted one comes back).
    let mut upsert = tx.prepare(&format!(
        "{} ON CONFLICT (org, id) DO UPDATE SET added_at = excluded.added_at, deleted = 0, \
         name = excluded.name, email = excluded.email, email_folded = excluded.email_folded, \
         role = excluded.role, is_default = excluded.is_default, created = excluded.created, \
         picture = excluded.picture, enabled = excluded.enabled, banned = excluded.banned, \
         banned_at = excluded.banned_at, is_service_account = excluded.is_service_account, \
         is_scale_tier_authorized_purchaser = excluded.is_scale_tier_authorized_purchaser, \
         is_scim_managed = excluded.is_scim_managed, api_key_last_used_at = excluded.api_key_last_used_at, \
         technical_level = excluded.technical_level, developer_persona = excluded.developer_persona",
        import::insert_sql(1)
    ))?;
    let mut memberships = DefaultMemberships::start(tx, org)?;
    for record in source {
        let user = record?;
        let id = user
            .id
            .clone()
            .unwrap_or_else(UserId::generate)
            .into_string();
        if !seen_ids.insert(id.clone()) {
            return Err(user.duplicate_id(&id).into());
        }
        let existing: Option<(i64, bool)> = existing_stmt
            .query_row(params![org, id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some(email) = &user.email {
            let holder: Option<String> = email_stmt
                .query_row(params![org, email.folded(), id], |r| r.get(0))
                .optional()?;
            if let Some(holder) = holder {
                return Err(user.email_taken(&holder).into());
            }
        }
        let added_at = user.resolved_added_at(existing, started);
        summary.count(existing);
        let is_new = !matches!(existing, Some((_, false)));
        if is_new && !user.had_projects {
            memberships.join(&id, user.role, added_at)?;
        }
        let row = import::NewUser { id, added_at, user };
        import::bind_user(&mut upsert, 0, org, &row)?;
        upsert.raw_execute()?;
    }
    Ok(summary)
}
