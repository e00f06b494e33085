//! What each form asks, field by field: the path in the record's JSON, the
//! label in both languages, the input that fits (date, number with decimal
//! comma, choice, ...) and whether it may stay empty. One table per kind of
//! DOMAIN.md, plus a blank record to start a new one from.

use brug_shared::model::*;
use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::i18n::Lang;

/// The choices of a select: stable code and label.
pub type Choices = fn(Lang) -> Vec<(&'static str, &'static str)>;

macro_rules! choices {
    ($t:ty) => {
        (|lang| {
            <$t>::ALL
                .iter()
                .map(|v| (v.code(), v.label(lang)))
                .collect()
        }) as Choices
    };
}

/// The input a field gets.
#[derive(Debug, Clone, Copy)]
pub enum Input {
    /// One line of text.
    Text,
    /// Several lines of text.
    LongText,
    /// A date (the platform's date picker).
    Date,
    /// A date and time.
    DateTime,
    /// A whole number.
    Int,
    /// A number with decimal comma or point.
    Decimal,
    /// An amount in euro (stored in cents).
    Money,
    /// Yes or no.
    Bool,
    /// One of a list.
    Choice(Choices),
    /// Any of a list.
    Codes(Choices),
    /// One item per line.
    Lines,
    /// The keys of a map whose value is this boolean, one per line.
    KeysWith(bool),
}

/// One field of a form.
#[derive(Debug, Clone)]
pub struct Field {
    /// Path in the record's JSON, `/`-separated.
    pub path: String,
    /// Dutch label.
    pub nl: &'static str,
    /// English label.
    pub en: &'static str,
    /// The input.
    pub input: Input,
    /// May stay empty.
    pub optional: bool,
    /// Shown only when the sibling field (path relative to the same
    /// object) has one of these codes.
    pub when: Option<(&'static str, &'static [&'static str])>,
    /// A key of a map (a register, a small measure): left empty, the key
    /// is removed rather than set to null.
    pub map_entry: bool,
}

impl Field {
    /// The label in `lang`.
    pub fn label(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Nl => self.nl,
            Lang::En => self.en,
        }
    }

    fn opt(mut self) -> Self {
        self.optional = true;
        self
    }

    fn when(mut self, key: &'static str, codes: &'static [&'static str]) -> Self {
        self.when = Some((key, codes));
        self
    }
}

fn f(path: &str, nl: &'static str, en: &'static str, input: Input) -> Field {
    Field {
        path: path.to_owned(),
        nl,
        en,
        input,
        optional: false,
        when: None,
        map_entry: false,
    }
}

/// A collection inside a record (readings, defects, ...): a map keyed by
/// UUID whose items have their own fields.
#[derive(Debug, Clone)]
pub struct Group {
    /// Path of the map.
    pub path: &'static str,
    /// Title, Dutch.
    pub nl: &'static str,
    /// Title, English.
    pub en: &'static str,
    /// "Add" button text, Dutch.
    pub add_nl: &'static str,
    /// "Add" button text, English.
    pub add_en: &'static str,
    /// The fields of one item, paths relative to the item.
    pub fields: Vec<Field>,
    /// A new item.
    pub template: fn(NaiveDate) -> Value,
}

/// Which form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    /// A new or edited household (the case itself).
    Household,
    /// A record of a case.
    Record(RecordKind),
}

impl FormKind {
    /// The title of the form.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (FormKind::Household, Lang::Nl) => "gezin",
            (FormKind::Household, Lang::En) => "household",
            (FormKind::Record(k), lang) => k.label(lang),
        }
    }
}

/// A whole form.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The record's own fields.
    pub fields: Vec<Field>,
    /// Its collections.
    pub groups: Vec<Group>,
    /// Optional objects: emptied back to null when all their fields are.
    pub nullable: &'static [&'static str],
}

/// The form of a kind.
pub fn spec(kind: FormKind) -> Spec {
    match kind {
        FormKind::Household => household(),
        FormKind::Record(RecordKind::Member) => member(),
        FormKind::Record(RecordKind::Consent) => consent(),
        FormKind::Record(RecordKind::Visit) => visit(),
        FormKind::Record(RecordKind::MeterCheck) => meter_check(),
        FormKind::Record(RecordKind::EnergyScan) => energy_scan(),
        FormKind::Record(RecordKind::Renovation) => renovation(),
        FormKind::Record(RecordKind::Referral) => referral(),
    }
}

fn plain(fields: Vec<Field>) -> Spec {
    Spec {
        fields,
        groups: Vec::new(),
        nullable: &[],
    }
}

