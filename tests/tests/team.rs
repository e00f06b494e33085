//! The supervisor's team routes, from the app's side: who is in the team,
//! assigning a case to a worker from the supervisor's device, and a
//! one-time enrolment code for a member's new device. Workers and other
//! teams are refused and nothing changes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use brug_device::{Device, DeviceError};
use brug_shared::model::examples;
use brug_sync_server::auth::Role;
use brug_sync_server::db;
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

#[tokio::test]
async fn a_supervisor_assigns_a_case_from_the_app_and_the_adviser_receives_it() {
    let stack = Stack::start().await;
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

#[tokio::test]
async fn workers_and_other_teams_are_refused_and_nothing_changes() {
    let stack = Stack::start().await;
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
    let other = db::add_user(
        &stack.db().lock(),
        "Kim Kortrijk",
        Role::BridgeWorker,
        "kortrijk",
    )
    .unwrap()
    .id;
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

    let server_db = stack.db();
    let conn = server_db.lock();
    assert_eq!(
        db::assignees(&conn, case).unwrap().len(),
        1,
        "nothing was assigned"
    );
    assert_eq!(db::assignees(&conn, foreign_case).unwrap(), vec![other]);
}

#[tokio::test]
async fn a_code_made_on_the_supervisors_device_enrols_the_members_new_device() {
    let stack = Stack::start().await;
    let Team {
        bert, supervisor, ..
    } = stack.team().await;
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
    // One time only.
    let again = tempfile::tempdir().unwrap();
    assert!(
        Device::enrol(again.path(), &code.url, PIN, "tweede")
            .await
            .is_err()
    );
}
