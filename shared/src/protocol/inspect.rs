//! Looks inside an automerge sync message before automerge applies it, to
//! refuse decompression bombs with bounded memory.
//!
//! A sync message carries chunks: change chunks (type 1), DEFLATE-compressed
//! change chunks (type 2) and, in V2 messages, whole-document chunks (type
//! 0) whose columns may each be DEFLATE-compressed. We walk the chunk
//! headers and inflate every compressed part through a counting reader that
//! stops at [`MAX_DECOMPRESSED_BYTES`](super::limits::MAX_DECOMPRESSED_BYTES).

use std::io::Read;

use super::limits::{MAX_CHUNKS_PER_MESSAGE, MAX_DECOMPRESSED_BYTES};

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
}

/// What a sync message carries, once inspected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MessageSize {
    /// Number of chunks.
    pub chunks: usize,
    /// Bytes the chunks take once inflated.
    pub inflated_bytes: usize,
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
            let used = inspect_chunk(&mut r, budget)?;
            budget = budget.checked_sub(used).ok_or(InspectError::TooLarge)?;
            size.inflated_bytes += used;
        }
    }
    Ok(size)
}

/// Inspects one chunk, returning the bytes it takes inflated.
fn inspect_chunk(r: &mut Reader<'_>, budget: usize) -> Result<usize, InspectError> {
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
            let inner = change_columns(&inflated, budget)?;
            Ok(inflated.len().max(inner))
        }
        other => Err(InspectError::UnsupportedChunk(other)),
    }
}

/// A document chunk: actors, heads, change and op column metadata, then
/// the column data, any of which may be deflated.
fn document_columns(body: &[u8], budget: usize) -> Result<usize, InspectError> {
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
fn change_columns(body: &[u8], budget: usize) -> Result<usize, InspectError> {
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
/// from `r` in the order of `cols`) are inflated, within `budget`.
fn inflated_size(
    r: &mut Reader<'_>,
    cols: &[(u64, usize)],
    raw: usize,
    budget: usize,
) -> Result<usize, InspectError> {
    let mut total = raw;
    for (spec, len) in cols {
        let data = r.take(*len)?;
        if spec & DEFLATE_BIT != 0 {
            let remaining = budget.checked_sub(total).ok_or(InspectError::TooLarge)?;
            total += inflate(data, remaining)?.len();
        }
    }
    if total > budget {
        return Err(InspectError::TooLarge);
    }
    Ok(total)
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
