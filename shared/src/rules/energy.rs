//! Rules for energy-meter checks, readings, prepaid meters and energy scans.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

use super::types::{Ean, EanError};
use super::{Finding, RuleContext};
use crate::model::canonical;
use crate::model::{
    Case, EnergyScan, EnergyType, MeterCheck, MeterKind, Reading, Register, SupplierKind,
};
use crate::schema::FieldPath;

/// Lowest balance of a prepaid meter: −€50 emergency credit, in cents.
pub const EMERGENCY_CREDIT_CENTS: i64 = -5_000;
/// Debt for one energy type above which the LAC must be asked before a
/// disconnection, in cents.
pub const LAC_DEBT_ONE_ENERGY_CENTS: i64 = 50_000;
/// Debt for both energy types together above which the LAC must be asked.
pub const LAC_DEBT_BOTH_CENTS: i64 = 100_000;
/// Accepted gas conversion factors, kWh per m³.
pub const CONVERSION_FACTOR_RANGE: (f64, f64) = (9.5, 12.5);
/// Gas readings have at most 5 digits before the decimal point.
pub const GAS_MAX_READING: f64 = 100_000.0;

/// Checks an EAN as typed, with the override reason for a failing check
/// digit. Length and prefix cannot be overridden.
pub fn check_ean(raw: &str, override_reason: Option<&str>) -> Vec<Finding> {
    match Ean::parse(raw) {
        Ok(_) => Vec::new(),
        Err(EanError::Length) => vec![Finding::error(
            "ean.length",
            "ean",
            "Een EAN-code heeft precies 18 cijfers.",
            "An EAN has exactly 18 digits.",
        )],
        Err(EanError::Prefix) => vec![Finding::error(
            "ean.prefix",
            "ean",
            "Een Belgische EAN-code begint met 54.",
            "A Belgian EAN starts with 54.",
        )],
        Err(EanError::CheckDigit { expected }) => match override_reason.map(str::trim) {
            Some(reason) if !reason.is_empty() => vec![
                Finding::warning(
                    "ean.check-digit-overridden",
                    "ean",
                    "Het controlecijfer van de EAN-code klopt niet; bewaard met een reden.",
                    "The EAN check digit does not match; saved with a reason.",
                ),
                Finding::flag(
                    "ean.override",
                    "ean",
                    format!("EAN-controle overschreven: {reason}"),
                    format!("EAN check overridden: {reason}"),
                ),
            ],
            _ => vec![Finding::error(
                "ean.check-digit",
                "ean",
                format!(
                    "Het laatste cijfer van de EAN-code klopt niet (verwacht: {expected}). Kijk de code na of geef een reden."
                ),
                format!(
                    "The last digit of the EAN does not match (expected {expected}). Check the code or give a reason."
                ),
            )],
        },
    }
}

/// The registers a meter of this kind must report, or the alternatives.
pub fn required_registers(energy: EnergyType, kind: MeterKind) -> Vec<BTreeSet<Register>> {
    use Register::*;
    let set = |rs: &[Register]| rs.iter().copied().collect::<BTreeSet<_>>();
    match (energy, kind) {
        (EnergyType::Gas, _) => vec![set(&[Gas])],
        (EnergyType::Electricity, MeterKind::Digital) => {
            vec![set(&[
                ConsumptionDay,
                ConsumptionNight,
                InjectionDay,
                InjectionNight,
            ])]
        }
        (EnergyType::Electricity, MeterKind::AnalogueSingle) => vec![set(&[Single])],
        (EnergyType::Electricity, MeterKind::AnalogueDayNight) => vec![set(&[Day, Night])],
        (EnergyType::Electricity, MeterKind::ExclusiveNight) => vec![set(&[ExclusiveNight])],
        (EnergyType::Electricity, MeterKind::CardBudget) => {
            vec![set(&[Single]), set(&[Day, Night])]
        }
    }
}

