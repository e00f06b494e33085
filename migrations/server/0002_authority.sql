-- Recovery windows: while one is open (after the server was restored from a
-- backup), a device may bring back changes another device of the case's
-- people made and the server lost; each is audited as relayed.
CREATE TABLE recovery_windows (
    id        INTEGER PRIMARY KEY,
    opened_at INTEGER NOT NULL,
    until_ms  INTEGER NOT NULL,
    opened_by TEXT NOT NULL,
    reason    TEXT NOT NULL
) STRICT;

-- Work a device had not synced when it lost a case (unassigned, revoked):
-- kept for the team's supervisor, who merges it into the case or discards it.
CREATE TABLE quarantine (
    id         INTEGER PRIMARY KEY,
    case_id    TEXT NOT NULL,
    team_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    changes    BLOB NOT NULL,             -- automerge changes, as CaseDoc::save_after writes them
    at         INTEGER NOT NULL,
    decided_at INTEGER,
    decided_by TEXT,
    decision   TEXT CHECK (decision IN ('merged', 'discarded'))
) STRICT;
CREATE INDEX quarantine_team ON quarantine(team_id, decided_at);
