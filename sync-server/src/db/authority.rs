//! What the server's authority needs besides access: recovery windows for
//! relayed changes after a restore, and the quarantine of work a device
//! had not synced when it lost a case.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use uuid::Uuid;

use super::{DbError, User, may_access, now_ms, user};
use brug_shared::model::Role;

/// Opens a recovery window of `hours` from now: until it ends, changes a
/// device relays on behalf of another device are accepted when that device
/// What a recovery window needs: a reason, and 1 to 168 hours.
pub fn check_recovery(hours: u32, reason: &str) -> Result<(), DbError> {
    if reason.trim().is_empty() {
        return Err(DbError::Invalid(
            "geef een reden op (--reason) / give a reason (--reason)".into(),
        ));
    }
    if !(1..=168).contains(&hours) {
        return Err(DbError::Invalid(
            "een herstelvenster duurt 1 tot 168 uur / a recovery window lasts 1 to 168 hours"
                .into(),
        ));
    }
    Ok(())
}

/// belongs to the change's author and the author may see the case.
pub fn open_recovery(
    conn: &Connection,
    hours: u32,
    by: &str,
    reason: &str,
) -> Result<i64, DbError> {
    check_recovery(hours, reason)?;
    let now = now_ms();
    let until = now + i64::from(hours) * 3_600_000;
    conn.execute(
        "INSERT INTO recovery_windows (opened_at, until_ms, opened_by, reason) VALUES (?1, ?2, ?3, ?4)",
        params![now, until, by, reason.trim()],
    )?;
    Ok(until)
}

/// Closes every open recovery window now.
pub fn close_recovery(conn: &Connection) -> Result<usize, DbError> {
    let now = now_ms();
    Ok(conn.execute(
        "UPDATE recovery_windows SET until_ms = ?1 WHERE until_ms > ?1",
        params![now],
    )?)
}

/// Whether a recovery window is open at `now` (ms).
pub fn recovery_open(conn: &Connection, now: i64) -> Result<bool, DbError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM recovery_windows WHERE until_ms > ?1 LIMIT 1",
            params![now],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// The role of `author` when a change made on `device` may be relayed into
/// case `case`: the device is (or was) enrolled for that author and the
/// author may see the case.
pub fn relay_author(
    conn: &Connection,
    device: Uuid,
    author: &str,
    case: Uuid,
) -> Result<Option<Role>, DbError> {
    let owner: Option<String> = conn
        .query_row(
            "SELECT user_id FROM devices WHERE id = ?1",
            params![device.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    if owner.as_deref() != Some(author) {
        return Ok(None);
    }
    let Some(user) = user(conn, author)? else {
        return Ok(None);
    };
    Ok(may_access(conn, &user, case)?.then_some(user.role))
}

/// One quarantined batch of unsynced work.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quarantined {
    /// Its number.
    pub id: i64,
    /// The case it belongs to.
    pub case: Uuid,
    /// Who made it.
    pub user: String,
    /// On which device.
    pub device: String,
    /// When it reached the server (ms).
    pub at: i64,
    /// Its size in bytes.
    pub bytes: usize,
    /// `merged` or `discarded` once decided.
    pub decision: Option<String>,
}

/// The team a case belongs to.
pub fn case_team(conn: &Connection, case: Uuid) -> Result<Option<String>, DbError> {
    Ok(conn
        .query_row(
            "SELECT team_id FROM doc_feed WHERE doc_id = ?1",
            params![case.to_string()],
            |r| r.get(0),
        )
        .optional()?)
}

/// Keeps a device's unsynced work on a case it lost, for the supervisor.
pub fn quarantine_put(
    conn: &Connection,
    case: Uuid,
    user: &User,
    device: &str,
    changes: &[u8],
) -> Result<i64, DbError> {
    let team = case_team(conn, case)?.unwrap_or_else(|| user.team.clone());
    conn.execute(
        "INSERT INTO quarantine (case_id, team_id, user_id, device_id, changes, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![case.to_string(), team, user.id, device, changes, now_ms()],
    )?;
    Ok(conn.last_insert_rowid())
}

fn quarantined_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Quarantined> {
    let case: String = r.get(1)?;
    Ok(Quarantined {
        id: r.get(0)?,
        case: Uuid::parse_str(&case).unwrap_or_default(),
        user: r.get(2)?,
        device: r.get(3)?,
        at: r.get(4)?,
        bytes: usize::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
        decision: r.get(6)?,
    })
}

const QUARANTINE_COLUMNS: &str = "id, case_id, user_id, device_id, at, length(changes), decision";

/// The quarantine of a team (undecided first), or of every team.
pub fn quarantine_list(conn: &Connection, team: Option<&str>) -> Result<Vec<Quarantined>, DbError> {
    let sql = format!(
        "SELECT {QUARANTINE_COLUMNS} FROM quarantine WHERE ?1 IS NULL OR team_id = ?1 ORDER BY decided_at IS NOT NULL, id"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt
        .query_map(params![team], quarantined_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// One undecided quarantine entry with its team and changes.
pub fn quarantine_take(
    conn: &Connection,
    id: i64,
) -> Result<Option<(Quarantined, String, Vec<u8>)>, DbError> {
    let sql = format!(
        "SELECT {QUARANTINE_COLUMNS}, team_id, changes FROM quarantine WHERE id = ?1 AND decided_at IS NULL"
    );
    Ok(conn
        .query_row(&sql, params![id], |r| {
            Ok((quarantined_from_row(r)?, r.get(7)?, r.get(8)?))
        })
        .optional()?)
}

/// One quarantine entry, decided or not.
pub fn quarantine_entry(conn: &Connection, id: i64) -> Result<Option<Quarantined>, DbError> {
    let sql = format!("SELECT {QUARANTINE_COLUMNS} FROM quarantine WHERE id = ?1");
    Ok(conn
        .query_row(&sql, params![id], quarantined_from_row)
        .optional()?)
}

/// Records the supervisor's decision on a quarantine entry.
pub fn quarantine_decide(
    conn: &Connection,
    id: i64,
    by: &str,
    merged: bool,
) -> Result<(), DbError> {
    conn.execute(
        "UPDATE quarantine SET decided_at = ?2, decided_by = ?3, decision = ?4 WHERE id = ?1",
        params![
            id,
            now_ms(),
            by,
            if merged { "merged" } else { "discarded" }
        ],
    )?;
    Ok(())
}
