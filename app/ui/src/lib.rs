//! brug-app: the Brug field app, Dioxus screens over `brug-device`.
//!
//! # Layout
//!
//! - [`app`]: the root component: screens, the unlocked device, sync in the
//!   background, the inactivity lock, settings.
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
pub mod components;
pub mod format;
pub mod forms;
pub mod i18n;
pub mod qr;
