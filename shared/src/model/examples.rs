//! A valid example of every record kind: for `brug-cli schema KIND`, demo
//! data and tests.
//!
//! Every value here is a literal checked by the tests, never input, so the
//! few `expect`s on parsing them cannot fire.
#![allow(clippy::expect_used)]

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use uuid::Uuid;

use super::*;
use crate::rules::types::{MeterNumber, Postcode};

/// A valid electricity EAN (check digit 5).
pub const EXAMPLE_EAN_ELECTRICITY: &str = "541448820000123455";
/// A valid gas EAN (check digit 0).
pub const EXAMPLE_EAN_GAS: &str = "541448820000678900";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("literal date")
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    date(y, m, d).and_hms_opt(h, min, 0).expect("literal time")
}

// Fixed ids keep examples stable between runs.
fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)
}

/// A household in Harelbeke.
pub fn household() -> Household {
    Household {
        name: "Familie Vermeulen".into(),
        status: CaseStatus::Active,
        opened_on: date(2026, 9, 1),
        closed_on: None,
        close_reason: None,
        intake_channel: IntakeChannel::School,
        address: Address {
            street: "Marktstraat".into(),
            number: "12".into(),
            box_number: None,
            postcode: Postcode::parse("8530").expect("literal postcode"),
            municipality: "Harelbeke".into(),
        },
        housing: HousingSituation::PrivateRent,
        phone: Some("056 12 34 56".into()),
        income_sources: vec![IncomeSource::Work],
        statuses: SocialStatuses::default(),
        next_appointment: None,
        notes: String::new(),
    }
}

