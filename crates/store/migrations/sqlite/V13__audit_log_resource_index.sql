-- The index of entries by resource leaves this file for a file of its own beside it
-- (`sqlite::audit_index`), kept up to date by a thread of its own. Each entry's resource is a
-- random place in that index, so here the index cost every move of waiting entries one page read
-- and written per entry, under the one writer's lock and in its fsyncs (docs/benchmarks.md).
DROP INDEX audit_log_by_resource;

-- Which set of rows the other file's index describes. Rows of `audit_log` are only ever added
-- with a `seq` above those indexed, except by a statement that deletes or rewrites rows (a reset,
-- a restore): these triggers give the table a new token then, and an index made under another
-- token is rebuilt before reads use it again.
CREATE TABLE audit_log_version (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    token INTEGER NOT NULL
);
INSERT INTO audit_log_version (id, token) VALUES (1, random());

CREATE TRIGGER audit_log_rows_deleted AFTER DELETE ON audit_log
BEGIN
    UPDATE audit_log_version SET token = random() WHERE id = 1;
END;

CREATE TRIGGER audit_log_rows_rewritten
AFTER UPDATE OF seq, org, resource_id, effective_at ON audit_log
BEGIN
    UPDATE audit_log_version SET token = random() WHERE id = 1;
END;
