//! The real `brug-sync-server` process killed with SIGKILL at random
//! moments while devices sync, restarted on the same data, many times:
//! nothing a device saw acknowledged is lost, the database passes
//! `PRAGMA integrity_check` every time, and everything converges after.
//! `BRUG_KILLS=n` sets the number of kills (default 50).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use brug_device::net::{self, Endpoint, SyncConnection};
use brug_device::sync::{MemoryStore, run_session};
use brug_shared::casedoc::{CaseDoc, Editor};
use brug_shared::model::{RecordKind, examples};
use brug_sync_server::auth::Role;
use brug_sync_server::db::{self, Db};
use brug_sync_server::{TlsSource, enrolment};
use uuid::Uuid;

fn start(data: &Path, port: u16) -> Child {
    Command::new(brug_tests::bin("brug-sync-server"))
        .arg("--data")
        .arg(data)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("BRUG_LOG", "error")
        .spawn()
        .unwrap()
}

async fn wait_ready(endpoint: &Endpoint) {
    for _ in 0..400 {
        if endpoint.connect().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("server did not come back");
}

struct Client {
    token: String,
    editor: Editor,
    store: MemoryStore,
}

async fn sync(endpoint: Endpoint, mut client: Client) -> Client {
    if let Ok(mut conn) = SyncConnection::open(&endpoint, &client.token).await {
        let _ = tokio::time::timeout(
            Duration::from_secs(30),
            run_session(&mut conn, &mut client.store, &mut |_| {}),
        )
        .await;
    }
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_no_acknowledged_change() {
    let kills: u32 = std::env::var("BRUG_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let fingerprint =
        brug_sync_server::tls::current_fingerprint(data, &TlsSource::SelfSigned).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = Endpoint::new(&format!("https://127.0.0.1:{port}"), &fingerprint).unwrap();
    let mut server = start(data, port);
    wait_ready(&endpoint).await;

    let db = Db::open(data).unwrap();
    let mut clients = Vec::new();
    for i in 0..3 {
        let user = db::add_user(
            &db.lock(),
            &format!("Werker {i}"),
            Role::Supervisor,
            "harelbeke",
        )
        .unwrap()
        .id;
        let url = enrolment::new_enrolment(&db.lock(), data, &TlsSource::SelfSigned, &user)
            .unwrap()
            .0;
        let resp = net::enrol(&url, "crash").await.unwrap();
        let editor = Editor {
            user,
            device: Uuid::parse_str(&resp.device_id).unwrap(),
        };
        clients.push(Client {
            token: resp.token,
            editor,
            store: MemoryStore::new(),
        });
    }
    drop(db);

    let mut rng = brug_tests_rng::Rng(0x5eed);
    let mut acknowledged_checked = 0usize;
    let mut interrupted = 0usize;
    for round in 0..kills {
        // Offline work on every device: a new case or a visit on a held one.
        for c in clients.iter_mut() {
            let held = c.store.held();
            if held.is_empty() || rng.below(3) == 0 {
                let mut doc =
                    CaseDoc::create(Uuid::now_v7(), &examples::household(), &c.editor).unwrap();
                c.store.put(&mut doc, true);
            } else {
                let id = held[rng.below(held.len() as u64) as usize];
                let mut doc = c.store.get(id).unwrap();
                doc.set_editor(&c.editor);
                doc.add_record(&examples::example(RecordKind::Visit), "visit added")
                    .unwrap();
                c.store.put(&mut doc, false);
            }
        }
        // Everyone syncs; the server dies at a random moment.
        let tasks: Vec<_> = clients
            .drain(..)
            .map(|c| tokio::spawn(sync(endpoint.clone(), c)))
            .collect();
        tokio::time::sleep(Duration::from_millis(rng.below(120))).await;
        server.kill().unwrap();
        server.wait().unwrap();
        for t in tasks {
            clients.push(t.await.unwrap());
        }
        if clients.iter().any(|c| !c.store.pending().is_empty()) {
            interrupted += 1;
        }
        // While it is down: the database file is sound.
        {
            let conn = rusqlite::Connection::open(data.join("brug-server.sqlite")).unwrap();
            let ok: String = conn
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            assert_eq!(ok, "ok", "round {round}: integrity check failed");
        }
        server = start(data, port);
        wait_ready(&endpoint).await;
        // Whatever a device holds and no longer counts as pending was
        // acknowledged: the server must have every change of it.
        let db = Db::open(data).unwrap();
        for c in clients.iter() {
            let pending: Vec<Uuid> = c.store.pending();
            for id in c
                .store
                .held()
                .into_iter()
                .filter(|id| !pending.contains(id))
            {
                let mut local = c.store.get(id).unwrap();
                let mut stored = brug_shared::store::load(&db.lock(), id)
                    .unwrap()
                    .unwrap_or_else(|| panic!("round {round}: acknowledged case {id} is gone"));
                assert!(
                    stored.contains_all(&local.heads()),
                    "round {round}: an acknowledged change to {id} is gone"
                );
                acknowledged_checked += 1;
            }
        }
    }
    // Back online for good: everything converges.
    for _ in 0..2 {
        let mut next = Vec::new();
        for c in clients.drain(..) {
            next.push(sync(endpoint.clone(), c).await);
        }
        clients = next;
    }
    let db = Db::open(data).unwrap();
    for c in clients.iter() {
        assert!(c.store.pending().is_empty());
        for id in c.store.held() {
            let mut local = c.store.get(id).unwrap();
            let mut stored = brug_shared::store::load(&db.lock(), id).unwrap().unwrap();
            assert_eq!(local.heads(), stored.heads());
        }
    }
    eprintln!(
        "crash: {kills} kills, {interrupted} of them mid-sync, {acknowledged_checked} acknowledged cases checked, 0 lost"
    );
    assert!(
        interrupted > 0,
        "no kill hit a sync in progress: the test would prove nothing"
    );
    server.kill().unwrap();
    let _ = server.wait();
}

/// A tiny deterministic random source for this test.
mod brug_tests_rng {
    pub struct Rng(pub u64);
    impl Rng {
        pub fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n.max(1)
        }
    }
}
