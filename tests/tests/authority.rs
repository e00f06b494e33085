//! The server decides who may change what: a raw client (the real protocol
//! over real TLS, with hand-made automerge changes) tries every forgery;
//! each is refused with a per-case error naming the field, nothing of it is
//! stored, the same device's next legitimate edit is accepted, and every
//! other device keeps syncing. The forgeries, an approval and a resolved
//! conflict are checked on both backends (SQLite and PostgreSQL).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use automerge::sync::{self, SyncDoc};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Author, AutoCommit, ROOT, ReadDoc};
use brug_device::sync::MemoryStore;
use brug_shared::casedoc::{CaseDoc, Target};
use brug_shared::model::{RecordKind, examples};
use brug_shared::protocol::{ByteBuf, ClientFrame, ErrorCode, ServerFrame};
use brug_sync_server::auth::Role;
use brug_sync_server::db;
use brug_tests::wire::{TestDevice, TestServer};
use serde_json::json;
use uuid::Uuid;

/// The raw automerge document behind a held case, writing as `user` on
/// `device`: what a modified client can make.
fn raw(doc: &mut CaseDoc, user: &str, device: &str) -> AutoCommit {
    let mut raw = AutoCommit::load(&doc.save()).unwrap();
    raw.set_author(Some(Author::from(user.as_bytes().to_vec())));
    let mut actor = Uuid::parse_str(device).unwrap().as_bytes().to_vec();
    actor.extend_from_slice(&Uuid::new_v4().as_bytes()[..8]);
    raw.set_actor(ActorId::from(actor));
    raw
}

/// Puts a raw edit (committed at `time`) into the device's copy of `case`.
fn forge(
    d: &mut TestDevice,
    case: Uuid,
    user: &str,
    device: &str,
    time: i64,
    f: impl FnOnce(&mut AutoCommit),
) {
    let mut doc = d.store.get(case).unwrap();
    let heads = doc.heads();
    let mut r = raw(&mut doc, user, device);
    f(&mut r);
    r.commit_with(
        CommitOptions::default()
            .with_message("forged".to_owned())
            .with_time(time),
    );
    doc.load_incremental(&r.save_after(&heads)).unwrap();
    d.store.put(&mut doc, false);
}