fn household() -> Spec {
    use Input::*;
    plain(vec![
        f("name", "Naam van het gezin", "Household name", Text),
        f("address/street", "Straat", "Street", Text),
        f("address/number", "Huisnummer", "Number", Text),
        f("address/box_number", "Bus", "Box", Text).opt(),
        f("address/postcode", "Postcode", "Postcode", Text),
        f("address/municipality", "Gemeente", "Municipality", Text),
        f("phone", "Telefoon", "Phone", Text).opt(),
        f("status", "Status", "Status", Choice(choices!(CaseStatus))),
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
        ),
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
}

fn member() -> Spec {
    use Input::*;
    plain(vec![
        f("first_name", "Voornaam", "First name", Text),
        f("last_name", "Familienaam", "Last name", Text),
        f(
            "role",
            "Rol in het gezin",
            "Role",
            Choice(choices!(MemberRole)),
        ),
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

fn consent() -> Spec {
    use Input::*;
    plain(vec![
        f("purpose", "Doel", "Purpose", Text),
        f(
            "recipient",
            "Aan wie",
            "Recipient",
            Choice(choices!(Recipient)),
        ),
        f(
            "data_categories",
            "Welke gegevens",
            "Data categories",
            Codes(choices!(DataCategory)),
        ),
        f("given_on", "Gegeven op", "Given on", Date),
        f("form", "Vorm", "Form", Choice(choices!(ConsentForm))),
        f("withdrawn_on", "Ingetrokken op", "Withdrawn on", Date).opt(),
    ])
}

fn visit() -> Spec {
    use Input::*;
    Spec {
        fields: vec![
            f(
                "kind",
                "Soort contact",
                "Kind of contact",
                Choice(choices!(VisitKind)),
            ),
            f("place", "Plaats", "Place", Choice(choices!(VisitPlace))),
            f(
                "outcome",
                "Verloop",
                "Outcome",
                Choice(choices!(VisitOutcome)),
            ),
            f(
                "present",
                "Aanwezig (één per regel)",
                "Present (one per line)",
                Lines,
            ),
            f("no_help_request", "Geen hulpvraag", "No help request", Bool),
            // Times after what a worker knows first at the kitchen table.
            f("start", "Begin", "Start", DateTime),
            f("end", "Einde", "End", DateTime).opt(),
            f("planned_at", "Gepland op", "Planned at", DateTime).opt(),
            f(
                "safety_signal",
                "Veiligheidssignaal",
                "Safety signal",
                Choice(choices!(SafetySignal)),
            ),
            f("follow_up_by", "Opvolgen tegen", "Follow up by", DateTime).opt(),
            f(
                "next_appointment",
                "Volgende afspraak",
                "Next appointment",
                DateTime,
            )
            .opt(),
            f("notes", "Verslag", "Notes", LongText).opt(),
        ],
        groups: vec![
            Group {
                path: "help_requests",
                nl: "Hulpvragen",
                en: "Help requests",
                add_nl: "Hulpvraag toevoegen",
                add_en: "Add a help request",
                fields: vec![
                    f(
                        "domain",
                        "Levensdomein",
                        "Life domain",
                        Choice(choices!(LifeDomain)),
                    ),
                    f("description", "Omschrijving", "Description", LongText),
                    f(
                        "urgency",
                        "Dringendheid",
                        "Urgency",
                        Choice(choices!(Urgency)),
                    ),
                ],
                template: |_| json!({"domain": "finances", "description": "", "urgency": "normal"}),
            },
            Group {
                path: "actions",
                nl: "Afspraken en acties",
                en: "Actions",
                add_nl: "Actie toevoegen",
                add_en: "Add an action",
                fields: vec![
                    f("what", "Wat", "What", Text),
                    f("who", "Wie", "Who", Text),
                    f("deadline", "Tegen", "Deadline", Date).opt(),
                    f("status", "Stand", "Status", Choice(choices!(ActionStatus))),
                ],
                template: |_| json!({"what": "", "who": "", "deadline": null, "status": "open"}),
            },
        ],
        nullable: &[],
    }
}

fn meter_check() -> Spec {
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
            ),
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
                        fs.push(Field {
                            path: format!("registers/{}", r.code()),
                            nl: r.label(Lang::Nl),
                            en: r.label(Lang::En),
                            input: Decimal,
                            optional: true,
                            when: None,
                            map_entry: true,
                        });
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
    }
}

fn energy_scan() -> Spec {
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
        f("glazing", "Beglazing", "Glazing", Choice(choices!(Glazing))),
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
        fields.push(Field {
            path: format!("small_measures/{}", m.code()),
            nl: m.label(Lang::Nl),
            en: m.label(Lang::En),
            input: Choice(choices!(SmallMeasureStatus)),
            optional: true,
            when: None,
            map_entry: true,
        });
    }
    fields.push(f("notes", "Notities", "Notes", LongText).opt());
    plain(fields)
}

fn renovation() -> Spec {
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
                "tenure",
                "Woonsituatie",
                "Tenure",
                Choice(choices!(HousingSituation)),
            ),
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
    }
}

