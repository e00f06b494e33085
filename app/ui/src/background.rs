//! What runs while nobody taps: a nudge to the device service every minute
//! while unlocked (the service stays connected for the server's pushes and
//! reconnects by itself; the nudge makes it try at once when it waits to
//! reconnect), the lock after the chosen minutes without use, and a "saved"
//! note that goes away by itself.

use std::time::{Duration, Instant};

use brug_device::service::Command;
use dioxus::prelude::*;

use crate::state::Ui;

/// Starts the background work; returns what the shell calls on every tap
/// or key (it keeps the lock away).
pub fn use_background(ui: Ui) -> impl FnMut() + Copy {
    let mut last_activity = use_signal(Instant::now);

    use_future(move || async move {
        let mut ticks: u64 = 0;
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            ticks += 1;
            if ui.info.peek().is_none() {
                continue;
            }
            let limit = Duration::from_secs(u64::from(ui.prefs.peek().lock_minutes) * 60);
            if last_activity.peek().elapsed() >= limit {
                ui.lock();
                continue;
            }
            if ticks.is_multiple_of(12) {
                ui.send(Command::Sync);
            }
        }
    });

    // A "saved" note goes away by itself; an error stays until dismissed.
    let mut flash = ui.flash;
    use_effect(move || {
        if let Some((true, shown)) = flash() {
            spawn(async move {
                tokio::time::sleep(Duration::from_secs(4)).await;
                if flash
                    .peek()
                    .as_ref()
                    .is_some_and(|(good, m)| *good && *m == shown)
                {
                    flash.set(None);
                }
            });
        }
    });

    move || last_activity.set(Instant::now())
}
