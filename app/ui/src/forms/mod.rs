//! Forms for a new case and every record kind: the right input per field,
//! the rules' findings shown beside the field as the worker types, errors
//! blocking the save, and every keystroke handed to the app as a draft.
//!
//! The form holds the record as JSON (the same JSON `brug-cli` takes) and a
//! little text per number field as typed (so "12," stays "12," while the
//! worker types a decimal comma). After each change it reads the JSON as a
//! record and runs the same rules the device core runs before saving.

use std::collections::BTreeMap;

use brug_shared::model::{Case, CaseStatus, Household, Record};
use brug_shared::rules::{self, Finding, RuleContext, Severity};
use chrono::{NaiveDate, NaiveDateTime};
use dioxus::prelude::*;
use serde_json::Value;
use uuid::Uuid;

pub use brug_shared::schema::{Field, FormKind, Group, Input, Spec, blank, field_label, spec};

use crate::format;
use crate::i18n::{Lang, Text, t};

/// The value at a `/`-separated path.
pub fn get<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('/').try_fold(value, |v, k| v.get(k))
}

/// Sets the value at a path, making objects on the way.
pub fn set(value: &mut Value, path: &str, new: Value) {
    let mut cur = value;
    let parts: Vec<&str> = path.split('/').collect();
    for (i, k) in parts.iter().enumerate() {
        if !cur.is_object() {
            *cur = Value::Object(Default::default());
        }
        let Value::Object(map) = cur else { return };
        if i + 1 == parts.len() {
            map.insert((*k).to_owned(), new);
            return;
        }
        cur = map.entry((*k).to_owned()).or_insert(Value::Null);
    }
}

/// Removes the value at a path.
pub fn remove(value: &mut Value, path: &str) {
    let (parent, last) = match path.rsplit_once('/') {
        Some((p, l)) => (get_mut(value, p), l),
        None => (Some(value), path),
    };
    if let Some(Value::Object(map)) = parent {
        map.remove(last);
    }
}

fn get_mut<'a>(value: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    path.split('/').try_fold(value, |v, k| v.get_mut(k))
}

fn all_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Object(m) => m.values().all(all_empty),
        _ => false,
    }
}

/// What the form knows after a change: the findings of the rules, fields
/// left empty that must be filled, numbers that do not read, and whether
/// the record can be saved.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evaluation {
    /// Findings of the rules.
    pub findings: Vec<Finding>,
    /// Paths of required fields still empty.
    pub missing: Vec<String>,
    /// Paths of number and date fields whose text does not read.
    pub bad_values: Vec<String>,
    /// The JSON does not read as a record (reason).
    pub invalid: Option<String>,
    /// The indicative housing verdict (renovation advice).
    pub verdict: Option<String>,
}

impl Evaluation {
    /// Whether saving is refused.
    pub fn blocks(&self) -> bool {
        !self.missing.is_empty()
            || !self.bad_values.is_empty()
            || self.invalid.is_some()
            || rules::blocks(&self.findings)
    }
}

/// Every field of the form with its full path, for the value as it is.
pub fn visible_fields(spec: &Spec, value: &Value) -> Vec<(String, Field)> {
    let shown = |field: &Field, obj: &Value| match field.when {
        None => true,
        Some((key, codes)) => obj
            .get(key)
            .and_then(Value::as_str)
            .is_some_and(|c| codes.contains(&c)),
    };
    let mut out: Vec<(String, Field)> = spec
        .fields
        .iter()
        .filter(|f| shown(f, value))
        .map(|f| (f.path.clone(), f.clone()))
        .collect();
    for g in &spec.groups {
        if let Some(Value::Object(items)) = get(value, g.path) {
            for (id, item) in items {
                for field in g.fields.iter().filter(|f| shown(f, item)) {
                    out.push((format!("{}/{id}/{}", g.path, field.path), field.clone()));
                }
            }
        }
    }
    out
}

fn needs_value(input: Input) -> bool {
    !matches!(
        input,
        Input::Bool | Input::Codes(_) | Input::Lines | Input::KeysWith(_) | Input::LongText
    )
}

