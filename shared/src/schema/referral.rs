//! A referral to a service.

use super::{Input, Spec, choices, f, plain};
use crate::model::*;

pub(super) fn referral() -> Spec {
    use Input::*;
    plain(vec![
        f("service", "Dienst", "Service", Service),
        f(
            "other_service",
            "Naam van de dienst",
            "Name of the service",
            Text,
        )
        .opt()
        .when("service", &["other"]),
        f("reason", "Reden", "Reason", Choice(choices!(LifeDomain))),
        f("referred_on", "Doorverwezen op", "Referred on", Date),
        f(
            "handover",
            "Overdracht",
            "Handover",
            Choice(choices!(Handover)),
        ),
        f(
            "data_shared",
            "Gedeelde gegevens",
            "Data shared",
            Codes(choices!(DataCategory)),
        ),
        f(
            "legal_basis",
            "Wettelijke grond (als er geen toestemming is)",
            "Legal basis (without consent)",
            Text,
        )
        .opt(),
        f(
            "status",
            "Stand",
            "Status",
            Choice(choices!(ReferralStatus)),
        ),
        f("result", "Resultaat", "Result", Text).opt(),
        f("appointment", "Afspraak", "Appointment", DateTime).opt(),
        f("follow_up_on", "Opvolgen op", "Follow up on", Date).opt(),
        f("notes", "Notities", "Notes", LongText).opt(),
    ])
    .in_sections(super::REFERRAL_SECTIONS)
}
