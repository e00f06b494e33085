//! The case document: records, merging, conflicts, history, review.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use automerge::sync;
use brug_shared::casedoc::{CaseDoc, CaseDocError, Editor, ReviewAction, Target};
use brug_shared::model::examples;
use brug_shared::model::*;
use serde_json::json;
use uuid::Uuid;

fn editor(user: &str) -> Editor {
    Editor {
        user: user.into(),
        device: Uuid::new_v4(),
    }
}

fn new_case() -> CaseDoc {
    CaseDoc::create(
        Uuid::now_v7(),
        &examples::household(),
        &editor("ann.brugfiguur"),
    )
    .unwrap()
}

/// A second replica of `doc` edited by `user` on another device.
fn replica(doc: &mut CaseDoc, user: &str) -> CaseDoc {
    let bytes = doc.save();
    let mut other = CaseDoc::load(&bytes, &[]).unwrap();
    other.set_editor(&editor(user));
    other
}

fn visit() -> Record {
    examples::example(RecordKind::Visit)
}

#[test]
fn a_new_case_reads_back_its_household_and_empty_record_maps() {
    let doc = new_case();
    let case = doc.case().unwrap();
    assert_eq!(case.household, examples::household());
    assert_eq!(case.schema, 1);
    assert!(case.visits.is_empty() && case.members.is_empty());
}

#[test]
fn every_record_kind_round_trips_through_the_document() {
    let mut doc = new_case();
    for kind in RecordKind::ALL {
        let record = examples::example(*kind);
        let id = doc.add_record(&record, "added").unwrap();
        assert_eq!(doc.record(*kind, id).unwrap(), Some(record), "{kind:?}");
    }
    let mut reloaded = CaseDoc::load(&doc.save(), &[]).unwrap();
    assert_eq!(reloaded.case().unwrap(), doc.case().unwrap());
    assert_eq!(reloaded.heads(), doc.heads());
}

#[test]
fn two_offline_visits_on_one_case_both_survive() {
    let mut a = new_case();
    let mut b = replica(&mut a, "bert.woonadviseur");
    let va = a.add_record(&visit(), "visit added").unwrap();
    let vb = b.add_record(&visit(), "visit added").unwrap();
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    for doc in [&a, &b] {
        let case = doc.case().unwrap();
        assert!(case.visits.contains_key(&va) && case.visits.contains_key(&vb));
    }
}

