-- Forms being filled in, saved as the worker types so nothing is lost when
-- the app closes, crashes or locks. Inside the encrypted database; removed
-- when the record is saved or the worker throws the draft away.
CREATE TABLE drafts (
    key        TEXT PRIMARY KEY,   -- "<case>/<kind>/<record>" or "new-case"
    body       TEXT NOT NULL,      -- JSON: the form's base and edited values
    updated_at INTEGER NOT NULL
) STRICT;
