//! The household (the case itself), its members and their consents.

use super::{Input, Spec, choices, f, plain};
use crate::model::*;

pub(super) fn household() -> Spec {
    use Input::*;
    plain(vec![
        f("name", "Naam van het gezin", "Household name", Text),
        f("address/street", "Straat", "Street", Text),
        f("address/number", "Huisnummer", "Number", Text),
        f("address/box_number", "Bus", "Box", Text).opt(),
        f("address/postcode", "Postcode", "Postcode", Text),
        f("address/municipality", "Gemeente", "Municipality", Text).start("Harelbeke"),
        f("phone", "Telefoon", "Phone", Text).opt(),
        f("status", "Status", "Status", Choice(choices!(CaseStatus))).start("active"),
        f("opened_on", "Geopend op", "Opened on", Date),
        f("closed_on", "Afgesloten op", "Closed on", Date).opt(),
        f(
            "close_reason",
            "Reden van afsluiten",
            "Reason for closing",
            Text,
        )
        .opt(),
        f(
            "intake_channel",
            "Aangemeld via",
            "Intake channel",
            Choice(choices!(IntakeChannel)),
        ),
        f(
            "housing",
            "Woonsituatie",
            "Housing",
            Choice(choices!(HousingSituation)),
        )
        .start("private-rent"),
        f(
            "income_sources",
            "Inkomensbronnen",
            "Income sources",
            Codes(choices!(IncomeSource)),
        ),
        f(
            "statuses/protected_customer",
            "Beschermde afnemer",
            "Protected customer",
            Choice(choices!(YesNoUnknown)),
        ),
        f(
            "statuses/social_tariff",
            "Sociaal tarief",
            "Social tariff",
            Choice(choices!(YesNoUnknown)),
        ),
        f(
            "statuses/increased_allowance",
            "Verhoogde tegemoetkoming",
            "Increased allowance",
            Choice(choices!(YesNoUnknown)),
        ),
        f(
            "statuses/budget_guidance",
            "Budgetbegeleiding",
            "Budget guidance",
            Choice(choices!(YesNoUnknown)),
        ),
        f(
            "statuses/budget_management",
            "Budgetbeheer",
            "Budget management",
            Choice(choices!(YesNoUnknown)),
        ),
        f(
            "statuses/debt_settlement",
            "Collectieve schuldenregeling",
            "Debt settlement",
            Choice(choices!(YesNoUnknown)),
        ),
        f(
            "statuses/lac_file",
            "Dossier bij het LAC",
            "LAC file",
            Choice(choices!(YesNoUnknown)),
        ),
        f(
            "next_appointment",
            "Volgende afspraak",
            "Next appointment",
            DateTime,
        )
        .opt(),
        f("notes", "Notities", "Notes", LongText).opt(),
    ])
    .in_sections(super::HOUSEHOLD_SECTIONS)
}

pub(super) fn member() -> Spec {
    use Input::*;
    plain(vec![
        f("first_name", "Voornaam", "First name", Text),
        f("last_name", "Familienaam", "Last name", Text),
        f(
            "role",
            "Rol in het gezin",
            "Role",
            Choice(choices!(MemberRole)),
        )
        .start("child"),
        f("birth_year", "Geboortejaar", "Birth year", Int).opt(),
        f("birth_date", "Geboortedatum", "Birth date", Date).opt(),
        f("school", "School", "School", Text).opt(),
        f("class", "Klas", "Class", Text).opt(),
        f(
            "national_number",
            "Rijksregisternummer (enkel als nodig)",
            "National number (only when needed)",
            Text,
        )
        .opt(),
    ])
}

pub(super) fn consent() -> Spec {
    use Input::*;
    plain(vec![
        f("purpose", "Doel", "Purpose", Text),
        f(
            "recipient",
            "Aan wie",
            "Recipient",
            Choice(choices!(Recipient)),
        )
        .start("fluvius"),
        f(
            "data_categories",
            "Welke gegevens",
            "Data categories",
            Codes(choices!(DataCategory)),
        ),
        f("given_on", "Gegeven op", "Given on", Date),
        f("form", "Vorm", "Form", Choice(choices!(ConsentForm))).start("written"),
        f("withdrawn_on", "Ingetrokken op", "Withdrawn on", Date).opt(),
    ])
}
