//! Sessions of the web console (`/console/`): an admin key exchanged at sign-in for a random
//! token that the browser keeps in a cookie. The store keeps only the token's SHA-256, the
//! organization, the key's hash (never the key: every console request authenticates it again,
//! so a revoked or expired key ends its sessions), the session's CSRF token, its times and the
//! flash message of the next page.
//!
//! Sessions are not an organization's state: reset and snapshots leave them alone. Their times
//! are the server's wall clock (Unix seconds), not the organization's clock: the emulator's
//! clock must not sign people out. Callers pass `now`, so that expiry is judged at a time they
//! choose.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::fmt;

use async_trait::async_trait;

use crate::{KeyHash, OrgId, StoreError};

/// A session unused this long (seconds) has ended.
pub const IDLE_EXPIRY_SECONDS: i64 = 30 * 60;
/// A session this old (seconds) has ended, however busy.
pub const ABSOLUTE_EXPIRY_SECONDS: i64 = 12 * 60 * 60;

/// The SHA-256 of a session token: what the store keeps and looks sessions up by.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SessionTokenHash(pub [u8; 32]);

impl fmt::Debug for SessionTokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionTokenHash(..)")
    }
}

/// The kind of a flash message: news of a success (`role="status"`) or of a refusal
/// (`role="alert"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashKind {
    /// Something was done.
    Status,
    /// Something was refused.
    Alert,
}

impl FlashKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Alert => "alert",
        }
    }

    /// From its stored form; anything unknown is a status.
    pub fn parse(s: &str) -> Self {
        if s == "alert" {
            Self::Alert
        } else {
            Self::Status
        }
    }
}

/// A message for the next page a session shows, once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// Status or alert.
    pub kind: FlashKind,
    /// The sentence shown.
    pub message: String,
}

/// A new session, as sign-in makes it.
#[derive(Debug, Clone)]
pub struct NewConsoleSession {
    /// SHA-256 of the cookie's token.
    pub token_hash: SessionTokenHash,
    /// The organization the key opened.
    pub org: OrgId,
    /// SHA-256 of the admin key.
    pub key_hash: KeyHash,
    /// The session's CSRF token, which every form carries.
    pub csrf: String,
    /// Unix seconds (wall clock): its creation and first use.
    pub now: i64,
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// The organization the key opened at sign-in.
    pub org: OrgId,
    /// SHA-256 of the admin key, authenticated again on each request.
    pub key_hash: KeyHash,
    /// The session's CSRF token.
    pub csrf: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last request, this one included.
    pub last_seen_at: i64,
}

impl ConsoleSession {
    /// Whether a session created at `created_at` and last used at `last_seen_at` has ended by
    /// `now`.
    pub fn expired(created_at: i64, last_seen_at: i64, now: i64) -> bool {
        now - last_seen_at >= IDLE_EXPIRY_SECONDS || now - created_at >= ABSOLUTE_EXPIRY_SECONDS
    }
}

/// Console sessions per backend.
#[async_trait]
pub trait ConsoleSessionStore: Send + Sync + 'static {
    /// Stores a new session, and deletes sessions that have ended by `session.now` (sign-ins
    /// are when the table is tidied).
    async fn create_console_session(&self, session: &NewConsoleSession) -> Result<(), StoreError>;

    /// The live session of `token`, its `last_seen_at` moved to `now`. A session that has ended
    /// by `now` (idle or absolute expiry) is deleted and `None`, as an unknown one.
    async fn console_session(
        &self,
        token: &SessionTokenHash,
        now: i64,
    ) -> Result<Option<ConsoleSession>, StoreError>;

    /// Leaves `flash` for the session's next page (replacing any earlier one).
    async fn set_console_flash(
        &self,
        token: &SessionTokenHash,
        flash: &Flash,
    ) -> Result<(), StoreError>;

    /// The session's flash message, taken: the page after shows none.
    async fn take_console_flash(
        &self,
        token: &SessionTokenHash,
    ) -> Result<Option<Flash>, StoreError>;

    /// Ends a session (sign-out); nothing when there is none.
    async fn delete_console_session(&self, token: &SessionTokenHash) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_end_when_idle_or_old() {
        assert!(!ConsoleSession::expired(0, 0, IDLE_EXPIRY_SECONDS - 1));
        assert!(ConsoleSession::expired(0, 0, IDLE_EXPIRY_SECONDS));
        let busy = ABSOLUTE_EXPIRY_SECONDS - 10;
        assert!(!ConsoleSession::expired(0, busy, busy + 5));
        assert!(ConsoleSession::expired(0, busy, ABSOLUTE_EXPIRY_SECONDS));
        assert_eq!(
            FlashKind::parse(FlashKind::Alert.as_str()),
            FlashKind::Alert
        );
        assert_eq!(FlashKind::parse("status"), FlashKind::Status);
    }
}
