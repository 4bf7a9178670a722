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
//!
//! Every console page reads its session, so reading one is kept a read: `last_seen_at` is
//! written only once it is more than [`LAST_SEEN_GRANULARITY_SECONDS`] behind (idle expiry then
//! counts from a time at most that early), and the flash is cleared only when there is one.
//! The rules are here ([`visit`]); the backends only run the statements they call for.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::fmt;

use async_trait::async_trait;

use crate::{KeyHash, OrgId, StoreError};

/// A session unused this long (seconds) has ended.
pub const IDLE_EXPIRY_SECONDS: i64 = 30 * 60;
/// A session this old (seconds) has ended, however busy.
pub const ABSOLUTE_EXPIRY_SECONDS: i64 = 12 * 60 * 60;
/// How far (seconds) a session's recorded `last_seen_at` may fall behind its requests before
/// one writes it again: a write per minute of use, not per page, and idle expiry exact to a
/// minute.
pub const LAST_SEEN_GRANULARITY_SECONDS: i64 = 60;

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

impl Flash {
    /// From its stored columns: none without a message.
    pub fn from_stored(kind: Option<String>, message: Option<String>) -> Option<Self> {
        message.map(|message| Self {
            kind: FlashKind::parse(kind.as_deref().unwrap_or_default()),
            message,
        })
    }
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
    /// Unix seconds of the last recorded request: this one, or one at most
    /// [`LAST_SEEN_GRANULARITY_SECONDS`] before it.
    pub last_seen_at: i64,
    /// The flash message left for the next page, if any. Reading the session leaves it in
    /// place: the page that shows it clears it ([`ConsoleSessionStore::clear_console_flash`]).
    pub flash: Option<Flash>,
}

impl ConsoleSession {
    /// Whether a session created at `created_at` and last used at `last_seen_at` has ended by
    /// `now`.
    pub fn expired(created_at: i64, last_seen_at: i64, now: i64) -> bool {
        now - last_seen_at >= IDLE_EXPIRY_SECONDS || now - created_at >= ABSOLUTE_EXPIRY_SECONDS
    }

    /// Whether a request at `now` must write the session's `last_seen_at`: only once the stored
    /// one is more than [`LAST_SEEN_GRANULARITY_SECONDS`] old, so most requests write nothing.
    pub fn touch_due(last_seen_at: i64, now: i64) -> bool {
        now - last_seen_at > LAST_SEEN_GRANULARITY_SECONDS
    }
}

/// What a request at some time does with the session row it read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visit {
    /// The session has ended: delete the row, answer none.
    Ended,
    /// Live, and `last_seen_at` is recent enough: write nothing.
    Fresh,
    /// Live, and `last_seen_at` must move to the request's time.
    Touch,
}

/// What reading `session` at `now` calls for (the backends' one rule).
pub fn visit(session: &ConsoleSession, now: i64) -> Visit {
    if ConsoleSession::expired(session.created_at, session.last_seen_at, now) {
        Visit::Ended
    } else if ConsoleSession::touch_due(session.last_seen_at, now) {
        Visit::Touch
    } else {
        Visit::Fresh
    }
}

