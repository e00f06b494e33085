//! [`CaseStore`] on PostgreSQL, for several sync servers on one database.
//!
//! - **Connections**: a small pool of synchronous clients (the `postgres`
//!   crate), used from blocking tasks like the SQLite connections. TLS
//!   (rustls with ring, like the rest of Brug) whenever the database offers
//!   it, the server's certificate checked against a CA file
//!   ([`PgDb::connect_with_ca`]); `sslmode=require` in the URL refuses a
//!   database without TLS, `sslmode=disable` never asks.
//! - **Schema**: numbered files in `migrations/postgres/`, applied in order
//!   under an advisory lock, so servers that start at the same moment do
//!   not race; applied versions are in `brug_schema`.
//! - **Concurrent merges**: [`CaseStore::merge_save`] locks the case's row
//!   (`SELECT … FOR UPDATE`), merges what is stored into the caller's copy,
//!   writes the difference and bumps the feed in one transaction. Two
//!   servers merging one case wait for each other and the second merges
//!   the first's change; a new case created by two at once makes one of
//!   them try again and merge. Serialisation failures and deadlocks are
//!   retried.
//! - **Feed order**: numbers come from one counter row locked last and held
//!   until commit (see `migrations/postgres/0001_cases.sql`).
//! - **Cross-server push**: every stored change sends `NOTIFY brug_cases`
//!   with "id seq" inside its transaction (delivered on commit);
//!   [`PgDb::listen`] hears them. A notification is a hint: after a lost
//!   connection the listener says [`Heard::Reconnected`] and the caller
//!   reads the feed from its last number.

mod erase;
mod quarantine;
mod reports;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::Duration;

use automerge::ChangeHash;
use brug_shared::casedoc::CaseDoc;
use brug_shared::store::{self, Saved, StoreError};
use postgres::{Client, Transaction};
use tokio_postgres_rustls::MakeRustlsConnect;
use uuid::Uuid;

use super::{
    Assignment, Audience, BlobChunk, CaseStore, ChunkStored, FeedEntry, NewDevice, PeopleStore,
    ServerStore, SessionStore, Stored, StoredBytes, SyncCommit, TeamDocChange, UNLOCKED,
};
use crate::db::{
    self, AuditEntry, Catchup, ChunkOutcome, CodeRefusal, Db, DbError, Device, User, now_ms,
};
use brug_shared::model::BlobHash;
use brug_shared::model::Role;
use brug_shared::protocol::JoinedDevice;
use brug_shared::protocol::blobs::BlobStatus;
use brug_shared::protocol::quarantine::Entry;
use brug_shared::report::{Plan, Query, Report};

use crate::docs::DocCache;
use crate::erase::{EraseRequest, Erased};
use crate::import::NewCase;
use crate::quarantine::QuarantineError;

/// The PostgreSQL migrations, in order. Never edit a released one.
pub const PG_MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/postgres/0001_cases.sql"),
    include_str!("../../../migrations/postgres/0002_people.sql"),
    include_str!("../../../migrations/postgres/0003_rest.sql"),
    include_str!("../../../migrations/postgres/0004_admin_counter.sql"),
];

/// The channel stored changes are announced on.
pub const CHANNEL: &str = "brug_cases";

/// Key of the advisory lock migrations run under.
const MIGRATION_LOCK: i64 = 0x6272_7567_0018;

/// How often a transaction is tried when PostgreSQL asks for a retry.
const ATTEMPTS: usize = 20;

/// How long connecting may take unless the URL says `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a caller waits for a free connection before giving up.
const POOL_WAIT: Duration = Duration::from_secs(30);

/// A PostgreSQL database holding Brug's cases.
#[derive(Clone)]
pub struct PgDb {
    inner: Arc<Pool>,
}

impl std::fmt::Debug for PgDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may hold a password.
        f.debug_struct("PgDb")
            .field("max", &self.inner.max)
            .finish()
    }
}

struct Pool {
    /// This handle's name on the database (`application_name`, in
    /// `pg_stat_activity` and in every change it announces), so its own
    /// announcements can be told from other servers'.
    origin: String,
    config: postgres::Config,
    tls: MakeRustlsConnect,
    max: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
}

struct PoolState {
    idle: Vec<Client>,
    open: usize,
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Each client owns a small runtime, which must not be dropped on an
        // async worker (tokio panics): the last handle of a server's pool
        // may well go there, so the idle clients are closed on a thread of
        // their own.
        let idle = std::mem::take(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()).idle);
        if !idle.is_empty() {
            let _ = std::thread::Builder::new()
                .name("brug-pg-close".into())
                .spawn(move || drop(idle));
        }
    }
}

/// A pooled connection; back to the pool when dropped (closed ones are
/// forgotten and replaced on demand).
pub struct PgConn {
    client: Option<Client>,
    pool: Arc<Pool>,
}

impl std::fmt::Debug for PgConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConn").finish_non_exhaustive()
    }
}

