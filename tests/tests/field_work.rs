//! Whole-system scenarios from the field: real server, real TLS, real
//! encrypted device stores in separate homes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use brug_device::DeviceError;
use brug_shared::casedoc::ReviewAction;
use brug_shared::model::{RecordKind, ReviewState, examples};
use brug_shared::protocol::ErrorCode;
use brug_sync_server::auth::Role;
use brug_tests::{Stack, Team, TestDevice};
use serde_json::json;
use uuid::Uuid;

fn household() -> brug_shared::model::Household {
    examples::household()
}

fn example(kind: RecordKind) -> serde_json::Value {
    examples::example(kind).to_json()
}

async fn sync(d: &mut TestDevice) -> brug_device::sync::Report {
    d.device.sync(&mut |_| {}).await.unwrap()
}

fn ids(d: &TestDevice) -> Vec<Uuid> {
    d.device
        .list(&Default::default())
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
}

brug_tests::on_both_stacks!(
    a_case_made_offline_reaches_the_supervisor_and_then_the_assigned_adviser
);

async fn a_case_made_offline_reaches_the_supervisor_and_then_the_assigned_adviser(stack: Stack) {
    let Team {
        bert,
        mut worker,
        mut adviser,
        mut supervisor,
        ..
    } = stack.team().await;

    let (case, _) = worker.device.create_case(&household()).unwrap();
    worker
        .device
        .add_record(case, RecordKind::Member, example(RecordKind::Member))
        .unwrap();
    assert_eq!(worker.device.status().unwrap().pending, 1);
    sync(&mut worker).await;
    assert_eq!(worker.device.status().unwrap().pending, 0);

    sync(&mut supervisor).await;
    assert_eq!(ids(&supervisor), vec![case]);
    sync(&mut adviser).await;
    assert!(ids(&adviser).is_empty());

    stack.assign(case, &bert);
    sync(&mut adviser).await;
    assert_eq!(ids(&adviser), vec![case]);
    assert_eq!(adviser.device.show(case).unwrap().case.members.len(), 1);
}

