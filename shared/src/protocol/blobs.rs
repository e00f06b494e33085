//! Attachments travel on their own channel, beside the sync session, so a
//! slow upload never holds a case's sync back:
//!
//! - `POST /v1/blobs/status` with [`BlobStatusRequest`]: for each hash, the
//!   server says whether it has the bytes, how much of an interrupted
//!   upload it kept, or that it knows no such attachment ([`BlobStatus`]);
//! - `PUT /v1/blobs/{hash}?offset=N&total=T`: one chunk of at most
//!   [`MAX_CHUNK_BYTES`], with its own SHA-256 in [`CHUNK_HASH_HEADER`].
//!   The server keeps each verified chunk durably, so an upload cut at any
//!   point resumes where it stopped; the last chunk completes it when the
//!   whole hashes to the name ([`ChunkAck`]);
//! - `GET /v1/blobs/{hash}?offset=N&len=L`: a range of the bytes, the total
//!   in [`TOTAL_HEADER`].
//!
//! A hash is known to a user exactly when a case the user may see
//! references it; every other hash (made up, of another team's case, not
//! uploaded yet) gets the same answer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::BlobHash;

/// The header with a chunk's SHA-256 (hex).
pub const CHUNK_HASH_HEADER: &str = "x-brug-chunk-sha256";

/// The header with an attachment's total size in a download.
pub const TOTAL_HEADER: &str = "x-brug-total";

/// The largest chunk the server takes or gives (1 MiB).
pub const MAX_CHUNK_BYTES: usize = 1024 * 1024;

/// The most hashes asked about in one status request.
pub const MAX_STATUS_HASHES: usize = 500;

/// What the device asks about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlobStatusRequest {
    /// The hashes.
    pub hashes: Vec<BlobHash>,
}

/// What the server knows about them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BlobStatus {
    /// Stored whole.
    pub have: Vec<BlobHash>,
    /// Partly uploaded: bytes kept so far.
    pub partial: BTreeMap<BlobHash, u64>,
    /// Referenced by a case of this user but not uploaded yet.
    pub missing: Vec<BlobHash>,
    /// Not referenced by any case this user may see.
    pub unknown: Vec<BlobHash>,
}

/// The answer to a chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkAck {
    /// Bytes the server holds now (the next chunk's offset).
    pub received: u64,
    /// The attachment is complete and verified.
    pub complete: bool,
}
