//! The case schema, in one place: for the household and every record kind,
//! each field's path, its Dutch and English label, the input that fits
//! (date, number with decimal comma, choice, ...), whether it may stay
//! empty and where a blank record starts. Everything that needs to know the
//! fields reads it from here:
//!
//! - the app's forms (which input, which label, which fields are required),
//! - blank records ([`blank`], derived from the tables),
//! - the automerge bridge (which keys are prose merged by character and
//!   which maps are collections, [`is_prose`] and [`is_collection`]),
//! - the screens that name a changed or conflicting field ([`field_label`]).
//!
//! The model types ([`crate::model`]) are the other half: a field is one
//! struct member plus one row here (and its rule, if it has one). The tests
//! of this module fail when the two disagree.
//!
//! One file per area, beside the model's own files: [`case`] (household,
//! member, consent), [`visit`], [`energy`] (meter check, energy scan),
//! [`renovation`] and [`referral`].

mod case;
mod energy;
mod path;
mod referral;
mod renovation;
mod visit;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use crate::model::{Lang, RecordKind};

pub use path::FieldPath;

/// The choices of a select: stable code and label.
pub type Choices = fn(Lang) -> Vec<(&'static str, &'static str)>;

/// The choices of a labelled enum of [`crate::model`].
macro_rules! choices {
    ($t:ty) => {
        (|lang| {
            <$t>::ALL
                .iter()
                .map(|v| (v.code(), v.label(lang)))
                .collect()
        }) as $crate::schema::Choices
    };
}
pub(crate) use choices;

/// The input a field gets.
#[derive(Debug, Clone, Copy)]
pub enum Input {
    /// One line of text.
    Text,
    /// Several lines of free text (stored as automerge Text, merged by
    /// character).
    LongText,
    /// A date (the platform's date picker).
    Date,
    /// A date and time.
    DateTime,
    /// A whole number.
    Int,
    /// A number with decimal comma or point.
    Decimal,
    /// An amount in euro (stored in cents).
    Money,
    /// Yes or no.
    Bool,
    /// One of a list.
    Choice(Choices),
    /// Any of a list.
    Codes(Choices),
    /// One service of the team's referral catalogue (data, not code: the
    /// form offers the services the catalogue holds).
    Service,
    /// One item per line.
    Lines,
    /// The keys of a map whose value is this boolean, one per line.
    KeysWith(bool),
}