async fn offline_edits_merge(stack: Stack, adviser_first: bool) {
    let Team {
        ann,
        bert,
        mut worker,
        mut adviser,
        mut supervisor,
        ..
    } = stack.team().await;
    let (case, _) = worker.device.create_case(&household()).unwrap();
    worker
        .device
        .add_record(case, RecordKind::Member, example(RecordKind::Member))
        .unwrap();
    sync(&mut worker).await;
    stack.assign(case, &bert);
    sync(&mut adviser).await;

    // Both offline.
    let (visit, _) = worker
        .device
        .add_record(case, RecordKind::Visit, example(RecordKind::Visit))
        .unwrap();
    worker
        .device
        .set_field(case, "household", &"phone".into(), json!("0470 11 11 11"))
        .unwrap();
    let (check, _) = adviser
        .device
        .add_record(
            case,
            RecordKind::MeterCheck,
            example(RecordKind::MeterCheck),
        )
        .unwrap();
    adviser
        .device
        .set_field(case, "household", &"phone".into(), json!("0470 22 22 22"))
        .unwrap();

    if adviser_first {
        sync(&mut adviser).await;
        sync(&mut worker).await;
    } else {
        sync(&mut worker).await;
        sync(&mut adviser).await;
    }
    for d in [&mut worker, &mut adviser, &mut supervisor] {
        sync(d).await;
    }
    for d in [&worker, &adviser, &supervisor] {
        let view = d.device.show(case).unwrap();
        assert!(view.case.visits.contains_key(&visit));
        assert!(view.case.meter_checks.contains_key(&check));
        assert_eq!(view.conflicts.len(), 1, "{:?}", view.conflicts);
        let c = &view.conflicts[0];
        assert_eq!(c.field, "phone");
        let mut pairs: Vec<(String, String)> = c
            .values
            .iter()
            .map(|v| {
                (
                    v.value.as_str().unwrap().to_owned(),
                    v.author.clone().unwrap(),
                )
            })
            .collect();
        pairs.sort();
        assert_eq!(
            pairs,
            vec![
                ("0470 11 11 11".into(), ann.clone()),
                ("0470 22 22 22".into(), bert.clone())
            ]
        );
        assert!(view.flags.contains(&"conflicts".to_owned()));
    }
    // Both workers are listed as working the case, on every device.
    for d in [&worker, &adviser, &supervisor] {
        let by_bert = d
            .device
            .list(&brug_device::index::CaseQuery {
                worker: Some(bert.clone()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(by_bert.len(), 1);
        assert_eq!(by_bert[0].workers, vec![ann.clone(), bert.clone()]);
    }
    // The supervisor's queue shows it; she resolves it.
    let queue = supervisor
        .device
        .list(&brug_device::index::CaseQuery {
            flag: Some("conflicts".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(queue.len(), 1);
    supervisor
        .device
        .resolve(case, "household", &"phone".into(), json!("0470 22 22 22"))
        .unwrap();
    sync(&mut supervisor).await;
    sync(&mut worker).await;
    sync(&mut adviser).await;
    for d in [&worker, &adviser, &supervisor] {
        let view = d.device.show(case).unwrap();
        assert!(view.conflicts.is_empty());
        assert_eq!(view.case.household.phone.as_deref(), Some("0470 22 22 22"));
    }
}

brug_tests::on_both_stacks!(
    offline_visit_and_meter_check_merge_and_the_phone_conflict_is_resolved_worker_first
);

async fn offline_visit_and_meter_check_merge_and_the_phone_conflict_is_resolved_worker_first(
    stack: Stack,
) {
    offline_edits_merge(stack, false).await;
}

brug_tests::on_both_stacks!(
    offline_visit_and_meter_check_merge_and_the_phone_conflict_is_resolved_adviser_first
);

async fn offline_visit_and_meter_check_merge_and_the_phone_conflict_is_resolved_adviser_first(
    stack: Stack,
) {
    offline_edits_merge(stack, true).await;
}

brug_tests::on_both_stacks!(
    an_approved_record_edited_goes_back_to_submitted_and_shows_what_changed
);

async fn an_approved_record_edited_goes_back_to_submitted_and_shows_what_changed(stack: Stack) {
    let ann = stack.user("Ann Peeters", Role::BridgeWorker);
    let sofie = stack.user("Sofie Vandenberghe", Role::Supervisor);
    let mut worker = stack.enrol(&ann).await;
    let mut supervisor = stack.enrol(&sofie).await;
    let (case, _) = worker.device.create_case(&household()).unwrap();
    let (visit, _) = worker
        .device
        .add_record(case, RecordKind::Visit, example(RecordKind::Visit))
        .unwrap();
    let v = visit.to_string();
    // Workers cannot approve their own work.
    assert!(matches!(
        worker.device.review(case, &v, ReviewAction::Approve, ""),
        Err(DeviceError::NotAllowed)
    ));
    worker
        .device
        .review(case, &v, ReviewAction::Submit, "")
        .unwrap();
    sync(&mut worker).await;
    sync(&mut supervisor).await;
    assert!(
        supervisor
            .device
            .show(case)
            .unwrap()
            .flags
            .contains(&"submitted".to_owned())
    );
    supervisor
        .device
        .review(case, &v, ReviewAction::Approve, "")
        .unwrap();
    sync(&mut supervisor).await;
    sync(&mut worker).await;

    worker
        .device
        .set_field(case, &v, &"place".into(), json!("school"))
        .unwrap();
    let view = worker.device.show(case).unwrap();
    assert_eq!(
        view.case.visits[&visit].review.state,
        ReviewState::Submitted
    );
    sync(&mut worker).await;
    sync(&mut supervisor).await;
    let changes = supervisor.device.changes_since_approval(case, &v).unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(
        (
            changes[0].field.to_string().as_str(),
            changes[0].after.clone()
        ),
        ("place", Some(json!("school")))
    );
    // Returned with a comment, the worker sees it.
    supervisor
        .device
        .review(case, &v, ReviewAction::Return, "Waarom op school?")
        .unwrap();
    sync(&mut supervisor).await;
    sync(&mut worker).await;
    let back = worker
        .device
        .list(&brug_device::index::CaseQuery {
            flag: Some("returned".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(
        worker.device.show(case).unwrap().case.visits[&visit]
            .review
            .comment,
        "Waarom op school?"
    );
}

brug_tests::on_both_stacks!(a_revoked_device_wipes_itself);

async fn a_revoked_device_wipes_itself(stack: Stack) {
    let ann = stack.user("Ann Peeters", Role::BridgeWorker);
    let mut worker = stack.enrol(&ann).await;
    worker.device.create_case(&household()).unwrap();
    sync(&mut worker).await;
    stack.revoke(worker.device.info().device_id);
    let err = worker.device.sync(&mut |_| {}).await.unwrap_err();
    assert!(matches!(err, DeviceError::Revoked { .. }), "{err:?}");
    assert!(!worker.path().join("brug.db").exists());
    assert!(!worker.path().join("key.json").exists());
    assert!(matches!(
        brug_device::Device::open(&worker.path(), brug_tests::PIN),
        Err(DeviceError::Key(_))
    ));
}

brug_tests::on_both_stacks!(an_unassigned_case_disappears_from_the_device);

async fn an_unassigned_case_disappears_from_the_device(stack: Stack) {
    let ann = stack.user("Ann Peeters", Role::BridgeWorker);
    let bert = stack.user("Bert Claeys", Role::HousingAdviser);
    let mut worker = stack.enrol(&ann).await;
    let mut adviser = stack.enrol(&bert).await;
    let (case, _) = worker.device.create_case(&household()).unwrap();
    sync(&mut worker).await;
    stack.assign(case, &bert);
    sync(&mut adviser).await;
    assert_eq!(ids(&adviser), vec![case]);
    stack.unassign(case, &bert);
    let report = sync(&mut adviser).await;
    assert_eq!(report.purged, vec![case]);
    assert!(ids(&adviser).is_empty());
    assert!(matches!(
        adviser.device.show(case),
        Err(DeviceError::NoSuchCase(_))
    ));
}

fn fifteen_days_later() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::days(15)
}

#[tokio::test]
async fn the_offline_lease_locks_case_data_until_the_device_syncs() {
    let stack = Stack::start().await;
    let ann = stack.user("Ann Peeters", Role::BridgeWorker);
    let mut worker = stack.enrol(&ann).await;
    let (case, _) = worker.device.create_case(&household()).unwrap();
    sync(&mut worker).await;
    worker.device.set_clock(fifteen_days_later);
    assert!(worker.device.lease().unwrap().locked);
    assert!(matches!(
        worker.device.show(case),
        Err(DeviceError::LeaseExpired { days: 15 })
    ));
    assert!(matches!(
        worker.device.list(&Default::default()),
        Err(DeviceError::LeaseExpired { .. })
    ));
    sync(&mut worker).await;
    assert!(!worker.device.lease().unwrap().locked);
    assert!(worker.device.show(case).is_ok());
}

#[tokio::test]
async fn a_wrong_pin_is_refused_and_changes_nothing() {
    let stack = Stack::start().await;
    let ann = stack.user("Ann Peeters", Role::BridgeWorker);
    let worker = stack.enrol(&ann).await;
    let home = worker.path();
    drop(worker.device);
    let err = brug_device::Device::open(&home, "0000").unwrap_err();
    assert!(err.to_string().contains("verkeerde pincode"), "{err}");
    assert!(brug_device::Device::open(&home, brug_tests::PIN).is_ok());
}

#[tokio::test]
async fn a_tampered_database_file_is_refused() {
    let stack = Stack::start().await;
    let ann = stack.user("Ann Peeters", Role::BridgeWorker);
    let mut worker = stack.enrol(&ann).await;
    worker.device.create_case(&household()).unwrap();
    let home = worker.path();
    drop(worker.device);
    let path = home.join("brug.db");
    let mut bytes = std::fs::read(&path).unwrap();
    for b in bytes.iter_mut().take(4096).skip(16) {
        *b ^= 0x5a;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = brug_device::Device::open(&home, brug_tests::PIN).unwrap_err();
    assert!(
        err.to_string().contains("kunnen niet geopend worden"),
        "{err}"
    );
}

#[tokio::test]
async fn enrolling_with_a_wrong_fingerprint_is_refused_and_creates_nothing() {
    let stack = Stack::start().await;
    let ann = stack.user("Ann Peeters", Role::BridgeWorker);
    let url = stack.enrol_url(&ann);
    let fp = url.split("fp=").nth(1).unwrap().to_owned();
    let forged = url.replace(&fp, &"ab".repeat(32));
    let home = tempfile::tempdir().unwrap();
    let err = brug_device::Device::enrol(home.path(), &forged, brug_tests::PIN, "t")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("certificaat past niet"), "{err}");
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
    // Not a Brug URL at all.
    let err = brug_device::Device::enrol(home.path(), "https://example.org", brug_tests::PIN, "t")
        .await
        .unwrap_err();
    assert!(matches!(err, DeviceError::EnrolUrl(_)));
}

#[tokio::test]
async fn malformed_json_for_every_kind_is_refused_and_changes_nothing() {
    let stack = Stack::start().await;
    let ann = stack.user("Ann Peeters", Role::BridgeWorker);
    let mut worker = stack.enrol(&ann).await;
    let (case, _) = worker.device.create_case(&household()).unwrap();
    worker
        .device
        .add_record(case, RecordKind::Member, example(RecordKind::Member))
        .unwrap();
    let before = worker.device.show(case).unwrap().case;
    let history = worker.device.history(case, None).unwrap().len();
    for kind in RecordKind::ALL {
        for bad in [
            json!(null),
            json!([]),
            json!("visit"),
            json!({}),
            json!({"start": 12}),
        ] {
            let err = worker
                .device
                .add_record(case, *kind, bad.clone())
                .unwrap_err();
            assert!(
                matches!(err, DeviceError::BadInput(_)),
                "{kind:?} {bad}: {err:?}"
            );
        }
        // Right shape, wrong value in one field.
        let mut wrong = example(*kind);
        let field = wrong.as_object().unwrap().keys().next().unwrap().clone();
        wrong[&field] = json!({"nonsense": true});
        assert!(
            worker.device.add_record(case, *kind, wrong).is_err(),
            "{kind:?}"
        );
    }
    // A rule error refuses too: an EAN with a wrong check digit.
    let mut check = example(RecordKind::MeterCheck);
    check["ean"] = json!("541448820000123456");
    let err = worker
        .device
        .add_record(case, RecordKind::MeterCheck, check)
        .unwrap_err();
    assert!(err.to_string().contains("ean.check-digit"), "{err}");
    assert_eq!(worker.device.show(case).unwrap().case, before);
    assert_eq!(worker.device.history(case, None).unwrap().len(), history);
}

#[tokio::test]
async fn nothing_is_readable_in_the_device_files_without_the_key() {
    let stack = Stack::start().await;
    let ann = stack.user("Ann Peeters", Role::BridgeWorker);
    let mut worker = stack.enrol(&ann).await;
    let mut h = household();
    h.name = "Familie Zwartvlieg".into();
    h.address.street = "Kwakkelstraat".into();
    let (case, _) = worker.device.create_case(&h).unwrap();
    sync(&mut worker).await;
    // The index really holds the name (so a plain file would show it)...
    assert_eq!(
        worker.device.show(case).unwrap().case.household.name,
        "Familie Zwartvlieg"
    );
    // ...yet no file in the home does: database, WAL, shared memory, key.
    for entry in std::fs::read_dir(worker.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        assert!(
            !text.contains("zwartvlieg") && !text.contains("kwakkelstraat"),
            "{} leaks data",
            path.display()
        );
    }
}

fn two_years_ahead() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::days(730)
}

fn three_days_ahead() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::days(3)
}

fn twenty_days_behind() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::Duration::days(20)
}

brug_tests::on_both_stacks!(devices_with_wrong_clocks_still_converge_with_the_right_authors);

async fn devices_with_wrong_clocks_still_converge_with_the_right_authors(stack: Stack) {
    let Team {
        ann,
        bert,
        mut worker,
        mut adviser,
        mut supervisor,
        ..
    } = stack.team().await;
    let (case, _) = worker.device.create_case(&household()).unwrap();
    sync(&mut worker).await;
    stack.assign(case, &bert);
    // A clock a few days fast is within the allowed skew (a week); one far
    // behind only dates its own changes in the past.
    worker.device.set_clock(three_days_ahead);
    adviser.device.set_clock(twenty_days_behind);
    sync(&mut worker).await;
    sync(&mut adviser).await;
    worker
        .device
        .set_field(case, "household", &"phone".into(), json!("0470 11 11 11"))
        .unwrap();
    adviser
        .device
        .set_field(case, "household", &"phone".into(), json!("0470 22 22 22"))
        .unwrap();
    adviser
        .device
        .add_record(case, RecordKind::Member, example(RecordKind::Member))
        .unwrap();
    sync(&mut worker).await;
    sync(&mut adviser).await;
    sync(&mut worker).await;
    sync(&mut supervisor).await;
    let view = supervisor.device.show(case).unwrap();
    assert_eq!(view.case.members.len(), 1);
    let c = &view.conflicts[0];
    let mut seen: Vec<(String, i64)> = c
        .values
        .iter()
        .map(|v| (v.author.clone().unwrap(), v.at.unwrap().timestamp()))
        .collect();
    seen.sort();
    assert_eq!(
        (seen[0].0.as_str(), seen[1].0.as_str()),
        (ann.as_str(), bert.as_str())
    );
    // Each value carries its own device's clock: three and twenty days apart.
    assert!(seen[0].1 - seen[1].1 > 22 * 86_400);
    let history = supervisor.device.history(case, None).unwrap();
    let authors: std::collections::BTreeSet<String> =
        history.iter().filter_map(|h| h.author.clone()).collect();
    assert_eq!(
        authors.into_iter().collect::<Vec<_>>(),
        vec![ann.clone(), bert.clone()]
    );
    for d in [&worker, &adviser] {
        assert_eq!(d.device.show(case).unwrap().case, view.case);
    }
}

brug_tests::on_both_stacks!(a_clock_far_ahead_gets_its_changes_refused_and_says_why);

async fn a_clock_far_ahead_gets_its_changes_refused_and_says_why(stack: Stack) {
    let Team { mut worker, .. } = stack.team().await;
    let (case, _) = worker.device.create_case(&household()).unwrap();
    sync(&mut worker).await;
    worker.device.set_clock(two_years_ahead);
    // A device whose clock jumped ahead finds its lease run out: it syncs first.
    assert!(worker.device.lease().unwrap().locked);
    sync(&mut worker).await;
    worker
        .device
        .set_field(case, "household", &"phone".into(), json!("0470 11 11 11"))
        .unwrap();
    let report = sync(&mut worker).await;
    assert_eq!(report.refused, vec![(case, ErrorCode::Refused)]);
    let why = &report.refused_why[&case];
    assert!(why.contains("klok") && why.contains("clock"), "{why}");
    // Nothing of it reached the server; the change stays on the device.
    let stored = stack.on_store(|s| s.load(case).unwrap().unwrap().case().unwrap());
    assert_ne!(stored.household.phone.as_deref(), Some("0470 11 11 11"));
    assert_eq!(worker.device.status().unwrap().pending, 1);
}

brug_tests::on_both_stacks!(a_watching_supervisor_receives_a_new_case_without_asking);

async fn a_watching_supervisor_receives_a_new_case_without_asking(stack: Stack) {
    let ann = stack.user("Ann Peeters", Role::BridgeWorker);
    let sofie = stack.user("Sofie Vandenberghe", Role::Supervisor);
    let mut worker = stack.enrol(&ann).await;
    let mut supervisor = stack.enrol(&sofie).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watching = tokio::spawn(async move {
        let result = supervisor
            .device
            .watch(
                &mut |p| {
                    let _ = tx.send(p);
                },
                &tokio::sync::Notify::new(),
            )
            .await;
        (supervisor, result)
    });
    // The watcher has caught up (nothing yet) before the worker acts.
    let first = rx.recv().await.unwrap();
    assert_eq!(first.total, 0);
    let (case, _) = worker.device.create_case(&household()).unwrap();
    sync(&mut worker).await;
    // The server pushes the news; the watcher syncs it by itself.
    let arrived = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while let Some(p) = rx.recv().await {
            if p.total >= 1 && p.done == p.total {
                return true;
            }
        }
        false
    })
    .await
    .unwrap();
    assert!(arrived);
    // A second change to the same case arrives too.
    worker
        .device
        .set_field(case, "household", &"phone".into(), json!("0470 55 55 55"))
        .unwrap();
    sync(&mut worker).await;
    let again = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while let Some(p) = rx.recv().await {
            if p.total >= 2 && p.done == p.total {
                return true;
            }
        }
        false
    })
    .await
    .unwrap();
    assert!(again);
    stack.server.shutdown().await.unwrap();
    let (supervisor, result) = watching.await.unwrap();
    assert!(result.is_err(), "the watch ends when the server goes away");
    assert_eq!(ids(&supervisor), vec![case]);
    assert_eq!(
        supervisor
            .device
            .show(case)
            .unwrap()
            .case
            .household
            .phone
            .as_deref(),
        Some("0470 55 55 55")
    );
}

fn three_days_later() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::days(3)
}

