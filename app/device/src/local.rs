//! The encrypted local store: SQLCipher over `brug_shared::store`, with the
//! device's settings, the case index and its search, sync states, pending
//! changes, lost cases and drafts. Every SQL statement of the device is in
//! this file.

use std::path::{Path, PathBuf};

use brug_shared::casedoc::CaseDoc;
use brug_shared::model::{BlobHash, CaseFlag, RecordKind};
use brug_shared::store;
use brug_shared::teamdoc::TeamEntry;
use chrono::NaiveDateTime;
use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};
use uuid::Uuid;

use crate::index::{CaseQuery, IndexRow, QueueItem};
use crate::keys::DbKey;

/// The database file in the device home.
pub const DB_FILE: &str = "brug.db";

/// The device's own migrations, applied after the store's.
pub const DEVICE_MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/device/0001_device.sql"),
    include_str!("../../../migrations/device/0002_drafts.sql"),
    include_str!("../../../migrations/device/0003_lost.sql"),
    include_str!("../../../migrations/device/0004_waiting.sql"),
    include_str!("../../../migrations/device/0005_queue.sql"),
    include_str!("../../../migrations/device/0006_catalogue.sql"),
    include_str!("../../../migrations/device/0007_recheck.sql"),
    include_str!("../../../migrations/device/0008_activities.sql"),
    include_str!("../../../migrations/device/0009_blobs.sql"),
    include_str!("../../../migrations/device/0010_list_index.sql"),
    include_str!("../../../migrations/device/0011_index_stale.sql"),
];

/// Why the local store failed.
#[derive(Debug)]
pub enum LocalError {
    /// The file is not a database this key opens (wrong key or tampered).
    Unreadable,
    /// SQLite refused.
    Sqlite(rusqlite::Error),
    /// The document store refused.
    Store(store::StoreError),
}

impl From<rusqlite::Error> for LocalError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

impl From<store::StoreError> for LocalError {
    fn from(e: store::StoreError) -> Self {
        Self::Store(e)
    }
}

/// Cases kept in memory after they were read or saved, so that opening a
/// case again, saving a record in it or syncing it right after an edit
/// does not parse its whole history from the store again (a copy in memory
/// takes a fraction of that). Enough for a day's work and the cases others
/// changed meanwhile: a morning sync of 50 cases went through 32 slots
/// with hardly a hit (each new case pushed out one needed next). A typical
/// case takes about 51 KiB in memory, one of five years about 138 KiB, so
/// all 128 hold 6 to 17 MiB (`brug-bench device`, row
/// `device-recent-cases`).
pub const RECENT_CASES: usize = 128;

/// The most recently used cases, the latest last. An entry is used only
/// while the store's heads for the case are still its heads, so an edit by
/// another handle (a sync beside the screens) is never hidden by it.
#[derive(Debug, Default)]
struct Recent {
    cases: Vec<(Uuid, Vec<automerge::ChangeHash>, CaseDoc)>,
}

impl Recent {
    /// A copy of the case, when the one kept has exactly `heads` (sorted).
    fn get(&mut self, id: Uuid, heads: &[automerge::ChangeHash]) -> Option<CaseDoc> {
        let mut doc = self.take(id, heads)?;
        let copy = doc.fork();
        self.cases.push((id, heads.to_vec(), doc));
        Some(copy)
    }

    /// The kept case itself, taken out, when it has exactly `heads`
    /// (sorted).
    fn take(&mut self, id: Uuid, heads: &[automerge::ChangeHash]) -> Option<CaseDoc> {
        let at = self.cases.iter().position(|(i, _, _)| *i == id)?;
        let (_, kept, doc) = self.cases.remove(at);
        (kept == heads).then_some(doc)
    }

    /// Keeps a copy of `doc`, as stored.
    fn put(&mut self, doc: &mut CaseDoc) {
        self.keep(doc.fork());
    }

    /// Keeps `doc` itself, as stored.
    fn keep(&mut self, mut doc: CaseDoc) {
        let id = doc.id();
        self.forget(id);
        let mut heads = doc.heads();
        heads.sort();
        doc.set_time(None);
        if self.cases.len() >= RECENT_CASES {
            self.cases.remove(0);
        }
        self.cases.push((id, heads, doc));
    }

    fn forget(&mut self, id: Uuid) {
        self.cases.retain(|(i, _, _)| *i != id);
    }
}

