//! Documents on the server: the change feed, case access and sync states.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::{DbError, User};
use brug_shared::model::Role;

/// Whether a document with this id is stored.
pub fn doc_exists(conn: &Connection, id: Uuid) -> Result<bool, DbError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM doc_feed WHERE doc_id = ?1",
            params![id.to_string()],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// The generation of stored case `id` (`None`: no such case).
pub fn doc_generation(conn: &Connection, id: Uuid) -> Result<Option<u64>, DbError> {
    let generation: Option<i64> = conn
        .prepare_cached(
            "SELECT d.generation FROM doc_feed f JOIN documents d ON d.id = f.doc_id WHERE f.doc_id = ?1",
        )?
        .query_row(params![id.to_string()], |r| r.get(0))
        .optional()?;
    Ok(generation.map(|g| u64::try_from(g).unwrap_or(0)))
}

/// Whether `user` may see case `id`: assigned explicitly (the creator is the
/// first assignee), or a supervisor of the case's team.
pub fn may_access(conn: &Connection, user: &User, id: Uuid) -> Result<bool, DbError> {
    let explicit = conn
        .prepare_cached("SELECT 1 FROM case_access WHERE case_id = ?1 AND user_id = ?2")?
        .query_row(params![id.to_string(), user.id], |_| Ok(()))
        .optional()?
        .is_some();
    if explicit {
        return Ok(true);
    }
    if user.role != Role::Supervisor {
        return Ok(false);
    }
    Ok(conn
        .prepare_cached("SELECT 1 FROM doc_feed WHERE doc_id = ?1 AND team_id = ?2")?
        .query_row(params![id.to_string(), user.team], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Every case `user` may see, with its change sequence.
pub fn visible_docs(conn: &Connection, user: &User) -> Result<Vec<(Uuid, i64)>, DbError> {
    let supervisor = user.role == Role::Supervisor;
    let mut stmt = conn.prepare_cached(
        "SELECT f.doc_id, f.seq FROM doc_feed f
         WHERE f.doc_id IN (SELECT case_id FROM case_access WHERE user_id = ?1)
            OR (?2 AND f.team_id = ?3)",
    )?;
    let rows = stmt
        .query_map(params![user.id, supervisor, user.team], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?
        .filter_map(|r| r.ok())
        .filter_map(|(id, seq)| Uuid::parse_str(&id).ok().map(|u| (u, seq)))
        .collect();
    Ok(rows)
}

/// The highest change sequence stored.
pub fn current_seq(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM doc_feed")?
        .query_row([], |r| r.get(0))?)
}

/// What a device must sync and purge, given its cursor and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catchup {
    /// Visible cases changed since the cursor or not held yet.
    pub changed: Vec<Uuid>,
    /// Held cases the device may not (or no longer) see.
    pub purge: Vec<Uuid>,
    /// The new cursor.
    pub cursor: i64,
    /// Feed rows looked at to work this out.
    pub examined: u64,
}

/// Computes the catch-up list for a hello.
pub fn catchup(
    conn: &Connection,
    user: &User,
    cursor: i64,
    held: &[Uuid],
) -> Result<Catchup, DbError> {
    let now = current_seq(conn)?;
    let held: BTreeSet<Uuid> = held.iter().copied().collect();
    let visible = visible_docs(conn, user)?;
    let visible_ids: BTreeSet<Uuid> = visible.iter().map(|(id, _)| *id).collect();
    let mut changed: Vec<(i64, Uuid)> = visible
        .into_iter()
        .filter(|(id, seq)| *seq > cursor || !held.contains(id))
        .map(|(id, seq)| (seq, id))
        .collect();
    changed.sort();
    let purge = held.difference(&visible_ids).copied().collect();
    Ok(Catchup {
        changed: changed.into_iter().map(|(_, id)| id).collect(),
        purge,
        cursor: now,
        examined: visible_ids.len() as u64,
    })
}

/// The catch-up for a device that did not list what it holds: the cases
/// changed since its cursor (an assignment given or taken away bumps a
/// case's sequence), each visible one to sync, each one it may no longer
/// see but synced here before to purge. The work grows with the changes
/// since the cursor, not with the caseload.
///
/// A cursor ahead of the feed means the server went back in time (restored
/// from a backup): then every visible case is listed, and what the device
/// holds is what it synced here.
pub fn catchup_since(
    conn: &Connection,
    user: &User,
    device: &str,
    cursor: i64,
) -> Result<Catchup, DbError> {
    let now = current_seq(conn)?;
    if cursor > now {
        let held = case_ids(
            conn,
            "SELECT doc_id FROM sync_states WHERE device_id = ?1",
            &device,
        )?;
        return catchup(conn, user, 0, &held);
    }
    let since = case_ids(
        conn,
        "SELECT doc_id FROM doc_feed WHERE seq > ?1 ORDER BY seq",
        &cursor,
    )?;
    let (mut changed, mut purge) = (Vec::new(), Vec::new());
    // A whole case erased: gone from the feed, so named here for every
    // device that held it.
    purge.extend(case_ids(
        conn,
        "SELECT DISTINCT s.doc_id FROM erasures e JOIN sync_states s ON s.doc_id = e.case_id
         WHERE e.generation = 0 AND s.device_id = ?1",
        &device,
    )?);
    for id in &since {
        if may_access(conn, user, *id)? {
            changed.push(*id);
        } else if sync_state(conn, device, *id)?.is_some() {
            purge.push(*id);
        }
    }
    Ok(Catchup {
        changed,
        purge,
        cursor: now,
        examined: since.len() as u64,
    })
}

/// The case ids a one-parameter query lists (unreadable ids left out).
fn case_ids(
    conn: &Connection,
    sql: &str,
    param: &dyn rusqlite::ToSql,
) -> Result<Vec<Uuid>, DbError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let ids = stmt
        .query_map([param], |r| r.get::<_, String>(0))?
        .filter_map(|r| r.ok())
        .filter_map(|id| Uuid::parse_str(&id).ok())
        .collect();
    Ok(ids)
}

/// Moves a case to the end of the feed: devices that sync from an older
/// cursor look at it again (for an assignment given or taken away).
fn bump(conn: &Connection, id: Uuid) -> Result<(), DbError> {
    let seq = current_seq(conn)? + 1;
    conn.execute(
        "UPDATE doc_feed SET seq = ?2 WHERE doc_id = ?1",
        params![id.to_string(), seq],
    )?;
    Ok(())
}

/// Records a stored change to `id`: bumps the global sequence, marks the
/// case's report facts out of date, and for a new case records its team and
/// creator and makes the creator its first assignee. Returns the new
/// sequence number.
pub fn record_change(
    conn: &Connection,
    id: Uuid,
    creator: &User,
    is_new: bool,
) -> Result<i64, DbError> {
    let seq = current_seq(conn)? + 1;
    if is_new {
        conn.prepare_cached(
            "INSERT INTO doc_feed (doc_id, seq, team_id, created_by) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![id.to_string(), seq, creator.team, creator.id])?;
        conn.prepare_cached(
            "INSERT OR IGNORE INTO case_access (case_id, user_id) VALUES (?1, ?2)",
        )?
        .execute(params![id.to_string(), creator.id])?;
        // The team's activities may name this household already (recorded
        // before the case's first sync): they count it from now on.
        super::mark_dirty(conn, &super::activities_source(&creator.team))?;
    } else {
        conn.prepare_cached("UPDATE doc_feed SET seq = ?2 WHERE doc_id = ?1")?
            .execute(params![id.to_string(), seq])?;
    }
    super::mark_dirty(conn, &id.to_string())?;
    Ok(seq)
}

/// Whether `user` may be given case `id` of `team` (on every backend): a
/// case stays within its team, whoever assigns (the CLI, a supervisor's
/// device, a script), and a policy lead holds no cases.
pub fn may_be_assigned(user: &User, team: &str, id: Uuid) -> Result<(), DbError> {
    if user.team != team {
        return Err(DbError::Invalid(format!(
            "{} hoort niet bij team {team} van dossier {id} / {} is not in team {team} of case {id}",
            user.id, user.id
        )));
    }
    if !user.role.holds_cases() {
        return Err(DbError::Invalid(format!(
            "{} is beleidsverantwoordelijke en krijgt geen dossiers / {} is a policy lead and gets no cases",
            user.id, user.id
        )));
    }
    Ok(())
}

/// Gives `user` access to case `id`.
pub fn assign(conn: &Connection, id: Uuid, user: &str) -> Result<bool, DbError> {
    let Some(team) = super::case_team(conn, id)? else {
        return Err(DbError::NotFound(format!("dossier {id} bestaat niet")));
    };
    let user = super::require_user(conn, user)?;
    may_be_assigned(&user, &team, id)?;
    let user = user.id.as_str();
    let given = conn.execute(
        "INSERT OR IGNORE INTO case_access (case_id, user_id) VALUES (?1, ?2)",
        params![id.to_string(), user],
    )? > 0;
    if given {
        bump(conn, id)?;
    }
    Ok(given)
}

/// Takes case `id` away from `user`.
pub fn unassign(conn: &Connection, id: Uuid, user: &str) -> Result<bool, DbError> {
    super::require_user(conn, user)?;
    let taken = conn.execute(
        "DELETE FROM case_access WHERE case_id = ?1 AND user_id = ?2",
        params![id.to_string(), user],
    )? > 0;
    if taken {
        bump(conn, id)?;
    }
    Ok(taken)
}

/// Assigns (or unassigns) case `id` to `user`, tells live sessions through
/// an admin event and writes the audit log; `note` says who did it.
/// Returns whether anything changed.
pub fn set_assignment(
    conn: &Connection,
    id: Uuid,
    user: &str,
    assign: bool,
    note: &str,
) -> Result<bool, DbError> {
    let changed = if assign {
        self::assign(conn, id, user)?
    } else {
        unassign(conn, id, user)?
    };
    let event = if assign {
        super::AdminEvent::Assign {
            user: user.to_owned(),
            case: id,
        }
    } else {
        super::AdminEvent::Unassign {
            user: user.to_owned(),
            case: id,
        }
    };
    super::push_admin_event(conn, &event)?;
    super::audit(
        conn,
        Some(user),
        None,
        if assign { "assign" } else { "unassign" },
        &[id],
        note,
    )?;
    Ok(changed)
}

/// The users assigned to a case, explicitly.
pub fn assignees(conn: &Connection, id: Uuid) -> Result<Vec<String>, DbError> {
    let mut stmt =
        conn.prepare_cached("SELECT user_id FROM case_access WHERE case_id = ?1 ORDER BY user_id")?;
    let rows = stmt
        .query_map(params![id.to_string()], |r| r.get(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The persisted sync state (encoded shared heads) of a device for a case.
pub fn sync_state(conn: &Connection, device: &str, id: Uuid) -> Result<Option<Vec<u8>>, DbError> {
    Ok(conn
        .prepare_cached("SELECT state FROM sync_states WHERE device_id = ?1 AND doc_id = ?2")?
        .query_row(params![device, id.to_string()], |r| r.get(0))
        .optional()?)
}

/// Persists the sync state of a device for a case.
pub fn save_sync_state(
    conn: &Connection,
    device: &str,
    id: Uuid,
    state: &[u8],
) -> Result<(), DbError> {
    conn.prepare_cached(
        "INSERT INTO sync_states (device_id, doc_id, state) VALUES (?1, ?2, ?3)
         ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state",
    )?
    .execute(params![device, id.to_string(), state])?;
    Ok(())
}

/// Writes down that a device holds a case, with the sync state it has now,
/// unless a state is kept already (then nothing is written).
pub fn note_held(conn: &Connection, device: &str, id: Uuid, state: &[u8]) -> Result<(), DbError> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO sync_states (device_id, doc_id, state) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![device, id.to_string(), state])?;
    Ok(())
}

/// Number of stored cases.
pub fn doc_count(conn: &Connection) -> Result<i64, DbError> {
    Ok(conn.query_row("SELECT COUNT(*) FROM doc_feed", [], |r| r.get(0))?)
}