impl std::ops::Deref for PgConn {
    type Target = Client;
    fn deref(&self) -> &Client {
        // Only `Drop` takes the client out.
        self.client.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl std::ops::DerefMut for PgConn {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for PgConn {
    fn drop(&mut self) {
        let mut state = self.pool.state.lock().unwrap_or_else(|p| p.into_inner());
        match self.client.take() {
            Some(c) if !c.is_closed() => state.idle.push(c),
            _ => state.open = state.open.saturating_sub(1),
        }
        self.pool.freed.notify_one();
    }
}

impl PgDb {
    /// Connects to `url` (`postgres://user@host:port/db`), with at most
    /// `max` connections, and brings the schema up to date. A database that
    /// offers TLS must present a certificate that [`PgDb::connect_with_ca`]
    /// can check: without a CA file, use that.
    pub fn connect(url: &str, max: usize) -> Result<Self, DbError> {
        Self::connect_with_ca(url, max, None)
    }

    /// [`PgDb::connect`], checking the database's TLS certificate against
    /// the CA certificates (PEM) in `ca`.
    pub fn connect_with_ca(
        url: &str,
        max: usize,
        ca: Option<&std::path::Path>,
    ) -> Result<Self, DbError> {
        let mut config: postgres::Config = url.parse().map_err(|e| {
            DbError::Invalid(format!(
                "ongeldige PostgreSQL-URL / invalid PostgreSQL URL: {e}"
            ))
        })?;
        // A database host that does not answer is an error within seconds,
        // not after the system's TCP timeout (the URL may set its own).
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let origin = format!("brug-{}", hex::encode(crate::auth::random_bytes::<8>()));
        config.application_name(&origin);
        let db = Self {
            inner: Arc::new(Pool {
                origin,
                tls: tls(ca)?,
                config,
                max: max.max(1),
                state: Mutex::new(PoolState {
                    idle: Vec::new(),
                    open: 0,
                }),
                freed: Condvar::new(),
            }),
        };
        db.migrate()?;
        Ok(db)
    }

    /// A connection from the pool: an idle one, a new one while fewer than
    /// `max` are open, else the next one freed.
    pub fn conn(&self) -> Result<PgConn, DbError> {
        let pool = &self.inner;
        let mut state = pool.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            while let Some(c) = state.idle.pop() {
                if c.is_closed() {
                    state.open = state.open.saturating_sub(1);
                    continue;
                }
                return Ok(PgConn {
                    client: Some(c),
                    pool: pool.clone(),
                });
            }
            if state.open < pool.max {
                state.open += 1;
                drop(state);
                return match pool.config.connect(pool.tls.clone()).map_err(explain) {
                    Ok(c) => Ok(PgConn {
                        client: Some(c),
                        pool: pool.clone(),
                    }),
                    Err(e) => {
                        let mut state = pool.state.lock().unwrap_or_else(|p| p.into_inner());
                        state.open = state.open.saturating_sub(1);
                        pool.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let (next, timeout) = pool
                .freed
                .wait_timeout(state, POOL_WAIT)
                .unwrap_or_else(|p| p.into_inner());
            state = next;
            if timeout.timed_out() && state.idle.is_empty() && state.open >= pool.max {
                return Err(DbError::Invalid(format!(
                    "alle {} databaseverbindingen bezet / all database connections busy",
                    pool.max
                )));
            }
        }
    }

    fn migrate(&self) -> Result<(), DbError> {
        let mut c = self.conn()?;
        c.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
        let result = apply_migrations(&mut c);
        let unlocked = c.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
        result?;
        unlocked?;
        Ok(())
    }

    /// Starts listening for changes stored by any server on this database.
    /// Listening has begun when this returns: every change committed after
    /// it is heard (or a [`Heard::Reconnected`] says some may have been
    /// missed).
    pub fn listen(&self) -> Result<FeedListener, DbError> {
        self.listen_skipping(None)
    }

    /// [`PgDb::listen`] for changes stored through other handles only
    /// (other servers, the command line): what this handle stores, its
    /// server has told its own sessions already.
    pub fn listen_to_others(&self) -> Result<FeedListener, DbError> {
        self.listen_skipping(Some(self.inner.origin.clone()))
    }

    fn listen_skipping(&self, own: Option<String>) -> Result<FeedListener, DbError> {
        let mut client = self
            .inner
            .config
            .connect(self.inner.tls.clone())
            .map_err(explain)?;
        client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let config = self.inner.config.clone();
        let tls = self.inner.tls.clone();
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("brug-pg-listen".into())
            .spawn(move || listen_loop(client, &config, &tls, &tx, &flag, own.as_deref()))
            .map_err(|e| DbError::Invalid(format!("listener thread: {e}")))?;
        Ok(FeedListener {
            rx,
            stop,
            thread: Some(thread),
        })
    }

    /// Copies a SQLite server database into this (empty) PostgreSQL
    /// database: every table ([`COPIED`]: users, devices with their token
    /// hashes, every case with its chunks, the feed, access, sync states,
    /// the audit log, codes, quarantine, reports, photos, erasures), row
    /// for row and byte for byte, in one transaction. Then checks the copy:
    /// the same number of rows in every table, and every case loads from
    /// PostgreSQL with the heads it had in SQLite. Refuses a database that
    /// holds cases or users. New ids and feed numbers continue after the
    /// copied ones.
    pub fn copy_from_sqlite(&self, from: &Db) -> Result<CopyReport, DbError> {
        let reader = from.reader();
        // One read transaction: a consistent copy, also beside a running
        // server (WAL lets it write meanwhile; its later writes are not in
        // the copy).
        let src = reader.unchecked_transaction()?;
        let mut dst = self.conn()?;
        let mut tx = dst.transaction()?;
        let held: i64 = tx
            .query_one(
                "SELECT (SELECT COUNT(*) FROM documents) + (SELECT COUNT(*) FROM users)",
                &[],
            )?
            .get(0);
        if held > 0 {
            return Err(DbError::Invalid(format!(
                "de PostgreSQL-database is niet leeg ({held} dossiers en gebruikers); kopieer alleen naar een lege / the PostgreSQL database is not empty ({held} cases and users); copy into an empty one only"
            )));
        }
        let mut report = CopyReport::default();
        for table in COPIED {
            let rows = copy_table(&src, &mut tx, table)?;
            report.tables.push((table.name, rows));
        }
        report.seq = tx
            .query_one("SELECT COALESCE(MAX(seq), 0) FROM doc_feed", &[])?
            .get(0);
        tx.execute("UPDATE feed_counter SET seq = $1", &[&report.seq])?;
        tx.execute(
            "UPDATE admin_counter SET seq = (SELECT COALESCE(MAX(seq), 0) FROM admin_events)",
            &[],
        )?;
        // The same rows on both sides before anything is committed.
        for table in COPIED {
            let there: i64 = tx
                .query_one(&format!("SELECT COUNT(*) FROM {}", table.name), &[])?
                .get(0);
            if u64::try_from(there).ok() != Some(report.rows(table.name)) {
                return Err(DbError::Invalid(format!(
                    "tabel {}: {there} rijen na het kopiëren, {} ervoor / table {}: row counts differ",
                    table.name,
                    report.rows(table.name),
                    table.name
                )));
            }
        }
        tx.commit()?;
        drop(dst);
        for id in store::ids(&src)? {
            let before = store::heads(&src, id)?;
            let loaded = self.load(id)?.map(|mut d| d.heads());
            if before.is_none() || loaded != before {
                return Err(DbError::Invalid(format!(
                    "dossier {id}: andere heads na het kopiëren / different heads after the copy"
                )));
            }
            report.verified += 1;
        }
        Ok(report)
    }

    fn try_merge_save(&self, doc: &mut CaseDoc, by: &User) -> Result<Option<Stored>, DbError> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        let Some(stored) = write_case(&mut tx, doc, by)? else {
            return Ok(None);
        };
        tx.commit()?;
        Ok(Some(stored))
    }

    /// Runs `attempt` until it is done, again when PostgreSQL asks for a
    /// retry or another server created the case first (`Ok(None)`).
    fn retried<T>(
        &self,
        id: Uuid,
        mut attempt: impl FnMut() -> Result<Option<T>, DbError>,
    ) -> Result<T, DbError> {
        let mut last = None;
        for _ in 0..ATTEMPTS {
            match attempt() {
                Ok(Some(done)) => return Ok(done),
                Ok(None) => {}
                Err(e) if retryable(&e) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            DbError::Invalid(format!(
                "dossier {id}: na {ATTEMPTS} pogingen niet bewaard / not stored after {ATTEMPTS} attempts"
            ))
        }))
    }
}

/// Writes `doc` in `tx`, merged first with what is stored (another server,
/// or another session, may have written since `doc` was loaded), and moves
/// it up the feed. The case's row stays locked until `tx` ends. `None`:
/// another server created the case since we looked; try again.
fn write_case(
    tx: &mut Transaction<'_>,
    doc: &mut CaseDoc,
    by: &User,
) -> Result<Option<Stored>, DbError> {
    let id = doc.id().to_string();
    let row = tx.query_opt(
        "SELECT heads, snapshot_bytes, chunk_bytes FROM documents WHERE id = $1 FOR UPDATE",
        &[&id],
    )?;
    let Some(row) = row else {
        let heads = store::encode_heads(&doc.heads());
        let snapshot = doc.save();
        let generation = i64::try_from(doc.generation()).unwrap_or(i64::MAX);
        let inserted = tx.execute(
            "INSERT INTO documents (id, snapshot, snapshot_bytes, heads, updated_at, generation)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
            &[
                &id,
                &snapshot,
                &(snapshot.len() as i64),
                &heads,
                &now_ms(),
                &generation,
            ],
        )?;
        if inserted == 0 {
            return Ok(None);
        }
        let seq = record_change(tx, &id, by, true)?;
        return Ok(Some(Stored {
            saved: Saved::Created,
            seq: Some(seq),
        }));
    };
    let stored = store::decode_heads(row.get::<_, &str>(0))?;
    let (snapshot_bytes, chunk_bytes): (i64, i64) = (row.get(1), row.get(2));
    if !doc.contains_all(&stored)
        && let Some(mut theirs) = load_in(tx, &id)?
    {
        doc.merge(&mut theirs).map_err(StoreError::from)?;
    }
    let heads = doc.heads();
    let unchanged = Stored {
        saved: Saved::Unchanged,
        seq: None,
    };
    if heads == stored {
        return Ok(Some(unchanged));
    }
    let chunk = doc.save_after(&stored);
    if chunk.is_empty() {
        return Ok(Some(unchanged));
    }
    let heads = store::encode_heads(&heads);
    let total = chunk_bytes + chunk.len() as i64;
    let saved = if total > snapshot_bytes {
        let snapshot = doc.save();
        tx.execute("DELETE FROM document_chunks WHERE doc_id = $1", &[&id])?;
        tx.execute(
            "UPDATE documents SET snapshot = $2, snapshot_bytes = $3, chunk_bytes = 0,
             heads = $4, updated_at = $5 WHERE id = $1",
            &[&id, &snapshot, &(snapshot.len() as i64), &heads, &now_ms()],
        )?;
        Saved::Compacted(snapshot.len())
    } else {
        tx.execute(
            "INSERT INTO document_chunks (doc_id, n, data)
             VALUES ($1, (SELECT COALESCE(MAX(n), 0) + 1 FROM document_chunks WHERE doc_id = $1), $2)",
            &[&id, &chunk],
        )?;
        tx.execute(
            "UPDATE documents SET chunk_bytes = $2, heads = $3, updated_at = $4 WHERE id = $1",
            &[&id, &total, &heads, &now_ms()],
        )?;
        Saved::Appended(chunk.len())
    };
    let seq = record_change(tx, &id, by, false)?;
    Ok(Some(Stored {
        saved,
        seq: Some(seq),
    }))
}

/// A stored change, as SQLite's `db::record_change`: the next feed number,
/// the report projection marked out of date, and for a new case its team,
/// creator and the creator's access.
fn record_change(
    tx: &mut Transaction<'_>,
    id: &str,
    by: &User,
    is_new: bool,
) -> Result<i64, DbError> {
    if is_new {
        tx.execute(
            "INSERT INTO case_access (case_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&id, &by.id],
        )?;
        mark_dirty(tx, &db::activities_source(&by.team))?;
    }
    mark_dirty(tx, id)?;
    // Last: the counter's row lock is held until the commit.
    bump_feed(tx, id, is_new.then_some(by))
}

/// Gives `user` access to case `id` in `tx` (same team, a role that
/// holds cases); moves the case up the feed when access was new.
fn assign_in(tx: &mut Transaction<'_>, id: Uuid, user: &str) -> Result<bool, DbError> {
    let key = id.to_string();
    let team: Option<String> = tx
        .query_opt("SELECT team_id FROM doc_feed WHERE doc_id = $1", &[&key])?
        .map(|r| r.get(0));
    let Some(team) = team else {
        return Err(DbError::NotFound(format!("dossier {id} bestaat niet")));
    };
    let row = tx.query_opt(
        "SELECT id, name, role, team_id FROM users WHERE id = $1",
        &[&user],
    )?;
    let Some(user) = row.map(|r| user_from_row(&r, 0)).transpose()? else {
        return Err(DbError::NotFound(format!(
            "gebruiker '{user}' bestaat niet (zie: user list)"
        )));
    };
    db::may_be_assigned(&user, &team, id)?;
    let given = tx.execute(
        "INSERT INTO case_access (case_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[&key, &user.id],
    )? > 0;
    if given {
        // Devices syncing from an older cursor look at the case again.
        bump_feed(tx, &key, None)?;
    }
    Ok(given)
}

/// Takes case `id` away from `user` in `tx`; moves the case up the feed
/// when access was taken.
fn unassign_in(tx: &mut Transaction<'_>, id: Uuid, user: &str) -> Result<bool, DbError> {
    let key = id.to_string();
    if tx
        .query_opt("SELECT 1 FROM users WHERE id = $1", &[&user])?
        .is_none()
    {
        return Err(DbError::NotFound(format!(
            "gebruiker '{user}' bestaat niet (zie: user list)"
        )));
    }
    let taken = tx.execute(
        "DELETE FROM case_access WHERE case_id = $1 AND user_id = $2",
        &[&key, &user],
    )? > 0;
    if taken {
        bump_feed(tx, &key, None)?;
    }
    Ok(taken)
}

fn mark_dirty(tx: &mut Transaction<'_>, source: &str) -> Result<(), DbError> {
    tx.execute(
        "INSERT INTO report_dirty (source) VALUES ($1)
         ON CONFLICT (source) DO UPDATE SET version = report_dirty.version + 1",
        &[&source],
    )?;
    Ok(())
}

/// What [`PgDb::copy_from_sqlite`] copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Rows copied per table, in the order copied.
    pub tables: Vec<(&'static str, u64)>,
    /// The highest feed number; the counter continues from it.
    pub seq: i64,
    /// Cases loaded back from PostgreSQL with the same heads.
    pub verified: u64,
}

impl CopyReport {
    /// Rows copied of `table`.
    pub fn rows(&self, table: &str) -> u64 {
        self.tables
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(0, |(_, n)| *n)
    }
}

/// How a column is read from SQLite and written to PostgreSQL.
#[derive(Debug, Clone, Copy)]
enum Col {
    Text,
    OptText,
    Int,
    OptInt,
    /// An INTEGER (32-bit) column in PostgreSQL.
    Int32,
    Blob,
    OptBlob,
}

/// A table copied by [`PgDb::copy_from_sqlite`].
#[derive(Debug)]
pub struct Copied {
    /// Its name, the same on both sides.
    pub name: &'static str,
    cols: &'static [(&'static str, Col)],
    /// A column PostgreSQL numbers itself (BIGSERIAL): its sequence is set
    /// after the copy.
    serial: Option<&'static str>,
}

impl Copied {
    /// Its columns, in order.
    pub fn columns(&self) -> Vec<&'static str> {
        self.cols.iter().map(|(c, _)| *c).collect()
    }
}

