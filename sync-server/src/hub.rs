//! Live push between sessions: stored changes and admin events are
//! broadcast, and each session forwards what concerns its device. Also
//! counts sessions per device.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use brug_shared::protocol::limits::MAX_SESSIONS_PER_DEVICE;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::db::AdminEvent;
use crate::docs::DocCache;
use crate::storage::{Audience, Backend};

/// Something a session may have to tell its device.
#[derive(Debug, Clone)]
pub enum HubEvent {
    /// A case document changed on the server.
    DocChanged {
        /// The case.
        doc: Uuid,
        /// The session that stored the change (it needs no notice).
        origin: u64,
        /// Who may see the case, looked up once for every session that
        /// hears of this change (by the first that needs it), not once per
        /// session: a rush of 200 devices would otherwise ask 40,000 times.
        audience: Arc<tokio::sync::OnceCell<Audience>>,
    },
    /// An admin changed access or revoked a device.
    Admin(AdminEvent),
}

impl HubEvent {
    /// A change to case `doc` stored by session `origin` (0: none of this
    /// server's).
    pub fn changed(doc: Uuid, origin: u64) -> Self {
        Self::DocChanged {
            doc,
            origin,
            audience: Arc::default(),
        }
    }
}

/// The broadcast hub and the session registry.
#[derive(Debug)]
pub struct Hub {
    tx: broadcast::Sender<HubEvent>,
    sessions: Mutex<HashMap<String, usize>>,
    next_session: AtomicU64,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    /// A hub with room for bursts of events.
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(4096);
        Self {
            tx,
            sessions: Mutex::new(HashMap::new()),
            next_session: AtomicU64::new(1),
        }
    }

    /// Listens to every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<HubEvent> {
        self.tx.subscribe()
    }

    /// Tells every session.
    pub fn publish(&self, event: HubEvent) {
        // No receivers is fine: nobody is connected.
        let _ = self.tx.send(event);
    }

    /// Registers a session for `device`, or `None` when it already has the
    /// most sessions allowed.
    pub fn open_session(self: &Arc<Self>, device: &str) -> Option<SessionGuard> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        let n = sessions.entry(device.to_owned()).or_default();
        if *n >= MAX_SESSIONS_PER_DEVICE {
            return None;
        }
        *n += 1;
        Some(SessionGuard {
            hub: Arc::clone(self),
            device: device.to_owned(),
            id: self.next_session.fetch_add(1, Ordering::Relaxed),
        })
    }
}

/// Holds a session's place in the registry until dropped.
#[derive(Debug)]
pub struct SessionGuard {
    hub: Arc<Hub>,
    device: String,
    /// The session's id, unique for this server process.
    pub id: u64,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        let mut sessions = self.hub.sessions.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = sessions.get_mut(&self.device) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                sessions.remove(&self.device);
            }
        }
    }
}

/// Polls the admin events the CLI appends (revocations, assignments,
/// erasures) and broadcasts them, so a running server acts on them within `every`.
pub async fn watch_admin_events(
    store: Backend,
    hub: Arc<Hub>,
    docs: Arc<DocCache>,
    every: Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut last = store.with(|s| s.last_admin_event()).await.unwrap_or(0);
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        let since = last;
        match store.with(move |s| s.admin_events_since(since)).await {
            Ok(events) => {
                for (seq, event) in events {
                    last = seq;
                    // An erased case's cached copy is of the old generation.
                    if let AdminEvent::Erase { case } = &event {
                        docs.evict(*case);
                    }
                    hub.publish(HubEvent::Admin(event));
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not read admin events"),
        }
    }
}
