//! Administrative actions, composed once: each changes the database, tells
//! the running server (admin events) where it must act, and writes the
//! audit log the same way, whether the command line, a supervisor's team
//! route, the demo or a test asks.

use brug_shared::model::Role;
use rusqlite::Connection;
use uuid::Uuid;

use crate::db::{self, AdminEvent, DbError, User};

/// Who performs an administrative action: an administrator at the server
/// (the command line), or a user from a device (a team route).
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// The command line on the server's machine.
    Admin,
    /// A user on an enrolled device.
    User {
        /// The user id.
        user: &'a str,
        /// The device id.
        device: &'a str,
    },
}

impl Actor<'_> {
    fn who(self) -> (Option<String>, Option<String>) {
        match self {
            Actor::Admin => (Some("admin".into()), None),
            Actor::User { user, device } => (Some(user.into()), Some(device.into())),
        }
    }

    /// "by admin", "by USER (device DEVICE)": who did it, for the audit log.
    pub fn note(self) -> String {
        match self {
            Actor::Admin => "by admin".into(),
            Actor::User { user, device } => format!("by {user} (device {device})"),
        }
    }
}

fn audit(
    conn: &Connection,
    by: Actor<'_>,
    action: &str,
    cases: &[Uuid],
    detail: &str,
) -> Result<(), DbError> {
    let (user, device) = by.who();
    db::audit(
        conn,
        user.as_deref(),
        device.as_deref(),
        action,
        cases,
        detail,
    )
}

/// Adds a user to a team (made if new).
pub fn add_user(
    conn: &Connection,
    name: &str,
    role: Role,
    team: &str,
    by: Actor<'_>,
) -> Result<User, DbError> {
    let user = db::add_user(conn, name, role, team)?;
    audit(
        conn,
        by,
        "user-add",
        &[],
        &format!(
            "user {} ({}) added to team {} {}",
            user.id,
            role.code(),
            user.team,
            by.note()
        ),
    )?;
    Ok(user)
}

/// Revokes a device: its token is refused from the next request on, live
/// sessions are closed. Returns the device's user, or `None` when there is
/// no such device.
pub fn revoke_device(
    conn: &Connection,
    device: &str,
    by: Actor<'_>,
) -> Result<Option<String>, DbError> {
    let Some(user) = db::revoke_device(conn, device)? else {
        return Ok(None);
    };
    db::push_admin_event(
        conn,
        &AdminEvent::Revoke {
            device: device.to_owned(),
        },
    )?;
    audit(
        conn,
        by,
        "revoke",
        &[],
        &format!("device {device} of {user} revoked {}", by.note()),
    )?;
    Ok(Some(user))
}

/// A one-time code (valid a day) with which `device`, locked after too
/// many wrong PINs, gets its unlock secret back; `None` when the device
/// does not exist, is revoked, or was enrolled before unlock secrets.
pub fn unlock_code(
    store: &dyn crate::storage::ServerStore,
    device: &str,
    by: Actor<'_>,
) -> Result<Option<String>, DbError> {
    let (code, hash) = crate::auth::new_enrol_code();
    if !store.add_unlock_code(device, &hash)? {
        return Ok(None);
    }
    let (user, on) = by.who();
    store.audit(
        user.as_deref(),
        on.as_deref(),
        "unlock-code",
        &[],
        &format!("unlock code made for device {device} {}", by.note()),
    )?;
    Ok(Some(code))
}

/// Gives `user` access to `case` (or takes it away); live sessions are told.
/// A case never leaves its team.
pub fn set_assignment(
    conn: &Connection,
    case: Uuid,
    user: &str,
    assign: bool,
    by: Actor<'_>,
) -> Result<bool, DbError> {
    db::set_assignment(conn, case, user, assign, &by.note())
}
