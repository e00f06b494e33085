//! The form's record as JSON: reading and writing fields by path, what an
//! input shows and what typing into it stores, reading the form as a record
//! and running the rules, and a record shown field by field for review.

use std::collections::BTreeMap;

use brug_device::shared::model::{Case, CaseStatus, Catalogue, Household, Record};
use brug_device::shared::rules::{self, Finding, RuleContext};
use brug_device::shared::schema::{Field, FieldPath, FormKind, Group, Input, Spec, spec};
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::Value;
use uuid::Uuid;

use crate::format;
use crate::i18n::Lang;

/// The value at a `/`-separated path (a JSON pointer without its first
/// slash: the schema's field paths).
pub fn get<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    value.pointer(&format!("/{path}"))
}

pub use brug_device::shared::schema::put as set;

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
    value.pointer_mut(&format!("/{path}"))
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

pub(super) fn needs_value(input: Input) -> bool {
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
pub fn record_fields(
    kind: FormKind,
    record: &Value,
    lang: Lang,
    catalogue: &Catalogue,
) -> Vec<(String, String)> {
    let spec = spec(kind);
    let none = BTreeMap::new();
    let readable = |f: &Field, value: &Value| -> Option<String> {
        let text = match f.input {
            Input::Bool => match get(value, &f.path) {
                Some(Value::Bool(b)) => format::json_value(lang, &Value::Bool(*b)),
                _ => String::new(),
            },
            Input::Service => match get(value, &f.path) {
                Some(Value::String(code)) => catalogue
                    .service(code)
                    .map_or(code.clone(), |s| s.name(lang).to_owned()),
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
        Input::Choice(_) | Input::Service => {
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
    if finding.field.is_root() {
        return None;
    }
    let typed: Vec<FieldPath> = paths.iter().map(|p| FieldPath::slashed(p)).collect();
    typed
        .iter()
        .position(|p| *p == finding.field)
        .or_else(|| typed.iter().position(|p| p.starts_with(&finding.field)))
        .map(|i| paths[i].clone())
}