/// Pushes a document to the server as a raw client: hello, then automerge's
/// sync protocol for one case, frame by frame. Returns the server's
/// per-case error, or `None` when everything was accepted.
async fn push_raw(d: &TestDevice, case: Uuid, bytes: &[u8]) -> Option<(ErrorCode, String)> {
    let mut doc = AutoCommit::load(bytes).unwrap();
    let mut conn = d.connect().await.unwrap();
    brug_tests::wire::hello(&mut conn, 0, vec![]).await;
    let mut state = sync::State::new();
    for _ in 0..100 {
        let msg = doc
            .sync()
            .generate_sync_message(&mut state)
            .map(|m| m.encode());
        let done = msg.is_none();
        conn.send(&ClientFrame::Sync {
            doc: case,
            create: false,
            msg: msg.map(ByteBuf::from),
            generation: 0,
        })
        .await
        .unwrap();
        loop {
            match conn.recv().await.unwrap() {
                ServerFrame::Sync { msg: Some(r), .. } => {
                    let m = sync::Message::decode(&r).unwrap();
                    doc.sync().receive_sync_message(&mut state, m).unwrap();
                    break;
                }
                ServerFrame::Sync { msg: None, .. } if done => {
                    conn.close().await;
                    return None;
                }
                ServerFrame::Sync { msg: None, .. } => break,
                ServerFrame::DocError { code, message, .. } => {
                    conn.close().await;
                    return Some((code, message));
                }
                ServerFrame::Changed { .. } => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    panic!("the raw session did not settle");
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn household(r: &AutoCommit) -> automerge::ObjId {
    r.get(ROOT, "household").unwrap().unwrap().1
}

/// The ordinary edit the identity forgeries carry: a new phone number.
fn new_phone(r: &mut AutoCommit) {
    let h = household(r);
    r.put(&h, "phone", "0470 00 00 00").unwrap();
}

/// One attack: its name, what the refusal must name, and the forgery.
type Attack = (
    &'static str,
    &'static str,
    Box<dyn Fn(&mut TestDevice, Uuid, Uuid, &Ids)>,
);

struct Ids {
    ann: String,
    bert: String,
    sofie: String,
    bert_device: String,
}

fn attacks() -> Vec<Attack> {
    vec![
        (
            "a worker's approval",
            "review.state",
            Box::new(|d, case, visit, _| {
                d.edit(case, |doc| {
                    doc.set_field(
                        Target::Record(RecordKind::Visit, visit),
                        &"review.state".into(),
                        json!("approved"),
                    )
                    .unwrap();
                })
            }),
        ),
        (
            "a forged reviewer",
            "review.reviewer",
            Box::new(|d, case, visit, ids| {
                let sofie = ids.sofie.clone();
                d.edit(case, |doc| {
                    doc.set_field(
                        Target::Record(RecordKind::Visit, visit),
                        &"review.reviewer".into(),
                        json!(sofie),
                    )
                    .unwrap();
                })
            }),
        ),
        (
            "a forged author (a colleague's name)",
            "foreign-author",
            Box::new(|d, case, _, ids| {
                let device = d.device_id.clone();
                forge(d, case, &ids.bert, &device, now(), new_phone)
            }),
        ),
        (
            "a forged actor (a colleague's device)",
            "foreign-device",
            Box::new(|d, case, _, ids| {
                forge(d, case, &ids.bert, &ids.bert_device, now(), new_phone)
            }),
        ),
        (
            "a far-future time",
            "future-time",
            Box::new(|d, case, _, ids| {
                let device = d.device_id.clone();
                let later = now() + 365 * 86_400_000;
                forge(d, case, &ids.ann, &device, later, new_phone)
            }),
        ),
        (
            "the root id changed",
            "identity",
            Box::new(|d, case, _, ids| {
                let device = d.device_id.clone();
                forge(d, case, &ids.ann, &device, now(), |r| {
                    r.put(ROOT, "id", Uuid::now_v7().to_string()).unwrap();
                })
            }),
        ),
        (
            "the root id deleted",
            "identity",
            Box::new(|d, case, _, ids| {
                let device = d.device_id.clone();
                forge(d, case, &ids.ann, &device, now(), |r| {
                    r.delete(ROOT, "id").unwrap();
                })
            }),
        ),
        (
            "a record map replaced by a scalar",
            "visits",
            Box::new(|d, case, _, ids| {
                let device = d.device_id.clone();
                forge(d, case, &ids.ann, &device, now(), |r| {
                    r.put(ROOT, "visits", 0_i64).unwrap();
                })
            }),
        ),
        (
            "the schema version lowered",
            "schema",
            Box::new(|d, case, _, ids| {
                let device = d.device_id.clone();
                forge(d, case, &ids.ann, &device, now(), |r| {
                    r.put(ROOT, "schema", 0_u64).unwrap();
                })
            }),
        ),
    ]
}

brug_tests::on_both_backends!(every_forgery_is_refused_nothing_is_stored_and_everyone_syncs_on);

async fn every_forgery_is_refused_nothing_is_stored_and_everyone_syncs_on(server: TestServer) {
    let ids = Ids {
        ann: server.add_user("Ann Peeters", Role::BridgeWorker),
        bert: server.add_user("Bert Claeys", Role::HousingAdviser),
        sofie: server.add_user("Sofie Vandenberghe", Role::Supervisor),
        bert_device: String::new(),
    };
    let mut ann = server.device(&ids.ann).await;
    let mut bert = server.device(&ids.bert).await;
    let ids = Ids {
        bert_device: bert.device_id.clone(),
        ..ids
    };
    let mut sofie = server.device(&ids.sofie).await;
    let case = ann.create_case();
    let mut visit = Uuid::nil();
    ann.edit(case, |doc| {
        visit = doc
            .add_record(&examples::example(RecordKind::Visit), "visit added")
            .unwrap();
    });
    ann.sync().await.unwrap();
    server.assign(case, &ids.bert, true);
    bert.sync().await.unwrap();

    for (name, names, attack) in attacks() {
        let before = server.stored(case).unwrap().heads();
        // The attacker's device holds what the server holds.
        ann.store = MemoryStore::new();
        ann.sync().await.unwrap();
        attack(&mut ann, case, visit, &ids);
        let forged = ann.store.docs[&case].clone();
        let (code, why) = push_raw(&ann, case, &forged)
            .await
            .unwrap_or_else(|| panic!("{name}: accepted"));
        assert_eq!(
            code,
            ErrorCode::Refused,
            "{name}: refused with a per-case error"
        );
        assert!(
            why.contains(names),
            "{name}: the refusal names {names}: {why}"
        );
        assert_eq!(
            server.stored(case).unwrap().heads(),
            before,
            "{name}: nothing of it is stored"
        );

        // Everyone else syncs on, and sees nothing of the forgery.
        bert.edit(case, |doc| {
            doc.set_field(
                Target::Household,
                &"notes".into(),
                json!(format!("na {name}")),
            )
            .unwrap();
        });
        let report = bert.sync().await.unwrap();
        assert!(report.refused.is_empty(), "{name}: {report:?}");
        sofie.sync().await.unwrap();
        let seen = sofie.store.get(case).unwrap().case().unwrap();
        assert_eq!(
            seen.visits[&visit].review.state,
            brug_shared::model::ReviewState::Draft,
            "{name}"
        );
        assert_eq!(seen.household.phone, examples::household().phone, "{name}");

        // The same device's next legitimate edit is accepted.
        ann.store = MemoryStore::new();
        ann.sync().await.unwrap();
        ann.edit(case, |doc| {
            doc.set_field(
                Target::Record(RecordKind::Visit, visit),
                &"notes".into(),
                json!(format!("na {name}")),
            )
            .unwrap();
        });
        let report = ann.sync().await.unwrap();
        assert!(report.refused.is_empty(), "{name}: {report:?}");
        assert_ne!(server.stored(case).unwrap().heads(), before, "{name}");
    }

    // Each refusal is in the audit log with its field, never its value.
    let audit = server.on_store(|s| s.audit_tail(200).unwrap());
    let refused: Vec<_> = audit.iter().filter(|e| e.action == "refused").collect();
    assert_eq!(refused.len(), attacks().len());
    assert!(refused.iter().all(|e| !e.detail.contains("0470")));
}

brug_tests::on_both_backends!(a_supervisor_approval_is_stored_and_audited);

async fn a_supervisor_approval_is_stored_and_audited(server: TestServer) {
    let ann_id = server.add_user("Ann Peeters", Role::BridgeWorker);
    let sofie_id = server.add_user("Sofie Vandenberghe", Role::Supervisor);
    let mut ann = server.device(&ann_id).await;
    let mut sofie = server.device(&sofie_id).await;
    let case = ann.create_case();
    let mut visit = Uuid::nil();
    ann.edit(case, |doc| {
        visit = doc
            .add_record(&examples::example(RecordKind::Visit), "visit added")
            .unwrap();
    });
    ann.sync().await.unwrap();
    sofie.sync().await.unwrap();
    let who = sofie_id.clone();
    sofie.edit(case, |doc| {
        use brug_shared::casedoc::ReviewAction;
        doc.review(RecordKind::Visit, visit, ReviewAction::Submit, &who, "")
            .unwrap();
        doc.review(RecordKind::Visit, visit, ReviewAction::Approve, &who, "")
            .unwrap();
    });
    let report = sofie.sync().await.unwrap();
    assert!(report.refused.is_empty(), "{report:?}");
    ann.sync().await.unwrap();
    let seen = ann.store.get(case).unwrap().case().unwrap();
    assert_eq!(
        seen.visits[&visit].review.state,
        brug_shared::model::ReviewState::Approved
    );
    let audit = server.on_store(|s| s.audit_tail(50).unwrap());
    let approved = audit
        .iter()
        .find(|e| e.action == "approved")
        .expect("the approval is audited");
    assert_eq!(approved.user.as_deref(), Some(sofie_id.as_str()));
    assert!(approved.detail.contains(&visit.to_string()));
}

#[tokio::test]
async fn a_case_that_no_longer_loads_is_set_apart_and_every_other_case_syncs() {
    let server = TestServer::start().await;
    let ann_id = server.add_user("Ann Peeters", Role::BridgeWorker);
    let sofie_id = server.add_user("Sofie Vandenberghe", Role::Supervisor);
    let mut ann = server.device(&ann_id).await;
    let mut sofie = server.device(&sofie_id).await;
    let broken = ann.create_case();
    let fine = ann.create_case();
    ann.sync().await.unwrap();
    sofie.sync().await.unwrap();
    // The stored document is damaged (a disk fault, or a case poisoned
    // before this server checked changes); the server restarts.
    let dir = server.stop().await;
    {
        let db = db::Db::open(dir.path()).unwrap();
        let conn = db.lock();
        conn.execute(
            "UPDATE documents SET snapshot = x'00ff00ff' WHERE id = ?1",
            [broken.to_string()],
        )
        .unwrap();
        conn.execute(
            "DELETE FROM document_chunks WHERE doc_id = ?1",
            [broken.to_string()],
        )
        .unwrap();
    }
    let server = TestServer::start_in(dir).await;
    ann.endpoint = server.endpoint();
    sofie.endpoint = server.endpoint();

    for d in [&mut ann, &mut sofie] {
        d.edit(broken, |doc| {
            doc.set_field(Target::Household, &"notes".into(), json!("na de storing"))
                .unwrap();
        });
        d.edit(fine, |doc| {
            doc.set_field(Target::Household, &"phone".into(), json!("0470 12 12 12"))
                .unwrap();
        });
        let report = d.sync().await.unwrap();
        assert_eq!(report.refused, vec![(broken, ErrorCode::Unavailable)]);
        assert!(report.synced.contains(&fine));
    }
    let fine_doc = server.stored(fine).unwrap().case().unwrap();
    assert_eq!(fine_doc.household.phone.as_deref(), Some("0470 12 12 12"));
    // The device keeps its work on the broken case; the admin sees its id.
    assert!(ann.store.pending().contains(&broken));
    let audit = server.on_store(|s| s.audit_tail(50).unwrap());
    assert!(
        audit
            .iter()
            .any(|e| e.action == "case-unavailable" && e.cases.contains(&broken.to_string()))
    );
}

/// Copies a stopped server's data folder: yesterday's backup.
fn copy_dir(from: &std::path::Path) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.path().join(entry.file_name())).unwrap();
        }
    }
    to
}