/// The open, unlocked local store.
#[derive(Debug)]
pub struct LocalStore {
    conn: Connection,
    home: PathBuf,
    recent: std::cell::RefCell<Recent>,
}

fn is_unreadable(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase)
}

impl LocalStore {
    /// Opens (or creates) the encrypted database in `home` with `key`.
    pub fn open(home: &Path, key: &DbKey) -> Result<Self, LocalError> {
        let mut conn = Connection::open(home.join(DB_FILE))?;
        // A wrong key is reported to the user by us, not logged by SQLCipher.
        let _ = conn.execute_batch("PRAGMA cipher_log_level = NONE;");
        conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.sqlcipher_literal()))?;
        // Nothing leaves memory unencrypted: temp tables and sorts stay in RAM.
        conn.execute_batch("PRAGMA temp_store = MEMORY;")?;
        match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        }) {
            Ok(_) => {}
            Err(e) if is_unreadable(&e) => return Err(LocalError::Unreadable),
            Err(e) => return Err(e.into()),
        }
        store::configure(&conn).map_err(|e| match e {
            store::StoreError::Sqlite(e) if is_unreadable(&e) => LocalError::Unreadable,
            other => LocalError::Store(other),
        })?;
        // Every page read from the file is decrypted; a page cache of 16 MiB
        // (SQLite's default is 2) holds a 10,000-case index, so listing and
        // searching again (every keystroke in the search field) decrypts
        // nothing twice. What it holds is what the app shows anyway.
        conn.execute_batch("PRAGMA cache_size = -16384;")?;
        // A sync settles each case with a score of statements: all kept
        // prepared (SQLite's parser is a tenth of the session's time when
        // they are prepared again for every case).
        conn.set_prepared_statement_cache_capacity(64);
        store::migrate(&mut conn, DEVICE_MIGRATIONS)?;
        Ok(Self {
            conn,
            home: home.to_owned(),
            recent: std::cell::RefCell::default(),
        })
    }

    /// The connection (for the device core's own queries).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// A write transaction. It takes the write lock when it begins, so a
    /// second handle (a sync beside the screens) waits for it instead of
    /// failing when both read first and then write. The wait has no
    /// deadline: the lock is only ever held by this device's own handles
    /// for the length of one save, and a save must not fail because the
    /// device was busy (each try waits the busy timeout, then tries again).
    pub fn transaction(&mut self) -> Result<Transaction<'_>, LocalError> {
        loop {
            match Transaction::new_unchecked(&self.conn, rusqlite::TransactionBehavior::Immediate) {
                Err(rusqlite::Error::SqliteFailure(f, _))
                    if f.code == rusqlite::ErrorCode::DatabaseBusy =>
                {
                    tracing::debug!("local store busy; waiting for the other handle");
                }
                other => return Ok(other?),
            }
        }
    }

    /// Where the store lives.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// A setting.
    pub fn setting(&self, key: &str) -> Result<Option<String>, LocalError> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM settings WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Sets a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), LocalError> {
        set_setting(&self.conn, key, value)
    }

    /// Loads a case: from the recently used ones when it is still as
    /// stored, else from the store (and keeps it there).
    pub fn load(&self, id: Uuid) -> Result<Option<CaseDoc>, LocalError> {
        let Some(heads) = self.stored_heads(id)? else {
            return Ok(None);
        };
        if let Some(doc) = self.recent.borrow_mut().get(id, &heads) {
            return Ok(Some(doc));
        }
        let Some(mut doc) = store::load(&self.conn, id)? else {
            return Ok(None);
        };
        self.recent.borrow_mut().put(&mut doc);
        Ok(Some(doc))
    }

    /// The stored heads of a case, sorted; `None` (and nothing kept in
    /// memory any more) when it is not stored.
    fn stored_heads(&self, id: Uuid) -> Result<Option<Vec<automerge::ChangeHash>>, LocalError> {
        let Some(mut heads) = store::heads(&self.conn, id)? else {
            self.forget(id);
            return Ok(None);
        };
        heads.sort();
        Ok(Some(heads))
    }

    /// Keeps `doc` among the recently used cases: call after a commit that
    /// stored it as it is.
    pub fn remember(&self, doc: &mut CaseDoc) {
        self.recent.borrow_mut().put(doc);
    }

    /// Loads a case for a sync session, which gives it back with
    /// [`LocalStore::keep`] when it is done with it: the kept case itself
    /// is taken out (no copy is made) when it is still as stored, else the
    /// case is read from the store (and nothing kept yet).
    pub fn take(&self, id: Uuid) -> Result<Option<CaseDoc>, LocalError> {
        let Some(heads) = self.stored_heads(id)? else {
            return Ok(None);
        };
        if let Some(doc) = self.recent.borrow_mut().take(id, &heads) {
            return Ok(Some(doc));
        }
        store::load(&self.conn, id).map_err(LocalError::from)
    }

    /// Keeps `doc` itself among the recently used cases (no copy): call
    /// after a commit that stored it as it is.
    pub fn keep(&self, doc: CaseDoc) {
        self.recent.borrow_mut().keep(doc);
    }

    /// Drops a case from the recently used ones (purged, or replaced by a
    /// new generation: its old history must not stay in memory either).
    pub fn forget(&self, id: Uuid) {
        self.recent.borrow_mut().forget(id);
    }

    /// Number of cases with unsynced changes.
    pub fn pending_count(&self) -> Result<i64, LocalError> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM pending", [], |r| r.get(0))?)
    }
}

