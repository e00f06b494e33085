-- Each team's referral catalogue: one automerge document per team, synced
-- with the team's devices through /v1/team/catalogue. A team without a row
-- has the built-in catalogue.
CREATE TABLE team_catalogue (
    team_id    TEXT PRIMARY KEY,
    doc        BLOB NOT NULL,             -- CatalogueDoc::save
    updated_at INTEGER NOT NULL
) STRICT;
