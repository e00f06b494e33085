//! Forms for a new case and every record kind: the right input per field,
//! the rules' findings shown beside the field as the worker types, errors
//! blocking the save, and every keystroke handed to the app as a draft.
//!
//! The form holds the record as JSON (the same JSON `brug-cli` takes) and a
//! little text per number field as typed (so "12," stays "12," while the
//! worker types a decimal comma). After each change it reads the JSON as a
//! record and runs the same rules the device core runs before saving
//! ([`values`]); the component itself is here.

mod values;

use std::collections::BTreeMap;

use std::sync::Arc;

use brug_device::shared::model::{CLOSED, Case, Catalogue, RecordKind};
use brug_device::shared::rules::{self, Finding, RuleContext, Severity};
use chrono::NaiveDateTime;
use dioxus::prelude::*;
use serde_json::Value;
use uuid::Uuid;

pub use brug_device::shared::schema::{
    Field, FieldPath, FormKind, Group, Input, Section, Spec, blank, field_label, path_of, spec,
};
pub use values::*;

use crate::components::TextBox;
use crate::i18n::{Lang, Text, t};

/// A form, for a new case or a new or existing record.
#[component]
pub fn RecordForm(
    lang: Lang,
    kind: FormKind,
    /// The case the record belongs to (none for a new case).
    case: Option<Case>,
    /// The record's id (new or existing).
    record_id: Uuid,
    /// What the form starts with (a restored draft or the record).
    start: Value,
    /// Whether `start` is a restored draft.
    restored: bool,
    /// The time the rules use.
    now: NaiveDateTime,
    /// The team's referral catalogue (none: the built-in one).
    catalogue: Option<Arc<Catalogue>>,
    /// An error from the last save (the device refused), in plain words.
    error: Option<String>,
    on_change: EventHandler<Value>,
    on_save: EventHandler<Value>,
    on_cancel: EventHandler<()>,
    on_discard: EventHandler<()>,
) -> Element {
    let mut value = use_signal(|| start.clone());
    let mut raw = use_signal(BTreeMap::<String, String>::new);
    // "Required" is said of a field once it was touched or a save was tried,
    // not of every empty field of a form just opened.
    let mut touched = use_signal(std::collections::BTreeSet::<String>::new);
    let mut tried = use_signal(|| false);
    let spec = spec(kind);
    let catalogue = catalogue.unwrap_or_else(|| Arc::new(Catalogue::builtin().clone()));
    let ctx = RuleContext::at(now).with_catalogue(catalogue.clone());
    let eval = evaluate(
        kind,
        &value.read(),
        &raw.read(),
        case.as_ref(),
        record_id,
        &ctx,
    );
    let fields = visible_fields(&spec, &value.read());
    // A referral to a service with sessions: the next one, to take with
    // one tap into the appointment.
    let proposal = match kind {
        FormKind::Record(RecordKind::Referral) => value
            .read()
            .get("service")
            .and_then(Value::as_str)
            .and_then(|code| catalogue.service(code))
            .and_then(|s| s.next_session(now, CLOSED))
            .map(|(at, session)| {
                let shown = crate::format::date_time(at);
                (
                    format!("{} {shown} ({})", t(lang, Text::NextSession), session.place),
                    shown,
                )
            }),
        _ => None,
    };
    let paths: Vec<String> = fields.iter().map(|(p, _)| p.clone()).collect();
    let mut beside: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    let mut on_top: Vec<Finding> = Vec::new();
    for f in &eval.findings {
        match anchor(f, &paths) {
            Some(p) => beside.entry(p).or_default().push(f.clone()),
            None => on_top.push(f.clone()),
        }
    }
    let blocked = eval.blocks();
    let missing: Vec<String> = eval
        .missing
        .iter()
        .filter(|p| tried() || touched.read().contains(*p))
        .cloned()
        .collect();
    let red_shown = !missing.is_empty()
        || !eval.bad_values.is_empty()
        || eval.invalid.is_some()
        || rules::blocks(&eval.findings);
    let title = format!("{}: {}", t(lang, Text::FormTitle), kind.label(lang));
    let verdict = eval
        .verdict
        .as_deref()
        .and_then(brug_device::shared::model::HousingVerdict::from_code);
    let spec_for_top = spec.clone();
    let edit = move |path: String, field: Field, text: String| {
        let spec = spec_for_top.clone();
        let mut v = value.write();
        apply_text(&spec, &mut v, &mut raw.write(), &path, &field, &text);
        touched.write().insert(path);
        on_change.call(v.clone());
    };
    let top_fields: Vec<(String, Field)> = fields
        .iter()
        .filter(|(p, _)| {
            !spec
                .groups
                .iter()
                .any(|g| p.starts_with(&format!("{}/", g.path)))
        })
        .cloned()
        .collect();
    // The fields in the form's short sections: a field belongs to the last
    // section starting at or before it in the form (a section whose first
    // field is hidden still takes the fields after it).
    let place = |path: &str| spec.fields.iter().position(|f| f.path == path);
    let starts: Vec<(usize, Section)> = spec
        .sections
        .iter()
        .filter_map(|s| place(s.from).map(|i| (i, *s)))
        .collect();
    let mut parts: Vec<(Option<Section>, Vec<Placed>)> = Vec::new();
    for (i, (path, field)) in top_fields.into_iter().enumerate() {
        let at = place(&path).unwrap_or(usize::MAX);
        let section = starts.iter().rev().find(|(s, _)| *s <= at).map(|(_, s)| *s);
        match parts.last_mut() {
            Some((current, items)) if *current == section => items.push((i, path, field)),
            _ => parts.push((section, vec![(i, path, field)])),
        }
    }
    rsx! {
        form {
            class: "record-form",
            "data-kind": match kind { FormKind::Household => "household", FormKind::Record(k) => k.code() },
            // Ctrl+Enter or Ctrl+S anywhere in the form saves (laptops).
            onkeydown: move |e: KeyboardEvent| {
                let save_key = matches!(e.key(), Key::Enter) || e.key() == Key::Character("s".into());
                if e.modifiers().contains(Modifiers::CONTROL) && save_key {
                    e.prevent_default();
                    if blocked {
                        tried.set(true);
                    } else {
                        on_save.call(value.read().clone());
                    }
                }
            },
            // Enter in a field saves, like the button (when nothing blocks).
            onsubmit: move |e| {
                e.prevent_default();
                if blocked {
                    tried.set(true);
                } else {
                    on_save.call(value.read().clone());
                }
            },
            h1 { "{title}" }
            if restored {
                p { class: "draft-note", role: "status",
                    "{t(lang, Text::DraftRestored)} "
                    button { r#type: "button", class: "link", onclick: move |_| on_discard.call(()), "{t(lang, Text::DiscardDraft)}" }
                }
            }
            if let Some(v) = verdict {
                p { class: "verdict verdict-{v.code()}", role: "status",
                    "{t(lang, Text::Verdict)}: "
                    strong { "{v.label(lang)}" }
                }
            }
            for f in on_top.iter() {
                FindingLine { lang, finding: f.clone() }
            }
            if let Some(e) = eval.invalid.as_ref() {
                p { class: "finding error", role: "alert", "{t(lang, Text::Incomplete)}: {e}" }
            }
            for (k, (section, items)) in parts.into_iter().enumerate() {
                if let Some(section) = section {
                    fieldset { class: "section", key: "{k}",
                        legend { "{section.title(lang)}" }
                        for (i, path, field) in items {
                            {field_view(lang, &value.read(), &raw.read(), &path, &field, beside.get(&path), missing.contains(&path), eval.bad_values.contains(&path), i == 0, (path == "appointment").then(|| proposal.clone()).flatten(), &catalogue, edit.clone())}
                        }
                    }
                } else {
                    for (i, path, field) in items {
                        {field_view(lang, &value.read(), &raw.read(), &path, &field, beside.get(&path), missing.contains(&path), eval.bad_values.contains(&path), i == 0, (path == "appointment").then(|| proposal.clone()).flatten(), &catalogue, edit.clone())}
                    }
                }
            }
            for group in spec.groups.iter().cloned() {
                fieldset { class: "group", key: "{group.path}",
                    legend { if lang == Lang::Nl { "{group.nl}" } else { "{group.en}" } }
                    for (id, _) in get(&value.read(), group.path).and_then(Value::as_object).cloned().unwrap_or_default() {
                        div { class: "item", key: "{id}",
                            for gf in group.fields.iter() {
                                if fields.iter().any(|(p, _)| *p == format!("{}/{id}/{}", group.path, gf.path)) {
                                    {
                                        let path = format!("{}/{id}/{}", group.path, gf.path);
                                        field_view(lang, &value.read(), &raw.read(), &path, gf, beside.get(&path), missing.contains(&path), eval.bad_values.contains(&path), false, None, &catalogue, edit.clone())
                                    }
                                }
                            }
                            button {
                                r#type: "button",
                                class: "remove-item",
                                onclick: {
                                    let path = format!("{}/{id}", group.path);
                                    move |_| {
                                        let mut v = value.write();
                                        remove(&mut v, &path);
                                        on_change.call(v.clone());
                                    }
                                },
                                "{t(lang, Text::Remove)}"
                            }
                        }
                    }
                    button {
                        r#type: "button",
                        class: "add-item",
                        "data-group": "{group.path}",
                        onclick: {
                            let group = group.clone();
                            move |_| {
                                let mut v = value.write();
                                add_item(&mut v, &group, now.date());
                                on_change.call(v.clone());
                            }
                        },
                        if lang == Lang::Nl { "{group.add_nl}" } else { "{group.add_en}" }
                    }
                }
            }
            if let Some(e) = error {
                p { class: "finding error save-error", role: "alert", "{e}" }
            }
            div { class: "form-actions",
                button {
                    r#type: "submit",
                    class: "save primary",
                    disabled: blocked,
                    "{t(lang, Text::Save)}"
                }
                button { r#type: "button", class: "cancel", onclick: move |_| on_cancel.call(()), "{t(lang, Text::Back)}" }
                if blocked {
                    p { class: "blocked-note",
                        if red_shown { "{t(lang, Text::SaveBlocked)}" } else { "{t(lang, Text::FillRequired)}" }
                    }
                }
            }
        }
    }
}

/// A field of the form with its place among the record's own fields.
type Placed = (usize, String, Field);

#[allow(clippy::too_many_arguments)]
fn field_view(
    lang: Lang,
    value: &Value,
    raw: &BTreeMap<String, String>,
    path: &str,
    field: &Field,
    findings: Option<&Vec<Finding>>,
    missing: bool,
    bad_number: bool,
    first: bool,
    proposal: Option<(String, String)>,
    catalogue: &Catalogue,
    edit: impl FnMut(String, Field, String) + Clone + 'static,
) -> Element {
    let id = format!("f-{}", path.replace(['/', '.'], "-"));
    let text = shown_text(field.input, value, raw, path);
    let label = field.label(lang);
    let required = if field.optional || !needs_value(field.input) {
        ""
    } else {
        " *"
    };
    let findings = findings.cloned().unwrap_or_default();
    let mk = {
        let path = path.to_owned();
        let field = field.clone();
        move |t: String| {
            let mut edit = edit.clone();
            edit(path.clone(), field.clone(), t)
        }
    };
    let input = match field.input {
        Input::Text
        | Input::Int
        | Input::Decimal
        | Input::Money
        | Input::Date
        | Input::DateTime => {
            // Dates are typed dd/mm/jjjj: the platform's date picker would
            // follow the device's locale, not the Belgian format.
            let (mode, placeholder) = match field.input {
                Input::Int => ("numeric", ""),
                Input::Decimal | Input::Money => ("decimal", ""),
                Input::Date => ("decimal", t(lang, Text::DateHint)),
                Input::DateTime => ("decimal", t(lang, Text::DateTimeHint)),
                _ => ("text", ""),
            };
            let mk = mk.clone();
            rsx! {
                TextBox { id: "{id}", name: "{path}", inputmode: mode,
                    placeholder: (!placeholder.is_empty()).then(|| placeholder.to_owned()),
                    text, focus: first,
                    invalid: missing || bad_number || findings.iter().any(|f| f.severity == Severity::Error),
                    on_input: mk }
            }
        }
        Input::LongText | Input::Lines | Input::KeysWith(_) => {
            let mk = mk.clone();
            rsx! {
                TextBox { id: "{id}", name: "{path}", rows: 3, text, on_input: mk }
            }
        }
        Input::Bool => {
            let on = get(value, path).and_then(Value::as_bool).unwrap_or(false);
            let mk = mk.clone();
            rsx! {
                input { id: "{id}", name: "{path}", r#type: "checkbox", checked: on,
                    onchange: move |e| {
                        let v = e.value();
                        let on = if v == "true" || v == "false" { v == "true" } else { e.checked() };
                        mk(on.to_string())
                    } }
            }
        }
        Input::Choice(choices) => {
            let mk = mk.clone();
            let current = text.clone();
            rsx! {
                select { id: "{id}", name: "{path}", onchange: move |e| mk(e.value()),
                    onmounted: move |e: MountedEvent| async move { if first { let _ = e.set_focus(true).await; } },
                    if field.optional {
                        option { value: "", selected: current.is_empty(), "—" }
                    }
                    for (code, label) in choices(lang) {
                        option { value: "{code}", selected: current == code, "{label}" }
                    }
                }
            }
        }
        Input::Service => {
            let mk = mk.clone();
            let current = text.clone();
            // A retired service stays shown on the referral that names it.
            let mut offered = catalogue.offered(lang);
            if !current.is_empty() && !offered.iter().any(|(c, _)| *c == current) {
                let name = catalogue
                    .service(&current)
                    .map_or(current.clone(), |s| s.name(lang).to_owned());
                offered.push((current.clone(), name));
            }
            rsx! {
                select { id: "{id}", name: "{path}", onchange: move |e| mk(e.value()),
                    onmounted: move |e: MountedEvent| async move { if first { let _ = e.set_focus(true).await; } },
                    if field.optional {
                        option { value: "", selected: current.is_empty(), "—" }
                    }
                    for (code, label) in offered {
                        option { key: "{code}", value: "{code}", selected: current == code, "{label}" }
                    }
                }
            }
        }
        Input::Codes(choices) => {
            let ticked: Vec<String> = get(value, path)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            rsx! {
                div { class: "codes", id: "{id}", role: "group",
                    for (code, label) in choices(lang) {
                        label { class: "code", key: "{code}",
                            input { r#type: "checkbox", name: "{path}", value: "{code}", checked: ticked.iter().any(|c| c == code),
                                onchange: {
                                    let mk = mk.clone();
                                    move |e: Event<FormData>| {
                                        let v = e.value();
                                        let on = if v == "true" || v == "false" { v == "true" } else { e.checked() };
                                        mk(format!("{code}={on}"))
                                    }
                                } }
                            " {label}"
                        }
                    }
                }
            }
        }
    };
    rsx! {
        div { class: "field", key: "{path}", "data-path": "{path}",
            label { r#for: "{id}", "{label}{required}" }
            {input}
            if let Some((said, text)) = proposal {
                p { class: "proposal",
                    "{said} "
                    button { r#type: "button", class: "link take",
                        onclick: { let mk = mk.clone(); move |_| mk(text.clone()) },
                        "{t(lang, Text::TakeIt)}"
                    }
                }
            }
            if missing {
                p { class: "finding error", role: "alert", "{t(lang, Text::Required)}" }
            }
            if bad_number {
                p { class: "finding error", role: "alert",
                    match field.input {
                        Input::Date => t(lang, Text::NotADate),
                        Input::DateTime => t(lang, Text::NotADateTime),
                        _ => t(lang, Text::NotANumber),
                    }
                }
            }
            for f in findings {
                FindingLine { lang, finding: f }
            }
        }
    }
}

/// One finding: error (blocks), warning or flag, in the user's language.
#[component]
pub fn FindingLine(lang: Lang, finding: Finding) -> Element {
    let class = match finding.severity {
        Severity::Error => "finding error",
        Severity::Warning => "finding warning",
        Severity::Flag => "finding flag",
    };
    let prefix = match finding.severity {
        Severity::Error => t(lang, Text::Error),
        Severity::Warning => t(lang, Text::Warning),
        Severity::Flag => t(lang, Text::FlagWord),
    };
    rsx! {
        p { class, role: if finding.severity == Severity::Error { "alert" } else { "note" }, "data-code": "{finding.code}",
            strong { "{prefix}: " }
            "{finding.message(lang)}"
        }
    }
}
