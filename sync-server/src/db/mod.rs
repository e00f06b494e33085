//! Server tables over the shared document store. Handlers never touch SQL:
//! they call these functions, which take a `&Connection` so callers can
//! compose them inside one transaction.

mod audit;
mod authority;
mod cases;
mod people;
mod reports;
mod teamdocs;

pub use audit::*;
pub use authority::*;
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
];

/// Why a database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite refused.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
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

/// The server database: one connection, used from blocking tasks. SQLite
/// serialises writers anyway; WAL lets admin commands read and write
/// beside a running server.
#[derive(Debug, Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

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
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// The connection, locked. A panic while holding it cannot leave SQLite
    /// inconsistent (transactions roll back), so a poisoned lock is reused.
    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
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
