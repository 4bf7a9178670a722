//! Console sessions in PostgreSQL: single statements on a pooled client (a read, and only the
//! writes the rules of [`super`] call for), outside any organization's change (they record no
//! audit event). Every instance over the database sees
//! the same sessions.

use async_trait::async_trait;

use super::{
    ABSOLUTE_EXPIRY_SECONDS, ConsoleSession, ConsoleSessionStore, Flash, IDLE_EXPIRY_SECONDS,
    NewConsoleSession, SessionTokenHash, Visit, visit,
};
use crate::postgres::PostgresStore;
use crate::{KeyHash, OrgId, StoreError};

fn key_hash(bytes: Vec<u8>) -> Result<KeyHash, StoreError> {
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
        StoreError::Backend(anyhow::anyhow!("a console session's key hash is broken"))
    })?;
    Ok(KeyHash(bytes))
}

#[async_trait]
impl ConsoleSessionStore for PostgresStore {
    async fn create_console_session(&self, session: &NewConsoleSession) -> Result<(), StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "DELETE FROM console_sessions WHERE last_seen_at <= $1 OR created_at <= $2",
            )
            .await?;
        client
            .execute(
                &stmt,
                &[
                    &(session.now - IDLE_EXPIRY_SECONDS),
                    &(session.now - ABSOLUTE_EXPIRY_SECONDS),
                ],
            )
            .await?;
        let stmt = client
            .prepare_cached(
                "INSERT INTO console_sessions \
                 (token_hash, org_id, key_hash, csrf, created_at, last_seen_at) \
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .await?;
        client
            .execute(
                &stmt,
                &[
                    &session.token_hash.0.as_slice(),
                    &session.org.as_str(),
                    &session.key_hash.0.as_slice(),
                    &session.csrf,
                    &session.now,
                ],
            )
            .await?;
        Ok(())
    }

    async fn console_session(
        &self,
        token: &SessionTokenHash,
        now: i64,
    ) -> Result<Option<ConsoleSession>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT org_id, key_hash, csrf, created_at, last_seen_at, flash_kind, \
                 flash_message FROM console_sessions WHERE token_hash = $1",
            )
            .await?;
        let Some(row) = client.query_opt(&stmt, &[&token.0.as_slice()]).await? else {
            return Ok(None);
        };
        let session = ConsoleSession {
            org: OrgId::from_stored(row.try_get(0)?),
            key_hash: key_hash(row.try_get(1)?)?,
            csrf: row.try_get(2)?,
            created_at: row.try_get(3)?,
            last_seen_at: row.try_get(4)?,
            flash: Flash::from_stored(row.try_get(5)?, row.try_get(6)?),
        };
        match visit(&session, now) {
            Visit::Fresh => Ok(Some(session)),
            Visit::Ended => {
                // An ended session is gone for good.
                drop(client);
                self.delete_console_session(token).await?;
                Ok(None)
            }
            Visit::Touch => {
                let stmt = client
                    .prepare_cached(
                        "UPDATE console_sessions SET last_seen_at = greatest(last_seen_at, $2) \
                         WHERE token_hash = $1 RETURNING last_seen_at",
                    )
                    .await?;
                let moved = client
                    .query_opt(&stmt, &[&token.0.as_slice(), &now])
                    .await?;
                // No row: the session was ended (signed out) since it was read.
                match moved {
                    Some(row) => Ok(Some(ConsoleSession {
                        last_seen_at: row.try_get(0)?,
                        ..session
                    })),
                    None => Ok(None),
                }
            }
        }
    }

    async fn set_console_flash(
        &self,
        token: &SessionTokenHash,
        flash: &Flash,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "UPDATE console_sessions SET flash_kind = $2, flash_message = $3 \
                 WHERE token_hash = $1",
            )
            .await?;
        client
            .execute(
                &stmt,
                &[&token.0.as_slice(), &flash.kind.as_str(), &flash.message],
            )
            .await?;
        Ok(())
    }

    async fn clear_console_flash(
        &self,
        token: &SessionTokenHash,
        message: &str,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "UPDATE console_sessions SET flash_kind = NULL, flash_message = NULL \
                 WHERE token_hash = $1 AND flash_message = $2",
            )
            .await?;
        client
            .execute(&stmt, &[&token.0.as_slice(), &message])
            .await?;
        Ok(())
    }

    async fn delete_console_session(&self, token: &SessionTokenHash) -> Result<(), StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("DELETE FROM console_sessions WHERE token_hash = $1")
            .await?;
        client.execute(&stmt, &[&token.0.as_slice()]).await?;
        Ok(())
    }
}
