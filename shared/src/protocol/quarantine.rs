//! The quarantine: work a device had not synced when it lost a case
//! (unassigned, or the device revoked). The device hands it to the server
//! before it deletes anything (`POST /v1/quarantine`, also accepted from a
//! revoked device, into the quarantine only); the team's supervisor sees it
//! and merges it into the case or discards it (`POST /v1/team/quarantine`,
//! `/v1/team/quarantine/decide`), audited.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most bytes of unsynced work one hand-over may carry.
pub const MAX_QUARANTINE_BYTES: usize = 4 * 1024 * 1024;

/// Most undecided hand-overs one device may have waiting.
pub const MAX_QUARANTINE_PER_DEVICE: i64 = 200;

/// `POST /v1/quarantine`: the changes of `case` the server never
/// acknowledged, as automerge change bytes in hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandOver {
    /// The case.
    pub case: Uuid,
    /// The changes (automerge's `save_after` format), hex-encoded.
    pub changes: String,
}

/// The server's receipt: the device may now delete its copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The quarantine entry's number.
    pub id: i64,
}

/// One quarantine entry as a supervisor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Its number.
    pub id: i64,
    /// The case.
    pub case: Uuid,
    /// Who made the work.
    pub user: String,
    /// On which device.
    pub device: String,
    /// When it reached the server (ms).
    pub at: i64,
    /// Its size in bytes.
    pub bytes: usize,
    /// `merged` or `discarded` once decided.
    pub decision: Option<String>,
}

/// `POST /v1/team/quarantine/decide`: merge an entry into its case, or
/// discard it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decide {
    /// The entry.
    pub id: i64,
    /// Merge (`true`) or discard (`false`).
    pub merge: bool,
}
