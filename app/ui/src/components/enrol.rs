//! Enrolment: paste the `brug://enrol?...` code or read it from an image
//! with the QR code, choose a PIN, then watch the first sync.

use dioxus::prelude::*;

use super::TextBox;

use crate::i18n::{Lang, Text, t};

/// What the worker filled in to enrol.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrolRequest {
    /// The enrolment URL.
    pub url: String,
    /// The chosen PIN.
    pub pin: String,
    /// A name for this device.
    pub device_name: String,
}

/// The enrolment screen.
#[component]
pub fn EnrolScreen(
    lang: Lang,
    /// An enrolment URL given on the command line or read from a QR image.
    url: String,
    /// Enrolment or first sync running.
    busy: bool,
    /// First sync progress (cases done, total).
    progress: Option<(usize, usize)>,
    /// What went wrong, in plain words.
    error: Option<String>,
    on_enrol: EventHandler<EnrolRequest>,
    /// The path of an image to read the QR code from.
    on_qr_file: EventHandler<String>,
) -> Element {
    let mut typed_url = use_signal(|| None::<String>);
    let mut name = use_signal(|| "Brug-toestel".to_string());
    let mut pin = use_signal(String::new);
    let mut pin2 = use_signal(String::new);
    let mut image = use_signal(String::new);
    let mut local_error = use_signal(|| None::<&'static str>);
    let shown_url = typed_url().unwrap_or_else(|| url.clone());
    let url_for_submit = shown_url.clone();
    rsx! {
        form {
            class: "enrol",
            onsubmit: move |e| {
                e.prevent_default();
                if !brug_device::keys::pin_is_strong(&pin()) {
                    local_error.set(Some(t(lang, Text::PinTooShort)));
                } else if pin() != pin2() {
                    local_error.set(Some(t(lang, Text::PinsDiffer)));
                } else {
                    local_error.set(None);
                    on_enrol.call(EnrolRequest {
                        url: url_for_submit.trim().to_owned(),
                        pin: pin(),
                        device_name: name().trim().to_owned(),
                    });
                }
            },
            h1 { "{t(lang, Text::EnrolTitle)}" }
            p { "{t(lang, Text::EnrolIntro)}" }
            label { r#for: "enrol-url", "{t(lang, Text::EnrolUrl)}" }
            TextBox { id: "enrol-url", rows: 3, text: shown_url.clone(), on_input: move |t| typed_url.set(Some(t)) }
            div { class: "qr-file",
                label { r#for: "enrol-image", "{t(lang, Text::QrImage)}" }
                TextBox { id: "enrol-image", text: image(), placeholder: "/home/…/enrol.png", on_input: move |t| image.set(t) }
                button { r#type: "button", disabled: image().trim().is_empty(), onclick: move |_| {
                    typed_url.set(None);
                    on_qr_file.call(image().trim().to_owned())
                }, "{t(lang, Text::ReadQr)}" }
            }
            label { r#for: "enrol-name", "{t(lang, Text::DeviceName)}" }
            TextBox { id: "enrol-name", text: name(), on_input: move |t| name.set(t) }
            label { r#for: "enrol-pin", "{t(lang, Text::NewPin)}" }
            TextBox { id: "enrol-pin", kind: "password", focus: !url.is_empty(),
                inputmode: "numeric", autocomplete: "new-password", text: pin(), on_input: move |t| pin.set(t) }
            label { r#for: "enrol-pin2", "{t(lang, Text::RepeatPin)}" }
            TextBox { id: "enrol-pin2", kind: "password", inputmode: "numeric", autocomplete: "new-password", text: pin2(), on_input: move |t| pin2.set(t) }
            if let Some(e) = local_error() {
                p { class: "finding error", role: "alert", "{e}" }
            }
            if let Some(e) = error {
                p { class: "finding error", role: "alert", "{e}" }
            }
            if busy {
                div { class: "first-sync", role: "status",
                    p { "{t(lang, Text::FirstSync)}" }
                    if let Some((done, total)) = progress {
                        progress { max: "{total}", value: "{done}", "{done}/{total}" }
                        span { " {done}/{total}" }
                    } else {
                        progress {}
                    }
                }
            }
            button { r#type: "submit", class: "primary", disabled: busy || shown_url.trim().is_empty(), "{t(lang, Text::Enrol)}" }
        }
    }
}
