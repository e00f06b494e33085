//! The supervisor's team routes, from the app's side: who is in the team,
//! assigning a case to a worker from the supervisor's device, and a
//! one-time enrolment code for a member's new device. Workers and other
//! teams are refused and nothing changes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use brug_device::{Device, DeviceError};
use brug_shared::model::examples;
use brug_sync_server::auth::Role;
use brug_sync_server::db;
use brug_sync_server::storage::Assignment;
use brug_tests::{PIN, Stack, Team, TestDevice};
use uuid::Uuid;

async fn sync(d: &mut TestDevice) {
    d.device.sync(&mut |_| {}).await.unwrap();
}

fn holds(d: &TestDevice, case: Uuid) -> bool {
    d.device
        .list(&Default::default())
        .unwrap()
        .iter()
        .any(|r| r.id == case)
}

fn refused_code(e: DeviceError) -> String {
    match e {
        DeviceError::Net(brug_device::net::NetError::Refused { code, .. }) => code,
        other => panic!("expected a refusal, got {other}"),
    }
}

brug_tests::on_both_stacks!(a_supervisor_assigns_a_case_from_the_app_and_the_adviser_receives_it);

async fn a_supervisor_assigns_a_case_from_the_app_and_the_adviser_receives_it(stack: Stack) {
    let Team {
        ann,
        bert,
        sofie,
        mut worker,
        mut adviser,
        mut supervisor,
    } = stack.team().await;
    let (case, _) = worker.device.create_case(&examples::household()).unwrap();
    sync(&mut worker).await;
    sync(&mut supervisor).await;
    sync(&mut adviser).await;
    assert!(!holds(&adviser, case));

    let link = supervisor.device.team_link().unwrap();
    let team = link.team(Some(case)).await.unwrap();
    let ids: Vec<&str> = team.members.iter().map(|m| m.id.as_str()).collect();
    for who in [&ann, &bert, &sofie] {
        assert!(ids.contains(&who.as_str()), "{who} in {ids:?}");
    }
    assert_eq!(
        team.assigned,
        vec![ann.clone()],
        "the creator works the case"
    );

    let after = link.assign(case, &bert, true).await.unwrap();
    assert!(after.assigned.contains(&bert) && after.assigned.contains(&ann));
    sync(&mut adviser).await;
    assert!(
        holds(&adviser, case),
        "the adviser's device receives the case"
    );

    link.assign(case, &bert, false).await.unwrap();
    sync(&mut adviser).await;
    assert!(
        !holds(&adviser, case),
        "taken away again: purged from the device"
    );
}

brug_tests::on_both_stacks!(workers_and_other_teams_are_refused_and_nothing_changes);

async fn workers_and_other_teams_are_refused_and_nothing_changes(stack: Stack) {
    let Team {
        bert,
        mut worker,
        supervisor,
        ..
    } = stack.team().await;
    let (case, _) = worker.device.create_case(&examples::household()).unwrap();
    sync(&mut worker).await;

    // A worker may not assign, not even the own case, nor make codes.
    let worker_link = worker.device.team_link().unwrap();
    let e = worker_link.assign(case, &bert, true).await.unwrap_err();
    assert_eq!(refused_code(e), "forbidden");
    let e = worker_link.enrol_code(&bert).await.unwrap_err();
    assert_eq!(refused_code(e), "forbidden");

    // Another team's member and another team's case are simply not found.
    let other = stack.user_in("Kim Kortrijk", Role::BridgeWorker, "kortrijk");
    let mut kim = stack.enrol(&other).await;
    let (foreign_case, _) = kim.device.create_case(&examples::household()).unwrap();
    sync(&mut kim).await;
    let link = supervisor.device.team_link().unwrap();
    let e = link.assign(case, &other, true).await.unwrap_err();
    assert_eq!(refused_code(e), "not-found");
    let e = link.assign(foreign_case, &bert, true).await.unwrap_err();
    assert_eq!(refused_code(e), "not-found");
    let e = link.assign(Uuid::now_v7(), &bert, true).await.unwrap_err();
    assert_eq!(refused_code(e), "not-found");
    let e = link.enrol_code(&other).await.unwrap_err();
    assert_eq!(refused_code(e), "not-found");
    assert!(
        !link
            .team(None)
            .await
            .unwrap()
            .members
            .iter()
            .any(|m| m.id == other)
    );

    assert_eq!(
        stack.on_store(|s| s.assignees(case).unwrap()).len(),
        1,
        "nothing was assigned"
    );
    assert_eq!(
        stack.on_store(|s| s.assignees(foreign_case).unwrap()),
        vec![other]
    );
}

brug_tests::on_both_stacks!(a_code_made_on_the_supervisors_device_enrols_the_members_new_device);

