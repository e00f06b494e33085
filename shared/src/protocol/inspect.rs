//! Looks inside an automerge sync message before automerge applies it, to
//! refuse decompression bombs with bounded memory.
//!
//! A sync message carries chunks: change chunks (type 1), DEFLATE-compressed
//! change chunks (type 2) and, in V2 messages, whole-document chunks (type
//! 0) whose columns may each be DEFLATE-compressed. We walk the chunk
//! headers and inflate every compressed part through a counting reader that
//! stops at [`MAX_DECOMPRESSED_BYTES`](super::limits::MAX_DECOMPRESSED_BYTES).
//!
//! It also counts the operations each chunk holds, from the run lengths of
//! its columns, without expanding any run: a change of a few hundred bytes
//! whose columns say "2^40 times the same operation" is refused before
//! automerge walks it ([`MAX_OPS_PER_BATCH`](super::limits::MAX_OPS_PER_BATCH)).

use std::io::Read;

use super::limits::{MAX_CHUNKS_PER_MESSAGE, MAX_DECOMPRESSED_BYTES, MAX_OPS_PER_BATCH};

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const DEFLATE_BIT: u64 = 0b1000;

/// Why a sync message was refused before it was applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InspectError {
    /// Not a sync message, or a chunk that does not parse.
    #[error("malformed sync message: {0}")]
    Malformed(&'static str),
    /// The data would inflate past the limit.
    #[error("sync message inflates past {MAX_DECOMPRESSED_BYTES} bytes")]
    TooLarge,
    /// Too many chunks.
    #[error("sync message holds more than {MAX_CHUNKS_PER_MESSAGE} chunks")]
    TooManyChunks,
    /// A chunk type we do not accept from a peer.
    #[error("unsupported chunk type {0}")]
    UnsupportedChunk(u8),
    /// The chunks' columns hold more operations than one message may add.
    #[error("sync message holds more than {MAX_OPS_PER_BATCH} operations")]
    TooManyOps,
}

/// What a sync message carries, once inspected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessageSize {
    /// Number of chunks.
    pub chunks: usize,
    /// Bytes the chunks take once inflated.
    pub inflated_bytes: usize,
    /// Operations the chunks hold, as their columns' run lengths say.
    pub ops: u64,
}

/// Decodes an encoded automerge sync message and checks that its chunks
/// stay within the limits once inflated.
pub fn inspect_sync_message(encoded: &[u8]) -> Result<MessageSize, InspectError> {
    let msg = automerge::sync::Message::decode(encoded)
        .map_err(|_| InspectError::Malformed("not a sync message"))?;
    let mut size = MessageSize::default();
    let mut budget = MAX_DECOMPRESSED_BYTES;
    for entry in msg.changes.iter() {
        let mut r = Reader(entry);
        while !r.0.is_empty() {
            size.chunks += 1;
            if size.chunks > MAX_CHUNKS_PER_MESSAGE {
                return Err(InspectError::TooManyChunks);
            }
            let (used, ops) = inspect_chunk(&mut r, budget)?;
            budget = budget.checked_sub(used).ok_or(InspectError::TooLarge)?;
            size.inflated_bytes += used;
            size.ops = size.ops.saturating_add(ops);
            if size.ops > MAX_OPS_PER_BATCH as u64 {
                return Err(InspectError::TooManyOps);
            }
        }
    }
    Ok(size)
}

/// Whether `bytes` are exactly one whole-document chunk (magic, checksum,
/// type 0, length, body) and nothing else: what `save()` writes. Only the
/// framing is read; automerge checks the checksum and the body.
pub fn is_one_document_chunk(bytes: &[u8]) -> bool {
    let mut r = Reader(bytes);
    let framed = (|| {
        if r.take(4)? != MAGIC {
            return Err(InspectError::Malformed("bad chunk magic"));
        }
        r.take(4)?;
        let kind = r.byte()?;
        let len = r.uleb_usize()?;
        r.take(len)?;
        Ok(kind)
    })();
    matches!(framed, Ok(0)) && r.0.is_empty()
}

