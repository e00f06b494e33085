//! Before the cases: enrolment and the PIN.

use brug_device::service::Command;
use dioxus::prelude::*;

use crate::components::{EnrolRequest, EnrolScreen, LockReason, LockScreen};
use crate::i18n::{Text, t};
use crate::qr;
use crate::state::{Screen, Ui};

/// Enrolment: a code pasted or read from a QR image, a name and a PIN.
#[component]
pub fn EnrolPage() -> Element {
    let ui = use_context::<Ui>();
    let lang = ui.lang();
    let mut enrol = ui.enrol;
    let (url, error, enrolling) = enrol();
    let sync = (ui.sync)();
    rsx! {
        EnrolScreen {
            lang,
            url,
            busy: sync.running || enrolling,
            progress: sync.progress,
            error,
            on_qr_file: move |path: String| match qr::read_png(std::path::Path::new(&path)) {
                Ok(url) => enrol.set((url, None, false)),
                Err(e) => enrol.write().1 = Some(crate::i18n::qr_error(lang, &e)),
            },
            on_enrol: move |req: EnrolRequest| {
                enrol.set((req.url.clone(), None, true));
                ui.send(Command::Enrol { url: req.url, pin: req.pin, name: req.device_name });
            },
        }
    }
}

/// The PIN: opens the store and returns to where the worker was (an open
/// form with what was typed).
#[component]
pub fn LockPage() -> Element {
    let ui = use_context::<Ui>();
    let lang = ui.lang();
    let reason = (ui.lock_reason)();
    let revoked = reason == LockReason::Revoked;
    let mut screen = ui.screen;
    rsx! {
        LockScreen {
            lang,
            reason,
            on_pin: move |pin: String| {
                let resume = match &*ui.resume.peek() {
                    Screen::Form(form) => Some(form.clone()),
                    _ => None,
                };
                ui.send(Command::Unlock { pin, resume });
            },
            on_recover: move |(code, pin): (String, String)| ui.send(Command::Recover { code, pin }),
        }
        if revoked {
            button { class: "primary", onclick: move |_| screen.set(Screen::Enrol), "{t(lang, Text::Enrol)}" }
        }
    }
}
