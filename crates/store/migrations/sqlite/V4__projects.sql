-- Projects, their members, service accounts, project API keys and the groups granted access.
CREATE TABLE projects (
    org             INTEGER NOT NULL REFERENCES organizations (seq),
    id              TEXT NOT NULL,
    name            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    archived_at     INTEGER,
    is_default      INTEGER NOT NULL DEFAULT 0,
    external_key_id TEXT,
    residency       TEXT,
    PRIMARY KEY (org, id)
);
CREATE INDEX projects_list_order ON projects (org, created_at, id);
-- One Default project per organization.
CREATE UNIQUE INDEX projects_default ON projects (org) WHERE is_default = 1;

-- Every organization has its Default project from the moment it exists: existing ones get it
-- here, new ones from the trigger, whichever code path inserts them. The id is `proj_` and 24
-- upper-case hex digits, within the contract's 24 of [A-Za-z0-9].
INSERT INTO projects (org, id, name, created_at, is_default)
SELECT seq, 'proj_' || hex(randomblob(12)), 'Default project', created_at, 1 FROM organizations;

CREATE TRIGGER organizations_default_project AFTER INSERT ON organizations
BEGIN
    INSERT INTO projects (org, id, name, created_at, is_default)
    VALUES (NEW.seq, 'proj_' || hex(randomblob(12)), 'Default project', NEW.created_at, 1);
END;

-- Direct members of projects, in the order they were added.
CREATE TABLE project_users (
    org        INTEGER NOT NULL,
    project_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'member')),
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (org, project_id, user_id),
    FOREIGN KEY (org, project_id) REFERENCES projects (org, id)
);
CREATE INDEX project_users_list_order ON project_users (org, project_id, added_at, user_id);
-- A user's projects (the `projects` field of every user object): covering, so that a page of
-- users reads no membership row beyond this index.
CREATE INDEX project_users_of_user ON project_users (org, user_id, project_id, role);

-- Existing users become members of their organization's Default project.
INSERT INTO project_users (org, project_id, user_id, role, added_at)
SELECT u.org, p.id, u.id, CASE u.role WHEN 'owner' THEN 'owner' ELSE 'member' END, u.added_at
FROM users AS u JOIN projects AS p ON p.org = u.org AND p.is_default = 1
WHERE u.deleted = 0;

-- The `projects.data` JSON of each user object (its active direct projects, oldest first;
-- NULL for none), kept by every change of memberships and projects: computed per user on every
-- read, it more than halved the list's throughput (docs/benchmarks.md).
ALTER TABLE users ADD COLUMN projects_data TEXT;
UPDATE users SET projects_data = (SELECT '[' || group_concat('{"id":' || json_quote(p.id)
    || ',"name":' || json_quote(p.name) || ',"role":' || json_quote(m.role) || '}', ','
    ORDER BY p.created_at, p.id) || ']'
    FROM project_users AS m JOIN projects AS p ON p.org = m.org AND p.id = m.project_id
    WHERE m.org = users.org AND m.user_id = users.id AND p.archived_at IS NULL)
WHERE deleted = 0;

CREATE TABLE service_accounts (
    org        INTEGER NOT NULL,
    project_id TEXT NOT NULL,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'member', 'none')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org, id),
    FOREIGN KEY (org, project_id) REFERENCES projects (org, id)
);
CREATE INDEX service_accounts_list_order ON service_accounts (org, project_id, created_at, id);

-- Keys of a project, owned by a user or a service account. The secret is kept as its SHA-256
-- only; a key imported without one authenticates nothing.
CREATE TABLE project_api_keys (
    org            INTEGER NOT NULL,
    project_id     TEXT NOT NULL,
    id             TEXT NOT NULL,
    name           TEXT NOT NULL,
    redacted_value TEXT NOT NULL,
    value_sha256   BLOB,
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER,
    owner_type     TEXT NOT NULL CHECK (owner_type IN ('user', 'service_account')),
    owner_id       TEXT NOT NULL,
    PRIMARY KEY (org, id),
    FOREIGN KEY (org, project_id) REFERENCES projects (org, id)
);
CREATE INDEX project_api_keys_list_order ON project_api_keys (org, project_id, created_at, id);
CREATE INDEX project_api_keys_of_owner ON project_api_keys (org, owner_id);

-- Groups granted access to a project, with the project role they hold there.
CREATE TABLE project_groups (
    org        INTEGER NOT NULL,
    project_id TEXT NOT NULL,
    group_id   TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'member')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org, project_id, group_id),
    FOREIGN KEY (org, project_id) REFERENCES projects (org, id),
    FOREIGN KEY (org, group_id) REFERENCES groups (org, id)
);
CREATE INDEX project_groups_list_order ON project_groups (org, project_id, created_at, group_id);
CREATE INDEX project_groups_of_group ON project_groups (org, group_id);

-- Where items that left a first/last list (a removed project user, a deleted service account or
-- key) stood in it, so that an `after` naming one still places the next page: a walk over a
-- list being changed goes on where it was instead of failing.
CREATE TABLE list_departures (
    org    INTEGER NOT NULL,
    list   TEXT NOT NULL,
    parent TEXT NOT NULL,
    id     TEXT NOT NULL,
    at     INTEGER NOT NULL,
    PRIMARY KEY (org, list, parent, id)
);
