//! Every rule and threshold of DOMAIN.md as pure functions.
//!
//! A rule returns [`Finding`]s: an *error* blocks saving, a *warning* asks
//! the worker to look again (and, where DOMAIN.md says so, for a reason), a
//! *flag* puts the case in the supervisor's queue. Every finding has a stable
//! code and a message in Dutch and English. Thresholds that are our own
//! design choice live in [`Thresholds`]; facts of law are constants.

mod case;
mod energy;
mod referral;
mod renovation;
mod review;
pub mod types;
mod visit;

pub use case::*;
pub use energy::*;
pub use referral::*;
pub use renovation::*;
pub use review::*;
pub use visit::*;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::model::{Case, Catalogue, Lang, Record};
use crate::schema::FieldPath;

/// How much a finding weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks saving.
    Error,
    /// Shown to the worker; saving goes on.
    Warning,
    /// Goes to the supervisor's queue.
    Flag,
}

/// One outcome of a rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Error, warning or flag.
    pub severity: Severity,
    /// Stable code, for scripts and tests ("ean.check-digit").
    pub code: String,
    /// The field it is about (`ean`, `readings.<id>.registers`); the
    /// whole record when empty.
    pub field: FieldPath,
    /// Message in Dutch.
    pub nl: String,
    /// Message in English.
    pub en: String,
}

impl Finding {
    fn new(severity: Severity, code: &str, field: FieldPath, nl: String, en: String) -> Self {
        Self {
            severity,
            code: code.to_owned(),
            field,
            nl,
            en,
        }
    }

    /// A finding that blocks saving.
    pub fn error(
        code: &str,
        field: impl Into<FieldPath>,
        nl: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Error, code, field.into(), nl.into(), en.into())
    }

    /// A finding the worker should look at.
    pub fn warning(
        code: &str,
        field: impl Into<FieldPath>,
        nl: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Warning, code, field.into(), nl.into(), en.into())
    }

    /// A finding for the supervisor's queue.
    pub fn flag(
        code: &str,
        field: impl Into<FieldPath>,
        nl: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Flag, code, field.into(), nl.into(), en.into())
    }

    /// The message in the given language.
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Nl => &self.nl,
            Lang::En => &self.en,
        }
    }
}

/// Whether any finding blocks saving.
pub fn blocks(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// Whether a finding with this code is among the findings.
pub fn has_code(findings: &[Finding], code: &str) -> bool {
    findings.iter().any(|f| f.code == code)
}

/// Thresholds that are our own design choice (marked "(ours)" in
/// DOMAIN.md), with the documented defaults. Configurable per deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Thresholds {
    /// Postcodes of the service area; others warn (8530 Harelbeke, 8531
    /// Bavikhove/Hulste).
    pub home_postcodes: Vec<u16>,
    /// Hours within which a safety signal must be followed up.
    pub safety_follow_up_hours: i64,
    /// Average electricity use per day that warns, in kWh.
    pub electricity_warn_kwh_per_day: f64,
    /// Average electricity use per day that blocks, in kWh.
    pub electricity_block_kwh_per_day: f64,
    /// Average gas use per day that warns, in m³.
    pub gas_warn_m3_per_day: f64,
    /// Average gas use per day that blocks, in m³.
    pub gas_block_m3_per_day: f64,
    /// Deviation from the same period last year that needs a reason (0.5 = ±50 %).
    pub year_on_year_deviation: f64,
    /// Lower and upper factor that counts as "about 10× off" (a misplaced
    /// decimal point).
    pub decimal_slip_range: (f64, f64),
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            home_postcodes: vec![8530, 8531],
            safety_follow_up_hours: 48,
            electricity_warn_kwh_per_day: 35.0,
            electricity_block_kwh_per_day: 100.0,
            gas_warn_m3_per_day: 15.0,
            gas_block_m3_per_day: 40.0,
            year_on_year_deviation: 0.5,
            decimal_slip_range: (8.0, 12.5),
        }
    }
}

