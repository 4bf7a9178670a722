-- The user who owns an admin key (`orgusers keys create --owner`, or the owner of the key that
-- made it over HTTP); null for a key no user owns. A user's id in the key's organization; the
-- key shows its owner only while that user is live.
ALTER TABLE admin_keys ADD COLUMN owner_user_id TEXT;

-- The owner of the acting key as it was when the change was made: its id, its email as the
-- user had it (what entries show) and that email folded (what `actor_emails` matches, as the
-- users' `emails` filter folds). Null when the key had no owner, or for no actor.
ALTER TABLE audit_log ADD COLUMN actor_user_id TEXT;
ALTER TABLE audit_log ADD COLUMN actor_email TEXT;
ALTER TABLE audit_log ADD COLUMN actor_email_folded TEXT;
ALTER TABLE audit_log_pending ADD COLUMN actor_user_id TEXT;
ALTER TABLE audit_log_pending ADD COLUMN actor_email TEXT;
ALTER TABLE audit_log_pending ADD COLUMN actor_email_folded TEXT;

DROP VIEW audit_log_entries;
CREATE VIEW audit_log_entries AS
    SELECT seq, org, id, type, effective_at, resource_id, payload, actor_key_id, project_id,
           actor_user_id, actor_email, actor_email_folded
        FROM audit_log
    UNION ALL
    SELECT seq, org, id, type, effective_at, resource_id, payload, actor_key_id, project_id,
           actor_user_id, actor_email, actor_email_folded
        FROM audit_log_pending;

-- The filters `actor_ids` (as a user id) and `actor_emails`, each in list order within its
-- value, as `audit_log_by_actor`. `audit_log_pending` keeps no index but its key (V11).
CREATE INDEX audit_log_by_actor_user ON audit_log (org, actor_user_id, effective_at, seq)
    WHERE actor_user_id IS NOT NULL;
CREATE INDEX audit_log_by_actor_email ON audit_log (org, actor_email_folded, effective_at, seq)
    WHERE actor_email_folded IS NOT NULL;
