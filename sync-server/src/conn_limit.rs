//! Connection caps: in all and per address. A slot is held for the life of
//! a connection and given back when it is dropped, however the connection
//! ends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Open connections, in all and per address.
#[derive(Debug)]
pub(crate) struct Slots {
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
    max: usize,
    per_address: usize,
}

/// One open connection's place; released on drop.
#[derive(Debug)]
pub(crate) struct Slot {
    slots: Arc<Slots>,
    ip: IpAddr,
}

impl Slots {
    /// Caps of `max` in all and `per_address` from one address.
    pub(crate) fn new(max: usize, per_address: usize) -> Self {
        Self {
            open: Mutex::new((0, HashMap::new())),
            max,
            per_address,
        }
    }

    /// Connections open now.
    pub(crate) fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).0
    }

    /// A place for a new connection from `ip`, or `None` when a cap is reached.
    pub(crate) fn take(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let (total, by_ip) = &mut *open;
        let here = by_ip.entry(ip).or_default();
        if *total >= self.max || *here >= self.per_address {
            if *here == 0 {
                by_ip.remove(&ip);
            }
            return None;
        }
        *total += 1;
        *here += 1;
        Some(Slot {
            slots: Arc::clone(self),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|p| p.into_inner());
        let (total, by_ip) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(n) = by_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                by_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_in_all_and_per_address_and_places_come_back() {
        let slots = Arc::new(Slots::new(3, 2));
        let a = IpAddr::from([10, 0, 0, 1]);
        let b = IpAddr::from([10, 0, 0, 2]);
        let first = slots.take(a);
        let second = slots.take(a);
        assert!(first.is_some() && second.is_some());
        assert!(slots.take(a).is_none(), "two per address");
        let third = slots.take(b);
        assert!(third.is_some());
        assert!(slots.take(b).is_none(), "three in all");
        drop(first);
        assert!(
            slots.take(b).is_some(),
            "a closed connection gives its place back"
        );
    }
}
