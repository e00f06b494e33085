//! Photos and PDFs on a record or on a defect or reading in one: the
//! thumbnails with their captions, "add a photo or PDF", and the full view
//! with "remove". The bytes come from the device; the screens only show
//! them (as `data:` URLs, never as files).

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use brug_device::device::CaseView;
use brug_device::shared::model::{AttachmentRef, StoredType};
use dioxus::prelude::*;
use uuid::Uuid;

use crate::format;
use crate::i18n::Lang;

fn tr(lang: Lang, nl: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Nl => nl,
        Lang::En => en,
    }
}

/// One attachment as the screens show it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentItem {
    /// The reference's id in the case.
    pub id: Uuid,
    /// The reference.
    pub attachment: AttachmentRef,
    /// The thumbnail as a `data:` URL, when this device holds it.
    pub thumb: Option<String>,
}

/// A `data:` URL for bytes of this MIME type.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// The attachments of `view` on the record or item `on`, oldest first.
pub fn attachments_on(view: &CaseView, on: Uuid) -> Vec<AttachmentItem> {
    view.case
        .attachments_on(on)
        .into_iter()
        .map(|(id, a)| AttachmentItem {
            id,
            thumb: a
                .thumb
                .as_ref()
                .and_then(|t| view.thumbs.get(t))
                .map(|b| data_url("image/jpeg", b)),
            attachment: a.clone(),
        })
        .collect()
}

/// The thumbnails on a record or item, and the button to add one.
#[component]
pub fn AttachmentStrip(
    lang: Lang,
    /// The record, defect or reading.
    on: Uuid,
    /// What it is on, for the labels ("Gebrek: vocht").
    what: String,
    items: Vec<AttachmentItem>,
    on_add: EventHandler<(Uuid, PathBuf)>,
    on_open: EventHandler<Uuid>,
) -> Element {
    let add = tr(lang, "Foto of PDF toevoegen", "Add a photo or PDF");
    let mut path = use_signal(String::new);
    rsx! {
        div { class: "attachments", "data-on": "{on}",
            if !items.is_empty() {
                ul { class: "thumbs", aria_label: "{tr(lang, \"Bijlagen\", \"Attachments\")}: {what}",
                    for item in items {
                        li { key: "{item.id}",
                            button { class: "thumb", "data-hash": "{item.attachment.hash}",
                                aria_label: "{tr(lang, \"Bekijk\", \"View\")}: {item.attachment.caption}",
                                onclick: { let id = item.id; move |_| on_open.call(id) },
                                match (&item.thumb, item.attachment.stored) {
                                    (Some(src), _) => rsx! { img { src: "{src}", alt: "{item.attachment.caption}", width: "80", height: "80" } },
                                    (None, StoredType::Pdf) => rsx! { span { class: "doc", "PDF" } },
                                    (None, _) => rsx! { span { class: "doc", "…" } },
                                }
                            }
                            if !item.attachment.caption.is_empty() {
                                span { class: "caption", "{item.attachment.caption}" }
                            }
                        }
                    }
                }
            }
            label { class: "attach small",
                "+ {add}"
                input { r#type: "file", class: "attach-file",
                    accept: "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf",
                    aria_label: "{add}: {what}",
                    onchange: move |evt: FormEvent| {
                        for file in evt.files() {
                            on_add.call((on, file.path()));
                        }
                    },
                }
            }
            // Where the platform has no file picker (a desktop without a
            // portal), the file's path does it.
            form { class: "attach-path",
                onsubmit: move |evt: FormEvent| {
                    evt.prevent_default();
                    let typed = path.read().trim().to_owned();
                    if !typed.is_empty() {
                        on_add.call((on, PathBuf::from(typed)));
                        path.set(String::new());
                    }
                },
                input { r#type: "text", class: "path",
                    placeholder: "{tr(lang, \"of het pad van een bestand\", \"or the path of a file\")}",
                    aria_label: "{tr(lang, \"Pad van een foto of PDF\", \"Path of a photo or PDF\")}: {what}",
                    value: "{path}",
                    oninput: move |evt: FormEvent| path.set(evt.value()),
                }
                button { r#type: "submit", class: "small", "{tr(lang, \"Toevoegen\", \"Add\")}" }
            }
        }
    }
}

/// One attachment in full, with who added it and "remove".
#[component]
pub fn AttachmentScreen(
    lang: Lang,
    household: String,
    item: AttachmentItem,
    /// The bytes, once read (or fetched).
    bytes: Option<Result<Arc<Vec<u8>>, String>>,
    on_back: EventHandler<()>,
    on_remove: EventHandler<Uuid>,
) -> Element {
    let a = &item.attachment;
    let kb = a.size.div_ceil(1024);
    let at = format::date_time(a.at.with_timezone(&chrono::Local).naive_local());
    let mut confirm = use_signal(|| false);
    rsx! {
        section { class: "attachment-view",
            button { class: "back", onclick: move |_| on_back.call(()), "← {household}" }
            h1 { if a.caption.is_empty() { "{tr(lang, \"Bijlage\", \"Attachment\")}" } else { "{a.caption}" } }
            p { class: "meta",
                "{tr(lang, \"Toegevoegd door\", \"Added by\")} {a.by} · {at} · {kb} kB"
                if let (Some(w), Some(h)) = (a.width, a.height) { " · {w} × {h} px" }
            }
            match bytes {
                None => rsx! { p { class: "loading", "{tr(lang, \"Even geduld…\", \"One moment…\")}" } },
                Some(Err(e)) => rsx! { p { class: "error", role: "alert", "{e}" } },
                Some(Ok(b)) if a.stored == StoredType::Jpeg => rsx! {
                    img { class: "full", src: "{data_url(\"image/jpeg\", &b)}", alt: "{a.caption}" }
                },
                Some(Ok(_)) => rsx! { p { class: "doc", "{tr(lang, \"PDF-document\", \"PDF document\")} ({kb} kB)" } },
            }
            if confirm() {
                p { role: "alert", "{tr(lang, \"De bijlage gaat van het record af; de geschiedenis houdt bij wie ze wegnam.\", \"The attachment leaves the record; history keeps who removed it.\")}" }
                button { class: "danger remove-confirm", onclick: { let id = item.id; move |_| on_remove.call(id) },
                    "{tr(lang, \"Ja, verwijderen\", \"Yes, remove\")}" }
                button { onclick: move |_| confirm.set(false), "{tr(lang, \"Annuleren\", \"Cancel\")}" }
            } else {
                button { class: "remove", onclick: move |_| confirm.set(true), "{tr(lang, \"Verwijderen\", \"Remove\")}" }
            }
        }
    }
}
