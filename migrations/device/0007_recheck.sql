-- The first day on which a case's date-dependent flags, queue items or next
-- appointment may change ('9999-12-31': none depends on the date). The
-- day's pass opens only the cases whose day has come; rows from before
-- this column are all looked at once.
ALTER TABLE case_index ADD COLUMN recheck_on TEXT NOT NULL DEFAULT '0000-01-01';