/// Every server table, parents before children.
pub const COPIED: &[Copied] = {
    use Col::*;
    &[
        Copied {
            name: "teams",
            cols: &[("id", Text), ("name", Text)],
            serial: None,
        },
        Copied {
            name: "users",
            cols: &[
                ("id", Text),
                ("name", Text),
                ("role", Text),
                ("team_id", Text),
                ("created_at", Int),
            ],
            serial: None,
        },
        Copied {
            name: "devices",
            cols: &[
                ("id", Text),
                ("user_id", Text),
                ("name", Text),
                ("token_hash", Blob),
                ("created_at", Int),
                ("revoked_at", OptInt),
                ("last_seen", OptInt),
                ("unlock_secret", OptBlob),
            ],
            serial: None,
        },
        Copied {
            name: "enrol_codes",
            cols: &[
                ("code_hash", Blob),
                ("user_id", Text),
                ("expires_at", Int),
                ("used_at", OptInt),
            ],
            serial: None,
        },
        Copied {
            name: "unlock_codes",
            cols: &[
                ("code_hash", Blob),
                ("device_id", Text),
                ("created_at", Int),
                ("expires_at", Int),
                ("used_at", OptInt),
            ],
            serial: None,
        },
        Copied {
            name: "documents",
            cols: &[
                ("id", Text),
                ("snapshot", Blob),
                ("snapshot_bytes", Int),
                ("chunk_bytes", Int),
                ("heads", Text),
                ("updated_at", Int),
                ("generation", Int),
            ],
            serial: None,
        },
        Copied {
            name: "document_chunks",
            cols: &[("doc_id", Text), ("n", Int32), ("data", Blob)],
            serial: None,
        },
        Copied {
            name: "doc_feed",
            cols: &[
                ("doc_id", Text),
                ("seq", Int),
                ("team_id", Text),
                ("created_by", Text),
            ],
            serial: None,
        },
        Copied {
            name: "case_access",
            cols: &[("case_id", Text), ("user_id", Text)],
            serial: None,
        },
        Copied {
            name: "sync_states",
            cols: &[("device_id", Text), ("doc_id", Text), ("state", Blob)],
            serial: None,
        },
        Copied {
            name: "audit",
            cols: &[
                ("id", Int),
                ("at", Int),
                ("user_id", OptText),
                ("device_id", OptText),
                ("action", Text),
                ("cases", Text),
                ("detail", Text),
            ],
            serial: Some("id"),
        },
        Copied {
            name: "recovery_windows",
            cols: &[
                ("id", Int),
                ("opened_at", Int),
                ("until_ms", Int),
                ("opened_by", Text),
                ("reason", Text),
            ],
            serial: Some("id"),
        },
        Copied {
            name: "quarantine",
            cols: &[
                ("id", Int),
                ("case_id", Text),
                ("team_id", Text),
                ("user_id", Text),
                ("device_id", Text),
                ("changes", Blob),
                ("at", Int),
                ("decided_at", OptInt),
                ("decided_by", OptText),
                ("decision", OptText),
            ],
            serial: Some("id"),
        },
        Copied {
            name: "team_catalogue",
            cols: &[("team_id", Text), ("doc", Blob), ("updated_at", Int)],
            serial: None,
        },
        Copied {
            name: "team_activities",
            cols: &[("team_id", Text), ("doc", Blob), ("updated_at", Int)],
            serial: None,
        },
        Copied {
            name: "report_dirty",
            cols: &[("source", Text), ("version", Int)],
            serial: None,
        },
        Copied {
            name: "report_series",
            cols: &[
                ("source", Text),
                ("team_id", Text),
                ("case_id", OptText),
                ("postcode", Text),
                ("worker", Text),
                ("kind", Text),
                ("detail", Text),
                ("outcome", Text),
                ("first_day", Text),
                ("last_day", Text),
                ("facts", Int),
                ("days", Blob),
            ],
            serial: None,
        },
        Copied {
            name: "blobs",
            cols: &[
                ("hash", Text),
                ("stored_at", Int),
                ("stored_by", Text),
                ("bytes", Blob),
            ],
            serial: None,
        },
        Copied {
            name: "blob_parts",
            cols: &[
                ("hash", Text),
                ("offset", Int),
                ("total", Int),
                ("device_id", Text),
                ("updated_at", Int),
                ("bytes", Blob),
            ],
            serial: None,
        },
        Copied {
            name: "case_blobs",
            cols: &[("case_id", Text), ("hash", Text)],
            serial: None,
        },
        Copied {
            name: "blob_orphans",
            cols: &[("hash", Text), ("since", Int)],
            serial: None,
        },
        Copied {
            name: "admin_events",
            cols: &[
                ("seq", Int),
                ("kind", Text),
                ("device_id", OptText),
                ("user_id", OptText),
                ("case_id", OptText),
            ],
            serial: Some("seq"),
        },
        Copied {
            name: "erasures",
            cols: &[
                ("id", Int),
                ("case_id", Text),
                ("generation", Int),
                ("at", Int),
                ("by_user", Text),
                ("reason", Text),
                ("erased", Text),
            ],
            serial: Some("id"),
        },
    ]
};

/// Copies one table's rows; returns how many.
fn copy_table(
    src: &rusqlite::Connection,
    tx: &mut Transaction<'_>,
    table: &Copied,
) -> Result<u64, DbError> {
    use postgres::types::ToSql;
    let cols = table
        .cols
        .iter()
        .map(|(c, _)| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let marks = (1..=table.cols.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let insert = tx.prepare(&format!(
        "INSERT INTO {} ({cols}) VALUES ({marks})",
        table.name
    ))?;
    let mut select = src.prepare(&format!("SELECT {cols} FROM {}", table.name))?;
    let mut rows = select.query([])?;
    let mut copied = 0;
    while let Some(r) = rows.next()? {
        let mut values: Vec<Box<dyn ToSql + Sync>> = Vec::with_capacity(table.cols.len());
        for (i, (name, col)) in table.cols.iter().enumerate() {
            values.push(match col {
                Col::Text => Box::new(r.get::<_, String>(i)?),
                Col::OptText => Box::new(r.get::<_, Option<String>>(i)?),
                Col::Int => Box::new(r.get::<_, i64>(i)?),
                Col::OptInt => Box::new(r.get::<_, Option<i64>>(i)?),
                Col::Int32 => {
                    let n: i64 = r.get(i)?;
                    Box::new(i32::try_from(n).map_err(|_| {
                        DbError::Invalid(format!("{}.{name}: {n} is too large", table.name))
                    })?)
                }
                Col::Blob => Box::new(r.get::<_, Vec<u8>>(i)?),
                Col::OptBlob => Box::new(r.get::<_, Option<Vec<u8>>>(i)?),
            });
        }
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v.as_ref()).collect();
        tx.execute(&insert, &params)?;
        copied += 1;
    }
    if let Some(col) = table.serial {
        // The next id PostgreSQL hands out follows the copied ones.
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{0}', '{col}'), COALESCE((SELECT MAX(\"{col}\") FROM {0}), 0) + 1, false)",
                table.name
            ),
            &[],
        )?;
    }
    Ok(copied)
}

fn apply_migrations(c: &mut Client) -> Result<(), DbError> {
    c.batch_execute(
        "CREATE TABLE IF NOT EXISTS brug_schema (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )?;
    let current: i32 = c
        .query_one("SELECT COALESCE(MAX(version), 0) FROM brug_schema", &[])?
        .get(0);
    let known = i32::try_from(PG_MIGRATIONS.len()).unwrap_or(i32::MAX);
    if current > known {
        return Err(DbError::Invalid(format!(
            "de database heeft schemaversie {current}, deze server kent er {known}: gebruik een nieuwere server / the database is at schema version {current}, this server knows {known}"
        )));
    }
    for (version, sql) in (1..).zip(PG_MIGRATIONS.iter()).skip(current as usize) {
        let mut tx = c.transaction()?;
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO brug_schema (version, applied_at) VALUES ($1, $2)",
            &[&version, &now_ms()],
        )?;
        tx.commit()?;
    }
    Ok(())
}

