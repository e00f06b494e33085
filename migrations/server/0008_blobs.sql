-- Attachments (photos, PDFs), named by the SHA-256 of their bytes, in the
-- database itself: stored in the same durable transactions as everything
-- else (acknowledged means durable), in the same backups, and erased with
-- the same care (GDPR: the free pages are vacuumed).
-- The bytes come last: a column after a large blob can only be read by
-- walking the blob's overflow pages.
CREATE TABLE blobs (
    hash      TEXT PRIMARY KEY,
    stored_at INTEGER NOT NULL,           -- ms
    stored_by TEXT NOT NULL,              -- the device that completed it
    bytes     BLOB NOT NULL
) STRICT;

-- The verified chunks of uploads still under way: an upload cut at any
-- point resumes after the last chunk kept here.
CREATE TABLE blob_parts (
    hash       TEXT NOT NULL,
    offset     INTEGER NOT NULL,
    total      INTEGER NOT NULL,
    device_id  TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    bytes      BLOB NOT NULL,
    PRIMARY KEY (hash, offset)
) STRICT;

-- Which case references which attachment, as of its last merge: who may
-- upload or read an attachment follows from who may see the cases.
CREATE TABLE case_blobs (
    case_id TEXT NOT NULL,
    hash    TEXT NOT NULL,
    PRIMARY KEY (case_id, hash)
) STRICT, WITHOUT ROWID;
CREATE INDEX case_blobs_hash ON case_blobs (hash);

-- When an attachment lost its last reference (removed after a grace period).
CREATE TABLE blob_orphans (
    hash  TEXT PRIMARY KEY,
    since INTEGER NOT NULL
) STRICT;