/// What a rule needs to know about the world besides the record.
#[derive(Debug, Clone)]
pub struct RuleContext {
    /// The current local time (Europe/Brussels).
    pub now: NaiveDateTime,
    /// The configurable thresholds.
    pub thresholds: Thresholds,
    /// The team's referral catalogue.
    pub catalogue: std::sync::Arc<Catalogue>,
}

impl RuleContext {
    /// A context at `now` with the default thresholds and the built-in
    /// catalogue.
    pub fn at(now: NaiveDateTime) -> Self {
        Self {
            now,
            thresholds: Thresholds::default(),
            catalogue: std::sync::Arc::new(Catalogue::builtin().clone()),
        }
    }

    /// The same, with the team's catalogue.
    pub fn with_catalogue(mut self, catalogue: std::sync::Arc<Catalogue>) -> Self {
        self.catalogue = catalogue;
        self
    }

    /// Today's date.
    pub fn today(&self) -> NaiveDate {
        self.now.date()
    }
}

/// Checks a record about to be saved in `case`. `previous` is the same
/// record as stored before this edit, if it existed; `id` its id.
pub fn check_record(
    case: &Case,
    id: uuid::Uuid,
    record: &Record,
    previous: Option<&Record>,
    ctx: &RuleContext,
) -> Vec<Finding> {
    let mut out = match record {
        Record::Member(m) => check_member(m, id, case, ctx),
        Record::Consent(c) => check_consent(c),
        Record::Visit(v) => check_visit(v, ctx),
        Record::MeterCheck(m) => check_meter_check(m, id, case, ctx),
        Record::EnergyScan(s) => check_energy_scan(s, ctx),
        Record::Renovation(r) => check_renovation(r, case, ctx),
        Record::Referral(r) => {
            let prev = match previous {
                Some(Record::Referral(p)) => Some(p),
                _ => None,
            };
            check_referral(r, prev, case, ctx)
        }
    };
    out.extend(photos_missing(case, record, &out));
    out
}

/// DOMAIN.md asks for a photo with a category II or III defect and with a
/// reading whose plausibility check was overridden: the attachments on the
/// defect or reading are counted, and each one without a photo gets a
/// warning saying which it is (it cannot block: the photo is added to a
/// defect or reading that already exists).
fn photos_missing(case: &Case, record: &Record, found: &[Finding]) -> Vec<Finding> {
    let item = |group: &str, id: uuid::Uuid| FieldPath::of([group.to_owned(), id.to_string()]);
    let mut out = Vec::new();
    match record {
        Record::Renovation(a) => {
            for (id, d) in &a.defects {
                let needs = matches!(
                    d.category,
                    crate::model::DefectCategory::II | crate::model::DefectCategory::III
                );
                if needs && case.photos_on(*id) == 0 {
                    out.push(Finding::warning(
                        "defect.photo-missing",
                        item("defects", *id),
                        format!(
                            "Gebrek categorie {} ({}) zonder foto: voeg er een toe.",
                            d.category.code(),
                            d.element.label(Lang::Nl)
                        ),
                        format!(
                            "Category {} defect ({}) without a photo: add one.",
                            d.category.code(),
                            d.element.label(Lang::En)
                        ),
                    ));
                }
            }
        }
        Record::MeterCheck(_) => {
            let mut overridden: Vec<&FieldPath> = found
                .iter()
                .filter(|f| f.code == "reading.override")
                .map(|f| &f.field)
                .collect();
            overridden.dedup();
            for field in overridden {
                let reading = field
                    .keys()
                    .get(1)
                    .and_then(|k| uuid::Uuid::parse_str(k).ok());
                if reading.is_some_and(|r| case.photos_on(r) == 0) {
                    out.push(Finding::warning(
                        "reading.photo-missing",
                        field.clone(),
                        "Een overschreven meterstand vraagt een foto van de meter.",
                        "An overridden reading needs a photo of the meter.",
                    ));
                }
            }
        }
        _ => {}
    }
    out
}
