-- Server tables over the shared document store.

CREATE TABLE teams (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id         TEXT PRIMARY KEY,          -- "ann.peeters"
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('bridge-worker', 'housing-adviser', 'supervisor', 'admin')),
    team_id    TEXT NOT NULL REFERENCES teams(id),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE devices (
    id         TEXT PRIMARY KEY,          -- UUID
    user_id    TEXT NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,      -- SHA-256 of the token; the token itself is never stored
    created_at INTEGER NOT NULL,
    revoked_at INTEGER,
    last_seen  INTEGER
) STRICT;

CREATE TABLE enrol_codes (
    code_hash  BLOB PRIMARY KEY,          -- SHA-256 of the one-time code
    user_id    TEXT NOT NULL REFERENCES users(id),
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;

-- Which documents exist on the server, their team, creator and change sequence.
CREATE TABLE doc_feed (
    doc_id     TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL UNIQUE,   -- bumped on every stored change; global and monotonic
    team_id    TEXT NOT NULL,
    created_by TEXT NOT NULL
) STRICT;

CREATE TABLE case_access (
    case_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (case_id, user_id)
) STRICT;
CREATE INDEX case_access_user ON case_access(user_id);

-- Persisted automerge sync state (shared_heads) per device and document.
CREATE TABLE sync_states (
    device_id TEXT NOT NULL,
    doc_id    TEXT NOT NULL,
    state     BLOB NOT NULL,
    PRIMARY KEY (device_id, doc_id)
) STRICT;

-- Who did what, when: never tokens or case contents.
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    user_id   TEXT,
    device_id TEXT,
    action    TEXT NOT NULL,
    cases     TEXT NOT NULL DEFAULT '[]',  -- JSON array of case ids
    detail    TEXT NOT NULL DEFAULT ''
) STRICT;

-- Admin changes the running server must act on (revocations, assignments);
-- the CLI appends, the server polls.
CREATE TABLE admin_events (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT NOT NULL CHECK (kind IN ('revoke', 'assign', 'unassign')),
    device_id TEXT,
    user_id   TEXT,
    case_id   TEXT
) STRICT;
