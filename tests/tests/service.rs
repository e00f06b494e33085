//! The device service the app talks to: enrolment, a new case through its
//! form, the case list, a draft that survives the lock, a wrong PIN and a
//! locked device, all as commands and events over a real server.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::time::Duration;

use brug_device::DeviceError;
use brug_device::keys::KeyError;
use brug_device::service::{Command, Event, Service};
use brug_shared::model::{RecordKind, examples};
use brug_shared::schema::FormKind;
use brug_sync_server::auth::Role;
use brug_tests::{PIN, Stack};
use serde_json::json;
use tokio::sync::mpsc::UnboundedReceiver;

/// The next event `pick` accepts, skipping others (sync progress, ...). A
/// hang fails after a minute instead of blocking the suite.
async fn next<T>(
    events: &mut UnboundedReceiver<Event>,
    mut pick: impl FnMut(Event) -> Option<T>,
) -> T {
    let wait = async {
        loop {
            let event = events.recv().await.expect("the service stopped");
            if let Some(found) = pick(event) {
                return found;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), wait)
        .await
        .expect("no such event within a minute")
}

async fn synced(events: &mut UnboundedReceiver<Event>) {
    next(events, |e| match e {
        Event::Synced(outcome) => Some(outcome.expect("the sync succeeds")),
        _ => None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_enrols_saves_a_case_and_keeps_a_draft_over_the_lock_through_the_service() {
    let stack = Stack::start().await;
    let ann = stack.user("Ann Peeters", Role::BridgeWorker);
    let home = tempfile::tempdir().unwrap();
    let (service, mut events) =
        Service::start(home.path().to_owned(), tokio::runtime::Handle::current()).unwrap();

    // Enrolment, then the first sync on its own.
    service.send(Command::Enrol {
        url: stack.enrol_url(&ann),
        pin: PIN.into(),
        name: "tablet Ann".into(),
    });
    let info = next(&mut events, |e| match e {
        Event::Enrolled(info) => Some(info),
        Event::EnrolFailed(e) => panic!("enrolment failed: {e}"),
        _ => None,
    })
    .await;
    assert_eq!(info.user, ann);
    synced(&mut events).await;

    // A new case: the form opens blank, the save answers with the case.
    service.send(Command::OpenForm {
        case: None,
        kind: FormKind::Household,
        record: None,
    });
    let form = next(&mut events, |e| match e {
        Event::Form(f) => Some(f),
        _ => None,
    })
    .await;
    assert!(!form.restored);
    assert_eq!(form.start["name"], json!(""));
    let household = serde_json::to_value(examples::household()).unwrap();
    service.send(Command::Save {
        form,
        edited: household,
    });
    let case = next(&mut events, |e| match e {
        Event::Saved(saved) => Some(saved.expect("the case is saved")),
        _ => None,
    })
    .await;
    // The save is followed by a sync that brings the case to the server.
    synced(&mut events).await;
    assert_eq!(
        stack
            .db()
            .lock()
            .query_row(
                "SELECT count(*) FROM documents WHERE id = ?1",
                [case.to_string()],
                |r| r.get::<_, i64>(0)
            )
            .unwrap(),
        1,
        "the case reached the server"
    );

    service.send(Command::List(Default::default()));
    let rows = next(&mut events, |e| match e {
        Event::Cases(rows) => Some(rows.unwrap()),
        _ => None,
    })
    .await;
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), vec![case]);

    // A visit typed half-way, then the lock: the draft comes back.
    service.send(Command::OpenForm {
        case: Some(case),
        kind: FormKind::Record(RecordKind::Visit),
        record: None,
    });
    let visit = next(&mut events, |e| match e {
        Event::Form(f) => Some(f),
        _ => None,
    })
    .await;
    let mut typed = visit.start.clone();
    typed["notes"] = json!("Mama vraagt hulp bij de energiefactuur.");
    service.send(Command::SaveDraft {
        key: visit.key.clone(),
        heads: visit.heads.clone(),
        edited: typed.clone(),
    });
    service.send(Command::Lock);
    service.send(Command::List(Default::default()));
    next(&mut events, |e| matches!(e, Event::Locked).then_some(())).await;

    service.send(Command::Unlock {
        pin: "0000".into(),
        resume: Some(visit.clone()),
    });
    let refused = next(&mut events, |e| match e {
        Event::UnlockFailed(e) => Some(e),
        Event::Unlocked { .. } => panic!("a wrong PIN opened the store"),
        _ => None,
    })
    .await;
    assert!(
        matches!(refused, DeviceError::Key(KeyError::WrongPin { .. })),
        "{refused}"
    );

    service.send(Command::Unlock {
        pin: PIN.into(),
        resume: Some(visit),
    });
    let resumed = next(&mut events, |e| match e {
        Event::Unlocked { form, .. } => Some(form.expect("the open form comes back")),
        _ => None,
    })
    .await;
    assert!(resumed.restored, "the draft is restored");
    assert_eq!(resumed.start, typed);
    assert_eq!(resumed.case_now.as_ref().map(|c| c.id), Some(case));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_colleagues_case_reaches_the_unlocked_app_without_any_button() {
    let stack = Stack::start().await;
    let ann = stack.user("Ann Peeters", Role::BridgeWorker);
    let sofie = stack.user("Sofie Vandenberghe", Role::Supervisor);
    let mut worker = stack.enrol(&ann).await;
    let home = tempfile::tempdir().unwrap();
    let (service, mut events) =
        Service::start(home.path().to_owned(), tokio::runtime::Handle::current()).unwrap();
    service.send(Command::Enrol {
        url: stack.enrol_url(&sofie),
        pin: PIN.into(),
        name: "laptop Sofie".into(),
    });
    next(&mut events, |e| match e {
        Event::Enrolled(_) => Some(()),
        Event::EnrolFailed(e) => panic!("enrolment failed: {e}"),
        _ => None,
    })
    .await;
    synced(&mut events).await;
    // The app stays connected: once the live session listens (the server
    // holds its connection), the worker's new case is pushed to it.
    let listening = async {
        while stack.server.open_connections() == 0 {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), listening)
        .await
        .expect("the app keeps a live connection");
    let (case, _) = worker.device.create_case(&examples::household()).unwrap();
    worker.device.sync(&mut |_| {}).await.unwrap();
    // No command from the app: the case arrives. Each "changed" reads the
    // list anew; one read after the case was written finds it.
    let arrived = async {
        service.send(Command::List(Default::default()));
        loop {
            match events.recv().await.expect("the service stopped") {
                Event::Changed => service.send(Command::List(Default::default())),
                Event::Cases(rows) => {
                    let rows = rows.unwrap();
                    if rows.iter().any(|r| r.id == case) {
                        return rows;
                    }
                }
                _ => {}
            }
        }
    };
    let rows = tokio::time::timeout(Duration::from_secs(60), arrived)
        .await
        .expect("the colleague's case did not arrive within a minute");
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), vec![case]);
}
