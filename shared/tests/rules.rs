//! One test per rule of DOMAIN.md: each with a value that passes and one
//! that fails.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::collections::BTreeMap;

use brug_shared::model::examples::{self, EXAMPLE_EAN_ELECTRICITY, EXAMPLE_EAN_GAS};
use brug_shared::model::*;
use brug_shared::rules::types::*;
use brug_shared::rules::*;
use chrono::{NaiveDate, NaiveDateTime};
use uuid::Uuid;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
    date(y, m, d).and_hms_opt(h, 0, 0).unwrap()
}

fn ctx() -> RuleContext {
    RuleContext::at(at(2026, 11, 26, 10))
}

fn empty_case() -> Case {
    Case {
        id: Uuid::now_v7(),
        schema: 1,
        household: examples::household(),
        members: BTreeMap::new(),
        consents: BTreeMap::new(),
        visits: BTreeMap::new(),
        meter_checks: BTreeMap::new(),
        energy_scans: BTreeMap::new(),
        renovations: BTreeMap::new(),
        referrals: BTreeMap::new(),
        attachments: BTreeMap::new(),
    }
}

fn visit() -> Visit {
    match examples::example(RecordKind::Visit) {
        Record::Visit(v) => v,
        _ => unreachable!(),
    }
}

fn meter() -> MeterCheck {
    match examples::example(RecordKind::MeterCheck) {
        Record::MeterCheck(m) => m,
        _ => unreachable!(),
    }
}

fn advice() -> RenovationAdvice {
    match examples::example(RecordKind::Renovation) {
        Record::Renovation(r) => r,
        _ => unreachable!(),
    }
}

fn referral() -> Referral {
    match examples::example(RecordKind::Referral) {
        Record::Referral(r) => r,
        _ => unreachable!(),
    }
}

fn member(role: MemberRole) -> Member {
    match examples::example(RecordKind::Member) {
        Record::Member(mut m) => {
            m.role = role;
            m
        }
        _ => unreachable!(),
    }
}

fn codes(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.code.as_str()).collect()
}

// ---------------------------------------------------------------- examples

#[test]
fn every_example_record_passes_its_rules() {
    let mut case = empty_case();
    let ref_id = Uuid::now_v7();
    case.members.insert(ref_id, member(MemberRole::Reference));
    for kind in RecordKind::ALL {
        let record = examples::example(*kind);
        let findings = check_record(&case, Uuid::now_v7(), &record, None, &ctx());
        assert!(!blocks(&findings), "{kind:?}: {:?}", codes(&findings));
    }
    assert!(!blocks(&check_household(
        &examples::household(),
        None,
        &ctx()
    )));
}

// ---------------------------------------------------------------- case

#[test]
fn closing_a_case_needs_a_date_not_before_opening_and_a_reason() {
    let mut h = examples::household();
    h.status = CaseStatus::Closed;
    let f = check_household(&h, Some(CaseStatus::Active), &ctx());
    assert!(has_code(&f, "case.closing-date-missing"));
    assert!(has_code(&f, "case.closing-reason-missing"));

    h.closed_on = Some(date(2026, 8, 1));
    h.close_reason = Some("Doelen bereikt".into());
    let f = check_household(&h, Some(CaseStatus::Active), &ctx());
    assert!(has_code(&f, "case.closing-before-opening"));

    h.closed_on = Some(date(2026, 11, 1));
    assert!(!blocks(&check_household(
        &h,
        Some(CaseStatus::Active),
        &ctx()
    )));
}

#[test]
fn case_status_follows_registered_active_on_hold_closed() {
    assert!(status_transition_allowed(
        CaseStatus::Registered,
        CaseStatus::Active
    ));
    assert!(status_transition_allowed(
        CaseStatus::Active,
        CaseStatus::OnHold
    ));
    assert!(status_transition_allowed(
        CaseStatus::OnHold,
        CaseStatus::Active
    ));
    assert!(!status_transition_allowed(
        CaseStatus::OnHold,
        CaseStatus::Registered
    ));
    assert!(!status_transition_allowed(
        CaseStatus::Active,
        CaseStatus::Registered
    ));
    let mut h = examples::household();
    h.status = CaseStatus::Registered;
    assert!(has_code(
        &check_household(&h, Some(CaseStatus::Active), &ctx()),
        "case.status-transition"
    ));
}

#[test]
fn postcode_is_four_digits_between_1000_and_9992() {
    assert!(Postcode::parse("8530").is_ok());
    assert!(Postcode::parse("1000").is_ok());
    assert!(Postcode::parse("9992").is_ok());
    assert!(Postcode::parse("9993").is_err());
    assert!(Postcode::parse("0999").is_err());
    assert!(Postcode::parse("853").is_err());
    assert!(Postcode::parse("85a0").is_err());
    // A bad postcode cannot even be read into a household.
    let mut json = serde_json::to_value(examples::household()).unwrap();
    json["address"]["postcode"] = "12345".into();
    assert!(serde_json::from_value::<Household>(json).is_err());
}

#[test]
fn postcode_outside_harelbeke_warns_but_does_not_block() {
    let mut h = examples::household();
    h.address.postcode = Postcode::parse("8531").unwrap();
    assert!(check_household(&h, None, &ctx()).is_empty());
    h.address.postcode = Postcode::parse("8500").unwrap();
    let f = check_household(&h, None, &ctx());
    assert!(has_code(&f, "address.outside-area"));
    assert!(!blocks(&f));
}

#[test]
fn a_household_needs_a_reference_person() {
    let case = empty_case();
    let f = check_member(&member(MemberRole::Child), Uuid::now_v7(), &case, &ctx());
    assert!(has_code(&f, "members.no-reference-person"));
    let f = check_member(
        &member(MemberRole::Reference),
        Uuid::now_v7(),
        &case,
        &ctx(),
    );
    assert!(!blocks(&f));
    // Turning the only reference person into a partner is refused.
    let mut case = empty_case();
    let id = Uuid::now_v7();
    case.members.insert(id, member(MemberRole::Reference));
    assert!(has_code(
        &check_member(&member(MemberRole::Partner), id, &case, &ctx()),
        "members.no-reference-person"
    ));
}

#[test]
fn birth_date_not_in_future_and_age_between_0_and_110() {
    let mut case = empty_case();
    case.members
        .insert(Uuid::now_v7(), member(MemberRole::Reference));
    let mut m = member(MemberRole::Child);
    m.birth_year = None;
    m.birth_date = Some(date(2027, 1, 1));
    assert!(has_code(
        &check_member(&m, Uuid::now_v7(), &case, &ctx()),
        "member.birth-in-future"
    ));
    m.birth_date = Some(date(2020, 5, 4));
    assert!(check_member(&m, Uuid::now_v7(), &case, &ctx()).is_empty());
    m.birth_date = None;
    m.birth_year = Some(1900);
    assert!(has_code(
        &check_member(&m, Uuid::now_v7(), &case, &ctx()),
        "member.age-out-of-range"
    ));
    m.birth_year = Some(1916);
    assert!(!blocks(&check_member(&m, Uuid::now_v7(), &case, &ctx())));
}

