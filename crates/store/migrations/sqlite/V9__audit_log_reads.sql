-- The audit log endpoint (GET /v1/organization/audit_logs): entries are stored in the spec's
-- terms (type, payload, project), translated when the change appends them.
ALTER TABLE audit_log ADD COLUMN project_id TEXT;

-- Entries written before this migration are put in the same terms: the project they are about,
-- the spec's type for memberships, and their payload's `id`.
UPDATE audit_log SET project_id = resource_id
    WHERE type IN ('project.created', 'project.updated', 'project.archived');
UPDATE audit_log SET project_id = json_extract(payload, '$.project_id')
    WHERE json_extract(payload, '$.project_id') IS NOT NULL;
UPDATE audit_log
    SET type = CASE type WHEN 'project.user.added' THEN 'user.added'
                         WHEN 'project.user.updated' THEN 'user.updated'
                         ELSE 'user.deleted' END,
        resource_id = json_extract(payload, '$.user_id'),
        payload = CASE type WHEN 'project.user.added'
                            THEN json_object('id', json_extract(payload, '$.user_id'),
                                             'data', json_object('role', json_extract(payload, '$.role')))
                            WHEN 'project.user.updated'
                            THEN json_object('id', json_extract(payload, '$.user_id'),
                                             'changes_requested', json_object('role', json_extract(payload, '$.role')))
                            ELSE json_object('id', json_extract(payload, '$.user_id')) END
    WHERE type IN ('project.user.added', 'project.user.updated', 'project.user.removed');
UPDATE audit_log
    SET type = CASE type WHEN 'project.group.added' THEN 'role.assignment.created'
                         ELSE 'role.assignment.deleted' END,
        resource_id = json_extract(payload, '$.group_id'),
        payload = json_object('principal_id', json_extract(payload, '$.group_id'),
                              'principal_type', 'group', 'resource_id', project_id,
                              'resource_type', 'api.project')
    WHERE type IN ('project.group.added', 'project.group.removed');
UPDATE audit_log SET type = 'group.updated', payload = json_object('changes_requested', json_object())
    WHERE type IN ('group.user.added', 'group.user.removed');
UPDATE audit_log SET payload = json_set(payload, '$.id', resource_id)
    WHERE json_extract(payload, '$.id') IS NULL AND type NOT LIKE 'role.assignment.%';

-- The list's order (newest first) and time ranges.
CREATE INDEX audit_log_by_time ON audit_log (org, effective_at, seq);
-- A page's cursor, by entry id.
CREATE INDEX audit_log_by_id ON audit_log (org, id);
-- The filters, each in list order within its value.
CREATE INDEX audit_log_by_type ON audit_log (org, type, effective_at, seq);
CREATE INDEX audit_log_by_resource ON audit_log (org, resource_id, effective_at, seq);
CREATE INDEX audit_log_by_actor ON audit_log (org, actor_key_id, effective_at, seq)
    WHERE actor_key_id IS NOT NULL;
CREATE INDEX audit_log_by_project ON audit_log (org, project_id, effective_at, seq)
    WHERE project_id IS NOT NULL;
