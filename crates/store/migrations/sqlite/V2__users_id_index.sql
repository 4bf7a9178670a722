-- The user id's uniqueness moves from the PRIMARY KEY constraint to a unique index of the same
-- columns. Lookups, upserts and the refusal of duplicates work as before; what changes is that
-- an index, unlike the constraint's own, can be dropped and built again in one sorted pass,
-- which a bulk import into an empty table does (see sqlite/import.rs). The rows are copied in
-- list order, so that a page of the list reads adjacent rows.
CREATE TABLE users_v2 (
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
    developer_persona                  TEXT
);

INSERT INTO users_v2 SELECT org_id, id, added_at, deleted, name, email, email_folded, role,
    is_default, created, picture, enabled, banned, banned_at, is_service_account,
    is_scale_tier_authorized_purchaser, is_scim_managed, api_key_last_used_at, technical_level,
    developer_persona
FROM users ORDER BY org_id, added_at, id;

DROP TABLE users;
ALTER TABLE users_v2 RENAME TO users;

-- One row per user id within an organization (the former primary key).
CREATE UNIQUE INDEX users_id ON users (org_id, id);
-- List order: added_at, then id (byte order), live users only.
CREATE INDEX users_list_order ON users (org_id, added_at, id) WHERE deleted = 0;
-- Emails are unique per organization, compared case-insensitively (folded in the application).
CREATE UNIQUE INDEX users_email ON users (org_id, email_folded)
    WHERE deleted = 0 AND email_folded IS NOT NULL;
-- The last-owner guard counts these.
CREATE INDEX users_owners ON users (org_id) WHERE deleted = 0 AND role = 'owner';
