//! The access matrix: who may see which case, by role, team, assignment and
//! credential, written down as a table and checked cell by cell against the
//! real server. Foreign and missing ids must get the same answer. The
//! matrix and the credentials are checked on both backends: SQLite and a
//! throwaway PostgreSQL cluster.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use brug_device::net::{self, NetError, SyncConnection};
use brug_shared::protocol::enrol::EnrolUrl;
use brug_shared::protocol::{ClientFrame, ErrorCode, PROTOCOL_VERSION, ServerFrame};
use brug_sync_server::auth::{self, Role};
use brug_sync_server::db;
use brug_tests::wire::{TestDevice, TestServer};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// Made by the bridge worker of team A.
    Own,
    /// Made by another bridge worker of team A, never assigned.
    Foreign,
    /// Never existed.
    Missing,
    /// Assigned to the housing adviser, then unassigned.
    Purged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Creator,
    AdviserAssigned,
    AdviserUnassigned,
    SupervisorSameTeam,
    SupervisorOtherTeam,
    Admin,
}

/// Whether `who` sees `case`: `true` = it syncs, `false` = "not found".
const MATRIX: &[(Who, Case, bool)] = &[
    (Who::Creator, Case::Own, true),
    (Who::Creator, Case::Foreign, false),
    (Who::Creator, Case::Missing, false),
    (Who::Creator, Case::Purged, true),
    (Who::AdviserAssigned, Case::Own, true),
    (Who::AdviserAssigned, Case::Foreign, false),
    (Who::AdviserAssigned, Case::Missing, false),
    (Who::AdviserAssigned, Case::Purged, false),
    (Who::AdviserUnassigned, Case::Own, false),
    (Who::AdviserUnassigned, Case::Foreign, false),
    (Who::AdviserUnassigned, Case::Missing, false),
    (Who::AdviserUnassigned, Case::Purged, false),
    (Who::SupervisorSameTeam, Case::Own, true),
    (Who::SupervisorSameTeam, Case::Foreign, true),
    (Who::SupervisorSameTeam, Case::Missing, false),
    (Who::SupervisorSameTeam, Case::Purged, true),
    (Who::SupervisorOtherTeam, Case::Own, false),
    (Who::SupervisorOtherTeam, Case::Foreign, false),
    (Who::SupervisorOtherTeam, Case::Missing, false),
    (Who::SupervisorOtherTeam, Case::Purged, false),
    (Who::Admin, Case::Own, false),
    (Who::Admin, Case::Foreign, false),
    (Who::Admin, Case::Missing, false),
    (Who::Admin, Case::Purged, false),
];

async fn answer(dev: &TestDevice, id: Uuid) -> (Vec<Uuid>, ServerFrame) {
    let mut conn = dev.connect().await.unwrap();
    conn.send(&ClientFrame::Hello {
        v: PROTOCOL_VERSION,
        cursor: 0,
        held: Some(vec![id]),
    })
    .await
    .unwrap();
    let purge = match conn.recv().await.unwrap() {
        ServerFrame::Welcome { purge, .. } => purge,
        other => panic!("{other:?}"),
    };
    conn.send(&ClientFrame::Sync {
        doc: id,
        create: false,
        msg: None,
        generation: 0,
    })
    .await
    .unwrap();
    let frame = conn.recv().await.unwrap();
    conn.close().await;
    (purge, frame)
}

brug_tests::on_both_backends!(every_role_sees_exactly_the_cases_it_works_and_nothing_else);

