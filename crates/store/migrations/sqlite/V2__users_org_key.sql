-- Users are keyed by their organization's integer `seq` instead of its 28-byte text id, and
-- the user id's uniqueness moves from the PRIMARY KEY constraint to a unique index of the same
-- columns.
--
-- Every index entry began with the same 28 bytes: the integer makes the table a quarter
-- smaller and each key comparison shorter (see docs/benchmarks.md). An index, unlike the
-- primary key constraint's own, can be dropped and built again in one sorted pass, which a bulk
-- import into an empty table does (see sqlite/import.rs). Lookups, upserts and the refusal of
-- duplicates work as before. The rows are copied in list order, so that a page of the list
-- reads adjacent rows.
CREATE TABLE users_v2 (
    org                                INTEGER NOT NULL REFERENCES organizations (seq),
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
    developer_persona                  TEXT
);

INSERT INTO users_v2 SELECT o.seq, u.id, u.added_at, u.deleted, u.name, u.email, u.email_folded,
    u.role, u.is_default, u.created, u.picture, u.enabled, u.banned, u.banned_at,
    u.is_service_account, u.is_scale_tier_authorized_purchaser, u.is_scim_managed,
    u.api_key_last_used_at, u.technical_level, u.developer_persona
FROM users AS u JOIN organizations AS o ON o.id = u.org_id
ORDER BY o.seq, u.added_at, u.id;

DROP TABLE users;
ALTER TABLE users_v2 RENAME TO users;

-- One row per user id within an organization (the former primary key).
CREATE UNIQUE INDEX users_id ON users (org, id);
-- List order: added_at, then id (byte order), live users only.
CREATE INDEX users_list_order ON users (org, added_at, id) WHERE deleted = 0;
-- Emails are unique per organization, compared case-insensitively (folded in the application).
CREATE UNIQUE INDEX users_email ON users (org, email_folded)
    WHERE deleted = 0 AND email_folded IS NOT NULL;
-- The last-owner guard counts these.
CREATE INDEX users_owners ON users (org) WHERE deleted = 0 AND role = 'owner';
