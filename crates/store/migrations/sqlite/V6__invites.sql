-- Invites to organizations. An invite is never changed but by its acceptance (`accepted_at`);
-- its status (pending, expired, accepted) is read from the organization's clock, not stored.
-- A deleted invite's row is gone; its list position stays in `list_departures`.
CREATE TABLE invites (
    org          INTEGER NOT NULL REFERENCES organizations (seq),
    id           TEXT NOT NULL,
    email        TEXT NOT NULL,
    email_folded TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'reader')),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    accepted_at  INTEGER,
    PRIMARY KEY (org, id)
);
-- List order: created_at, then id (byte order).
CREATE INDEX invites_list_order ON invites (org, created_at, id);
-- "Is there a pending invite for this address": the unaccepted invites by folded address, with
-- their expiry, which the question compares with the organization's time.
CREATE INDEX invites_open_by_email ON invites (org, email_folded, expires_at)
    WHERE accepted_at IS NULL;

-- The project memberships an invite grants on acceptance, in the order the invite gave them.
CREATE TABLE invite_projects (
    org        INTEGER NOT NULL,
    invite_id  TEXT NOT NULL,
    position   INTEGER NOT NULL,
    project_id TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'member')),
    PRIMARY KEY (org, invite_id, position),
    UNIQUE (org, invite_id, project_id),
    FOREIGN KEY (org, invite_id) REFERENCES invites (org, id),
    FOREIGN KEY (org, project_id) REFERENCES projects (org, id)
);
