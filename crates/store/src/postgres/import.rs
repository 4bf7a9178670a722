//! Import into PostgreSQL: the records are streamed with `COPY … (FORMAT binary)` into a
//! temporary staging table, then written with one `INSERT … SELECT` in file order.
//!
//! Written in file order, the rows meet the primary key and the unique email index in the states
//! the line-by-line rules describe: a record is refused by the database exactly when it repeats
//! an earlier record's id or takes an email another live user holds at that point of the file.
//! So the checks cost nothing while an import is sound; when the database refuses a row, the
//! write is rolled back to a savepoint and set-based queries over the staging table find the
//! first offending line and the user whose email it wanted.

use std::pin::pin;

use anyhow::{Context as _, anyhow};
use deadpool_postgres::Transaction;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;

use crate::{ImportError, ImportSummary, ImportedUser, OrgId, StoreError, UserId, UserSource};

/// Records per message from the thread reading the source.
const CHUNK: usize = 4096;
/// Chunks read ahead of the copy.
const CHUNKS_AHEAD: usize = 8;

/// The staging table, dropped at the end of the transaction. Ids and folded emails compare
/// byte by byte, as in `users`.
const CREATE_STAGING: &str = "CREATE TEMPORARY TABLE import_staging (
    line BIGINT NOT NULL,
    id TEXT COLLATE \"C\" NOT NULL,
    added_at BIGINT,
    created BIGINT,
    name TEXT,
    email TEXT,
    email_folded TEXT COLLATE \"C\",
    role TEXT NOT NULL,
    is_default BOOLEAN NOT NULL,
    picture TEXT,
    enabled BOOLEAN,
    banned BOOLEAN,
    banned_at BIGINT,
    is_service_account BOOLEAN NOT NULL,
    is_scale_tier_authorized_purchaser BOOLEAN,
    is_scim_managed BOOLEAN NOT NULL,
    api_key_last_used_at BIGINT,
    technical_level TEXT,
    developer_persona TEXT,
    joins_default BOOLEAN NOT NULL
) ON COMMIT DROP";

const COPY_STAGING: &str = "COPY import_staging (line, id, added_at, created, name, email, \
    email_folded, role, is_default, picture, enabled, banned, banned_at, is_service_account, \
    is_scale_tier_authorized_purchaser, is_scim_managed, api_key_last_used_at, technical_level, \
    developer_persona, joins_default) FROM STDIN (FORMAT binary)";

const STAGING_TYPES: &[Type] = &[
    Type::INT8,
    Type::TEXT,
    Type::INT8,
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::BOOL,
    Type::TEXT,
    Type::BOOL,
    Type::BOOL,
    Type::INT8,
    Type::BOOL,
    Type::BOOL,
    Type::BOOL,
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::BOOL,
];

/// The columns an import writes (not the columns reads select: `crate::row::USER_COLUMNS`).
const INSERT_COLUMNS: &str = "org_id, id, added_at, deleted, name, email, email_folded, role, \
    is_default, created, picture, enabled, banned, banned_at, is_service_account, \
    is_scale_tier_authorized_purchaser, is_scim_managed, api_key_last_used_at, technical_level, \
    developer_persona";

/// The staged columns after `added_at` and `deleted`, in [`INSERT_COLUMNS`] order, up to
/// `created`, which the statements compute.
const STAGED_NAME_TO_DEFAULT: &str = "s.name, s.email, s.email_folded, s.role, s.is_default";
/// The staged columns after `created`.
const STAGED_REST: &str = "s.picture, s.enabled, s.banned, s.banned_at, s.is_service_account, \
    s.is_scale_tier_authorized_purchaser, s.is_scim_managed, s.api_key_last_used_at, \
    s.technical_level, s.developer_persona";

