//! Rules for referrals.

use super::{Finding, RuleContext, consent_covers};
use crate::model::{Case, Referral, ReferralStatus};

/// Whether a referral may move from `from` to `to`: only forward, and an
/// end state is final.
pub fn referral_transition_allowed(from: ReferralStatus, to: ReferralStatus) -> bool {
    from == to || (from.rank() < 3 && to.rank() > from.rank())
}

/// Checks a referral in `case`; `previous` is the stored version, if any.
pub fn check_referral(
    r: &Referral,
    previous: Option<&Referral>,
    case: &Case,
    ctx: &RuleContext,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(svc) = ctx.catalogue.service(&r.service) else {
        out.push(Finding::error(
            "referral.unknown-service",
            "service",
            format!("De dienst '{}' staat niet in de catalogus.", r.service),
            format!("The service '{}' is not in the catalogue.", r.service),
        ));
        return out;
    };
    if svc.retired && previous.is_none() {
        out.push(Finding::warning(
            "referral.service-retired",
            "service",
            format!("'{}' wordt niet meer aangeboden.", svc.nl),
            format!(
                "'{}' is no longer offered.",
                svc.name(crate::model::Lang::En)
            ),
        ));
    }
    if svc.code == "other"
        && r.other_service
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
    {
        out.push(Finding::error(
            "referral.other-name-missing",
            "other_service",
            "Vul de naam van de dienst in.",
            "Enter the name of the service.",
        ));
    }
    if let Some(recipient) = svc.recipient {
        let consented = case
            .consents
            .values()
            .any(|c| consent_covers(c, recipient, &r.data_shared, r.referred_on));
        let legal_basis = r
            .legal_basis
            .as_deref()
            .is_some_and(|b| !b.trim().is_empty());
        if !consented && !legal_basis {
            out.push(Finding::error(
                "referral.consent-missing",
                "data_shared",
                format!(
                    "Doorverwijzen naar {} deelt gegevens buiten het OCMW: registreer eerst een toestemming ({}) voor deze gegevens, of een wettelijke grond.",
                    svc.nl,
                    recipient.label(crate::model::Lang::Nl)
                ),
                format!(
                    "Referring to {} shares data outside the OCMW: record a consent ({}) for this data first, or a legal basis.",
                    svc.name(crate::model::Lang::En),
                    recipient.label(crate::model::Lang::En)
                ),
            ));
        }
    }
    if let Some(prev) = previous
        && !referral_transition_allowed(prev.status, r.status)
    {
        out.push(Finding::error(
            "referral.status-backwards",
            "status",
            format!(
                "Een doorverwijzing gaat niet terug van '{}' naar '{}'.",
                prev.status.label(crate::model::Lang::Nl),
                r.status.label(crate::model::Lang::Nl)
            ),
            format!(
                "A referral cannot go back from '{}' to '{}'.",
                prev.status.label(crate::model::Lang::En),
                r.status.label(crate::model::Lang::En)
            ),
        ));
    }
    if matches!(r.status, ReferralStatus::Done | ReferralStatus::NotTakenUp)
        && r.result.as_deref().is_none_or(|s| s.trim().is_empty())
    {
        out.push(Finding::error(
            "referral.result-missing",
            "result",
            "Vul het resultaat van de doorverwijzing in.",
            "Enter the result of the referral.",
        ));
    }
    let open = r.status.rank() < 3;
    // A consent withdrawn after the referral: what was shared then was
    // lawful, nothing more may follow. The supervisor sees which data went
    // where (a flag while the referral is open, a warning afterwards).
    let legal_basis = r
        .legal_basis
        .as_deref()
        .is_some_and(|b| !b.trim().is_empty());
    if let Some(recipient) = svc.recipient
        && !legal_basis
        && let Some(withdrawn) = case
            .consents
            .values()
            .filter(|c| consent_covers(c, recipient, &r.data_shared, r.referred_on))
            .filter_map(|c| c.withdrawn_on)
            .max()
        && withdrawn <= ctx.today()
        && !case
            .consents
            .values()
            .any(|c| consent_covers(c, recipient, &r.data_shared, ctx.today()))
    {
        let shared_nl: Vec<&str> = r
            .data_shared
            .iter()
            .map(|d| d.label(crate::model::Lang::Nl))
            .collect();
        let shared_en: Vec<&str> = r
            .data_shared
            .iter()
            .map(|d| d.label(crate::model::Lang::En))
            .collect();
        let nl = format!(
            "De toestemming voor {} werd ingetrokken op {}: deel niets meer. Gedeeld op {}: {}.",
            svc.nl,
            withdrawn.format("%d/%m/%Y"),
            r.referred_on.format("%d/%m/%Y"),
            shared_nl.join(", ")
        );
        let en = format!(
            "The consent for {} was withdrawn on {withdrawn}: share nothing more. Shared on {}: {}.",
            svc.name(crate::model::Lang::En),
            r.referred_on,
            shared_en.join(", ")
        );
        out.push(if open {
            Finding::flag("referral.consent-withdrawn", "data_shared", nl, en)
        } else {
            Finding::warning("referral.consent-withdrawn", "data_shared", nl, en)
        });
    }
    if open
        && let Some(f) = r.follow_up_on
        && f < ctx.today()
    {
        out.push(Finding::flag(
            "referral.follow-up-overdue",
            "follow_up_on",
            "De opvolgdatum van de doorverwijzing is voorbij.",
            "The referral's follow-up date has passed.",
        ));
    }
    out
}