/// Checks that a reading's registers match the meter and hold sane values.
pub fn check_registers(
    energy: EnergyType,
    kind: MeterKind,
    registers: &BTreeMap<Register, f64>,
    field: &FieldPath,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let have: BTreeSet<Register> = registers.keys().copied().collect();
    let options = required_registers(energy, kind);
    if !options.contains(&have) {
        let wanted: Vec<String> = options
            .iter()
            .map(|o| {
                o.iter()
                    .map(|r| r.label(crate::model::Lang::Nl))
                    .collect::<Vec<_>>()
                    .join(" + ")
            })
            .collect();
        let wanted_en: Vec<String> = options
            .iter()
            .map(|o| {
                o.iter()
                    .map(|r| r.label(crate::model::Lang::En))
                    .collect::<Vec<_>>()
                    .join(" + ")
            })
            .collect();
        out.push(Finding::error(
            "reading.registers-mismatch",
            field,
            format!(
                "Deze meter ({}) vraagt: {}.",
                kind.label(crate::model::Lang::Nl),
                wanted.join(" of ")
            ),
            format!(
                "This meter ({}) needs: {}.",
                kind.label(crate::model::Lang::En),
                wanted_en.join(" or ")
            ),
        ));
    }
    for (reg, value) in registers {
        if !value.is_finite() || *value < 0.0 {
            out.push(Finding::error(
                "reading.negative",
                field,
                format!(
                    "{}: een meterstand is een positief getal.",
                    reg.label(crate::model::Lang::Nl)
                ),
                format!(
                    "{}: a meter reading is a positive number.",
                    reg.label(crate::model::Lang::En)
                ),
            ));
            continue;
        }
        let analogue = !matches!(kind, MeterKind::Digital);
        if energy == EnergyType::Electricity && analogue && value.fract() != 0.0 {
            out.push(Finding::error(
                "reading.whole-kwh",
                field,
                format!(
                    "{}: een analoge meter toont hele kWh.",
                    reg.label(crate::model::Lang::Nl)
                ),
                format!(
                    "{}: an analogue meter shows whole kWh.",
                    reg.label(crate::model::Lang::En)
                ),
            ));
        }
        if energy == EnergyType::Gas && *value >= GAS_MAX_READING {
            out.push(Finding::error(
                "reading.gas-digits",
                field,
                "Een gasmeter heeft hoogstens 5 cijfers vóór de komma.",
                "A gas meter has at most 5 digits before the decimal point.",
            ));
        }
    }
    out
}

/// Total consumption of a reading (injection registers left out).
pub fn consumption_total(registers: &BTreeMap<Register, f64>) -> f64 {
    registers
        .iter()
        .filter(|(r, _)| !r.is_injection())
        .map(|(_, v)| *v)
        .sum()
}

/// Consumption between two readings, per day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DailyUse {
    /// Days between the readings.
    pub days: i64,
    /// Consumption over the period (kWh or m³).
    pub consumption: f64,
    /// Average per day.
    pub per_day: f64,
}

/// The average use per day between `previous` and `current`, if they are at
/// least a day apart.
pub fn daily_use(previous: &Reading, current: &Reading) -> Option<DailyUse> {
    let days = (current.read_at - previous.read_at).num_days();
    if days < 1 {
        return None;
    }
    let consumption =
        consumption_total(&current.registers) - consumption_total(&previous.registers);
    Some(DailyUse {
        days,
        consumption,
        per_day: consumption / days as f64,
    })
}

fn blocked_or_overridden(
    reading: &Reading,
    field: &FieldPath,
    code: &str,
    nl: String,
    en: String,
) -> Vec<Finding> {
    match reading.override_reason.as_deref().map(str::trim) {
        Some(reason) if !reason.is_empty() => vec![
            Finding::warning(&format!("{code}-overridden"), field, nl.clone(), en.clone()),
            Finding::flag(
                "reading.override",
                field,
                format!("Plausibiliteit overschreven ({nl}) Reden: {reason}"),
                format!("Plausibility overridden ({en}) Reason: {reason}"),
            ),
        ],
        _ => vec![Finding::error(
            code,
            field,
            format!("{nl} Kijk de stand na of geef een reden."),
            format!("{en} Check the reading or give a reason."),
        )],
    }
}

