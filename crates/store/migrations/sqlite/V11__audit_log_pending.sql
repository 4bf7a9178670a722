-- Audit entries as their changes commit them. The table has no index but its key, so a change
-- writes one page for its entries instead of one per index of `audit_log` (the write path's
-- cost was those pages, each written again at every commit). The writer moves the entries into
-- `audit_log`, and so into its indexes, in batches (`sqlite::move_pending_entries`): an entry
-- keeps its `seq` and id, and reads see both tables through `audit_log_entries`.
CREATE TABLE audit_log_pending (
    seq          INTEGER PRIMARY KEY,
    org          INTEGER NOT NULL,
    id           TEXT NOT NULL,
    type         TEXT NOT NULL,
    effective_at INTEGER NOT NULL,
    resource_id  TEXT NOT NULL,
    payload      TEXT NOT NULL,
    actor_key_id TEXT,
    project_id   TEXT
);

-- Every entry, moved or not. Its arms keep their own indexes: a query with an organization, a
-- filter and an order is run on each arm and merged.
CREATE VIEW audit_log_entries AS
    SELECT seq, org, id, type, effective_at, resource_id, payload, actor_key_id, project_id
        FROM audit_log
    UNION ALL
    SELECT seq, org, id, type, effective_at, resource_id, payload, actor_key_id, project_id
        FROM audit_log_pending;
