//! The team's referral catalogue: a supervisor adds a service with its
//! session days on one device, a worker's referral form offers it after a
//! sync, and the next session is proposed across a month end and a closing
//! day. Only a supervisor's changes are taken; an idle sync carries heads
//! only; bad input changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use brug_device::net::{self, NetError};
use brug_device::service::open_form;
use brug_device::{Device, DeviceError};
use brug_shared::model::{CLOSED, Catalogue, Record, RecordKind, Recurrence, Service, examples};
use brug_shared::protocol::team::{TeamDocReply, TeamDocSync};
use brug_shared::schema::FormKind;
use brug_shared::teamdoc::CatalogueDoc;
use brug_sync_server::auth::Role;
use brug_sync_server::db;
use brug_tests::wire::TestServer;
use brug_tests::{Stack, Team};
use chrono::{NaiveDate, NaiveTime, Weekday};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

/// A local service of the team: the repair café, every first Saturday,
/// closed on the first Saturday of 2027.
fn repair_cafe() -> Service {
    Service {
        closed: vec![day(2027, 1, 2)],
        ..examples::local_service()
    }
}

async fn sync(device: &mut Device) {
    device.sync(&mut |_| {}).await.unwrap();
}

#[tokio::test]
async fn a_supervisor_adds_a_service_and_a_workers_referral_form_offers_it_after_a_sync() {
    let stack = Stack::start().await;
    let Team {
        mut worker,
        mut supervisor,
        ..
    } = stack.team().await;
    let (case, _) = worker.device.create_case(&examples::household()).unwrap();

    // Only a supervisor changes the catalogue, also offline.
    assert!(matches!(
        worker.device.save_service(&repair_cafe()),
        Err(DeviceError::NotAllowed)
    ));
    supervisor.device.save_service(&repair_cafe()).unwrap();
    // A new session day for the woonclub: Thursday instead of Wednesday.
    let mut woonclub = supervisor
        .device
        .catalogue()
        .unwrap()
        .service("woonclub")
        .unwrap()
        .clone();
    woonclub.sessions[0].when = Recurrence::Weekly(Weekday::Thu);
    supervisor.device.save_service(&woonclub).unwrap();
    let form = open_form(
        &worker.device,
        Some(case),
        FormKind::Record(RecordKind::Referral),
        None,
    );
    assert!(
        form.catalogue.service("repair-cafe").is_none(),
        "not on the worker's device before a sync"
    );

    sync(&mut supervisor.device).await;
    sync(&mut worker.device).await;

    let form = open_form(
        &worker.device,
        Some(case),
        FormKind::Record(RecordKind::Referral),
        None,
    );
    let cafe = form
        .catalogue
        .service("repair-cafe")
        .expect("the team's new service reached the worker");
    assert!(
        form.catalogue
            .offered(brug_shared::model::Lang::Nl)
            .iter()
            .any(|(code, name)| code == "repair-cafe" && name == "repaircafé De Vonk")
    );
    // The next session: across the month end, past the closing day.
    let from = day(2026, 12, 5).and_hms_opt(12, 30, 0).unwrap();
    let (at, session) = cafe.next_session(from, CLOSED).unwrap();
    assert_eq!(at, day(2027, 2, 6).and_time(hm(9, 0)));
    assert_eq!(session.place, "OC De Vonk");
    let thursday = form.catalogue.service("woonclub").unwrap();
    let (at, _) = thursday
        .next_session(day(2026, 12, 3).and_hms_opt(17, 0, 0).unwrap(), CLOSED)
        .unwrap();
    assert_eq!(at, day(2026, 12, 10).and_time(hm(13, 30)));

    // A referral to it passes the worker's rules and syncs.
    let Record::Referral(mut referral) = examples::example(RecordKind::Referral) else {
        unreachable!()
    };
    referral.service = "repair-cafe".into();
    referral.appointment = Some(at);
    let (id, findings) = worker
        .device
        .add_record(
            case,
            RecordKind::Referral,
            serde_json::to_value(&referral).unwrap(),
        )
        .unwrap();
    assert!(
        findings
            .iter()
            .all(|f| f.code != "referral.unknown-service"),
        "{findings:?}"
    );
    sync(&mut worker.device).await;
    let shown = worker.device.show(case).unwrap();
    assert_eq!(
        shown.catalogue.service("repair-cafe").unwrap().nl,
        "repaircafé De Vonk"
    );
    assert!(shown.case.referrals.contains_key(&id));

    // The server keeps the team's catalogue.
    let stored = db::team_doc::<brug_shared::model::Service>(&stack.db().lock(), "harelbeke")
        .unwrap()
        .unwrap();
    let stored = CatalogueDoc::load(&stored).unwrap().catalogue();
    assert!(stored.service("repair-cafe").is_some());
}

