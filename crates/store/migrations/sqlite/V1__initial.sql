-- Organizations in creation order; the first one is the default.
CREATE TABLE organizations (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- Admin keys, stored only as a SHA-256 hash.
CREATE TABLE admin_keys (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    name       TEXT NOT NULL,
    key_hash   BLOB NOT NULL UNIQUE,
    last4      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- Users. A deleted user stays as a tombstone (id, added_at, deleted = 1, personal data erased)
-- so that a list cursor naming it keeps its position.
CREATE TABLE users (
    org_id                             TEXT NOT NULL REFERENCES organizations (id),
    id                                 TEXT NOT NULL,
    added_at                           INTEGER NOT NULL,
    deleted                            INTEGER NOT NULL DEFAULT 0,
    name                               TEXT,
    email                              TEXT,
    email_folded                       TEXT,
    role                               TEXT NOT NULL DEFAULT 'reader' CHECK (role IN ('owner', 'reader')),
    is_default                         INTEGER NOT NULL DEFAULT 0,
    created                            INTEGER NOT NULL,
    picture                            TEXT,
    enabled                            INTEGER,
    banned                             INTEGER,
    banned_at                          INTEGER,
    is_service_account                 INTEGER NOT NULL DEFAULT 0,
    is_scale_tier_authorized_purchaser INTEGER,
    is_scim_managed                    INTEGER NOT NULL DEFAULT 0,
    api_key_last_used_at               INTEGER,
    technical_level                    TEXT,
    developer_persona                  TEXT,
    PRIMARY KEY (org_id, id)
);

-- List order: added_at, then id (byte order), live users only.
CREATE INDEX users_list_order ON users (org_id, added_at, id) WHERE deleted = 0;
-- Emails are unique per organization, compared case-insensitively (folded in the application).
CREATE UNIQUE INDEX users_email ON users (org_id, email_folded)
    WHERE deleted = 0 AND email_folded IS NOT NULL;
-- The last-owner guard counts these.
CREATE INDEX users_owners ON users (org_id) WHERE deleted = 0 AND role = 'owner';
