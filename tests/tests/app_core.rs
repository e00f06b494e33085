//! What the app's screens rely on in the device core: drafts that survive
//! a lock, form saves that write only what the worker changed, and a sync
//! handle writing beside the screens without losing either side's edits.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use brug_device::Device;
use brug_shared::casedoc::ReviewAction;
use brug_shared::model::{RecordKind, ReviewState, examples};
use brug_shared::schema::FieldPath;
use brug_tests::{PIN, Stack, Team};
use serde_json::json;

/// Adds the example visit to a case; returns its id.
fn add_visit(device: &mut Device, case: uuid::Uuid) -> uuid::Uuid {
    device
        .add_record(
            case,
            RecordKind::Visit,
            examples::example(RecordKind::Visit).to_json(),
        )
        .unwrap()
        .0
}

#[tokio::test]
async fn a_draft_survives_locking_and_is_gone_once_thrown_away() {
    let stack = Stack::start().await;
    let Team { worker, .. } = stack.team().await;
    let home = worker.path();
    let body = json!({"base": null, "edited": {"notes": "Half getypt verslag"}});
    worker.device.save_draft("case/visit/new", &body).unwrap();
    drop(worker.device); // the app locks: the unlocked device is forgotten

    let reopened = Device::open(&home, PIN).unwrap();
    assert_eq!(reopened.draft("case/visit/new").unwrap(), Some(body));
    assert_eq!(
        reopened.drafts().unwrap(),
        vec!["case/visit/new".to_string()]
    );
    reopened.drop_draft("case/visit/new").unwrap();
    assert_eq!(reopened.draft("case/visit/new").unwrap(), None);
    drop(worker.home);
}

#[tokio::test]
async fn a_form_save_keeps_a_colleagues_newer_value_and_never_takes_the_review_state_from_the_form()
{
    let stack = Stack::start().await;
    let Team {
        mut worker,
        mut supervisor,
        ..
    } = stack.team().await;
    let (case, _) = worker.device.create_case(&examples::household()).unwrap();
    let visit = add_visit(&mut worker.device, case);
    worker
        .device
        .review(case, &visit.to_string(), ReviewAction::Submit, "")
        .unwrap();
    // The worker opens the visit in a form...
    let (opened, heads) = worker.device.case_at(case).unwrap();
    let base = opened.record(RecordKind::Visit, visit).unwrap().to_json();
    worker.device.sync(&mut |_| {}).await.unwrap();
    // ...meanwhile the supervisor approves it and corrects the next appointment.
    supervisor.device.sync(&mut |_| {}).await.unwrap();
    supervisor
        .device
        .review(case, &visit.to_string(), ReviewAction::Approve, "")
        .unwrap();
    supervisor
        .device
        .set_field(
            case,
            &visit.to_string(),
            &"next_appointment".into(),
            json!("2026-10-26T10:00:00"),
        )
        .unwrap();
    supervisor.device.sync(&mut |_| {}).await.unwrap();
    worker.device.sync(&mut |_| {}).await.unwrap();

    // The worker's form still holds the old appointment and review state;
    // only the notes were changed in it.
    let mut edited = base.clone();
    edited["notes"] = json!("Moeder vond werk; energiefactuur blijft een zorg.");
    worker
        .device
        .update_record(case, visit, &heads, &edited)
        .unwrap();

    let stored = worker.device.case(case).unwrap();
    let v = &stored.visits[&visit];
    assert_eq!(v.notes, "Moeder vond werk; energiefactuur blijft een zorg.");
    assert_eq!(
        v.next_appointment.map(|t| t.to_string()),
        Some("2026-10-26 10:00:00".to_string()),
        "the supervisor's correction stays"
    );
    assert_eq!(
        v.review.state,
        ReviewState::Submitted,
        "an edit after approval goes back to review, not to the form's old state"
    );
    assert_eq!(
        v.review.reviewer.as_deref(),
        Some(supervisor.device.info().user.as_str())
    );
}