/// Whether some case that refers to attachment `hash` is one `user` may
/// see (as `db::may_see_blob`).
fn may_see_blob(c: &mut Client, user: &User, hash: &BlobHash) -> Result<bool, DbError> {
    let supervisor = user.role == Role::Supervisor;
    Ok(c.query_one(
        "SELECT EXISTS (
             SELECT 1 FROM case_blobs b
             WHERE b.hash = $1
               AND (EXISTS (SELECT 1 FROM case_access a WHERE a.case_id = b.case_id AND a.user_id = $2)
                    OR ($3 AND EXISTS (SELECT 1 FROM doc_feed f WHERE f.doc_id = b.case_id AND f.team_id = $4))))",
        &[&hash.as_str(), &user.id, &supervisor, &user.team],
    )?
    .get(0))
}

/// Which limit a new upload would go over, if any (as `db::over_quota`):
/// a case that refers to it, or the device's day.
fn over_quota(
    tx: &mut Transaction<'_>,
    c: &BlobChunk<'_>,
) -> Result<Option<&'static str>, DbError> {
    let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let over_case: bool = tx
        .query_one(
            "SELECT EXISTS (
                 SELECT 1 FROM case_blobs r
                 WHERE r.hash = $1
                   AND COALESCE((SELECT SUM(length(b.bytes)) FROM case_blobs c JOIN blobs b ON b.hash = c.hash
                                 WHERE c.case_id = r.case_id), 0)::BIGINT + $2 > $3)",
            &[
                &c.hash.as_str(),
                &to_i64(c.total),
                &to_i64(c.limits.max_case_bytes),
            ],
        )?
        .get(0);
    if over_case {
        return Ok(Some("case"));
    }
    let day: i64 = tx
        .query_one(
            "SELECT (COALESCE((SELECT SUM(length(bytes)) FROM blobs WHERE stored_by = $1 AND stored_at >= $2), 0)
                   + COALESCE((SELECT SUM(length(bytes)) FROM blob_parts WHERE device_id = $1), 0))::BIGINT",
            &[&c.device, &c.day_start],
        )?
        .get(0);
    if u64::try_from(day).unwrap_or(0) + c.total > c.limits.max_device_day_bytes {
        return Ok(Some("device-day"));
    }
    Ok(None)
}

/// Appends an administrator's action to the admin events in `tx`, numbered
/// from the counter row (locked until the commit, so numbers follow commit
/// order and a server reading "after N" passes over none).
pub(super) fn push_admin_event_in(
    tx: &mut Transaction<'_>,
    event: &db::AdminEvent,
) -> Result<(), DbError> {
    let (kind, device, user, case) = event.to_row();
    let seq: i64 = tx
        .query_one(
            "UPDATE admin_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq",
            &[],
        )?
        .get(0);
    tx.execute(
        "INSERT INTO admin_events (seq, kind, device_id, user_id, case_id)
         VALUES ($1, $2, $3, $4, $5)",
        &[&seq, &kind, &device, &user, &case],
    )?;
    Ok(())
}

/// Takes the next feed number (the counter row stays locked until the
/// commit), moves the case there and announces it.
fn bump_feed(tx: &mut Transaction<'_>, id: &str, new_by: Option<&User>) -> Result<i64, DbError> {
    let seq: i64 = tx
        .query_one(
            "UPDATE feed_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq",
            &[],
        )?
        .get(0);
    match new_by {
        Some(by) => tx.execute(
            "INSERT INTO doc_feed (doc_id, seq, team_id, created_by) VALUES ($1, $2, $3, $4)",
            &[&id, &seq, &by.team, &by.id],
        )?,
        None => tx.execute(
            "UPDATE doc_feed SET seq = $2 WHERE doc_id = $1",
            &[&id, &seq],
        )?,
    };
    tx.execute(
        "SELECT pg_notify($1, $2 || ' ' || current_setting('application_name'))",
        &[&CHANNEL, &format!("{id} {seq}")],
    )?;
    Ok(seq)
}

fn load_in(tx: &mut Transaction<'_>, id: &str) -> Result<Option<CaseDoc>, DbError> {
    let Some(row) = tx.query_opt("SELECT snapshot FROM documents WHERE id = $1", &[&id])? else {
        return Ok(None);
    };
    let snapshot: Vec<u8> = row.get(0);
    let chunks: Vec<Vec<u8>> = tx
        .query(
            "SELECT data FROM document_chunks WHERE doc_id = $1 ORDER BY n",
            &[&id],
        )?
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    Ok(Some(
        CaseDoc::load(&snapshot, &chunks).map_err(StoreError::from)?,
    ))
}

/// Whether PostgreSQL asks for the transaction to be tried again.
fn retryable(e: &DbError) -> bool {
    use postgres::error::SqlState;
    match e {
        DbError::Postgres(e) => e.code().is_some_and(|c| {
            *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED
                || *c == SqlState::UNIQUE_VIOLATION
        }),
        _ => false,
    }
}

impl CaseStore for PgDb {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn shared_with_other_servers(&self) -> bool {
        true
    }

    fn merge_save(&self, doc: &mut CaseDoc, by: &User) -> Result<Stored, DbError> {
        let id = doc.id();
        self.retried(id, || self.try_merge_save(doc, by))
    }

    fn load(&self, id: Uuid) -> Result<Option<CaseDoc>, DbError> {
        let mut c = self.conn()?;
        // One snapshot of the database for both reads: a compaction
        // between them cannot drop chunks from what is loaded.
        let mut tx = c
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let doc = load_in(&mut tx, &id.to_string())?;
        tx.commit()?;
        Ok(doc)
    }

    fn stored_bytes(&self, id: Uuid) -> Result<Option<StoredBytes>, DbError> {
        let mut c = self.conn()?;
        // One snapshot of the database for both reads, as in `load`.
        let mut tx = c
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let key = id.to_string();
        let Some(row) = tx.query_opt(
            "SELECT snapshot, heads, generation FROM documents WHERE id = $1",
            &[&key],
        )?
        else {
            return Ok(None);
        };
        let mut bytes: Vec<u8> = row.get(0);
        let heads = store::decode_heads(row.get::<_, &str>(1))?;
        let generation: i64 = row.get(2);
        for r in tx.query(
            "SELECT data FROM document_chunks WHERE doc_id = $1 ORDER BY n",
            &[&key],
        )? {
            bytes.extend_from_slice(r.get::<_, &[u8]>(0));
        }
        tx.commit()?;
        Ok(Some(StoredBytes {
            generation: u64::try_from(generation).unwrap_or(0),
            heads,
            bytes,
        }))
    }

    fn heads(&self, id: Uuid) -> Result<Option<Vec<ChangeHash>>, DbError> {
        let row = self.conn()?.query_opt(
            "SELECT heads FROM documents WHERE id = $1",
            &[&id.to_string()],
        )?;
        row.map(|r| store::decode_heads(r.get::<_, &str>(0)).map_err(DbError::from))
            .transpose()
    }

    fn current_seq(&self) -> Result<i64, DbError> {
        Ok(self
            .conn()?
            .query_one("SELECT seq FROM feed_counter WHERE id = 1", &[])?
            .get(0))
    }

    fn changed_since(&self, seq: i64, limit: usize) -> Result<Vec<FeedEntry>, DbError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.conn()?.query(
            "SELECT doc_id, seq FROM doc_feed WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&seq, &limit],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some(FeedEntry {
                    seq: r.get(1),
                    id: Uuid::parse_str(r.get::<_, &str>(0)).ok()?,
                })
            })
            .collect())
    }

    fn ids(&self) -> Result<Vec<Uuid>, DbError> {
        let rows = self
            .conn()?
            .query("SELECT id FROM documents ORDER BY id", &[])?;
        Ok(rows
            .iter()
            .filter_map(|r| Uuid::parse_str(r.get::<_, &str>(0)).ok())
            .collect())
    }
}

/// What a [`FeedListener`] hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// A server stored a change to this case.
    Changed(FeedEntry),
    /// The listening connection was lost and is back: changes stored in
    /// between were not heard; read the feed from the last number seen.
    Reconnected,
}

/// Changes stored by any server, as they are committed. Stops listening
/// when dropped.
pub struct FeedListener {
    rx: mpsc::Receiver<Heard>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for FeedListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedListener").finish_non_exhaustive()
    }
}

impl FeedListener {
    /// The next thing heard, waiting at most `wait`.
    pub fn recv_timeout(&self, wait: Duration) -> Option<Heard> {
        self.rx.recv_timeout(wait).ok()
    }

    /// Everything heard so far, without waiting.
    pub fn drain(&self) -> Vec<Heard> {
        self.rx.try_iter().collect()
    }
}

impl Drop for FeedListener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// How long the listener waits for a notification before it looks at the
/// stop flag again.
const LISTEN_TICK: Duration = Duration::from_millis(200);

fn listen_loop(
    mut client: Client,
    config: &postgres::Config,
    tls: &MakeRustlsConnect,
    tx: &mpsc::Sender<Heard>,
    stop: &AtomicBool,
    own: Option<&str>,
) {
    use postgres::fallible_iterator::FallibleIterator;
    while !stop.load(Ordering::Relaxed) {
        let next = client.notifications().timeout_iter(LISTEN_TICK).next();
        match next {
            Ok(Some(n)) => {
                if let Some((entry, origin)) = parse_notification(n.payload())
                    && (own.is_none() || origin != own)
                    && tx.send(Heard::Changed(entry)).is_err()
                {
                    return;
                }
            }
            Ok(None) => {
                if client.is_closed() {
                    client = match reconnect(config, tls, stop) {
                        Some(c) => c,
                        None => return,
                    };
                    if tx.send(Heard::Reconnected).is_err() {
                        return;
                    }
                }
            }
            Err(_) => {
                client = match reconnect(config, tls, stop) {
                    Some(c) => c,
                    None => return,
                };
                if tx.send(Heard::Reconnected).is_err() {
                    return;
                }
            }
        }
    }
}