/// Inspects one chunk, returning the bytes it takes inflated and the
/// operations it holds.
fn inspect_chunk(r: &mut Reader<'_>, budget: usize) -> Result<(usize, u64), InspectError> {
    if r.take(4)? != MAGIC {
        return Err(InspectError::Malformed("bad chunk magic"));
    }
    r.take(4)?; // checksum, verified by automerge
    let kind = r.byte()?;
    let len = r.uleb_usize()?;
    let body = r.take(len)?;
    if len > budget {
        return Err(InspectError::TooLarge);
    }
    match kind {
        0 => document_columns(body, budget),
        1 => change_columns(body, budget),
        2 => {
            let inflated = inflate(body, budget)?;
            let (inner, ops) = change_columns(&inflated, budget)?;
            Ok((inflated.len().max(inner), ops))
        }
        other => Err(InspectError::UnsupportedChunk(other)),
    }
}

/// A document chunk: actors, heads, change and op column metadata, then
/// the column data, any of which may be deflated.
fn document_columns(body: &[u8], budget: usize) -> Result<(usize, u64), InspectError> {
    let mut r = Reader(body);
    for _ in 0..r.count()? {
        let n = r.uleb_usize()?;
        r.take(n)?;
    }
    for _ in 0..r.count()? {
        r.take(32)?;
    }
    let mut cols = r.columns()?;
    cols.extend(r.columns()?);
    inflated_size(&mut r, &cols, body.len(), budget)
}

/// A change chunk: deps, actor, seq, start op, time, message, other
/// actors, op column metadata, then the column data.
fn change_columns(body: &[u8], budget: usize) -> Result<(usize, u64), InspectError> {
    let mut r = Reader(body);
    for _ in 0..r.count()? {
        r.take(32)?;
    }
    let n = r.uleb_usize()?;
    r.take(n)?;
    r.uleb()?; // seq
    r.uleb()?; // start op
    r.leb()?; // time
    let n = r.uleb_usize()?;
    r.take(n)?; // message
    for _ in 0..r.count()? {
        let n = r.uleb_usize()?;
        r.take(n)?;
    }
    let cols = r.columns()?;
    inflated_size(&mut r, &cols, body.len(), budget)
}

/// The size of a chunk body of `raw` bytes once its deflated columns (read
/// from `r` in the order of `cols`) are inflated, within `budget`, and the
/// most rows any of its columns holds (for a change: its operations; for a
/// document: its changes or its operations, whichever is more).
fn inflated_size(
    r: &mut Reader<'_>,
    cols: &[(u64, usize)],
    raw: usize,
    budget: usize,
) -> Result<(usize, u64), InspectError> {
    let mut total = raw;
    let mut rows = 0u64;
    for (spec, len) in cols {
        let data = r.take(*len)?;
        let counted = if spec & DEFLATE_BIT != 0 {
            let remaining = budget.checked_sub(total).ok_or(InspectError::TooLarge)?;
            let inflated = inflate(data, remaining)?;
            total += inflated.len();
            column_rows(*spec, &inflated)?
        } else {
            column_rows(*spec, data)?
        };
        rows = rows.max(counted);
    }
    if total > budget {
        return Err(InspectError::TooLarge);
    }
    Ok((total, rows))
}