#[tokio::test]
async fn two_forms_that_change_the_same_field_offline_keep_both_values_for_the_supervisor() {
    let stack = Stack::start().await;
    let Team {
        mut worker,
        mut adviser,
        ..
    } = stack.team().await;
    let (case, _) = worker.device.create_case(&examples::household()).unwrap();
    worker.device.sync(&mut |_| {}).await.unwrap();
    stack.assign(case, &adviser.device.info().user);
    adviser.device.sync(&mut |_| {}).await.unwrap();

    // Both open the household form offline and type another phone number.
    let (h1, heads1) = worker.device.case_at(case).unwrap();
    let (h2, heads2) = adviser.device.case_at(case).unwrap();
    let mut e1 = serde_json::to_value(&h1.household).unwrap();
    e1["phone"] = json!("0470 11 11 11");
    let mut e2 = serde_json::to_value(&h2.household).unwrap();
    e2["phone"] = json!("0470 22 22 22");
    e2["notes"] = json!("Bellen na 16 uur.");
    worker.device.update_household(case, &heads1, &e1).unwrap();
    adviser.device.update_household(case, &heads2, &e2).unwrap();
    adviser.device.sync(&mut |_| {}).await.unwrap();
    worker.device.sync(&mut |_| {}).await.unwrap();

    let view = worker.device.show(case).unwrap();
    assert_eq!(
        view.case.household.notes, "Bellen na 16 uur.",
        "the untouched field is merged"
    );
    let phone = view
        .conflicts
        .iter()
        .find(|c| c.field == "phone")
        .expect("the phone is a conflict, not silently one value");
    let mut values: Vec<_> = phone.values.iter().map(|v| v.value.clone()).collect();
    values.sort_by_key(ToString::to_string);
    assert_eq!(values, vec![json!("0470 11 11 11"), json!("0470 22 22 22")]);
}

#[tokio::test]
async fn a_form_save_reads_the_case_once() {
    let stack = Stack::start().await;
    let Team { mut worker, .. } = stack.team().await;
    let (case, _) = worker.device.create_case(&examples::household()).unwrap();
    let visit = add_visit(&mut worker.device, case);
    let (opened, heads) = worker.device.case_at(case).unwrap();
    let mut edited = opened.record(RecordKind::Visit, visit).unwrap().to_json();
    edited["notes"] = json!("Verslag aangevuld.");
    let before = brug_shared::casedoc::case_reads();
    worker
        .device
        .update_record(case, visit, &heads, &edited)
        .unwrap();
    assert_eq!(
        brug_shared::casedoc::case_reads() - before,
        1,
        "one read of the whole case for the rules and the index"
    );
    assert_eq!(
        worker.device.case(case).unwrap().visits[&visit].notes,
        "Verslag aangevuld."
    );
}

#[tokio::test]
async fn edits_through_two_handles_at_once_are_all_kept() {
    let stack = Stack::start().await;
    let Team { mut worker, .. } = stack.team().await;
    let (case, _) = worker.device.create_case(&examples::household()).unwrap();
    let mut other = worker.device.handle().unwrap();
    let visit = add_visit(&mut worker.device, case);
    let visit = visit.to_string();
    // The screens and a sync handle write the same case in the same moments.
    std::thread::scope(|s| {
        let a = s.spawn(|| {
            for i in 0..40 {
                worker
                    .device
                    .set_field(
                        case,
                        "household",
                        &"notes".into(),
                        json!(format!("scherm {i}")),
                    )
                    .unwrap();
            }
        });
        let b = s.spawn(|| {
            for i in 0..40 {
                other
                    .set_field(case, &visit, &"notes".into(), json!(format!("sync {i}")))
                    .unwrap();
            }
        });
        a.join().unwrap();
        b.join().unwrap();
    });
    let stored = worker.device.case(case).unwrap();
    assert_eq!(stored.household.notes, "scherm 39");
    assert_eq!(stored.visits.values().next().unwrap().notes, "sync 39");
    let history = worker.device.history(case, None).unwrap();
    let edits = history
        .iter()
        .filter(|h| h.note.fields.iter().any(|f| f == "notes"))
        .count();
    assert_eq!(edits, 80, "every edit is in the case's history");
}