/// Reads the form as a record and runs the rules.
pub fn evaluate(
    kind: FormKind,
    value: &Value,
    raw: &BTreeMap<String, String>,
    case: Option<&Case>,
    record_id: Uuid,
    ctx: &RuleContext,
) -> Evaluation {
    let spec = spec(kind);
    let mut eval = Evaluation::default();
    for (path, field) in visible_fields(&spec, value) {
        if is_typed(field.input)
            && let Some(text) = raw.get(&path)
            && !text.trim().is_empty()
            && parse_typed(field.input, text).is_none()
        {
            eval.bad_values.push(path.clone());
            continue;
        }
        if !field.optional && needs_value(field.input) {
            let empty = match get(value, &path) {
                None | Some(Value::Null) => true,
                Some(Value::String(s)) => s.trim().is_empty(),
                _ => false,
            };
            if empty {
                eval.missing.push(path);
            }
        }
    }
    let incomplete = !eval.missing.is_empty() || !eval.bad_values.is_empty();
    match kind {
        FormKind::Household if incomplete => {}
        FormKind::Household => match serde_json::from_value::<Household>(value.clone()) {
            Ok(h) => {
                let previous: Option<CaseStatus> = case.map(|c| c.household.status);
                eval.findings = rules::check_household(&h, previous, ctx);
            }
            Err(e) => eval.invalid = Some(e.to_string()),
        },
        FormKind::Record(k) => {
            let parsed = Record::from_json(k, value.clone());
            // The verdict depends on the defects only: it shows while the
            // rest of the advice is still being filled in.
            if let Ok(Record::Renovation(r)) = &parsed {
                eval.verdict = Some(rules::advice_verdict(r).code().to_owned());
            }
            match parsed {
                _ if incomplete => {}
                Ok(record) => {
                    if let Some(case) = case {
                        let previous = case.record(k, record_id);
                        eval.findings =
                            rules::check_record(case, record_id, &record, previous.as_ref(), ctx);
                    }
                }
                Err(e) => eval.invalid = Some(e.to_string()),
            }
        }
    }
    eval
}

/// Inputs whose text is kept as typed and read on every change.
fn is_typed(input: Input) -> bool {
    matches!(
        input,
        Input::Int | Input::Decimal | Input::Money | Input::Date | Input::DateTime
    )
}

/// The stored value of a typed text: numbers, amounts in cents, dates and
/// times in ISO form. `None` when it does not read.
fn parse_typed(input: Input, text: &str) -> Option<Value> {
    match input {
        Input::Int => {
            let t: String = text
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '.')
                .collect();
            t.parse::<i64>().ok().map(Value::from)
        }
        Input::Decimal => format::parse_decimal(text)
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        Input::Money => {
            format::parse_decimal(text).map(|e| Value::from((e * 100.0).round() as i64))
        }
        Input::Date => format::parse_date(text).map(|d| Value::String(d.to_string())),
        Input::DateTime => format::parse_date_time(text)
            .map(|d| Value::String(d.format("%Y-%m-%dT%H:%M:%S").to_string())),
        _ => None,
    }
}

/// A record as a reviewer reads it: every field of its form that holds a
/// value, as (label, value) in the form's order, choices by their label,
/// dates and amounts the Belgian way; items of a group (defects, readings,
/// ...) each under the group's title.
pub fn record_fields(kind: FormKind, record: &Value, lang: Lang) -> Vec<(String, String)> {
    let spec = spec(kind);
    let none = BTreeMap::new();
    let readable = |f: &Field, value: &Value| -> Option<String> {
        let text = match f.input {
            Input::Bool => match get(value, &f.path) {
                Some(Value::Bool(b)) => format::json_value(lang, &Value::Bool(*b)),
                _ => String::new(),
            },
            Input::Choice(choices) | Input::Codes(choices) => {
                let labels = choices(lang);
                let label = |code: &str| {
                    labels
                        .iter()
                        .find(|(c, _)| *c == code)
                        .map_or(code.to_owned(), |(_, l)| (*l).to_owned())
                };
                match get(value, &f.path) {
                    Some(Value::String(code)) => label(code),
                    Some(Value::Array(codes)) => codes
                        .iter()
                        .filter_map(Value::as_str)
                        .map(label)
                        .collect::<Vec<_>>()
                        .join(", "),
                    _ => String::new(),
                }
            }
            input => shown_text(input, value, &none, &f.path).replace('\n', "; "),
        };
        let text = text.trim().to_owned();
        (!text.is_empty()).then_some(text)
    };
    let mut out: Vec<(String, String)> = spec
        .fields
        .iter()
        .filter_map(|f| Some((f.label(lang).to_owned(), readable(f, record)?)))
        .collect();
    for g in &spec.groups {
        let title = match lang {
            Lang::Nl => g.nl,
            Lang::En => g.en,
        };
        if let Some(Value::Object(items)) = get(record, g.path) {
            for item in items.values() {
                for f in &g.fields {
                    if let Some(v) = readable(f, item) {
                        out.push((format!("{title} · {}", f.label(lang)), v));
                    }
                }
            }
        }
    }
    out
}

/// The text an input shows for the value at `path`.
pub fn shown_text(
    input: Input,
    value: &Value,
    raw: &BTreeMap<String, String>,
    path: &str,
) -> String {
    let typed = match input {
        Input::KeysWith(b) => raw.get(&format!("{path}#{b}")),
        _ => raw.get(path),
    };
    if let Some(text) = typed {
        return text.clone();
    }
    let v = get(value, path);
    match (input, v) {
        (_, None | Some(Value::Null)) => String::new(),
        (Input::Date, Some(Value::String(s))) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(format::date)
            .unwrap_or_else(|_| s.clone()),
        (Input::DateTime, Some(Value::String(s))) => {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
                .map(format::date_time)
                .unwrap_or_else(|_| s.clone())
        }
        (Input::Decimal, Some(Value::Number(n))) => n
            .as_f64()
            .map(|x| x.to_string().replace('.', ","))
            .unwrap_or_default(),
        (Input::Money, Some(Value::Number(n))) => n
            .as_i64()
            .map(|c| format::decimal(c as f64 / 100.0, 2))
            .unwrap_or_default(),
        (Input::Lines, Some(Value::Array(a))) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("\n"),
        (Input::KeysWith(b), _) => match get(value, path) {
            Some(Value::Object(m)) => m
                .iter()
                .filter(|(_, v)| v.as_bool() == Some(b))
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        },
        (_, Some(Value::String(s))) => s.clone(),
        (_, Some(other)) => other.to_string(),
    }
}

