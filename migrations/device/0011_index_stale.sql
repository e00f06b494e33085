-- Cases whose index row may be behind their document. A sync marks a case
-- here in the transaction that settles it and makes its row beside the
-- session, on a thread of its own; writing the row clears the mark. A mark
-- a cut-off session left behind is made good by the next pass over the
-- index (`refresh_for_today`, run when the store is opened and after every
-- sync).
CREATE TABLE IF NOT EXISTS index_stale (doc_id TEXT PRIMARY KEY) WITHOUT ROWID;