#[test]
fn national_number_mod_97_before_2000() {
    assert!(NationalNumber::parse("85073003328").is_ok());
    assert!(NationalNumber::parse("85.07.30-033.28").is_ok());
    assert!(NationalNumber::parse("85073003329").is_err());
    assert!(NationalNumber::parse("8507300332").is_err());
}

#[test]
fn national_number_mod_97_from_2000_uses_a_leading_2() {
    // Born 15 March 2012: check over 2120315123.
    assert!(NationalNumber::parse("12031512320").is_ok());
    // The same digits checked the pre-2000 way do not pass.
    let pre_2000_check = 97 - 120315123u64 % 97;
    assert_ne!(pre_2000_check, 20);
    assert!(NationalNumber::parse(&format!("120315123{pre_2000_check:02}")).is_ok());
    assert!(NationalNumber::parse("12031512321").is_err());
}

#[test]
fn national_number_is_masked_for_display() {
    let n = NationalNumber::parse("85073003328").unwrap();
    assert_eq!(n.masked(), "**.**.**-***.28");
    assert!(!n.masked().contains("850730"));
}

#[test]
fn sharing_outside_the_ocmw_needs_a_matching_consent() {
    let consent = match examples::example(RecordKind::Consent) {
        Record::Consent(c) => c,
        _ => unreachable!(),
    };
    let on = date(2026, 10, 1);
    assert!(consent_covers(
        &consent,
        Recipient::Fluvius,
        &[DataCategory::Energy],
        on
    ));
    assert!(!consent_covers(
        &consent,
        Recipient::Fluvius,
        &[DataCategory::Debts],
        on
    ));
    assert!(!consent_covers(
        &consent,
        Recipient::School,
        &[DataCategory::Energy],
        on
    ));
    let mut withdrawn = consent.clone();
    withdrawn.withdrawn_on = Some(date(2026, 9, 15));
    assert!(!consent_covers(
        &withdrawn,
        Recipient::Fluvius,
        &[DataCategory::Energy],
        on
    ));
    let mut bad = consent;
    bad.withdrawn_on = Some(date(2026, 8, 1));
    assert!(has_code(
        &check_consent(&bad),
        "consent.withdrawn-before-given"
    ));
}

// ---------------------------------------------------------------- visits

#[test]
fn visit_end_after_start_warn_over_3h_block_over_8h() {
    let mut v = visit();
    assert!(check_visit(&v, &ctx()).is_empty());
    v.end = Some(v.start);
    assert!(has_code(&check_visit(&v, &ctx()), "visit.end-before-start"));
    v.end = Some(v.start + chrono::Duration::hours(4));
    let f = check_visit(&v, &ctx());
    assert!(has_code(&f, "visit.long") && !blocks(&f));
    v.end = Some(v.start + chrono::Duration::hours(9));
    assert!(has_code(&check_visit(&v, &ctx()), "visit.too-long"));
}

#[test]
fn not_at_home_or_refused_has_no_help_requests_or_actions() {
    let mut v = visit();
    v.outcome = VisitOutcome::NotAtHome;
    assert!(has_code(
        &check_visit(&v, &ctx()),
        "visit.no-contact-with-requests"
    ));
    v.help_requests.clear();
    v.actions.clear();
    v.present.clear();
    assert!(check_visit(&v, &ctx()).is_empty());
    v.outcome = VisitOutcome::Refused;
    v.actions.insert(
        Uuid::now_v7(),
        Action {
            what: "x".into(),
            who: "y".into(),
            deadline: None,
            status: ActionStatus::Open,
        },
    );
    assert!(has_code(
        &check_visit(&v, &ctx()),
        "visit.no-contact-with-requests"
    ));
}

#[test]
fn a_done_visit_needs_someone_present() {
    let mut v = visit();
    v.present.clear();
    assert!(has_code(&check_visit(&v, &ctx()), "visit.nobody-present"));
}

#[test]
fn a_done_visit_needs_a_help_request_or_an_explicit_none() {
    let mut v = visit();
    v.help_requests.clear();
    assert!(has_code(
        &check_visit(&v, &ctx()),
        "visit.help-request-missing"
    ));
    v.no_help_request = true;
    assert!(!has_code(
        &check_visit(&v, &ctx()),
        "visit.help-request-missing"
    ));
}

#[test]
fn help_request_description_is_at_most_280_characters() {
    let mut v = visit();
    let (_, h) = v.help_requests.iter_mut().next().unwrap();
    h.description = "é".repeat(280);
    assert!(check_visit(&v, &ctx()).is_empty());
    let (_, h) = v.help_requests.iter_mut().next().unwrap();
    h.description = "é".repeat(281);
    assert!(has_code(&check_visit(&v, &ctx()), "help-request.too-long"));
}

#[test]
fn action_deadline_is_not_before_the_visit() {
    let mut v = visit();
    let (_, a) = v.actions.iter_mut().next().unwrap();
    a.deadline = Some(date(2026, 10, 4));
    assert!(has_code(
        &check_visit(&v, &ctx()),
        "action.deadline-before-visit"
    ));
}

#[test]
fn safety_signal_flags_and_needs_follow_up_within_48_hours() {
    let mut v = visit();
    v.safety_signal = SafetySignal::ChildConcern;
    let f = check_visit(&v, &ctx());
    assert!(has_code(&f, "visit.safety-signal"));
    assert!(has_code(&f, "visit.safety-follow-up-missing"));
    v.follow_up_by = Some(v.start + chrono::Duration::hours(72));
    assert!(has_code(
        &check_visit(&v, &ctx()),
        "visit.safety-follow-up-late"
    ));
    v.follow_up_by = Some(v.start + chrono::Duration::hours(24));
    let f = check_visit(&v, &ctx());
    assert!(!blocks(&f));
    assert!(f.iter().any(|x| x.severity == Severity::Flag));
    // The limit is configurable.
    let mut c = ctx();
    c.thresholds.safety_follow_up_hours = 12;
    assert!(has_code(
        &check_visit(&v, &c),
        "visit.safety-follow-up-late"
    ));
}

#[test]
fn visit_notes_at_most_2000_characters() {
    let mut v = visit();
    v.notes = "a".repeat(2000);
    assert!(check_visit(&v, &ctx()).is_empty());
    v.notes.push('a');
    assert!(has_code(&check_visit(&v, &ctx()), "visit.notes-too-long"));
}

#[test]
fn notes_that_look_like_a_national_number_or_iban_warn() {
    let mut v = visit();
    v.notes = "Rijksregister 85.07.30-033.28 meegekregen".into();
    let f = check_visit(&v, &ctx());
    assert!(has_code(&f, "text.national-number") && !blocks(&f));
    v.notes = "Storten op BE68 5390 0754 7034".into();
    assert!(has_code(&check_visit(&v, &ctx()), "text.iban"));
    v.notes = "Afspraak om 14u30, tel 056 12 34 56".into();
    assert!(check_visit(&v, &ctx()).is_empty());
}

