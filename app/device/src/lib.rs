//! brug-device: the headless core of the Brug field app.
//!
//! # Layout
//!
//! - [`device`]: the core the screens and `brug-cli` call, by concern:
//!   enrol, open with a PIN, settings, lease and the one save path
//!   (`device/mod.rs`); cases and records under the rules and the policy
//!   (`records.rs`); review, conflicts, history (`review.rs`); sync
//!   sessions and the hand-over of unsynced work (`syncing.rs`); the
//!   supervisor's team routes ([`device::team`]); errors
//!   ([`device::DeviceError`]).
//! - [`edit`]: a form's edits applied over the record as it stands now.
//! - [`keys`]: the database key, wrapped by a PIN-derived key (Argon2id).
//! - [`local`]: the SQLCipher store: settings, case index, sync states,
//!   pending changes, over `brug_shared::store`.
//! - [`index`]: index rows, flags and search.
//! - [`net`]: TLS pinned to the enrolment code's certificate fingerprint,
//!   the enrolment request, the sync WebSocket.
//! - [`sync`]: the sync session from the device's side, over any
//!   [`sync::SyncStore`].

pub mod device;
pub mod edit;
pub mod index;
pub mod keys;
pub mod local;
pub mod net;
pub mod sync;

pub use brug_shared as shared;
pub use device::{Device, DeviceError};