/// Sets a setting inside any connection or transaction.
pub fn set_setting(conn: &Connection, key: &str, value: &str) -> Result<(), LocalError> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// Writes a case's index row.
pub fn put_index(conn: &Connection, row: &IndexRow) -> Result<(), LocalError> {
    conn.prepare_cached(
        "INSERT INTO case_index (id, name, address, postcode, status, flags, workers, schools, next_appointment, conflicts, updated_at, search, recheck_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address, postcode = excluded.postcode,
           status = excluded.status, flags = excluded.flags, workers = excluded.workers, schools = excluded.schools,
           next_appointment = excluded.next_appointment, conflicts = excluded.conflicts, updated_at = excluded.updated_at,
           search = excluded.search, recheck_on = excluded.recheck_on",
    )?
    .execute(params![
            row.id.to_string(),
            row.name,
            row.address,
            row.postcode,
            row.status,
            serde_json::to_string(&row.flags).unwrap_or_else(|_| "[]".into()),
            serde_json::to_string(&row.workers).unwrap_or_else(|_| "[]".into()),
            row.schools,
            row.next_appointment,
            row.conflicts,
            row.updated_at,
            row.search_text(),
            recheck_text(row),
    ])?;
    put_items(conn, row)?;
    put_case_blobs(conn, row)
}

/// Replaces the attachments a case references with the row's.
fn put_case_blobs(conn: &Connection, row: &IndexRow) -> Result<(), LocalError> {
    let key = row.id.to_string();
    conn.prepare_cached("DELETE FROM case_blobs WHERE case_id = ?1")?
        .execute(params![key])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO case_blobs (case_id, hash, thumb_of) VALUES (?1, ?2, ?3)",
    )?;
    for (hash, of) in &row.blobs {
        insert.execute(params![
            key,
            hash.as_str(),
            of.as_ref().map(BlobHash::as_str)
        ])?;
    }
    Ok(())
}

/// Whether a case held here references `hash`.
pub fn blob_referenced(conn: &Connection, hash: &BlobHash) -> Result<bool, LocalError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM case_blobs WHERE hash = ?1 LIMIT 1")?
        .query_row([hash.as_str()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Every attachment a case held here references, and for a thumbnail the
/// photo it shows.
pub fn referenced_blobs(
    conn: &Connection,
) -> Result<std::collections::BTreeMap<BlobHash, Option<BlobHash>>, LocalError> {
    let mut stmt = conn.prepare("SELECT DISTINCT hash, thumb_of FROM case_blobs")?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
    })?;
    let mut out = std::collections::BTreeMap::new();
    for row in rows {
        let (h, of) = row?;
        if let Some(h) = BlobHash::parse(&h) {
            out.insert(h, of.as_deref().and_then(BlobHash::parse));
        }
    }
    Ok(out)
}

/// The thumbnail of the photo `hash`, if a case here references one.
pub fn thumb_of(conn: &Connection, hash: &BlobHash) -> Result<Option<BlobHash>, LocalError> {
    let found: Option<String> = conn
        .prepare_cached("SELECT hash FROM case_blobs WHERE thumb_of = ?1 LIMIT 1")?
        .query_row([hash.as_str()], |r| r.get(0))
        .optional()?;
    Ok(found.as_deref().and_then(BlobHash::parse))
}

