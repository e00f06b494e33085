//! Generations: an erasure makes a fresh document without the erased part
//! and without the old history; offline work on the old generation is made
//! again on the new one, except what was erased.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use brug_shared::casedoc::{CaseDoc, CaseDocError, ERASED_TEXT, Editor, EraseTarget};
use brug_shared::model::{Member, Record, RecordKind, Role, examples};
use brug_shared::policy::{self, Reason, Sender};
use brug_shared::schema::FieldPath;
use chrono::Utc;
use uuid::Uuid;

const NATIONAL: &str = "85073003328";

fn editor(user: &str, device: u128) -> Editor {
    Editor {
        user: user.into(),
        device: Uuid::from_u128(device),
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// A case with a member named Zoë Kwetsbaar with a national number.
fn case_with_member() -> (CaseDoc, Uuid) {
    let ann = editor("ann.peeters", 1);
    let mut doc = CaseDoc::create(Uuid::now_v7(), &examples::household(), &ann).unwrap();
    let Record::Member(mut m) = examples::example(RecordKind::Member) else {
        unreachable!()
    };
    m.first_name = "Zoë".into();
    m.last_name = "Kwetsbaar".into();
    m.national_number = Some(serde_json::from_value(serde_json::json!(NATIONAL)).unwrap());
    let id = doc.add_record(&Record::Member(m), "member added").unwrap();
    (doc, id)
}

fn member(doc: &CaseDoc, id: Uuid) -> Member {
    match doc.record(RecordKind::Member, id).unwrap().unwrap() {
        Record::Member(m) => m,
        _ => unreachable!(),
    }
}

#[test]
fn an_erased_field_is_gone_from_the_new_generation_and_its_history() {
    let (mut doc, member_id) = case_with_member();
    assert!(contains(&doc.save_uncompressed(), NATIONAL));
    let targets = [
        EraseTarget::Field(FieldPath::slashed(&format!(
            "members/{member_id}/national_number"
        ))),
        EraseTarget::Field(FieldPath::slashed(&format!(
            "members/{member_id}/first_name"
        ))),
        EraseTarget::Field(FieldPath::slashed(&format!(
            "members/{member_id}/last_name"
        ))),
    ];
    let lies = editor("lies.supervisor", 9);
    let (mut fresh, erasure) = doc
        .regenerate(&targets, &lies, "geen wettelijke grond meer", Utc::now())
        .unwrap();
    assert_eq!(fresh.generation(), 1);
    assert_eq!(erasure.erased.len(), 3);
    let bytes = fresh.save_uncompressed();
    for value in [NATIONAL, "Kwetsbaar", "Zoë"] {
        assert!(!contains(&bytes, value), "{value} is still in the bytes");
    }
    let m = member(&fresh, member_id);
    assert_eq!(m.national_number, None);
    assert_eq!(m.first_name, ERASED_TEXT);
    assert_eq!(m.role, member(&doc, member_id).role, "the rest stays");
    assert_eq!(fresh.change_count(), 1, "the old history is gone");
    assert_eq!(fresh.erasures()[0].reason, "geen wettelijke grond meer");
    // The rest of the case reads as before.
    assert_eq!(
        fresh.case().unwrap().household,
        doc.case().unwrap().household
    );
}

#[test]
fn offline_work_is_carried_over_except_the_erased_values() {
    let (mut server, member_id) = case_with_member();
    // Two devices hold the case, then go offline.
    let mut a = server.fork();
    let mut b = server.fork();
    let acknowledged = server.heads();
    a.set_editor(&editor("ann.peeters", 1));
    a.set_field(
        brug_shared::casedoc::Target::Record(RecordKind::Member, member_id),
        &"national_number".into(),
        serde_json::json!("90020199803"),
    )
    .unwrap();
    a.set_field(
        brug_shared::casedoc::Target::Record(RecordKind::Member, member_id),
        &"school".into(),
        serde_json::json!("De Vlinder"),
    )
    .unwrap();
    b.set_editor(&editor("bert.devos", 2));
    let visit = b
        .add_record(&examples::example(RecordKind::Visit), "visit added")
        .unwrap();

    // Meanwhile the supervisor erases the member's national number.
    let target = EraseTarget::Field(FieldPath::slashed(&format!(
        "members/{member_id}/national_number"
    )));
    let (mut next, _) = server
        .regenerate(
            &[target],
            &editor("lies.supervisor", 9),
            "bezwaar",
            Utc::now(),
        )
        .unwrap();

    let from_a = a.local_edits(&acknowledged, &next.server_clock());
    let from_b = b.local_edits(&acknowledged, &next.server_clock());
    assert_eq!(from_a.len(), 2);
    assert_eq!(from_b.len(), 1);
    let ra = next.carry_over(&from_a).unwrap();
    assert_eq!(ra.dropped, 1, "the national number is not brought back");
    let rb = next.carry_over(&from_b).unwrap();
    assert_eq!(rb.dropped, 0);

    let m = member(&next, member_id);
    assert_eq!(m.national_number, None);
    assert_eq!(m.school.as_deref(), Some("De Vlinder"));
    assert!(next.record(RecordKind::Visit, visit).unwrap().is_some());
    assert!(!contains(&next.save_uncompressed(), "90020199803"));
    // Carried as their authors' own changes: the server's policy takes them
    // from each author's device.
    let history = next.history(None);
    assert!(
        history
            .iter()
            .any(|h| h.author.as_deref() == Some("bert.devos"))
    );
    assert!(history.iter().any(
        |h| h.author.as_deref() == Some("ann.peeters") && h.device == Some(Uuid::from_u128(1))
    ));
    assert!(
        history.iter().any(|h| h.note.message.contains("verwijderd")
            && h.note.message.contains("bezwaar")
            && h.author.as_deref() == Some("lies.supervisor")),
        "the history holds the summary"
    );
    // The change that only set the erased value is not made again at all.
    assert_eq!(history.len(), 3, "the summary, the school, the visit");
}

#[test]
fn a_device_cannot_write_the_generation_or_bring_an_old_history_in() {
    let (mut doc, member_id) = case_with_member();
    let old = doc.fork();
    let target = EraseTarget::Member(member_id);
    let (mut next, _) = doc
        .regenerate(
            &[target],
            &editor("lies.supervisor", 9),
            "bezwaar",
            Utc::now(),
        )
        .unwrap();
    assert!(
        next.record(RecordKind::Member, member_id)
            .unwrap()
            .is_none()
    );
    let sender = Sender {
        user: "ann.peeters",
        role: Role::BridgeWorker,
        device: Uuid::from_u128(1),
    };
    // The old generation merged in: refused as another history.
    let before = next.heads();
    let mut merged = next.fork();
    let mut old = old;
    assert!(
        matches!(merged.merge(&mut old), Err(CaseDocError::OtherGeneration)),
        "two generations never merge"
    );
    // A device that sends the old history anyway: the policy refuses it.
    merged.load_incremental(&old.save()).unwrap();
    let refusal = policy::check(&mut merged, &before, sender, 0, None, &|_| None).unwrap_err();
    assert_eq!(refusal.reason, Reason::Generation);
}

#[test]
fn a_device_that_lost_its_sync_state_carries_only_what_the_server_never_had() {
    let (mut server, member_id) = case_with_member();
    let household = brug_shared::casedoc::Target::Household;
    // A sets the phone and syncs; B sets it again later and syncs; A does
    // not hear of it, and types the school offline.
    let mut a = server.fork();
    a.set_editor(&editor("ann.peeters", 1));
    a.set_field(
        household,
        &"phone".into(),
        serde_json::json!("0470 11 11 11"),
    )
    .unwrap();
    server.merge(&mut a.fork()).unwrap();
    let mut b = server.fork();
    b.set_editor(&editor("bert.devos", 2));
    b.set_field(
        household,
        &"phone".into(),
        serde_json::json!("0470 22 22 22"),
    )
    .unwrap();
    server.merge(&mut b).unwrap();
    a.set_field(
        brug_shared::casedoc::Target::Record(RecordKind::Member, member_id),
        &"school".into(),
        serde_json::json!("De Vlinder"),
    )
    .unwrap();

    let target = EraseTarget::Field(FieldPath::slashed(&format!(
        "members/{member_id}/national_number"
    )));
    let (mut next, _) = server
        .regenerate(
            &[target],
            &editor("lies.supervisor", 9),
            "bezwaar",
            Utc::now(),
        )
        .unwrap();
    // A's sync state is gone: it acknowledges nothing.
    let carried = a.local_edits(&[], &next.server_clock());
    assert_eq!(carried.len(), 1, "only the school: {carried:?}");
    next.carry_over(&carried).unwrap();
    let case = next.case().unwrap();
    assert_eq!(
        case.household.phone.as_deref(),
        Some("0470 22 22 22"),
        "B's newer phone stays"
    );
    assert_eq!(
        case.members[&member_id].school.as_deref(),
        Some("De Vlinder")
    );
}
