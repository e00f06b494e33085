-- The rest of the server's tables on PostgreSQL, in the shape of the
-- SQLite ones (migrations/server/0001 to 0009): enrolment and unlock codes,
-- recovery windows, the quarantine, team documents, the report projection,
-- photos, admin events and erasures. Whole numbers are BIGINT; ids that
-- SQLite hands out are BIGSERIAL here (a copy sets the sequence after).

CREATE TABLE enrol_codes (
    code_hash  BYTEA  PRIMARY KEY,        -- SHA-256 of the one-time code
    user_id    TEXT   NOT NULL REFERENCES users(id),
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE TABLE unlock_codes (
    code_hash  BYTEA  PRIMARY KEY,
    device_id  TEXT   NOT NULL REFERENCES devices(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE TABLE recovery_windows (
    id        BIGSERIAL PRIMARY KEY,
    opened_at BIGINT NOT NULL,
    until_ms  BIGINT NOT NULL,
    opened_by TEXT   NOT NULL,
    reason    TEXT   NOT NULL
);

CREATE TABLE quarantine (
    id         BIGSERIAL PRIMARY KEY,
    case_id    TEXT   NOT NULL,
    team_id    TEXT   NOT NULL,
    user_id    TEXT   NOT NULL,
    device_id  TEXT   NOT NULL,
    changes    BYTEA  NOT NULL,
    at         BIGINT NOT NULL,
    decided_at BIGINT,
    decided_by TEXT,
    decision   TEXT CHECK (decision IN ('merged', 'discarded'))
);
CREATE INDEX quarantine_team ON quarantine (team_id, decided_at);

CREATE TABLE team_catalogue (
    team_id    TEXT   PRIMARY KEY,
    doc        BYTEA  NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE team_activities (
    team_id    TEXT   PRIMARY KEY,
    doc        BYTEA  NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE report_dirty (
    source  TEXT   PRIMARY KEY,
    version BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE report_series (
    source    TEXT   NOT NULL,
    team_id   TEXT   NOT NULL,
    case_id   TEXT,
    postcode  TEXT   NOT NULL DEFAULT '',
    worker    TEXT   NOT NULL DEFAULT '',
    kind      TEXT   NOT NULL,
    detail    TEXT   NOT NULL DEFAULT '',
    outcome   TEXT   NOT NULL DEFAULT '',
    first_day TEXT   NOT NULL,
    last_day  TEXT   NOT NULL,
    facts     BIGINT NOT NULL,
    days      BYTEA  NOT NULL
);
CREATE INDEX report_series_source ON report_series (source);
CREATE INDEX report_series_team ON report_series (team_id, case_id);
CREATE INDEX report_series_case ON report_series (case_id);

CREATE TABLE blobs (
    hash      TEXT   PRIMARY KEY,
    stored_at BIGINT NOT NULL,
    stored_by TEXT   NOT NULL,
    bytes     BYTEA  NOT NULL
);

CREATE TABLE blob_parts (
    hash       TEXT   NOT NULL,
    "offset"   BIGINT NOT NULL,
    total      BIGINT NOT NULL,
    device_id  TEXT   NOT NULL,
    updated_at BIGINT NOT NULL,
    bytes      BYTEA  NOT NULL,
    PRIMARY KEY (hash, "offset")
);

CREATE TABLE case_blobs (
    case_id TEXT NOT NULL,
    hash    TEXT NOT NULL,
    PRIMARY KEY (case_id, hash)
);
CREATE INDEX case_blobs_hash ON case_blobs (hash);

CREATE TABLE blob_orphans (
    hash  TEXT   PRIMARY KEY,
    since BIGINT NOT NULL
);

CREATE TABLE admin_events (
    seq       BIGSERIAL PRIMARY KEY,
    kind      TEXT NOT NULL CHECK (kind IN ('revoke', 'assign', 'unassign', 'erase')),
    device_id TEXT,
    user_id   TEXT,
    case_id   TEXT
);

CREATE TABLE erasures (
    id         BIGSERIAL PRIMARY KEY,
    case_id    TEXT   NOT NULL,
    generation BIGINT NOT NULL,
    at         BIGINT NOT NULL,
    by_user    TEXT   NOT NULL,
    reason     TEXT   NOT NULL,
    erased     TEXT   NOT NULL
);
CREATE INDEX erasures_case ON erasures (case_id);
