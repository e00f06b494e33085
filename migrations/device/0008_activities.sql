-- The team's collective activities (one automerge document), stored like
-- the catalogue: the document, the server's heads as last received, and a
-- write counter.
CREATE TABLE activities (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    doc     BLOB NOT NULL,
    known   TEXT NOT NULL DEFAULT '[]',
    version INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The last report fetched from the server, readable offline.
CREATE TABLE last_report (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    report     TEXT NOT NULL,             -- brug_shared::report::Report as JSON
    fetched_at INTEGER NOT NULL
) STRICT;