#[test]
fn next_appointment_is_not_before_the_visit() {
    let mut v = visit();
    v.next_appointment = Some(at(2026, 10, 1, 9));
    assert!(has_code(
        &check_visit(&v, &ctx()),
        "visit.next-appointment-before-visit"
    ));
}

// ---------------------------------------------------------------- EAN and meters

#[test]
fn ean_has_18_digits_and_starts_with_54() {
    assert!(Ean::parse(EXAMPLE_EAN_ELECTRICITY).is_ok());
    assert_eq!(Ean::parse("54144882000012345"), Err(EanError::Length));
    assert_eq!(Ean::parse("5414488200001234555"), Err(EanError::Length));
    assert_eq!(Ean::parse("54144882000012345x"), Err(EanError::Length));
    assert_eq!(Ean::parse("641448820000123455"), Err(EanError::Prefix));
    assert!(has_code(
        &check_ean("641448820000123455", Some("reden")),
        "ean.prefix"
    ));
}

#[test]
fn ean_check_digit_is_gs1_mod_10() {
    // The GS1 algorithm on a well-known GTIN-13 (4006381333931).
    assert_eq!(gs1_check_digit(&[4, 0, 0, 6, 3, 8, 1, 3, 3, 3, 9, 3]), 1);
    assert_eq!(
        Ean::parse("541448820000123456"),
        Err(EanError::CheckDigit { expected: 5 })
    );
    assert_eq!(
        Ean::parse(EXAMPLE_EAN_ELECTRICITY)
            .unwrap()
            .top_up_reference(),
        "8820000123455"
    );
}

#[test]
fn a_failing_check_digit_blocks_unless_overridden_and_the_override_is_flagged() {
    let f = check_ean("541448820000123456", None);
    assert!(has_code(&f, "ean.check-digit") && blocks(&f));
    let f = check_ean("541448820000123456", Some("   "));
    assert!(blocks(&f));
    let f = check_ean("541448820000123456", Some("Code zo op de factuur"));
    assert!(!blocks(&f));
    assert!(
        f.iter()
            .any(|x| x.severity == Severity::Flag && x.code == "ean.override")
    );
}

#[test]
fn electricity_and_gas_have_different_eans() {
    let mut case = empty_case();
    case.meter_checks.insert(Uuid::now_v7(), meter());
    let mut gas = meter();
    gas.energy = EnergyType::Gas;
    gas.meter_kind = MeterKind::AnalogueSingle;
    gas.readings.clear();
    let f = check_meter_check(&gas, Uuid::now_v7(), &case, &ctx());
    assert!(has_code(&f, "ean.same-for-both-energies"));
    gas.ean = EXAMPLE_EAN_GAS.into();
    assert!(!has_code(
        &check_meter_check(&gas, Uuid::now_v7(), &case, &ctx()),
        "ean.same-for-both-energies"
    ));
}

#[test]
fn meter_number_is_4_to_20_letters_digits_or_dashes_keeping_leading_zeros() {
    assert_eq!(
        MeterNumber::parse("0012345678").unwrap().as_str(),
        "0012345678"
    );
    assert!(MeterNumber::parse("AB-12").is_ok());
    assert!(MeterNumber::parse("123").is_err());
    assert!(MeterNumber::parse("123456789012345678901").is_err());
    assert!(MeterNumber::parse("12 34").is_err());
}

#[test]
fn an_old_card_meter_is_always_prepaid_and_prepaid_means_fluvius() {
    let case = empty_case();
    let mut m = meter();
    m.meter_kind = MeterKind::CardBudget;
    m.readings.clear();
    assert!(has_code(
        &check_meter_check(&m, Uuid::now_v7(), &case, &ctx()),
        "meter.card-implies-prepaid"
    ));
    m.prepaid = true;
    assert!(has_code(
        &check_meter_check(&m, Uuid::now_v7(), &case, &ctx()),
        "meter.prepaid-implies-fluvius"
    ));
    m.supplier_kind = SupplierKind::FluviusSocial;
    assert!(!blocks(&check_meter_check(
        &m,
        Uuid::now_v7(),
        &case,
        &ctx()
    )));
}

#[test]
fn gas_conversion_factor_between_9_5_and_12_5() {
    assert_eq!(GasType::H.default_conversion_factor(), 11.5);
    assert_eq!(GasType::L.default_conversion_factor(), 10.3);
    let case = empty_case();
    let mut m = meter();
    m.energy = EnergyType::Gas;
    m.ean = EXAMPLE_EAN_GAS.into();
    m.meter_kind = MeterKind::AnalogueSingle;
    m.readings.clear();
    m.conversion_factor = Some(12.5);
    assert!(!has_code(
        &check_meter_check(&m, Uuid::now_v7(), &case, &ctx()),
        "meter.conversion-factor"
    ));
    m.conversion_factor = Some(13.0);
    assert!(has_code(
        &check_meter_check(&m, Uuid::now_v7(), &case, &ctx()),
        "meter.conversion-factor"
    ));
}

// ---------------------------------------------------------------- readings

fn reading(on: NaiveDate, regs: &[(Register, f64)]) -> Reading {
    Reading {
        read_at: on,
        source: ReadingSource::Display,
        registers: regs.iter().copied().collect(),
        override_reason: None,
        deviation_reason: None,
    }
}

fn digital(on: NaiveDate, day: f64, night: f64) -> Reading {
    reading(
        on,
        &[
            (Register::ConsumptionDay, day),
            (Register::ConsumptionNight, night),
            (Register::InjectionDay, 0.0),
            (Register::InjectionNight, 0.0),
        ],
    )
}

fn meter_with(readings: Vec<Reading>) -> MeterCheck {
    let mut m = meter();
    m.readings = readings.into_iter().map(|r| (Uuid::now_v7(), r)).collect();
    m
}

fn check_meter(m: &MeterCheck) -> Vec<Finding> {
    check_meter_check(m, Uuid::now_v7(), &empty_case(), &ctx())
}

#[test]
fn a_digital_meter_needs_all_four_registers_zero_allowed() {
    let m = meter_with(vec![digital(date(2026, 10, 1), 100.0, 0.0)]);
    assert!(!has_code(&check_meter(&m), "reading.registers-mismatch"));
    let m = meter_with(vec![reading(
        date(2026, 10, 1),
        &[
            (Register::ConsumptionDay, 100.0),
            (Register::ConsumptionNight, 50.0),
        ],
    )]);
    assert!(has_code(&check_meter(&m), "reading.registers-mismatch"));
}

