-- Photos and PDFs, named by the SHA-256 of their bytes, inside the
-- encrypted database: encrypted at rest with the store's key, written in
-- the same transaction as the reference to them, never in a plain file.
-- The bytes come last: a column after a large blob can only be read by
-- walking (and decrypting) the blob's overflow pages.
CREATE TABLE blobs (
    hash     TEXT PRIMARY KEY,
    size     INTEGER NOT NULL,            -- length(bytes), so counting never reads the bytes
    added_at INTEGER NOT NULL,            -- ms; what was made here counts for the day's limit
    fetched  INTEGER NOT NULL DEFAULT 0,  -- 1: downloaded from the server (may be let go)
    sent     INTEGER NOT NULL DEFAULT 0,  -- 1: the server has it
    used_at  INTEGER NOT NULL,            -- ms, last shown (which full images to keep)
    bytes    BLOB NOT NULL
) STRICT;
CREATE INDEX blobs_unsent ON blobs (sent) WHERE sent = 0;

-- Which case references which attachment (written with the case's index
-- row): an attachment is shown, sent and kept while a case here needs it.
CREATE TABLE case_blobs (
    case_id  TEXT NOT NULL,
    hash     TEXT NOT NULL,
    thumb_of TEXT,                        -- a thumbnail: the photo it shows
    PRIMARY KEY (case_id, hash)
) STRICT, WITHOUT ROWID;
CREATE INDEX case_blobs_hash ON case_blobs (hash);
