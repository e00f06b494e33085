//! The audit log and the admin events a running server acts on.

use rusqlite::{Connection, params};
use uuid::Uuid;

use super::{DbError, now_ms};

/// The audit log's `cases` column: a JSON array of case ids.
pub fn cases_json(cases: &[Uuid]) -> String {
    serde_json::to_string(&cases.iter().map(Uuid::to_string).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

/// Appends to the audit log: who, which device, what, which cases. Never a
/// token or case contents.
pub fn audit(
    conn: &Connection,
    user: Option<&str>,
    device: Option<&str>,
    action: &str,
    cases: &[Uuid],
    detail: &str,
) -> Result<(), DbError> {
    let cases = cases_json(cases);
    conn.prepare_cached(
        "INSERT INTO audit (at, user_id, device_id, action, cases, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![now_ms(), user, device, action, cases, detail])?;
    Ok(())
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditEntry {
    /// When (ms).
    pub at: i64,
    /// Which user acted.
    pub user: Option<String>,
    /// From which device.
    pub device: Option<String>,
    /// What happened ("sync", "enrol", "revoke", ...).
    pub action: String,
    /// Which cases (JSON array of ids).
    pub cases: String,
    /// A short, content-free detail.
    pub detail: String,
}

/// The last `limit` audit entries, newest last.
pub fn audit_tail(conn: &Connection, limit: i64) -> Result<Vec<AuditEntry>, DbError> {
    let mut stmt = conn.prepare(
        "SELECT at, user_id, device_id, action, cases, detail FROM (SELECT * FROM audit ORDER BY id DESC LIMIT ?1) ORDER BY id",
    )?;
    let rows = stmt
        .query_map(params![limit], |r| {
            Ok(AuditEntry {
                at: r.get(0)?,
                user: r.get(1)?,
                device: r.get(2)?,
                action: r.get(3)?,
                cases: r.get(4)?,
                detail: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// An admin change the running server must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminEvent {
    /// A device was revoked.
    Revoke {
        /// The device.
        device: String,
    },
    /// A user got access to a case.
    Assign {
        /// The user.
        user: String,
        /// The case.
        case: Uuid,
    },
    /// A user lost access to a case.
    Unassign {
        /// The user.
        user: String,
        /// The case.
        case: Uuid,
    },
    /// Part of a case was erased: a new generation replaced it.
    Erase {
        /// The case.
        case: Uuid,
    },
}

/// An admin event as stored: kind, device, user and case columns (the
/// same on both backends).
pub type AdminEventRow = (&'static str, Option<String>, Option<String>, Option<String>);

impl AdminEvent {
    /// The event's columns.
    pub fn to_row(&self) -> AdminEventRow {
        match self {
            Self::Revoke { device } => ("revoke", Some(device.clone()), None, None),
            Self::Assign { user, case } => {
                ("assign", None, Some(user.clone()), Some(case.to_string()))
            }
            Self::Unassign { user, case } => {
                ("unassign", None, Some(user.clone()), Some(case.to_string()))
            }
            Self::Erase { case } => ("erase", None, None, Some(case.to_string())),
        }
    }

    /// The event stored in these columns; `None` for a row that makes no
    /// event (skipped, never fatal).
    pub fn from_row(
        kind: &str,
        device: Option<String>,
        user: Option<String>,
        case: Option<String>,
    ) -> Option<Self> {
        let case = case.and_then(|c| Uuid::parse_str(&c).ok());
        Some(match (kind, device, user, case) {
            ("revoke", Some(device), _, _) => Self::Revoke { device },
            ("assign", _, Some(user), Some(case)) => Self::Assign { user, case },
            ("unassign", _, Some(user), Some(case)) => Self::Unassign { user, case },
            ("erase", _, _, Some(case)) => Self::Erase { case },
            _ => return None,
        })
    }
}

/// Appends an admin event.
pub fn push_admin_event(conn: &Connection, event: &AdminEvent) -> Result<(), DbError> {
    let (kind, device, user, case) = event.to_row();
    conn.execute(
        "INSERT INTO admin_events (kind, device_id, user_id, case_id) VALUES (?1, ?2, ?3, ?4)",
        params![kind, device, user, case],
    )?;
    Ok(())
}

/// The newest admin event sequence number.
pub fn last_admin_event(conn: &Connection) -> Result<i64, DbError> {
    Ok(
        conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM admin_events", [], |r| {
            r.get(0)
        })?,
    )
}

/// Admin events after `seq`, with their sequence numbers.
pub fn admin_events_since(conn: &Connection, seq: i64) -> Result<Vec<(i64, AdminEvent)>, DbError> {
    let mut stmt = conn.prepare_cached("SELECT seq, kind, device_id, user_id, case_id FROM admin_events WHERE seq > ?1 ORDER BY seq")?;
    let rows = stmt
        .query_map(params![seq], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?
        .filter_map(|r| r.ok())
        .filter_map(|(seq, kind, device, user, case)| {
            AdminEvent::from_row(&kind, device, user, case).map(|event| (seq, event))
        })
        .collect();
    Ok(rows)
}
