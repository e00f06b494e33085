//! The demo a newcomer opens with `make demo`: about forty households with
//! two years of history, generated deterministically, every flag kind in
//! it, work in the supervisor's queue, and every record one the rules let a
//! worker save.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::collections::BTreeSet;

use brug_device::index;
use brug_shared::model::{CaseFlag, Record};
use brug_shared::rules::{self, RuleContext, Severity};
use brug_sync_server::{db, demo};
use chrono::NaiveDate;

/// A winter's day (the budget meter's risk is a winter flag).
fn winter_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
}

fn context(day: NaiveDate) -> RuleContext {
    RuleContext::at(day.and_hms_opt(9, 0, 0).unwrap())
}

#[test]
fn the_same_day_gives_the_same_demo_byte_for_byte() {
    let mut a = demo::generate(winter_day());
    let mut b = demo::generate(winter_day());
    assert_eq!(a.len(), demo::HOUSEHOLDS);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter_mut().zip(b.iter_mut()) {
        assert_eq!(x.doc.id(), y.doc.id());
        assert!(x.doc.save() == y.doc.save(), "case {} differs", x.doc.id());
    }
    // Forty different households.
    let names: BTreeSet<String> = a
        .iter()
        .map(|c| c.doc.case().unwrap().household.name)
        .collect();
    assert_eq!(names.len(), demo::HOUSEHOLDS, "{names:?}");
}

#[test]
fn the_demo_shows_every_flag_and_gives_the_supervisor_work() {
    let day = winter_day();
    let ctx = context(day);
    let mut flags = BTreeSet::new();
    let mut queue = Vec::new();
    let mut visits = 0;
    let mut workers = BTreeSet::new();
    for c in demo::generate(day).iter_mut() {
        let row = index::index_row(&mut c.doc, &ctx, 0).unwrap();
        flags.extend(row.flags.iter().cloned());
        queue.extend(row.items);
        let case = c.doc.case().unwrap();
        visits += case.visits.len();
        workers.extend(row.workers);
        // History goes back up to two years, nothing in the future but
        // appointments.
        assert!(case.household.opened_on >= day - chrono::Duration::days(731));
        assert!(case.visits.values().all(|v| v.start.date() <= day));
    }
    let missing: Vec<&str> = CaseFlag::ALL
        .iter()
        .map(|f| f.code())
        .filter(|f| !flags.contains(*f))
        .collect();
    assert!(
        missing.is_empty(),
        "flags missing from the demo: {missing:?}"
    );
    assert!(
        queue
            .iter()
            .filter(|i| i.reason == CaseFlag::Submitted)
            .count()
            >= 5,
        "records waiting for review"
    );
    assert!(visits > 200, "two years of visits: {visits}");
    // Three people made it: Ann, Bert and Sofie (who reviewed).
    assert!(workers.len() >= 3, "{workers:?}");
}

#[test]
fn every_seeded_record_is_one_the_rules_let_a_worker_save() {
    let day = winter_day();
    for c in demo::generate(day).iter_mut() {
        let case = c.doc.case().unwrap();
        // Checked as of the day each was made: an appointment then still to
        // come is in the past now.
        let records: Vec<(uuid::Uuid, Record)> = case
            .members
            .iter()
            .map(|(i, r)| (*i, Record::Member(r.clone())))
            .chain(
                case.consents
                    .iter()
                    .map(|(i, r)| (*i, Record::Consent(r.clone()))),
            )
            .chain(
                case.visits
                    .iter()
                    .map(|(i, r)| (*i, Record::Visit(r.clone()))),
            )
            .chain(
                case.meter_checks
                    .iter()
                    .map(|(i, r)| (*i, Record::MeterCheck(r.clone()))),
            )
            .chain(
                case.renovations
                    .iter()
                    .map(|(i, r)| (*i, Record::Renovation(r.clone()))),
            )
            .chain(
                case.referrals
                    .iter()
                    .map(|(i, r)| (*i, Record::Referral(r.clone()))),
            )
            .collect();
        for (id, record) in records {
            let findings = rules::check_record(&case, id, &record, None, &context(day));
            let errors: Vec<_> = findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .collect();
            assert!(
                errors.is_empty(),
                "{} {}: {errors:#?}",
                case.household.name,
                record.kind().code()
            );
        }
    }
}

#[test]
fn seeding_stores_the_households_once_and_the_adviser_sees_hers() {
    let dir = tempfile::tempdir().unwrap();
    let database = db::Db::open(dir.path()).unwrap();
    let users = demo::seed_as_of(&mut database.lock(), winter_day(), demo::HOUSEHOLDS).unwrap();
    assert_eq!(
        db::doc_count(&database.lock()).unwrap(),
        demo::HOUSEHOLDS as i64
    );
    // Twice: nothing more.
    demo::seed_as_of(&mut database.lock(), winter_day(), demo::HOUSEHOLDS).unwrap();
    assert_eq!(
        db::doc_count(&database.lock()).unwrap(),
        demo::HOUSEHOLDS as i64
    );
    assert_eq!(users.len(), demo::USERS.len());
}
