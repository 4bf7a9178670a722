-- Invites to organizations. An invite is never changed but by its acceptance (`accepted_at`);
-- its status (pending, expired, accepted) is read from the organization's clock, not stored.
-- A deleted invite's row is gone; its list position stays in `list_departures`.
CREATE TABLE invites (
    org_id       TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    id           TEXT COLLATE "C" NOT NULL,
    email        TEXT NOT NULL,
    email_folded TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'reader')),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    accepted_at  BIGINT,
    PRIMARY KEY (org_id, id)
);
-- List order: created_at, then id (byte order).
CREATE INDEX invites_list_order ON invites (org_id, created_at, id);
-- "Is there a pending invite for this address": the unaccepted invites by folded address, with
-- their expiry, which the question compares with the organization's time.
CREATE INDEX invites_open_by_email ON invites (org_id, email_folded, expires_at)
    WHERE accepted_at IS NULL;

-- The project memberships an invite grants on acceptance, in the order the invite gave them.
CREATE TABLE invite_projects (
    org_id     TEXT COLLATE "C" NOT NULL,
    invite_id  TEXT COLLATE "C" NOT NULL,
    position   BIGINT NOT NULL,
    project_id TEXT COLLATE "C" NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'member')),
    PRIMARY KEY (org_id, invite_id, position),
    UNIQUE (org_id, invite_id, project_id),
    FOREIGN KEY (org_id, invite_id) REFERENCES invites (org_id, id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id)
);
