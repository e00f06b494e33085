//! Renovation advice: the dwelling, its defects and the measures advised.

use serde_json::json;

use super::{Group, Input, Spec, choices, f};
use crate::model::*;

pub(super) fn renovation() -> Spec {
    use Input::*;
    Spec {
        fields: vec![
            f("advised_on", "Datum", "Date", Date),
            f(
                "dwelling_type",
                "Soort woning",
                "Dwelling type",
                Choice(choices!(DwellingType)),
            ),
            f("build_year", "Bouwjaar", "Build year", Int).opt(),
            f(
                "build_period",
                "Bouwperiode (als het jaar niet gekend is)",
                "Build period (when the year is not known)",
                Choice(choices!(BuildPeriod)),
            )
            .opt(),
            f(
                "tenure",
                "Woonsituatie",
                "Tenure",
                Choice(choices!(HousingSituation)),
            )
            .start("private-rent"),
            f(
                "landlord_contact",
                "Contact verhuurder",
                "Landlord contact",
                Text,
            )
            .opt(),
            f("epc_label", "EPC-label", "EPC label", Text).opt(),
            f("epc_score", "EPC-score (kWh/m²)", "EPC score (kWh/m²)", Int).opt(),
            f("epc_date", "EPC-datum", "EPC date", Date).opt(),
            f(
                "smoke_detectors",
                "Verdiepingen met werkende rookmelder (één per regel)",
                "Floors with a working smoke detector (one per line)",
                KeysWith(true),
            ),
            f(
                "smoke_detectors",
                "Verdiepingen zonder werkende rookmelder (één per regel)",
                "Floors without a working smoke detector (one per line)",
                KeysWith(false),
            ),
            f(
                "roof_r_value",
                "R-waarde dak (m²K/W)",
                "Roof R-value (m²K/W)",
                Decimal,
            )
            .opt(),
            f(
                "escalation",
                "Escalatie",
                "Escalation",
                Choice(choices!(Escalation)),
            ),
            f(
                "landlord_notified_on",
                "Verhuurder verwittigd op",
                "Landlord notified on",
                Date,
            )
            .opt(),
            f(
                "certificate/date",
                "Conformiteitsattest van",
                "Conformity certificate from",
                Date,
            )
            .opt(),
            f(
                "certificate/valid_until",
                "Conformiteitsattest geldig tot",
                "Conformity certificate valid until",
                Date,
            )
            .opt(),
            f("follow_up_on", "Opvolging op", "Follow up on", Date).opt(),
            f("notes", "Notities", "Notes", LongText).opt(),
        ],
        groups: vec![
            Group {
                path: "defects",
                nl: "Gebreken",
                en: "Defects",
                add_nl: "Gebrek toevoegen",
                add_en: "Add a defect",
                fields: vec![
                    f(
                        "section",
                        "Onderdeel",
                        "Section",
                        Choice(choices!(DefectSection)),
                    ),
                    f(
                        "element",
                        "Element",
                        "Element",
                        Choice(choices!(DefectElement)),
                    ),
                    f("room", "Ruimte", "Room", Text).opt(),
                    f(
                        "severity",
                        "Ernst",
                        "Severity",
                        Choice(choices!(DefectSeverity)),
                    ),
                    f(
                        "category",
                        "Categorie",
                        "Category",
                        Choice(choices!(DefectCategory)),
                    ),
                    f("description", "Omschrijving", "Description", LongText),
                ],
                template: |_| {
                    json!({"section": "dwelling", "element": "condensation", "room": null,
                    "severity": "limited", "category": "I", "description": "", "derived": false})
                },
            },
            Group {
                path: "measures",
                nl: "Maatregelen",
                en: "Measures",
                add_nl: "Maatregel toevoegen",
                add_en: "Add a measure",
                fields: vec![
                    f("description", "Omschrijving", "Description", Text),
                    f(
                        "priority",
                        "Prioriteit",
                        "Priority",
                        Choice(choices!(Priority)),
                    ),
                    f(
                        "cost_cents",
                        "Geschatte kost (€)",
                        "Estimated cost (€)",
                        Money,
                    )
                    .opt(),
                    f("support", "Steun", "Support", Choice(choices!(Support))).opt(),
                    f(
                        "income_category",
                        "Inkomenscategorie",
                        "Income category",
                        Choice(choices!(IncomeCategory)),
                    )
                    .opt(),
                    f("loan_cents", "Lening (€)", "Loan (€)", Money).opt(),
                    f(
                        "loan_years",
                        "Looptijd lening (jaar)",
                        "Loan term (years)",
                        Int,
                    )
                    .opt(),
                ],
                template: |_| {
                    json!({"description": "", "priority": "P2", "cost_cents": null, "support": null,
                    "income_category": null, "loan_cents": null, "loan_years": null})
                },
            },
        ],
        nullable: &["certificate"],
        sections: super::RENOVATION_SECTIONS,
    }
}