async fn a_code_made_on_the_supervisors_device_enrols_the_members_new_device(stack: Stack) {
    let Team {
        bert,
        supervisor,
        mut adviser,
        ..
    } = stack.team().await;
    sync(&mut adviser).await;
    let code = supervisor
        .device
        .team_link()
        .unwrap()
        .enrol_code(&bert)
        .await
        .unwrap();
    assert!(code.url.starts_with("brug://enrol?"));
    assert!(code.expires_ms > chrono::Utc::now().timestamp_millis());
    let home = tempfile::tempdir().unwrap();
    let device = Device::enrol(home.path(), &code.url, PIN, "nieuwe tablet")
        .await
        .unwrap();
    assert_eq!(device.info().user, bert);
    // Bert's own device hears of it on its next sync, and keeps saying so.
    let report = adviser.device.sync(&mut |_| {}).await.unwrap();
    assert_eq!(report.joined.len(), 1, "{report:?}");
    assert_eq!(report.joined[0].name, "nieuwe tablet");
    assert_eq!(adviser.device.status().unwrap().joined, report.joined);
    let again = adviser.device.sync(&mut |_| {}).await.unwrap();
    assert!(again.joined.is_empty(), "told once");
    // The new device itself is not told about itself.
    let mut new_device = brug_tests::TestDevice { device, home };
    let first = new_device.device.sync(&mut |_| {}).await.unwrap();
    assert!(first.joined.is_empty(), "{first:?}");
    // One time only.
    let again = tempfile::tempdir().unwrap();
    assert!(
        Device::enrol(again.path(), &code.url, PIN, "tweede")
            .await
            .is_err()
    );
}

brug_tests::on_both_stacks!(a_supervisor_mints_codes_only_for_her_own_field_workers);

async fn a_supervisor_mints_codes_only_for_her_own_field_workers(stack: Stack) {
    let Team {
        sofie, supervisor, ..
    } = stack.team().await;
    let other_supervisor = stack.user("Lies Maes", Role::Supervisor);
    let other_team = stack.user_in("Kim Kortrijk", Role::BridgeWorker, "kortrijk");
    let link = supervisor.device.team_link().unwrap();
    let before = stack.on_store(|s| s.audit_tail(500).unwrap()).len();
    for (who, code) in [
        (&sofie, "forbidden"),
        (&other_supervisor, "forbidden"),
        (&other_team, "not-found"),
    ] {
        let e = link.enrol_code(who).await.unwrap_err();
        assert_eq!(refused_code(e), code, "a code for {who}");
    }
    let audit = stack.on_store(|s| s.audit_tail(500).unwrap());
    assert_eq!(audit.len(), before, "a refused code leaves no code behind");
}

brug_tests::on_both_stacks!(
    the_audit_says_which_supervisor_asked_a_code_for_whom_from_which_device
);

async fn the_audit_says_which_supervisor_asked_a_code_for_whom_from_which_device(stack: Stack) {
    let Team {
        bert,
        sofie,
        supervisor,
        ..
    } = stack.team().await;
    supervisor
        .device
        .team_link()
        .unwrap()
        .enrol_code(&bert)
        .await
        .unwrap();
    let audit = stack.on_store(|s| s.audit_tail(50).unwrap());
    let entry = audit
        .iter()
        .rev()
        .find(|e| e.action == "enrol-code")
        .unwrap();
    assert_eq!(entry.user.as_deref(), Some(sofie.as_str()));
    assert_eq!(
        entry.device.as_deref(),
        Some(supervisor.device.info().device_id.to_string().as_str())
    );
    assert!(entry.detail.contains(&bert), "{}", entry.detail);
}

brug_tests::on_both_stacks!(a_case_is_never_assigned_outside_its_team);

async fn a_case_is_never_assigned_outside_its_team(stack: Stack) {
    let Team { mut worker, .. } = stack.team().await;
    let (case, _) = worker.device.create_case(&examples::household()).unwrap();
    sync(&mut worker).await;
    let kim = stack.user_in("Kim Kortrijk", Role::BridgeWorker, "kortrijk");
    // The way the CLI's `case assign` does it.
    let refused = stack.on_store(|s| {
        s.set_assignment(&Assignment {
            case,
            user: &kim,
            assign: true,
            note: "cli",
        })
    });
    assert!(
        matches!(refused, Err(db::DbError::Invalid(_))),
        "{refused:?}"
    );
    assert!(
        !stack
            .on_store(|s| s.assignees(case).unwrap())
            .contains(&kim)
    );
}

brug_tests::on_both_stacks!(
    a_visit_typed_offline_by_a_worker_who_lost_the_case_reaches_the_supervisor
);