#[tokio::test]
async fn after_a_restore_from_backup_relayed_work_comes_back_and_forgeries_do_not() {
    let server = TestServer::start().await;
    let ann_id = server.add_user("Ann Peeters", Role::BridgeWorker);
    let bert_id = server.add_user("Bert Claeys", Role::HousingAdviser);
    let admin = server.add_user("Ad Min", Role::Admin);
    let mut ann = server.device(&ann_id).await;
    let mut bert = server.device(&bert_id).await;
    let case = ann.create_case();
    ann.sync().await.unwrap();
    server.assign(case, &bert_id, true);
    bert.sync().await.unwrap();

    // Yesterday's backup: the data folder, copied while the server is down.
    let dir = server.stop().await;
    let backup = copy_dir(dir.path());
    let server = TestServer::start_in(dir).await;
    ann.endpoint = server.endpoint();
    bert.endpoint = server.endpoint();

    // Today: Ann's change reaches the server and Bert; Bert builds on it.
    ann.edit(case, |doc| {
        doc.set_field(Target::Household, &"phone".into(), json!("0470 11 22 33"))
            .unwrap();
    });
    ann.sync().await.unwrap();
    bert.sync().await.unwrap();
    bert.edit(case, |doc| {
        doc.set_field(Target::Household, &"notes".into(), json!("meter nagekeken"))
            .unwrap();
    });
    let bert_heads = bert.store.get(case).unwrap().heads();

    // The server's disk dies; it is restored from yesterday's backup.
    drop(server.stop().await);
    let server = TestServer::start_in(backup).await;
    ann.endpoint = server.endpoint();
    bert.endpoint = server.endpoint();

    // Bert comes back first, carrying Ann's change the server lost: without
    // a recovery window it is refused, and Bert keeps everything.
    let report = bert.sync().await.unwrap();
    assert_eq!(report.refused, vec![(case, ErrorCode::Refused)]);
    assert!(report.refused_why[&case].contains("foreign-device"));
    assert!(bert.store.pending().contains(&case));

    // Forgeries stay out even with the window open: a change on Ann's
    // device in Bert's name is no relay.
    {
        let db = server.db();
        let conn = db.lock();
        db::open_recovery(&conn, 2, &admin, "restored from yesterday's backup").unwrap();
    }
    let mut forger = server.device(&bert_id).await;
    forger.sync().await.unwrap();
    let ann_device = ann.device_id.clone();
    forge(&mut forger, case, &bert_id, &ann_device, now(), |r| {
        let h = household(r);
        r.put(&h, "phone", "0499 99 99 99").unwrap();
    });
    let forged = forger.store.docs[&case].clone();
    let (code, why) = push_raw(&forger, case, &forged).await.unwrap();
    assert_eq!(code, ErrorCode::Refused);
    assert!(why.contains("foreign-device"), "{why}");

    // With the window open, Bert's copy brings Ann's change back.
    let report = bert.sync().await.unwrap();
    assert!(report.refused.is_empty(), "{report:?}");
    let mut stored = server.stored(case).unwrap();
    assert!(stored.contains_all(&bert_heads), "nothing was lost");
    let restored = stored.case().unwrap();
    assert_eq!(restored.household.phone.as_deref(), Some("0470 11 22 33"));
    assert_eq!(restored.household.notes, "meter nagekeken");
    ann.sync().await.unwrap();
    assert_eq!(ann.store.get(case).unwrap().heads(), stored.heads());
    let audit = db::audit_tail(&server.db().lock(), 100).unwrap();
    let relayed = audit.iter().find(|e| e.action == "relayed").unwrap();
    assert!(relayed.detail.contains(&ann_device), "{}", relayed.detail);
}