#[tokio::test]
async fn a_case_read_again_shows_what_another_handle_saved_since() {
    let stack = Stack::start().await;
    let Team { mut worker, .. } = stack.team().await;
    let (case, _) = worker.device.create_case(&examples::household()).unwrap();
    let mut other = worker.device.handle().unwrap();
    add_visit(&mut worker.device, case);
    // Both handles have read the case: each keeps it in memory now.
    assert_eq!(worker.device.case(case).unwrap().visits.len(), 1);
    assert_eq!(other.case(case).unwrap().visits.len(), 1);
    add_visit(&mut other, case);
    assert_eq!(
        worker.device.case(case).unwrap().visits.len(),
        2,
        "the screens see the visit the other handle saved"
    );
    add_visit(&mut worker.device, case);
    assert_eq!(other.case(case).unwrap().visits.len(), 3);
    assert_eq!(worker.device.show(case).unwrap().case.visits.len(), 3);
}

#[tokio::test]
async fn the_device_refuses_what_the_server_would_before_it_writes() {
    let stack = Stack::start().await;
    let Team {
        mut worker,
        mut supervisor,
        sofie,
        ..
    } = stack.team().await;
    let (case, _) = worker.device.create_case(&examples::household()).unwrap();
    let visit = add_visit(&mut worker.device, case);
    let visit = visit.to_string();
    let history = worker.device.history(case, None).unwrap().len();
    for (field, value) in [
        ("review.state", json!("approved")),
        ("review.reviewer", json!(sofie)),
    ] {
        let e = worker
            .device
            .set_field(case, &visit, &field.into(), value)
            .unwrap_err();
        let inside_visit = FieldPath::of(["visits".to_owned(), visit.clone()]).join(&field.into());
        assert!(
            matches!(e, brug_device::DeviceError::Policy(ref r) if r.field == inside_visit),
            "{field}: {e}"
        );
        assert!(e.to_string().contains("teamverantwoordelijke"), "{e}");
    }
    assert_eq!(
        worker.device.history(case, None).unwrap().len(),
        history,
        "nothing was written"
    );
    // The supervisor approves through the review step, in her own name.
    worker.device.sync(&mut |_| {}).await.unwrap();
    supervisor.device.sync(&mut |_| {}).await.unwrap();
    supervisor
        .device
        .review(case, &visit, ReviewAction::Submit, "")
        .unwrap();
    supervisor
        .device
        .review(case, &visit, ReviewAction::Approve, "")
        .unwrap();
    let report = supervisor.device.sync(&mut |_| {}).await.unwrap();
    assert!(report.refused.is_empty(), "{report:?}");
    worker.device.sync(&mut |_| {}).await.unwrap();
    let id = visit.parse().unwrap();
    assert_eq!(
        worker.device.case(case).unwrap().visits[&id].review.state,
        ReviewState::Approved
    );
}

#[tokio::test]
async fn the_queue_counts_each_record_waiting_for_review_not_only_the_case() {
    let stack = Stack::start().await;
    let Team {
        mut worker,
        mut supervisor,
        ..
    } = stack.team().await;
    let (one, _) = worker.device.create_case(&examples::household()).unwrap();
    let (two, _) = worker.device.create_case(&examples::household()).unwrap();
    for (case, n) in [(one, 3), (two, 1)] {
        for _ in 0..n {
            let visit = add_visit(&mut worker.device, case);
            worker
                .device
                .review(case, &visit.to_string(), ReviewAction::Submit, "")
                .unwrap();
        }
    }
    worker.device.sync(&mut |_| {}).await.unwrap();
    supervisor.device.sync(&mut |_| {}).await.unwrap();
    let waiting: Vec<_> = supervisor
        .device
        .queue()
        .unwrap()
        .into_iter()
        .filter(|i| i.reason == brug_shared::model::CaseFlag::Submitted)
        .collect();
    let cases: std::collections::BTreeSet<_> = waiting.iter().map(|i| i.case).collect();
    assert_eq!(
        (waiting.len(), cases.len()),
        (4, 2),
        "four records in two cases"
    );
}

