//! Counters for `/metrics`, in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The server's counters. Cheap to bump from any task.
#[derive(Debug)]
pub struct Metrics {
    /// Sync sessions opened since start.
    pub sessions_total: AtomicU64,
    /// Sync sessions open now.
    pub sessions_active: AtomicU64,
    /// Documents synced (one per document per session).
    pub documents_synced: AtomicU64,
    /// Sync messages answered from the store without loading the case.
    pub answered_from_store: AtomicU64,
    /// Commits that merged changes from a device.
    pub changes_merged: AtomicU64,
    /// Bytes received in sync frames.
    pub bytes_in: AtomicU64,
    /// Bytes sent in sync frames.
    pub bytes_out: AtomicU64,
    /// Devices enrolled since start.
    pub enrolments: AtomicU64,
    /// Feed rows the hellos looked at to say what changed: grows with the
    /// changes since each device's cursor, not with the caseload.
    pub hello_rows: AtomicU64,
    /// Errors by code.
    errors: Mutex<BTreeMap<&'static str, u64>>,
    /// When the last sync frame was handled (`Instant`s from `started`, in
    /// ms): background work waits for a quiet moment (see
    /// [`crate::reports::project_in_background`]).
    last_frame_ms: AtomicU64,
    started: std::time::Instant,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            sessions_total: AtomicU64::default(),
            sessions_active: AtomicU64::default(),
            documents_synced: AtomicU64::default(),
            answered_from_store: AtomicU64::default(),
            changes_merged: AtomicU64::default(),
            bytes_in: AtomicU64::default(),
            bytes_out: AtomicU64::default(),
            enrolments: AtomicU64::default(),
            hello_rows: AtomicU64::default(),
            errors: Mutex::default(),
            last_frame_ms: AtomicU64::default(),
            started: std::time::Instant::now(),
        }
    }
}

impl Metrics {
    /// Counts one error with this code.
    pub fn error(&self, code: &'static str) {
        let mut errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        *errors.entry(code).or_default() += 1;
    }

    /// Notes that a sync frame is being handled now.
    pub fn frame_handled(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        self.last_frame_ms.fetch_max(now, Ordering::Relaxed);
    }

    /// How long since the last sync frame was handled (since the server
    /// started, when none was).
    pub fn since_last_frame(&self) -> std::time::Duration {
        let now = self.started.elapsed().as_millis() as u64;
        std::time::Duration::from_millis(
            now.saturating_sub(self.last_frame_ms.load(Ordering::Relaxed)),
        )
    }

    /// Adds to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The metrics as Prometheus text; `documents` is the stored count.
    pub fn render(&self, documents: i64) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, kind: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        counter(
            "brug_sessions_total",
            "Sync sessions opened.",
            "counter",
            get(&self.sessions_total),
        );
        counter(
            "brug_sessions_active",
            "Sync sessions open now.",
            "gauge",
            get(&self.sessions_active),
        );
        counter(
            "brug_documents",
            "Case documents stored.",
            "gauge",
            documents.max(0) as u64,
        );
        counter(
            "brug_documents_synced_total",
            "Documents synced, once per session.",
            "counter",
            get(&self.documents_synced),
        );
        counter(
            "brug_sync_answered_from_store_total",
            "Sync messages answered from the store alone (no case loaded).",
            "counter",
            get(&self.answered_from_store),
        );
        counter(
            "brug_changes_merged_total",
            "Commits of changes received from devices.",
            "counter",
            get(&self.changes_merged),
        );
        counter(
            "brug_sync_bytes_received_total",
            "Bytes received in sync frames.",
            "counter",
            get(&self.bytes_in),
        );
        counter(
            "brug_sync_bytes_sent_total",
            "Bytes sent in sync frames.",
            "counter",
            get(&self.bytes_out),
        );
        counter(
            "brug_enrolments_total",
            "Devices enrolled.",
            "counter",
            get(&self.enrolments),
        );
        counter(
            "brug_hello_feed_rows_total",
            "Feed rows looked at to answer hellos (grows with changes, not with caseloads).",
            "counter",
            get(&self.hello_rows),
        );
        let _ = writeln!(
            out,
            "# HELP brug_errors_total Errors answered, by code.\n# TYPE brug_errors_total counter"
        );
        let errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        for (code, n) in errors.iter() {
            let _ = writeln!(out, "brug_errors_total{{code=\"{code}\"}} {n}");
        }
        out
    }
}
