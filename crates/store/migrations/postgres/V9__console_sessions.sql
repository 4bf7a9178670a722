-- Sessions of the web console (`/console/`): a signed-in admin key, server side. Not part of an
-- organization's state: reset and snapshots leave them alone (snapshots::NOT_STATE).
-- `token_hash` is the SHA-256 of the cookie's token, `key_hash` the SHA-256 of the admin key
-- (never the key), so that every console request authenticates the key again.
CREATE TABLE console_sessions (
    token_hash    BYTEA PRIMARY KEY,
    org_id        TEXT COLLATE "C" NOT NULL,
    key_hash      BYTEA NOT NULL,
    csrf          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    flash_kind    TEXT,
    flash_message TEXT
);
CREATE INDEX console_sessions_last_seen ON console_sessions (last_seen_at);
CREATE INDEX console_sessions_created ON console_sessions (created_at);