#[tokio::test]
async fn a_device_locked_by_wrong_pins_opens_with_the_servers_code_and_keeps_its_work() {
    use brug_device::DeviceError;
    use brug_device::keys::{self, KeyError};
    use brug_device::net::NetError;
    use brug_sync_server::admin;
    let stack = Stack::start().await;
    let Team { worker, .. } = stack.team().await;
    let home = worker.path();
    let device_id = worker.device.info().device_id.to_string();
    let mut device = worker.device;
    // Work typed offline, not synced yet.
    let (case, _) = device.create_case(&examples::household()).unwrap();
    drop(device);

    // Someone tries PINs, each after its wait, until the device locks.
    let mut last = None;
    for i in 0..keys::MAX_WRONG_PINS {
        last = keys::unlock_with(&home, "000000", i64::from(i) * 7_200_000, &None).err();
    }
    assert!(matches!(last, Some(KeyError::LockedOut)), "{last:?}");
    let refused = Device::open(&home, PIN).err().unwrap();
    assert!(
        matches!(refused, DeviceError::Key(KeyError::LockedOut)),
        "{refused}"
    );

    // A code that is not this device's opens nothing.
    let other = Stack::start().await;
    let ann2 = other.user("Ann Peeters", brug_sync_server::auth::Role::BridgeWorker);
    let stranger = other.enrol(&ann2).await;
    let foreign = admin::unlock_code(
        &other.db(),
        &stranger.device.info().device_id.to_string(),
        admin::Actor::Admin,
    )
    .unwrap()
    .unwrap();
    let wrong = Device::recover(&home, &foreign, "246813")
        .await
        .err()
        .unwrap();
    assert!(
        matches!(
            &wrong,
            DeviceError::Net(NetError::Refused { status: 403, .. })
        ),
        "{wrong}"
    );
    assert!(keys::locked_out(&home), "still locked");

    // The administrator's code and a new PIN: the same store, the work kept.
    let code = admin::unlock_code(&stack.db(), &device_id, admin::Actor::Admin)
        .unwrap()
        .unwrap();
    let mut device = Device::recover(&home, &code, "246813").await.unwrap();
    assert!(device.show(case).is_ok(), "the unsynced case is there");
    let report = device.sync(&mut |_| {}).await.unwrap();
    assert!(report.synced.contains(&case));
    drop(device);
    assert!(Device::open(&home, "246813").is_ok());
    assert!(matches!(
        Device::open(&home, PIN).err().unwrap(),
        DeviceError::Key(KeyError::WrongPin { .. })
    ));
    // A code works once.
    let again = Device::recover(&home, &code, "135792").await.err().unwrap();
    assert!(
        matches!(
            &again,
            DeviceError::Net(NetError::Refused { status: 403, .. })
        ),
        "{again}"
    );
    // A revoked device gets no code.
    stack.revoke(uuid::Uuid::parse_str(&device_id).unwrap());
    assert!(
        admin::unlock_code(&stack.db(), &device_id, admin::Actor::Admin)
            .unwrap()
            .is_none()
    );
}