/// Plausibility of `current` against the previous reading of the same
/// meter, and against the same period last year from `history`.
pub fn check_plausibility(
    m: &MeterCheck,
    current: &Reading,
    previous: Option<&Reading>,
    history: &[&Reading],
    field: &FieldPath,
    ctx: &RuleContext,
) -> Vec<Finding> {
    let t = &ctx.thresholds;
    let mut out = Vec::new();
    let injection: f64 = current
        .registers
        .iter()
        .filter(|(r, _)| r.is_injection())
        .map(|(_, v)| *v)
        .sum();
    if injection > 0.0 && !m.solar_panels {
        out.push(Finding::warning(
            "reading.injection-without-solar",
            field,
            "Er is injectie, maar geen zonnepanelen aangeduid.",
            "There is injection, but no solar panels are marked.",
        ));
    }
    let Some(previous) = previous else { return out };
    let replaced_between = m
        .meter_replaced_on
        .is_some_and(|d| d > previous.read_at && d <= current.read_at);
    if replaced_between {
        return out;
    }
    let lower = current
        .registers
        .iter()
        .any(|(reg, v)| previous.registers.get(reg).is_some_and(|p| v < p));
    if lower {
        out.extend(blocked_or_overridden(
            current,
            field,
            "reading.lower-than-previous",
            "De stand is lager dan de vorige, zonder meterwissel.".into(),
            "The reading is lower than the previous one, without a meter replacement.".into(),
        ));
    }
    let prev_total = consumption_total(&previous.registers);
    let cur_total = consumption_total(&current.registers);
    if prev_total > 0.0 && cur_total > 0.0 {
        let ratio = cur_total / prev_total;
        let (lo, hi) = t.decimal_slip_range;
        if (lo..=hi).contains(&ratio) || (1.0 / hi..=1.0 / lo).contains(&ratio) {
            out.push(Finding::warning(
                "reading.decimal-point",
                field,
                "De stand is ongeveer 10 keer anders dan de vorige: staat de komma goed?",
                "The reading is about 10 times off the previous one: is the decimal point right?",
            ));
        }
    }
    if let Some(use_) = daily_use(previous, current)
        && use_.consumption >= 0.0
    {
        let (warn, block, unit) = match m.energy {
            EnergyType::Electricity => (
                t.electricity_warn_kwh_per_day,
                t.electricity_block_kwh_per_day,
                "kWh",
            ),
            EnergyType::Gas => (t.gas_warn_m3_per_day, t.gas_block_m3_per_day, "m³"),
        };
        let per_day = format!("{:.1}", use_.per_day).replace('.', ",");
        if use_.per_day > block {
            out.extend(blocked_or_overridden(
                current,
                field,
                "reading.daily-use-blocked",
                format!("Gemiddeld {per_day} {unit} per dag is meer dan {block} {unit}."),
                format!(
                    "An average of {:.1} {unit} a day is more than {block} {unit}.",
                    use_.per_day
                ),
            ));
        } else if use_.per_day > warn {
            out.push(Finding::warning(
                "reading.daily-use-high",
                field,
                format!("Gemiddeld {per_day} {unit} per dag is hoog (meer dan {warn} {unit})."),
                format!(
                    "An average of {:.1} {unit} a day is high (more than {warn} {unit}).",
                    use_.per_day
                ),
            ));
        }
        if let Some(last_year) = same_period_last_year(previous, current, history)
            && last_year.per_day > 0.0
        {
            let deviation = (use_.per_day - last_year.per_day) / last_year.per_day;
            let has_reason = current
                .deviation_reason
                .as_deref()
                .is_some_and(|r| !r.trim().is_empty());
            if deviation.abs() > t.year_on_year_deviation && !has_reason {
                out.push(Finding::error(
                    "reading.year-on-year",
                    field,
                    format!("Het verbruik wijkt {:.0} % af van dezelfde periode vorig jaar; geef een reden.", deviation * 100.0),
                    format!("Use differs {:.0} % from the same period last year; give a reason.", deviation * 100.0),
                ));
            }
        }
    }
    out
}