/// One field of a form.
#[derive(Debug, Clone)]
pub struct Field {
    /// Path in the record's JSON, `/`-separated.
    pub path: String,
    /// Dutch label.
    pub nl: &'static str,
    /// English label.
    pub en: &'static str,
    /// The input.
    pub input: Input,
    /// May stay empty.
    pub optional: bool,
    /// Shown only when the sibling field (path relative to the same
    /// object) has one of these codes.
    pub when: Option<(&'static str, &'static [&'static str])>,
    /// A key of a map (a register, a small measure): left empty, the key
    /// is removed rather than set to null.
    pub map_entry: bool,
    /// What a blank record holds (a choice's code, a text); without it a
    /// choice starts at "unknown" if it has that, else at its first code;
    /// a date at today and the rest empty.
    pub start: Option<&'static str>,
}

impl Field {
    /// The label in `lang`.
    pub fn label(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Nl => self.nl,
            Lang::En => self.en,
        }
    }

    pub(crate) fn opt(mut self) -> Self {
        self.optional = true;
        self
    }

    pub(crate) fn when(mut self, key: &'static str, codes: &'static [&'static str]) -> Self {
        self.when = Some((key, codes));
        self
    }

    pub(crate) fn start(mut self, value: &'static str) -> Self {
        self.start = Some(value);
        self
    }

    /// A key of a map: the field at `path` (`map/key`).
    pub(crate) fn entry(path: String, nl: &'static str, en: &'static str, input: Input) -> Self {
        Self {
            map_entry: true,
            optional: true,
            ..f(&path, nl, en, input)
        }
    }

    /// The value a blank record holds for this field.
    fn blank(&self, now: NaiveDateTime) -> Value {
        let empty_text = || Value::String(self.start.unwrap_or_default().to_owned());
        match self.input {
            Input::LongText => empty_text(),
            Input::Bool => Value::Bool(false),
            Input::Codes(_) | Input::Lines => json!([]),
            Input::KeysWith(_) => json!({}),
            _ if self.optional => Value::Null,
            Input::Text => empty_text(),
            Input::Date => Value::String(now.date().to_string()),
            Input::DateTime => Value::String(now.format("%Y-%m-%dT%H:%M:00").to_string()),
            Input::Int | Input::Decimal | Input::Money => Value::Null,
            Input::Service => {
                let first = crate::model::Catalogue::builtin().services.first();
                let code = self.start.or(first.map(|s| s.code.as_str()));
                code.map_or(Value::Null, |c| Value::String(c.to_owned()))
            }
            Input::Choice(choices) => {
                let choices = choices(Lang::Nl);
                let code = self
                    .start
                    .or_else(|| choices.iter().map(|c| c.0).find(|c| *c == "unknown"))
                    .or_else(|| choices.first().map(|c| c.0));
                code.map_or(Value::Null, |c| Value::String(c.to_owned()))
            }
        }
    }
}

/// A field of a table: path, labels and input; required, always shown.
pub(crate) fn f(path: &str, nl: &'static str, en: &'static str, input: Input) -> Field {
    Field {
        path: path.to_owned(),
        nl,
        en,
        input,
        optional: false,
        when: None,
        map_entry: false,
        start: None,
    }
}

/// A collection inside a record (readings, defects, ...): a map keyed by
/// UUID whose items have their own fields.
#[derive(Debug, Clone)]
pub struct Group {
    /// Path of the map.
    pub path: &'static str,
    /// Title, Dutch.
    pub nl: &'static str,
    /// Title, English.
    pub en: &'static str,
    /// "Add" button text, Dutch.
    pub add_nl: &'static str,
    /// "Add" button text, English.
    pub add_en: &'static str,
    /// The fields of one item, paths relative to the item.
    pub fields: Vec<Field>,
    /// A new item (some items are a tagged choice whose fields depend on
    /// the tag, so the template is written out).
    pub template: fn(chrono::NaiveDate) -> Value,
}

/// Which form: the household or a record kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    /// A new or edited household (the case itself).
    Household,
    /// A record of a case.
    Record(RecordKind),
}

impl FormKind {
    /// The household and every record kind.
    pub fn all() -> impl Iterator<Item = FormKind> {
        std::iter::once(FormKind::Household).chain(RecordKind::ALL.iter().map(|k| (*k).into()))
    }

    /// The title of the form.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (FormKind::Household, Lang::Nl) => "gezin",
            (FormKind::Household, Lang::En) => "household",
            (FormKind::Record(k), lang) => k.label(lang),
        }
    }
}

impl From<RecordKind> for FormKind {
    fn from(kind: RecordKind) -> Self {
        FormKind::Record(kind)
    }
}

/// A whole form.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The record's own fields.
    pub fields: Vec<Field>,
    /// Its collections.
    pub groups: Vec<Group>,
    /// Optional objects: emptied back to null when all their fields are.
    pub nullable: &'static [&'static str],
    /// The record's own fields in short sections, each from the field it
    /// starts at (fields before the first belong to none).
    pub sections: &'static [Section],
}

/// A short section of a form: a phone shows one or two at a time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Section {
    /// The path of its first field.
    pub from: &'static str,
    /// Dutch title.
    pub nl: &'static str,
    /// English title.
    pub en: &'static str,
}

impl Section {
    /// The title in `lang`.
    pub fn title(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Nl => self.nl,
            Lang::En => self.en,
        }
    }
}

const fn section(from: &'static str, nl: &'static str, en: &'static str) -> Section {
    Section { from, nl, en }
}

pub(crate) fn plain(fields: Vec<Field>) -> Spec {
    Spec {
        fields,
        groups: Vec::new(),
        nullable: &[],
        sections: &[],
    }
}

impl Spec {
    /// The same form in these sections.
    pub(crate) fn in_sections(self, sections: &'static [Section]) -> Self {
        Self { sections, ..self }
    }
}

