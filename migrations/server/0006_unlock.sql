-- A device locked after too many wrong PINs opens again with the server:
-- each device's unlock secret (made at enrolment, the device keeps its key
-- wrapped by it beside the PIN's wrapping) is handed back once, for a
-- one-time code an administrator makes.
ALTER TABLE devices ADD COLUMN unlock_secret BLOB;
CREATE TABLE unlock_codes (
    code_hash  BLOB PRIMARY KEY,
    device_id  TEXT NOT NULL REFERENCES devices(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;
