//! Teams, users, devices and enrolment codes.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::{DbError, now_ms};
use brug_shared::model::Role;

/// A user as listed by the CLI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    /// Stable id ("ann.peeters").
    pub id: String,
    /// Display name.
    pub name: String,
    /// The user's one role.
    pub role: Role,
    /// The user's one team.
    pub team: String,
}

/// A device as listed by the CLI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Device {
    /// Device id (UUID).
    pub id: String,
    /// The user it is enrolled for.
    pub user: String,
    /// A name the device gave itself ("tablet Ann").
    pub name: String,
    /// When it was enrolled (ms).
    pub created_at: i64,
    /// When it was revoked (ms), if it was.
    pub revoked_at: Option<i64>,
    /// When it last synced (ms).
    pub last_seen: Option<i64>,
}

/// Makes a user id from a name: lower case, letters and digits, words
/// joined by dots ("Ann Peeters" → "ann.peeters").
pub fn user_id_for(name: &str) -> String {
    let mut id = String::new();
    for word in name.split_whitespace() {
        let w: String = word
            .chars()
            .filter_map(|c| {
                let c = deunicode_char(c);
                c.is_ascii_alphanumeric().then(|| c.to_ascii_lowercase())
            })
            .collect();
        if !w.is_empty() {
            if !id.is_empty() {
                id.push('.');
            }
            id.push_str(&w);
        }
    }
    id
}

fn deunicode_char(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'À' | 'Á' | 'Â' | 'Ä' => 'a',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ò' | 'ó' | 'ô' | 'ö' | 'Ò' | 'Ó' | 'Ô' | 'Ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ç' | 'Ç' => 'c',
        other => other,
    }
}

/// Creates the team if it does not exist yet.
pub fn ensure_team(conn: &Connection, team: &str) -> Result<(), DbError> {
    if team.trim().is_empty() {
        return Err(DbError::Invalid("een team heeft een naam nodig".into()));
    }
    conn.execute(
        "INSERT OR IGNORE INTO teams (id, name) VALUES (?1, ?1)",
        params![team.trim()],
    )?;
    Ok(())
}

/// Adds a user; the id is made from the name and must be unique.
pub fn add_user(conn: &Connection, name: &str, role: Role, team: &str) -> Result<User, DbError> {
    let id = user_id_for(name);
    if id.is_empty() {
        return Err(DbError::Invalid(
            "geef een naam met letters of cijfers".into(),
        ));
    }
    ensure_team(conn, team)?;
    let inserted = conn.execute(
        "INSERT OR IGNORE INTO users (id, name, role, team_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, name.trim(), role.code(), team.trim(), now_ms()],
    )?;
    if inserted == 0 {
        return Err(DbError::Invalid(format!("gebruiker '{id}' bestaat al")));
    }
    Ok(User {
        id,
        name: name.trim().into(),
        role,
        team: team.trim().into(),
    })
}

/// A stored role code; an unknown one is an error, never silently a
/// bridge worker (a role decides what a user may change).
fn role_from_db(column: usize, code: &str) -> rusqlite::Result<Role> {
    Role::from_code(code).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Text,
            format!("unknown role '{code}'").into(),
        )
    })
}

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(2)?;
    Ok(User {
        id: r.get(0)?,
        name: r.get(1)?,
        role: role_from_db(2, &role)?,
        team: r.get(3)?,
    })
}

/// One user by id.
pub fn user(conn: &Connection, id: &str) -> Result<Option<User>, DbError> {
    Ok(conn
        .query_row(
            "SELECT id, name, role, team_id FROM users WHERE id = ?1",
            params![id],
            user_from_row,
        )
        .optional()?)
}

/// One user by id, or a clear error.
pub fn require_user(conn: &Connection, id: &str) -> Result<User, DbError> {
    user(conn, id)?
        .ok_or_else(|| DbError::NotFound(format!("gebruiker '{id}' bestaat niet (zie: user list)")))
}

/// Every user, by id.
pub fn users(conn: &Connection) -> Result<Vec<User>, DbError> {
    let mut stmt = conn.prepare("SELECT id, name, role, team_id FROM users ORDER BY id")?;
    let rows = stmt
        .query_map([], user_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Stores a one-time enrolment code (its hash) for `user`.
pub fn add_enrol_code(
    conn: &Connection,
    code_hash: &[u8],
    user: &str,
    expires_at: i64,
) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO enrol_codes (code_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
        params![code_hash, user, expires_at],
    )?;
    Ok(())
}

/// Why a code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    /// No such code.
    Unknown,
    /// Already used.
    Used,
    /// Expired.
    Expired,
}

/// Marks a code used and returns its user, if it is valid now.
pub fn take_enrol_code(
    conn: &Connection,
    code_hash: &[u8],
    now: i64,
) -> Result<Result<String, CodeRefusal>, DbError> {
    let row: Option<(String, i64, Option<i64>)> = conn
        .query_row(
            "SELECT user_id, expires_at, used_at FROM enrol_codes WHERE code_hash = ?1",
            params![code_hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((user, expires_at, used_at)) = row else {
        return Ok(Err(CodeRefusal::Unknown));
    };
    if used_at.is_some() {
        return Ok(Err(CodeRefusal::Used));
    }
    if expires_at <= now {
        return Ok(Err(CodeRefusal::Expired));
    }
    // Only one concurrent request can flip used_at from NULL.
    let taken = conn.execute(
        "UPDATE enrol_codes SET used_at = ?2 WHERE code_hash = ?1 AND used_at IS NULL",
        params![code_hash, now],
    )?;
    Ok(if taken == 1 {
        Ok(user)
    } else {
        Err(CodeRefusal::Used)
    })
}

/// Registers a device with the hash of its token and its unlock secret.
pub fn add_device(
    conn: &Connection,
    id: &str,
    user: &str,
    name: &str,
    token_hash: &[u8],
    unlock_secret: &[u8],
) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO devices (id, user_id, name, token_hash, created_at, unlock_secret)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, user, name, token_hash, now_ms(), unlock_secret],
    )?;
    Ok(())
}

