//! The SQLite document store both sides build on.
//!
//! A document is a compacted snapshot plus the incremental chunks saved
//! since (`save_after(heads)`, never a whole-history `save_incremental`),
//! and its current heads. When the chunks outgrow the snapshot, the next
//! save compacts them into a new snapshot. Every write happens in one
//! transaction: a save interrupted before commit leaves the previous state.
//!
//! The schema comes from numbered SQL files in `migrations/store/`. The
//! device and the server each apply [`STORE_MIGRATIONS`] followed by their
//! own files, as one append-only list (see [`migrate`]).

use automerge::ChangeHash;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use rusqlite_migration::{M, Migrations};
use uuid::Uuid;

use crate::casedoc::{CaseDoc, CaseDocError};

/// The store's own migrations, in order. Never edit a released one.
pub const STORE_MIGRATIONS: &[&str] =
    &[include_str!("../../../migrations/store/0001_documents.sql")];

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused.
    #[error("de opslag gaf een fout: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The schema could not be brought up to date.
    #[error("de opslag kon niet bijgewerkt worden: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// A stored document does not load.
    #[error("een bewaard dossier is onleesbaar: {0}")]
    Document(#[from] CaseDocError),
    /// The document in memory lacks changes the store already holds: load
    /// and merge before saving.
    #[error("het dossier in het geheugen mist wijzigingen die al bewaard zijn; laad het opnieuw")]
    Stale,
    /// The stored heads are not valid.
    #[error("bewaarde heads zijn ongeldig")]
    BadHeads,
}

/// What a save did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// The document was new: a snapshot was written.
    Created,
    /// Nothing changed since the last save.
    Unchanged,
    /// An incremental chunk of this many bytes was appended.
    Appended(usize),
    /// The chunks were folded into a fresh snapshot of this many bytes.
    Compacted(usize),
}

/// Applies the store migrations followed by `side` (the device's or the
/// server's), as one list tracked in `user_version`; foreign keys stay on
/// afterwards. Both lists are
/// append-only, so the combined order never changes for a released schema.
pub fn migrate(conn: &mut Connection, side: &[&'static str]) -> Result<(), StoreError> {
    // Foreign keys are off while migrations run, so a migration may rebuild
    // a table others refer to (SQLite's way to change a constraint); each
    // migration is checked for dangling references before it commits.
    let all: Vec<M<'static>> = STORE_MIGRATIONS
        .iter()
        .chain(side.iter())
        .map(|sql| M::up(sql).foreign_key_check())
        .collect();
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let migrated = Migrations::new(all).to_latest(conn);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    migrated?;
    Ok(())
}

/// Opens (or creates) a plain SQLite store at `path` with the document
/// tables, in WAL mode with full sync. Encryption is the device's business.
pub fn open(path: &std::path::Path) -> Result<Connection, StoreError> {
    let mut conn = Connection::open(path)?;
    configure(&conn)?;
    migrate(&mut conn, &[])?;
    Ok(conn)
}

/// The pragmas every Brug database runs with.
pub fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(())
}

