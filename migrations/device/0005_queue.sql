-- What waits in each case, one row per item (a record to review, an action
-- past its deadline, a conflicting field, a safety signal and its follow-up
-- time): the supervisor's queue lists these, grouped by reason (rank: the
-- reason's place in the queue) and sorted by when they are due. Rows get
-- them when they are next computed; the day's refresh is asked for now.
CREATE TABLE queue_item (
    case_id TEXT NOT NULL,
    rank INTEGER NOT NULL,
    reason TEXT NOT NULL,
    record TEXT,
    kind TEXT,
    due TEXT,
    nl TEXT NOT NULL,
    en TEXT NOT NULL
);
CREATE INDEX queue_item_case ON queue_item (case_id);
CREATE INDEX queue_item_order ON queue_item (rank, due);
DELETE FROM settings WHERE key = 'indexed_on';