fn reconnect(
    config: &postgres::Config,
    tls: &MakeRustlsConnect,
    stop: &AtomicBool,
) -> Option<Client> {
    let mut wait = Duration::from_millis(100);
    while !stop.load(Ordering::Relaxed) {
        if let Ok(mut c) = config.connect(tls.clone())
            && c.batch_execute(&format!("LISTEN {CHANNEL}")).is_ok()
        {
            return Some(c);
        }
        std::thread::sleep(wait);
        wait = (wait * 2).min(Duration::from_secs(5));
    }
    None
}

/// `"<case> <seq> <origin>"` (the origin since servers relay each
/// other's changes; older announcements have none).
fn parse_notification(payload: &str) -> Option<(FeedEntry, Option<&str>)> {
    let mut parts = payload.splitn(3, ' ');
    let id = Uuid::parse_str(parts.next()?).ok()?;
    let seq = parts.next()?.parse().ok()?;
    Some((FeedEntry { id, seq }, parts.next()))
}

fn user_from_row(r: &postgres::Row, at: usize) -> Result<User, DbError> {
    let code: &str = r.get(at + 2);
    Ok(User {
        id: r.get(at),
        name: r.get(at + 1),
        // An unknown role is an error, never silently a bridge worker.
        role: Role::from_code(code)
            .ok_or_else(|| DbError::Invalid(format!("unknown role '{code}'")))?,
        team: r.get(at + 3),
    })
}

impl PeopleStore for PgDb {
    fn devices(&self, user: Option<&str>) -> Result<Vec<Device>, DbError> {
        let rows = self.conn()?.query(
            "SELECT id, user_id, name, created_at, revoked_at, last_seen FROM devices
             WHERE $1::TEXT IS NULL OR user_id = $1 ORDER BY created_at",
            &[&user],
        )?;
        rows.iter()
            .map(|r| {
                Ok(Device {
                    id: r.try_get(0)?,
                    user: r.try_get(1)?,
                    name: r.try_get(2)?,
                    created_at: r.try_get(3)?,
                    revoked_at: r.try_get(4)?,
                    last_seen: r.try_get(5)?,
                })
            })
            .collect()
    }

    fn add_user(&self, name: &str, role: Role, team: &str) -> Result<User, DbError> {
        let id = db::user_id_for(name);
        if id.is_empty() {
            return Err(DbError::Invalid(
                "geef een naam met letters of cijfers".into(),
            ));
        }
        let team = team.trim();
        if team.is_empty() {
            return Err(DbError::Invalid("een team heeft een naam nodig".into()));
        }
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        tx.execute(
            "INSERT INTO teams (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING",
            &[&team],
        )?;
        let inserted = tx.execute(
            "INSERT INTO users (id, name, role, team_id, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING",
            &[&id, &name.trim(), &role.code(), &team, &now_ms()],
        )?;
        if inserted == 0 {
            return Err(DbError::Invalid(format!("gebruiker '{id}' bestaat al")));
        }
        tx.commit()?;
        Ok(User {
            id,
            name: name.trim().into(),
            role,
            team: team.into(),
        })
    }

    fn user(&self, id: &str) -> Result<Option<User>, DbError> {
        self.conn()?
            .query_opt(
                "SELECT id, name, role, team_id FROM users WHERE id = $1",
                &[&id],
            )?
            .map(|r| user_from_row(&r, 0))
            .transpose()
    }

    fn add_device(
        &self,
        id: &str,
        user: &str,
        name: &str,
        token_hash: &[u8],
        unlock_secret: &[u8],
    ) -> Result<(), DbError> {
        self.conn()?.execute(
            "INSERT INTO devices (id, user_id, name, token_hash, created_at, unlock_secret)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&id, &user, &name, &token_hash, &now_ms(), &unlock_secret],
        )?;
        Ok(())
    }

    fn device_by_token(&self, token_hash: &[u8]) -> Result<Option<(Device, User)>, DbError> {
        let row = self.conn()?.query_opt(
            "SELECT d.id, d.user_id, d.name, d.created_at, d.revoked_at, d.last_seen,
                    u.id, u.name, u.role, u.team_id
             FROM devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = $1",
            &[&token_hash],
        )?;
        row.map(|r| {
            let device = Device {
                id: r.get(0),
                user: r.get(1),
                name: r.get(2),
                created_at: r.get(3),
                revoked_at: r.get(4),
                last_seen: r.get(5),
            };
            Ok((device, user_from_row(&r, 6)?))
        })
        .transpose()
    }

    fn revoke_device(&self, id: &str) -> Result<Option<String>, DbError> {
        let row = self.conn()?.query_opt(
            "UPDATE devices SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING user_id",
            &[&id, &now_ms()],
        )?;
        Ok(row.map(|r| r.get(0)))
    }

    fn device_revoked(&self, id: &str) -> Result<bool, DbError> {
        let row = self
            .conn()?
            .query_opt("SELECT revoked_at FROM devices WHERE id = $1", &[&id])?;
        Ok(!matches!(
            row.map(|r| r.get::<_, Option<i64>>(0)),
            Some(None)
        ))
    }

    fn touch_device(&self, id: &str) -> Result<(), DbError> {
        self.conn()?.execute(
            "UPDATE devices SET last_seen = $2 WHERE id = $1",
            &[&id, &now_ms()],
        )?;
        Ok(())
    }

    fn may_access(&self, user: &User, id: Uuid) -> Result<bool, DbError> {
        let supervisor = user.role == Role::Supervisor;
        let row = self.conn()?.query_opt(
            "SELECT 1 FROM case_access WHERE case_id = $1 AND user_id = $2
             UNION ALL
             SELECT 1 FROM doc_feed WHERE $3 AND doc_id = $1 AND team_id = $4
             LIMIT 1",
            &[&id.to_string(), &user.id, &supervisor, &user.team],
        )?;
        Ok(row.is_some())
    }

    fn audience(&self, id: Uuid) -> Result<Audience, DbError> {
        let key = id.to_string();
        let mut c = self.conn()?;
        let team: Option<String> = c
            .query_opt("SELECT team_id FROM doc_feed WHERE doc_id = $1", &[&key])?
            .map(|r| r.get(0));
        let assigned = if team.is_some() {
            c.query(
                "SELECT user_id FROM case_access WHERE case_id = $1",
                &[&key],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect()
        } else {
            Default::default()
        };
        Ok(Audience { team, assigned })
    }

    fn visible_cases(&self, user: &User) -> Result<Vec<(Uuid, i64)>, DbError> {
        let supervisor = user.role == Role::Supervisor;
        let rows = self.conn()?.query(
            "SELECT f.doc_id, f.seq FROM doc_feed f
             WHERE f.doc_id IN (SELECT case_id FROM case_access WHERE user_id = $1)
                OR ($2 AND f.team_id = $3)",
            &[&user.id, &supervisor, &user.team],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| Some((Uuid::parse_str(r.get::<_, &str>(0)).ok()?, r.get(1))))
            .collect())
    }

    fn assign(&self, id: Uuid, user: &str) -> Result<bool, DbError> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        let given = assign_in(&mut tx, id, user)?;
        tx.commit()?;
        Ok(given)
    }

    fn unassign(&self, id: Uuid, user: &str) -> Result<bool, DbError> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        let taken = unassign_in(&mut tx, id, user)?;
        tx.commit()?;
        Ok(taken)
    }

    fn users(&self) -> Result<Vec<User>, DbError> {
        self.conn()?
            .query("SELECT id, name, role, team_id FROM users ORDER BY id", &[])?
            .iter()
            .map(|r| user_from_row(r, 0))
            .collect()
    }

    fn assignees(&self, id: Uuid) -> Result<Vec<String>, DbError> {
        Ok(self
            .conn()?
            .query(
                "SELECT user_id FROM case_access WHERE case_id = $1 ORDER BY user_id",
                &[&id.to_string()],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn sync_state(&self, device: &str, id: Uuid) -> Result<Option<Vec<u8>>, DbError> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT state FROM sync_states WHERE device_id = $1 AND doc_id = $2",
                &[&device, &id.to_string()],
            )?
            .map(|r| r.get(0)))
    }

    fn save_sync_state(&self, device: &str, id: Uuid, state: &[u8]) -> Result<(), DbError> {
        self.conn()?.execute(
            "INSERT INTO sync_states (device_id, doc_id, state) VALUES ($1, $2, $3)
             ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state",
            &[&device, &id.to_string(), &state],
        )?;
        Ok(())
    }

    fn note_held(&self, device: &str, id: Uuid, state: &[u8]) -> Result<(), DbError> {
        self.conn()?.execute(
            "INSERT INTO sync_states (device_id, doc_id, state) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[&device, &id.to_string(), &state],
        )?;
        Ok(())
    }

    fn audit(
        &self,
        user: Option<&str>,
        device: Option<&str>,
        action: &str,
        cases: &[Uuid],
        detail: &str,
    ) -> Result<(), DbError> {
        let cases = db::cases_json(cases);
        self.conn()?.execute(
            "INSERT INTO audit (at, user_id, device_id, action, cases, detail)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&now_ms(), &user, &device, &action, &cases, &detail],
        )?;
        Ok(())
    }

    fn audit_tail(&self, limit: i64) -> Result<Vec<AuditEntry>, DbError> {
        let rows = self.conn()?.query(
            "SELECT at, user_id, device_id, action, cases, detail
             FROM (SELECT * FROM audit ORDER BY id DESC LIMIT $1) t ORDER BY id",
            &[&limit],
        )?;
        Ok(rows
            .iter()
            .map(|r| AuditEntry {
                at: r.get(0),
                user: r.get(1),
                device: r.get(2),
                action: r.get(3),
                cases: r.get(4),
                detail: r.get(5),
            })
            .collect())
    }
}

