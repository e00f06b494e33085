//! The lock screen: the worker's PIN opens the encrypted store. It explains
//! a wrong PIN, a forced wait, an expired offline lease and a revoked
//! device in plain words.

use dioxus::prelude::*;

use crate::i18n::{Lang, Text, t};

/// Why the device is locked, beyond "enter your PIN".
#[derive(Debug, Clone, PartialEq)]
pub enum LockReason {
    /// Locked after inactivity or at start.
    Idle,
    /// The last PIN was wrong.
    WrongPin {
        /// Wrong PINs in a row.
        attempts: u32,
    },
    /// Too many wrong PINs: wait.
    Wait {
        /// Seconds left.
        seconds: i64,
    },
    /// Not synced for too long: case data stays locked until a sync.
    LeaseExpired {
        /// Days since the last sync.
        days: i64,
    },
    /// The device was revoked and wiped.
    Revoked,
}

/// The lock screen.
#[component]
pub fn LockScreen(lang: Lang, reason: LockReason, on_pin: EventHandler<String>) -> Element {
    let mut pin = use_signal(String::new);
    let message = match &reason {
        LockReason::Idle => None,
        LockReason::WrongPin { attempts } => {
            Some(format!("{} ({attempts})", t(lang, Text::WrongPin)))
        }
        LockReason::Wait { seconds } => Some(format!("{} {seconds} s", t(lang, Text::WaitPin))),
        LockReason::LeaseExpired { days } => {
            Some(format!("{} ({days})", t(lang, Text::LeaseExpired)))
        }
        LockReason::Revoked => Some(t(lang, Text::Revoked).to_owned()),
    };
    let can_enter = !matches!(reason, LockReason::Revoked | LockReason::Wait { .. });
    rsx! {
        form {
            class: "lock",
            onsubmit: move |e| {
                e.prevent_default();
                on_pin.call(pin());
                pin.set(String::new());
            },
            h1 { "{t(lang, Text::Locked)}" }
            if let Some(m) = message {
                p { class: "lock-message", role: "alert", "{m}" }
            }
            if can_enter {
                label { r#for: "pin", "{t(lang, Text::Pin)}" }
                input {
                    id: "pin",
                    // The worker comes back and types the PIN straight away.
                    onmounted: move |e: MountedEvent| async move { let _ = e.set_focus(true).await; },
                    r#type: "password",
                    inputmode: "numeric",
                    autocomplete: "off",
                    value: "{pin}",
                    oninput: move |e| pin.set(e.value()),
                }
                button { r#type: "submit", disabled: pin.read().chars().count() < 4, "{t(lang, Text::Unlock)}" }
            }
        }
    }
}