/// The household form's sections.
pub(crate) const HOUSEHOLD_SECTIONS: &[Section] = &[
    section("name", "Gezin en adres", "Household and address"),
    section("status", "Dossier", "Case"),
    section("housing", "Wonen en inkomen", "Housing and income"),
    section("statuses/protected_customer", "Statuten", "Statuses"),
    section(
        "next_appointment",
        "Afspraak en notities",
        "Appointment and notes",
    ),
];

/// The home visit's sections.
pub(crate) const VISIT_SECTIONS: &[Section] = &[
    section("kind", "Het bezoek", "The visit"),
    section("start", "Wanneer", "When"),
    section(
        "safety_signal",
        "Veiligheid en opvolging",
        "Safety and follow-up",
    ),
    section("notes", "Verslag", "Notes"),
];

/// The meter check's sections.
pub(crate) const METER_CHECK_SECTIONS: &[Section] = &[
    section("checked_on", "Aansluiting en meter", "Connection and meter"),
    section("prepaid", "Levering", "Supply"),
    section("solar_panels", "Woning", "Home"),
    section(
        "prepaid_status/balance_cents",
        "Budgetmeter",
        "Budget meter",
    ),
    section("notes", "Notities", "Notes"),
];

/// The energy scan's sections.
pub(crate) const ENERGY_SCAN_SECTIONS: &[Section] = &[
    section(
        "scanned_on",
        "Verwarming en warm water",
        "Heating and hot water",
    ),
    section(
        "roof_insulation",
        "Isolatie en beglazing",
        "Insulation and glazing",
    ),
    section(
        "ventilation_open",
        "Verluchting en vocht",
        "Ventilation and damp",
    ),
    section("non_led_lamps", "Gewoontes", "Habits"),
    section(
        "small_measures/led-lamps",
        "Kleine maatregelen",
        "Small measures",
    ),
    section("notes", "Notities", "Notes"),
];

/// The referral's sections.
pub(crate) const REFERRAL_SECTIONS: &[Section] = &[
    section("service", "Doorverwijzing", "Referral"),
    section("data_shared", "Gedeelde gegevens", "Data shared"),
    section("status", "Verloop", "Progress"),
    section("notes", "Notities", "Notes"),
];

/// The renovation advice's sections.
pub(crate) const RENOVATION_SECTIONS: &[Section] = &[
    section("advised_on", "De woning", "The dwelling"),
    section("epc_label", "EPC", "EPC"),
    section(
        "smoke_detectors",
        "Veiligheid en isolatie",
        "Safety and insulation",
    ),
    section("escalation", "Opvolging", "Follow-up"),
    section("notes", "Notities", "Notes"),
];

/// The form of a kind.
pub fn spec(kind: FormKind) -> Spec {
    match kind {
        FormKind::Household => case::household(),
        FormKind::Record(RecordKind::Member) => case::member(),
        FormKind::Record(RecordKind::Consent) => case::consent(),
        FormKind::Record(RecordKind::Visit) => visit::visit(),
        FormKind::Record(RecordKind::MeterCheck) => energy::meter_check(),
        FormKind::Record(RecordKind::EnergyScan) => energy::energy_scan(),
        FormKind::Record(RecordKind::Renovation) => renovation::renovation(),
        FormKind::Record(RecordKind::Referral) => referral::referral(),
    }
}

/// The review of a reviewed record kind: not on the form (the review
/// screen writes it), but part of every blank record of those kinds.
fn review_blank() -> Value {
    json!({"state": "draft", "reviewer": null, "at": null, "comment": "", "approved_heads": []})
}

/// Sets the value at a `/`-separated path, making objects on the way.
pub fn put(value: &mut Value, path: &str, new: Value) {
    FieldPath::slashed(path).put(value, new);
}

