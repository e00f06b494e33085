//! Server tables over the shared document store. Handlers never touch SQL:
//! they call these functions, which take a `&Connection` so callers can
//! compose them inside one transaction.

mod audit;
mod authority;
mod blobs;
mod cases;
mod people;
mod reports;
mod teamdocs;

pub use audit::*;
pub use authority::*;
pub use blobs::*;
pub use cases::*;
pub use people::*;
pub use reports::*;
pub use teamdocs::*;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use brug_shared::store::{self, StoreError};
use rusqlite::Connection;

/// The server's own migrations, applied after the store's.
pub const SERVER_MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/server/0001_server.sql"),
    include_str!("../../../migrations/server/0002_authority.sql"),
    include_str!("../../../migrations/server/0003_catalogue.sql"),
    include_str!("../../../migrations/server/0004_reports.sql"),
    include_str!("../../../migrations/server/0005_report_series.sql"),
    include_str!("../../../migrations/server/0006_unlock.sql"),
    include_str!("../../../migrations/server/0007_report_dirty_version.sql"),
    include_str!("../../../migrations/server/0008_blobs.sql"),
    include_str!("../../../migrations/server/0009_erase.sql"),
];

/// Why a database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite refused.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL refused, or could not be reached.
    #[error("database (PostgreSQL): {0}")]
    Postgres(#[from] postgres::Error),
    /// The document store refused.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// A user, team, device or case that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Input that cannot be stored.
    #[error("{0}")]
    Invalid(String),
}

/// The server database: one connection that writes (SQLite serialises
/// writers anyway) and a few that only read, used from blocking tasks. WAL
/// lets readers see every committed transaction while the writer works, so
/// token lookups, access checks and `/metrics` never wait behind a sync
/// frame; it also lets admin commands read and write beside a running
/// server.
#[derive(Debug, Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
    readers: Arc<Vec<Mutex<Connection>>>,
}

/// Connections that only read.
pub const READERS: usize = 4;

/// Current time in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Db {
    /// Opens (creating if needed) `brug-server.sqlite` in `dir` and brings the
    /// schema up to date.
    pub fn open(dir: &Path) -> Result<Self, DbError> {
        let path = dir.join("brug-server.sqlite");
        crate::files::private_dir(dir)
            .and_then(|()| crate::files::touch_private(&path))
            .map_err(|e| {
                DbError::Invalid(format!(
                    "kan de datamap {} niet (privé) maken: {e} / cannot make the data folder (private)",
                    dir.display()
                ))
            })?;
        let mut conn = Connection::open(&path)?;
        store::configure(&conn)?;
        store::migrate(&mut conn, SERVER_MIGRATIONS)?;
        let readers = (0..READERS)
            .map(|_| {
                let r = Connection::open_with_flags(
                    &path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                r.busy_timeout(std::time::Duration::from_secs(5))?;
                r.pragma_update(None, "query_only", "ON")?;
                Ok(Mutex::new(r))
            })
            .collect::<Result<Vec<_>, DbError>>()?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            readers: Arc::new(readers),
        })
    }

    /// The connection, locked. A panic while holding it cannot leave SQLite
    /// inconsistent (transactions roll back), so a poisoned lock is reused.
    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A connection that only reads (blocking): a free one, else the next
    /// in turn. It sees every transaction committed before its query
    /// began; it cannot write (SQLite refuses). Lock order: a session, then
    /// a case's replica, then a database connection; never the other way.
    pub fn reader(&self) -> MutexGuard<'_, Connection> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        if let Some(free) = self.readers.iter().find_map(|r| r.try_lock().ok()) {
            return free;
        }
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match self.readers.get(n % READERS) {
            Some(r) => r.lock().unwrap_or_else(|p| p.into_inner()),
            // READERS connections always exist; the writer reads as well.
            None => self.lock(),
        }
    }

    /// Runs `f` on a blocking thread with a connection that only reads
    /// ([`Db::reader`]).
    pub async fn read<R, F>(&self, f: F) -> Result<R, DbError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, DbError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || f(&db.reader()))
            .await
            .map_err(|e| DbError::Invalid(format!("database task failed: {e}")))?
    }

    /// Runs `f` on a blocking thread with the database itself, for work
    /// that takes the writer only for its commits ([`Db::lock`]) and reads
    /// beside it ([`Db::reader`]).
    pub async fn with<R, F>(&self, f: F) -> Result<R, DbError>
    where
        R: Send + 'static,
        F: FnOnce(&Db) -> Result<R, DbError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(|e| DbError::Invalid(format!("database task failed: {e}")))?
    }

    /// Runs `f` on a blocking thread with the connection.
    pub async fn run<R, F>(&self, f: F) -> Result<R, DbError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, DbError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || f(&mut db.lock()))
            .await
            .map_err(|e| DbError::Invalid(format!("database task failed: {e}")))?
    }
}