/// The rows a column holds, from its encoding's run lengths, without
/// expanding a run. Column types (the low three bits of the spec): 0 group,
/// 1 actor, 2 integer, 3 delta, 5 string and 6 value metadata are run-length
/// encoded; 4 boolean alternates run lengths; 7 raw values have no rows of
/// their own.
fn column_rows(spec: u64, data: &[u8]) -> Result<u64, InspectError> {
    let mut r = Reader(data);
    let mut rows = 0u64;
    match spec & 0b111 {
        7 => return Ok(0),
        4 => {
            while !r.0.is_empty() {
                rows = rows.saturating_add(r.uleb()?);
            }
        }
        kind => {
            let value = |r: &mut Reader<'_>| -> Result<(), InspectError> {
                if kind == 5 {
                    let n = r.uleb_usize()?;
                    r.take(n)?;
                } else {
                    r.uleb()?;
                }
                Ok(())
            };
            while !r.0.is_empty() {
                let n = r.sleb()?;
                if n > 0 {
                    // A run: one value, repeated.
                    rows = rows.saturating_add(n.unsigned_abs());
                    value(&mut r)?;
                } else if n < 0 {
                    // Literals: each one is in the data, so this loop is
                    // bounded by the column's length.
                    for _ in 0..n.unsigned_abs() {
                        value(&mut r)?;
                        rows = rows.saturating_add(1);
                    }
                } else {
                    rows = rows.saturating_add(r.uleb()?);
                }
            }
        }
    }
    Ok(rows)
}

/// Inflates raw DEFLATE data, refusing to produce more than `limit` bytes.
fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>, InspectError> {
    let mut out = Vec::new();
    let decoder = flate2::read::DeflateDecoder::new(data);
    decoder
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| InspectError::Malformed("bad DEFLATE data"))?;
    if out.len() > limit {
        return Err(InspectError::TooLarge);
    }
    Ok(out)
}

/// Raw DEFLATE data that inflates to `mib` MiB of zeros in about 1 KiB per
/// MiB: what a decompression bomb looks like. For tests of the bound.
pub fn zeros_deflated(mib: usize) -> Vec<u8> {
    // One MiB of zeros, compressed and sync-flushed (byte-aligned, not
    // final). Repeating it stays valid: every match refers to zeros.
    let mut piece = Vec::with_capacity(4096);
    let mut c = flate2::Compress::new(flate2::Compression::best(), false);
    let zeros = vec![0u8; 1024 * 1024];
    let _ = c.compress_vec(&zeros, &mut piece, flate2::FlushCompress::Sync);
    let mut out = Vec::with_capacity(piece.len() * mib + 2);
    for _ in 0..mib {
        out.extend_from_slice(&piece);
    }
    // A final, empty block with fixed codes ends the stream.
    out.extend_from_slice(&[0x03, 0x00]);
    out
}

/// An encoded sync message carrying one compressed change chunk whose data
/// inflates to `mib` MiB: a decompression bomb. For tests of the bound.
pub fn bomb_sync_message(mib: usize) -> Vec<u8> {
    let data = zeros_deflated(mib);
    let mut chunk = MAGIC.to_vec();
    chunk.extend_from_slice(&[0, 0, 0, 0, 2]);
    let mut len = data.len();
    loop {
        let b = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            chunk.push(b);
            break;
        }
        chunk.push(b | 0x80);
    }
    chunk.extend_from_slice(&data);
    carrying(chunk)
}

