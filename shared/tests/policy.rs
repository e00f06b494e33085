//! The authority policy: who may change what in a case, read from the
//! operations of new changes (what the server runs on every incoming batch
//! and the device before it writes).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use automerge::transaction::Transactable;
use automerge::{ActorId, Author, AutoCommit, ChangeHash, ObjType, ROOT, ReadDoc};
use brug_shared::casedoc::{CaseDoc, Editor, ReviewAction, Target};
use brug_shared::model::{CaseStatus, RecordKind, Role, examples};
use brug_shared::policy::{self, DEFAULT_MAX_FUTURE_MS, Reason, Refusal, Sender};
use serde_json::json;
use uuid::Uuid;

/// A user on one device.
#[derive(Clone)]
struct Who {
    user: &'static str,
    role: Role,
    device: Uuid,
}

fn ann() -> Who {
    Who {
        user: "ann.peeters",
        role: Role::BridgeWorker,
        device: Uuid::from_u128(1),
    }
}

fn sofie() -> Who {
    Who {
        user: "sofie.vandenberghe",
        role: Role::Supervisor,
        device: Uuid::from_u128(3),
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Who {
    fn editor(&self) -> Editor {
        Editor {
            user: self.user.into(),
            device: self.device,
        }
    }

    fn sender(&self) -> Sender<'_> {
        Sender {
            user: self.user,
            role: self.role,
            device: self.device,
        }
    }

    /// What the server answers when this user sends `after`'s changes
    /// beyond `before`.
    fn sends(&self, after: &mut CaseDoc, before: &[ChangeHash]) -> Result<(), Refusal> {
        policy::check(
            after,
            before,
            self.sender(),
            now(),
            Some(DEFAULT_MAX_FUTURE_MS),
            &|_| None,
        )
        .map(|_| ())
    }

    /// A replica of `doc` this user edits on their device.
    fn replica(&self, doc: &mut CaseDoc) -> CaseDoc {
        let mut other = CaseDoc::load(&doc.save(), &[]).unwrap();
        other.set_editor(&self.editor());
        other
    }

    /// The raw automerge document behind a replica, with this user's actor
    /// and author: what a modified client can write.
    fn raw(&self, doc: &mut CaseDoc) -> AutoCommit {
        let mut raw = AutoCommit::load(&doc.save()).unwrap();
        raw.set_author(Some(Author::from(self.user.as_bytes().to_vec())));
        let mut actor = self.device.as_bytes().to_vec();
        actor.extend_from_slice(&Uuid::new_v4().as_bytes()[..8]);
        raw.set_actor(ActorId::from(actor));
        raw
    }
}

/// Commits a raw edit at `time` and applies it to a fork of `base`, as the
/// server applies an incoming batch.
fn commit(base: &mut CaseDoc, mut raw: AutoCommit, time: i64) -> CaseDoc {
    raw.commit_with(
        automerge::transaction::CommitOptions::default()
            .with_message("raw".to_owned())
            .with_time(time),
    );
    let heads = base.heads();
    let mut fork = base.fork();
    fork.load_incremental(&raw.save_after(&heads)).unwrap();
    fork
}

/// A case created by Ann with one submitted visit, and its heads.
fn case_with_visit() -> (CaseDoc, Uuid) {
    let mut doc = CaseDoc::create(Uuid::now_v7(), &examples::household(), &ann().editor()).unwrap();
    let visit = examples::example(RecordKind::Visit);
    let id = doc.add_record(&visit, "visit added").unwrap();
    (doc, id)
}

fn refused(r: Result<(), Refusal>) -> (String, Reason) {
    let e = r.expect_err("the policy must refuse this");
    (e.place(), e.reason)
}

#[test]
fn a_bridge_worker_cannot_approve_her_own_record() {
    let (mut doc, visit) = case_with_visit();
    let before = doc.heads();
    let mut mine = ann().replica(&mut doc);
    mine.set_field(
        Target::Record(RecordKind::Visit, visit),
        &"review.state".into(),
        json!("approved"),
    )
    .unwrap();
    let (field, reason) = refused(ann().sends(&mut mine, &before));
    assert_eq!(reason, Reason::ReviewBySupervisorOnly);
    assert_eq!(field, format!("visits.{visit}.review.state"));
}

#[test]
fn a_bridge_worker_cannot_name_a_reviewer_or_write_a_review_comment() {
    let (mut doc, visit) = case_with_visit();
    let before = doc.heads();
    for (field, value) in [
        ("review.reviewer", json!("sofie.vandenberghe")),
        ("review.comment", json!("ziet er goed uit")),
    ] {
        let mut mine = ann().replica(&mut doc);
        mine.set_field(
            Target::Record(RecordKind::Visit, visit),
            &field.into(),
            value,
        )
        .unwrap();
        let (_, reason) = refused(ann().sends(&mut mine, &before));
        assert_eq!(reason, Reason::ReviewBySupervisorOnly, "{field}");
    }
}

#[test]
fn a_bridge_worker_submits_and_edits_her_records() {
    let (mut doc, visit) = case_with_visit();
    let before = doc.heads();
    let mut mine = ann().replica(&mut doc);
    mine.review(
        RecordKind::Visit,
        visit,
        ReviewAction::Submit,
        "ann.peeters",
        "",
    )
    .unwrap();
    mine.set_field(
        Target::Record(RecordKind::Visit, visit),
        &"notes".into(),
        json!("tweede bezoek gepland"),
    )
    .unwrap();
    mine.add_record(&examples::example(RecordKind::Referral), "referral added")
        .unwrap();
    ann().sends(&mut mine, &before).unwrap();
}

#[test]
fn a_new_record_cannot_arrive_approved_from_a_bridge_worker() {
    let (mut doc, _) = case_with_visit();
    let before = doc.heads();
    let mut mine = ann().replica(&mut doc);
    let mut visit = examples::example(RecordKind::Visit).to_json();
    visit["review"]["state"] = json!("approved");
    let record = brug_shared::model::Record::from_json(RecordKind::Visit, visit).unwrap();
    mine.add_record(&record, "visit added").unwrap();
    let (field, reason) = refused(ann().sends(&mut mine, &before));
    assert_eq!(reason, Reason::ReviewBySupervisorOnly);
    assert!(field.ends_with("review.state"), "{field}");
}

#[test]
fn a_supervisor_approves_in_her_own_name_only() {
    let (mut doc, visit) = case_with_visit();
    let before = doc.heads();
    let mut hers = sofie().replica(&mut doc);
    hers.review(
        RecordKind::Visit,
        visit,
        ReviewAction::Submit,
        "ann.peeters",
        "",
    )
    .unwrap();
    hers.review(
        RecordKind::Visit,
        visit,
        ReviewAction::Approve,
        "sofie.vandenberghe",
        "",
    )
    .unwrap();
    sofie().sends(&mut hers, &before).unwrap();

    let mut forged = sofie().replica(&mut doc);
    forged
        .set_field(
            Target::Record(RecordKind::Visit, visit),
            &"review.reviewer".into(),
            json!("bert.claeys"),
        )
        .unwrap();
    let (_, reason) = refused(sofie().sends(&mut forged, &before));
    assert_eq!(reason, Reason::ReviewerNotSelf);
}

#[test]
fn the_case_id_cannot_be_changed_or_deleted() {
    for delete in [false, true] {
        let (mut doc, _) = case_with_visit();
        let before = doc.heads();
        let mut raw = ann().raw(&mut doc);
        if delete {
            raw.delete(ROOT, "id").unwrap();
        } else {
            raw.put(ROOT, "id", Uuid::now_v7().to_string()).unwrap();
        }
        let mut after = commit(&mut doc, raw, now());
        assert_eq!(
            refused(ann().sends(&mut after, &before)),
            ("id".to_string(), Reason::Identity)
        );
    }
}

#[test]
fn a_record_map_cannot_be_replaced_or_removed() {
    let (mut doc, _) = case_with_visit();
    let before = doc.heads();
    let mut raw = ann().raw(&mut doc);
    raw.put(ROOT, "visits", "niets").unwrap();
    let mut after = commit(&mut doc, raw, now());
    assert_eq!(
        refused(ann().sends(&mut after, &before)),
        ("visits".to_string(), Reason::Identity)
    );

    let mut raw = ann().raw(&mut doc);
    raw.put_object(ROOT, "household", ObjType::Map).unwrap();
    let mut after = commit(&mut doc, raw, now());
    assert_eq!(
        refused(ann().sends(&mut after, &before)).1,
        Reason::Identity
    );
}

#[test]
fn the_schema_version_goes_up_only() {
    let (mut doc, _) = case_with_visit();
    let before = doc.heads();
    let mut raw = ann().raw(&mut doc);
    raw.put(ROOT, "schema", 0_u64).unwrap();
    let mut after = commit(&mut doc, raw, now());
    assert_eq!(
        refused(ann().sends(&mut after, &before)).1,
        Reason::SchemaLowered
    );
    let mut raw = ann().raw(&mut doc);
    raw.put(ROOT, "schema", 2_u64).unwrap();
    let mut after = commit(&mut doc, raw, now());
    ann().sends(&mut after, &before).unwrap();
}

#[test]
fn a_change_must_come_from_the_sending_device_and_user() {
    let (mut doc, _) = case_with_visit();
    let before = doc.heads();
    let bert = Who {
        user: "bert.claeys",
        role: Role::HousingAdviser,
        device: Uuid::from_u128(2),
    };
    // Made on Bert's device, sent by Ann's.
    let mut his = bert.replica(&mut doc);
    his.set_field(Target::Household, &"phone".into(), json!("0470 99 99 99"))
        .unwrap();
    assert_eq!(
        refused(ann().sends(&mut his, &before)).1,
        Reason::ForeignDevice
    );
    // Made on Ann's device in Bert's name.
    let forged = Who {
        user: "bert.claeys",
        ..ann()
    };
    let mut raw = forged.raw(&mut doc);
    let household = raw.get(ROOT, "household").unwrap().unwrap().1;
    raw.put(&household, "phone", "0470 99 99 99").unwrap();
    let mut after = commit(&mut doc, raw, now());
    assert_eq!(
        refused(ann().sends(&mut after, &before)).1,
        Reason::ForeignAuthor
    );
    // The same change is accepted as relayed when the server says so.
    policy::check(
        &mut his,
        &before,
        ann().sender(),
        now(),
        Some(DEFAULT_MAX_FUTURE_MS),
        &|c| (c.device == Some(bert.device)).then_some(Role::HousingAdviser),
    )
    .unwrap();
}

#[test]
fn a_change_dated_far_in_the_future_is_refused_a_slightly_fast_clock_is_not() {
    let (mut doc, _) = case_with_visit();
    let before = doc.heads();
    for (ahead, ok) in [(DEFAULT_MAX_FUTURE_MS * 2, false), (60_000, true)] {
        let mut raw = ann().raw(&mut doc);
        let household = raw.get(ROOT, "household").unwrap().unwrap().1;
        raw.put(&household, "phone", "0470 12 34 56").unwrap();
        let mut after = commit(&mut doc, raw, now() + ahead);
        let result = ann().sends(&mut after, &before);
        if ok {
            result.unwrap();
        } else {
            assert_eq!(refused(result).1, Reason::FutureTime);
        }
    }
}

#[test]
fn only_a_supervisor_reopens_a_closed_case() {
    let (mut doc, _) = case_with_visit();
    let mut raw = ann().raw(&mut doc);
    let household = raw.get(ROOT, "household").unwrap().unwrap().1;
    raw.put(&household, "status", CaseStatus::Closed.code())
        .unwrap();
    let mut closed = commit(&mut doc, raw, now());
    let before = closed.heads();
    for who in [ann(), sofie()] {
        let mut raw = who.raw(&mut closed);
        let household = raw.get(ROOT, "household").unwrap().unwrap().1;
        raw.put(&household, "status", CaseStatus::Active.code())
            .unwrap();
        let mut reopened = commit(&mut closed, raw, now());
        let result = who.sends(&mut reopened, &before);
        if who.role == Role::Supervisor {
            result.unwrap();
        } else {
            assert_eq!(
                refused(result),
                (
                    "household.status".to_string(),
                    Reason::ReopenBySupervisorOnly
                )
            );
        }
    }
}

#[test]
fn a_new_case_must_carry_its_own_id() {
    let mut made =
        CaseDoc::create(Uuid::now_v7(), &examples::household(), &ann().editor()).unwrap();
    ann().sends(&mut made, &[]).unwrap();
    // The same bytes offered under another case id.
    let mut elsewhere = CaseDoc::empty(Uuid::now_v7());
    elsewhere.load_incremental(&made.save()).unwrap();
    assert_eq!(
        refused(ann().sends(&mut elsewhere, &[])),
        ("id".to_string(), Reason::Identity)
    );
}

#[test]
fn a_refusal_names_the_field_and_the_reason_in_both_languages() {
    let (mut doc, visit) = case_with_visit();
    let before = doc.heads();
    let mut mine = ann().replica(&mut doc);
    mine.set_field(
        Target::Record(RecordKind::Visit, visit),
        &"review.state".into(),
        json!("approved"),
    )
    .unwrap();
    let text = ann().sends(&mut mine, &before).unwrap_err().to_string();
    assert!(text.contains("review.state"), "{text}");
    assert!(
        text.contains("teamverantwoordelijke") && text.contains("supervisor"),
        "{text}"
    );
}
