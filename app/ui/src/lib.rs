//! brug-app: the Brug field app, Dioxus screens over `brug-device`.
//!
//! # Layout
//!
//! - [`app`]: the root component: header, tabs, sync bar, the screen that
//!   shows.
//! - [`state`]: what the screens show, in signals filled by the device
//!   service's events (`brug_device::service`, a worker holding the
//!   unlocked device); the screens send it commands.
//! - [`pages`]: one component per screen, wiring state and commands to the
//!   markup of [`components`] and [`forms`].
//! - [`background`]: the sync every minute, the inactivity lock.
//! - [`prefs`]: language and lock timeout, kept outside the encrypted store.
//! - [`components`]: every screen's building blocks: plain data and
//!   callbacks in, markup out (enrolment, lock, case list, case and
//!   timeline, review, conflicts, queue, settings, sync bar).
//! - [`forms`]: a form for a new case and for every record kind, with the
//!   rules' findings live beside each field.
//! - [`i18n`]: every user-facing text, Dutch (nl-BE) first, English second.
//! - [`format`]: Belgian formats: dd/mm/jjjj, € 1.234,56, decimal comma.
//! - [`qr`]: reading an enrolment QR code from an image.
//!
//! Platform specifics (window, command line) live only in `main.rs`.

// DeviceError carries the rules' findings; it is made once per user action.
#![allow(clippy::result_large_err)]

pub mod app;
pub mod background;
pub mod components;
pub mod format;
pub mod forms;
pub mod i18n;
pub mod pages;
pub mod prefs;
pub mod qr;
pub mod state;
