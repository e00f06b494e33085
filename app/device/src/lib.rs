//! brug-device: the headless core of the Brug field app.
//!
//! # Layout
//!
//! - [`device`]: the core the screens and `brug-cli` call: enrol, open with
//!   a PIN, create and edit cases with the rules, review, conflicts,
//!   history, sync, lease, wipe.
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