/// Appends `v` as an unsigned LEB128 integer (automerge's columns, the
/// report projection's series).
pub(crate) fn push_uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn push_sleb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        let done = (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0);
        if done {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// An encoded sync message carrying one change of a few dozen bytes, with a
/// valid checksum, whose columns say it holds `ops` operations (one run of
/// the same "make map" operation, and its other columns alike): an
/// operation bomb. For tests of the bound.
pub fn op_bomb_sync_message(ops: u64) -> Vec<u8> {
    op_bomb_sync_message_with(ops, 0xab, None)
}

/// Like [`op_bomb_sync_message`], by actor `[actor; 16]`, depending on
/// `dep` (a change the receiver may not have: the change then waits for
/// it).
pub fn op_bomb_sync_message_with(ops: u64, actor: u8, dep: Option<[u8; 32]>) -> Vec<u8> {
    use sha2::Digest;
    let run = i64::try_from(ops).unwrap_or(i64::MAX);
    let mut body = Vec::new();
    match dep {
        Some(hash) => {
            body.push(1);
            body.extend_from_slice(&hash);
        }
        None => body.push(0),
    }
    body.push(16); // the actor
    body.extend_from_slice(&[actor; 16]);
    body.push(1); // seq
    body.push(1); // start op
    body.push(0); // time
    body.push(0); // message
    body.push(0); // other actors
    // Columns: object actor and counter (null runs: the root), key string,
    // insert (all false), action (make map), value metadata (null), pred
    // group (none): every one `ops` rows long.
    let mut cols: Vec<(u64, Vec<u8>)> = Vec::new();
    let null_run = |out: &mut Vec<u8>| {
        push_sleb(out, 0);
        push_uleb(out, ops);
    };
    let mut d = Vec::new();
    null_run(&mut d);
    cols.push((0x01, d.clone()));
    cols.push((0x02, d));
    let mut d = Vec::new();
    push_sleb(&mut d, run);
    push_uleb(&mut d, 1);
    d.push(b'k');
    cols.push((0x15, d));
    let mut d = Vec::new();
    push_uleb(&mut d, ops);
    cols.push((0x34, d));
    let mut d = Vec::new();
    push_sleb(&mut d, run);
    push_uleb(&mut d, 0);
    cols.push((0x42, d));
    let mut d = Vec::new();
    push_sleb(&mut d, run);
    push_uleb(&mut d, 0);
    cols.push((0x56, d.clone()));
    cols.push((0x70, d));
    push_uleb(&mut body, cols.len() as u64);
    for (spec, data) in &cols {
        push_uleb(&mut body, *spec);
        push_uleb(&mut body, data.len() as u64);
    }
    for (_, data) in &cols {
        body.extend_from_slice(data);
    }
    let mut header = vec![1u8];
    push_uleb(&mut header, body.len() as u64);
    let mut hasher = sha2::Sha256::new();
    hasher.update(&header);
    hasher.update(&body);
    let hash = hasher.finalize();
    let mut chunk = MAGIC.to_vec();
    chunk.extend_from_slice(&hash[..4]);
    chunk.extend_from_slice(&header);
    chunk.extend_from_slice(&body);
    carrying(chunk)
}

/// An encoded sync message carrying `chunk` and nothing else.
fn carrying(chunk: Vec<u8>) -> Vec<u8> {
    automerge::sync::Message {
        heads: vec![],
        need: vec![],
        have: vec![],
        changes: vec![chunk].into(),
        flags: None,
        version: automerge::sync::MessageVersion::V1,
    }
    .encode()
}

/// A cursor over bytes that never reads past the end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], InspectError> {
        if n > self.0.len() {
            return Err(InspectError::Malformed("chunk shorter than it says"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, InspectError> {
        Ok(self.take(1)?[0])
    }

    fn uleb(&mut self) -> Result<u64, InspectError> {
        let mut value: u64 = 0;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return Err(InspectError::Malformed("integer overflow"));
            }
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(InspectError::Malformed("integer too long"))
    }

    fn leb(&mut self) -> Result<i64, InspectError> {
        // Only its length matters here.
        self.uleb().map(|v| v as i64)
    }

    /// A signed LEB128 integer.
    fn sleb(&mut self) -> Result<i64, InspectError> {
        let mut value: i64 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            if shift >= 63 && !(b == 0 || b == 0x7f) {
                return Err(InspectError::Malformed("integer overflow"));
            }
            if shift < 64 {
                value |= i64::from(b & 0x7f) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
            if shift > 70 {
                return Err(InspectError::Malformed("integer too long"));
            }
        }
    }

    fn uleb_usize(&mut self) -> Result<usize, InspectError> {
        usize::try_from(self.uleb()?).map_err(|_| InspectError::Malformed("length too large"))
    }

    /// A count of following items, bounded by the bytes left (every item
    /// takes at least one byte), so no loop can run away.
    fn count(&mut self) -> Result<usize, InspectError> {
        let n = self.uleb_usize()?;
        if n > self.0.len() {
            return Err(InspectError::Malformed("count larger than the data"));
        }
        Ok(n)
    }

    fn columns(&mut self) -> Result<Vec<(u64, usize)>, InspectError> {
        let n = self.count()?;
        let mut cols = Vec::with_capacity(n);
        for _ in 0..n {
            let spec = self.uleb()?;
            let len = self.uleb_usize()?;
            cols.push((spec, len));
        }
        Ok(cols)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::casedoc::{CaseDoc, Editor};
    use crate::model::{RecordKind, examples};
    use automerge::sync;

    fn doc() -> CaseDoc {
        let editor = Editor {
            user: "ann".into(),
            device: uuid::Uuid::new_v4(),
        };
        let mut d = CaseDoc::create(uuid::Uuid::now_v7(), &examples::household(), &editor).unwrap();
        for _ in 0..20 {
            d.add_record(&examples::example(RecordKind::Visit), "visit")
                .unwrap();
        }
        d
    }

    /// The messages a full sync from `doc` to an empty peer sends.
    fn messages_to_empty_peer(doc: &mut CaseDoc) -> Vec<Vec<u8>> {
        let mut peer = CaseDoc::empty(doc.id());
        let (mut sa, mut sb) = (sync::State::new(), sync::State::new());
        let mut sent = Vec::new();
        for _ in 0..20 {
            let a = doc.generate_sync_message(&mut sa);
            if let Some(m) = &a {
                sent.push(m.clone());
                peer.receive_sync_message(&mut sb, m).unwrap();
            }
            let b = peer.generate_sync_message(&mut sb);
            if let Some(m) = &b {
                doc.receive_sync_message(&mut sa, m).unwrap();
            }
            if a.is_none() && b.is_none() {
                break;
            }
        }
        sent
    }

    #[test]
    fn real_sync_messages_pass_inspection() {
        let mut d = doc();
        let msgs = messages_to_empty_peer(&mut d);
        assert!(msgs.len() >= 2);
        let total: usize = msgs
            .iter()
            .map(|m| inspect_sync_message(m).unwrap().chunks)
            .sum();
        assert!(total >= 1);
    }

    #[test]
    fn a_deflate_bomb_is_refused_before_inflating_it_all() {
        let bomb = zeros_deflated(64);
        assert!(bomb.len() < 200_000);
        // It really is 64 MiB of zeros.
        let mut inflated = Vec::new();
        flate2::read::DeflateDecoder::new(&bomb[..])
            .read_to_end(&mut inflated)
            .unwrap();
        assert_eq!(inflated.len(), 64 * 1024 * 1024);
        assert!(inflated.iter().all(|b| *b == 0));
        assert_eq!(
            inspect_sync_message(&bomb_sync_message(64)),
            Err(InspectError::TooLarge)
        );
    }

    #[test]
    fn the_operations_of_real_messages_are_counted_from_their_columns() {
        let mut d = doc();
        let ops: u64 = messages_to_empty_peer(&mut d)
            .iter()
            .map(|m| inspect_sync_message(m).unwrap().ops)
            .sum();
        assert_eq!(ops, d.op_count() as u64);
    }

    #[test]
    fn an_operation_bomb_is_refused_from_its_run_lengths() {
        let bomb = op_bomb_sync_message(1 << 40);
        assert!(bomb.len() < 200, "{} bytes", bomb.len());
        assert_eq!(inspect_sync_message(&bomb), Err(InspectError::TooManyOps));
        // Just under the limit it passes inspection (automerge judges the
        // rest).
        let small = op_bomb_sync_message(MAX_OPS_PER_BATCH as u64);
        assert_eq!(
            inspect_sync_message(&small).unwrap().ops,
            MAX_OPS_PER_BATCH as u64
        );
    }

    #[test]
    fn truncated_or_garbage_chunks_are_malformed_not_panics() {
        let mut d = doc();
        for m in messages_to_empty_peer(&mut d) {
            for cut in [1, m.len() / 2, m.len().saturating_sub(3)] {
                let _ = inspect_sync_message(&m[..cut]);
            }
        }
        assert!(inspect_sync_message(b"").is_err());
        assert!(inspect_sync_message(&[0x42, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
    }
}
