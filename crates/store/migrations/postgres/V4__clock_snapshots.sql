-- Each organization's clock (see clock.rs): frozen at a moment, or real time plus an offset,
-- never reading earlier than its floor.
ALTER TABLE organizations ADD COLUMN clock_frozen_at BIGINT;
ALTER TABLE organizations ADD COLUMN clock_offset BIGINT NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN clock_floor BIGINT NOT NULL DEFAULT 0;

-- Saved states of organizations (the control endpoints' snapshots): one row per snapshot, and
-- one per table of the organization's data it holds, with that table's columns and rows.
CREATE TABLE snapshots (
    org_id          TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    name            TEXT COLLATE "C" NOT NULL,
    created_at      BIGINT NOT NULL,
    clock_frozen_at BIGINT,
    clock_offset    BIGINT NOT NULL,
    clock_floor     BIGINT NOT NULL,
    PRIMARY KEY (org_id, name)
);
CREATE TABLE snapshot_tables (
    org_id     TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    table_name TEXT NOT NULL,
    columns    TEXT[] NOT NULL,
    rows       JSON NOT NULL, -- an array of the rows as objects (json_agg)
    PRIMARY KEY (org_id, name, table_name),
    FOREIGN KEY (org_id, name) REFERENCES snapshots (org_id, name) ON DELETE CASCADE
);
