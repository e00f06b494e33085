//! A case's history: every change, newest first, with who made it, on
//! which device and when, and which fields it touched.

use brug_device::shared::casedoc::{ChangeNote, HistoryEntry};
use dioxus::prelude::*;

use crate::format;
use crate::forms::{FormKind, field_label, path_of};
use crate::i18n::{Lang, Text, t};

/// The history screen.
#[component]
pub fn HistoryScreen(
    lang: Lang,
    household: String,
    entries: Vec<HistoryEntry>,
    on_back: EventHandler<()>,
) -> Element {
    rsx! {
        section { class: "history",
            button { class: "back", onclick: move |_| on_back.call(()), "← {t(lang, Text::Back)}" }
            h1 { "{t(lang, Text::History)}" }
            p { "{household}" }
            ol {
                for e in entries.iter().rev() {
                    li { key: "{e.hash}", class: "entry",
                        span { class: "when", {e.at.map(format::moment).unwrap_or_else(|| "—".into())} }
                        " · "
                        span { class: "author", {e.author.clone().unwrap_or_else(|| "?".into())} }
                        " · "
                        span { class: "what", {describe(lang, &e.note)} }
                    }
                }
            }
        }
    }
}

/// A change in the worker's words: what happened to which record, and
/// which fields (by their labels) an edit touched. Change notes are stored
/// in English ("visit added"); unknown ones are shown as stored.
pub fn describe(lang: Lang, note: &ChangeNote) -> String {
    let nl = lang == Lang::Nl;
    let what = note
        .kind
        .map(|k| k.label(lang))
        .unwrap_or(if nl { "gezin" } else { "household" });
    let m = note.message.as_str();
    let verb = match m {
        "case created" => {
            return (if nl {
                "dossier aangemaakt"
            } else {
                "case created"
            })
            .into();
        }
        "submitted for review" => Some(if nl {
            "ingediend ter nazicht"
        } else {
            "submitted for review"
        }),
        "approved" => Some(if nl { "goedgekeurd" } else { "approved" }),
        "returned" => Some(if nl { "teruggestuurd" } else { "returned" }),
        "conflict resolved" => Some(if nl {
            "tegenstrijdigheid opgelost"
        } else {
            "conflict resolved"
        }),
        _ if m.ends_with(" added") => Some(if nl { "toegevoegd" } else { "added" }),
        _ if m.ends_with(" removed") => Some(if nl { "verwijderd" } else { "removed" }),
        _ => None,
    };
    if let Some(verb) = verb {
        return format!("{what} {verb}");
    }
    if note.fields.is_empty() {
        return m.to_owned();
    }
    let form = note
        .kind
        .map(FormKind::Record)
        .unwrap_or(FormKind::Household);
    let fields: Vec<String> = note
        .fields
        .iter()
        .map(|f| {
            field_label(form, &path_of(form, f), lang)
                .map(str::to_owned)
                .unwrap_or_else(|| f.clone())
        })
        .collect();
    format!(
        "{what} {}: {}",
        if nl { "gewijzigd" } else { "changed" },
        fields.join(", ")
    )
}