#[tokio::test]
async fn a_case_nobody_touches_still_becomes_overdue_when_its_date_passes() {
    let stack = Stack::start().await;
    let Team { mut worker, .. } = stack.team().await;
    let (case, _) = worker.device.create_case(&household()).unwrap();
    let now = chrono::Local::now().naive_local();
    let mut visit = example(RecordKind::Visit);
    visit["start"] = json!(
        (now - chrono::Duration::hours(1))
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    );
    visit["safety_signal"] = json!("child-concern");
    visit["follow_up_by"] = json!(
        (now + chrono::Duration::hours(20))
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    );
    visit["end"] = json!(now.format("%Y-%m-%dT%H:%M:%S").to_string());
    visit["actions"] = json!({});
    visit["next_appointment"] = json!(null);
    worker
        .device
        .add_record(case, RecordKind::Visit, visit)
        .unwrap();
    sync(&mut worker).await;
    let flags = |d: &TestDevice| {
        d.device
            .list(&Default::default())
            .unwrap()
            .into_iter()
            .find(|r| r.id == case)
            .unwrap()
            .flags
    };
    assert!(flags(&worker).contains(&"safety-signal".to_string()));
    assert!(!flags(&worker).contains(&"overdue-follow-up".to_string()));
    // Three days on, nobody has touched the case: the day's first sync
    // brings nothing for it, yet its flags are those of the new date.
    worker.device.set_clock(three_days_later);
    let report = sync(&mut worker).await;
    assert!(!report.synced.contains(&case) || report.refused.is_empty());
    assert!(
        flags(&worker).contains(&"overdue-follow-up".to_string()),
        "{:?}",
        flags(&worker)
    );
}

