-- Each organization's clock (see clock.rs): frozen at a moment, or real time plus an offset,
-- never reading earlier than its floor.
ALTER TABLE organizations ADD COLUMN clock_frozen_at INTEGER;
ALTER TABLE organizations ADD COLUMN clock_offset INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN clock_floor INTEGER NOT NULL DEFAULT 0;

-- Saved states of organizations (the control endpoints' snapshots). Their rows live in one
-- mirror table per state table, `snapshot_rows_<table>`, made and kept in step with the state
-- tables' columns when a store opens (snapshots/sqlite.rs), each row tagged with its
-- snapshot's `seq`.
CREATE TABLE snapshots (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    org             INTEGER NOT NULL REFERENCES organizations (seq),
    name            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    clock_frozen_at INTEGER,
    clock_offset    INTEGER NOT NULL,
    clock_floor     INTEGER NOT NULL,
    UNIQUE (org, name)
);
