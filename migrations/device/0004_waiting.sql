-- Records waiting for a supervisor's review, per case: the queue counts the
-- records, not only the cases. Rows get it when they are next computed; the
-- day's refresh is asked for now so that happens on the next sync.
ALTER TABLE case_index ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
DELETE FROM settings WHERE key = 'indexed_on';
