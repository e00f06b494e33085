//! Each team's shared documents: the referral catalogue and the collective
//! activities (table `team_NAME`, see `TeamEntry::NAME`).

use brug_shared::teamdoc::TeamEntry;
use rusqlite::{Connection, OptionalExtension, params};

use super::{DbError, now_ms};

/// The team's document of entries `E` as saved, if the team has its own.
pub fn team_doc<E: TeamEntry>(conn: &Connection, team: &str) -> Result<Option<Vec<u8>>, DbError> {
    team_doc_named(conn, E::NAME, team)
}

/// [`team_doc`] by the kind's name (`TeamEntry::NAME`).
pub fn team_doc_named(
    conn: &Connection,
    kind: &str,
    team: &str,
) -> Result<Option<Vec<u8>>, DbError> {
    Ok(conn
        .query_row(
            &format!("SELECT doc FROM team_{} WHERE team_id = ?1", table(kind)?),
            params![team],
            |r| r.get(0),
        )
        .optional()?)
}

/// Stores the team's document of entries `E` (and, for entries that count
/// in reports, marks the team's projection out of date).
pub fn save_team_doc<E: TeamEntry>(
    conn: &Connection,
    team: &str,
    doc: &[u8],
) -> Result<(), DbError> {
    save_team_doc_named(conn, E::NAME, E::REPORTED, team, doc)
}

/// [`save_team_doc`] by the kind's name and whether it counts in reports.
pub fn save_team_doc_named(
    conn: &Connection,
    kind: &str,
    reported: bool,
    team: &str,
    doc: &[u8],
) -> Result<(), DbError> {
    conn.execute(
        &format!(
            "INSERT INTO team_{} (team_id, doc, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (team_id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at",
            table(kind)?
        ),
        params![team, doc, now_ms()],
    )?;
    if reported {
        super::mark_dirty(conn, &super::activities_source(team))?;
    }
    Ok(())
}

/// The kinds of team documents there are (their tables are `team_KIND`):
/// a name that is not one of them never reaches SQL.
pub fn table(kind: &str) -> Result<&'static str, DbError> {
    use brug_shared::model::{Activity, Service};
    [Service::NAME, Activity::NAME]
        .into_iter()
        .find(|k| *k == kind)
        .ok_or_else(|| DbError::Invalid(format!("unknown team document '{kind}'")))
}