fn case_ids(rows: &[postgres::Row]) -> Vec<Uuid> {
    rows.iter()
        .filter_map(|r| Uuid::parse_str(r.get::<_, &str>(0)).ok())
        .collect()
}

impl PgDb {
    /// `db::catchup`: from the list of cases a device holds.
    fn catchup_held(&self, user: &User, cursor: i64, held: &[Uuid]) -> Result<Catchup, DbError> {
        let now = self.current_seq()?;
        let held: std::collections::BTreeSet<Uuid> = held.iter().copied().collect();
        let visible = self.visible_cases(user)?;
        let visible_ids: std::collections::BTreeSet<Uuid> =
            visible.iter().map(|(id, _)| *id).collect();
        let mut changed: Vec<(i64, Uuid)> = visible
            .into_iter()
            .filter(|(id, seq)| *seq > cursor || !held.contains(id))
            .map(|(id, seq)| (seq, id))
            .collect();
        changed.sort();
        Ok(Catchup {
            changed: changed.into_iter().map(|(_, id)| id).collect(),
            purge: held.difference(&visible_ids).copied().collect(),
            cursor: now,
            examined: visible_ids.len() as u64,
        })
    }

    /// `db::put_case_blobs` in `tx`.
    fn put_case_blobs(
        tx: &mut Transaction<'_>,
        id: &str,
        hashes: &[BlobHash],
        now: i64,
    ) -> Result<(), DbError> {
        let before: Vec<String> = tx
            .query("SELECT hash FROM case_blobs WHERE case_id = $1", &[&id])?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let now_set: std::collections::BTreeSet<&str> =
            hashes.iter().map(BlobHash::as_str).collect();
        if before.len() == now_set.len() && before.iter().all(|h| now_set.contains(h.as_str())) {
            return Ok(());
        }
        tx.execute("DELETE FROM case_blobs WHERE case_id = $1", &[&id])?;
        for h in &now_set {
            tx.execute(
                "INSERT INTO case_blobs (case_id, hash) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&id, h],
            )?;
            tx.execute("DELETE FROM blob_orphans WHERE hash = $1", &[h])?;
        }
        for gone in before.iter().filter(|h| !now_set.contains(h.as_str())) {
            let still = tx
                .query_opt("SELECT 1 FROM case_blobs WHERE hash = $1 LIMIT 1", &[gone])?
                .is_some();
            if !still {
                tx.execute(
                    "INSERT INTO blob_orphans (hash, since) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[gone, &now],
                )?;
            }
        }
        Ok(())
    }
}

impl SessionStore for PgDb {
    fn hello(
        &self,
        user: &User,
        device: &Device,
        cursor: i64,
        held: Option<&[Uuid]>,
    ) -> Result<(Catchup, Vec<JoinedDevice>), DbError> {
        let c = match held {
            Some(held) => self.catchup_held(user, cursor, held)?,
            None => self.catchup_since(user, &device.id, cursor)?,
        };
        let since = device.last_seen.unwrap_or(device.created_at);
        let joined = self
            .conn()?
            .query(
                "SELECT name, created_at FROM devices
                 WHERE user_id = $1 AND id != $2 AND created_at > $3 ORDER BY created_at",
                &[&user.id, &device.id, &since],
            )?
            .iter()
            .map(|r| JoinedDevice {
                name: r.get(0),
                at: r.get(1),
            })
            .collect();
        Ok((c, joined))
    }

    fn catchup_since(&self, user: &User, device: &str, cursor: i64) -> Result<Catchup, DbError> {
        let now = self.current_seq()?;
        let mut c = self.conn()?;
        if cursor > now {
            // The server went back in time (a restore): list everything.
            let held = case_ids(&c.query(
                "SELECT doc_id FROM sync_states WHERE device_id = $1",
                &[&device],
            )?);
            drop(c);
            return self.catchup_held(user, 0, &held);
        }
        let since = case_ids(&c.query(
            "SELECT doc_id FROM doc_feed WHERE seq > $1 ORDER BY seq",
            &[&cursor],
        )?);
        let mut purge = case_ids(&c.query(
            "SELECT DISTINCT s.doc_id FROM erasures e JOIN sync_states s ON s.doc_id = e.case_id
             WHERE e.generation = 0 AND s.device_id = $1",
            &[&device],
        )?);
        drop(c);
        let mut changed = Vec::new();
        for id in &since {
            if self.may_access(user, *id)? {
                changed.push(*id);
            } else if self.sync_state(device, *id)?.is_some() {
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

    fn doc_generation(&self, id: Uuid) -> Result<Option<u64>, DbError> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT d.generation FROM doc_feed f JOIN documents d ON d.id = f.doc_id
                 WHERE f.doc_id = $1",
                &[&id.to_string()],
            )?
            .map(|r| u64::try_from(r.get::<_, i64>(0)).unwrap_or(0)))
    }

    fn recovery_open(&self, now: i64) -> Result<bool, DbError> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT 1 FROM recovery_windows WHERE until_ms > $1 LIMIT 1",
                &[&now],
            )?
            .is_some())
    }

    fn relay_author(
        &self,
        device: Uuid,
        author: &str,
        case: Uuid,
    ) -> Result<Option<Role>, DbError> {
        let owner: Option<String> = self
            .conn()?
            .query_opt(
                "SELECT user_id FROM devices WHERE id = $1",
                &[&device.to_string()],
            )?
            .map(|r| r.get(0));
        if owner.as_deref() != Some(author) {
            return Ok(None);
        }
        let Some(user) = self.user(author)? else {
            return Ok(None);
        };
        Ok(self.may_access(&user, case)?.then_some(user.role))
    }

    fn commit_sync(&self, commit: SyncCommit<'_>) -> Result<(), DbError> {
        let SyncCommit {
            doc,
            by,
            device,
            state,
            audit,
            ..
        } = commit;
        let id = doc.id();
        let key = id.to_string();
        let cases = db::cases_json(&[id]);
        self.retried(id, || {
            let mut c = self.conn()?;
            let mut tx = c.transaction()?;
            // Whether the case is new is what the locked row says, not
            // what this server saw before: another may have created it.
            if write_case(&mut tx, doc, by)?.is_none() {
                return Ok(None);
            }
            Self::put_case_blobs(&mut tx, &key, &doc.blob_hashes(), now_ms())?;
            tx.execute(
                "INSERT INTO sync_states (device_id, doc_id, state) VALUES ($1, $2, $3)
                 ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state",
                &[&device, &key, &state],
            )?;
            for (action, detail) in audit {
                tx.execute(
                    "INSERT INTO audit (at, user_id, device_id, action, cases, detail)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[&now_ms(), &by.id, &device, action, &cases, detail],
                )?;
            }
            tx.commit()?;
            Ok(Some(()))
        })
    }
}