#[test]
fn concurrent_phone_numbers_show_as_a_conflict_with_authors_and_times() {
    let mut a = new_case();
    let mut b = replica(&mut a, "bert.woonadviseur");
    a.set_field(Target::Household, &"phone".into(), json!("0470 11 11 11"))
        .unwrap();
    b.set_field(Target::Household, &"phone".into(), json!("0470 22 22 22"))
        .unwrap();
    a.merge(&mut b).unwrap();
    let conflicts = a.conflicts();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let c = &conflicts[0];
    assert_eq!(c.target, Target::Household);
    assert_eq!(c.field, "phone");
    let mut seen: Vec<(String, String)> = c
        .values
        .iter()
        .map(|v| {
            (
                v.value.as_str().unwrap().to_owned(),
                v.author.clone().unwrap(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("0470 11 11 11".to_owned(), "ann.brugfiguur".to_owned()),
            ("0470 22 22 22".to_owned(), "bert.woonadviseur".to_owned())
        ]
    );
    assert!(
        c.values
            .iter()
            .all(|v| v.at.is_some() && v.device.is_some())
    );
    // The value shown now is listed first.
    assert_eq!(
        Some(c.values[0].value.clone()),
        a.household().unwrap().phone.map(serde_json::Value::from)
    );
}

#[test]
fn resolving_a_conflict_writes_one_value_that_reaches_every_replica() {
    let mut a = new_case();
    let mut b = replica(&mut a, "bert.woonadviseur");
    a.set_field(Target::Household, &"phone".into(), json!("0470 11 11 11"))
        .unwrap();
    b.set_field(Target::Household, &"phone".into(), json!("0470 22 22 22"))
        .unwrap();
    let mut sup = replica(&mut a, "sofie.supervisor");
    sup.merge(&mut b).unwrap();
    assert_eq!(sup.conflicts().len(), 1);
    sup.resolve(Target::Household, &"phone".into(), json!("0470 22 22 22"))
        .unwrap();
    assert!(sup.conflicts().is_empty());
    a.merge(&mut sup).unwrap();
    b.merge(&mut sup).unwrap();
    for doc in [&mut a, &mut b] {
        assert!(doc.conflicts().is_empty());
        assert_eq!(
            doc.household().unwrap().phone.as_deref(),
            Some("0470 22 22 22")
        );
    }
}

#[test]
fn a_resolution_that_does_not_fit_the_field_changes_nothing() {
    let mut a = new_case();
    let before = a.heads();
    let err = a
        .resolve(Target::Household, &"status".into(), json!("verdwenen"))
        .unwrap_err();
    assert!(matches!(err, CaseDocError::Invalid(_)));
    assert_eq!(a.heads(), before);
}

#[test]
fn two_people_typing_in_the_same_note_merge_by_character() {
    let mut a = new_case();
    let mut h = a.household().unwrap();
    h.notes = "Gezin met drie kinderen.".into();
    a.update_household(&h, "notes").unwrap();
    let mut b = replica(&mut a, "bert.woonadviseur");
    let mut ha = a.household().unwrap();
    ha.notes = "Gezin met drie kinderen. Vader werkt 's nachts.".into();
    a.update_household(&ha, "notes").unwrap();
    let mut hb = b.household().unwrap();
    hb.notes = "Warm gezin met drie kinderen.".into();
    b.update_household(&hb, "notes").unwrap();
    a.merge(&mut b).unwrap();
    assert_eq!(
        a.household().unwrap().notes,
        "Warm gezin met drie kinderen. Vader werkt 's nachts."
    );
    assert!(a.conflicts().is_empty());
}

#[test]
fn editing_one_field_does_not_touch_the_others() {
    let mut a = new_case();
    let id = a.add_record(&visit(), "visit added").unwrap();
    let mut b = replica(&mut a, "bert.woonadviseur");
    a.set_field(
        Target::Record(RecordKind::Visit, id),
        &"place".into(),
        json!("school"),
    )
    .unwrap();
    b.set_field(
        Target::Record(RecordKind::Visit, id),
        &"outcome".into(),
        json!("moved"),
    )
    .unwrap();
    a.merge(&mut b).unwrap();
    let Some(Record::Visit(v)) = a.record(RecordKind::Visit, id).unwrap() else {
        panic!()
    };
    assert_eq!(v.place, VisitPlace::School);
    assert_eq!(v.outcome, VisitOutcome::Moved);
    assert!(a.conflicts().is_empty());
}

#[test]
fn a_bad_field_value_is_refused_and_changes_nothing() {
    let mut a = new_case();
    let id = a
        .add_record(
            &examples::example(RecordKind::MeterCheck),
            "meter check added",
        )
        .unwrap();
    let before = a.heads();
    assert!(
        a.set_field(
            Target::Record(RecordKind::MeterCheck, id),
            &"meter_number".into(),
            json!("12")
        )
        .is_err()
    );
    assert!(
        a.set_field(
            Target::Household,
            &"address.postcode".into(),
            json!("99999")
        )
        .is_err()
    );
    assert!(
        a.set_field(Target::Household, &"no_such_field".into(), json!(1))
            .is_err()
    );
    assert!(
        a.set_field(
            Target::Record(RecordKind::Visit, id),
            &"place".into(),
            json!("home")
        )
        .is_err()
    );
    assert_eq!(a.heads(), before);
}

#[test]
fn a_removed_record_is_gone_on_every_replica() {
    let mut a = new_case();
    let id = a.add_record(&visit(), "visit added").unwrap();
    let mut b = replica(&mut a, "bert.woonadviseur");
    a.remove_record(RecordKind::Visit, id, "visit removed")
        .unwrap();
    b.merge(&mut a).unwrap();
    assert!(b.record(RecordKind::Visit, id).unwrap().is_none());
    assert!(matches!(
        a.remove_record(RecordKind::Visit, id, "again"),
        Err(CaseDocError::NoSuchRecord { .. })
    ));
}

#[test]
fn history_says_who_changed_what_and_when_per_record() {
    let mut a = new_case();
    let id = a.add_record(&visit(), "visit added").unwrap();
    a.set_field(
        Target::Record(RecordKind::Visit, id),
        &"place".into(),
        json!("school"),
    )
    .unwrap();
    let mut b = replica(&mut a, "bert.woonadviseur");
    b.set_field(
        Target::Record(RecordKind::Visit, id),
        &"outcome".into(),
        json!("moved"),
    )
    .unwrap();
    b.set_field(Target::Household, &"phone".into(), json!("0470 99 99 99"))
        .unwrap();
    a.merge(&mut b).unwrap();

    let all = a.history(None);
    assert_eq!(all.len(), 5);
    assert!(all.iter().all(|h| h.at.is_some() && h.author.is_some()));

    let visit_history = a.history(Some(id));
    let summary: Vec<(String, String, Vec<String>)> = visit_history
        .iter()
        .map(|h| {
            (
                h.author.clone().unwrap(),
                h.note.message.clone(),
                h.note.fields.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("ann.brugfiguur".into(), "visit added".into(), vec![]),
            (
                "ann.brugfiguur".into(),
                "place changed".into(),
                vec!["place".into()]
            ),
            (
                "bert.woonadviseur".into(),
                "outcome changed".into(),
                vec!["outcome".into()]
            ),
        ]
    );
}

#[test]
fn an_approved_record_edited_goes_back_to_submitted_and_shows_what_changed() {
    let mut a = new_case();
    let id = a.add_record(&visit(), "visit added").unwrap();
    a.review(
        RecordKind::Visit,
        id,
        ReviewAction::Submit,
        "ann.brugfiguur",
        "",
    )
    .unwrap();
    let mut sup = replica(&mut a, "sofie.supervisor");
    sup.review(
        RecordKind::Visit,
        id,
        ReviewAction::Approve,
        "sofie.supervisor",
        "",
    )
    .unwrap();
    a.merge(&mut sup).unwrap();
    let approved = a.record(RecordKind::Visit, id).unwrap().unwrap();
    let review = approved.review().unwrap().clone();
    assert_eq!(review.state, ReviewState::Approved);
    assert_eq!(review.reviewer.as_deref(), Some("sofie.supervisor"));
    assert!(
        a.changes_since(&review.approved_heads, RecordKind::Visit, id)
            .unwrap()
            .is_empty()
    );

    a.set_field(
        Target::Record(RecordKind::Visit, id),
        &"place".into(),
        json!("school"),
    )
    .unwrap();
    let after = a.record(RecordKind::Visit, id).unwrap().unwrap();
    assert_eq!(after.review().unwrap().state, ReviewState::Submitted);
    let changes = a
        .changes_since(&review.approved_heads, RecordKind::Visit, id)
        .unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].field, "place");
    assert_eq!(changes[0].before, Some(json!("home")));
    assert_eq!(changes[0].after, Some(json!("school")));
}

#[test]
fn returning_a_record_needs_a_comment_and_skipping_review_steps_is_refused() {
    let mut a = new_case();
    let id = a.add_record(&visit(), "visit added").unwrap();
    let before = a.heads();
    assert!(matches!(
        a.review(RecordKind::Visit, id, ReviewAction::Approve, "sofie", ""),
        Err(CaseDocError::Refused(_))
    ));
    a.review(RecordKind::Visit, id, ReviewAction::Submit, "ann", "")
        .unwrap();
    assert_ne!(a.heads(), before);
    assert!(matches!(
        a.review(RecordKind::Visit, id, ReviewAction::Return, "sofie", " "),
        Err(CaseDocError::Refused(_))
    ));
    a.review(
        RecordKind::Visit,
        id,
        ReviewAction::Return,
        "sofie",
        "Wie was aanwezig?",
    )
    .unwrap();
    let Some(Record::Visit(v)) = a.record(RecordKind::Visit, id).unwrap() else {
        panic!()
    };
    assert_eq!(v.review.state, ReviewState::Returned);
    assert_eq!(v.review.comment, "Wie was aanwezig?");
    // Members are not reviewed.
    let m = a
        .add_record(&examples::example(RecordKind::Member), "member added")
        .unwrap();
    assert!(
        a.review(RecordKind::Member, m, ReviewAction::Submit, "ann", "")
            .is_err()
    );
}

#[test]
fn the_sync_protocol_brings_an_empty_replica_up_to_date_and_back() {
    let mut a = new_case();
    a.add_record(&visit(), "visit added").unwrap();
    let mut b = CaseDoc::empty(a.id());
    b.set_editor(&editor("bert.woonadviseur"));
    a.sync_with(&mut b).unwrap();
    assert_eq!(b.heads(), a.heads());
    assert_eq!(b.case().unwrap(), a.case().unwrap());
    b.add_record(
        &examples::example(RecordKind::MeterCheck),
        "meter check added",
    )
    .unwrap();
    a.sync_with(&mut b).unwrap();
    assert_eq!(a.case().unwrap().meter_checks.len(), 1);
}

#[test]
fn a_malformed_sync_message_is_refused_without_changing_the_document() {
    let mut a = new_case();
    let before = a.heads();
    let mut state = sync::State::new();
    let err = a
        .receive_sync_message(&mut state, &[0x42, 0x00, 0xff, 0x13])
        .unwrap_err();
    assert!(matches!(err, CaseDocError::BadSyncMessage(_)));
    assert_eq!(a.heads(), before);
}

#[test]
fn garbage_bytes_do_not_load_as_a_case() {
    assert!(CaseDoc::load(b"not an automerge document", &[]).is_err());
    assert!(CaseDoc::load(&[], &[]).is_err());
}

#[test]
fn change_times_come_from_the_clock_never_zero() {
    let mut a = new_case();
    a.set_clock(|| chrono::DateTime::from_timestamp(1_900_000_000, 0).unwrap());
    a.set_field(Target::Household, &"phone".into(), json!("1"))
        .unwrap();
    let last = a.history(None).pop().unwrap();
    assert_eq!(last.at.unwrap().timestamp(), 1_900_000_000);
}

#[test]
fn a_conflict_on_a_meter_register_is_named_and_resolved_with_its_code_whole() {
    let mut a = new_case();
    let check = examples::example(RecordKind::MeterCheck);
    let Record::MeterCheck(m) = &check else {
        panic!("the example is a meter check")
    };
    let reading = m.readings.keys().next().unwrap().to_string();
    let id = a.add_record(&check, "meter check added").unwrap();
    let target = Target::Record(RecordKind::MeterCheck, id);
    let mut b = replica(&mut a, "bert.woonadviseur");
    // Typed as a person would: the register code's dots are not keys.
    let typed = format!("readings.{reading}.registers.1.8.1");
    let register = a.field_path(target, &typed).unwrap();
    assert_eq!(
        register.keys(),
        ["readings", reading.as_str(), "registers", "1.8.1"]
    );
    a.set_field(target, &register, json!(10300.0)).unwrap();
    b.set_field(target, &register, json!(10310.0)).unwrap();
    a.merge(&mut b).unwrap();
    let conflicts = a.conflicts();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].field, register);
    assert_eq!(conflicts[0].field.to_string(), typed);
    assert_eq!(
        brug_shared::schema::field_label(
            brug_shared::schema::FormKind::Record(RecordKind::MeterCheck),
            &conflicts[0].field,
            Lang::Nl
        ),
        Some(Register::ConsumptionDay.label(Lang::Nl))
    );
    a.resolve(target, &conflicts[0].field, json!(10310.0))
        .unwrap();
    assert!(a.conflicts().is_empty());
    let Some(Record::MeterCheck(m)) = a.record(RecordKind::MeterCheck, id).unwrap() else {
        panic!("still a meter check")
    };
    let kept = &m.readings[&reading.parse().unwrap()].registers;
    assert_eq!(kept.get(&Register::ConsumptionDay), Some(&10310.0));
}