/// Replaces what waits in a case with the row's items.
fn put_items(conn: &Connection, row: &IndexRow) -> Result<(), LocalError> {
    let key = row.id.to_string();
    conn.prepare_cached("DELETE FROM queue_item WHERE case_id = ?1")?
        .execute(params![key])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO queue_item (case_id, rank, reason, record, kind, due, nl, en) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for item in &row.items {
        let rank = CaseFlag::ALL
            .iter()
            .position(|f| *f == item.reason)
            .unwrap_or(CaseFlag::ALL.len());
        insert.execute(params![
            key,
            rank as i64,
            item.reason.code(),
            item.record.map(|r| r.to_string()),
            item.kind.map(|k| k.code()),
            item.due.map(|d| d.format(DUE).to_string()),
            item.nl,
            item.en,
        ])?;
    }
    Ok(())
}

/// How a due time is stored: sorts as text.
const DUE: &str = "%Y-%m-%dT%H:%M:%S";

/// Everything waiting, for the supervisor's queue: by reason in the queue's
/// order, the most urgent first (earliest due; undated last), then by
/// household.
pub fn queue(conn: &Connection) -> Result<Vec<QueueItem>, LocalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT q.case_id, c.name, q.reason, q.record, q.kind, q.due, q.nl, q.en
         FROM queue_item q JOIN case_index c ON c.id = q.case_id
         ORDER BY q.rank, q.due IS NULL, q.due, c.name, q.nl",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    // A row this version cannot read (a reason it does not know) is left
    // out, not shown wrong.
    Ok(rows
        .into_iter()
        .filter_map(|(case, household, reason, record, kind, due, nl, en)| {
            Some(QueueItem {
                case: Uuid::parse_str(&case).ok()?,
                household,
                reason: CaseFlag::from_code(&reason)?,
                record: record.and_then(|r| Uuid::parse_str(&r).ok()),
                kind: kind.and_then(|k| RecordKind::from_code(&k)),
                due: due.and_then(|d| NaiveDateTime::parse_from_str(&d, DUE).ok()),
                nl,
                en,
            })
        })
        .collect())
}

/// Writes what in a case's index row depends on the date (its flags, next
/// appointment and what waits in it), leaving when it was updated alone.
pub fn refresh_index(conn: &Connection, row: &IndexRow) -> Result<(), LocalError> {
    conn.execute(
        "UPDATE case_index SET flags = ?2, next_appointment = ?3, recheck_on = ?4 WHERE id = ?1",
        params![
            row.id.to_string(),
            serde_json::to_string(&row.flags).unwrap_or_else(|_| "[]".into()),
            row.next_appointment,
            recheck_text(row),
        ],
    )?;
    put_items(conn, row)
}

fn recheck_text(row: &IndexRow) -> String {
    row.recheck_on
        .map_or_else(|| "9999-12-31".to_owned(), |d| d.to_string())
}

/// Ids of the cases in the case list.
pub fn indexed(conn: &Connection) -> Result<Vec<Uuid>, LocalError> {
    ids(conn, "SELECT id FROM case_index")
}