/// The TLS side of every connection: rustls with ring, trusting the CA
/// certificates in `ca` (none: no database certificate is trusted, so a
/// database that offers TLS is refused rather than trusted blindly).
fn tls(ca: Option<&std::path::Path>) -> Result<MakeRustlsConnect, DbError> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    if let Some(path) = ca {
        let unreadable = || {
            DbError::Invalid(format!(
                "{}: geen leesbaar CA-certificaat (PEM) / no readable CA certificate (PEM)",
                path.display()
            ))
        };
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|_| unreadable())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| unreadable())?;
        if certs.is_empty() {
            return Err(unreadable());
        }
        for cert in certs {
            roots.add(cert).map_err(|_| unreadable())?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| DbError::Invalid(format!("TLS: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// A failed connection, said so that an operator knows what to do.
fn explain(e: postgres::Error) -> DbError {
    let text = e.to_string();
    if text.contains("does not support TLS") {
        DbError::Invalid(format!(
            "de databank biedt geen TLS aan en de URL vraagt sslmode=require / the database offers no TLS: {text}"
        ))
    } else if text.contains("TLS") || text.contains("certificate") {
        DbError::Invalid(format!(
            "TLS naar PostgreSQL mislukt: {text}; geef het CA-certificaat van de databank (--database-ca of BRUG_DATABASE_CA) / TLS to PostgreSQL failed; give the database's CA certificate"
        ))
    } else {
        DbError::Postgres(e)
    }
}

impl ServerStore for PgDb {
    fn add_enrol_code(&self, code_hash: &[u8], user: &str, expires_at: i64) -> Result<(), DbError> {
        self.conn()?.execute(
            "INSERT INTO enrol_codes (code_hash, user_id, expires_at) VALUES ($1, $2, $3)",
            &[&code_hash, &user, &expires_at],
        )?;
        Ok(())
    }

    fn enrol_device(
        &self,
        code_hash: &[u8],
        now: i64,
        device: &NewDevice<'_>,
    ) -> Result<Result<User, CodeRefusal>, DbError> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        // The row stays locked until commit: of two servers handed the same
        // code at once, the second sees it used.
        let row = tx.query_opt(
            "SELECT user_id, expires_at, used_at FROM enrol_codes WHERE code_hash = $1 FOR UPDATE",
            &[&code_hash],
        )?;
        let Some(row) = row else {
            return Ok(Err(CodeRefusal::Unknown));
        };
        let (user, expires_at, used_at): (String, i64, Option<i64>) =
            (row.get(0), row.get(1), row.get(2));
        if used_at.is_some() {
            return Ok(Err(CodeRefusal::Used));
        }
        if expires_at <= now {
            return Ok(Err(CodeRefusal::Expired));
        }
        tx.execute(
            "UPDATE enrol_codes SET used_at = $2 WHERE code_hash = $1",
            &[&code_hash, &now],
        )?;
        let user = tx
            .query_opt(
                "SELECT id, name, role, team_id FROM users WHERE id = $1",
                &[&user],
            )?
            .map(|r| user_from_row(&r, 0))
            .transpose()?
            .ok_or_else(|| DbError::NotFound(format!("gebruiker '{user}' bestaat niet")))?;
        tx.execute(
            "INSERT INTO devices (id, user_id, name, token_hash, created_at, unlock_secret)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &device.id,
                &user.id,
                &device.name,
                &device.token_hash,
                &now,
                &device.unlock_secret,
            ],
        )?;
        tx.execute(
            "INSERT INTO audit (at, user_id, device_id, action, cases, detail)
             VALUES ($1, $2, $3, 'enrol', '[]', $4)",
            &[
                &now,
                &user.id,
                &device.id,
                &format!("device '{}' enrolled", device.name),
            ],
        )?;
        tx.commit()?;
        Ok(Ok(user))
    }

    fn case_count(&self) -> Result<i64, DbError> {
        Ok(self
            .conn()?
            .query_one("SELECT COUNT(*) FROM doc_feed", &[])?
            .get(0))
    }

    fn push_admin_event(&self, event: &db::AdminEvent) -> Result<(), DbError> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        push_admin_event_in(&mut tx, event)?;
        tx.commit()?;
        Ok(())
    }

    fn last_admin_event(&self) -> Result<i64, DbError> {
        Ok(self
            .conn()?
            .query_one("SELECT COALESCE(MAX(seq), 0) FROM admin_events", &[])?
            .get(0))
    }

    fn admin_events_since(&self, seq: i64) -> Result<Vec<(i64, db::AdminEvent)>, DbError> {
        // Numbered in commit order (`push_admin_event_in`).
        Ok(self
            .conn()?
            .query(
                "SELECT seq, kind, device_id, user_id, case_id FROM admin_events
                 WHERE seq > $1 ORDER BY seq",
                &[&seq],
            )?
            .iter()
            .filter_map(|r| {
                let kind: &str = r.get(1);
                db::AdminEvent::from_row(kind, r.get(2), r.get(3), r.get(4))
                    .map(|e| (r.get::<_, i64>(0), e))
            })
            .collect())
    }
    fn add_unlock_code(&self, device: &str, code_hash: &[u8]) -> Result<bool, DbError> {
        let mut c = self.conn()?;
        let usable: Option<bool> = c
            .query_opt(
                "SELECT revoked_at IS NULL AND unlock_secret IS NOT NULL FROM devices WHERE id = $1",
                &[&device],
            )?
            .map(|r| r.get(0));
        if usable != Some(true) {
            return Ok(false);
        }
        let now = now_ms();
        c.execute(
            "INSERT INTO unlock_codes (code_hash, device_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4)",
            &[&code_hash, &device, &now, &(now + db::UNLOCK_CODE_MS)],
        )?;
        Ok(true)
    }

    fn unlock_device(
        &self,
        device: &str,
        code_hash: &[u8],
        now: i64,
    ) -> Result<Option<Vec<u8>>, DbError> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        let taken = tx.execute(
            "UPDATE unlock_codes SET used_at = $3
             WHERE code_hash = $1 AND device_id = $2 AND used_at IS NULL AND expires_at > $3",
            &[&code_hash, &device, &now],
        )?;
        if taken != 1 {
            return Ok(None);
        }
        let secret: Option<Vec<u8>> = tx
            .query_opt(
                "SELECT unlock_secret FROM devices WHERE id = $1 AND revoked_at IS NULL",
                &[&device],
            )?
            .and_then(|r| r.get(0));
        if secret.is_some() {
            tx.execute(
                "INSERT INTO audit (at, user_id, device_id, action, cases, detail)
                 VALUES ($1, NULL, $2, 'device-unlocked', '[]', $3)",
                &[&now, &device, &UNLOCKED],
            )?;
        }
        tx.commit()?;
        Ok(secret)
    }

    fn open_recovery(&self, hours: u32, by: &str, reason: &str) -> Result<i64, DbError> {
        db::check_recovery(hours, reason)?;
        let now = now_ms();
        let until = now + i64::from(hours) * 3_600_000;
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        tx.execute(
            "INSERT INTO recovery_windows (opened_at, until_ms, opened_by, reason)
             VALUES ($1, $2, $3, $4)",
            &[&now, &until, &by, &reason.trim()],
        )?;
        tx.execute(
            "INSERT INTO audit (at, user_id, device_id, action, cases, detail)
             VALUES ($1, $2, NULL, 'recovery-open', '[]', $3)",
            &[&now, &by, &format!("{hours} h: {}", reason.trim())],
        )?;
        tx.commit()?;
        Ok(until)
    }

    fn close_recovery(&self) -> Result<usize, DbError> {
        let now = now_ms();
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        let closed = tx.execute(
            "UPDATE recovery_windows SET until_ms = $1 WHERE until_ms > $1",
            &[&now],
        )?;
        tx.execute(
            "INSERT INTO audit (at, user_id, device_id, action, cases, detail)
             VALUES ($1, NULL, NULL, 'recovery-close', '[]', '')",
            &[&now],
        )?;
        tx.commit()?;
        Ok(usize::try_from(closed).unwrap_or(usize::MAX))
    }
    fn set_assignment(&self, change: &Assignment<'_>) -> Result<bool, DbError> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        let changed = if change.assign {
            assign_in(&mut tx, change.case, change.user)?
        } else {
            unassign_in(&mut tx, change.case, change.user)?
        };
        // A new assignment moves the case up the feed, which every server
        // relays to its sessions; taking a case away must be told (the
        // feed cannot say "purge").
        if !change.assign {
            push_admin_event_in(
                &mut tx,
                &db::AdminEvent::Unassign {
                    user: change.user.to_owned(),
                    case: change.case,
                },
            )?;
        }
        tx.execute(
            "INSERT INTO audit (at, user_id, device_id, action, cases, detail)
             VALUES ($1, $2, NULL, $3, $4, $5)",
            &[
                &now_ms(),
                &change.user,
                &if change.assign { "assign" } else { "unassign" },
                &db::cases_json(&[change.case]),
                &change.note,
            ],
        )?;
        tx.commit()?;
        Ok(changed)
    }

    fn blob_status(&self, user: &User, hashes: Vec<BlobHash>) -> Result<BlobStatus, DbError> {
        let mut c = self.conn()?;
        let mut status = BlobStatus::default();
        for hash in hashes {
            if !may_see_blob(&mut c, user, &hash)? {
                status.unknown.push(hash);
                continue;
            }
            let row = c.query_one(
                "SELECT EXISTS (SELECT 1 FROM blobs WHERE hash = $1),
                        COALESCE((SELECT SUM(length(bytes)) FROM blob_parts WHERE hash = $1), 0)::BIGINT",
                &[&hash.as_str()],
            )?;
            let (have, received): (bool, i64) = (row.get(0), row.get(1));
            if have {
                status.have.push(hash);
            } else if received == 0 {
                status.missing.push(hash);
            } else {
                status
                    .partial
                    .insert(hash, u64::try_from(received).unwrap_or(0));
            }
        }
        Ok(status)
    }

    fn put_blob_chunk(&self, c: &BlobChunk<'_>) -> Result<ChunkStored, DbError> {
        let mut conn = self.conn()?;
        if !may_see_blob(&mut conn, c.user, c.hash)? {
            return Ok(ChunkStored::NotVisible);
        }
        let hash = c.hash.as_str();
        let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let mut tx = conn.transaction()?;
        // One writer per attachment across servers, from the first read.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            &[&format!("blob {hash}")],
        )?;
        let size: Option<i64> = tx
            .query_opt(
                "SELECT length(bytes)::BIGINT FROM blobs WHERE hash = $1",
                &[&hash],
            )?
            .map(|r| r.get(0));
        if let Some(size) = size {
            return Ok(ChunkStored::Stored(ChunkOutcome::Had {
                size: u64::try_from(size).unwrap_or(0),
            }));
        }
        if c.offset == 0
            && let Some(which) = over_quota(&mut tx, c)?
        {
            return Ok(ChunkStored::OverQuota(which));
        }
        let row = tx.query_one(
            "SELECT COALESCE(SUM(length(bytes)), 0)::BIGINT, MIN(total) FROM blob_parts WHERE hash = $1",
            &[&hash],
        )?;
        let received = u64::try_from(row.get::<_, i64>(0)).unwrap_or(0);
        let kept_total: Option<i64> = row.get(1);
        if c.offset != received
            || kept_total.is_some_and(|t| u64::try_from(t).ok() != Some(c.total))
        {
            return Ok(ChunkStored::Stored(ChunkOutcome::WrongOffset { received }));
        }
        let now = now_ms();
        tx.execute(
            "INSERT INTO blob_parts (hash, \"offset\", bytes, total, device_id, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &hash,
                &to_i64(c.offset),
                &c.bytes,
                &to_i64(c.total),
                &c.device,
                &now,
            ],
        )?;
        let received = received + c.bytes.len() as u64;
        if received < c.total {
            tx.commit()?;
            return Ok(ChunkStored::Stored(ChunkOutcome::Kept { received }));
        }
        let mut whole = Vec::with_capacity(usize::try_from(c.total).unwrap_or(0));
        for row in tx.query(
            "SELECT bytes FROM blob_parts WHERE hash = $1 ORDER BY \"offset\"",
            &[&hash],
        )? {
            whole.extend_from_slice(row.get::<_, &[u8]>(0));
        }
        tx.execute("DELETE FROM blob_parts WHERE hash = $1", &[&hash])?;
        let outcome = if BlobHash::of(&whole) == *c.hash {
            tx.execute(
                "INSERT INTO blobs (hash, bytes, stored_at, stored_by) VALUES ($1, $2, $3, $4)",
                &[&hash, &whole, &now, &c.device],
            )?;
            tx.execute(
                "INSERT INTO audit (at, user_id, device_id, action, cases, detail)
                 VALUES ($1, $2, $3, 'attachment-stored', '[]', $4)",
                &[
                    &now,
                    &c.user.id,
                    &c.device,
                    &format!("{hash} {}", whole.len()),
                ],
            )?;
            ChunkOutcome::Complete {
                size: whole.len() as u64,
            }
        } else {
            // Nothing of it is kept: the device sends it again.
            ChunkOutcome::HashMismatch
        };
        tx.commit()?;
        Ok(ChunkStored::Stored(outcome))
    }

    fn collect_orphans(&self, now: i64, grace_ms: i64) -> Result<usize, DbError> {
        let cutoff = now.saturating_sub(grace_ms);
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        // An orphan referenced again since it was marked is not one any
        // more (a sync of another server may have referred to it).
        let gone = tx.execute(
            "DELETE FROM blobs WHERE hash IN (
                 SELECT o.hash FROM blob_orphans o
                 WHERE o.since <= $1
                   AND NOT EXISTS (SELECT 1 FROM case_blobs c WHERE c.hash = o.hash))",
            &[&cutoff],
        )?;
        tx.execute("DELETE FROM blob_orphans WHERE since <= $1", &[&cutoff])?;
        tx.execute("DELETE FROM blob_parts WHERE updated_at <= $1", &[&cutoff])?;
        tx.commit()?;
        Ok(usize::try_from(gone).unwrap_or(usize::MAX))
    }

    fn hand_over(
        &self,
        device: &Device,
        user: &User,
        case: Uuid,
        changes: &[u8],
    ) -> Result<i64, QuarantineError> {
        self.hand_over_pg(device, user, case, changes)
    }

    fn quarantine(&self, supervisor: &User) -> Result<Vec<Entry>, QuarantineError> {
        self.quarantine_pg(supervisor)
    }

    fn decide(
        &self,
        cache: &DocCache,
        supervisor: &User,
        supervisor_device: &str,
        id: i64,
        merge: bool,
    ) -> Result<(Entry, Option<Uuid>), QuarantineError> {
        self.decide_pg(cache, supervisor, supervisor_device, id, merge)
    }

    fn erase_case(
        &self,
        request: &EraseRequest,
        by: &User,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Erased, DbError> {
        self.erase_pg(request, by, now)
    }

    fn import_cases(
        &self,
        cases: &mut [NewCase],
        by: &User,
        detail: &dyn Fn(usize) -> String,
    ) -> Result<Vec<Uuid>, DbError> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        let (mut made, mut there) = (Vec::new(), Vec::new());
        for case in cases.iter_mut() {
            let id = case.doc.id();
            let key = id.to_string();
            let exists = tx
                .query_opt("SELECT 1 FROM documents WHERE id = $1", &[&key])?
                .is_some();
            // Not there, but made by another server before this insert:
            // the same as there (write_case would not overwrite it).
            if exists || write_case(&mut tx, &mut case.doc, by)?.is_none() {
                there.push(id);
                continue;
            }
            for other in case.assigned.iter().skip(1) {
                assign_in(&mut tx, id, other)?;
                tx.execute(
                    "INSERT INTO audit (at, user_id, device_id, action, cases, detail)
                     VALUES ($1, $2, NULL, 'assign', $3, $4)",
                    &[
                        &now_ms(),
                        other,
                        &db::cases_json(&[id]),
                        &crate::admin::Actor::Admin.note(),
                    ],
                )?;
            }
            made.push(id);
        }
        tx.execute(
            "INSERT INTO audit (at, user_id, device_id, action, cases, detail)
             VALUES ($1, NULL, NULL, 'import', $2, $3)",
            &[&now_ms(), &db::cases_json(&made), &detail(there.len())],
        )?;
        tx.commit()?;
        Ok(there)
    }

    fn prune_audit(&self, before_ms: i64) -> Result<usize, DbError> {
        let gone = self
            .conn()?
            .execute("DELETE FROM audit WHERE at < $1", &[&before_ms])?;
        Ok(usize::try_from(gone).unwrap_or(usize::MAX))
    }

    fn run_alone(
        &self,
        name: &str,
        job: &mut dyn FnMut() -> Result<(), DbError>,
    ) -> Result<bool, DbError> {
        // A session-level advisory lock, held on this connection for the
        // whole job (the job uses other connections of the pool).
        let mut held = self.conn()?;
        let key = format!("brug-job:{name}");
        let mine: bool = held
            .query_one("SELECT pg_try_advisory_lock(hashtext($1))", &[&key])?
            .get(0);
        if !mine {
            return Ok(false);
        }
        let outcome = job();
        held.execute("SELECT pg_advisory_unlock(hashtext($1))", &[&key])?;
        outcome.map(|()| true)
    }

    fn project_reports(&self, limit: i64) -> Result<usize, DbError> {
        self.project_some(limit)
    }

    fn report(&self, plan: &Plan, query: &Query) -> Result<Report, DbError> {
        self.catch_up_reports()?;
        let mut counter = brug_shared::report::Counter::new(plan, query);
        self.count_facts(query, &mut counter)?;
        Ok(counter.finish())
    }

    fn read_blob(
        &self,
        user: &User,
        hash: &BlobHash,
        offset: u64,
        len: u64,
    ) -> Result<Option<(u64, Vec<u8>)>, DbError> {
        let mut c = self.conn()?;
        if !may_see_blob(&mut c, user, hash)? {
            return Ok(None);
        }
        let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        // `substring` counts from 1; an attachment is at most a few MiB.
        let row = c.query_opt(
            "SELECT length(bytes)::BIGINT,
                    substring(bytes FROM (LEAST($2::BIGINT, length(bytes)) + 1)::INT FOR LEAST($3::BIGINT, 2147483647)::INT)
             FROM blobs WHERE hash = $1",
            &[&hash.as_str(), &to_i64(offset), &to_i64(len)],
        )?;
        Ok(row.map(|r| (u64::try_from(r.get::<_, i64>(0)).unwrap_or(0), r.get(1))))
    }

    fn team_doc(&self, kind: &'static str, team: &str) -> Result<Option<Vec<u8>>, DbError> {
        Ok(self
            .conn()?
            .query_opt(
                &format!(
                    "SELECT doc FROM team_{} WHERE team_id = $1",
                    db::table(kind)?
                ),
                &[&team],
            )?
            .map(|r| r.get(0)))
    }

    fn update_team_doc(&self, change: TeamDocChange<'_>) -> Result<(), DbError> {
        let table = db::table(change.kind)?;
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        // One writer per team and kind across servers, also before the
        // team has a row: a lock on the name, held until the commit.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            &[&format!("team_{table} {}", change.team)],
        )?;
        let stored: Option<Vec<u8>> = tx
            .query_opt(
                &format!("SELECT doc FROM team_{table} WHERE team_id = $1"),
                &[&change.team],
            )?
            .map(|r| r.get(0));
        let update = {
            let tx = std::cell::RefCell::new(&mut tx);
            let case_team = |id: Uuid| -> Result<Option<String>, DbError> {
                Ok(tx
                    .borrow_mut()
                    .query_opt(
                        "SELECT team_id FROM doc_feed WHERE doc_id = $1",
                        &[&id.to_string()],
                    )?
                    .map(|r| r.get(0)))
            };
            (change.update)(stored, &case_team)?
        };
        if let Some((bytes, detail)) = update {
            let now = now_ms();
            tx.execute(
                &format!(
                    "INSERT INTO team_{table} (team_id, doc, updated_at) VALUES ($1, $2, $3)
                     ON CONFLICT (team_id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at"
                ),
                &[&change.team, &bytes, &now],
            )?;
            if change.reported {
                mark_dirty(&mut tx, &db::activities_source(change.team))?;
            }
            tx.execute(
                "INSERT INTO audit (at, user_id, device_id, action, cases, detail)
                 VALUES ($1, $2, $3, $4, '[]', $5)",
                &[&now, &change.by.0, &change.by.1, &change.kind, &detail],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// Tells this server's sessions about changes other servers store: every
/// change heard on `listener` becomes a [`crate::hub::HubEvent::DocChanged`]
/// on `hub` (origin 0: no session of this server), so a device connected
/// here hears of it as if it had been stored here. Runs on its own thread
/// until `stop` is set. After a lost connection the changes in between are
/// not heard: the devices find them at their next hello (the feed), and a
/// cached copy is checked against the stored heads before use anyway.
pub fn relay_to_hub(
    listener: FeedListener,
    hub: Arc<crate::hub::Hub>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("brug-pg-relay".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match listener.recv_timeout(LISTEN_TICK) {
                    Some(Heard::Changed(entry)) => {
                        hub.publish(crate::hub::HubEvent::changed(entry.id, 0));
                    }
                    Some(Heard::Reconnected) => {
                        tracing::warn!("PostgreSQL listener reconnected: changes in between reach devices at their next sync");
                    }
                    None => {}
                }
            }
        })
}