async fn every_role_sees_exactly_the_cases_it_works_and_nothing_else(server: TestServer) {
    let worker = server.add_user("Ann Peeters", Role::BridgeWorker);
    let other_worker = server.add_user("Bart Maes", Role::BridgeWorker);
    let adviser = server.add_user("Bert Claeys", Role::HousingAdviser);
    let adviser2 = server.add_user("Bram Dewulf", Role::HousingAdviser);
    let sup = server.add_user("Sofie Vandenberghe", Role::Supervisor);
    let admin = server.add_user("Beheerder", Role::Admin);
    let sup_b = server.add_user_in("Sara Declercq", Role::Supervisor, "kortrijk");

    let mut w = server.device(&worker).await;
    let mut ow = server.device(&other_worker).await;
    let own = w.create_case();
    let purged = w.create_case();
    w.sync().await.unwrap();
    let foreign = ow.create_case();
    ow.sync().await.unwrap();
    server.assign(own, &adviser, true);
    server.assign(purged, &adviser, true);
    server.assign(purged, &adviser, false);
    let missing = Uuid::now_v7();

    let devices = [
        (Who::Creator, server.device(&worker).await),
        (Who::AdviserAssigned, server.device(&adviser).await),
        (Who::AdviserUnassigned, server.device(&adviser2).await),
        (Who::SupervisorSameTeam, server.device(&sup).await),
        (Who::SupervisorOtherTeam, server.device(&sup_b).await),
        (Who::Admin, server.device(&admin).await),
    ];
    let mut cells = 0;
    let mut refusals = Vec::new();
    for (who, case, sees) in MATRIX {
        let id = match case {
            Case::Own => own,
            Case::Foreign => foreign,
            Case::Missing => missing,
            Case::Purged => purged,
        };
        let dev = &devices.iter().find(|(w, _)| w == who).unwrap().1;
        let (purge, frame) = answer(dev, id).await;
        match (sees, frame) {
            (true, ServerFrame::Sync { doc, .. }) => {
                assert_eq!(doc, id);
                assert!(
                    purge.is_empty(),
                    "{who:?} {case:?}: told to purge a visible case"
                );
            }
            (false, ServerFrame::DocError { doc, code, message }) => {
                assert_eq!((doc, code), (id, ErrorCode::NotFound), "{who:?} {case:?}");
                assert_eq!(
                    purge,
                    vec![id],
                    "{who:?} {case:?}: an invisible held case must be purged"
                );
                refusals.push(message);
            }
            (expected, frame) => {
                panic!("{who:?} {case:?}: expected visible={expected}, got {frame:?}")
            }
        }
        cells += 1;
    }
    // Foreign, missing and purged: one answer, word for word.
    refusals.dedup();
    assert_eq!(refusals.len(), 1);
    eprintln!("access matrix: {cells} cells of role x case");
    assert_eq!(cells, 24);
}

brug_tests::on_both_backends!(credentials_valid_revoked_unknown_expired_and_replayed);

async fn credentials_valid_revoked_unknown_expired_and_replayed(server: TestServer) {
    let worker = server.add_user("Ann Peeters", Role::BridgeWorker);
    // Valid token: the session opens.
    let dev = server.device(&worker).await;
    assert!(dev.connect().await.is_ok());
    // Unknown token: 401.
    let endpoint = server.endpoint();
    let err = SyncConnection::open(&endpoint, &"cd".repeat(32))
        .await
        .unwrap_err();
    assert!(matches!(err, NetError::Refused { status: 401, .. }));
    // No token at all, or garbage: 401.
    let err = SyncConnection::open(&endpoint, "").await.unwrap_err();
    assert!(
        matches!(err, NetError::Refused { status: 401, .. }),
        "{err:?}"
    );
    // Revoked: refused on the very next message of an open session, and at connect.
    let mut conn = dev.connect().await.unwrap();
    conn.send(&ClientFrame::Hello {
        v: PROTOCOL_VERSION,
        cursor: 0,
        held: Some(vec![]),
    })
    .await
    .unwrap();
    conn.recv().await.unwrap();
    server.revoke(&dev.device_id);
    conn.send(&ClientFrame::Sync {
        doc: Uuid::now_v7(),
        create: false,
        msg: None,
        generation: 0,
    })
    .await
    .unwrap();
    assert_eq!(conn.recv().await.unwrap(), ServerFrame::Revoked);
    let err = dev.connect().await.unwrap_err();
    assert!(err.is_revoked());
    // Enrolment codes: replayed and expired ones are refused.
    let url = server.enrol_url(&worker);
    brug_device::net::enrol(&url, "a").await.unwrap();
    let replay = brug_device::net::enrol(&url, "b").await.unwrap_err();
    assert!(matches!(replay, NetError::Refused { ref code, .. } if code == "code-used"));
    let (code, hash) = auth::new_enrol_code();
    server.on_store(|s| s.add_enrol_code(&hash, &worker, db::now_ms() - 1).unwrap());
    let expired = EnrolUrl {
        server: server.url(),
        code,
        fingerprint: server.fingerprint.clone(),
    };
    let err = brug_device::net::enrol(&expired, "c").await.unwrap_err();
    assert!(matches!(err, NetError::Refused { ref code, .. } if code == "code-expired"));
}

