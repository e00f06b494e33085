//! A supervisor reviews one record: what changed since the last approval,
//! then approve, or return it with a comment.

use brug_device::shared::casedoc::FieldChange;
use brug_device::shared::model::{RecordKind, Review};
use brug_device::shared::rules::{Finding, Severity};
use dioxus::prelude::*;

use super::TextBox;

use crate::format;
use crate::forms::{FormKind, field_label};
use crate::i18n::{Lang, Text, t};

/// The supervisor's decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Approve.
    Approve,
    /// Return with this comment.
    Return(String),
}

/// The review screen.
#[component]
pub fn ReviewScreen(
    lang: Lang,
    household: String,
    kind: RecordKind,
    /// One line about the record (date, what).
    summary: String,
    review: Review,
    /// Fields changed since the last approval.
    changes: Vec<FieldChange>,
    /// The record as it stands: (label, value) of every filled field.
    fields: Vec<(String, String)>,
    /// What the rules say of it now: warnings, flags and overrides with
    /// their reasons.
    #[props(default)]
    findings: Vec<Finding>,
    on_decide: EventHandler<Decision>,
    on_back: EventHandler<()>,
) -> Element {
    let mut comment = use_signal(String::new);
    let mut need_comment = use_signal(|| false);
    let never = review.approved_heads.is_empty();
    rsx! {
        section { class: "review",
            button { class: "back", onclick: move |_| on_back.call(()), "← {t(lang, Text::Back)}" }
            h1 { "{t(lang, Text::ReviewTitle)}: {kind.label(lang)}" }
            p { class: "what", "{household} · {summary}" }
            p { class: "state", "{review.state.label(lang)}" }
            h2 { "{t(lang, Text::TheRecord)}" }
            dl { class: "record",
                for (i, (label, value)) in fields.iter().enumerate() {
                    div { key: "{i}",
                        dt { "{label}" }
                        dd { "{value}" }
                    }
                }
            }
            if !findings.is_empty() {
                h2 { "{t(lang, Text::RulesSay)}" }
                ul { class: "findings",
                    for (i, f) in findings.iter().enumerate() {
                        li {
                            key: "{i}",
                            class: match f.severity {
                                Severity::Error => "finding error",
                                Severity::Warning => "finding warning",
                                Severity::Flag => "finding flag",
                            },
                            if lang == Lang::Nl { "{f.nl}" } else { "{f.en}" }
                        }
                    }
                }
            }
            h2 { "{t(lang, Text::ChangesSince)}" }
            if never {
                p { class: "never", "{t(lang, Text::NoChangesSince)}" }
            } else {
                table { class: "changes",
                    thead { tr { th { "" } th { "{t(lang, Text::Before)}" } th { "{t(lang, Text::After)}" } } }
                    tbody {
                        for c in changes {
                            tr { key: "{c.field}",
                                td { class: "field", {field_label(FormKind::Record(kind), &c.field, lang).map_or_else(|| c.field.to_string(), str::to_owned)} }
                                td { class: "before", {c.before.as_ref().map(|v| format::json_value(lang, v)).unwrap_or_else(|| "—".into())} }
                                td { class: "after", {c.after.as_ref().map(|v| format::json_value(lang, v)).unwrap_or_else(|| "—".into())} }
                            }
                        }
                    }
                }
            }
            label { r#for: "review-comment", "{t(lang, Text::Comment)}" }
            TextBox { id: "review-comment", rows: 3, text: comment(), on_input: move |t| comment.set(t) }
            if need_comment() {
                p { class: "finding error", role: "alert", "{t(lang, Text::CommentNeeded)}" }
            }
            div { class: "form-actions",
                button { class: "primary approve", onclick: move |_| on_decide.call(Decision::Approve), "{t(lang, Text::Approve)}" }
                button { class: "return", onclick: move |_| {
                    let c = comment().trim().to_owned();
                    if c.is_empty() {
                        need_comment.set(true);
                    } else {
                        on_decide.call(Decision::Return(c));
                    }
                }, "{t(lang, Text::ReturnIt)}" }
            }
        }
    }
}
