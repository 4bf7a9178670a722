-- Custom organization roles (the two predefined ones are not rows: a user's `role` says which
-- one it holds). Names are unique per organization, compared case-insensitively (folded in the
-- application).
CREATE TABLE roles (
    org         INTEGER NOT NULL REFERENCES organizations (seq),
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    description TEXT,
    permissions TEXT NOT NULL, -- a JSON array of strings
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (org, id)
);
CREATE UNIQUE INDEX roles_name ON roles (org, name_folded);
CREATE INDEX roles_list_order ON roles (org, created_at, id);

CREATE TABLE groups (
    org        INTEGER NOT NULL REFERENCES organizations (seq),
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org, id)
);
CREATE INDEX groups_list_order ON groups (org, created_at, id);

-- Members of groups, in the order they were added.
CREATE TABLE group_users (
    org      INTEGER NOT NULL,
    group_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (org, group_id, user_id),
    FOREIGN KEY (org, group_id) REFERENCES groups (org, id)
);
CREATE INDEX group_users_list_order ON group_users (org, group_id, added_at, user_id);
CREATE INDEX group_users_of_user ON group_users (org, user_id);

-- Custom roles held directly by users.
CREATE TABLE user_roles (
    org         INTEGER NOT NULL,
    user_id     TEXT NOT NULL,
    role_id     TEXT NOT NULL,
    assigned_at INTEGER NOT NULL,
    PRIMARY KEY (org, user_id, role_id),
    FOREIGN KEY (org, role_id) REFERENCES roles (org, id)
);
CREATE INDEX user_roles_of_role ON user_roles (org, role_id);

-- Custom roles held by groups (and so by their members).
CREATE TABLE group_roles (
    org         INTEGER NOT NULL,
    group_id    TEXT NOT NULL,
    role_id     TEXT NOT NULL,
    assigned_at INTEGER NOT NULL,
    PRIMARY KEY (org, group_id, role_id),
    FOREIGN KEY (org, group_id) REFERENCES groups (org, id),
    FOREIGN KEY (org, role_id) REFERENCES roles (org, id)
);
CREATE INDEX group_roles_of_role ON group_roles (org, role_id);

-- What every change through the API wrote, in the change's own transaction. Appended in `seq`
-- order; no other index yet: each one is another page written by every change (the audit log
-- endpoint chooses the indexes its filters need).
CREATE TABLE audit_log (
    seq          INTEGER PRIMARY KEY,
    org          INTEGER NOT NULL REFERENCES organizations (seq),
    id           TEXT NOT NULL,
    type         TEXT NOT NULL,
    effective_at INTEGER NOT NULL,
    resource_id  TEXT NOT NULL,
    payload      TEXT NOT NULL -- a JSON object
);

-- Secrets of the store itself: the key that signs list cursors.
CREATE TABLE store_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