/// A valid example record of `kind`.
pub fn example(kind: RecordKind) -> Record {
    match kind {
        RecordKind::Member => Record::Member(Member {
            first_name: "An".into(),
            last_name: "Vermeulen".into(),
            birth_year: Some(1985),
            birth_date: None,
            role: MemberRole::Reference,
            school: None,
            class: None,
            national_number: None,
        }),
        RecordKind::Consent => Record::Consent(Consent {
            purpose: "Aanmelding bij Fluvius voor het sociaal tarief".into(),
            recipient: Recipient::Fluvius,
            data_categories: vec![DataCategory::Identity, DataCategory::Energy],
            given_on: date(2026, 9, 1),
            form: ConsentForm::Written,
            withdrawn_on: None,
        }),
        RecordKind::Visit => Record::Visit(Visit {
            kind: VisitKind::FamilyVisit,
            planned_at: Some(at(2026, 10, 5, 14, 0)),
            start: at(2026, 10, 5, 14, 0),
            end: Some(at(2026, 10, 5, 15, 15)),
            place: VisitPlace::Home,
            outcome: VisitOutcome::Done,
            present: vec!["An Vermeulen".into()],
            help_requests: BTreeMap::from([(
                id(1),
                HelpRequest {
                    domain: LifeDomain::Energy,
                    description: "Het huis is koud; de gasmeter staat op nul.".into(),
                    urgency: Urgency::High,
                },
            )]),
            no_help_request: false,
            actions: BTreeMap::from([(
                id(2),
                Action {
                    what: "Energiecheck plannen met de woonadviseur".into(),
                    who: "brugfiguur".into(),
                    deadline: Some(date(2026, 10, 12)),
                    status: ActionStatus::Open,
                },
            )]),
            safety_signal: SafetySignal::None,
            follow_up_by: None,
            notes: "Moeder vraagt hulp bij de energiefactuur.".into(),
            next_appointment: Some(at(2026, 10, 19, 14, 0)),
            review: Review::default(),
        }),
        RecordKind::MeterCheck => Record::MeterCheck(MeterCheck {
            checked_on: date(2026, 10, 12),
            energy: EnergyType::Electricity,
            ean: EXAMPLE_EAN_ELECTRICITY.into(),
            ean_override_reason: None,
            meter_number: MeterNumber::parse("0012345678").expect("literal meter number"),
            meter_kind: MeterKind::Digital,
            prepaid: false,
            supplier_kind: SupplierKind::Commercial,
            supplier_name: Some("Engie".into()),
            social_tariff: YesNoUnknown::No,
            gas_type: None,
            conversion_factor: None,
            solar_panels: false,
            main_heating: Heating::Gas,
            meter_replaced_on: None,
            readings: BTreeMap::from([(
                id(3),
                Reading {
                    read_at: date(2026, 10, 12),
                    source: ReadingSource::Display,
                    registers: BTreeMap::from([
                        (Register::ConsumptionDay, 10234.5),
                        (Register::ConsumptionNight, 8123.0),
                        (Register::InjectionDay, 0.0),
                        (Register::InjectionNight, 0.0),
                    ]),
                    override_reason: None,
                    deviation_reason: None,
                },
            )]),
            prepaid_status: None,
            interventions: BTreeMap::new(),
            notes: String::new(),
            review: Review::default(),
        }),
        RecordKind::EnergyScan => Record::EnergyScan(EnergyScan {
            scanned_on: date(2026, 10, 20),
            heating: Heating::Gas,
            heating_age_years: Some(18),
            heating_maintained: YesNoUnknown::No,
            thermostat: YesNoUnknown::Yes,
            hot_water: Some(Heating::Gas),
            roof_insulation: Insulation::No,
            wall_insulation: Insulation::Unknown,
            floor_insulation: Insulation::No,
            glazing: Glazing::Single,
            ventilation_open: YesNoUnknown::No,
            damp_or_mould: YesNoUnknown::Yes,
            non_led_lamps: Some(6),
            set_temperature: Some(20.0),
            drying_indoors: YesNoUnknown::Yes,
            standby: YesNoUnknown::Unknown,
            small_measures: BTreeMap::from([(
                SmallMeasure::LedLamps,
                SmallMeasureStatus::Installed,
            )]),
            notes: String::new(),
        }),
        RecordKind::Renovation => Record::Renovation(RenovationAdvice {
            advised_on: date(2026, 10, 20),
            dwelling_type: DwellingType::Terraced,
            build_year: Some(1958),
            build_period: Some(BuildPeriod::From1946),
            tenure: HousingSituation::PrivateRent,
            landlord_contact: None,
            epc_label: Some("E".into()),
            epc_score: Some(480),
            epc_date: None,
            smoke_detectors: BTreeMap::from([
                ("gelijkvloers".into(), true),
                ("eerste verdieping".into(), true),
            ]),
            roof_r_value: Some(1.2),
            defects: BTreeMap::from([(
                id(4),
                Defect {
                    section: DefectSection::Dwelling,
                    element: DefectElement::Condensation,
                    room: Some("slaapkamer".into()),
                    severity: DefectSeverity::Limited,
                    category: DefectCategory::I,
                    description: "Schimmel in de hoek van het plafond.".into(),
                    derived: false,
                },
            )]),
            measures: BTreeMap::from([(
                id(5),
                Measure {
                    description: "Verluchtingsroosters plaatsen en openhouden".into(),
                    priority: Priority::P2,
                    cost_cents: Some(45_000),
                    support: None,
                    income_category: None,
                    loan_cents: None,
                    loan_years: None,
                },
            )]),
            escalation: Escalation::None,
            landlord_notified_on: None,
            certificate: None,
            follow_up_on: Some(date(2026, 12, 1)),
            notes: String::new(),
            review: Review::default(),
        }),
        RecordKind::Referral => Record::Referral(Referral {
            service: "debt-help".into(),
            other_service: None,
            reason: LifeDomain::Finances,
            referred_on: date(2026, 10, 5),
            handover: Handover::Warm,
            data_shared: vec![],
            legal_basis: None,
            status: ReferralStatus::Proposed,
            result: None,
            appointment: None,
            follow_up_on: None,
            notes: String::new(),
            review: Review::default(),
        }),
    }
}

/// A team's own service, not in the built-in catalogue: the repair café,
/// every first Saturday 9:00–12:00, no closing days.
pub fn local_service() -> Service {
    Service {
        code: "repair-cafe".into(),
        nl: "repaircafé De Vonk".into(),
        en: "repair café De Vonk".into(),
        organisation: "Buurtwerk Harelbeke".into(),
        action: "SDG 11: betaalbaar en duurzaam wonen".into(),
        sdgs: vec![11],
        recipient: None,
        address: "Marktstraat 1, 8530 Harelbeke".into(),
        sessions: vec![Session {
            when: Recurrence::Monthly {
                nth: 1,
                weekday: chrono::Weekday::Sat,
            },
            start: at(2026, 1, 1, 9, 0).time(),
            end: at(2026, 1, 1, 12, 0).time(),
            place: "OC De Vonk".into(),
        }],
        closed: Vec::new(),
        retired: false,
    }
}