/// Imports `source` into `org` inside `tx`, which holds the organization's lock.
pub(crate) async fn import(
    tx: &Transaction<'_>,
    org: &OrgId,
    source: UserSource,
    started: i64,
) -> Result<ImportSummary, StoreError> {
    tx.batch_execute(CREATE_STAGING).await?;
    let (mut summary, refused) = stage(tx, source).await?;
    if let Some(refused) = refused {
        // An earlier line may clash: the first refusal in the file is the one reported.
        return Err(first_clash(tx, org).await?.unwrap_or(refused).into());
    }
    let has_users: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM users WHERE org_id = $1)",
            &[&org.as_str()],
        )
        .await?
        .try_get(0)?;
    // The users new to the organization that join its Default project, told before the write
    // makes every staged user live.
    tx.execute(
        "CREATE TEMPORARY TABLE import_joining ON COMMIT DROP AS SELECT s.id FROM import_staging s \
         LEFT JOIN users u ON u.org_id = $1 AND u.id = s.id \
         WHERE s.joins_default AND (u.id IS NULL OR u.deleted)",
        &[&org.as_str()],
    )
    .await?;
    tx.batch_execute("SAVEPOINT import_write").await?;
    let written = if has_users {
        replace_or_insert(tx, org, started).await
    } else {
        insert(tx, org, started).await
    };
    match written {
        Ok(replaced) => {
            join_default_project(tx, org).await?;
            summary.replaced = replaced;
            summary.created -= replaced;
            Ok(summary)
        }
        Err(e)
            if matches!(
                e.code(),
                Some(&SqlState::UNIQUE_VIOLATION | &SqlState::CARDINALITY_VIOLATION)
            ) =>
        {
            tx.batch_execute("ROLLBACK TO SAVEPOINT import_write")
                .await?;
            Err(match first_clash(tx, org).await? {
                Some(clash) => clash.into(),
                None => e.into(),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Makes the users of `import_joining` members of the organization's Default project, owners as
/// owners and readers as members, from when they were added.
async fn join_default_project(tx: &Transaction<'_>, org: &OrgId) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO project_users (org_id, project_id, user_id, role, added_at) \
         SELECT $1, p.id, u.id, CASE u.role WHEN 'owner' THEN 'owner' ELSE 'member' END, \
         u.added_at FROM import_joining j JOIN users u ON u.org_id = $1 AND u.id = j.id \
         JOIN projects p ON p.org_id = $1 AND p.is_default ON CONFLICT DO NOTHING",
        &[&org.as_str()],
    )
    .await?;
    Ok(())
}

/// One record as it is staged.
struct Staged {
    id: String,
    user: ImportedUser,
}

/// Copies the records of `source` into the staging table, up to the first one the source
/// refuses, which is returned. The source is read on a blocking thread, ahead of the copy.
/// Counts every staged record as created.
async fn stage(
    tx: &Transaction<'_>,
    source: UserSource,
) -> Result<(ImportSummary, Option<ImportError>), StoreError> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel(CHUNKS_AHEAD);
    let reader = tokio::task::spawn_blocking(move || {
        let mut chunk = Vec::with_capacity(CHUNK);
        for record in source {
            let staged = record.map(|mut user| Staged {
                id: user
                    .id
                    .take()
                    .unwrap_or_else(UserId::generate)
                    .into_string(),
                user,
            });
            let last = staged.is_err();
            chunk.push(staged);
            if chunk.len() == CHUNK || last {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                if sender.blocking_send(full).is_err() || last {
                    return;
                }
            }
        }
        if !chunk.is_empty() {
            let _ = sender.blocking_send(chunk);
        }
    });
    let sink = tx.copy_in(COPY_STAGING).await?;
    let mut writer = pin!(BinaryCopyInWriter::new(sink, STAGING_TYPES));
    let mut summary = ImportSummary::default();
    let mut refused = None;
    'chunks: while let Some(chunk) = receiver.recv().await {
        for staged in chunk {
            let Staged { id, user } = match staged {
                Ok(staged) => staged,
                Err(e) => {
                    refused = Some(e);
                    break 'chunks;
                }
            };
            summary.count(None);
            let line = i64::try_from(user.line).context("line number out of range")?;
            let email = user.email.as_ref();
            writer
                .as_mut()
                .write(&[
                    &line,
                    &id,
                    &user.added_at,
                    &user.created,
                    &user.name,
                    &email.map(|e| e.as_str()),
                    &email.map(|e| e.folded()),
                    &user.role.as_str(),
                    &user.is_default,
                    &user.picture,
                    &user.enabled,
                    &user.banned,
                    &user.banned_at,
                    &user.is_service_account,
                    &user.is_scale_tier_authorized_purchaser,
                    &user.is_scim_managed,
                    &user.api_key_last_used_at,
                    &user.technical_level,
                    &user.developer_persona,
                    &!user.had_projects,
                ])
                .await?;
        }
    }
    drop(receiver);
    writer.as_mut().finish().await?;
    reader
        .await
        .map_err(|e| anyhow!("the import's reading thread failed: {e}"))?;
    Ok((summary, refused))
}

/// Writes the staged rows into an organization that has no user rows at all: a plain insert,
/// in id order (the primary key index grows at its end), as without users to replace no order
/// makes a difference to what is refused. Returns how many users were replaced: none.
async fn insert(
    tx: &Transaction<'_>,
    org: &OrgId,
    started: i64,
) -> Result<usize, tokio_postgres::Error> {
    // Kept up to date row by row, the secondary indexes make writing a million users take 20 s
    // instead of 9 s (each inserted entry dirties a random page, and checkpoints in the middle
    // log those pages whole). Building them afterwards takes the table's exclusive lock until
    // commit, which holds back every other session's use of it: only when it has no rows.
    let indexes = if table_is_empty(tx).await? {
        tx.batch_execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            .await?;
        if table_is_empty(tx).await? {
            drop_secondary_indexes(tx).await?
        } else {
            Vec::new()
        }
    } else {
        Vec::new()
    };
    let sql = format!(
        "INSERT INTO users ({INSERT_COLUMNS}) \
         SELECT $1, s.id, coalesce(s.added_at, $2), FALSE, {STAGED_NAME_TO_DEFAULT}, \
         coalesce(s.created, s.added_at, $2), {STAGED_REST} \
         FROM import_staging s ORDER BY s.id"
    );
    tx.execute(&sql, &[&org.as_str(), &started]).await?;
    if !indexes.is_empty() {
        tx.batch_execute("SET LOCAL maintenance_work_mem = '256MB'")
            .await?;
    }
    for sql in indexes {
        tx.batch_execute(&sql).await?;
    }
    Ok(0)
}

async fn table_is_empty(tx: &Transaction<'_>) -> Result<bool, tokio_postgres::Error> {
    tx.query_one("SELECT NOT EXISTS (SELECT 1 FROM users)", &[])
        .await?
        .try_get(0)
}

/// Drops the indexes of `users` that back no constraint (all but the primary key's), returning
/// the statements that create them again.
async fn drop_secondary_indexes(
    tx: &Transaction<'_>,
) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = tx
        .query(
            "SELECT x.indexrelid::regclass::text, pg_get_indexdef(x.indexrelid) FROM pg_index x \
             WHERE x.indrelid = 'users'::regclass AND NOT EXISTS \
             (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY 1",
            &[],
        )
        .await?;
    let mut create = Vec::with_capacity(rows.len());
    for row in rows {
        let name: String = row.try_get(0)?;
        tx.batch_execute(&format!("DROP INDEX {name}")).await?;
        create.push(row.try_get(1)?);
    }
    Ok(create)
}

