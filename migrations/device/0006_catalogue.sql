-- The team's referral catalogue (one automerge document), with the server's
-- heads as last received; version counts every write so a second handle on
-- the store sees that it changed.
CREATE TABLE catalogue (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    doc     BLOB NOT NULL,
    known   TEXT NOT NULL DEFAULT '[]',
    version INTEGER NOT NULL DEFAULT 0
) STRICT;
