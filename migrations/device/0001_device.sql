-- Device tables over the shared document store, inside the SQLCipher database.

-- Enrolment and sync bookkeeping: device id, user, server, token, cursor,
-- last successful sync, last error, lease days.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- One row per case so lists and searches never open a document.
CREATE TABLE case_index (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    address          TEXT NOT NULL,
    postcode         TEXT NOT NULL,
    status           TEXT NOT NULL,
    flags            TEXT NOT NULL DEFAULT '[]',   -- JSON array of flag codes
    workers          TEXT NOT NULL DEFAULT '[]',   -- JSON array of user ids who edited
    schools          TEXT NOT NULL DEFAULT '',
    next_appointment TEXT,                          -- ISO local date-time
    conflicts        INTEGER NOT NULL DEFAULT 0,
    updated_at       INTEGER NOT NULL,
    search           TEXT NOT NULL                  -- lower-case name, address, schools
) STRICT;
CREATE INDEX case_index_next ON case_index(next_appointment);
CREATE INDEX case_index_status ON case_index(status);

-- Automerge sync state (shared heads) per case, with the server.
CREATE TABLE sync_states (
    doc_id TEXT PRIMARY KEY,
    state  BLOB NOT NULL
) STRICT;

-- Cases with changes the server has not acknowledged; `new` when made here.
CREATE TABLE pending (
    doc_id TEXT PRIMARY KEY,
    new    INTEGER NOT NULL DEFAULT 0
) STRICT;
