-- The case list (local::search without a filter) reads this index alone,
-- already in the list's order: no sort, and no pages of the table itself
-- (whose `search` column repeats name, address and schools) to read and
-- decrypt on the first list after unlocking.
CREATE INDEX case_index_list ON case_index (
    next_appointment IS NULL, next_appointment, name,
    id, address, postcode, status, flags, workers, schools, conflicts, updated_at, search
);
