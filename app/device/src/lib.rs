//! brug-device: the headless core of the Brug field app.
//!
//! # Layout
//!
//! - [`net`]: TLS pinned to the enrolment code's certificate fingerprint,
//!   the enrolment request, the sync WebSocket.
//! - [`sync`]: the sync session from the device's side, over any
//!   [`sync::SyncStore`].
//!
//! Still to come (issue "Device core and brug-cli"): the encrypted local
//! store, the case index, search, lock, offline lease and `brug-cli`.

pub mod net;
pub mod sync;

pub use brug_shared as shared;