fn referral() -> Spec {
    use Input::*;
    plain(vec![
        f(
            "service",
            "Dienst",
            "Service",
            Choice(|lang| {
                CATALOGUE
                    .iter()
                    .map(|s| (s.code, if lang == Lang::Nl { s.nl } else { s.en }))
                    .collect()
            }),
        ),
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
}

const REVIEW: fn() -> Value =
    || json!({"state": "draft", "reviewer": null, "at": null, "comment": "", "approved_heads": []});

/// A new, empty record of a kind, dated today.
pub fn blank(kind: FormKind, today: NaiveDate) -> Value {
    let d = today.to_string();
    let now = format!("{d}T{}", chrono::Local::now().format("%H:%M:00"));
    match kind {
        FormKind::Household => json!({
            "name": "", "status": "active", "opened_on": d, "closed_on": null, "close_reason": null,
            "intake_channel": "school",
            "address": {"street": "", "number": "", "box_number": null, "postcode": "", "municipality": "Harelbeke"},
            "housing": "private-rent", "phone": null, "income_sources": [], "statuses": {"protected_customer": "unknown", "social_tariff": "unknown", "increased_allowance": "unknown",
                "budget_guidance": "unknown", "budget_management": "unknown", "debt_settlement": "unknown", "lac_file": "unknown"},
            "next_appointment": null, "notes": ""
        }),
        FormKind::Record(RecordKind::Member) => json!({
            "first_name": "", "last_name": "", "birth_year": null, "birth_date": null, "role": "child",
            "school": null, "class": null, "national_number": null
        }),
        FormKind::Record(RecordKind::Consent) => json!({
            "purpose": "", "recipient": "fluvius", "data_categories": [], "given_on": d, "form": "written", "withdrawn_on": null
        }),
        FormKind::Record(RecordKind::Visit) => json!({
            "kind": "family-visit", "planned_at": null, "start": now, "end": null, "place": "home", "outcome": "done",
            "present": [], "help_requests": {}, "no_help_request": false, "actions": {}, "safety_signal": "none",
            "follow_up_by": null, "notes": "", "next_appointment": null, "review": REVIEW()
        }),
        FormKind::Record(RecordKind::MeterCheck) => json!({
            "checked_on": d, "energy": "electricity", "ean": "", "ean_override_reason": null, "meter_number": "",
            "meter_kind": "digital", "prepaid": false, "supplier_kind": "commercial", "supplier_name": null,
            "social_tariff": "unknown", "gas_type": null, "conversion_factor": null, "solar_panels": false,
            "main_heating": "gas", "meter_replaced_on": null, "readings": {}, "prepaid_status": null,
            "interventions": {}, "notes": "", "review": REVIEW()
        }),
        FormKind::Record(RecordKind::EnergyScan) => json!({
            "scanned_on": d, "heating": "gas", "heating_age_years": null, "heating_maintained": "unknown",
            "thermostat": "unknown", "hot_water": null, "roof_insulation": "unknown", "wall_insulation": "unknown",
            "floor_insulation": "unknown", "glazing": "double", "ventilation_open": "unknown", "damp_or_mould": "unknown",
            "non_led_lamps": null, "set_temperature": null, "drying_indoors": "unknown", "standby": "unknown",
            "small_measures": {}, "notes": ""
        }),
        FormKind::Record(RecordKind::Renovation) => json!({
            "advised_on": d, "dwelling_type": "terraced", "build_year": null, "tenure": "private-rent",
            "landlord_contact": null, "epc_label": null, "epc_score": null, "epc_date": null, "smoke_detectors": {},
            "roof_r_value": null, "defects": {}, "measures": {}, "escalation": "none", "landlord_notified_on": null,
            "certificate": null, "follow_up_on": null, "notes": "", "review": REVIEW()
        }),
        FormKind::Record(RecordKind::Referral) => json!({
            "service": "debt-help", "other_service": null, "reason": "finances", "referred_on": d, "handover": "warm",
            "data_shared": [], "legal_basis": null, "status": "proposed", "result": null, "appointment": null,
            "follow_up_on": null, "notes": "", "review": REVIEW()
        }),
    }
}
