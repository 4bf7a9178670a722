-- The audit log endpoint (GET /v1/organization/audit_logs): entries are stored in the spec's
-- terms (type, payload, project), translated when the change appends them.
ALTER TABLE audit_log ADD COLUMN project_id TEXT COLLATE "C";

-- Entries written before this migration are put in the same terms: the project they are about,
-- the spec's type for memberships, and their payload's `id`.
UPDATE audit_log SET project_id = resource_id
    WHERE type IN ('project.created', 'project.updated', 'project.archived');
UPDATE audit_log SET project_id = payload ->> 'project_id'
    WHERE payload ->> 'project_id' IS NOT NULL;
UPDATE audit_log
    SET type = CASE type WHEN 'project.user.added' THEN 'user.added'
                         WHEN 'project.user.updated' THEN 'user.updated'
                         ELSE 'user.deleted' END,
        resource_id = payload ->> 'user_id',
        payload = CASE type WHEN 'project.user.added'
                            THEN jsonb_build_object('id', payload ->> 'user_id',
                                 'data', jsonb_build_object('role', payload ->> 'role'))
                            WHEN 'project.user.updated'
                            THEN jsonb_build_object('id', payload ->> 'user_id',
                                 'changes_requested', jsonb_build_object('role', payload ->> 'role'))
                            ELSE jsonb_build_object('id', payload ->> 'user_id') END
    WHERE type IN ('project.user.added', 'project.user.updated', 'project.user.removed');
UPDATE audit_log
    SET type = CASE type WHEN 'project.group.added' THEN 'role.assignment.created'
                         ELSE 'role.assignment.deleted' END,
        resource_id = payload ->> 'group_id',
        payload = jsonb_build_object('principal_id', payload ->> 'group_id',
                                     'principal_type', 'group', 'resource_id', project_id,
                                     'resource_type', 'api.project')
    WHERE type IN ('project.group.added', 'project.group.removed');
UPDATE audit_log SET type = 'group.updated',
                     payload = jsonb_build_object('changes_requested', '{}'::jsonb)
    WHERE type IN ('group.user.added', 'group.user.removed');
UPDATE audit_log SET payload = payload || jsonb_build_object('id', resource_id)
    WHERE NOT payload ? 'id' AND type NOT LIKE 'role.assignment.%';

-- The list's order (newest first) and time ranges.
CREATE INDEX audit_log_by_time ON audit_log (org_id, effective_at, seq);
-- A page's cursor, by entry id.
CREATE INDEX audit_log_by_id ON audit_log (org_id, id);
-- The filters, each in list order within its value.
CREATE INDEX audit_log_by_type ON audit_log (org_id, type, effective_at, seq);
CREATE INDEX audit_log_by_resource ON audit_log (org_id, resource_id, effective_at, seq);
CREATE INDEX audit_log_by_actor ON audit_log (org_id, actor_key_id, effective_at, seq)
    WHERE actor_key_id IS NOT NULL;
CREATE INDEX audit_log_by_project ON audit_log (org_id, project_id, effective_at, seq)
    WHERE project_id IS NOT NULL;
