//! The energy-meter check and the energy scan.

use serde_json::json;

use super::{Field, Group, Input, Spec, choices, f, plain};
use crate::model::*;

pub(super) fn meter_check() -> Spec {
    use Input::*;
    Spec {
        fields: vec![
            f("checked_on", "Datum", "Date", Date),
            f("energy", "Energie", "Energy", Choice(choices!(EnergyType))),
            f("ean", "EAN-code (18 cijfers)", "EAN (18 digits)", Text),
            f(
                "ean_override_reason",
                "Reden als de EAN-code niet klopt",
                "Reason if the EAN does not check",
                Text,
            )
            .opt(),
            f("meter_number", "Meternummer", "Meter number", Text),
            f(
                "meter_kind",
                "Soort meter",
                "Meter kind",
                Choice(choices!(MeterKind)),
            )
            .start("digital"),
            f("prepaid", "Budgetmeter / voorafbetaling", "Prepaid", Bool),
            f(
                "supplier_kind",
                "Leverancier",
                "Supplier",
                Choice(choices!(SupplierKind)),
            ),
            f("supplier_name", "Naam leverancier", "Supplier name", Text).opt(),
            f(
                "social_tariff",
                "Sociaal tarief",
                "Social tariff",
                Choice(choices!(YesNoUnknown)),
            ),
            f("gas_type", "Gastype", "Gas type", Choice(choices!(GasType)))
                .opt()
                .when("energy", &["gas"]),
            f(
                "conversion_factor",
                "Omrekeningsfactor",
                "Conversion factor",
                Decimal,
            )
            .opt()
            .when("energy", &["gas"]),
            f("solar_panels", "Zonnepanelen", "Solar panels", Bool),
            f(
                "main_heating",
                "Hoofdverwarming",
                "Main heating",
                Choice(choices!(Heating)),
            ),
            f(
                "meter_replaced_on",
                "Meter vervangen op",
                "Meter replaced on",
                Date,
            )
            .opt(),
            f(
                "prepaid_status/balance_cents",
                "Saldo (€)",
                "Balance (€)",
                Money,
            )
            .opt(),
            f(
                "prepaid_status/debt_cents",
                "Energieschuld (€)",
                "Energy debt (€)",
                Money,
            )
            .opt(),
            f(
                "prepaid_status/last_top_up/date",
                "Laatste oplading op",
                "Last top-up on",
                Date,
            )
            .opt(),
            f(
                "prepaid_status/last_top_up/amount_cents",
                "Bedrag laatste oplading (€)",
                "Last top-up amount (€)",
                Money,
            )
            .opt(),
            f(
                "prepaid_status/last_top_up/channel",
                "Opgeladen via",
                "Topped up via",
                Choice(choices!(TopUpChannel)),
            )
            .opt(),
            f("notes", "Notities", "Notes", LongText).opt(),
        ],
        groups: vec![
            Group {
                path: "readings",
                nl: "Meterstanden",
                en: "Readings",
                add_nl: "Meterstand toevoegen",
                add_en: "Add a reading",
                fields: {
                    let mut fs = vec![
                        f("read_at", "Opgenomen op", "Read on", Date),
                        f("source", "Bron", "Source", Choice(choices!(ReadingSource))),
                    ];
                    for r in Register::ALL {
                        fs.push(Field::entry(
                            format!("registers/{}", r.code()),
                            r.label(Lang::Nl),
                            r.label(Lang::En),
                            Decimal,
                        ));
                    }
                    fs.push(
                        f(
                            "override_reason",
                            "Reden (stand lager dan vorige)",
                            "Reason (reading below the previous one)",
                            Text,
                        )
                        .opt(),
                    );
                    fs.push(
                        f(
                            "deviation_reason",
                            "Reden (groot verschil met vorig jaar)",
                            "Reason (large change from last year)",
                            Text,
                        )
                        .opt(),
                    );
                    fs
                },
                template: |today| {
                    json!({"read_at": today.to_string(), "source": "display", "registers": {},
                           "override_reason": null, "deviation_reason": null})
                },
            },
            Group {
                path: "interventions",
                nl: "Tussenkomsten van het OCMW",
                en: "OCMW interventions",
                add_nl: "Tussenkomst toevoegen",
                add_en: "Add an intervention",
                fields: vec![
                    f(
                        "type",
                        "Soort",
                        "Kind",
                        Choice(|lang| match lang {
                            Lang::Nl => vec![
                                ("contribution", "bijdrage in de factuur"),
                                ("payment-plan", "afbetalingsplan"),
                                ("lac", "LAC"),
                                ("energy-referral", "doorverwijzing energie"),
                            ],
                            Lang::En => vec![
                                ("contribution", "contribution"),
                                ("payment-plan", "payment plan"),
                                ("lac", "LAC"),
                                ("energy-referral", "energy referral"),
                            ],
                        }),
                    ),
                    f("purpose", "Waarvoor", "Purpose", Text).when("type", &["contribution"]),
                    f("amount_cents", "Bedrag (€)", "Amount (€)", Money)
                        .when("type", &["contribution"]),
                    f("beneficiary", "Aan wie", "Beneficiary", Text)
                        .when("type", &["contribution"]),
                    f("creditor", "Schuldeiser", "Creditor", Text).when("type", &["payment-plan"]),
                    f("monthly_cents", "Per maand (€)", "Monthly (€)", Money)
                        .when("type", &["payment-plan"]),
                    f("start", "Eerste betaling", "First payment", Date)
                        .when("type", &["payment-plan"]),
                    f("date", "Datum LAC", "LAC date", Date).when("type", &["lac"]),
                    f("decision", "Beslissing", "Decision", Text)
                        .opt()
                        .when("type", &["lac"]),
                    f("to", "Naar", "To", Text).when("type", &["energy-referral"]),
                ],
                template: |today| json!({"type": "contribution", "purpose": "", "amount_cents": null, "beneficiary": "", "date": today.to_string()}),
            },
        ],
        nullable: &["prepaid_status/last_top_up", "prepaid_status"],
        sections: super::METER_CHECK_SECTIONS,
    }
}

