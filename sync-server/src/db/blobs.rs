//! Attachments on the server: bytes by hash, uploads under way by chunk,
//! which case references which hash, and the grace period of attachments
//! no case references any more.

use brug_shared::model::BlobHash;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::{DbError, User};

/// Replaces the attachments case `id` references (after each merge).
/// An attachment that loses its last reference starts its grace period;
/// one referenced again leaves it.
pub fn put_case_blobs(
    conn: &Connection,
    id: Uuid,
    hashes: &[BlobHash],
    now: i64,
) -> Result<(), DbError> {
    let key = id.to_string();
    let before: Vec<String> = {
        let mut stmt = conn.prepare_cached("SELECT hash FROM case_blobs WHERE case_id = ?1")?;
        stmt.query_map([&key], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    let now_set: std::collections::BTreeSet<&str> = hashes.iter().map(BlobHash::as_str).collect();
    if before.len() == now_set.len() && before.iter().all(|h| now_set.contains(h.as_str())) {
        return Ok(());
    }
    conn.prepare_cached("DELETE FROM case_blobs WHERE case_id = ?1")?
        .execute([&key])?;
    let mut insert =
        conn.prepare_cached("INSERT OR IGNORE INTO case_blobs (case_id, hash) VALUES (?1, ?2)")?;
    for h in &now_set {
        insert.execute(params![key, h])?;
        conn.prepare_cached("DELETE FROM blob_orphans WHERE hash = ?1")?
            .execute([h])?;
    }
    for gone in before.iter().filter(|h| !now_set.contains(h.as_str())) {
        let still: bool = conn
            .prepare_cached("SELECT 1 FROM case_blobs WHERE hash = ?1 LIMIT 1")?
            .query_row([gone], |_| Ok(()))
            .optional()?
            .is_some();
        if !still {
            conn.prepare_cached(
                "INSERT OR IGNORE INTO blob_orphans (hash, since) VALUES (?1, ?2)",
            )?
            .execute(params![gone, now])?;
        }
    }
    Ok(())
}

/// Whether `user` may see a case that references `hash`: the one test for
/// uploading and reading an attachment.
pub fn may_see_blob(conn: &Connection, user: &User, hash: &BlobHash) -> Result<bool, DbError> {
    let mut stmt = conn.prepare_cached("SELECT case_id FROM case_blobs WHERE hash = ?1")?;
    let cases: Vec<String> = stmt
        .query_map([hash.as_str()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for case in cases {
        if let Ok(id) = Uuid::parse_str(&case)
            && super::may_access(conn, user, id)?
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether the server holds the whole of `hash`.
pub fn has_blob(conn: &Connection, hash: &BlobHash) -> Result<bool, DbError> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM blobs WHERE hash = ?1")?
        .query_row([hash.as_str()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Bytes of an upload under way kept so far (0: none).
pub fn part_received(conn: &Connection, hash: &BlobHash) -> Result<u64, DbError> {
    let n: i64 = conn
        .prepare_cached("SELECT coalesce(sum(length(bytes)), 0) FROM blob_parts WHERE hash = ?1")?
        .query_row([hash.as_str()], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The size of a stored attachment.
pub fn blob_size(conn: &Connection, hash: &BlobHash) -> Result<Option<u64>, DbError> {
    let n: Option<i64> = conn
        .prepare_cached("SELECT length(bytes) FROM blobs WHERE hash = ?1")?
        .query_row([hash.as_str()], |r| r.get(0))
        .optional()?;
    Ok(n.map(|n| u64::try_from(n).unwrap_or(0)))
}

/// A range of a stored attachment's bytes.
pub fn blob_range(
    conn: &Connection,
    hash: &BlobHash,
    offset: u64,
    len: u64,
) -> Result<Option<Vec<u8>>, DbError> {
    // substr on a blob counts bytes, from 1.
    Ok(conn
        .prepare_cached("SELECT substr(bytes, ?2, ?3) FROM blobs WHERE hash = ?1")?
        .query_row(
            params![
                hash.as_str(),
                i64::try_from(offset).unwrap_or(i64::MAX).saturating_add(1),
                i64::try_from(len).unwrap_or(0)
            ],
            |r| r.get(0),
        )
        .optional()?)
}

/// Why an upload may not start: a case's bytes would go over its limit
/// (said first: it does not pass with the day), or the device's day's.
/// `None`: it may.
pub fn over_quota(
    conn: &Connection,
    hash: &BlobHash,
    total: u64,
    device: &str,
    day_start: i64,
    limits: &brug_shared::model::AttachmentLimits,
) -> Result<Option<&'static str>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT coalesce(sum(length(b.bytes)), 0) FROM case_blobs c JOIN blobs b ON b.hash = c.hash
         WHERE c.case_id = ?1",
    )?;
    let cases: Vec<String> = conn
        .prepare_cached("SELECT case_id FROM case_blobs WHERE hash = ?1")?
        .query_map([hash.as_str()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for case in cases {
        let held: i64 = stmt.query_row([&case], |r| r.get(0))?;
        if u64::try_from(held).unwrap_or(0) + total > limits.max_case_bytes {
            return Ok(Some("case"));
        }
    }
    let day: i64 = conn
        .prepare_cached(
            "SELECT (SELECT coalesce(sum(length(bytes)), 0) FROM blobs WHERE stored_by = ?1 AND stored_at >= ?2)
                  + (SELECT coalesce(sum(length(bytes)), 0) FROM blob_parts WHERE device_id = ?1)",
        )?
        .query_row(params![device, day_start], |r| r.get(0))?;
    if u64::try_from(day).unwrap_or(0) + total > limits.max_device_day_bytes {
        return Ok(Some("device-day"));
    }
    Ok(None)
}

/// What became of a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkOutcome {
    /// Kept; the upload goes on from `received`.
    Kept {
        /// Bytes held now.
        received: u64,
    },
    /// The attachment is complete, verified and stored.
    Complete {
        /// Its size.
        size: u64,
    },
    /// The server already holds the whole attachment.
    Had {
        /// Its size.
        size: u64,
    },
    /// The chunk is not where the upload stands (resume from `received`).
    WrongOffset {
        /// Bytes held now.
        received: u64,
    },
    /// The whole does not hash to its name: the upload is dropped.
    HashMismatch,
}

/// Stores one verified chunk of `hash` at `offset` (of `total` bytes), in
/// the caller's transaction; on the last one, checks the whole and stores
/// the attachment.
pub fn put_chunk(
    conn: &Connection,
    hash: &BlobHash,
    offset: u64,
    total: u64,
    chunk: &[u8],
    device: &str,
    now: i64,
) -> Result<ChunkOutcome, DbError> {
    if let Some(size) = blob_size(conn, hash)? {
        return Ok(ChunkOutcome::Had { size });
    }
    let received = part_received(conn, hash)?;
    let kept_total: Option<i64> = conn
        .prepare_cached("SELECT total FROM blob_parts WHERE hash = ?1 LIMIT 1")?
        .query_row([hash.as_str()], |r| r.get(0))
        .optional()?;
    if offset != received || kept_total.is_some_and(|t| u64::try_from(t).ok() != Some(total)) {
        return Ok(ChunkOutcome::WrongOffset { received });
    }
    let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    conn.prepare_cached(
        "INSERT INTO blob_parts (hash, offset, bytes, total, device_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![hash.as_str(), to_i64(offset), chunk, to_i64(total), device, now])?;
    let received = received + chunk.len() as u64;
    if received < total {
        return Ok(ChunkOutcome::Kept { received });
    }
    let mut whole = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    {
        let mut stmt =
            conn.prepare_cached("SELECT bytes FROM blob_parts WHERE hash = ?1 ORDER BY offset")?;
        let mut rows = stmt.query([hash.as_str()])?;
        while let Some(row) = rows.next()? {
            let part: Vec<u8> = row.get(0)?;
            whole.extend_from_slice(&part);
        }
    }
    conn.prepare_cached("DELETE FROM blob_parts WHERE hash = ?1")?
        .execute([hash.as_str()])?;
    if BlobHash::of(&whole) != *hash {
        return Ok(ChunkOutcome::HashMismatch);
    }
    conn.prepare_cached(
        "INSERT INTO blobs (hash, bytes, stored_at, stored_by) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![hash.as_str(), whole, now, device])?;
    Ok(ChunkOutcome::Complete {
        size: whole.len() as u64,
    })
}

/// Removes attachments no case has referenced for `grace_ms`, and uploads
/// untouched for as long; returns how many attachments went.
pub fn collect_orphans(conn: &Connection, now: i64, grace_ms: i64) -> Result<usize, DbError> {
    let cutoff = now.saturating_sub(grace_ms);
    let gone = conn.execute(
        "DELETE FROM blobs WHERE hash IN (SELECT hash FROM blob_orphans WHERE since <= ?1)",
        [cutoff],
    )?;
    conn.execute("DELETE FROM blob_orphans WHERE since <= ?1", [cutoff])?;
    conn.execute("DELETE FROM blob_parts WHERE updated_at <= ?1", [cutoff])?;
    Ok(gone)
}

/// Number of attachments stored and their bytes.
pub fn blob_totals(conn: &Connection) -> Result<(i64, i64), DbError> {
    Ok(conn.query_row(
        "SELECT count(*), coalesce(sum(length(bytes)), 0) FROM blobs",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}