brug_tests::on_both_backends!(the_quarantine_routes_take_only_their_own_callers);

async fn the_quarantine_routes_take_only_their_own_callers(server: TestServer) {
    use brug_shared::protocol::quarantine::{Decide, Entry, HandOver, Receipt};
    let worker = server.add_user("Ann Peeters", Role::BridgeWorker);
    let supervisor = server.add_user("Sofie Vandenberghe", Role::Supervisor);
    let endpoint = server.endpoint();
    let ann = server.device(&worker).await;
    let sofie = server.device(&supervisor).await;
    let hand_over = HandOver {
        case: Uuid::now_v7(),
        changes: "00ff".into(),
    };
    let mut cells = 0;
    // Unknown and empty tokens: 401 on every route.
    for token in ["", &"cd".repeat(32)] {
        let e = net::team_request::<_, Receipt>(&endpoint, token, "/v1/quarantine", &hand_over)
            .await
            .unwrap_err();
        assert!(matches!(e, NetError::Refused { status: 401, .. }), "{e:?}");
        let e = net::team_request::<_, Vec<Entry>>(
            &endpoint,
            token,
            "/v1/team/quarantine",
            &serde_json::json!({}),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, NetError::Refused { status: 401, .. }), "{e:?}");
        cells += 2;
    }
    // A worker may hand over, not list or decide.
    let receipt: Receipt = net::team_request(&endpoint, &ann.token, "/v1/quarantine", &hand_over)
        .await
        .unwrap();
    for path in ["/v1/team/quarantine", "/v1/team/quarantine/decide"] {
        let e = net::team_request::<_, serde_json::Value>(
            &endpoint,
            &ann.token,
            path,
            &Decide {
                id: receipt.id,
                merge: false,
            },
        )
        .await
        .unwrap_err();
        assert!(
            matches!(e, NetError::Refused { ref code, .. } if code == "forbidden"),
            "{path}: {e:?}"
        );
        cells += 1;
    }
    // Not hex, or empty: a clear refusal, nothing stored.
    for bad in ["zz", ""] {
        let e = net::team_request::<_, Receipt>(
            &endpoint,
            &ann.token,
            "/v1/quarantine",
            &HandOver {
                case: Uuid::now_v7(),
                changes: bad.into(),
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(e, NetError::Refused { .. }), "{e:?}");
        cells += 1;
    }
    // A revoked device may still hand over (into the quarantine only).
    server.revoke(&ann.device_id);
    let _: Receipt = net::team_request(&endpoint, &ann.token, "/v1/quarantine", &hand_over)
        .await
        .unwrap();
    let listed: Vec<Entry> = net::team_request(
        &endpoint,
        &sofie.token,
        "/v1/team/quarantine",
        &serde_json::json!({}),
    )
    .await
    .unwrap();
    assert_eq!(listed.len(), 2);
    cells += 2;
    eprintln!("quarantine routes: {cells} cells");
    assert_eq!(cells, 10);
}