/// Writes the staged rows into an organization that has users, replacing those with the ids of
/// staged rows, in file order. Returns how many live users were replaced.
async fn replace_or_insert(
    tx: &Transaction<'_>,
    org: &OrgId,
    started: i64,
) -> Result<usize, tokio_postgres::Error> {
    tx.batch_execute("ANALYZE import_staging").await?;
    let replaced: i64 = tx
        .query_one(
            "SELECT count(*) FROM import_staging s JOIN users u \
             ON u.org_id = $1 AND u.id = s.id AND NOT u.deleted",
            &[&org.as_str()],
        )
        .await?
        .try_get(0)?;
    // A replaced live user keeps its added_at unless the record gives one; a deleted one is
    // added anew.
    let sql = format!(
        "INSERT INTO users ({INSERT_COLUMNS}) \
         SELECT $1, s.id, a.added_at, FALSE, {STAGED_NAME_TO_DEFAULT}, \
         coalesce(s.created, a.added_at), {STAGED_REST} \
         FROM import_staging s LEFT JOIN users u ON u.org_id = $1 AND u.id = s.id \
         CROSS JOIN LATERAL (SELECT coalesce(s.added_at, \
             CASE WHEN NOT u.deleted THEN u.added_at END, $2) AS added_at) a \
         ORDER BY s.line \
         ON CONFLICT (org_id, id) DO UPDATE SET added_at = EXCLUDED.added_at, deleted = FALSE, \
         name = EXCLUDED.name, email = EXCLUDED.email, email_folded = EXCLUDED.email_folded, \
         role = EXCLUDED.role, is_default = EXCLUDED.is_default, created = EXCLUDED.created, \
         picture = EXCLUDED.picture, enabled = EXCLUDED.enabled, banned = EXCLUDED.banned, \
         banned_at = EXCLUDED.banned_at, is_service_account = EXCLUDED.is_service_account, \
         is_scale_tier_authorized_purchaser = EXCLUDED.is_scale_tier_authorized_purchaser, \
         is_scim_managed = EXCLUDED.is_scim_managed, \
         api_key_last_used_at = EXCLUDED.api_key_last_used_at, \
         technical_level = EXCLUDED.technical_level, \
         developer_persona = EXCLUDED.developer_persona"
    );
    tx.execute(&sql, &[&org.as_str(), &started]).await?;
    Ok(usize::try_from(replaced).unwrap_or(0))
}