/// Heads as stored: a JSON array of hex change hashes (both backends of the
/// server use this text).
pub fn encode_heads(heads: &[ChangeHash]) -> String {
    serde_json::to_string(&heads.iter().map(|h| h.to_string()).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

/// The heads [`encode_heads`] wrote.
pub fn decode_heads(text: &str) -> Result<Vec<ChangeHash>, StoreError> {
    let hex: Vec<String> = serde_json::from_str(text).map_err(|_| StoreError::BadHeads)?;
    hex.iter()
        .map(|h| h.parse().map_err(|_| StoreError::BadHeads))
        .collect()
}

fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Saves `doc` in its own transaction.
pub fn save(conn: &mut Connection, doc: &mut CaseDoc) -> Result<Saved, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let saved = save_in(&tx, doc)?;
    tx.commit()?;
    Ok(saved)
}

/// Saves `doc` inside a transaction the caller commits (so the server can
/// bump its change feed in the same transaction).
pub fn save_in(tx: &Transaction<'_>, doc: &mut CaseDoc) -> Result<Saved, StoreError> {
    let id = doc.id().to_string();
    let row: Option<(String, i64, i64)> = tx
        .prepare_cached("SELECT heads, snapshot_bytes, chunk_bytes FROM documents WHERE id = ?1")?
        .query_row(params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let heads = doc.heads();
    let Some((stored, snapshot_bytes, chunk_bytes)) = row else {
        let snapshot = doc.save();
        tx.prepare_cached(
            "INSERT INTO documents (id, snapshot, snapshot_bytes, heads, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            id,
            snapshot,
            snapshot.len() as i64,
            encode_heads(&heads),
            now_millis()
        ])?;
        return Ok(Saved::Created);
    };
    let stored = decode_heads(&stored)?;
    if stored == heads {
        return Ok(Saved::Unchanged);
    }
    if !doc.contains_all(&stored) {
        return Err(StoreError::Stale);
    }
    let chunk = doc.save_after(&stored);
    if chunk.is_empty() {
        return Ok(Saved::Unchanged);
    }
    let total = chunk_bytes + chunk.len() as i64;
    if total > snapshot_bytes {
        let snapshot = doc.save();
        tx.prepare_cached("DELETE FROM document_chunks WHERE doc_id = ?1")?
            .execute(params![id])?;
        tx.prepare_cached(
            "UPDATE documents SET snapshot = ?2, snapshot_bytes = ?3, chunk_bytes = 0, heads = ?4,
             updated_at = ?5 WHERE id = ?1",
        )?
        .execute(params![
            id,
            snapshot,
            snapshot.len() as i64,
            encode_heads(&heads),
            now_millis()
        ])?;
        return Ok(Saved::Compacted(snapshot.len()));
    }
    tx.prepare_cached(
        "INSERT INTO document_chunks (doc_id, n, data)
         VALUES (?1, (SELECT COALESCE(MAX(n), 0) + 1 FROM document_chunks WHERE doc_id = ?1), ?2)",
    )?
    .execute(params![id, chunk])?;
    tx.prepare_cached(
        "UPDATE documents SET chunk_bytes = ?2, heads = ?3, updated_at = ?4 WHERE id = ?1",
    )?
    .execute(params![id, total, encode_heads(&heads), now_millis()])?;
    Ok(Saved::Appended(chunk.len()))
}

/// Saves a case received whole: when the store does not hold it yet,
/// `snapshot` (the document chunk `doc` was loaded from, see
/// [`CaseDoc::receive_sync_message_whole`]) is written as its snapshot
/// instead of compressing `doc` again; otherwise as
/// [`merge_and_save_in`].
pub fn save_received_in(
    tx: &Transaction<'_>,
    doc: &mut CaseDoc,
    snapshot: &[u8],
) -> Result<Saved, StoreError> {
    if heads(tx, doc.id())?.is_some() {
        return merge_and_save_in(tx, doc);
    }
    tx.prepare_cached(
        "INSERT INTO documents (id, snapshot, snapshot_bytes, heads, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        doc.id().to_string(),
        snapshot,
        snapshot.len() as i64,
        encode_heads(&doc.heads()),
        now_millis()
    ])?;
    Ok(Saved::Created)
}

/// Merges into `doc` whatever the store holds that `doc` lacks (another
/// handle or a sync saved the same case since `doc` was loaded) and returns
/// the stored heads (empty for a case not stored yet): what `doc` holds
/// beyond them is exactly what this save adds.
///
/// `tx` must hold the write lock (an IMMEDIATE transaction): then nothing
/// can be saved between the merge and the write, and no retry is needed.
pub fn merge_stored(
    tx: &Transaction<'_>,
    doc: &mut CaseDoc,
) -> Result<Vec<ChangeHash>, StoreError> {
    let Some(stored) = heads(tx, doc.id())? else {
        return Ok(Vec::new());
    };
    if !doc.contains_all(&stored)
        && let Some(mut theirs) = load(tx, doc.id())?
    {
        doc.merge(&mut theirs)?;
    }
    Ok(stored)
}