async fn a_visit_typed_offline_by_a_worker_who_lost_the_case_reaches_the_supervisor(stack: Stack) {
    let Team {
        bert,
        mut worker,
        mut adviser,
        mut supervisor,
        ..
    } = stack.team().await;
    let (case, _) = worker.device.create_case(&examples::household()).unwrap();
    sync(&mut worker).await;
    stack.assign(case, &bert);
    sync(&mut adviser).await;
    // Offline in a basement, the adviser records a visit ...
    let mut visit = examples::example(brug_shared::model::RecordKind::Visit).to_json();
    visit["notes"] = serde_json::json!("vocht in de kelder, foto's genomen");
    let (visit_id, _) = adviser
        .device
        .add_record(case, brug_shared::model::RecordKind::Visit, visit)
        .unwrap();
    // ... while the case is taken from her.
    stack.unassign(case, &bert);
    let report = adviser.device.sync(&mut |_| {}).await.unwrap();
    assert_eq!(report.purged, vec![case]);
    assert!(!holds(&adviser, case), "the case left her device");

    let link = supervisor.device.team_link().unwrap();
    let waiting = link.quarantine().await.unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(
        (waiting[0].case, waiting[0].user.as_str()),
        (case, bert.as_str())
    );
    assert!(waiting[0].decision.is_none());
    let decided = link.decide(waiting[0].id, true).await.unwrap();
    assert_eq!(decided.decision.as_deref(), Some("merged"));
    sync(&mut supervisor).await;
    let seen = supervisor.device.show(case).unwrap().case;
    assert_eq!(
        seen.visits[&visit_id].notes, "vocht in de kelder, foto's genomen",
        "nothing she typed was lost"
    );
    let history = supervisor.device.history(case, None).unwrap();
    assert!(
        history
            .iter()
            .any(|h| h.author.as_deref() == Some(bert.as_str())),
        "the visit stays hers"
    );
    // Decided once; asking again finds nothing.
    let again = link.decide(waiting[0].id, true).await.unwrap_err();
    assert_eq!(refused_code(again), "not-found");
    let audit = stack.on_store(|s| s.audit_tail(100).unwrap());
    for action in ["quarantine-in", "quarantine-merged"] {
        assert!(audit.iter().any(|e| e.action == action), "{action}");
    }
}

brug_tests::on_both_stacks!(a_revoked_device_hands_over_its_unsynced_work_before_it_wipes);

async fn a_revoked_device_hands_over_its_unsynced_work_before_it_wipes(stack: Stack) {
    let Team {
        mut worker,
        mut supervisor,
        ..
    } = stack.team().await;
    let (case, _) = worker.device.create_case(&examples::household()).unwrap();
    sync(&mut worker).await;
    // A second case made offline never reached the server.
    let (unsynced, _) = worker.device.create_case(&examples::household()).unwrap();
    worker
        .device
        .set_field(
            case,
            "household",
            &"notes".into(),
            serde_json::json!("nieuwe afspraak"),
        )
        .unwrap();
    stack.revoke(worker.device.info().device_id);
    let home = worker.path();
    let err = worker.device.sync(&mut |_| {}).await.unwrap_err();
    match &err {
        DeviceError::Revoked {
            handed_over,
            kept_back,
        } => assert_eq!((*handed_over, *kept_back), (2, 0)),
        other => panic!("expected revoked, got {other}"),
    }
    assert!(err.to_string().contains("teamverantwoordelijke"), "{err}");
    assert!(!home.join(brug_device::local::DB_FILE).exists(), "wiped");

    let link = supervisor.device.team_link().unwrap();
    let waiting = link.quarantine().await.unwrap();
    assert_eq!(waiting.len(), 2, "{waiting:?}");
    for entry in &waiting {
        link.decide(entry.id, true).await.unwrap();
    }
    sync(&mut supervisor).await;
    assert_eq!(
        supervisor.device.show(case).unwrap().case.household.notes,
        "nieuwe afspraak"
    );
    assert!(
        supervisor.device.show(unsynced).is_ok(),
        "the case made offline exists now"
    );
}

brug_tests::on_both_stacks!(
    a_supervisor_may_discard_handed_over_work_and_other_teams_cannot_touch_it
);

async fn a_supervisor_may_discard_handed_over_work_and_other_teams_cannot_touch_it(stack: Stack) {
    let Team {
        bert,
        mut worker,
        mut adviser,
        supervisor,
        ..
    } = stack.team().await;
    let (case, _) = worker.device.create_case(&examples::household()).unwrap();
    sync(&mut worker).await;
    stack.assign(case, &bert);
    sync(&mut adviser).await;
    adviser
        .device
        .set_field(
            case,
            "household",
            &"notes".into(),
            serde_json::json!("dubbel"),
        )
        .unwrap();
    stack.unassign(case, &bert);
    sync(&mut adviser).await;
    let kortrijk = stack.user_in("Jan Kortrijk", Role::Supervisor, "kortrijk");
    let other = stack.enrol(&kortrijk).await;
    let other_link = other.device.team_link().unwrap();
    assert!(other_link.quarantine().await.unwrap().is_empty());
    let link = supervisor.device.team_link().unwrap();
    let id = link.quarantine().await.unwrap()[0].id;
    assert_eq!(
        refused_code(other_link.decide(id, true).await.unwrap_err()),
        "not-found"
    );
    let worker_link = worker.device.team_link().unwrap();
    assert_eq!(
        refused_code(worker_link.decide(id, true).await.unwrap_err()),
        "forbidden"
    );
    let decided = link.decide(id, false).await.unwrap();
    assert_eq!(decided.decision.as_deref(), Some("discarded"));
    let stored = stack
        .on_store(|s| s.load(case).unwrap())
        .unwrap()
        .case()
        .unwrap();
    assert_ne!(stored.household.notes, "dubbel");
}
