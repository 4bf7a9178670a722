-- Ids and folded emails compare byte by byte (COLLATE "C"), as in SQLite, so that list order and
-- cursors are the same on both stores.

-- Organizations in creation order; the first one is the default.
CREATE TABLE organizations (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id         TEXT COLLATE "C" PRIMARY KEY,
    created_at BIGINT NOT NULL
);

-- Admin keys, stored only as a SHA-256 hash.
CREATE TABLE admin_keys (
    id         TEXT COLLATE "C" PRIMARY KEY,
    org_id     TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    name       TEXT NOT NULL,
    key_hash   BYTEA NOT NULL UNIQUE,
    last4      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- Users. A deleted user stays as a tombstone (id, added_at, deleted, personal data erased) so
-- that a list cursor naming it keeps its position.
CREATE TABLE users (
    org_id                             TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    id                                 TEXT COLLATE "C" NOT NULL,
    added_at                           BIGINT NOT NULL,
    deleted                            BOOLEAN NOT NULL DEFAULT FALSE,
    name                               TEXT,
    email                              TEXT,
    email_folded                       TEXT COLLATE "C",
    role                               TEXT NOT NULL DEFAULT 'reader' CHECK (role IN ('owner', 'reader')),
    is_default                         BOOLEAN NOT NULL DEFAULT FALSE,
    created                            BIGINT NOT NULL,
    picture                            TEXT,
    enabled                            BOOLEAN,
    banned                             BOOLEAN,
    banned_at                          BIGINT,
    is_service_account                 BOOLEAN NOT NULL DEFAULT FALSE,
    is_scale_tier_authorized_purchaser BOOLEAN,
    is_scim_managed                    BOOLEAN NOT NULL DEFAULT FALSE,
    api_key_last_used_at               BIGINT,
    technical_level                    TEXT,
    developer_persona                  TEXT,
    PRIMARY KEY (org_id, id)
);

-- List order: added_at, then id (byte order), live users only.
CREATE INDEX users_list_order ON users (org_id, added_at, id) WHERE NOT deleted;
-- Emails are unique per organization, compared case-insensitively (folded in the application).
CREATE UNIQUE INDEX users_email ON users (org_id, email_folded)
    WHERE NOT deleted AND email_folded IS NOT NULL;
-- The last-owner guard counts these.
CREATE INDEX users_owners ON users (org_id) WHERE NOT deleted AND role = 'owner';
