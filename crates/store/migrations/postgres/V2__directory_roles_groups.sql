-- Custom organization roles (the two predefined ones are not rows: a user's `role` says which
-- one it holds). Names are unique per organization, compared case-insensitively (folded in the
-- application).
CREATE TABLE roles (
    org_id      TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    id          TEXT COLLATE "C" NOT NULL,
    name        TEXT NOT NULL,
    name_folded TEXT COLLATE "C" NOT NULL,
    description TEXT,
    permissions JSONB NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX roles_name ON roles (org_id, name_folded);
CREATE INDEX roles_list_order ON roles (org_id, created_at, id);

CREATE TABLE groups (
    org_id     TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    id         TEXT COLLATE "C" NOT NULL,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX groups_list_order ON groups (org_id, created_at, id);

-- Members of groups, in the order they were added.
CREATE TABLE group_users (
    org_id   TEXT COLLATE "C" NOT NULL,
    group_id TEXT COLLATE "C" NOT NULL,
    user_id  TEXT COLLATE "C" NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, group_id, user_id),
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id)
);
CREATE INDEX group_users_list_order ON group_users (org_id, group_id, added_at, user_id);
CREATE INDEX group_users_of_user ON group_users (org_id, user_id);

-- Custom roles held directly by users.
CREATE TABLE user_roles (
    org_id      TEXT COLLATE "C" NOT NULL,
    user_id     TEXT COLLATE "C" NOT NULL,
    role_id     TEXT COLLATE "C" NOT NULL,
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id, role_id),
    FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id)
);
CREATE INDEX user_roles_of_role ON user_roles (org_id, role_id);

-- Custom roles held by groups (and so by their members).
CREATE TABLE group_roles (
    org_id      TEXT COLLATE "C" NOT NULL,
    group_id    TEXT COLLATE "C" NOT NULL,
    role_id     TEXT COLLATE "C" NOT NULL,
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, group_id, role_id),
    FOREIGN KEY (org_id, group_id) REFERENCES groups (org_id, id),
    FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id)
);
CREATE INDEX group_roles_of_role ON group_roles (org_id, role_id);

-- What every change through the API wrote, in the change's own transaction. Appended in `seq`
-- order; no other index yet: each one is another page written by every change (the audit log
-- endpoint chooses the indexes its filters need).
CREATE TABLE audit_log (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    id           TEXT COLLATE "C" NOT NULL,
    type         TEXT NOT NULL,
    effective_at BIGINT NOT NULL,
    resource_id  TEXT COLLATE "C" NOT NULL,
    payload      JSONB NOT NULL
);

-- Secrets of the store itself: the key that signs list cursors.
CREATE TABLE store_secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