/// A new, empty record of a kind, as of `now`: every field at its start
/// value, every collection empty, every optional object null.
pub fn blank(kind: FormKind, now: NaiveDateTime) -> Value {
    let spec = spec(kind);
    let mut value = json!({});
    for field in &spec.fields {
        if field.map_entry {
            // The map itself starts empty; its keys are added when filled.
            if let Some((map, _)) = field.path.rsplit_once('/') {
                put(&mut value, map, json!({}));
            }
        } else {
            put(&mut value, &field.path, field.blank(now));
        }
    }
    for group in &spec.groups {
        put(&mut value, group.path, json!({}));
    }
    for object in spec.nullable {
        put(&mut value, object, Value::Null);
    }
    if let FormKind::Record(k) = kind
        && k.is_reviewed()
    {
        put(&mut value, "review", review_blank());
    }
    value
}

/// The keys every form uses, by what they hold.
struct Keys {
    prose: BTreeSet<String>,
    collections: BTreeSet<String>,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut prose = BTreeSet::from(["comment".to_owned()]); // the review's comment
        let mut collections: BTreeSet<String> = RecordKind::ALL
            .iter()
            .map(|k| k.container().to_owned())
            .collect();
        let mut note = |field: &Field, collections: &mut BTreeSet<String>| {
            let last = field.path.rsplit('/').next().unwrap_or_default();
            if matches!(field.input, Input::LongText) {
                prose.insert(last.to_owned());
            }
            if matches!(field.input, Input::KeysWith(_)) {
                collections.insert(last.to_owned());
            }
            if field.map_entry
                && let Some((map, _)) = field.path.rsplit_once('/')
            {
                let last = map.rsplit('/').next().unwrap_or(map);
                collections.insert(last.to_owned());
            }
        };
        for kind in FormKind::all() {
            let spec = spec(kind);
            for field in &spec.fields {
                note(field, &mut collections);
            }
            for group in &spec.groups {
                collections.insert(group.path.to_owned());
                for field in &group.fields {
                    note(field, &mut collections);
                }
            }
        }
        Keys { prose, collections }
    })
}

/// Whether a key holds long free text (automerge Text, merged by character).
pub fn is_prose(key: &str) -> bool {
    keys().prose.contains(key)
}

/// Whether a key is a collection: a map whose missing keys are removals,
/// not fields a device does not know yet.
pub fn is_collection(key: &str) -> bool {
    keys().collections.contains(key)
}

/// The label of a field given by its path in a record or the household
/// (`phone`, `readings.<id>.registers.1.8.1`: the paths findings,
/// conflicts and history use), for screens that name a field.
pub fn field_label(kind: FormKind, field: &FieldPath, lang: Lang) -> Option<&'static str> {
    let spec = spec(kind);
    let same = |f: &Field, p: &FieldPath| FieldPath::slashed(&f.path) == *p;
    spec.fields
        .iter()
        .find(|f| same(f, field))
        .map(|f| f.label(lang))
        .or_else(|| {
            spec.groups.iter().find_map(|g| {
                let rest = field.strip_prefix(&FieldPath::slashed(g.path))?;
                // The item's id, then the field inside the item.
                let inside = FieldPath::of(rest.keys().get(1..)?.iter().cloned());
                g.fields
                    .iter()
                    .find(|f| same(f, &inside))
                    .map(|f| f.label(lang))
            })
        })
}

/// The path of a field named by text a program wrote earlier (the fields
/// a change's note lists, `readings.<id>.registers.1.8.1`): the schema's
/// fields decide where the keys end, so register codes stay whole. Text no
/// field matches is split at its dots.
pub fn path_of(kind: FormKind, text: &str) -> FieldPath {
    let spec = spec(kind);
    let shown = |f: &Field| FieldPath::slashed(&f.path).to_string();
    if let Some(f) = spec.fields.iter().find(|f| shown(f) == text) {
        return FieldPath::slashed(&f.path);
    }
    for g in &spec.groups {
        let group = FieldPath::slashed(g.path);
        let Some(rest) = text
            .strip_prefix(&group.to_string())
            .and_then(|r| r.strip_prefix('.'))
        else {
            continue;
        };
        let Some((item, inside)) = rest.split_once('.') else {
            continue;
        };
        if let Some(f) = g.fields.iter().find(|f| shown(f) == inside) {
            return group.child(item).join(&FieldPath::slashed(&f.path));
        }
    }
    FieldPath::from(text)
}

#[cfg(test)]
mod tests;