/// How long an unlock code is valid.
pub const UNLOCK_CODE_MS: i64 = 24 * 3_600_000;

/// Keeps a new unlock code (its hash) for `device`; `false` when the
/// device does not exist, is revoked or has no unlock secret.
pub fn add_unlock_code(conn: &Connection, device: &str, code_hash: &[u8]) -> Result<bool, DbError> {
    let usable: Option<bool> = conn
        .query_row(
            "SELECT revoked_at IS NULL AND unlock_secret IS NOT NULL FROM devices WHERE id = ?1",
            params![device],
            |r| r.get(0),
        )
        .optional()?;
    if usable != Some(true) {
        return Ok(false);
    }
    let now = now_ms();
    conn.execute(
        "INSERT INTO unlock_codes (code_hash, device_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![code_hash, device, now, now + UNLOCK_CODE_MS],
    )?;
    Ok(true)
}

/// Uses an unlock code of `device` once: its unlock secret, when the code
/// is one of this device's, unused, unexpired and the device not revoked.
/// Every other case gets the same `None`.
pub fn take_unlock_code(
    conn: &Connection,
    device: &str,
    code_hash: &[u8],
    now: i64,
) -> Result<Option<Vec<u8>>, DbError> {
    let taken = conn.execute(
        "UPDATE unlock_codes SET used_at = ?3
         WHERE code_hash = ?1 AND device_id = ?2 AND used_at IS NULL AND expires_at > ?3",
        params![code_hash, device, now],
    )?;
    if taken != 1 {
        return Ok(None);
    }
    Ok(conn
        .query_row(
            "SELECT unlock_secret FROM devices WHERE id = ?1 AND revoked_at IS NULL",
            params![device],
            |r| r.get::<_, Option<Vec<u8>>>(0),
        )
        .optional()?
        .flatten())
}

/// The device behind a token hash, with its user.
pub fn device_by_token(
    conn: &Connection,
    token_hash: &[u8],
) -> Result<Option<(Device, User)>, DbError> {
    let row = conn
        .query_row(
            "SELECT d.id, d.user_id, d.name, d.created_at, d.revoked_at, d.last_seen, u.id, u.name, u.role, u.team_id
             FROM devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = ?1",
            params![token_hash],
            |r| {
                let device = Device {
                    id: r.get(0)?,
                    user: r.get(1)?,
                    name: r.get(2)?,
                    created_at: r.get(3)?,
                    revoked_at: r.get(4)?,
                    last_seen: r.get(5)?,
                };
                let role: String = r.get(8)?;
                let user = User { id: r.get(6)?, name: r.get(7)?, role: role_from_db(8, &role)?, team: r.get(9)? };
                Ok((device, user))
            },
        )
        .optional()?;
    Ok(row)
}

/// Devices, optionally of one user.
pub fn devices(conn: &Connection, user: Option<&str>) -> Result<Vec<Device>, DbError> {
    let mut stmt = conn.prepare(
        "SELECT id, user_id, name, created_at, revoked_at, last_seen FROM devices
         WHERE ?1 IS NULL OR user_id = ?1 ORDER BY created_at",
    )?;
    let rows = stmt
        .query_map(params![user], |r| {
            Ok(Device {
                id: r.get(0)?,
                user: r.get(1)?,
                name: r.get(2)?,
                created_at: r.get(3)?,
                revoked_at: r.get(4)?,
                last_seen: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Revokes a device; returns its user, or `None` when it does not exist.
/// Revoking twice keeps the first time.
pub fn revoke_device(conn: &Connection, id: &str) -> Result<Option<String>, DbError> {
    conn.execute(
        "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
        params![id, now_ms()],
    )?;
    Ok(conn
        .query_row(
            "SELECT user_id FROM devices WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )
        .optional()?)
}

/// Whether a device is revoked now.
pub fn device_revoked(conn: &Connection, id: &str) -> Result<bool, DbError> {
    let revoked: Option<Option<i64>> = conn
        .query_row(
            "SELECT revoked_at FROM devices WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(!matches!(revoked, Some(None)))
}

/// Records that a device synced just now.
pub fn touch_device(conn: &Connection, id: &str) -> Result<(), DbError> {
    conn.prepare_cached("UPDATE devices SET last_seen = ?2 WHERE id = ?1")?
        .execute(params![id, now_ms()])?;
    Ok(())
}

/// The user's other devices enrolled after `since` (ms), oldest first.
pub fn devices_joined_since(
    conn: &Connection,
    user: &str,
    this_device: &str,
    since: i64,
) -> Result<Vec<brug_shared::protocol::JoinedDevice>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, created_at FROM devices WHERE user_id = ?1 AND id != ?2 AND created_at > ?3 ORDER BY created_at",
    )?;
    let rows = stmt
        .query_map(params![user, this_device, since], |r| {
            Ok(brug_shared::protocol::JoinedDevice {
                name: r.get(0)?,
                at: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