#[tokio::test]
async fn the_queue_lists_each_waiting_item_and_an_action_past_its_deadline() {
    use brug_shared::model::CaseFlag;
    let stack = Stack::start().await;
    let Team {
        mut worker,
        mut supervisor,
        ..
    } = stack.team().await;
    let (case, _) = worker.device.create_case(&household()).unwrap();
    let today = chrono::Local::now().date_naive();
    // Three visits, all submitted: three items in one case.
    let mut visits = Vec::new();
    for i in 0..3 {
        let mut visit = example(RecordKind::Visit);
        visit["safety_signal"] = json!("none");
        visit["follow_up_by"] = json!(null);
        visit["next_appointment"] = json!(null);
        visit["actions"] = if i == 0 {
            json!({ Uuid::now_v7().to_string(): {
                "what": "Aanvraag sociaal tarief indienen",
                "who": "brugfiguur",
                "deadline": (today + chrono::Days::new(2)).to_string(),
                "status": "open",
            }})
        } else {
            json!({})
        };
        let (id, _) = worker
            .device
            .add_record(case, RecordKind::Visit, visit)
            .unwrap();
        worker
            .device
            .review(case, &id.to_string(), ReviewAction::Submit, "")
            .unwrap();
        visits.push(id);
    }
    sync(&mut worker).await;
    sync(&mut supervisor).await;
    let queue = supervisor.device.queue().unwrap();
    let submitted: Vec<_> = queue
        .iter()
        .filter(|i| i.reason == CaseFlag::Submitted)
        .collect();
    assert_eq!(submitted.len(), 3, "{queue:?}");
    assert!(
        submitted
            .iter()
            .all(|i| i.case == case && visits.contains(&i.record.unwrap()))
    );
    assert!(!queue.iter().any(|i| i.reason == CaseFlag::OverdueAction));
    // Three days on, nobody touched the case: the action is overdue, with
    // its deadline, on the supervisor's device after the day's first sync.
    supervisor.device.set_clock(three_days_later);
    sync(&mut supervisor).await;
    let queue = supervisor.device.queue().unwrap();
    let overdue: Vec<_> = queue
        .iter()
        .filter(|i| i.reason == CaseFlag::OverdueAction)
        .collect();
    assert_eq!(overdue.len(), 1, "{queue:?}");
    assert_eq!(overdue[0].record, Some(visits[0]));
    assert_eq!(
        overdue[0].due.map(|d| d.date()),
        Some(today + chrono::Days::new(2))
    );
    assert!(overdue[0].nl.contains("Aanvraag sociaal tarief indienen"));
    let row = supervisor
        .device
        .list(&Default::default())
        .unwrap()
        .into_iter()
        .find(|r| r.id == case)
        .unwrap();
    assert!(
        row.flags.contains(&"overdue-action".to_string()),
        "{:?}",
        row.flags
    );
    // The submitted records still come first: the queue's order.
    assert_eq!(queue[0].reason, CaseFlag::Submitted);
}

