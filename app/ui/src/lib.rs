//! brug-app: the Dioxus screens of the Brug field app.
//!
//! Planned here (issue "The Dioxus app"): every screen, in Dutch first.
//! The screens will talk only to `brug-device`. Today this crate is empty
//! so the workspace builds as one.