brug_tests::on_both_backends!(a_resolved_conflict_is_in_the_audit_log);

async fn a_resolved_conflict_is_in_the_audit_log(server: TestServer) {
    let ann_id = server.add_user("Ann Peeters", Role::BridgeWorker);
    let sofie_id = server.add_user("Sofie Vandenberghe", Role::Supervisor);
    let mut ann = server.device(&ann_id).await;
    let mut ann2 = server.device(&ann_id).await;
    let mut sofie = server.device(&sofie_id).await;
    let case = ann.create_case();
    ann.sync().await.unwrap();
    ann2.sync().await.unwrap();
    for (d, phone) in [(&mut ann, "0470 11 11 11"), (&mut ann2, "0470 22 22 22")] {
        d.edit(case, |doc| {
            doc.set_field(Target::Household, &"phone".into(), json!(phone))
                .unwrap();
        });
        d.sync().await.unwrap();
    }
    sofie.sync().await.unwrap();
    sofie.edit(case, |doc| {
        let conflict = doc.conflicts().into_iter().next().expect("a conflict");
        doc.resolve(conflict.target, &conflict.field, json!("0470 22 22 22"))
            .unwrap();
    });
    let report = sofie.sync().await.unwrap();
    assert!(report.refused.is_empty());
    let mut stored = server.stored(case).unwrap();
    assert!(stored.conflicts().is_empty());
    assert_eq!(
        stored.case().unwrap().household.phone.as_deref(),
        Some("0470 22 22 22")
    );
    let audit = server.on_store(|s| s.audit_tail(50).unwrap());
    let resolved = audit
        .iter()
        .find(|e| e.action == "resolved")
        .expect("the resolution is audited");
    assert_eq!(resolved.user.as_deref(), Some(sofie_id.as_str()));
    assert!(resolved.detail.contains("phone"), "{}", resolved.detail);
}

