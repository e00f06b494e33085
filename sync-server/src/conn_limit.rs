//! Connection caps: in all and per address. A slot is held for the life of
//! a connection and given back when it is dropped, however the connection
//! ends.
//!
//! A connection is *unproven* until its first request arrives (TLS done and
//! headers read). When every place is taken (in all, or of its address), a
//! newcomer takes the place of the oldest unproven connection (of that
//! address), which is closed: idle or half-open connections, however many
//! and from however many addresses, cannot keep a device that speaks from
//! being served. Proven connections (a sync session, a request under way)
//! are never pushed out.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
    /// Unproven connections, oldest first: id, address and the signal
    /// that closes each.
    unproven: VecDeque<(u64, IpAddr, oneshot::Sender<()>)>,
    next_id: u64,
}

/// Open connections, in all and per address.
#[derive(Debug)]
pub(crate) struct Slots {
    open: Mutex<Open>,
    max: usize,
    per_address: usize,
}

/// One open connection's place; released on drop.
#[derive(Debug)]
pub(crate) struct Slot {
    slots: Arc<Slots>,
    ip: IpAddr,
    id: u64,
    proven: std::sync::atomic::AtomicBool,
}

/// Resolves when the connection's place was given to a newcomer: close it.
pub(crate) struct Evicted(oneshot::Receiver<()>);

impl Evicted {
    /// Waits until evicted; never resolves for a connection that proved
    /// itself (its signal is dropped, not sent).
    pub(crate) async fn wait(self) {
        if self.0.await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl Slots {
    /// Caps of `max` in all and `per_address` from one address.
    pub(crate) fn new(max: usize, per_address: usize) -> Self {
        Self {
            open: Mutex::new(Open::default()),
            max,
            per_address,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Connections open now.
    pub(crate) fn open(&self) -> usize {
        self.lock().total
    }

    /// A place for a new connection from `ip`, or `None` when every place
    /// (in all, or of its address) is held by proven connections. At a
    /// cap, the oldest unproven connection (of the same address, for its
    /// cap) is told to close and its place taken at once: the count is over
    /// the cap by the connections closing, for the moment they take.
    pub(crate) fn take(self: &Arc<Self>, ip: IpAddr) -> Option<(Slot, Evicted)> {
        let mut open = self.lock();
        let here = open.by_ip.get(&ip).copied().unwrap_or(0);
        let over_address = here >= self.per_address;
        if over_address || open.total >= self.max {
            let oldest = open
                .unproven
                .iter()
                .position(|(_, from, _)| !over_address || *from == ip)?;
            if let Some((_, _, close)) = open.unproven.remove(oldest) {
                let _ = close.send(());
            }
        }
        open.total += 1;
        *open.by_ip.entry(ip).or_default() += 1;
        let id = open.next_id;
        open.next_id += 1;
        let (tell, told) = oneshot::channel();
        open.unproven.push_back((id, ip, tell));
        Some((
            Slot {
                slots: Arc::clone(self),
                ip,
                id,
                proven: std::sync::atomic::AtomicBool::new(false),
            },
            Evicted(told),
        ))
    }
}

impl Slot {
    /// The connection made its first request: it keeps its place.
    pub(crate) fn prove(&self) {
        if self.proven.swap(true, std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let mut open = self.slots.lock();
        open.unproven.retain(|(id, _, _)| *id != self.id);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.lock();
        open.total = open.total.saturating_sub(1);
        open.unproven.retain(|(id, _, _)| *id != self.id);
        if let Some(n) = open.by_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.by_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newcomer_takes_the_oldest_unproven_place_and_proven_places_are_kept() {
        let slots = Arc::new(Slots::new(3, 2));
        let a = IpAddr::from([10, 0, 0, 1]);
        let b = IpAddr::from([10, 0, 0, 2]);
        let c = IpAddr::from([10, 0, 0, 3]);
        let (first, mut first_out) = slots.take(a).unwrap();
        let (second, mut second_out) = slots.take(a).unwrap();
        // The address at its cap: its own oldest unproven place is taken.
        let (third, _) = slots.take(a).expect("the address's oldest unproven place");
        assert!(first_out.0.try_recv().is_ok(), "the first is told to close");
        drop(first);
        second.prove();
        third.prove();
        assert!(slots.take(a).is_none(), "two proven places per address");
        assert!(second_out.0.try_recv().is_err(), "a proven place is kept");
        let (fourth, mut fourth_out) = slots.take(b).unwrap();
        assert_eq!(slots.open(), 3);
        // Every place taken: the newcomer takes the oldest unproven one.
        let (fifth, _) = slots.take(c).expect("the oldest unproven place");
        assert!(fourth_out.0.try_recv().is_ok());
        // Counted over the cap while the fourth closes.
        assert_eq!(slots.open(), 4);
        drop(fourth);
        fifth.prove();
        assert!(slots.take(b).is_none(), "every place proven: refused");
        drop(third);
        assert!(
            slots.take(b).is_some(),
            "a closed connection gives its place back"
        );
    }
}
