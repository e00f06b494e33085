//! Rules for renovation advice, and the indicative housing verdict.

use chrono::{Datelike, Months};

use super::{Finding, RuleContext};
use crate::model::{
    Case, Defect, DefectCategory, DefectElement, DefectSection, DefectSeverity, DwellingType,
    Escalation, HousingSituation, HousingVerdict, Priority, Recipient, RenovationAdvice, Support,
};
use crate::schema::FieldPath;

/// The Flemish roof-insulation norm: an R-value below this is a defect.
pub const ROOF_R_MIN: f64 = 0.75;
/// This many category-I defects make a dwelling (indicatively) unfit.
pub const CATEGORY_I_UNFIT_COUNT: usize = 7;
/// Most a Mijn VerbouwLening lends, in cents.
pub const LOAN_MAX_CENTS: i64 = 6_000_000;
/// Longest Mijn VerbouwLening, in years.
pub const LOAN_MAX_YEARS: u32 = 25;
/// A Mijn VerbouwLening is for dwellings at least this old.
pub const LOAN_MIN_DWELLING_AGE: i32 = 15;
/// A conformity certificate is valid at most this many years.
pub const CERTIFICATE_MAX_YEARS: u32 = 10;
/// Oldest build year we accept.
pub const OLDEST_BUILD_YEAR: i32 = 1700;
/// EPC labels in Flanders.
pub const EPC_LABELS: &[&str] = &["A+", "A", "B", "C", "D", "E", "F"];

/// The indicative verdict over a set of defects: any category III is
/// uninhabitable; any category II, or 7 or more category I, is unfit.
pub fn housing_verdict<'a>(defects: impl IntoIterator<Item = &'a Defect>) -> HousingVerdict {
    let mut category_i = 0;
    let mut any_ii = false;
    for d in defects {
        match d.category {
            DefectCategory::III => return HousingVerdict::Uninhabitable,
            DefectCategory::II => any_ii = true,
            DefectCategory::I => category_i += 1,
        }
    }
    if any_ii || category_i >= CATEGORY_I_UNFIT_COUNT {
        HousingVerdict::Unfit
    } else {
        HousingVerdict::Conform
    }
}

/// Defects that follow from other answers: a floor without a smoke detector,
/// roof insulation below the norm (not for rooms).
pub fn derived_defects(a: &RenovationAdvice) -> Vec<Defect> {
    let mut out: Vec<Defect> = a
        .smoke_detectors
        .iter()
        .filter(|(_, has)| !**has)
        .map(|(floor, _)| Defect {
            section: DefectSection::Dwelling,
            element: DefectElement::SmokeDetectors,
            room: Some(floor.clone()),
            severity: DefectSeverity::Serious,
            category: DefectCategory::I,
            description: format!("Geen rookmelder op {floor}"),
            derived: true,
        })
        .collect();
    if let Some(r) = a.roof_r_value
        && r < ROOF_R_MIN
        && a.dwelling_type != DwellingType::Room
    {
        out.push(Defect {
            section: DefectSection::Building,
            element: DefectElement::RoofInsulation,
            room: None,
            severity: DefectSeverity::Limited,
            category: DefectCategory::I,
            description: format!("Dakisolatie R = {r} m²K/W, onder de norm van {ROOF_R_MIN}"),
            derived: true,
        });
    }
    out
}

/// The verdict over the recorded and the derived defects.
pub fn advice_verdict(a: &RenovationAdvice) -> HousingVerdict {
    let derived = derived_defects(a);
    housing_verdict(a.defects.values().chain(derived.iter()))
}

