//! Rules for the household, its members and consents.

use std::collections::BTreeMap;

use chrono::Datelike;
use uuid::Uuid;

use super::{Finding, RuleContext};
use crate::model::{Case, CaseStatus, Consent, Household, Member, MemberRole};

/// Oldest age we accept for a member.
pub const MAX_AGE: i32 = 110;

/// Whether a case may move from `from` to `to`: registered → active →
/// on hold ↔ active → closed; a closed case may be reopened as active.
pub fn status_transition_allowed(from: CaseStatus, to: CaseStatus) -> bool {
    use CaseStatus::*;
    from == to
        || matches!(
            (from, to),
            (Registered, Active)
                | (Registered, Closed)
                | (Active, OnHold)
                | (Active, Closed)
                | (OnHold, Active)
                | (OnHold, Closed)
                | (Closed, Active)
        )
}

/// Checks the household fields; `previous` is the status before this edit.
pub fn check_household(
    h: &Household,
    previous: Option<CaseStatus>,
    ctx: &RuleContext,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(prev) = previous
        && !status_transition_allowed(prev, h.status)
    {
        out.push(Finding::error(
            "case.status-transition",
            "status",
            format!(
                "Een dossier kan niet van '{}' naar '{}' gaan.",
                prev.label(crate::model::Lang::Nl),
                h.status.label(crate::model::Lang::Nl)
            ),
            format!(
                "A case cannot go from '{}' to '{}'.",
                prev.label(crate::model::Lang::En),
                h.status.label(crate::model::Lang::En)
            ),
        ));
    }
    if h.status == CaseStatus::Closed {
        match h.closed_on {
            None => out.push(Finding::error(
                "case.closing-date-missing",
                "closed_on",
                "Vul de datum van afsluiten in.",
                "Enter the closing date.",
            )),
            Some(d) if d < h.opened_on => out.push(Finding::error(
                "case.closing-before-opening",
                "closed_on",
                "De datum van afsluiten ligt vóór de opening van het dossier.",
                "The closing date is before the case was opened.",
            )),
            Some(_) => {}
        }
        if h.close_reason
            .as_deref()
            .is_none_or(|r| r.trim().is_empty())
        {
            out.push(Finding::error(
                "case.closing-reason-missing",
                "close_reason",
                "Geef een reden om het dossier af te sluiten.",
                "Give a reason for closing the case.",
            ));
        }
    }
    if !ctx
        .thresholds
        .home_postcodes
        .contains(&h.address.postcode.value())
    {
        out.push(Finding::warning(
            "address.outside-area",
            "address.postcode",
            format!(
                "Postcode {} ligt buiten Harelbeke; klopt het adres?",
                h.address.postcode
            ),
            format!(
                "Postcode {} is outside Harelbeke; is the address right?",
                h.address.postcode
            ),
        ));
    }
    if h.opened_on > ctx.today() {
        out.push(Finding::error(
            "case.opened-in-future",
            "opened_on",
            "De openingsdatum ligt in de toekomst.",
            "The opening date is in the future.",
        ));
    }
    out
}

/// Checks that the members, as they will be after an edit, include a
/// reference person.
pub fn check_members(members: &BTreeMap<Uuid, Member>) -> Vec<Finding> {
    if members.values().any(|m| m.role == MemberRole::Reference) {
        Vec::new()
    } else {
        vec![Finding::error(
            "members.no-reference-person",
            "role",
            "Een gezin heeft minstens één referentiepersoon. Voeg die eerst toe.",
            "A household needs at least one reference person. Add that person first.",
        )]
    }
}

/// Checks one member about to be saved as `id` in `case`.
pub fn check_member(m: &Member, id: Uuid, case: &Case, ctx: &RuleContext) -> Vec<Finding> {
    let mut out = Vec::new();
    let today = ctx.today();
    if let Some(born) = m.birth_date
        && born > today
    {
        out.push(Finding::error(
            "member.birth-in-future",
            "birth_date",
            "De geboortedatum ligt in de toekomst.",
            "The birth date is in the future.",
        ));
    }
    let birth_year = m.birth_date.map(|d| d.year()).or(m.birth_year);
    if let Some(year) = birth_year {
        let age = today.year() - year;
        if !(0..=MAX_AGE).contains(&age) {
            out.push(Finding::error(
                "member.age-out-of-range",
                "birth_year",
                format!("Een leeftijd van {age} jaar kan niet: 0 tot {MAX_AGE} jaar."),
                format!("An age of {age} years is not possible: 0 to {MAX_AGE} years."),
            ));
        }
    }
    if m.first_name.trim().is_empty() {
        out.push(Finding::error(
            "member.first-name-missing",
            "first_name",
            "Vul de voornaam in.",
            "Enter the first name.",
        ));
    }
    let mut after = case.members.clone();
    after.insert(id, m.clone());
    out.extend(check_members(&after));
    out
}

/// Checks a consent.
pub fn check_consent(c: &Consent) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(w) = c.withdrawn_on
        && w < c.given_on
    {
        out.push(Finding::error(
            "consent.withdrawn-before-given",
            "withdrawn_on",
            "De intrekking ligt vóór de datum van toestemming.",
            "The withdrawal is before the date the consent was given.",
        ));
    }
    if c.data_categories.is_empty() {
        out.push(Finding::error(
            "consent.no-data-categories",
            "data_categories",
            "Kies welke gegevens gedeeld mogen worden.",
            "Choose which data may be shared.",
        ));
    }
    if c.purpose.trim().is_empty() {
        out.push(Finding::error(
            "consent.no-purpose",
            "purpose",
            "Vul het doel van de toestemming in.",
            "Enter the purpose of the consent.",
        ));
    }
    out
}

/// Whether `consent` covers sharing `categories` with `recipient` on `on`.
pub fn consent_covers(
    consent: &Consent,
    recipient: crate::model::Recipient,
    categories: &[crate::model::DataCategory],
    on: chrono::NaiveDate,
) -> bool {
    consent.recipient == recipient
        && consent.given_on <= on
        && consent.withdrawn_on.is_none_or(|w| w > on)
        && categories
            .iter()
            .all(|c| consent.data_categories.contains(c))
}