#[test]
fn analogue_registers_match_the_meter_kind_in_whole_kwh() {
    let mut m = meter_with(vec![reading(
        date(2026, 10, 1),
        &[(Register::Day, 100.0), (Register::Night, 50.0)],
    )]);
    m.meter_kind = MeterKind::AnalogueDayNight;
    assert!(check_meter(&m).is_empty());
    m.meter_kind = MeterKind::AnalogueSingle;
    assert!(has_code(&check_meter(&m), "reading.registers-mismatch"));
    let mut m = meter_with(vec![reading(
        date(2026, 10, 1),
        &[(Register::Single, 100.5)],
    )]);
    m.meter_kind = MeterKind::AnalogueSingle;
    assert!(has_code(&check_meter(&m), "reading.whole-kwh"));
}

#[test]
fn gas_readings_have_at_most_five_digits_before_the_decimal_point() {
    let mut m = meter_with(vec![reading(
        date(2026, 10, 1),
        &[(Register::Gas, 99_999.9)],
    )]);
    m.energy = EnergyType::Gas;
    m.ean = EXAMPLE_EAN_GAS.into();
    m.meter_kind = MeterKind::AnalogueSingle;
    assert!(check_meter(&m).is_empty());
    let (_, r) = m.readings.iter_mut().next().unwrap();
    r.registers.insert(Register::Gas, 100_000.0);
    assert!(has_code(&check_meter(&m), "reading.gas-digits"));
}

