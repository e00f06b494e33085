-- Teams, users, devices (token hashes only), access, per-device sync
-- states and the audit log on PostgreSQL: the shape of the SQLite tables
-- (migrations/server/0001, 0004, 0006), so a copy keeps every row.

CREATE TABLE teams (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    name       TEXT   NOT NULL,
    role       TEXT   NOT NULL CHECK (role IN ('bridge-worker', 'housing-adviser', 'supervisor', 'admin', 'policy')),
    team_id    TEXT   NOT NULL REFERENCES teams(id),
    created_at BIGINT NOT NULL
);

CREATE TABLE devices (
    id            TEXT   PRIMARY KEY,
    user_id       TEXT   NOT NULL REFERENCES users(id),
    name          TEXT   NOT NULL,
    token_hash    BYTEA  NOT NULL UNIQUE,   -- SHA-256 of the token; never the token
    created_at    BIGINT NOT NULL,
    revoked_at    BIGINT,
    last_seen     BIGINT,
    unlock_secret BYTEA
);

-- Access rows name users from now on (0001 made the table before users).
ALTER TABLE case_access
    ADD CONSTRAINT case_access_user_fk FOREIGN KEY (user_id) REFERENCES users(id);

-- Persisted automerge sync state per device and case: a device that
-- reconnects to another server carries on where it was.
CREATE TABLE sync_states (
    device_id TEXT  NOT NULL,
    doc_id    TEXT  NOT NULL,
    state     BYTEA NOT NULL,
    PRIMARY KEY (device_id, doc_id)
);

-- Who did what, when: never tokens or case contents.
CREATE TABLE audit (
    id        BIGSERIAL PRIMARY KEY,
    at        BIGINT NOT NULL,
    user_id   TEXT,
    device_id TEXT,
    action    TEXT   NOT NULL,
    cases     TEXT   NOT NULL DEFAULT '[]',
    detail    TEXT   NOT NULL DEFAULT ''
);
