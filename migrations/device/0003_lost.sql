-- Cases this device may no longer hold (unassigned, or access removed) but
-- whose unsynced work has not yet been handed to the server's quarantine:
-- hidden from the case list, kept until the server gave a receipt.
CREATE TABLE lost (
    doc_id TEXT PRIMARY KEY,
    since  INTEGER NOT NULL
) STRICT;