/// Ids of the cases whose date-dependent flags may have changed by `today`.
pub fn due_for_recheck(
    conn: &Connection,
    today: chrono::NaiveDate,
) -> Result<Vec<Uuid>, LocalError> {
    let mut stmt = conn.prepare_cached("SELECT id FROM case_index WHERE recheck_on <= ?1")?;
    let found = stmt
        .query_map(params![today.to_string()], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(found
        .iter()
        .filter_map(|id| Uuid::parse_str(id).ok())
        .collect())
}

/// Marks a case as having unsynced changes.
pub fn mark_pending(conn: &Connection, id: Uuid, new: bool) -> Result<(), LocalError> {
    conn.execute(
        "INSERT INTO pending (doc_id, new) VALUES (?1, ?2) ON CONFLICT (doc_id) DO UPDATE SET new = max(new, excluded.new)",
        params![id.to_string(), new],
    )?;
    Ok(())
}

/// The attachments (and thumbnails) a case references, as last indexed.
pub fn case_blob_hashes(conn: &Connection, id: Uuid) -> Result<Vec<BlobHash>, LocalError> {
    let mut stmt = conn.prepare_cached("SELECT hash FROM case_blobs WHERE case_id = ?1")?;
    let hashes = stmt
        .query_map(params![id.to_string()], |r| r.get::<_, String>(0))?
        .filter_map(|r| r.ok())
        .filter_map(|h| BlobHash::parse(&h))
        .collect();
    Ok(hashes)
}

/// Removes every trace of a case.
pub fn remove_case(conn: &Connection, id: Uuid) -> Result<(), LocalError> {
    let key = id.to_string();
    store::delete(conn, id)?;
    conn.execute("DELETE FROM case_index WHERE id = ?1", params![key])?;
    conn.execute("DELETE FROM case_blobs WHERE case_id = ?1", params![key])?;
    conn.execute("DELETE FROM queue_item WHERE case_id = ?1", params![key])?;
    conn.execute("DELETE FROM sync_states WHERE doc_id = ?1", params![key])?;
    conn.execute("DELETE FROM pending WHERE doc_id = ?1", params![key])?;
    conn.execute("DELETE FROM lost WHERE doc_id = ?1", params![key])?;
    index_fresh(conn, id)?;
    Ok(())
}

/// Sets a case this device may no longer hold apart: out of the case list
/// and the sync, kept until its unsynced work is handed over.
pub fn set_lost(conn: &Connection, id: Uuid, now_ms: i64) -> Result<(), LocalError> {
    let key = id.to_string();
    conn.execute(
        "INSERT OR IGNORE INTO lost (doc_id, since) VALUES (?1, ?2)",
        params![key, now_ms],
    )?;
    conn.execute("DELETE FROM case_index WHERE id = ?1", params![key])?;
    conn.execute("DELETE FROM case_blobs WHERE case_id = ?1", params![key])?;
    conn.execute("DELETE FROM queue_item WHERE case_id = ?1", params![key])?;
    conn.execute("DELETE FROM pending WHERE doc_id = ?1", params![key])?;
    // Out of the list: a row made beside the sync must not bring it back.
    index_fresh(conn, id)?;
    Ok(())
}

/// Whether a case has local changes the server has not acknowledged.
pub fn is_pending(conn: &Connection, id: Uuid) -> Result<bool, LocalError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM pending WHERE doc_id = ?1",
            params![id.to_string()],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Cases set apart, waiting for their hand-over.
pub fn lost(conn: &Connection) -> Result<Vec<Uuid>, LocalError> {
    ids(conn, "SELECT doc_id FROM lost ORDER BY since")
}

/// Cases held and not set apart (what a sync tells the server it holds).
pub fn held(conn: &Connection) -> Result<Vec<Uuid>, LocalError> {
    ids(
        conn,
        "SELECT id FROM documents WHERE id NOT IN (SELECT doc_id FROM lost)",
    )
}

/// The case ids a one-column query returns; an id that is not a UUID is an
/// error, not skipped.
fn ids(conn: &Connection, sql: &str) -> Result<Vec<Uuid>, LocalError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let ids = stmt
        .query_map([], |r| {
            let text: String = r.get(0)?;
            Uuid::parse_str(&text).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    0,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids)
}

/// Cases with unacknowledged local changes.
pub fn pending(conn: &Connection) -> Result<Vec<Uuid>, LocalError> {
    ids(conn, "SELECT doc_id FROM pending")
}

/// What of a case the server has not acknowledged: the changes after the
/// heads both sides last agreed on (the whole document for a case never
/// synced). Empty when the server has everything.
pub fn unacknowledged(conn: &Connection, id: Uuid) -> Result<Vec<u8>, LocalError> {
    let Some(mut doc) = store::load(conn, id)? else {
        return Ok(Vec::new());
    };
    let state: Option<Vec<u8>> = conn
        .query_row(
            "SELECT state FROM sync_states WHERE doc_id = ?1",
            params![id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    let shared = state
        .and_then(|b| automerge::sync::State::decode(&b).ok())
        .map(|s| s.shared_heads)
        .unwrap_or_default();
    if shared.is_empty() {
        return Ok(doc.save());
    }
    Ok(doc.save_after(&shared))
}

/// The query [`search`] runs, with its arguments.
fn search_sql(q: &CaseQuery) -> (String, Vec<String>) {
    let mut sql = String::from(
        "SELECT id, name, address, postcode, status, flags, workers, schools, next_appointment, conflicts, updated_at FROM case_index WHERE 1 = 1",
    );
    let mut args: Vec<String> = Vec::new();
    if let Some(text) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        for word in text.to_lowercase().split_whitespace() {
            args.push(format!(
                "%{}%",
                word.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            ));
            sql.push_str(&format!(" AND search LIKE ?{} ESCAPE '\\'", args.len()));
        }
    }
    if let Some(status) = &q.status {
        args.push(status.clone());
        sql.push_str(&format!(" AND status = ?{}", args.len()));
    }
    if let Some(flag) = &q.flag {
        args.push(format!("%\"{flag}\"%"));
        sql.push_str(&format!(" AND flags LIKE ?{}", args.len()));
    }
    if let Some(worker) = &q.worker {
        args.push(format!("%\"{worker}\"%"));
        sql.push_str(&format!(" AND workers LIKE ?{}", args.len()));
    }
    sql.push_str(" ORDER BY next_appointment IS NULL, next_appointment, name");
    if let Some(limit) = q.limit {
        sql.push_str(&format!(" LIMIT {limit}"));
    }
    (sql, args)
}

/// Searches the index: sorted by next appointment (none last), then name.
pub fn search(conn: &Connection, q: &CaseQuery) -> Result<Vec<IndexRow>, LocalError> {
    let (sql, args) = search_sql(q);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(args.iter()), |r| {
            let id: String = r.get(0)?;
            let flags: String = r.get(5)?;
            let workers: String = r.get(6)?;
            Ok(IndexRow {
                id: Uuid::parse_str(&id).unwrap_or_default(),
                name: r.get(1)?,
                address: r.get(2)?,
                postcode: r.get(3)?,
                status: r.get(4)?,
                flags: serde_json::from_str(&flags).unwrap_or_default(),
                workers: serde_json::from_str(&workers).unwrap_or_default(),
                schools: r.get(7)?,
                next_appointment: r.get(8)?,
                conflicts: r.get(9)?,
                updated_at: r.get(10)?,
                recheck_on: None,
                blobs: Vec::new(),
                items: Vec::new(),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// How SQLite runs [`search`] for `q` (`EXPLAIN QUERY PLAN`, one line per
/// step): the list is meant to read the covering index `case_index_list`
/// in its order, with no sort.
pub fn search_plan(conn: &Connection, q: &CaseQuery) -> Result<Vec<String>, LocalError> {
    let (sql, args) = search_sql(q);
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let steps = stmt
        .query_map(params_from_iter(args.iter()), |r| r.get::<_, String>(3))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(steps)
}

/// The draft saved under `key`, if any (unreadable JSON: none).
pub fn draft(conn: &Connection, key: &str) -> Result<Option<serde_json::Value>, LocalError> {
    let body: Option<String> = conn
        .query_row("SELECT body FROM drafts WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
}

/// Saves a form's draft under `key`.
pub fn put_draft(
    conn: &Connection,
    key: &str,
    body: &serde_json::Value,
    now_ms: i64,
) -> Result<(), LocalError> {
    conn.execute(
        "INSERT INTO drafts (key, body, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        params![key, body.to_string(), now_ms],
    )?;
    Ok(())
}

/// Throws a draft away.
pub fn drop_draft(conn: &Connection, key: &str) -> Result<(), LocalError> {
    conn.execute("DELETE FROM drafts WHERE key = ?1", [key])?;
    Ok(())
}

/// Keys of every saved draft, newest first.
pub fn draft_keys(conn: &Connection) -> Result<Vec<String>, LocalError> {
    let mut stmt = conn.prepare("SELECT key FROM drafts ORDER BY updated_at DESC")?;
    let keys = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(keys)
}

/// Cases in the index.
pub fn case_count(conn: &Connection) -> Result<i64, LocalError> {
    Ok(conn.query_row("SELECT COUNT(*) FROM case_index", [], |r| r.get(0))?)
}

/// Whether the pending changes of a case make it new on the server.
pub fn is_new(conn: &Connection, id: Uuid) -> Result<bool, LocalError> {
    Ok(conn
        .prepare_cached("SELECT new FROM pending WHERE doc_id = ?1")?
        .query_row([id.to_string()], |r| r.get::<_, bool>(0))
        .optional()?
        .unwrap_or(false))
}

/// The automerge sync state kept for a case.
pub fn sync_state(conn: &Connection, id: Uuid) -> Result<Option<Vec<u8>>, LocalError> {
    Ok(conn
        .prepare_cached("SELECT state FROM sync_states WHERE doc_id = ?1")?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()?)
}

/// Keeps the automerge sync state of a case.
pub fn put_sync_state(tx: &Transaction<'_>, id: Uuid, state: &[u8]) -> Result<(), LocalError> {
    tx.prepare_cached(
        "INSERT INTO sync_states (doc_id, state) VALUES (?1, ?2) ON CONFLICT (doc_id) DO UPDATE SET state = excluded.state",
    )?
    .execute(params![id.to_string(), state])?;
    Ok(())
}

/// Marks a case's index row as behind its document (its new row is being
/// made beside the session).
pub fn mark_index_stale(tx: &Transaction<'_>, id: Uuid) -> Result<(), LocalError> {
    tx.prepare_cached("INSERT OR IGNORE INTO index_stale (doc_id) VALUES (?1)")?
        .execute([id.to_string()])?;
    Ok(())
}

/// Clears the mark of [`mark_index_stale`]; whether there was one.
pub fn index_fresh(conn: &Connection, id: Uuid) -> Result<bool, LocalError> {
    Ok(conn
        .prepare_cached("DELETE FROM index_stale WHERE doc_id = ?1")?
        .execute([id.to_string()])?
        > 0)
}

/// The cases whose index row may be behind their document.
pub fn index_stale(conn: &Connection) -> Result<Vec<Uuid>, LocalError> {
    let mut stmt = conn.prepare_cached("SELECT doc_id FROM index_stale ORDER BY doc_id")?;
    let ids = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids.iter().filter_map(|s| Uuid::parse_str(s).ok()).collect())
}

/// The server holds every change of a case: nothing is pending.
pub fn settle(tx: &Transaction<'_>, id: Uuid) -> Result<(), LocalError> {
    tx.prepare_cached("DELETE FROM pending WHERE doc_id = ?1")?
        .execute([id.to_string()])?;
    Ok(())
}

/// A case given back (assigned again) is held again, not lost.
pub fn found(tx: &Transaction<'_>, id: Uuid) -> Result<(), LocalError> {
    tx.prepare_cached("DELETE FROM lost WHERE doc_id = ?1")?
        .execute([id.to_string()])?;
    Ok(())
}

/// A team document as stored here (the catalogue, the activities): the
/// document, the server's heads as last received, and the write counter.
#[derive(Debug, Clone)]
pub struct StoredTeamDoc {
    /// `TeamDoc::save`.
    pub doc: Vec<u8>,
    /// The server's heads as last received (empty: never synced).
    pub known: Vec<String>,
    /// Grows with every write.
    pub version: i64,
}

/// The team document of entries `E` (table `E::NAME`), if one is stored.
pub fn team_doc<E: TeamEntry>(conn: &Connection) -> Result<Option<StoredTeamDoc>, LocalError> {
    Ok(conn
        .query_row(
            &format!("SELECT doc, known, version FROM {} WHERE id = 1", E::NAME),
            [],
            |r| {
                let known: String = r.get(1)?;
                Ok(StoredTeamDoc {
                    doc: r.get(0)?,
                    known: serde_json::from_str(&known).unwrap_or_default(),
                    version: r.get(2)?,
                })
            },
        )
        .optional()?)
}

/// The write counter of the stored team document (0: none stored).
pub fn team_doc_version<E: TeamEntry>(conn: &Connection) -> Result<i64, LocalError> {
    Ok(conn
        .query_row(
            &format!("SELECT version FROM {} WHERE id = 1", E::NAME),
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

/// Stores a team document; `known` the server's heads as last received.
pub fn put_team_doc<E: TeamEntry>(
    conn: &Connection,
    doc: &[u8],
    known: &[String],
) -> Result<(), LocalError> {
    let known = serde_json::to_string(known).unwrap_or_else(|_| "[]".into());
    conn.execute(
        &format!(
            "INSERT INTO {t} (id, doc, known, version) VALUES (1, ?1, ?2, 1)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, known = excluded.known,
                 version = {t}.version + 1",
            t = E::NAME
        ),
        params![doc, known],
    )?;
    Ok(())
}

/// Keeps the last report fetched.
pub fn put_last_report(
    conn: &Connection,
    report: &brug_shared::report::Report,
    at_ms: i64,
) -> Result<(), LocalError> {
    let json = serde_json::to_string(report).unwrap_or_default();
    conn.execute(
        "INSERT INTO last_report (id, report, fetched_at) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET report = excluded.report, fetched_at = excluded.fetched_at",
        params![json, at_ms],
    )?;
    Ok(())
}

/// The last report fetched and when (a stored report that no longer reads,
/// from an older app, counts as none).
pub fn last_report(
    conn: &Connection,
) -> Result<Option<(brug_shared::report::Report, i64)>, LocalError> {
    let row: Option<(String, i64)> = conn
        .query_row(
            "SELECT report, fetched_at FROM last_report WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(row.and_then(|(json, at)| serde_json::from_str(&json).ok().map(|r| (r, at))))
}

/// Stores an attachment's bytes (once: the same hash is the same bytes).
/// `fetched`: downloaded from the server, rather than made here.
pub fn put_blob(
    tx: &Connection,
    hash: &BlobHash,
    bytes: &[u8],
    now_ms: i64,
    fetched: bool,
) -> Result<(), LocalError> {
    tx.execute(
        "INSERT INTO blobs (hash, bytes, size, added_at, fetched, sent, used_at)
         VALUES (?1, ?2, ?5, ?3, ?4, ?4, ?3) ON CONFLICT (hash) DO NOTHING",
        params![hash.as_str(), bytes, now_ms, fetched, bytes.len() as i64],
    )?;
    Ok(())
}

/// An attachment's bytes, if this device holds them.
pub fn blob(conn: &Connection, hash: &BlobHash) -> Result<Option<Vec<u8>>, LocalError> {
    Ok(conn
        .query_row(
            "SELECT bytes FROM blobs WHERE hash = ?1",
            [hash.as_str()],
            |r| r.get(0),
        )
        .optional()?)
}

/// Whether this device holds an attachment's bytes.
pub fn has_blob(conn: &Connection, hash: &BlobHash) -> Result<bool, LocalError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM blobs WHERE hash = ?1")?
        .query_row([hash.as_str()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Marks an attachment as just shown (the budget keeps the most recent).
pub fn touch_blob(conn: &Connection, hash: &BlobHash, now_ms: i64) -> Result<(), LocalError> {
    conn.execute(
        "UPDATE blobs SET used_at = ?2 WHERE hash = ?1",
        params![hash.as_str(), now_ms],
    )?;
    Ok(())
}

/// Bytes of the attachments made on this device since `since_ms`.
pub fn blob_bytes_made_since(conn: &Connection, since_ms: i64) -> Result<u64, LocalError> {
    let n: i64 = conn.query_row(
        "SELECT coalesce(sum(size), 0) FROM blobs WHERE fetched = 0 AND added_at >= ?1",
        [since_ms],
        |r| r.get(0),
    )?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The attachments the server does not have yet, oldest first.
pub fn unsent_blobs(conn: &Connection) -> Result<Vec<BlobHash>, LocalError> {
    let mut stmt = conn.prepare("SELECT hash FROM blobs WHERE sent = 0 ORDER BY added_at, hash")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for row in rows {
        out.extend(BlobHash::parse(&row?));
    }
    Ok(out)
}

/// Notes that the server holds an attachment.
pub fn mark_blob_sent(conn: &Connection, hash: &BlobHash) -> Result<(), LocalError> {
    conn.execute("UPDATE blobs SET sent = 1 WHERE hash = ?1", [hash.as_str()])?;
    Ok(())
}

/// An attachment's bytes as held here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldBlob {
    /// Its hash.
    pub hash: BlobHash,
    /// Its size.
    pub size: u64,
    /// Downloaded from the server (not made here).
    pub fetched: bool,
    /// The server has it.
    pub sent: bool,
    /// Last shown (ms).
    pub used_at: i64,
    /// Order of storing (later is larger).
    pub order: i64,
}

/// Every attachment held here.
pub fn blob_list(conn: &Connection) -> Result<Vec<HeldBlob>, LocalError> {
    let mut stmt = conn.prepare("SELECT hash, size, fetched, sent, used_at, rowid FROM blobs")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, bool>(2)?,
            r.get::<_, bool>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, i64>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (h, size, fetched, sent, used_at, order) = row?;
        if let Some(hash) = BlobHash::parse(&h) {
            out.push(HeldBlob {
                hash,
                size: u64::try_from(size).unwrap_or(0),
                fetched,
                sent,
                used_at,
                order,
            });
        }
    }
    Ok(out)
}

/// Lets an attachment's bytes go.
pub fn remove_blob(conn: &Connection, hash: &BlobHash) -> Result<(), LocalError> {
    conn.execute("DELETE FROM blobs WHERE hash = ?1", [hash.as_str()])?;
    Ok(())
}
