//! The case list: search as you type, a flag filter, one row per household
//! with its address, status, next appointment and flag badges.

use brug_device::index::IndexRow;
use brug_device::shared::model::CaseFlag;
use brug_device::shared::model::CaseStatus;
use dioxus::prelude::*;

use super::TextBox;

use crate::i18n::{self, Lang, Text, t};

/// The case list. The rows are what the device's index returned for the
/// current query and flag; typing or choosing calls back so the app can ask
/// the index again.
#[component]
pub fn CaseList(
    lang: Lang,
    rows: Vec<IndexRow>,
    query: String,
    flag: Option<String>,
    /// Only cases this user worked on.
    #[props(default)]
    mine: bool,
    /// A status code to show only.
    #[props(default)]
    status: Option<String>,
    on_query: EventHandler<String>,
    on_flag: EventHandler<Option<String>>,
    on_open: EventHandler<uuid::Uuid>,
    #[props(default)] on_mine: EventHandler<bool>,
    #[props(default)] on_status: EventHandler<Option<String>>,
    #[props(default)] on_new: EventHandler<()>,
) -> Element {
    let active: Vec<&str> = [
        flag.as_deref()
            .and_then(CaseFlag::from_code)
            .map(|f| f.label(lang)),
        status
            .as_deref()
            .and_then(CaseStatus::from_code)
            .map(|s| s.label(lang)),
        mine.then(|| t(lang, Text::MyCases)),
    ]
    .into_iter()
    .flatten()
    .collect();
    rsx! {
        section { class: "case-list",
            div { class: "title-row",
                h1 { "{t(lang, Text::Cases)}" }
                button { class: "new-case primary", onclick: move |_| on_new.call(()), "+ {t(lang, Text::NewCase)}" }
            }
            // On a phone the households come first: the search and the
            // filters take two rows, their labels said to screen readers.
            label { r#for: "case-search", class: "vh", "{t(lang, Text::SearchLabel)}" }
            TextBox {
                id: "case-search",
                kind: "search",
                placeholder: t(lang, Text::SearchLabel),
                text: query.clone(),
                on_input: move |t| on_query.call(t),
            }
            div { class: "filters",
                label { r#for: "case-flag", class: "vh", "{t(lang, Text::FilterByFlag)}" }
                select {
                    id: "case-flag",
                    onchange: move |e| {
                        let v = e.value();
                        on_flag.call(if v.is_empty() { None } else { Some(v) });
                    },
                    option { value: "", selected: flag.is_none(), "{t(lang, Text::AllFlags)}" }
                    for f in CaseFlag::ALL {
                        option { value: "{f.code()}", selected: flag.as_deref() == Some(f.code()), "{f.label(lang)}" }
                    }
                }
                label { r#for: "case-status", class: "vh", "{t(lang, Text::FilterByStatus)}" }
                select {
                    id: "case-status",
                    onchange: move |e| {
                        let v = e.value();
                        on_status.call(if v.is_empty() { None } else { Some(v) });
                    },
                    option { value: "", selected: status.is_none(), "{t(lang, Text::AnyStatus)}" }
                    for s in CaseStatus::ALL {
                        option { value: "{s.code()}", selected: status.as_deref() == Some(s.code()), "{s.label(lang)}" }
                    }
                }
                label { class: "check chip",
                    input { id: "case-mine", r#type: "checkbox", checked: mine, onchange: move |e| {
                        let v = e.value();
                        on_mine.call(if v == "true" || v == "false" { v == "true" } else { e.checked() })
                    } }
                    "{t(lang, Text::MineShort)}"
                }
            }
            // What narrows the list, said (and read out when it changes).
            p { class: "active-filters", role: "status",
                if !active.is_empty() {
                    "{t(lang, Text::ActiveFilters)}: {active.join(\" · \")}"
                }
            }
            if rows.is_empty() {
                p { class: "empty", "{t(lang, Text::NoCases)}" }
            }
            ul { class: "rows",
                for row in rows {
                    CaseRow { key: "{row.id}", lang, row: row.clone(), on_open }
                }
            }
        }
    }
}

#[component]
fn CaseRow(lang: Lang, row: IndexRow, on_open: EventHandler<uuid::Uuid>) -> Element {
    let status = CaseStatus::from_code(&row.status)
        .map(|s| s.label(lang))
        .unwrap_or("?");
    let next = row
        .next_appointment
        .as_deref()
        .and_then(|a| chrono::NaiveDateTime::parse_from_str(a, "%Y-%m-%dT%H:%M").ok())
        .map(crate::format::date_time);
    let id = row.id;
    rsx! {
        li { class: "case-row",
            button { class: "open", onclick: move |_| on_open.call(id),
                span { class: "name", "{row.name}" }
                span { class: "address", "{row.address}" }
                span { class: "status", "{status}" }
                if let Some(next) = next {
                    span { class: "next", "{t(lang, Text::NextAppointment)}: {next}" }
                }
            }
            for code in row.flags.iter() {
                span { class: "badge {code}", "{i18n::flag(lang, code)}" }
            }
        }
    }
}