fn at(y: i32, m: u32, d: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap()
}
fn dec_20_2026() -> chrono::DateTime<chrono::Utc> {
    at(2026, 12, 20)
}
fn jan_10_2027() -> chrono::DateTime<chrono::Utc> {
    at(2027, 1, 10)
}
fn jan_11_2027() -> chrono::DateTime<chrono::Utc> {
    at(2027, 1, 11)
}
fn mar_31_2027() -> chrono::DateTime<chrono::Utc> {
    at(2027, 3, 31)
}
fn apr_1_2027() -> chrono::DateTime<chrono::Utc> {
    at(2027, 4, 1)
}
fn oct_31_2027() -> chrono::DateTime<chrono::Utc> {
    at(2027, 10, 31)
}
fn nov_1_2027() -> chrono::DateTime<chrono::Utc> {
    at(2027, 11, 1)
}

/// Flags by the date, with the clock injected: a referral's follow-up
/// becomes overdue the day after its date and a prepaid gas balance at zero
/// leaves the winter-risk list on 1 April and comes back on 1 November,
/// though nobody touches either case; each day's pass opens only the cases
/// whose day has come (a case with nothing dated is never opened).
#[tokio::test]
async fn flags_by_the_date_change_on_their_day_and_only_cases_whose_day_came_are_opened() {
    use brug_shared::model::CaseFlag;
    let stack = Stack::start().await;
    let Team { mut worker, .. } = stack.team().await;
    let d = &mut worker.device;
    // Months without a sync: the lease must not lock the case list.
    d.set_lease_days(1000).unwrap();
    d.set_clock(dec_20_2026);
    let mut plain = household();
    plain.next_appointment = None;
    let (quiet, _) = d.create_case(&plain).unwrap();
    let (referred, _) = d.create_case(&plain).unwrap();
    let mut referral = example(RecordKind::Referral);
    referral["referred_on"] = json!("2026-12-20");
    referral["follow_up_on"] = json!("2027-01-10");
    d.add_record(referred, RecordKind::Referral, referral)
        .unwrap();
    let (prepaid, _) = d.create_case(&plain).unwrap();
    let mut gas = example(RecordKind::MeterCheck);
    gas["checked_on"] = json!("2026-12-18");
    gas["energy"] = json!("gas");
    gas["ean"] = json!(examples::EXAMPLE_EAN_GAS);
    gas["meter_kind"] = json!("analogue-single");
    gas["readings"] = json!({});
    gas["prepaid"] = json!(true);
    gas["supplier_kind"] = json!("fluvius-social");
    gas["supplier_name"] = json!(null);
    gas["prepaid_status"] = json!({"balance_cents": 0});
    let (_, findings) = d.add_record(prepaid, RecordKind::MeterCheck, gas).unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f.code == "prepaid.self-disconnection-risk"),
        "{findings:?}"
    );

    let flags = |d: &brug_device::Device, case: Uuid| {
        d.list(&Default::default())
            .unwrap()
            .into_iter()
            .find(|r| r.id == case)
            .unwrap()
            .flags
    };
    let risk = CaseFlag::SelfDisconnectionRisk.code().to_owned();
    let overdue = CaseFlag::OverdueFollowUp.code().to_owned();
    assert!(flags(d, prepaid).contains(&risk));
    assert!(!flags(d, referred).contains(&overdue));
    assert!(flags(d, quiet).is_empty());

    // (clock, cases opened by the day's pass, referral overdue, at risk)
    type Clock = fn() -> chrono::DateTime<chrono::Utc>;
    let days: [(Clock, usize, bool, bool); 6] = [
        (jan_10_2027, 0, false, true),
        (jan_11_2027, 1, true, true),
        (mar_31_2027, 0, true, true),
        (apr_1_2027, 1, true, false),
        (oct_31_2027, 0, true, false),
        (nov_1_2027, 1, true, true),
    ];
    for (clock, opened, is_overdue, at_risk) in days {
        d.set_clock(clock);
        let today = clock().date_naive();
        assert_eq!(
            d.refresh_for_today().unwrap(),
            opened,
            "cases opened on {today}"
        );
        assert_eq!(flags(d, referred).contains(&overdue), is_overdue, "{today}");
        assert_eq!(flags(d, prepaid).contains(&risk), at_risk, "{today}");
        assert!(flags(d, quiet).is_empty(), "{today}");
        let queued = d
            .queue()
            .unwrap()
            .iter()
            .any(|i| i.case == prepaid && i.reason == CaseFlag::SelfDisconnectionRisk);
        assert_eq!(queued, at_risk, "{today}");
        // The same day again opens nothing.
        assert_eq!(d.refresh_for_today().unwrap(), 0);
    }
}
