-- The document store both sides build on: one row per case document with a
-- compacted snapshot, plus the incremental chunks saved since.
CREATE TABLE documents (
    id             TEXT PRIMARY KEY,
    snapshot       BLOB    NOT NULL,
    snapshot_bytes INTEGER NOT NULL,
    chunk_bytes    INTEGER NOT NULL DEFAULT 0,
    -- JSON array of hex change hashes: the heads of snapshot + chunks.
    heads          TEXT    NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE document_chunks (
    doc_id TEXT    NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    n      INTEGER NOT NULL,
    data   BLOB    NOT NULL,
    PRIMARY KEY (doc_id, n)
) STRICT;