/// The first staged line, in file order, that the line-by-line rules refuse: one repeating an
/// earlier line's id, or one taking an email that, at that point of the file, another live user
/// holds (a user of the organization not yet replaced by an earlier line, or an earlier line).
/// At equal lines a repeated id comes first, as it is checked first.
async fn first_clash(tx: &Transaction<'_>, org: &OrgId) -> Result<Option<ImportError>, StoreError> {
    tx.batch_execute(
        "CREATE INDEX ON import_staging (id, line); \
         CREATE INDEX ON import_staging (email_folded, line); \
         ANALYZE import_staging",
    )
    .await?;
    let row = tx
        .query_opt(
            "SELECT s.line, s.id, 0 AS kind, NULL::text AS holder FROM import_staging s \
             WHERE EXISTS (SELECT 1 FROM import_staging t WHERE t.id = s.id AND t.line < s.line) \
             UNION ALL \
             SELECT s.line, s.id, 1, (SELECT t.id FROM import_staging t \
                 WHERE t.email_folded = s.email_folded AND t.line < s.line ORDER BY t.line LIMIT 1) \
             FROM import_staging s WHERE s.email_folded IS NOT NULL AND EXISTS (SELECT 1 \
                 FROM import_staging t WHERE t.email_folded = s.email_folded AND t.line < s.line) \
             UNION ALL \
             SELECT s.line, s.id, 1, u.id FROM import_staging s JOIN users u \
                 ON u.org_id = $1 AND NOT u.deleted AND u.email_folded = s.email_folded \
                 AND u.id <> s.id \
             WHERE NOT EXISTS (SELECT 1 FROM import_staging r \
                 WHERE r.id = u.id AND r.line < s.line) \
             ORDER BY 1, 3 LIMIT 1",
            &[&org.as_str()],
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let line: i64 = row.try_get(0)?;
    let id: String = row.try_get(1)?;
    let kind: i32 = row.try_get(2)?;
    let holder: Option<String> = row.try_get(3)?;
    let line = usize::try_from(line).context("line number out of range")?;
    if kind == 0 {
        return Ok(Some(ImportError::duplicate_id(line, &id)));
    }
    let holder = holder.ok_or_else(|| anyhow!("a refused email with no holder at line {line}"))?;
    // Worded with the email as the line gives it.
    let email: String = tx
        .query_one(
            "SELECT email FROM import_staging WHERE id = $1 AND line = $2",
            &[
                &id,
                &i64::try_from(line).context("line number out of range")?,
            ],
        )
        .await?
        .try_get(0)?;
    Ok(Some(ImportError::email_taken(line, &email, &holder)))
}
