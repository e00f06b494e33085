-- The background projector reads a case beside the writer and writes its
-- series in a short transaction after; a change stored meanwhile bumps the
-- source's version, so the projector keeps it marked (projected again)
-- instead of clearing a mark it did not see.
ALTER TABLE report_dirty ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
