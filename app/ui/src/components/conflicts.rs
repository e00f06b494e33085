//! Conflicting edits: every value two or more people wrote at once, who
//! wrote it and when; the supervisor (or worker) keeps one.

use brug_device::shared::casedoc::Conflict;
use dioxus::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use crate::format;
use crate::forms::{FieldPath, FormKind, field_label};
use crate::i18n::{Lang, Text, t};

/// The value chosen for a conflicting field.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The record (none: the household).
    pub record: Option<Uuid>,
    /// The field.
    pub field: FieldPath,
    /// The value to keep.
    pub value: Value,
}

/// The conflict screen.
#[component]
pub fn ConflictScreen(
    lang: Lang,
    household: String,
    conflicts: Vec<Conflict>,
    on_choose: EventHandler<Choice>,
    on_back: EventHandler<()>,
) -> Element {
    rsx! {
        section { class: "conflicts",
            button { class: "back", onclick: move |_| on_back.call(()), "← {t(lang, Text::Back)}" }
            h1 { "{t(lang, Text::ConflictsTitle)}" }
            p { "{household}" }
            p { class: "intro", "{t(lang, Text::ConflictsIntro)}" }
            if conflicts.is_empty() {
                p { class: "empty", "{t(lang, Text::NoneYet)}" }
            }
            for c in conflicts {
                div { class: "conflict", key: "{c.record:?}-{c.field}",
                    h2 {
                        {c.kind.map(|k| k.label(lang)).unwrap_or(t(lang, Text::Household))}
                        ": "
                        {
                            let form = c.kind.map(FormKind::Record).unwrap_or(FormKind::Household);
                            field_label(form, &c.field, lang).map_or_else(|| c.field.to_string(), str::to_owned)
                        }
                    }
                    ul {
                        for (i, v) in c.values.iter().enumerate() {
                            li { key: "{i}", class: "value",
                                strong { class: "shown", {format::json_value(lang, &v.value)} }
                                " — {t(lang, Text::WrittenBy)} "
                                span { class: "author", {v.author.clone().unwrap_or_else(|| "?".into())} }
                                if let Some(at) = v.at {
                                    " {t(lang, Text::On)} "
                                    span { class: "at", "{format::moment(at)}" }
                                }
                                " "
                                button {
                                    class: "keep",
                                    onclick: {
                                        let choice = Choice { record: c.record, field: c.field.clone(), value: v.value.clone() };
                                        move |_| on_choose.call(choice.clone())
                                    },
                                    "{t(lang, Text::Keep)}"
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
