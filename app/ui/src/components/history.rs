//! A case's history: every change, newest first, with who made it, on
//! which device and when, and which fields it touched.

use brug_shared::casedoc::HistoryEntry;
use dioxus::prelude::*;

use crate::format;
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
                        span { class: "what", "{e.note.message}" }
                        if !e.note.fields.is_empty() {
                            span { class: "fields", {format!(" ({})", e.note.fields.join(", "))} }
                        }
                    }
                }
            }
        }
    }
}
