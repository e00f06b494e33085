-- The report projection in series: a source's facts grouped by household,
-- worker and (kind, detail, outcome), each group's days packed in one blob
-- (brug_shared::report::series). A report reads one row per series
-- (~15 per five-year case) instead of one per fact (~130), household by
-- household, so households are counted without a set of ids.
DROP TABLE report_facts;
CREATE TABLE report_series (
    source     TEXT NOT NULL,             -- case id, or 'activities:' || team id
    team_id    TEXT NOT NULL,
    case_id    TEXT,                      -- the household; NULL: the activity itself
    postcode   TEXT NOT NULL DEFAULT '',
    worker     TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '',
    outcome    TEXT NOT NULL DEFAULT '',
    first_day  TEXT NOT NULL,             -- YYYY-MM-DD, to skip series outside a period
    last_day   TEXT NOT NULL,
    facts      INTEGER NOT NULL,          -- how many facts the days hold
    days       BLOB NOT NULL
) STRICT;
CREATE INDEX report_series_source ON report_series(source);
CREATE INDEX report_series_team ON report_series(team_id, case_id);
CREATE INDEX report_series_case ON report_series(case_id);
-- Every case and every team's activities are projected again.
INSERT OR IGNORE INTO report_dirty (source) SELECT doc_id FROM doc_feed;
INSERT OR IGNORE INTO report_dirty (source) SELECT 'activities:' || team_id FROM team_activities;