#[test]
fn values_typed_in_another_form_are_stored_in_one() {
    let mut household = examples::household();
    household.phone = Some("+32 (0)470/12.34.56".into());
    let mut doc = CaseDoc::create(Uuid::now_v7(), &household, &editor("ann.brugfiguur")).unwrap();
    assert_eq!(
        doc.household().unwrap().phone.as_deref(),
        Some("0470 12 34 56")
    );
    let mut check = examples::example(RecordKind::MeterCheck);
    let Record::MeterCheck(m) = &mut check else {
        panic!("the example is a meter check")
    };
    let digits = m.ean.clone();
    m.ean = format!(" {} {} ", &digits[..6], &digits[6..]);
    let id = doc.add_record(&check, "meter check added").unwrap();
    let Some(Record::MeterCheck(stored)) = doc.record(RecordKind::MeterCheck, id).unwrap() else {
        panic!("a meter check")
    };
    assert_eq!(stored.ean, digits);
    // An edit typed with dots is stored as digits too: nothing changes.
    let mut edited = Record::MeterCheck(stored.clone());
    if let Record::MeterCheck(m) = &mut edited {
        m.ean = format!("{}.{}", &digits[..9], &digits[9..]);
    }
    assert!(doc.update_record(id, &edited, "edited").unwrap().is_empty());
}
