-- The admin key whose request made each change (the audit log's actor); null for changes made
-- outside a request.
ALTER TABLE audit_log ADD COLUMN actor_key_id TEXT;
