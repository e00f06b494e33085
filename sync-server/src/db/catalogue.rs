//! Each team's referral catalogue document.

use rusqlite::{Connection, OptionalExtension, params};

use super::{DbError, now_ms};

/// The team's catalogue document as saved, if the team has its own.
pub fn catalogue(conn: &Connection, team: &str) -> Result<Option<Vec<u8>>, DbError> {
    Ok(conn
        .query_row(
            "SELECT doc FROM team_catalogue WHERE team_id = ?1",
            params![team],
            |r| r.get(0),
        )
        .optional()?)
}

/// Stores the team's catalogue document.
pub fn save_catalogue(conn: &Connection, team: &str, doc: &[u8]) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO team_catalogue (team_id, doc, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (team_id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at",
        params![team, doc, now_ms()],
    )?;
    Ok(())
}
