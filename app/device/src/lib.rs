//! brug-device: the headless core of the Brug field app.
//!
//! # Layout
//!
//! - [`device`]: the core the screens and `brug-cli` call, by concern:
//!   enrol, open with a PIN and the one save path (`device/mod.rs`); who
//!   it is, lease, status, drafts (`status.rs`); cases and records under the rules and the policy
//!   (`records.rs`); review, conflicts, history (`review.rs`); sync
//!   sessions and the hand-over of unsynced work (`syncing.rs`); the
//!   supervisor's team routes ([`device::team`]); errors
//!   ([`device::DeviceError`]).
//! - [`keys`]: the database key, wrapped by a PIN-derived key (Argon2id).
//! - [`local`]: the SQLCipher store and every SQL statement of the device:
//!   settings, case index and its search, sync states, pending changes,
//!   drafts, over `brug_shared::store`.
//! - [`index`]: index rows and their flags, made from a case.
//! - [`messages`]: the catalogue of every error a user can read, with a
//!   stable code and its Dutch and English text.
//! - [`net`]: TLS pinned to the enrolment code's certificate fingerprint,
//!   the enrolment request, the sync WebSocket.
//! - [`service`]: the device as a service for the app: one worker thread
//!   holds the unlocked device; screens send commands and read events.
//! - [`sync`]: the sync session from the device's side, over any
//!   [`sync::SyncStore`].

pub mod device;
pub mod index;
pub mod keys;
pub mod keystore;
pub mod local;
pub mod messages;
pub mod net;
pub mod photo;
pub mod service;
pub mod sync;

pub use brug_shared as shared;
pub use device::{Device, DeviceError};

/// The device's data folder when none is given (`--home`, `BRUG_HOME`): the
/// platform's data folder for Brug (`$XDG_DATA_HOME/brug`, else
/// `~/.local/share/brug` on Linux). The app and `brug-cli` both use it, so
/// they always open the same enrolment.
pub fn default_home() -> std::path::PathBuf {
    directories::ProjectDirs::from("", "", "brug")
        .map(|d| d.data_dir().to_owned())
        .unwrap_or_else(|| std::path::PathBuf::from("brug-data"))
}