/// Checks renovation advice in `case`.
pub fn check_renovation(a: &RenovationAdvice, case: &Case, ctx: &RuleContext) -> Vec<Finding> {
    let mut out = Vec::new();
    let this_year = ctx.today().year();
    if let Some(y) = a.build_year
        && !(OLDEST_BUILD_YEAR..=this_year).contains(&y)
    {
        out.push(Finding::error(
            "renovation.build-year",
            "build_year",
            format!("Het bouwjaar ligt tussen {OLDEST_BUILD_YEAR} en {this_year}."),
            format!("The build year lies between {OLDEST_BUILD_YEAR} and {this_year}."),
        ));
    }
    if let (Some(y), Some(period)) = (a.build_year, a.build_period) {
        let (first, last) = period.years();
        if first.is_some_and(|f| y < f) || last.is_some_and(|l| y > l) {
            out.push(Finding::warning(
                "renovation.build-period",
                "build_period",
                format!(
                    "Het bouwjaar {y} valt niet in de bouwperiode {}.",
                    period.label(crate::model::Lang::Nl)
                ),
                format!(
                    "The build year {y} is not in the build period {}.",
                    period.label(crate::model::Lang::En)
                ),
            ));
        }
    }
    if let Some(label) = &a.epc_label
        && !EPC_LABELS.contains(&label.as_str())
    {
        out.push(Finding::error(
            "renovation.epc-label",
            "epc_label",
            "Een EPC-label is A+, A, B, C, D, E of F.",
            "An EPC label is A+, A, B, C, D, E or F.",
        ));
    }
    if a.landlord_contact.is_some() {
        let consented = case.consents.values().any(|c| {
            c.recipient == Recipient::Landlord && c.withdrawn_on.is_none_or(|w| w > a.advised_on)
        });
        if !consented {
            out.push(Finding::error(
                "renovation.landlord-without-consent",
                "landlord_contact",
                "Contact met de verhuurder vraagt een toestemming van het gezin.",
                "Contacting the landlord needs the household's consent.",
            ));
        }
    }
    let has_p1 = a.measures.values().any(|m| m.priority == Priority::P1);
    let derived = derived_defects(a);
    for (id, d) in &a.defects {
        if d.category == DefectCategory::III && !has_p1 {
            out.push(Finding::error(
                "defect.category-iii-needs-p1",
                FieldPath::of(["defects".to_owned(), id.to_string()]),
                "Een gebrek van categorie III vraagt een acute maatregel (prioriteit P1).",
                "A category III defect needs an acute measure (priority P1).",
            ));
        }
        if d.category == DefectCategory::III {
            out.push(Finding::flag(
                "defect.category-iii",
                FieldPath::of(["defects".to_owned(), id.to_string()]),
                format!(
                    "Gebrek categorie III: {}.",
                    d.element.label(crate::model::Lang::Nl)
                ),
                format!(
                    "Category III defect: {}.",
                    d.element.label(crate::model::Lang::En)
                ),
            ));
        }
    }
    for d in &derived {
        out.push(Finding::warning(
            "defect.derived",
            "defects",
            format!("Gebrek toegevoegd: {}.", d.description),
            format!(
                "Defect added: {} ({}).",
                d.element.label(crate::model::Lang::En),
                d.room.as_deref().unwrap_or("roof")
            ),
        ));
    }
    // The youngest the dwelling can be: its year, else the last year of
    // its build period.
    let dwelling_age = a
        .build_year
        .or_else(|| a.build_period.and_then(|p| p.years().1))
        .map(|y| this_year - y);
    for (id, m) in &a.measures {
        let field = FieldPath::of(["measures".to_owned(), id.to_string()]);
        match m.support {
            Some(Support::VerbouwPremie) => {
                if m.income_category.is_none() {
                    out.push(Finding::error(
                        "measure.premie-income-category",
                        &field,
                        "Mijn VerbouwPremie: kies de inkomenscategorie.",
                        "Mijn VerbouwPremie: choose the income category.",
                    ));
                }
                if case
                    .meter_checks
                    .values()
                    .all(|c| super::types::Ean::parse(&c.ean).is_err())
                {
                    out.push(Finding::warning(
                        "measure.premie-needs-ean",
                        &field,
                        "Mijn VerbouwPremie vraagt de EAN-code: registreer eerst een energiecheck.",
                        "Mijn VerbouwPremie needs the EAN: record an energy check first.",
                    ));
                }
            }
            Some(Support::VerbouwLening) => {
                if m.loan_cents.is_some_and(|c| c > LOAN_MAX_CENTS)
                    || m.loan_years.is_some_and(|y| y > LOAN_MAX_YEARS)
                {
                    out.push(Finding::error(
                        "measure.loan-limits",
                        &field,
                        "Mijn VerbouwLening: hoogstens € 60.000 over hoogstens 25 jaar.",
                        "Mijn VerbouwLening: at most €60,000 over at most 25 years.",
                    ));
                }
                if a.tenure != HousingSituation::OwnerOccupier {
                    out.push(Finding::warning(
                        "measure.loan-owner-only",
                        &field,
                        "Mijn VerbouwLening is enkel voor eigenaar-bewoners.",
                        "Mijn VerbouwLening is for owner-occupiers only.",
                    ));
                }
                if dwelling_age.is_none_or(|age| age < LOAN_MIN_DWELLING_AGE) {
                    out.push(Finding::warning(
                        "measure.loan-dwelling-age",
                        &field,
                        "Mijn VerbouwLening: de woning moet minstens 15 jaar oud zijn.",
                        "Mijn VerbouwLening: the dwelling must be at least 15 years old.",
                    ));
                }
            }
            _ => {}
        }
    }
    let tenant = matches!(
        a.tenure,
        HousingSituation::PrivateRent
            | HousingSituation::SocialRent
            | HousingSituation::SocialRentalAgency
    );
    if a.escalation == Escalation::WoonwijsInspection && tenant && a.landlord_notified_on.is_none()
    {
        out.push(Finding::error(
            "renovation.landlord-notice-missing",
            "landlord_notified_on",
            "Voor een conformiteitsonderzoek moet de huurder de verhuurder eerst schriftelijk verwittigd hebben: vul die datum in.",
            "Before a conformity inspection the tenant must have notified the landlord in writing: enter that date.",
        ));
    }
    if let Some(c) = &a.certificate {
        let max = c
            .date
            .checked_add_months(Months::new(12 * CERTIFICATE_MAX_YEARS));
        if c.valid_until <= c.date || max.is_none_or(|m| c.valid_until > m) {
            out.push(Finding::error(
                "renovation.certificate-validity",
                "certificate.valid_until",
                "Een conformiteitsattest is hoogstens 10 jaar geldig, na de datum van uitreiking.",
                "A conformity certificate is valid at most 10 years after its date.",
            ));
        }
    }
    if let Some(f) = a.follow_up_on
        && f < a.advised_on
    {
        out.push(Finding::error(
            "renovation.follow-up-before-advice",
            "follow_up_on",
            "De opvolgdatum ligt vóór het advies.",
            "The follow-up date is before the advice.",
        ));
    }
    out
}