/// The daily use over the same period one year earlier, from the readings
/// closest to a year before each end (within 45 days).
pub fn same_period_last_year(
    previous: &Reading,
    current: &Reading,
    history: &[&Reading],
) -> Option<DailyUse> {
    let near = |target: NaiveDate| {
        history
            .iter()
            .filter(|r| (r.read_at - target).num_days().abs() <= 45)
            .min_by_key(|r| (r.read_at - target).num_days().abs())
            .copied()
    };
    let start = near(previous.read_at - chrono::Duration::days(365))?;
    let end = near(current.read_at - chrono::Duration::days(365))?;
    if start.read_at >= end.read_at {
        return None;
    }
    daily_use(start, end)
}

/// Whether a household is at risk of self-disconnection: gas, a balance of
/// zero or less, between 1 November and 31 March.
pub fn self_disconnection_risk(energy: EnergyType, balance_cents: i64, on: NaiveDate) -> bool {
    let winter = matches!(on.month(), 11 | 12 | 1 | 2 | 3);
    energy == EnergyType::Gas && balance_cents <= 0 && winter
}

/// Whether a disconnection is allowed on this date: not from 1 December to
/// 1 March (winter ban).
pub fn disconnection_allowed(on: NaiveDate) -> bool {
    !(matches!(on.month(), 12 | 1 | 2) || (on.month() == 3 && on.day() == 1))
}

/// Whether the LAC must be asked before a disconnection for these debts.
pub fn lac_required(electricity_debt_cents: i64, gas_debt_cents: i64) -> bool {
    electricity_debt_cents > LAC_DEBT_ONE_ENERGY_CENTS
        || gas_debt_cents > LAC_DEBT_ONE_ENERGY_CENTS
        || electricity_debt_cents + gas_debt_cents > LAC_DEBT_BOTH_CENTS
}

/// Readings of the same connection point across the case (this check and
/// earlier checks of the same EAN), oldest first, with `id`'s own readings
/// taken from `m`.
fn readings_of_point<'a>(
    m: &'a MeterCheck,
    id: Uuid,
    case: &'a Case,
) -> Vec<(&'a Uuid, &'a Reading)> {
    let mut all: Vec<(&Uuid, &Reading)> = m.readings.iter().collect();
    let point = canonical::ean(&m.ean);
    for (other_id, other) in &case.meter_checks {
        if *other_id != id && other.energy == m.energy && canonical::ean(&other.ean) == point {
            all.extend(other.readings.iter());
        }
    }
    all.sort_by_key(|(rid, r)| (r.read_at, **rid));
    all
}

