//! Console sessions in SQLite: reads on a reader connection, and the few writes the rules of
//! [`super`] call for on the writer connection, outside any organization's change (they record
//! no audit event).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{
    ABSOLUTE_EXPIRY_SECONDS, ConsoleSession, ConsoleSessionStore, Flash, IDLE_EXPIRY_SECONDS,
    NewConsoleSession, SessionTokenHash, Visit, visit,
};
use crate::sqlite::SqliteStore;
use crate::{KeyHash, OrgId, StoreError};

fn key_hash(bytes: Vec<u8>) -> Result<KeyHash, StoreError> {
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
        StoreError::Backend(anyhow::anyhow!("a console session's key hash is broken"))
    })?;
    Ok(KeyHash(bytes))
}

#[async_trait]
impl ConsoleSessionStore for SqliteStore {
    async fn create_console_session(&self, session: &NewConsoleSession) -> Result<(), StoreError> {
        let session = session.clone();
        self.run(move |s| {
            s.write(|tx| {
                tx.prepare_cached(
                    "DELETE FROM console_sessions WHERE last_seen_at <= ?1 OR created_at <= ?2",
                )?
                .execute(params![
                    session.now - IDLE_EXPIRY_SECONDS,
                    session.now - ABSOLUTE_EXPIRY_SECONDS
                ])?;
                tx.prepare_cached(
                    "INSERT INTO console_sessions \
                     (token_hash, org_id, key_hash, csrf, created_at, last_seen_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                )?
                .execute(params![
                    session.token_hash.0.as_slice(),
                    session.org.as_str(),
                    session.key_hash.0.as_slice(),
                    session.csrf,
                    session.now
                ])?;
                Ok(())
            })
        })
        .await
    }

    async fn console_session(
        &self,
        token: &SessionTokenHash,
        now: i64,
    ) -> Result<Option<ConsoleSession>, StoreError> {
        let token = *token;
        // A read on a reader connection: most requests need no write transaction at all.
        let found = self.read_here(|c| {
            Ok(c.prepare_cached(
                "SELECT org_id, key_hash, csrf, created_at, last_seen_at, flash_kind, \
                 flash_message FROM console_sessions WHERE token_hash = ?1",
            )?
            .query_row([token.0.as_slice()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })
            .optional()?)
        })?;
        let Some((org, key, csrf, created_at, last_seen_at, flash_kind, flash_message)) = found
        else {
            return Ok(None);
        };
        let session = ConsoleSession {
            org: OrgId::from_stored(org),
            key_hash: key_hash(key)?,
            csrf,
            created_at,
            last_seen_at,
            flash: Flash::from_stored(flash_kind, flash_message),
        };
        match visit(&session, now) {
            Visit::Fresh => Ok(Some(session)),
            Visit::Ended => {
                // An ended session is gone for good.
                self.delete_console_session(&token).await?;
                Ok(None)
            }
            Visit::Touch => {
                let moved: Option<i64> = self
                    .run(move |s| {
                        s.write(|tx| {
                            Ok(tx
                                .prepare_cached(
                                    "UPDATE console_sessions \
                                     SET last_seen_at = max(last_seen_at, ?2) \
                                     WHERE token_hash = ?1 RETURNING last_seen_at",
                                )?
                                .query_row(params![token.0.as_slice(), now], |r| r.get(0))
                                .optional()?)
                        })
                    })
                    .await?;
                // No row: the session was ended (signed out) since it was read.
                Ok(moved.map(|last_seen_at| ConsoleSession {
                    last_seen_at,
                    ..session
                }))
            }
        }
    }

    async fn set_console_flash(
        &self,
        token: &SessionTokenHash,
        flash: &Flash,
    ) -> Result<(), StoreError> {
        let (token, flash) = (*token, flash.clone());
        self.run(move |s| {
            s.write(|tx| {
                tx.prepare_cached(
                    "UPDATE console_sessions SET flash_kind = ?2, flash_message = ?3 \
                     WHERE token_hash = ?1",
                )?
                .execute(params![
                    token.0.as_slice(),
                    flash.kind.as_str(),
                    flash.message
                ])?;
                Ok(())
            })
        })
        .await
    }

    async fn clear_console_flash(
        &self,
        token: &SessionTokenHash,
        message: &str,
    ) -> Result<(), StoreError> {
        let (token, message) = (*token, message.to_owned());
        self.run(move |s| {
            s.write(|tx| {
                tx.prepare_cached(
                    "UPDATE console_sessions SET flash_kind = NULL, flash_message = NULL \
                     WHERE token_hash = ?1 AND flash_message = ?2",
                )?
                .execute(params![token.0.as_slice(), message])?;
                Ok(())
            })
        })
        .await
    }

    async fn delete_console_session(&self, token: &SessionTokenHash) -> Result<(), StoreError> {
        let token = *token;
        self.run(move |s| {
            s.write(|tx| {
                tx.prepare_cached("DELETE FROM console_sessions WHERE token_hash = ?1")?
                    .execute([token.0.as_slice()])?;
                Ok(())
            })
        })
        .await
    }
}
