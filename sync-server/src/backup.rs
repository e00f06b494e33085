//! Backups an IT department can take while the server serves, and restore.
//!
//! A backup is a folder: a consistent copy of the database (`VACUUM INTO`,
//! which reads one snapshot while the server goes on writing) and the TLS
//! certificate and key (devices pin the certificate: a server restored
//! without it would be refused by every device), created private.

use std::path::Path;

use rusqlite::Connection;

use crate::db::{self, DbError};
use crate::files;

/// The database file in a data folder and in a backup.
pub const DB_FILE: &str = "brug-server.sqlite";

/// Files copied besides the database, when present.
const ALSO: &[&str] = &[
    "tls/cert.pem",
    "tls/key.pem",
    // A certificate staged for a rotation that devices already trust, and
    // the pair a rotation kept.
    "tls/next-cert.pem",
    "tls/next-key.pem",
    "tls/previous-cert.pem",
    "tls/previous-key.pem",
    crate::PUBLIC_URL_FILE,
    crate::SERVED_FINGERPRINT_FILE,
];

/// Why a backup or restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The target already holds data.
    #[error(
        "{0} bestaat al en is niet leeg; kies een nieuwe map / {0} exists and is not empty; choose a new folder"
    )]
    NotEmpty(String),
    /// The source is not a Brug backup.
    #[error("{0} is geen Brug-back-up (brug-server.sqlite ontbreekt) / {0} is not a Brug backup")]
    NotABackup(String),
    /// A file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        error: std::io::Error,
    },
    /// The database refused.
    #[error("{0}")]
    Db(#[from] DbError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |error| BackupError::Io {
        path: path.display().to_string(),
        error,
    }
}

fn empty_or_missing(dir: &Path) -> Result<(), BackupError> {
    if dir.exists() && std::fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
        return Err(BackupError::NotEmpty(dir.display().to_string()));
    }
    Ok(())
}

fn copy_private(from: &Path, to: &Path) -> Result<(), BackupError> {
    let data = std::fs::read(from).map_err(io(from))?;
    if let Some(parent) = to.parent() {
        files::private_dir(parent).map_err(io(parent))?;
    }
    files::write_private(to, &data).map_err(io(to))
}

/// Writes a backup of `data` into `out` (a new or empty folder), also while
/// the server runs. Returns the database copy's size in bytes.
pub fn backup(conn: &Connection, data: &Path, out: &Path) -> Result<u64, BackupError> {
    empty_or_missing(out)?;
    files::private_dir(out).map_err(io(out))?;
    let db_copy = out.join(DB_FILE);
    // Created empty and private first: VACUUM INTO then fills it.
    files::touch_private(&db_copy).map_err(io(&db_copy))?;
    conn.execute("VACUUM INTO ?1", [db_copy.display().to_string()])
        .map_err(DbError::from)?;
    for name in ALSO {
        let from = data.join(name);
        if from.exists() {
            copy_private(&from, &out.join(name))?;
        }
    }
    db::audit(
        conn,
        Some("admin"),
        None,
        "backup",
        &[],
        &format!("backup to {}", out.display()),
    )?;
    Ok(std::fs::metadata(&db_copy).map_err(io(&db_copy))?.len())
}

/// Restores a backup into `data` (a new or empty folder; the server must not
/// be serving it). Start the server on `data` afterwards.
pub fn restore(from: &Path, data: &Path) -> Result<(), BackupError> {
    let db_copy = from.join(DB_FILE);
    if !db_copy.is_file() {
        return Err(BackupError::NotABackup(from.display().to_string()));
    }
    empty_or_missing(data)?;
    files::private_dir(data).map_err(io(data))?;
    copy_private(&db_copy, &data.join(DB_FILE))?;
    for name in ALSO {
        let source = from.join(name);
        if source.exists() {
            copy_private(&source, &data.join(name))?;
        }
    }
    // Opening brings the schema up to date and proves the copy reads.
    let restored = db::Db::open(data)?;
    db::audit(
        &restored.lock(),
        Some("admin"),
        None,
        "restore",
        &[],
        &format!("restored from {}", from.display()),
    )?;
    Ok(())
}