/// The case list comes in the order the screens show (next appointment
/// first, none last, then by name), read from the covering index in that
/// order with no sort, also when searching; the search still finds only
/// what matches.
#[test]
fn the_case_list_is_read_in_order_from_its_index_without_a_sort() {
    use brug_device::index::{CaseQuery, IndexRow};
    use brug_device::{keys, local};
    let home = tempfile::tempdir().unwrap();
    let key = keys::create(home.path(), PIN).unwrap();
    let mut store = local::LocalStore::open(home.path(), &key).unwrap();
    let row = |name: &str, at: Option<&str>| IndexRow {
        id: uuid::Uuid::now_v7(),
        name: name.into(),
        address: format!("{name}straat 1"),
        postcode: "8530".into(),
        status: "open".into(),
        flags: Vec::new(),
        workers: vec!["ann.peeters".into()],
        schools: String::new(),
        next_appointment: at.map(Into::into),
        conflicts: 0,
        updated_at: 0,
        items: Vec::new(),
        recheck_on: None,
        blobs: Vec::new(),
    };
    let tx = store.transaction().unwrap();
    for r in [
        row("Familie Zeger", None),
        row("Familie Aerts", None),
        row("Familie Maes", Some("2026-12-09T10:00")),
        row("Familie Peeters", Some("2026-12-07T14:00")),
    ] {
        local::put_index(&tx, &r).unwrap();
    }
    tx.commit().unwrap();
    let names = |q: &CaseQuery| -> Vec<String> {
        local::search(store.conn(), q)
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect()
    };
    assert_eq!(
        names(&CaseQuery::default()),
        [
            "Familie Peeters",
            "Familie Maes",
            "Familie Aerts",
            "Familie Zeger"
        ]
    );
    let text = CaseQuery {
        text: Some("maes".into()),
        ..CaseQuery::default()
    };
    assert_eq!(names(&text), ["Familie Maes"]);
    for q in [CaseQuery::default(), text] {
        let plan = local::search_plan(store.conn(), &q).unwrap().join(" / ");
        assert!(plan.contains("COVERING INDEX case_index_list"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "a sort: {plan}");
    }
}

#[tokio::test]
async fn the_case_list_follows_a_sync_and_a_row_a_cut_off_sync_left_behind_is_made_good() {
    use brug_device::index::CaseQuery;
    use brug_device::{keys, local};
    let stack = Stack::start().await;
    let Team {
        mut worker,
        mut supervisor,
        ..
    } = stack.team().await;
    let (case, _) = worker.device.create_case(&examples::household()).unwrap();
    worker.device.sync(&mut |_| {}).await.unwrap();
    supervisor.device.sync(&mut |_| {}).await.unwrap();
    let listed = |d: &Device| {
        d.list(&CaseQuery::default())
            .unwrap()
            .into_iter()
            .find(|r| r.id == case)
            .map(|r| r.name)
    };
    assert_eq!(
        listed(&supervisor.device).as_deref(),
        Some("Familie Vermeulen")
    );

    // A change synced in: its row is made beside the session and is in
    // the list when the sync returns.
    worker
        .device
        .set_field(
            case,
            "household",
            &"name".into(),
            json!("Familie Nieuwland"),
        )
        .unwrap();
    worker.device.sync(&mut |_| {}).await.unwrap();
    supervisor.device.sync(&mut |_| {}).await.unwrap();
    assert_eq!(
        listed(&supervisor.device).as_deref(),
        Some("Familie Nieuwland")
    );

    // A sync cut off after it stored a change and marked the case's row
    // stale, before the row was written (on a second connection, as the
    // session would have left it).
    {
        let now = chrono::Utc::now().timestamp_millis();
        let key = keys::unlock(&supervisor.path(), PIN, now).unwrap();
        let mut store = local::LocalStore::open(&supervisor.path(), &key).unwrap();
        let mut doc = store.load(case).unwrap().unwrap();
        doc.set_editor(&brug_shared::casedoc::Editor {
            user: "sofie".into(),
            device: uuid::Uuid::new_v4(),
        });
        doc.set_field(
            brug_shared::casedoc::Target::Household,
            &"name".into(),
            json!("Familie Tussenweg"),
        )
        .unwrap();
        let tx = store.transaction().unwrap();
        brug_shared::store::merge_and_save_in(&tx, &mut doc).unwrap();
        local::mark_index_stale(&tx, case).unwrap();
        tx.commit().unwrap();
    }
    assert_eq!(
        listed(&supervisor.device).as_deref(),
        Some("Familie Nieuwland"),
        "the row is behind its case"
    );
    // The next pass over the index (at start-up, after every sync) makes
    // it good.
    assert!(supervisor.device.refresh_for_today().unwrap() >= 1);
    assert_eq!(
        listed(&supervisor.device).as_deref(),
        Some("Familie Tussenweg")
    );
    assert_eq!(supervisor.device.refresh_for_today().unwrap(), 0);
}