/// The EAN as an invoice prints it: groups of digits with spaces.
fn spaced(ean: &str) -> String {
    ean.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn an_ean_typed_with_spaces_is_the_same_connection_point() {
    // Last month's check stored the EAN as digits.
    let mut case = empty_case();
    let earlier = meter_with(vec![digital(date(2026, 9, 1), 5000.0, 3000.0)]);
    case.meter_checks.insert(Uuid::now_v7(), earlier);
    // This month the EAN is typed as the invoice prints it, and the
    // reading is lower: the rules see one connection point.
    let mut now = meter_with(vec![digital(date(2026, 10, 1), 4900.0, 3100.0)]);
    now.ean = spaced(EXAMPLE_EAN_ELECTRICITY);
    assert!(
        check_ean(&now.ean, None).is_empty(),
        "a valid EAN, spaces and all"
    );
    let f = check_meter_check(&now, Uuid::now_v7(), &case, &ctx());
    assert!(has_code(&f, "reading.lower-than-previous"), "{f:?}");
    // And gas on that spaced EAN is the electricity's EAN again.
    let mut gas = meter();
    gas.energy = EnergyType::Gas;
    gas.meter_kind = MeterKind::AnalogueSingle;
    gas.readings.clear();
    gas.ean = spaced(EXAMPLE_EAN_ELECTRICITY);
    assert!(has_code(
        &check_meter_check(&gas, Uuid::now_v7(), &case, &ctx()),
        "ean.same-for-both-energies"
    ));
}

#[test]
fn a_reading_is_not_in_the_future() {
    let m = meter_with(vec![digital(date(2026, 11, 27), 100.0, 0.0)]);
    assert!(has_code(&check_meter(&m), "reading.in-future"));
}

#[test]
fn a_lower_reading_is_blocked_unless_the_meter_was_replaced() {
    let mut m = meter_with(vec![
        digital(date(2026, 9, 1), 5000.0, 3000.0),
        digital(date(2026, 10, 1), 4900.0, 3100.0),
    ]);
    assert!(has_code(&check_meter(&m), "reading.lower-than-previous"));
    m.meter_replaced_on = Some(date(2026, 9, 15));
    assert!(!has_code(&check_meter(&m), "reading.lower-than-previous"));
}

#[test]
fn an_override_reason_lets_a_blocked_reading_through_to_the_supervisor() {
    let mut m = meter_with(vec![digital(date(2026, 9, 1), 5000.0, 3000.0)]);
    let mut low = digital(date(2026, 10, 1), 4900.0, 3100.0);
    low.override_reason = Some("Foto bevestigt de stand".into());
    m.readings.insert(Uuid::now_v7(), low);
    let f = check_meter(&m);
    assert!(!blocks(&f));
    assert!(has_code(&f, "reading.override"));
}

#[test]
fn an_overridden_reading_asks_for_a_photo_of_the_meter_until_it_has_one() {
    let mut m = meter_with(vec![digital(date(2026, 9, 1), 5000.0, 3000.0)]);
    let mut low = digital(date(2026, 10, 1), 4900.0, 3100.0);
    low.override_reason = Some("meter nagekeken".into());
    let low_id = Uuid::now_v7();
    m.readings.insert(low_id, low);
    let mut case = empty_case();
    let id = Uuid::now_v7();
    case.meter_checks.insert(id, m.clone());
    let record = Record::MeterCheck(m);
    let missing = |case: &Case| {
        check_record(case, id, &record, None, &ctx())
            .into_iter()
            .filter(|f| f.code == "reading.photo-missing")
            .map(|f| f.field.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(missing(&case), vec![format!("readings.{low_id}")]);
    // The reading that was not overridden asks for nothing.
    case.attachments.insert(
        Uuid::now_v7(),
        AttachmentRef {
            on: low_id,
            hash: BlobHash::of(b"meter"),
            stored: StoredType::Jpeg,
            size: 5,
            width: Some(2048),
            height: Some(1536),
            thumb: None,
            caption: "display van de meter".into(),
            by: "bert.claeys".into(),
            at: chrono::Utc::now(),
        },
    );
    assert!(missing(&case).is_empty());
}

#[test]
fn injection_without_solar_panels_warns() {
    let m = meter_with(vec![reading(
        date(2026, 10, 1),
        &[
            (Register::ConsumptionDay, 100.0),
            (Register::ConsumptionNight, 0.0),
            (Register::InjectionDay, 12.0),
            (Register::InjectionNight, 0.0),
        ],
    )]);
    let f = check_meter(&m);
    assert!(has_code(&f, "reading.injection-without-solar") && !blocks(&f));
    let mut m = m;
    m.solar_panels = true;
    assert!(check_meter(&m).is_empty());
}

#[test]
fn electricity_above_35_kwh_a_day_warns_above_100_blocks() {
    let ok = meter_with(vec![
        digital(date(2026, 9, 1), 1000.0, 0.0),
        digital(date(2026, 10, 1), 1000.0 + 30.0 * 10.0, 0.0),
    ]);
    assert!(check_meter(&ok).is_empty());
    let high = meter_with(vec![
        digital(date(2026, 9, 1), 1000.0, 0.0),
        digital(date(2026, 10, 1), 1000.0 + 30.0 * 40.0, 0.0),
    ]);
    let f = check_meter(&high);
    assert!(has_code(&f, "reading.daily-use-high") && !blocks(&f));
    let blocked = meter_with(vec![
        digital(date(2026, 9, 1), 10000.0, 0.0),
        digital(date(2026, 10, 1), 10000.0 + 30.0 * 101.0, 0.0),
    ]);
    assert!(has_code(
        &check_meter(&blocked),
        "reading.daily-use-blocked"
    ));
}

#[test]
fn gas_above_15_m3_a_day_warns_above_40_blocks() {
    let gas = |end: f64| {
        let mut m = meter_with(vec![
            reading(date(2026, 9, 1), &[(Register::Gas, 10000.0)]),
            reading(date(2026, 10, 1), &[(Register::Gas, end)]),
        ]);
        m.energy = EnergyType::Gas;
        m.ean = EXAMPLE_EAN_GAS.into();
        m.meter_kind = MeterKind::AnalogueSingle;
        check_meter(&m)
    };
    assert!(gas(10000.0 + 30.0 * 5.0).is_empty());
    assert!(has_code(
        &gas(10000.0 + 30.0 * 20.0),
        "reading.daily-use-high"
    ));
    assert!(has_code(
        &gas(10000.0 + 30.0 * 41.0),
        "reading.daily-use-blocked"
    ));
}

#[test]
fn daily_use_is_the_consumption_per_day_between_readings() {
    let u = daily_use(
        &digital(date(2026, 9, 1), 1000.0, 500.0),
        &digital(date(2026, 9, 11), 1060.0, 540.0),
    )
    .unwrap();
    assert_eq!(u.days, 10);
    assert_eq!(u.consumption, 100.0);
    assert_eq!(u.per_day, 10.0);
}

#[test]
fn more_than_50_percent_off_last_year_needs_a_reason() {
    let history = vec![
        digital(date(2025, 9, 1), 1000.0, 0.0),
        digital(date(2025, 10, 1), 1300.0, 0.0), // 10 kWh/day last year
        digital(date(2026, 9, 1), 5000.0, 0.0),
    ];
    let mut m = meter_with(history.clone());
    m.readings.insert(
        Uuid::now_v7(),
        digital(date(2026, 10, 1), 5000.0 + 30.0 * 11.0, 0.0),
    );
    assert!(!has_code(&check_meter(&m), "reading.year-on-year"));
    let mut m = meter_with(history.clone());
    m.readings.insert(
        Uuid::now_v7(),
        digital(date(2026, 10, 1), 5000.0 + 30.0 * 20.0, 0.0),
    );
    assert!(has_code(&check_meter(&m), "reading.year-on-year"));
    let mut m = meter_with(history);
    let mut r = digital(date(2026, 10, 1), 5000.0 + 30.0 * 20.0, 0.0);
    r.deviation_reason = Some("Baby geboren, meer wasbeurten".into());
    m.readings.insert(Uuid::now_v7(), r);
    assert!(!has_code(&check_meter(&m), "reading.year-on-year"));
}

#[test]
fn a_reading_about_ten_times_off_suggests_a_misplaced_decimal_point() {
    let m = meter_with(vec![
        digital(date(2026, 9, 1), 1234.0, 0.0),
        digital(date(2026, 10, 1), 12340.0, 0.0),
    ]);
    assert!(has_code(&check_meter(&m), "reading.decimal-point"));
    let m = meter_with(vec![
        digital(date(2026, 9, 1), 1234.0, 0.0),
        digital(date(2026, 10, 1), 1300.0, 0.0),
    ]);
    assert!(!has_code(&check_meter(&m), "reading.decimal-point"));
}

#[test]
fn plausibility_thresholds_are_configurable() {
    let m = meter_with(vec![
        digital(date(2026, 9, 1), 1000.0, 0.0),
        digital(date(2026, 10, 1), 1000.0 + 30.0 * 20.0, 0.0),
    ]);
    assert!(check_meter(&m).is_empty());
    let mut c = ctx();
    c.thresholds.electricity_warn_kwh_per_day = 15.0;
    assert!(has_code(
        &check_meter_check(&m, Uuid::now_v7(), &empty_case(), &c),
        "reading.daily-use-high"
    ));
}

// ---------------------------------------------------------------- prepaid

#[test]
fn prepaid_balance_goes_down_to_minus_50_euro() {
    let mut m = meter();
    m.prepaid = true;
    m.supplier_kind = SupplierKind::FluviusSocial;
    m.prepaid_status = Some(PrepaidStatus {
        balance_cents: -5000,
        last_top_up: None,
        debt_cents: None,
    });
    assert!(!blocks(&check_meter(&m)));
    m.prepaid_status = Some(PrepaidStatus {
        balance_cents: -5001,
        last_top_up: None,
        debt_cents: None,
    });
    assert!(has_code(
        &check_meter(&m),
        "prepaid.balance-below-emergency"
    ));
}

#[test]
fn gas_balance_at_or_below_zero_in_winter_flags_self_disconnection_risk() {
    assert!(self_disconnection_risk(
        EnergyType::Gas,
        0,
        date(2026, 11, 1)
    ));
    assert!(self_disconnection_risk(
        EnergyType::Gas,
        -100,
        date(2027, 3, 31)
    ));
    assert!(!self_disconnection_risk(
        EnergyType::Gas,
        -100,
        date(2026, 7, 15)
    ));
    assert!(!self_disconnection_risk(
        EnergyType::Gas,
        -100,
        date(2026, 4, 1)
    ));
    assert!(!self_disconnection_risk(
        EnergyType::Gas,
        100,
        date(2026, 12, 15)
    ));
    assert!(!self_disconnection_risk(
        EnergyType::Electricity,
        -100,
        date(2026, 12, 15)
    ));

    let mut m = meter();
    m.energy = EnergyType::Gas;
    m.ean = EXAMPLE_EAN_GAS.into();
    m.meter_kind = MeterKind::AnalogueSingle;
    m.readings.clear();
    m.prepaid = true;
    m.supplier_kind = SupplierKind::FluviusSocial;
    m.checked_on = date(2026, 11, 20);
    m.prepaid_status = Some(PrepaidStatus {
        balance_cents: -250,
        last_top_up: None,
        debt_cents: None,
    });
    let f = check_meter(&m);
    let risk = f
        .iter()
        .find(|x| x.code == "prepaid.self-disconnection-risk")
        .unwrap();
    assert_eq!(risk.severity, Severity::Flag);
    assert!(risk.nl.contains("minimale levering"));
    m.checked_on = date(2026, 7, 20);
    assert!(!has_code(
        &check_meter(&m),
        "prepaid.self-disconnection-risk"
    ));
}

#[test]
fn no_disconnections_from_1_december_to_1_march() {
    assert!(disconnection_allowed(date(2026, 11, 30)));
    assert!(!disconnection_allowed(date(2026, 12, 1)));
    assert!(!disconnection_allowed(date(2027, 2, 28)));
    assert!(!disconnection_allowed(date(2027, 3, 1)));
    assert!(disconnection_allowed(date(2027, 3, 2)));
}

#[test]
fn lac_is_asked_for_debts_above_500_for_one_or_1000_for_both() {
    assert!(!lac_required(50_000, 0));
    assert!(lac_required(50_001, 0));
    assert!(lac_required(0, 50_001));
    assert!(!lac_required(49_000, 49_000));
    assert!(lac_required(50_000, 50_001));
}

// ---------------------------------------------------------------- renovation

fn defect(category: DefectCategory) -> Defect {
    Defect {
        section: DefectSection::Dwelling,
        element: DefectElement::Finishing,
        room: None,
        severity: DefectSeverity::Limited,
        category,
        description: String::new(),
        derived: false,
    }
}

#[test]
fn seven_category_i_defects_make_the_verdict_unfit() {
    let six: Vec<Defect> = (0..6).map(|_| defect(DefectCategory::I)).collect();
    assert_eq!(housing_verdict(&six), HousingVerdict::Conform);
    let seven: Vec<Defect> = (0..7).map(|_| defect(DefectCategory::I)).collect();
    assert_eq!(housing_verdict(&seven), HousingVerdict::Unfit);
}

#[test]
fn a_category_ii_makes_unfit_and_a_category_iii_uninhabitable() {
    assert_eq!(
        housing_verdict(&[defect(DefectCategory::II)]),
        HousingVerdict::Unfit
    );
    assert_eq!(
        housing_verdict(&[defect(DefectCategory::I), defect(DefectCategory::III)]),
        HousingVerdict::Uninhabitable
    );
    assert_eq!(housing_verdict(&[]), HousingVerdict::Conform);
    assert!(HousingVerdict::Unfit.label(Lang::Nl).contains("indicatief"));
}

#[test]
fn a_category_iii_defect_needs_a_p1_measure_and_is_flagged() {
    let mut a = advice();
    a.defects
        .insert(Uuid::now_v7(), defect(DefectCategory::III));
    let f = check_renovation(&a, &empty_case(), &ctx());
    assert!(has_code(&f, "defect.category-iii-needs-p1"));
    assert!(has_code(&f, "defect.category-iii"));
    a.measures.insert(
        Uuid::now_v7(),
        Measure {
            description: "CO-toestel buiten gebruik".into(),
            priority: Priority::P1,
            cost_cents: None,
            support: None,
            income_category: None,
            loan_cents: None,
            loan_years: None,
        },
    );
    assert!(!blocks(&check_renovation(&a, &empty_case(), &ctx())));
}

#[test]
fn a_floor_without_smoke_detector_adds_a_defect() {
    let mut a = advice();
    assert!(derived_defects(&a).is_empty());
    a.smoke_detectors.insert("zolder".into(), false);
    let d = derived_defects(&a);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].element, DefectElement::SmokeDetectors);
}

#[test]
fn roof_insulation_below_0_75_adds_a_defect_except_for_rooms() {
    let mut a = advice();
    a.roof_r_value = Some(0.75);
    assert!(derived_defects(&a).is_empty());
    a.roof_r_value = Some(0.5);
    assert_eq!(
        derived_defects(&a)[0].element,
        DefectElement::RoofInsulation
    );
    a.dwelling_type = DwellingType::Room;
    assert!(derived_defects(&a).is_empty());
}

#[test]
fn the_verdict_counts_derived_defects() {
    let mut a = advice(); // one category I already
    for floor in ["kelder", "gelijkvloers", "eerste", "tweede", "zolder"] {
        a.smoke_detectors.insert(floor.into(), false);
    }
    assert_eq!(advice_verdict(&a), HousingVerdict::Conform); // 6 category I
    a.roof_r_value = Some(0.3);
    assert_eq!(advice_verdict(&a), HousingVerdict::Unfit); // 7 category I
}

#[test]
fn build_year_between_1700_and_this_year() {
    let mut a = advice();
    a.build_year = Some(1700);
    assert!(!has_code(
        &check_renovation(&a, &empty_case(), &ctx()),
        "renovation.build-year"
    ));
    a.build_year = Some(1699);
    assert!(has_code(
        &check_renovation(&a, &empty_case(), &ctx()),
        "renovation.build-year"
    ));
    a.build_year = Some(2027);
    assert!(has_code(
        &check_renovation(&a, &empty_case(), &ctx()),
        "renovation.build-year"
    ));
}

fn measure(support: Support) -> Measure {
    Measure {
        description: "Dak isoleren".into(),
        priority: Priority::P3,
        cost_cents: Some(1_200_000),
        support: Some(support),
        income_category: None,
        loan_cents: None,
        loan_years: None,
    }
}

#[test]
fn verbouwpremie_needs_an_income_category_and_the_ean() {
    let mut a = advice();
    a.measures
        .insert(Uuid::now_v7(), measure(Support::VerbouwPremie));
    let f = check_renovation(&a, &empty_case(), &ctx());
    assert!(has_code(&f, "measure.premie-income-category"));
    assert!(has_code(&f, "measure.premie-needs-ean"));
    let mut m = measure(Support::VerbouwPremie);
    m.income_category = Some(IncomeCategory::Lowest);
    a.measures.clear();
    a.measures.insert(Uuid::now_v7(), m);
    let mut case = empty_case();
    case.meter_checks.insert(Uuid::now_v7(), meter());
    assert!(check_renovation(&a, &case, &ctx()).is_empty());
}

#[test]
fn verbouwlening_up_to_60000_over_25_years_for_owner_occupiers_of_older_homes() {
    let mut a = advice();
    a.tenure = HousingSituation::OwnerOccupier;
    let mut m = measure(Support::VerbouwLening);
    m.loan_cents = Some(6_000_000);
    m.loan_years = Some(25);
    a.measures.insert(Uuid::now_v7(), m.clone());
    assert!(check_renovation(&a, &empty_case(), &ctx()).is_empty());
    m.loan_cents = Some(6_000_001);
    a.measures.clear();
    a.measures.insert(Uuid::now_v7(), m.clone());
    assert!(has_code(
        &check_renovation(&a, &empty_case(), &ctx()),
        "measure.loan-limits"
    ));
    m.loan_cents = Some(1_000_000);
    a.measures.clear();
    a.measures.insert(Uuid::now_v7(), m);
    a.tenure = HousingSituation::PrivateRent;
    let f = check_renovation(&a, &empty_case(), &ctx());
    // DOMAIN.md: owner-occupier, "warn otherwise": the adviser may still
    // note the loan (the family may be buying), the supervisor sees it.
    assert!(
        has_code(&f, "measure.loan-owner-only") && !blocks(&f),
        "{f:?}"
    );
    a.tenure = HousingSituation::OwnerOccupier;
    a.build_year = Some(2015);
    let f = check_renovation(&a, &empty_case(), &ctx());
    assert!(has_code(&f, "measure.loan-dwelling-age") && !blocks(&f));
}

#[test]
fn a_build_period_stands_in_for_an_unknown_year_and_must_agree_with_a_known_one() {
    let mut a = advice();
    a.build_year = Some(1985);
    a.build_period = Some(BuildPeriod::From1946);
    let f = check_renovation(&a, &empty_case(), &ctx());
    assert!(
        has_code(&f, "renovation.build-period") && !blocks(&f),
        "{f:?}"
    );
    a.build_period = Some(BuildPeriod::From1971);
    assert!(!has_code(
        &check_renovation(&a, &empty_case(), &ctx()),
        "renovation.build-period"
    ));

    // Only the period known: a dwelling from 1971–1990 is old enough for
    // Mijn VerbouwLening, one from 2006 or later may not be.
    let mut m = Measure {
        description: "dakisolatie".into(),
        priority: Priority::P3,
        cost_cents: Some(1_500_000),
        support: Some(Support::VerbouwLening),
        income_category: None,
        loan_cents: Some(1_000_000),
        loan_years: Some(10),
    };
    a.tenure = HousingSituation::OwnerOccupier;
    a.build_year = None;
    a.measures.clear();
    a.measures.insert(Uuid::now_v7(), m.clone());
    assert!(!has_code(
        &check_renovation(&a, &empty_case(), &ctx()),
        "measure.loan-dwelling-age"
    ));
    a.build_period = Some(BuildPeriod::From2006);
    m.description = "ramen".into();
    a.measures.insert(Uuid::now_v7(), m);
    assert!(has_code(
        &check_renovation(&a, &empty_case(), &ctx()),
        "measure.loan-dwelling-age"
    ));
}

#[test]
fn a_tenant_asking_woonwijs_must_have_notified_the_landlord_in_writing() {
    let mut a = advice();
    a.escalation = Escalation::WoonwijsInspection;
    assert!(has_code(
        &check_renovation(&a, &empty_case(), &ctx()),
        "renovation.landlord-notice-missing"
    ));
    a.landlord_notified_on = Some(date(2026, 10, 1));
    assert!(check_renovation(&a, &empty_case(), &ctx()).is_empty());
}

#[test]
fn a_conformity_certificate_is_valid_at_most_10_years() {
    let mut a = advice();
    a.certificate = Some(ConformityCertificate {
        date: date(2026, 1, 10),
        valid_until: date(2036, 1, 10),
    });
    assert!(check_renovation(&a, &empty_case(), &ctx()).is_empty());
    a.certificate = Some(ConformityCertificate {
        date: date(2026, 1, 10),
        valid_until: date(2036, 1, 11),
    });
    assert!(has_code(
        &check_renovation(&a, &empty_case(), &ctx()),
        "renovation.certificate-validity"
    ));
}

#[test]
fn landlord_contact_needs_consent() {
    let mut a = advice();
    a.landlord_contact = Some("Dhr. Claeys, 0470 00 00 00".into());
    assert!(has_code(
        &check_renovation(&a, &empty_case(), &ctx()),
        "renovation.landlord-without-consent"
    ));
    let mut case = empty_case();
    let mut consent = match examples::example(RecordKind::Consent) {
        Record::Consent(c) => c,
        _ => unreachable!(),
    };
    consent.recipient = Recipient::Landlord;
    case.consents.insert(Uuid::now_v7(), consent);
    assert!(check_renovation(&a, &case, &ctx()).is_empty());
}

// ---------------------------------------------------------------- referrals

#[test]
fn referral_to_an_external_service_without_consent_is_blocked() {
    let mut r = referral();
    r.service = "fluvius-session".into();
    r.data_shared = vec![DataCategory::Energy];
    let case = empty_case();
    assert!(has_code(
        &check_referral(&r, None, &case, &ctx()),
        "referral.consent-missing"
    ));
    let mut with_consent = empty_case();
    if let Record::Consent(c) = examples::example(RecordKind::Consent) {
        with_consent.consents.insert(Uuid::now_v7(), c);
    }
    assert!(check_referral(&r, None, &with_consent, &ctx()).is_empty());
    r.legal_basis = Some("Wettelijke opdracht OCMW (art. 60 OCMW-wet)".into());
    assert!(check_referral(&r, None, &case, &ctx()).is_empty());
}

#[test]
fn a_teams_own_service_is_known_to_its_rules_and_a_retired_one_warns_on_new_referrals() {
    let mut r = referral();
    r.service = "repair-cafe".into();
    let codes = |f: Vec<Finding>| f.into_iter().map(|f| f.code).collect::<Vec<_>>();
    // The built-in catalogue does not know it.
    assert_eq!(
        codes(check_referral(&r, None, &empty_case(), &ctx())),
        vec!["referral.unknown-service"]
    );
    let mut team = Catalogue::builtin().clone();
    team.services.push(examples::local_service());
    let with_team = ctx().with_catalogue(std::sync::Arc::new(team.clone()));
    assert!(check_referral(&r, None, &empty_case(), &with_team).is_empty());
    // No longer offered: a new referral is warned, an existing one is not.
    if let Some(s) = team.services.iter_mut().find(|s| s.code == "repair-cafe") {
        s.retired = true;
    }
    assert!(
        !team
            .offered(Lang::Nl)
            .iter()
            .any(|(c, _)| c == "repair-cafe")
    );
    let retired = ctx().with_catalogue(std::sync::Arc::new(team));
    assert_eq!(
        codes(check_referral(&r, None, &empty_case(), &retired)),
        vec!["referral.service-retired"]
    );
    assert!(check_referral(&r, Some(&r.clone()), &empty_case(), &retired).is_empty());
}

#[test]
fn referral_to_the_ocmws_own_service_needs_no_consent() {
    let r = referral(); // debt help (OCMW)
    assert!(check_referral(&r, None, &empty_case(), &ctx()).is_empty());
}

#[test]
fn referral_status_cannot_go_backwards() {
    assert!(referral_transition_allowed(
        ReferralStatus::Proposed,
        ReferralStatus::InProgress
    ));
    assert!(!referral_transition_allowed(
        ReferralStatus::InProgress,
        ReferralStatus::Registered
    ));
    assert!(!referral_transition_allowed(
        ReferralStatus::Done,
        ReferralStatus::Refused
    ));
    let prev = {
        let mut r = referral();
        r.status = ReferralStatus::InProgress;
        r
    };
    let mut r = referral();
    r.status = ReferralStatus::Proposed;
    assert!(has_code(
        &check_referral(&r, Some(&prev), &empty_case(), &ctx()),
        "referral.status-backwards"
    ));
}

#[test]
fn done_or_not_taken_up_needs_a_result() {
    let mut r = referral();
    r.status = ReferralStatus::Done;
    assert!(has_code(
        &check_referral(&r, None, &empty_case(), &ctx()),
        "referral.result-missing"
    ));
    r.result = Some("Budgetbegeleiding gestart".into());
    assert!(check_referral(&r, None, &empty_case(), &ctx()).is_empty());
    r.status = ReferralStatus::Refused;
    r.result = None;
    assert!(check_referral(&r, None, &empty_case(), &ctx()).is_empty());
}

#[test]
fn a_consent_withdrawn_after_a_referral_flags_it_with_what_went_where_and_blocks_new_ones() {
    let mut r = referral();
    r.service = "fluvius-session".into();
    r.data_shared = vec![DataCategory::Energy];
    let Record::Consent(mut consent) = examples::example(RecordKind::Consent) else {
        unreachable!()
    };
    let mut case = empty_case();
    let consent_id = Uuid::now_v7();
    case.consents.insert(consent_id, consent.clone());
    assert!(check_referral(&r, None, &case, &ctx()).is_empty());
    // Withdrawn after the referral (today's context is 26 November 2026).
    consent.withdrawn_on = Some(date(2026, 11, 20));
    case.consents.insert(consent_id, consent);
    let f = check_referral(&r, None, &case, &ctx());
    let flag = f
        .iter()
        .find(|f| f.code == "referral.consent-withdrawn")
        .expect("the open referral is flagged");
    assert!(!blocks(&f), "what was shared then was lawful");
    assert!(flag.nl.contains("20/11/2026"), "{}", flag.nl);
    assert!(
        flag.nl.contains(DataCategory::Energy.label(Lang::Nl)),
        "{}",
        flag.nl
    );
    // A new referral on the withdrawn consent is blocked.
    let mut new = r.clone();
    new.referred_on = date(2026, 11, 21);
    assert!(has_code(
        &check_referral(&new, None, &case, &ctx()),
        "referral.consent-missing"
    ));
    // One on a legal basis is not flagged.
    r.legal_basis = Some("Wettelijke opdracht OCMW (art. 60 OCMW-wet)".into());
    assert!(check_referral(&r, None, &case, &ctx()).is_empty());
}

#[test]
fn a_past_follow_up_date_puts_an_open_referral_in_the_queue() {
    let mut r = referral();
    r.follow_up_on = Some(date(2026, 11, 25));
    let f = check_referral(&r, None, &empty_case(), &ctx());
    assert!(has_code(&f, "referral.follow-up-overdue") && !blocks(&f));
    r.follow_up_on = Some(date(2026, 11, 26));
    assert!(check_referral(&r, None, &empty_case(), &ctx()).is_empty());
}

#[test]
fn the_debt_mediation_session_proposes_the_next_third_thursday_past_month_ends_and_holidays() {
    let s = service("debt-mediation-session").unwrap();
    let next = |from| s.next_session(from, CLOSED).map(|(at, _)| at);
    // Third Thursday of November 2026 is the 19th; after it, 17 December.
    assert_eq!(
        next(at(2026, 11, 1, 9)),
        Some(date(2026, 11, 19).and_hms_opt(10, 30, 0).unwrap())
    );
    assert_eq!(
        next(at(2026, 11, 26, 9)),
        Some(date(2026, 12, 17).and_hms_opt(10, 30, 0).unwrap())
    );
    // Across the year's end: 21 January 2027.
    assert_eq!(
        next(at(2026, 12, 18, 9)),
        Some(date(2027, 1, 21).and_hms_opt(10, 30, 0).unwrap())
    );
    // The team closed on the third Thursday of May 2027 (the 20th): the
    // next session is June's.
    let closed = [date(2027, 5, 20)];
    assert_eq!(
        s.next_session(at(2027, 5, 1, 9), &closed).map(|(at, _)| at),
        Some(date(2027, 6, 17).and_hms_opt(10, 30, 0).unwrap())
    );
}

#[test]
fn the_woonclub_proposes_the_next_wednesday_afternoon_and_skips_a_holiday() {
    let s = service("woonclub").unwrap();
    let next = |from| s.next_session(from, CLOSED).map(|(at, _)| at);
    // Monday 30 November 2026: Wednesday 2 December, 13:30.
    assert_eq!(
        next(at(2026, 11, 30, 9)),
        Some(date(2026, 12, 2).and_hms_opt(13, 30, 0).unwrap())
    );
    // Wednesday afternoon already begun: the next week's.
    assert_eq!(
        next(at(2026, 12, 2, 14)),
        Some(date(2026, 12, 9).and_hms_opt(13, 30, 0).unwrap())
    );
    // Across Christmas: Wednesday 30 December.
    assert_eq!(
        next(at(2026, 12, 24, 9)),
        Some(date(2026, 12, 30).and_hms_opt(13, 30, 0).unwrap())
    );
    // 11 November 2026 is a Wednesday and a holiday: the 18th.
    assert_eq!(
        next(at(2026, 11, 10, 9)),
        Some(date(2026, 11, 18).and_hms_opt(13, 30, 0).unwrap())
    );
}

#[test]
fn dutch_practice_offers_the_nearest_of_its_three_sessions() {
    let s = service("dutch-practice").unwrap();
    // Friday 4 December 2026, 9:00: Saturday morning at the library.
    let (at_, session) = s.next_session(at(2026, 12, 4, 9), CLOSED).unwrap();
    assert_eq!(at_, date(2026, 12, 5).and_hms_opt(10, 0, 0).unwrap());
    assert!(session.place.contains("bibliotheek"));
    // Wednesday: Thursday's session.
    let (at_, _) = s.next_session(at(2026, 12, 9, 9), CLOSED).unwrap();
    assert_eq!(at_, date(2026, 12, 10).and_hms_opt(13, 30, 0).unwrap());
    // A service by appointment proposes nothing.
    assert_eq!(
        service("legal-aid")
            .unwrap()
            .next_session(at(2026, 12, 4, 9), CLOSED),
        None
    );
}

#[test]
fn every_catalogue_service_has_a_unique_code() {
    let mut codes: Vec<&str> = CATALOGUE.iter().map(|s| s.code).collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), CATALOGUE.len());
    assert!(!service("debt-help").unwrap().is_external());
    assert!(service("clb").unwrap().is_external());
}

