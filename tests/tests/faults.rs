//! Network faults: duplicated and replayed sync messages, a session resumed
//! from a stale cursor, a connection dropped in the middle of a frame. No
//! duplicates, no loops, convergence; every session time-boxed. The first
//! two run on both backends (SQLite and PostgreSQL).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::time::Duration;

use automerge::sync;
use brug_shared::casedoc::CaseDoc;
use brug_shared::model::{RecordKind, examples};
use brug_shared::protocol::{ByteBuf, ClientFrame, ServerFrame};
use brug_sync_server::auth::Role;
use brug_tests::wire::{TestServer, hello};
use tokio::io::AsyncWriteExt;

brug_tests::on_both_backends!(duplicated_and_replayed_messages_add_nothing_twice);

async fn duplicated_and_replayed_messages_add_nothing_twice(server: TestServer) {
    let ann = server.add_user("Ann Peeters", Role::BridgeWorker);
    let mut a = server.device(&ann).await;
    let id = a.create_case();
    a.sync().await.unwrap();
    a.edit(id, |d| {
        d.add_record(&examples::example(RecordKind::Visit), "visit added")
            .unwrap();
    });
    // Drive one exchange by hand and send every message twice.
    let mut doc = a.store.get(id).unwrap();
    let mut state = sync::State::new();
    let mut conn = a.connect().await.unwrap();
    hello(&mut conn, 0, vec![id]).await;
    let mut sent = Vec::new();
    for _ in 0..20 {
        let msg = doc.generate_sync_message(&mut state);
        for _ in 0..2 {
            conn.send(&ClientFrame::Sync {
                doc: id,
                create: false,
                msg: msg.clone().map(ByteBuf::from),
                generation: 0,
            })
            .await
            .unwrap();
        }
        let mut got = None;
        for _ in 0..2 {
            if let ServerFrame::Sync { msg, .. } =
                conn.recv_within(Duration::from_secs(10)).await.unwrap()
            {
                got = msg;
            }
        }
        if let Some(m) = &got {
            doc.receive_sync_message(&mut state, m).unwrap();
        }
        if let Some(m) = msg {
            sent.push(m);
        }
        if got.is_none() && doc.generate_sync_message(&mut state.clone()).is_none() {
            break;
        }
    }
    conn.close().await;
    // Replay an old session's messages in a new session.
    let mut conn = a.connect().await.unwrap();
    hello(&mut conn, 0, vec![id]).await;
    for m in &sent {
        conn.send(&ClientFrame::Sync {
            doc: id,
            create: false,
            msg: Some(ByteBuf::from(m.clone())),
            generation: 0,
        })
        .await
        .unwrap();
        assert!(matches!(
            conn.recv_within(Duration::from_secs(10)).await.unwrap(),
            ServerFrame::Sync { .. } | ServerFrame::DocError { .. }
        ));
    }
    conn.close().await;
    let mut stored = server.stored(id).unwrap();
    let case = stored.case().unwrap();
    assert_eq!(case.visits.len(), 1);
    assert!(stored.contains_all(&doc.heads()));
    assert_eq!(stored.heads(), doc.heads());
}

brug_tests::on_both_backends!(a_session_from_a_stale_cursor_converges_without_duplicates);

async fn a_session_from_a_stale_cursor_converges_without_duplicates(server: TestServer) {
    let ann = server.add_user("Ann Peeters", Role::BridgeWorker);
    let mut a = server.device(&ann).await;
    let ids: Vec<_> = (0..3).map(|_| a.create_case()).collect();
    a.sync().await.unwrap();
    let before: Vec<CaseDoc> = ids.iter().map(|id| server.stored(*id).unwrap()).collect();
    // The device forgets its cursor (a restored backup, say).
    brug_device::sync::SyncStore::set_cursor(&mut a.store, 0).unwrap();
    let mut conn = a.connect().await.unwrap();
    let (_, changed, _) = hello(&mut conn, 0, ids.clone()).await;
    assert_eq!(changed.len(), 3);
    conn.close().await;
    // Syncing from the stale cursor re-checks every case and stores nothing new.
    let report = tokio::time::timeout(Duration::from_secs(30), a.sync())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.synced.len(), 3);
    assert!(report.refused.is_empty());
    for (id, mut b) in ids.iter().zip(before) {
        let mut now = server.stored(*id).unwrap();
        assert_eq!(now.heads(), b.heads());
        assert_eq!(now.change_count(), b.change_count());
    }
}

#[tokio::test]
async fn a_connection_dropped_mid_frame_harms_nothing() {
    let server = TestServer::start().await;
    let ann = server.add_user("Ann Peeters", Role::BridgeWorker);
    let mut a = server.device(&ann).await;
    let id = a.create_case();
    // A raw TLS connection that starts a WebSocket upgrade and a frame, then vanishes.
    for cut in [10usize, 200, 600] {
        let mut tls = server.endpoint().connect().await.unwrap();
        let request = format!(
            "GET /v1/sync HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {}\r\n\r\n",
            a.token
        );
        // The upgrade, then the start of a binary frame that claims 4 KiB.
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(&[0x82, 0xfe, 0x10, 0x00, 0xa1, 0x61]);
        tls.write_all(&bytes[..cut.min(bytes.len())]).await.unwrap();
        drop(tls);
    }
    // The device's real session goes through, the case arrives once.
    tokio::time::timeout(Duration::from_secs(30), a.sync())
        .await
        .unwrap()
        .unwrap();
    assert!(server.stored(id).is_some());
    let ok: String = server
        .db()
        .lock()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

#[tokio::test]
async fn a_case_the_device_cannot_read_stops_its_sync_with_a_clear_error() {
    let server = TestServer::start().await;
    let ann = server.add_user("Ann Peeters", Role::BridgeWorker);
    let mut a = server.device(&ann).await;
    let id = a.create_case();
    a.sync().await.unwrap();
    // Edited, then the stored bytes are damaged: the store says so instead
    // of passing an empty case to the session (which would sync nothing).
    a.edit(id, |_| {});
    a.store.docs.insert(id, b"beschadigd".to_vec());
    let err = a.sync().await.unwrap_err();
    assert!(
        matches!(err, brug_device::sync::SyncError::Store(_)),
        "{err:?}"
    );
    assert!(err.to_string().contains("local storage failed"), "{err}");
}