/// Applies what the worker typed into the field at `path`.
pub fn apply_text(
    spec: &Spec,
    value: &mut Value,
    raw: &mut BTreeMap<String, String>,
    path: &str,
    field: &Field,
    text: &str,
) {
    let trimmed = text.trim();
    let new = match field.input {
        Input::Text | Input::LongText => {
            if trimmed.is_empty() && field.optional {
                Value::Null
            } else {
                Value::String(text.to_owned())
            }
        }
        Input::Choice(_) => {
            if trimmed.is_empty() {
                Value::Null
            } else {
                Value::String(trimmed.to_owned())
            }
        }
        Input::Int | Input::Decimal | Input::Money | Input::Date | Input::DateTime => {
            raw.insert(path.to_owned(), text.to_owned());
            if trimmed.is_empty() {
                Value::Null
            } else {
                match parse_typed(field.input, text) {
                    Some(v) => v,
                    None => return,
                }
            }
        }
        Input::Bool => Value::Bool(trimmed == "true"),
        Input::Codes(_) => {
            // `text` is "code=true|false": one box ticked or unticked.
            let (code, on) = trimmed.split_once('=').unwrap_or((trimmed, "true"));
            let mut list: Vec<Value> = get(value, path)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            list.retain(|v| v.as_str() != Some(code));
            if on == "true" {
                list.push(Value::String(code.to_owned()));
            }
            Value::Array(list)
        }
        Input::Lines => {
            // Kept as typed, so a space or an empty line being typed stays.
            raw.insert(path.to_owned(), text.to_owned());
            Value::Array(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| Value::String(l.to_owned()))
                    .collect(),
            )
        }
        Input::KeysWith(b) => {
            raw.insert(format!("{path}#{b}"), text.to_owned());
            let mut map = match get(value, path) {
                Some(Value::Object(m)) => m.clone(),
                _ => Default::default(),
            };
            map.retain(|_, v| v.as_bool() != Some(b));
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                map.insert(line.to_owned(), Value::Bool(b));
            }
            Value::Object(map)
        }
    };
    if new.is_null() && field.map_entry {
        remove(value, path);
    } else {
        set(value, path, new);
    }
    for parent in spec.nullable {
        if get(value, parent).is_some_and(|p| p.is_object() && all_empty(p)) {
            set(value, parent, Value::Null);
        }
    }
}

/// Adds a new item to a group.
pub fn add_item(value: &mut Value, group: &Group, today: NaiveDate) -> Uuid {
    let id = Uuid::now_v7();
    set(
        value,
        &format!("{}/{id}", group.path),
        (group.template)(today),
    );
    id
}

/// Which field each finding is shown beside: the field whose path is the
/// finding's field, else the first field inside it; `None` for findings
/// about the whole record (shown on top).
pub fn anchor(finding: &Finding, paths: &[String]) -> Option<String> {
    let dotted = |p: &str| p.replace('/', ".");
    paths
        .iter()
        .find(|p| dotted(p) == finding.field)
        .or_else(|| {
            paths
                .iter()
                .find(|p| dotted(p).starts_with(&format!("{}.", finding.field)))
        })
        .cloned()
}

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
    let ctx = RuleContext::at(now);
    let eval = evaluate(
        kind,
        &value.read(),
        &raw.read(),
        case.as_ref(),
        record_id,
        &ctx,
    );
    let fields = visible_fields(&spec, &value.read());
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
        .and_then(brug_shared::model::HousingVerdict::from_code);
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
            for (i, (path, field)) in top_fields.into_iter().enumerate() {
                {field_view(lang, &value.read(), &raw.read(), &path, &field, beside.get(&path), missing.contains(&path), eval.bad_values.contains(&path), i == 0, edit.clone())}
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
                                        field_view(lang, &value.read(), &raw.read(), &path, gf, beside.get(&path), missing.contains(&path), eval.bad_values.contains(&path), false, edit.clone())
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
                input { id: "{id}", name: "{path}", r#type: "text", inputmode: mode, placeholder, value: "{text}",
                    onmounted: move |e: MountedEvent| async move { if first { let _ = e.set_focus(true).await; } },
                    "aria-invalid": missing || bad_number || findings.iter().any(|f| f.severity == Severity::Error),
                    oninput: move |e| mk(e.value()) }
            }
        }
        Input::LongText | Input::Lines | Input::KeysWith(_) => {
            let mk = mk.clone();
            rsx! {
                textarea { id: "{id}", name: "{path}", rows: "3", value: "{text}", oninput: move |e| mk(e.value()) }
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