/// Checks an energy-meter check about to be saved as `id` in `case`.
pub fn check_meter_check(m: &MeterCheck, id: Uuid, case: &Case, ctx: &RuleContext) -> Vec<Finding> {
    let mut out = check_ean(&m.ean, m.ean_override_reason.as_deref());
    let point = canonical::ean(&m.ean);
    let clash = case.meter_checks.iter().any(|(other_id, o)| {
        *other_id != id && o.energy != m.energy && canonical::ean(&o.ean) == point
    });
    if clash {
        out.push(Finding::error(
            "ean.same-for-both-energies",
            "ean",
            "Deze EAN-code is al gebruikt voor de andere energiesoort: elektriciteit en gas hebben elk een eigen EAN.",
            "This EAN is already used for the other energy type: electricity and gas each have their own EAN.",
        ));
    }
    if m.meter_kind == MeterKind::CardBudget && !m.prepaid {
        out.push(Finding::error(
            "meter.card-implies-prepaid",
            "prepaid",
            "Een oude kaartbudgetmeter is altijd een budgetmeter: duid 'budgetmeter actief' aan.",
            "An old card budget meter is always prepaid: mark 'prepaid active'.",
        ));
    }
    if m.prepaid && m.supplier_kind != SupplierKind::FluviusSocial {
        out.push(Finding::error(
            "meter.prepaid-implies-fluvius",
            "supplier_kind",
            "Met een actieve budgetmeter is Fluvius de (sociale) leverancier.",
            "With an active prepaid meter, Fluvius is the (social) supplier.",
        ));
    }
    if m.supplier_kind == SupplierKind::Commercial
        && m.supplier_name
            .as_deref()
            .is_none_or(|n| n.trim().is_empty())
    {
        out.push(Finding::warning(
            "meter.supplier-name-missing",
            "supplier_name",
            "Vul de naam van de leverancier in.",
            "Enter the supplier's name.",
        ));
    }
    if m.energy == EnergyType::Gas
        && let Some(f) = m.conversion_factor
        && !(CONVERSION_FACTOR_RANGE.0..=CONVERSION_FACTOR_RANGE.1).contains(&f)
    {
        out.push(Finding::error(
            "meter.conversion-factor",
            "conversion_factor",
            "De omrekeningsfactor ligt tussen 9,5 en 12,5 kWh/m³ (H-gas 11,5; L-gas 10,3).",
            "The conversion factor lies between 9.5 and 12.5 kWh/m³ (H gas 11.5, L gas 10.3).",
        ));
    }
    if m.checked_on > ctx.today() {
        out.push(Finding::error(
            "meter.checked-in-future",
            "checked_on",
            "De datum van de check ligt in de toekomst.",
            "The date of the check is in the future.",
        ));
    }

    let point = readings_of_point(m, id, case);
    let history: Vec<&Reading> = point.iter().map(|(_, r)| *r).collect();
    for (i, (rid, reading)) in point.iter().enumerate() {
        if !m.readings.contains_key(*rid) {
            continue;
        }
        let field = FieldPath::of(["readings".to_owned(), rid.to_string()]);
        if reading.read_at > ctx.today() {
            out.push(Finding::error(
                "reading.in-future",
                &field,
                "De meterstand ligt in de toekomst.",
                "The reading is dated in the future.",
            ));
        }
        out.extend(check_registers(
            m.energy,
            m.meter_kind,
            &reading.registers,
            &field,
        ));
        let previous = i.checked_sub(1).map(|p| point[p].1);
        out.extend(check_plausibility(
            m, reading, previous, &history, &field, ctx,
        ));
    }

    if let Some(p) = &m.prepaid_status {
        if p.balance_cents < EMERGENCY_CREDIT_CENTS {
            out.push(Finding::error(
                "prepaid.balance-below-emergency",
                "prepaid_status.balance_cents",
                "Het saldo kan niet lager dan −€ 50 (noodkrediet).",
                "The balance cannot go below −€50 (emergency credit).",
            ));
        }
        if self_disconnection_risk(m.energy, p.balance_cents, m.checked_on) {
            out.push(Finding::flag(
                "prepaid.self-disconnection-risk",
                "prepaid_status.balance_cents",
                "Risico op zelfafsluiting (gas, saldo ≤ 0, winter). Voorgestelde taak: minimale levering aanvragen.",
                "Risk of self-disconnection (gas, balance ≤ 0, winter). Proposed task: request minimum gas supply.",
            ));
        }
        if let Some(debt) = p.debt_cents
            && debt > LAC_DEBT_ONE_ENERGY_CENTS
        {
            out.push(Finding::warning(
                "prepaid.lac-required",
                "prepaid_status.debt_cents",
                "Schuld boven € 500: vóór een afsluiting moet het LAC gehoord worden.",
                "Debt above €500: the LAC must be asked before any disconnection.",
            ));
        }
    }
    out
}

/// Checks an energy scan.
pub fn check_energy_scan(s: &EnergyScan, ctx: &RuleContext) -> Vec<Finding> {
    let mut out = Vec::new();
    if s.scanned_on > ctx.today() {
        out.push(Finding::error(
            "scan.in-future",
            "scanned_on",
            "De datum van de scan ligt in de toekomst.",
            "The date of the scan is in the future.",
        ));
    }
    if let Some(t) = s.set_temperature
        && !(5.0..=30.0).contains(&t)
    {
        out.push(Finding::warning(
            "scan.set-temperature",
            "set_temperature",
            "Een ingestelde temperatuur buiten 5 tot 30 °C: klopt dat?",
            "A set temperature outside 5 to 30 °C: is that right?",
        ));
    }
    out
}
