-- Admin keys managed over HTTP (/v1/organization/admin_api_keys): the redacted form listings
-- show, an optional expiry and the last use, all in the organization's time.
ALTER TABLE admin_keys ADD COLUMN redacted_value TEXT NOT NULL DEFAULT '';
ALTER TABLE admin_keys ADD COLUMN expires_at INTEGER;
ALTER TABLE admin_keys ADD COLUMN last_used_at INTEGER;
-- Keys made before this migration are known only by their last four characters.
UPDATE admin_keys SET redacted_value = 'sk-admin-...' || last4;
-- The list of one organization's keys, in list order.
CREATE INDEX admin_keys_by_org ON admin_keys (org_id, created_at, id);
