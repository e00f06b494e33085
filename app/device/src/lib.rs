//! brug-device: the headless core of the Brug field app.
//!
//! Planned here (issue "Device core and brug-cli"): the encrypted local
//! store, enrolment, the sync client, the case index, search, lock and the
//! offline lease, plus the `brug-cli` binary. Today this crate only links
//! the shared model so the workspace builds as one.

pub use brug_shared as shared;