pub(super) fn energy_scan() -> Spec {
    use Input::*;
    let mut fields = vec![
        f("scanned_on", "Datum", "Date", Date),
        f(
            "heating",
            "Verwarming",
            "Heating",
            Choice(choices!(Heating)),
        ),
        f(
            "heating_age_years",
            "Leeftijd verwarming (jaar)",
            "Heating age (years)",
            Int,
        )
        .opt(),
        f(
            "heating_maintained",
            "Ketel onderhouden",
            "Boiler maintained",
            Choice(choices!(YesNoUnknown)),
        ),
        f(
            "thermostat",
            "Thermostaat",
            "Thermostat",
            Choice(choices!(YesNoUnknown)),
        ),
        f(
            "hot_water",
            "Warm water",
            "Hot water",
            Choice(choices!(Heating)),
        )
        .opt(),
        f(
            "roof_insulation",
            "Dakisolatie",
            "Roof insulation",
            Choice(choices!(Insulation)),
        ),
        f(
            "wall_insulation",
            "Muurisolatie",
            "Wall insulation",
            Choice(choices!(Insulation)),
        ),
        f(
            "floor_insulation",
            "Vloerisolatie",
            "Floor insulation",
            Choice(choices!(Insulation)),
        ),
        f("glazing", "Beglazing", "Glazing", Choice(choices!(Glazing))).start("double"),
        f(
            "ventilation_open",
            "Verluchting open",
            "Ventilation open",
            Choice(choices!(YesNoUnknown)),
        ),
        f(
            "damp_or_mould",
            "Vocht of schimmel",
            "Damp or mould",
            Choice(choices!(YesNoUnknown)),
        ),
        f("non_led_lamps", "Lampen zonder led", "Non-LED lamps", Int).opt(),
        f(
            "set_temperature",
            "Ingestelde temperatuur (°C)",
            "Set temperature (°C)",
            Decimal,
        )
        .opt(),
        f(
            "drying_indoors",
            "Was binnen drogen",
            "Drying indoors",
            Choice(choices!(YesNoUnknown)),
        ),
        f(
            "standby",
            "Toestellen op stand-by",
            "Appliances on standby",
            Choice(choices!(YesNoUnknown)),
        ),
    ];
    for m in SmallMeasure::ALL {
        fields.push(Field::entry(
            format!("small_measures/{}", m.code()),
            m.label(Lang::Nl),
            m.label(Lang::En),
            Choice(choices!(SmallMeasureStatus)),
        ));
    }
    fields.push(f("notes", "Notities", "Notes", LongText).opt());
    plain(fields).in_sections(super::ENERGY_SCAN_SECTIONS)
}
