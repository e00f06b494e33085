-- GDPR erasure (issue 16): a case gets a new generation without the erased
-- data; the running server must drop its cached copy at once, so erasure
-- joins the admin events the CLI appends and the server polls.
CREATE TABLE admin_events_new (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT NOT NULL CHECK (kind IN ('revoke', 'assign', 'unassign', 'erase')),
    device_id TEXT,
    user_id   TEXT,
    case_id   TEXT
) STRICT;
INSERT INTO admin_events_new (seq, kind, device_id, user_id, case_id)
    SELECT seq, kind, device_id, user_id, case_id FROM admin_events;
DROP TABLE admin_events;
ALTER TABLE admin_events_new RENAME TO admin_events;

-- Every erasure: what (paths, never values), who asked, why. The audit log
-- has the same; this table is what `erasures` lists and the retention job
-- reads.
CREATE TABLE erasures (
    id         INTEGER PRIMARY KEY,
    case_id    TEXT NOT NULL,
    generation INTEGER NOT NULL,          -- 0: the whole case was erased
    at         INTEGER NOT NULL,          -- ms
    by_user    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    erased     TEXT NOT NULL              -- JSON array of paths
) STRICT;
CREATE INDEX erasures_case ON erasures (case_id);

-- The generation of each stored case (the document says it too): a server
-- compares it with its cached copy before every use, so a copy cached
-- before an erasure made by another process is never served or merged.
ALTER TABLE documents ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
