-- Reports on the multi-year plan.

-- The policy lead (diensthoofd): every team's report figures, no cases.
-- SQLite cannot change a CHECK in place: the table is rebuilt (migrations
-- run with foreign keys off and are checked after, see store::migrate).
CREATE TABLE users_new (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('bridge-worker', 'housing-adviser', 'supervisor', 'admin', 'policy')),
    team_id    TEXT NOT NULL REFERENCES teams(id),
    created_at INTEGER NOT NULL
) STRICT;
INSERT INTO users_new (id, name, role, team_id, created_at)
    SELECT id, name, role, team_id, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

-- The report projection: what each case and each team's collective
-- activities count for (codes and numbers only, see brug_shared::report).
-- Rebuilt per source whenever it changes; never read by sync.
CREATE TABLE report_facts (
    source       TEXT NOT NULL,             -- case id, or 'activities:' || team id
    team_id      TEXT NOT NULL,
    case_id      TEXT,                      -- the household it is about
    postcode     TEXT NOT NULL DEFAULT '',
    worker       TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL,
    day          TEXT NOT NULL,             -- YYYY-MM-DD
    detail       TEXT NOT NULL DEFAULT '',
    outcome      TEXT NOT NULL DEFAULT '',
    amount_cents INTEGER NOT NULL DEFAULT 0,
    participants INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX report_facts_source ON report_facts(source);
CREATE INDEX report_facts_day ON report_facts(day);

-- Sources whose facts are out of date: marked in the same transaction that
-- stores a change, cleared when the projection has caught up.
CREATE TABLE report_dirty (
    source TEXT PRIMARY KEY
) STRICT;
-- Every case stored before this migration is projected once.
INSERT INTO report_dirty (source) SELECT doc_id FROM doc_feed;

-- Each team's collective activities: one automerge document per team,
-- synced with the team's devices through /v1/team/activities.
CREATE TABLE team_activities (
    team_id    TEXT PRIMARY KEY,
    doc        BLOB NOT NULL,             -- ActivitiesDoc::save
    updated_at INTEGER NOT NULL
) STRICT;
