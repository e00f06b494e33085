//! brug-sync-server: merges case documents from devices, decides who sees
//! which case and enrols devices.
//!
//! Planned here (issue "Sync server"): axum + tokio + rustls, the WebSocket
//! sync session, enrolment by QR code and the server tables. Today this
//! crate only links the shared model so the workspace builds as one.

pub use brug_shared as shared;
