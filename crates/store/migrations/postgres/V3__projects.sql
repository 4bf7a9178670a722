-- Projects, their members, service accounts, project API keys and the groups granted access.
CREATE TABLE projects (
    org_id          TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    id              TEXT COLLATE "C" NOT NULL,
    name            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    archived_at     BIGINT,
    is_default      BOOLEAN NOT NULL DEFAULT false,
    external_key_id TEXT,
    residency       TEXT,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX projects_list_order ON projects (org_id, created_at, id);
-- One Default project per organization.
CREATE UNIQUE INDEX projects_default ON projects (org_id) WHERE is_default;

-- Every organization has its Default project from the moment it exists: existing ones get it
-- here, new ones from the trigger, whichever code path inserts them. The id is `proj_` and 24
-- upper-case hex digits, within the contract's 24 of [A-Za-z0-9].
CREATE FUNCTION default_project_id() RETURNS TEXT LANGUAGE SQL VOLATILE AS
$$ SELECT 'proj_' || upper(substr(replace(gen_random_uuid()::text, '-', ''), 1, 24)) $$;

INSERT INTO projects (org_id, id, name, created_at, is_default)
SELECT id, default_project_id(), 'Default project', created_at, true FROM organizations;

CREATE FUNCTION add_default_project() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO projects (org_id, id, name, created_at, is_default)
    VALUES (NEW.id, default_project_id(), 'Default project', NEW.created_at, true);
    RETURN NEW;
END
$$;
CREATE TRIGGER organizations_default_project AFTER INSERT ON organizations
FOR EACH ROW EXECUTE FUNCTION add_default_project();

-- Direct members of projects, in the order they were added.
CREATE TABLE project_users (
    org_id     TEXT COLLATE "C" NOT NULL,
    project_id TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'member')),
    added_at   BIGINT NOT NULL,
    PRIMARY KEY (org_id, project_id, user_id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id)
);
CREATE INDEX project_users_list_order ON project_users (org_id, project_id, added_at, user_id);
-- A user's projects (the `projects` field of every user object).
CREATE INDEX project_users_of_user ON project_users (org_id, user_id, project_id, role);

-- Existing users become members of their organization's Default project.
INSERT INTO project_users (org_id, project_id, user_id, role, added_at)
SELECT u.org_id, p.id, u.id, CASE u.role WHEN 'owner' THEN 'owner' ELSE 'member' END, u.added_at
FROM users AS u JOIN projects AS p ON p.org_id = u.org_id AND p.is_default
WHERE NOT u.deleted;

-- The `projects.data` JSON of each user object (its active direct projects, oldest first;
-- NULL for none), kept by every change of memberships and projects: computed per user on every
-- read, it more than halved the list's throughput (docs/benchmarks.md).
ALTER TABLE users ADD COLUMN projects_data TEXT;
UPDATE users SET projects_data = (SELECT '[' || string_agg('{"id":' || to_json(p.id)::text
    || ',"name":' || to_json(p.name)::text || ',"role":' || to_json(m.role)::text || '}', ','
    ORDER BY p.created_at, p.id) || ']'
    FROM project_users AS m JOIN projects AS p ON p.org_id = m.org_id AND p.id = m.project_id
    WHERE m.org_id = users.org_id AND m.user_id = users.id AND p.archived_at IS NULL)
WHERE NOT deleted;

CREATE TABLE service_accounts (
    org_id     TEXT COLLATE "C" NOT NULL,
    project_id TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'member', 'none')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id)
);
CREATE INDEX service_accounts_list_order ON service_accounts (org_id, project_id, created_at, id);

-- Keys of a project, owned by a user or a service account. The secret is kept as its SHA-256
-- only; a key imported without one authenticates nothing.
CREATE TABLE project_api_keys (
    org_id         TEXT COLLATE "C" NOT NULL,
    project_id     TEXT COLLATE "C" NOT NULL,
    id             TEXT COLLATE "C" NOT NULL,
    name           TEXT NOT NULL,
    redacted_value TEXT NOT NULL,
    value_sha256   BYTEA,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT,
    owner_type     TEXT NOT NULL CHECK (owner_type IN ('user', 'service_account')),
    owner_id       TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id)
);
CREATE INDEX project_api_keys_list_order ON project_api_keys (org_id, project_id, created_at, id);
CREATE INDEX project_api_keys_of_owner ON project_api_keys (org_id, owner_id);

-- Groups granted access to a project, with the project role they hold there.
CREATE TABLE project_groups (
    org_id     TEXT COLLATE "C" NOT NULL,
    project_id TEXT COLLATE "C" NOT NULL,
    group_id   TEXT COLLATE "C" NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'member')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, project_id, group_id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id),
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id)
);
CREATE INDEX project_groups_list_order ON project_groups (org_id, project_id, created_at, group_id);
CREATE INDEX project_groups_of_group ON project_groups (org_id, group_id);

-- Where items that left a first/last list (a removed project user, a deleted service account or
-- key) stood in it, so that an `after` naming one still places the next page: a walk over a
-- list being changed goes on where it was instead of failing.
CREATE TABLE list_departures (
    org_id TEXT COLLATE "C" NOT NULL,
    list   TEXT NOT NULL,
    parent TEXT COLLATE "C" NOT NULL,
    id     TEXT COLLATE "C" NOT NULL,
    at     BIGINT NOT NULL,
    PRIMARY KEY (org_id, list, parent, id)
);
