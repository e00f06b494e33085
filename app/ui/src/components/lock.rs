//! The lock screen: the worker's PIN opens the encrypted store. It explains
//! a wrong PIN, a forced wait, an expired offline lease and a revoked
//! device in plain words; after too many wrong PINs it asks for the
//! administrator's unlock code and a new PIN.

use dioxus::prelude::*;

use super::TextBox;

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
    /// Too many wrong PINs: only the administrator's unlock code (with a
    /// new PIN) opens it.
    LockedOut,
}

/// The lock screen.
#[component]
pub fn LockScreen(
    lang: Lang,
    reason: LockReason,
    on_pin: EventHandler<String>,
    /// The unlock code and the new PIN, after too many wrong PINs.
    on_recover: Option<EventHandler<(String, String)>>,
) -> Element {
    let mut pin = use_signal(String::new);
    if reason == LockReason::LockedOut {
        return rsx! {
            RecoverForm { lang, on_recover: move |r| if let Some(h) = on_recover { h.call(r) } }
        };
    }
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
        LockReason::LockedOut => Some(t(lang, Text::LockedOut).to_owned()),
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
                TextBox {
                    id: "pin",
                    // The worker comes back and types the PIN straight away.
                    focus: true,
                    kind: "password",
                    inputmode: "numeric",
                    autocomplete: "off",
                    text: pin(),
                    on_input: move |t| pin.set(t),
                }
                button { r#type: "submit", disabled: pin.read().chars().count() < 4, "{t(lang, Text::Unlock)}" }
            }
        }
    }
}

/// After too many wrong PINs: the administrator's unlock code and a new
/// PIN (twice), checked here before anything is sent.
#[component]
fn RecoverForm(lang: Lang, on_recover: EventHandler<(String, String)>) -> Element {
    let mut code = use_signal(String::new);
    let mut pin = use_signal(String::new);
    let mut pin2 = use_signal(String::new);
    let mut problem = use_signal(|| None::<&'static str>);
    rsx! {
        form {
            class: "lock",
            onsubmit: move |e| {
                e.prevent_default();
                if !brug_device::keys::pin_is_strong(&pin()) {
                    problem.set(Some(t(lang, Text::PinTooShort)));
                } else if pin() != pin2() {
                    problem.set(Some(t(lang, Text::PinsDiffer)));
                } else {
                    problem.set(None);
                    on_recover.call((code().trim().to_owned(), pin()));
                    pin.set(String::new());
                    pin2.set(String::new());
                }
            },
            h1 { "{t(lang, Text::Locked)}" }
            p { class: "lock-message", role: "alert", "{t(lang, Text::LockedOut)}" }
            label { r#for: "unlock-code", "{t(lang, Text::UnlockCode)}" }
            TextBox { id: "unlock-code", autocomplete: "off", text: code(), on_input: move |t| code.set(t) }
            label { r#for: "new-pin", "{t(lang, Text::NewPin)}" }
            TextBox { id: "new-pin", kind: "password", autocomplete: "new-password", text: pin(), on_input: move |t| pin.set(t) }
            label { r#for: "new-pin2", "{t(lang, Text::RepeatPin)}" }
            TextBox { id: "new-pin2", kind: "password", autocomplete: "new-password", text: pin2(), on_input: move |t| pin2.set(t) }
            if let Some(p) = problem() {
                p { class: "finding error", role: "alert", "{p}" }
            }
            button { r#type: "submit", class: "primary", disabled: code().trim().is_empty(), "{t(lang, Text::UnlockWithCode)}" }
        }
    }
}