// ---------------------------------------------------------------- review

#[test]
fn review_goes_draft_submitted_approved_or_returned_with_a_comment() {
    assert!(check_review(ReviewState::Draft, ReviewState::Submitted, "").is_empty());
    assert!(check_review(ReviewState::Submitted, ReviewState::Approved, "").is_empty());
    assert!(has_code(
        &check_review(ReviewState::Submitted, ReviewState::Returned, ""),
        "review.return-needs-comment"
    ));
    assert!(
        check_review(
            ReviewState::Submitted,
            ReviewState::Returned,
            "Bedrag ontbreekt"
        )
        .is_empty()
    );
    assert!(check_review(ReviewState::Returned, ReviewState::Submitted, "").is_empty());
    assert!(has_code(
        &check_review(ReviewState::Draft, ReviewState::Approved, ""),
        "review.transition"
    ));
}

// ---------------------------------------------------------------- messages

#[test]
fn every_finding_speaks_dutch_and_english() {
    let mut v = visit();
    v.safety_signal = SafetySignal::DomesticViolence;
    v.present.clear();
    for f in check_visit(&v, &ctx()) {
        assert!(!f.nl.is_empty() && !f.en.is_empty());
        assert_ne!(f.nl, f.en);
        assert_eq!(f.message(Lang::Nl), f.nl);
    }
}