/// Console sessions per backend.
#[async_trait]
pub trait ConsoleSessionStore: Send + Sync + 'static {
    /// Stores a new session, and deletes sessions that have ended by `session.now` (sign-ins
    /// are when the table is tidied).
    async fn create_console_session(&self, session: &NewConsoleSession) -> Result<(), StoreError>;

    /// The live session of `token`, with its flash message (left in place). One read; its
    /// `last_seen_at` is written (moved to `now`) only when [`ConsoleSession::touch_due`]. A
    /// session that has ended by `now` (idle or absolute expiry) is deleted and `None`, as an
    /// unknown one.
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

    /// Clears the session's flash once a page has shown it, if its message is still `message`:
    /// a flash another request left meanwhile stays for the next page.
    async fn clear_console_flash(
        &self,
        token: &SessionTokenHash,
        message: &str,
    ) -> Result<(), StoreError>;

    /// Ends a session (sign-out); nothing when there is none.
    async fn delete_console_session(&self, token: &SessionTokenHash) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PostgresStore, SqliteStore, StoreOptions};

    const T0: i64 = 1_700_000_000;

    fn new_session(token: SessionTokenHash, now: i64) -> NewConsoleSession {
        NewConsoleSession {
            token_hash: token,
            org: OrgId::from_stored("org-sessions".to_owned()),
            key_hash: KeyHash([7; 32]),
            csrf: "csrf".to_owned(),
            now,
        }
    }

    fn at(created_at: i64, last_seen_at: i64) -> ConsoleSession {
        ConsoleSession {
            org: OrgId::from_stored("org-sessions".to_owned()),
            key_hash: KeyHash([7; 32]),
            csrf: "csrf".to_owned(),
            created_at,
            last_seen_at,
            flash: None,
        }
    }

    #[test]
    fn last_seen_is_written_once_a_minute() {
        let fresh = at(T0, T0);
        assert_eq!(visit(&fresh, T0), Visit::Fresh);
        assert_eq!(
            visit(&fresh, T0 + LAST_SEEN_GRANULARITY_SECONDS),
            Visit::Fresh
        );
        assert_eq!(
            visit(&fresh, T0 + LAST_SEEN_GRANULARITY_SECONDS + 1),
            Visit::Touch
        );
        assert_eq!(visit(&fresh, T0 + IDLE_EXPIRY_SECONDS - 1), Visit::Touch);
        assert_eq!(visit(&fresh, T0 + IDLE_EXPIRY_SECONDS), Visit::Ended);
        let busy = ABSOLUTE_EXPIRY_SECONDS - 10;
        assert_eq!(visit(&at(0, busy), busy + 5), Visit::Fresh);
        assert_eq!(visit(&at(0, busy), ABSOLUTE_EXPIRY_SECONDS), Visit::Ended);
        // A clock stepped back writes nothing either.
        assert_eq!(visit(&fresh, T0 - 600), Visit::Fresh);
    }

    /// The store-level behaviour, on either backend. `writes` reads a marker that moves with
    /// any write to the sessions.
    async fn reads_write_only_when_due(
        store: &impl ConsoleSessionStore,
        writes: impl AsyncFn() -> String,
    ) {
        let token = SessionTokenHash([1; 32]);
        store
            .create_console_session(&new_session(token, T0))
            .await
            .unwrap();
        let read = async |token: &SessionTokenHash, now: i64| {
            store.console_session(token, now).await.unwrap()
        };

        // (a) Reads within a minute leave last_seen_at alone and write nothing; so does an
        // unknown token.
        let before = writes().await;
        for now in [T0 + 1, T0 + 30, T0 + LAST_SEEN_GRANULARITY_SECONDS] {
            let session = read(&token, now).await.unwrap();
            assert_eq!((session.created_at, session.last_seen_at), (T0, T0));
            assert_eq!(session.flash, None);
        }
        assert!(read(&SessionTokenHash([9; 32]), T0 + 30).await.is_none());
        assert_eq!(
            writes().await,
            before,
            "reads within a minute write nothing"
        );

        // (b) More than a minute later, a read moves it, once.
        let later = T0 + LAST_SEEN_GRANULARITY_SECONDS + 1;
        assert_eq!(read(&token, later).await.unwrap().last_seen_at, later);
        let moved = writes().await;
        assert_ne!(moved, before, "the touch is written");
        assert_eq!(read(&token, later + 30).await.unwrap().last_seen_at, later);
        assert_eq!(writes().await, moved);

        // (c) Idle expiry counts from the last recorded activity: a request it did not record
        // (within the minute) does not extend the session.
        let idle = SessionTokenHash([2; 32]);
        store
            .create_console_session(&new_session(idle, T0))
            .await
            .unwrap();
        assert_eq!(read(&idle, T0 + 50).await.unwrap().last_seen_at, T0);
        assert!(read(&idle, T0 + IDLE_EXPIRY_SECONDS - 1).await.is_some());
        let touched = T0 + IDLE_EXPIRY_SECONDS - 1;
        assert!(
            read(&idle, touched + IDLE_EXPIRY_SECONDS - 1)
                .await
                .is_some()
        );
        let last = touched + IDLE_EXPIRY_SECONDS - 1;
        assert!(read(&idle, last + IDLE_EXPIRY_SECONDS).await.is_none());
        // Ended means deleted: even an earlier time finds nothing now.
        assert!(read(&idle, last + 1).await.is_none());
        let unrecorded = SessionTokenHash([3; 32]);
        store
            .create_console_session(&new_session(unrecorded, T0))
            .await
            .unwrap();
        assert_eq!(read(&unrecorded, T0 + 50).await.unwrap().last_seen_at, T0);
        assert!(read(&unrecorded, T0 + IDLE_EXPIRY_SECONDS).await.is_none());
        assert!(read(&unrecorded, T0 + 50).await.is_none());

        // Absolute expiry, however busy.
        let busy = SessionTokenHash([4; 32]);
        store
            .create_console_session(&new_session(busy, T0))
            .await
            .unwrap();
        let mut now = T0;
        while now + IDLE_EXPIRY_SECONDS / 2 < T0 + ABSOLUTE_EXPIRY_SECONDS {
            now += IDLE_EXPIRY_SECONDS / 2;
            assert!(read(&busy, now).await.is_some(), "live at {now}");
        }
        assert!(read(&busy, T0 + ABSOLUTE_EXPIRY_SECONDS).await.is_none());

        // (d) A flash is read with the session, stays until cleared, and clearing it is the
        // one write.
        let flashed = SessionTokenHash([5; 32]);
        store
            .create_console_session(&new_session(flashed, T0))
            .await
            .unwrap();
        let saved = Flash {
            kind: FlashKind::Alert,
            message: "Saved.".to_owned(),
        };
        store.set_console_flash(&flashed, &saved).await.unwrap();
        let before = writes().await;
        assert_eq!(
            read(&flashed, T0 + 1).await.unwrap().flash,
            Some(saved.clone())
        );
        assert_eq!(read(&flashed, T0 + 2).await.unwrap().flash, Some(saved));
        assert_eq!(writes().await, before, "reading a flash writes nothing");
        store.clear_console_flash(&flashed, "Saved.").await.unwrap();
        let cleared = writes().await;
        assert_ne!(cleared, before, "clearing it is written");
        assert_eq!(read(&flashed, T0 + 3).await.unwrap().flash, None);
        assert_eq!(writes().await, cleared);
        // A flash left since the page read its own stays for the next page.
        let newer = Flash {
            kind: FlashKind::Status,
            message: "Newer.".to_owned(),
        };
        store.set_console_flash(&flashed, &newer).await.unwrap();
        store.clear_console_flash(&flashed, "Saved.").await.unwrap();
        assert_eq!(read(&flashed, T0 + 4).await.unwrap().flash, Some(newer));

        // A session signed out leaves nothing to read.
        store.delete_console_session(&flashed).await.unwrap();
        assert!(read(&flashed, T0 + 5).await.is_none());
    }

    #[tokio::test]
    async fn sqlite_reads_write_only_when_due() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sessions.db");
        let store = SqliteStore::open(&path).await.unwrap();
        // `data_version` moves when another connection commits a change to the file.
        let watcher = rusqlite::Connection::open(&path).unwrap();
        let writes = async || {
            watcher
                .query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0))
                .unwrap()
                .to_string()
        };
        reads_write_only_when_due(&store, writes).await;
    }

    /// Runs where `ORGUSERS_TEST_POSTGRES_URL` names a server, in a database of its own.
    #[tokio::test]
    async fn postgres_reads_write_only_when_due() {
        use tokio_postgres::NoTls;

        let Some(scratch) = crate::postgres::ScratchDatabase::create("orgusers_sessions").await
        else {
            return;
        };
        let url = scratch.url.clone();
        let store = PostgresStore::open(&url, &StoreOptions::default())
            .await
            .unwrap();
        let (watcher, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
        tokio::spawn(connection);
        // Every UPDATE gives a row a new `xmin`, even one that changes no value.
        let writes = async || {
            watcher
                .query_one(
                    "SELECT coalesce(string_agg(encode(token_hash, 'hex') || ':' || xmin::text, \
                     ',' ORDER BY token_hash), '') FROM console_sessions",
                    &[],
                )
                .await
                .unwrap()
                .get::<_, String>(0)
        };
        reads_write_only_when_due(&store, writes).await;
        drop(store);
        drop(watcher);
        scratch.remove().await;
    }

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