/// [`merge_stored`], then [`save_in`]: a save that keeps both and never
/// fails as [`StoreError::Stale`].
pub fn merge_and_save_in(tx: &Transaction<'_>, doc: &mut CaseDoc) -> Result<Saved, StoreError> {
    merge_stored(tx, doc)?;
    save_in(tx, doc)
}

/// Folds a document's chunks into a fresh snapshot now.
pub fn compact(conn: &mut Connection, id: Uuid) -> Result<Option<usize>, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let Some(mut doc) = load(&tx, id)? else {
        return Ok(None);
    };
    let snapshot = doc.save();
    tx.execute(
        "DELETE FROM document_chunks WHERE doc_id = ?1",
        params![id.to_string()],
    )?;
    tx.execute(
        "UPDATE documents SET snapshot = ?2, snapshot_bytes = ?3, chunk_bytes = 0, heads = ?4, updated_at = ?5 WHERE id = ?1",
        params![id.to_string(), snapshot, snapshot.len() as i64, encode_heads(&doc.heads()), now_millis()],
    )?;
    tx.commit()?;
    Ok(Some(snapshot.len()))
}

/// Loads a document: its snapshot, then its chunks in order.
pub fn load(conn: &Connection, id: Uuid) -> Result<Option<CaseDoc>, StoreError> {
    let key = id.to_string();
    let snapshot: Option<Vec<u8>> = conn
        .prepare_cached("SELECT snapshot FROM documents WHERE id = ?1")?
        .query_row(params![key], |r| r.get(0))
        .optional()?;
    let Some(snapshot) = snapshot else {
        return Ok(None);
    };
    let mut stmt =
        conn.prepare_cached("SELECT data FROM document_chunks WHERE doc_id = ?1 ORDER BY n")?;
    let chunks = stmt
        .query_map(params![key], |r| r.get::<_, Vec<u8>>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(CaseDoc::load(&snapshot, &chunks)?))
}

/// The stored heads of a document.
pub fn heads(conn: &Connection, id: Uuid) -> Result<Option<Vec<ChangeHash>>, StoreError> {
    let text: Option<String> = conn
        .prepare_cached("SELECT heads FROM documents WHERE id = ?1")?
        .query_row(params![id.to_string()], |r| r.get(0))
        .optional()?;
    text.map(|t| decode_heads(&t)).transpose()
}

/// Replaces a stored document with `doc` whole (a new generation, see
/// [`CaseDoc::regenerate`]): the old snapshot and every chunk go, inside
/// the caller's transaction. `false` when no such document is stored.
pub fn replace_in(tx: &Transaction<'_>, doc: &mut CaseDoc) -> Result<bool, StoreError> {
    let id = doc.id().to_string();
    let snapshot = doc.save();
    let updated = tx.execute(
        "UPDATE documents SET snapshot = ?2, snapshot_bytes = ?3, chunk_bytes = 0, heads = ?4, updated_at = ?5 WHERE id = ?1",
        params![id, snapshot, snapshot.len() as i64, encode_heads(&doc.heads()), now_millis()],
    )?;
    tx.execute("DELETE FROM document_chunks WHERE doc_id = ?1", params![id])?;
    Ok(updated > 0)
}

/// Removes a document and its chunks.
pub fn delete(conn: &Connection, id: Uuid) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "DELETE FROM documents WHERE id = ?1",
        params![id.to_string()],
    )? > 0)
}

/// Ids of every stored document.
pub fn ids(conn: &Connection) -> Result<Vec<Uuid>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id FROM documents ORDER BY id")?;
    let ids = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .filter_map(|r| r.ok().and_then(|s| Uuid::parse_str(&s).ok()))
        .collect();
    Ok(ids)
}

/// Bytes a document takes: snapshot and chunks.
pub fn stored_bytes(conn: &Connection, id: Uuid) -> Result<Option<(i64, i64, i64)>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT snapshot_bytes, chunk_bytes, (SELECT COUNT(*) FROM document_chunks WHERE doc_id = ?1) FROM documents WHERE id = ?1",
            params![id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
}
