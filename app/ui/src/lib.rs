//! brug-app: the Dioxus screens of the Brug field app.
//!
//! # Layout
//!
//! - [`i18n`]: every user-facing text, Dutch (nl-BE) first, English second.
//! - [`format`]: Belgian formats: dd/mm/jjjj, € 1.234,56, decimal comma.
//! - [`components`]: the screens' building blocks; they take plain data and
//!   callbacks, and the app wires them to `brug-device`. They never touch
//!   SQLite or automerge.
//!
//! State today: the case list, the sync status bar and the lock screen exist
//! and are tested by rendering; the other screens of the app issue are still
//! to come.

pub mod components;
pub mod format;
pub mod i18n;