brug_tests::on_both_backends!(quarantined_work_is_merged_once_checked_by_the_policy_or_discarded);

async fn hand_over(server: &TestServer, device: &TestDevice, case: Uuid, bytes: &[u8]) -> i64 {
    use brug_shared::protocol::quarantine::{HandOver, Receipt};
    let receipt: Receipt = brug_device::net::team_request(
        &server.endpoint(),
        &device.token,
        "/v1/quarantine",
        &HandOver {
            case,
            changes: hex::encode(bytes),
        },
    )
    .await
    .unwrap();
    assert!(receipt.id > 0);
    receipt.id
}

async fn decide(
    server: &TestServer,
    device: &TestDevice,
    id: i64,
    merge: bool,
) -> Result<brug_shared::protocol::quarantine::Entry, brug_device::net::NetError> {
    brug_device::net::team_request(
        &server.endpoint(),
        &device.token,
        "/v1/team/quarantine/decide",
        &brug_shared::protocol::quarantine::Decide { id, merge },
    )
    .await
}

fn refused_with(
    outcome: Result<brug_shared::protocol::quarantine::Entry, brug_device::net::NetError>,
) -> (u16, String) {
    match outcome {
        Err(brug_device::net::NetError::Refused { status, code, .. }) => (status, code),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Work a device could not sync any more goes to the quarantine; the
/// team's supervisor merges it into its case, checked as the author's own
/// sync would be (a case that never reached the server is made), or
/// discards it. Each entry is decided once, by its own team's supervisor;
/// what the policy refuses or cannot be read stays waiting, nothing of it
/// stored.
async fn quarantined_work_is_merged_once_checked_by_the_policy_or_discarded(server: TestServer) {
    use brug_shared::protocol::quarantine::Entry;
    let ann_id = server.add_user("Ann Peeters", Role::BridgeWorker);
    let sofie_id = server.add_user("Sofie Vandenberghe", Role::Supervisor);
    let kim_id = server.add_user_in("Kim Desmet", Role::Supervisor, "kuurne");
    let mut ann = server.device(&ann_id).await;
    let mut sofie = server.device(&sofie_id).await;
    let kim = server.device(&kim_id).await;
    let case = ann.create_case();
    ann.sync().await.unwrap();

    // Offline work the server never got: a visit, a case made offline, a
    // change forged as another user, and bytes that are no changes.
    let synced = ann.store.get(case).unwrap().heads();
    let mut visit = None;
    ann.edit(case, |doc| {
        visit = Some(
            doc.add_record(&examples::example(RecordKind::Visit), "huisbezoek")
                .unwrap(),
        );
    });
    let visit = visit.unwrap();
    let with_visit = ann.store.get(case).unwrap().heads();
    let visit_bytes = ann.store.get(case).unwrap().save_after(&synced);
    let device = ann.device_id.clone();
    forge(&mut ann, case, &sofie_id, &device, now(), new_phone);
    let forged_bytes = ann.store.get(case).unwrap().save_after(&with_visit);
    let fresh = ann.create_case();
    let fresh_bytes = ann.store.get(fresh).unwrap().save();

    let visit_entry = hand_over(&server, &ann, case, &visit_bytes).await;
    let fresh_entry = hand_over(&server, &ann, fresh, &fresh_bytes).await;
    let forged_entry = hand_over(&server, &ann, case, &forged_bytes).await;
    let garbage_entry = hand_over(&server, &ann, case, &[0, 0xff]).await;
    let list = |device: &TestDevice| {
        let endpoint = server.endpoint();
        let token = device.token.clone();
        async move {
            brug_device::net::team_request::<_, Vec<Entry>>(
                &endpoint,
                &token,
                "/v1/team/quarantine",
                &json!({}),
            )
            .await
            .unwrap()
        }
    };
    let waiting = list(&sofie).await;
    assert_eq!(waiting.len(), 4);
    assert!(
        waiting
            .iter()
            .all(|e| e.decision.is_none() && e.user == ann_id)
    );
    assert!(
        list(&kim).await.is_empty(),
        "another team's supervisor sees none"
    );

    // Another team's supervisor cannot decide it.
    assert_eq!(
        refused_with(decide(&server, &kim, visit_entry, true).await),
        (404, "not-found".into())
    );
    // Merged once: the visit is in the case; a second decision finds none.
    let merged = decide(&server, &sofie, visit_entry, true).await.unwrap();
    assert_eq!(merged.decision.as_deref(), Some("merged"));
    let stored = server.stored(case).unwrap();
    assert!(stored.record(RecordKind::Visit, visit).unwrap().is_some());
    assert_eq!(
        refused_with(decide(&server, &sofie, visit_entry, false).await),
        (404, "not-found".into())
    );
    // A case that never reached the server is made, in Ann's team: her
    // supervisor's device gets it.
    decide(&server, &sofie, fresh_entry, true).await.unwrap();
    assert!(server.stored(fresh).is_some());
    sofie.sync().await.unwrap();
    assert!(sofie.store.get(fresh).is_some());
    // The forged change is refused as a sync would refuse it; it stays
    // waiting, nothing of it stored, until it is discarded.
    let (status, code) = refused_with(decide(&server, &sofie, forged_entry, true).await);
    assert_eq!((status, code.as_str()), (403, "refused"));
    let mut stored = server.stored(case).unwrap();
    assert_ne!(
        stored.case().unwrap().household.phone.as_deref(),
        Some("0470 00 00 00")
    );
    // Bytes that are no changes: refused, then discarded.
    let (status, _) = refused_with(decide(&server, &sofie, garbage_entry, true).await);
    assert_eq!(status, 422);
    for id in [forged_entry, garbage_entry] {
        let discarded = decide(&server, &sofie, id, false).await.unwrap();
        assert_eq!(discarded.decision.as_deref(), Some("discarded"));
    }
    assert_eq!(server.stored(case).unwrap().heads(), stored.heads());
    // The same work handed over again (the device did not hear the
    // receipt): merged, nothing new.
    let again = hand_over(&server, &ann, case, &visit_bytes).await;
    let heads = server.stored(case).unwrap().heads();
    let merged = decide(&server, &sofie, again, true).await.unwrap();
    assert_eq!(merged.decision.as_deref(), Some("merged"));
    assert_eq!(server.stored(case).unwrap().heads(), heads);
    let decided: Vec<Entry> = list(&sofie)
        .await
        .into_iter()
        .filter(|e| e.id != again)
        .collect();
    assert_eq!(
        decided
            .iter()
            .map(|e| (e.id, e.decision.clone().unwrap_or_default()))
            .collect::<Vec<_>>(),
        vec![
            (visit_entry, "merged".into()),
            (fresh_entry, "merged".into()),
            (forged_entry, "discarded".into()),
            (garbage_entry, "discarded".into()),
        ]
    );
    let audit = server.on_store(|s| s.audit_tail(100).unwrap());
    let count = |action: &str| audit.iter().filter(|e| e.action == action).count();
    assert_eq!(
        (
            count("quarantine-in"),
            count("quarantine-merged"),
            count("quarantine-discarded")
        ),
        (5, 3, 2)
    );
}
