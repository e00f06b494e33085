-- Case documents and the change feed on PostgreSQL: the same shape as the
-- SQLite store (migrations/store/0001, server/0001 and 0009), so a copy
-- between the two keeps every byte and heads as they were.

CREATE TABLE documents (
    id             TEXT PRIMARY KEY,
    snapshot       BYTEA   NOT NULL,
    snapshot_bytes BIGINT  NOT NULL,
    chunk_bytes    BIGINT  NOT NULL DEFAULT 0,
    -- JSON array of hex change hashes: the heads of snapshot + chunks.
    heads          TEXT    NOT NULL,
    updated_at     BIGINT  NOT NULL,
    generation     BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE document_chunks (
    doc_id TEXT    NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    n      INTEGER NOT NULL,
    data   BYTEA   NOT NULL,
    PRIMARY KEY (doc_id, n)
);

-- The one counter every stored change bumps. Its row lock is taken last in
-- a change's transaction and held until the commit, so sequence numbers are
-- handed out in commit order across every server (a PostgreSQL SEQUENCE is
-- not: a later number can commit first, and a device's cursor would skip
-- the earlier one).
CREATE TABLE feed_counter (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT  NOT NULL
);
INSERT INTO feed_counter (id, seq) VALUES (1, 0);

-- Which documents exist, their team, creator and place in the feed.
CREATE TABLE doc_feed (
    doc_id     TEXT   PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL UNIQUE,
    team_id    TEXT   NOT NULL,
    created_by TEXT   NOT NULL
);

CREATE TABLE case_access (
    case_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_access_user ON case_access (user_id);
