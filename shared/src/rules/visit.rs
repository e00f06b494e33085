//! Rules for home visits.

use chrono::Duration;

use super::{Finding, RuleContext};
use crate::model::{SafetySignal, Visit, VisitOutcome};
use crate::schema::FieldPath;

/// A visit longer than this warns.
pub const VISIT_WARN_HOURS: i64 = 3;
/// A visit longer than this is refused.
pub const VISIT_BLOCK_HOURS: i64 = 8;
/// Longest help-request description.
pub const HELP_REQUEST_MAX_CHARS: usize = 280;
/// Longest visit notes.
pub const NOTES_MAX_CHARS: usize = 2000;

/// Checks a home visit.
pub fn check_visit(v: &Visit, ctx: &RuleContext) -> Vec<Finding> {
    let mut out = Vec::new();
    let visit_date = v.start.date();

    if let Some(end) = v.end {
        let length = end - v.start;
        if length <= Duration::zero() {
            out.push(Finding::error(
                "visit.end-before-start",
                "end",
                "Het einde ligt niet na het begin.",
                "The end is not after the start.",
            ));
        } else if length > Duration::hours(VISIT_BLOCK_HOURS) {
            out.push(Finding::error(
                "visit.too-long",
                "end",
                format!("Een bezoek van meer dan {VISIT_BLOCK_HOURS} uur kan niet; kijk het einde na."),
                format!("A visit longer than {VISIT_BLOCK_HOURS} hours is not possible; check the end time."),
            ));
        } else if length > Duration::hours(VISIT_WARN_HOURS) {
            out.push(Finding::warning(
                "visit.long",
                "end",
                format!("Het bezoek duurde meer dan {VISIT_WARN_HOURS} uur; klopt dat?"),
                format!("The visit lasted more than {VISIT_WARN_HOURS} hours; is that right?"),
            ));
        }
    }

    let no_contact = matches!(v.outcome, VisitOutcome::NotAtHome | VisitOutcome::Refused);
    if no_contact && (!v.help_requests.is_empty() || !v.actions.is_empty()) {
        out.push(Finding::error(
            "visit.no-contact-with-requests",
            "outcome",
            "Niemand thuis of geweigerd: dan zijn er geen hulpvragen of acties.",
            "Not at home or refused: there can be no help requests or actions.",
        ));
    }
    if v.outcome == VisitOutcome::Done {
        if v.present.is_empty() {
            out.push(Finding::error(
                "visit.nobody-present",
                "present",
                "Duid aan wie aanwezig was.",
                "Mark who was present.",
            ));
        }
        if v.help_requests.is_empty() && !v.no_help_request {
            out.push(Finding::error(
                "visit.help-request-missing",
                "help_requests",
                "Voeg minstens één hulpvraag toe, of duid 'geen hulpvraag' aan.",
                "Add at least one help request, or mark 'no help request'.",
            ));
        }
    }
    for (id, h) in &v.help_requests {
        if h.description.chars().count() > HELP_REQUEST_MAX_CHARS {
            out.push(Finding::error(
                "help-request.too-long",
                FieldPath::of(["help_requests", &id.to_string(), "description"]),
                format!("Een hulpvraag is hoogstens {HELP_REQUEST_MAX_CHARS} tekens."),
                format!("A help request is at most {HELP_REQUEST_MAX_CHARS} characters."),
            ));
        }
    }
    for (id, a) in &v.actions {
        if let Some(deadline) = a.deadline
            && deadline < visit_date
        {
            out.push(Finding::error(
                "action.deadline-before-visit",
                FieldPath::of(["actions", &id.to_string(), "deadline"]),
                "De deadline van een actie ligt vóór het bezoek.",
                "An action's deadline is before the visit.",
            ));
        }
    }
    if v.safety_signal != SafetySignal::None {
        out.push(Finding::flag(
            "visit.safety-signal",
            "safety_signal",
            format!(
                "Signaal over veiligheid: {}. Opvolging binnen {} uur.",
                v.safety_signal.label(crate::model::Lang::Nl),
                ctx.thresholds.safety_follow_up_hours
            ),
            format!(
                "Safety signal: {}. Follow up within {} hours.",
                v.safety_signal.label(crate::model::Lang::En),
                ctx.thresholds.safety_follow_up_hours
            ),
        ));
        let limit = v.start + Duration::hours(ctx.thresholds.safety_follow_up_hours);
        match v.follow_up_by {
            None => out.push(Finding::error(
                "visit.safety-follow-up-missing",
                "follow_up_by",
                "Plan een opvolging voor het veiligheidssignaal.",
                "Plan a follow-up for the safety signal.",
            )),
            Some(at) if at > limit => out.push(Finding::error(
                "visit.safety-follow-up-late",
                "follow_up_by",
                format!(
                    "De opvolging moet binnen {} uur na het bezoek.",
                    ctx.thresholds.safety_follow_up_hours
                ),
                format!(
                    "The follow-up must be within {} hours of the visit.",
                    ctx.thresholds.safety_follow_up_hours
                ),
            )),
            Some(_) => {}
        }
    }
    if v.notes.chars().count() > NOTES_MAX_CHARS {
        out.push(Finding::error(
            "visit.notes-too-long",
            "notes",
            format!("De notities zijn hoogstens {NOTES_MAX_CHARS} tekens."),
            format!("Notes are at most {NOTES_MAX_CHARS} characters."),
        ));
    }
    out.extend(check_sensitive_text(&v.notes, &"notes".into()));
    if let Some(next) = v.next_appointment
        && next.date() < visit_date
    {
        out.push(Finding::error(
            "visit.next-appointment-before-visit",
            "next_appointment",
            "De volgende afspraak ligt vóór het bezoek.",
            "The next appointment is before the visit.",
        ));
    }
    if v.start.date() > ctx.today() && v.outcome == VisitOutcome::Done {
        out.push(Finding::error(
            "visit.done-in-future",
            "start",
            "Een bezoek in de toekomst kan nog niet doorgegaan zijn.",
            "A visit in the future cannot be done yet.",
        ));
    }
    out
}

/// Warns when free text looks like it holds a national register number or
/// an IBAN: those belong in their own fields, if anywhere.
pub fn check_sensitive_text(text: &str, field: &FieldPath) -> Vec<Finding> {
    let mut out = Vec::new();
    if looks_like_national_number(text) {
        out.push(Finding::warning(
            "text.national-number",
            field,
            "De tekst lijkt een rijksregisternummer te bevatten; laat het weg.",
            "The text seems to hold a national register number; leave it out.",
        ));
    }
    if looks_like_iban(text) {
        out.push(Finding::warning(
            "text.iban",
            field,
            "De tekst lijkt een rekeningnummer (IBAN) te bevatten; laat het weg.",
            "The text seems to hold a bank account number (IBAN); leave it out.",
        ));
    }
    out
}

/// Eleven digits in a row, allowing the usual separators.
fn looks_like_national_number(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            run += 1;
            if run == 11 {
                return true;
            }
        } else if !matches!(c, '.' | '-' | ' ') || run == 0 {
            run = 0;
        }
    }
    false
}

/// Two letters, two digits and at least ten more letters or digits, spaces
/// allowed ("BE68 5390 0754 7034").
fn looks_like_iban(text: &str) -> bool {
    let compact: Vec<char> = text.chars().filter(|c| *c != ' ').collect();
    compact.windows(16).any(|w| {
        w[0].is_ascii_uppercase()
            && w[1].is_ascii_uppercase()
            && w[2].is_ascii_digit()
            && w[3].is_ascii_digit()
            && w[4..].iter().all(|c| c.is_ascii_alphanumeric())
    })
}