async fn post(
    server: &TestServer,
    token: &str,
    req: &TeamDocSync,
) -> Result<TeamDocReply, NetError> {
    net::team_request(&server.endpoint(), token, "/v1/team/catalogue", req).await
}

brug_tests::on_both_backends!(
    only_a_supervisors_changes_are_taken_an_idle_sync_carries_heads_only_and_bad_input_changes_nothing
);

async fn only_a_supervisors_changes_are_taken_an_idle_sync_carries_heads_only_and_bad_input_changes_nothing(
    server: TestServer,
) {
    let ann = server.add_user("Ann Peeters", Role::BridgeWorker);
    let sofie = server.add_user("Sofie Vandenberghe", Role::Supervisor);
    let worker = server.device(&ann).await;
    let supervisor = server.device(&sofie).await;

    // A device that has nothing gets the whole catalogue: the seed.
    let first = post(
        &server,
        &worker.token,
        &TeamDocSync {
            known: vec![],
            changes: None,
        },
    )
    .await
    .unwrap();
    let mut doc = CatalogueDoc::load(&hex::decode(first.changes.unwrap()).unwrap()).unwrap();
    assert_eq!(doc.catalogue(), *Catalogue::builtin());
    assert_eq!(doc.heads_text(), first.heads);
    let start = doc.heads();
    doc.put(&repair_cafe(), &ann, 1).unwrap();
    let changes = hex::encode(doc.changes_after(&start));

    // A worker's change is refused whole; nothing is stored.
    let e = post(
        &server,
        &worker.token,
        &TeamDocSync {
            known: first.heads.clone(),
            changes: Some(changes.clone()),
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, NetError::Refused { status: 403, ref code, .. } if code == "forbidden"),
        "{e:?}"
    );
    assert!(
        server
            .on_store(|s| s.team_doc("catalogue", "harelbeke"))
            .unwrap()
            .is_none()
    );

    // Not hex, not automerge, an unknown head: refused, nothing stored.
    for (known, changes, status) in [
        (first.heads.clone(), Some("zz".to_owned()), 400),
        (first.heads.clone(), Some("00ff".to_owned()), 422),
        (vec!["not-a-head".to_owned()], None, 400),
    ] {
        let e = post(&server, &supervisor.token, &TeamDocSync { known, changes })
            .await
            .unwrap_err();
        assert!(
            matches!(e, NetError::Refused { status: s, .. } if s == status),
            "{e:?}"
        );
    }
    assert!(
        server
            .on_store(|s| s.team_doc("catalogue", "harelbeke"))
            .unwrap()
            .is_none()
    );

    // The supervisor's change is taken; the answer names the new heads and
    // carries nothing the supervisor lacks.
    let taken = post(
        &server,
        &supervisor.token,
        &TeamDocSync {
            known: first.heads.clone(),
            changes: Some(changes),
        },
    )
    .await
    .unwrap();
    assert_eq!(taken.heads, doc.heads_text());
    let stored = server
        .on_store(|s| s.team_doc("catalogue", "harelbeke"))
        .unwrap()
        .unwrap();
    assert!(
        CatalogueDoc::load(&stored)
            .unwrap()
            .catalogue()
            .service("repair-cafe")
            .is_some()
    );

    // Idle: known heads, nothing new on either side: heads only.
    let idle = post(
        &server,
        &worker.token,
        &TeamDocSync {
            known: taken.heads.clone(),
            changes: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(idle.heads, taken.heads);
    assert_eq!(idle.changes, None);

    // The worker, behind, gets just the new change.
    let behind = post(
        &server,
        &worker.token,
        &TeamDocSync {
            known: first.heads.clone(),
            changes: None,
        },
    )
    .await
    .unwrap();
    let mut worker_doc = CatalogueDoc::seed();
    assert!(
        worker_doc
            .apply(&hex::decode(behind.changes.unwrap()).unwrap())
            .unwrap()
    );
    assert!(worker_doc.catalogue().service("repair-cafe").is_some());
}
