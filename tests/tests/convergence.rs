//! Randomized convergence against the real server: several devices go
//! offline and online at random, create cases, add records, change fields,
//! type into notes, review and resolve conflicts; syncs run in random
//! orders and some are cut off mid-session. At the end, after everyone
//! syncs, every device and the server hold identical documents, every
//! record anyone added is there, and every change anyone made is in the
//! history. Seeded and reproducible: the seed is in every failure message
//! (`BRUG_SEEDS=n BRUG_SEED_START=s` to run others).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use automerge::ChangeHash;
use brug_device::net::{self, Endpoint, SyncConnection};
use brug_device::sync::{MemoryStore, StoreFault, SyncStore, run_session};
use brug_shared::casedoc::{CaseDoc, Editor, ReviewAction, Target};
use brug_shared::model::{RecordKind, examples};
use brug_sync_server::auth::Role;
use brug_sync_server::db::Db;
use brug_sync_server::storage::ServerStore;
use brug_sync_server::storage::postgres::PgDb;
use brug_sync_server::{Config, TlsSource, enrolment};
use brug_tests::caseload::Rng;
use serde_json::json;
use uuid::Uuid;

struct Client {
    token: String,
    editor: Editor,
    store: MemoryStore,
}

/// A store that fails after `left` saves: the session is cut off midway,
/// as when a phone loses signal in a basement.
struct CutOff<'a> {
    inner: &'a mut MemoryStore,
    left: usize,
}

impl SyncStore for CutOff<'_> {
    fn cursor(&self) -> Result<u64, StoreFault> {
        SyncStore::cursor(self.inner)
    }
    fn set_cursor(&mut self, c: u64) -> Result<(), StoreFault> {
        self.inner.set_cursor(c)
    }
    fn held(&self) -> Result<Vec<Uuid>, StoreFault> {
        SyncStore::held(self.inner)
    }
    fn pending(&self) -> Result<Vec<Uuid>, StoreFault> {
        SyncStore::pending(self.inner)
    }
    fn is_new(&self, id: Uuid) -> Result<bool, StoreFault> {
        self.inner.is_new(id)
    }
    fn load(&mut self, id: Uuid) -> Result<Option<CaseDoc>, StoreFault> {
        self.inner.load(id)
    }
    fn sync_state(&self, id: Uuid) -> Result<Option<Vec<u8>>, StoreFault> {
        self.inner.sync_state(id)
    }
    fn save(
        &mut self,
        id: Uuid,
        doc: &mut CaseDoc,
        state: &automerge::sync::State,
    ) -> Result<(), StoreFault> {
        if self.left == 0 {
            return Err(StoreFault::new(std::io::Error::other("signal lost")));
        }
        self.left -= 1;
        self.inner.save(id, doc, state)
    }
    fn synced(&mut self, id: Uuid, doc: CaseDoc, changed: bool) -> Result<(), StoreFault> {
        self.inner.synced(id, doc, changed)
    }
    fn purge(&mut self, id: Uuid) -> Result<(), StoreFault> {
        self.inner.purge(id)
    }
    fn replace(
        &mut self,
        id: Uuid,
        mine: &mut CaseDoc,
        acknowledged: &[automerge::ChangeHash],
        next: &mut CaseDoc,
    ) -> Result<brug_shared::casedoc::CarryReport, StoreFault> {
        self.inner.replace(id, mine, acknowledged, next)
    }
}

async fn session(
    endpoint: &Endpoint,
    client: &mut Client,
    cut_after: Option<usize>,
    seed: u64,
) -> bool {
    let run = async {
        let mut conn = SyncConnection::open(endpoint, &client.token).await.unwrap();
        let result = match cut_after {
            Some(left) => {
                run_session(
                    &mut conn,
                    &mut CutOff {
                        inner: &mut client.store,
                        left,
                    },
                    &mut |_| {},
                )
                .await
            }
            None => run_session(&mut conn, &mut client.store, &mut |_| {}).await,
        };
        conn.close().await;
        result
    };
    // A stuck session is a failure, not a hang.
    let result = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .unwrap_or_else(|_| panic!("seed {seed}: a sync session hung"));
    match (cut_after, result) {
        (None, Err(e)) => panic!("seed {seed}: sync failed: {e}"),
        (_, r) => r.is_ok(),
    }
}

/// The server a session goes through: the only one, or one at random.
fn pick<'a>(servers: &'a [(Endpoint, &std::path::Path)], rng: &mut Rng) -> &'a Endpoint {
    if servers.len() == 1 {
        return &servers[0].0;
    }
    &servers[rng.below(servers.len() as u64) as usize].0
}

fn edit(client: &mut Client, id: Uuid, f: impl FnOnce(&mut CaseDoc)) -> Vec<ChangeHash> {
    let mut doc = client.store.get(id).unwrap();
    doc.set_editor(&client.editor);
    f(&mut doc);
    client.store.put(&mut doc, false);
    doc.heads()
}

#[derive(Default)]
struct Expected {
    cases: BTreeSet<Uuid>,
    records: BTreeMap<Uuid, BTreeSet<Uuid>>,
    changes: BTreeMap<Uuid, Vec<ChangeHash>>,
}

/// The servers' database, for what the test itself reads and writes.
enum Store {
    Sqlite(Db),
    Postgres(PgDb),
}

impl Store {
    /// Runs `f` with the store (PostgreSQL's blocking client on a thread
    /// of its own, never on the test's async workers).
    fn on<T: Send>(&self, f: impl FnOnce(&dyn ServerStore) -> T + Send) -> T {
        match self {
            Store::Sqlite(db) => f(db),
            Store::Postgres(pg) => std::thread::scope(|s| s.spawn(|| f(pg)).join().unwrap()),
        }
    }
}

/// One seed: devices of a new team, random offline work and syncs (each
/// through one of `servers`, chosen at random when there are several),
/// some cut off midway; then everyone syncs and every change is checked.
async fn run_seed(
    servers: &[(Endpoint, &std::path::Path)],
    store: &Store,
    seed: u64,
) -> (usize, usize) {
    let mut rng = Rng::new(seed);
    let team = format!("team-{seed}");
    let n = 3 + rng.below(6) as usize; // 3..=8 devices
    let mut clients = Vec::new();
    for i in 0..n {
        let name = format!("Werker {seed} {i}");
        let data = servers[i % servers.len()].1;
        let (user, url) = store.on(|s| {
            let user = s.add_user(&name, Role::Supervisor, &team).unwrap().id;
            let url = enrolment::new_enrolment_on(s, data, &TlsSource::SelfSigned, &user, None)
                .unwrap()
                .0;
            (user, url)
        });
        let resp = net::enrol(&url, "seed").await.unwrap();
        let device = Uuid::parse_str(&resp.device_id).unwrap();
        clients.push(Client {
            token: resp.token,
            editor: Editor { user, device },
            store: MemoryStore::new(),
        });
    }
    let mut expected = Expected::default();
    let mut cuts = 0;
    let steps = 20 + rng.below(20);
    for _ in 0..steps {
        let d = rng.below(n as u64) as usize;
        let held: Vec<Uuid> = clients[d].store.held();
        match rng.below(10) {
            0 | 1 if held.is_empty() || rng.below(3) == 0 => {
                let mut doc =
                    CaseDoc::create(Uuid::now_v7(), &examples::household(), &clients[d].editor)
                        .unwrap();
                clients[d].store.put(&mut doc, true);
                expected.cases.insert(doc.id());
                expected
                    .changes
                    .entry(doc.id())
                    .or_default()
                    .extend(doc.heads());
            }
            _ if held.is_empty() => {}
            0..=2 => {
                let id = *rng.pick(&held);
                let kind = *rng.pick(&[
                    RecordKind::Visit,
                    RecordKind::MeterCheck,
                    RecordKind::Referral,
                ]);
                let mut rec = None;
                let heads = edit(&mut clients[d], id, |doc| {
                    rec = Some(doc.add_record(&examples::example(kind), "added").unwrap())
                });
                expected.records.entry(id).or_default().insert(rec.unwrap());
                expected.changes.entry(id).or_default().extend(heads);
            }
            3 => {
                let id = *rng.pick(&held);
                let phone = format!("0470 {seed:02} {:02}", rng.below(100));
                let heads = edit(&mut clients[d], id, |doc| {
                    doc.set_field(Target::Household, &"phone".into(), json!(phone))
                        .unwrap();
                });
                expected.changes.entry(id).or_default().extend(heads);
            }
            4 => {
                let id = *rng.pick(&held);
                let word = format!(" w{}", rng.below(1000));
                let pos = rng.below(40) as usize;
                let heads = edit(&mut clients[d], id, |doc| {
                    let mut h = doc.household().unwrap();
                    let mut chars: Vec<char> = h.notes.chars().collect();
                    let at = pos.min(chars.len());
                    chars.splice(at..at, word.chars());
                    h.notes = chars.into_iter().collect();
                    doc.update_household(&h, "notes typed").unwrap();
                });
                expected.changes.entry(id).or_default().extend(heads);
            }
            5 => {
                let id = *rng.pick(&held);
                let reviewer = clients[d].editor.user.clone();
                let heads = edit(&mut clients[d], id, |doc| {
                    let case = doc.case().unwrap();
                    if let Some((vid, v)) = case.visits.iter().next() {
                        let action = match v.review.state {
                            brug_shared::model::ReviewState::Submitted => ReviewAction::Approve,
                            _ => ReviewAction::Submit,
                        };
                        let _ = doc.review(RecordKind::Visit, *vid, action, &reviewer, "");
                    }
                });
                expected.changes.entry(id).or_default().extend(heads);
            }
            6 => {
                let id = *rng.pick(&held);
                let heads = edit(&mut clients[d], id, |doc| {
                    let conflicts = doc.conflicts();
                    if let Some(c) = conflicts.first() {
                        doc.resolve(c.target, &c.field, c.values[0].value.clone())
                            .unwrap();
                    }
                });
                expected.changes.entry(id).or_default().extend(heads);
            }
            7 | 8 => {
                let endpoint = pick(servers, &mut rng);
                session(endpoint, &mut clients[d], None, seed).await;
            }
            _ => {
                let left = rng.below(4) as usize;
                let endpoint = pick(servers, &mut rng);
                if !session(endpoint, &mut clients[d], Some(left), seed).await {
                    cuts += 1;
                }
            }
        }
    }
    // Everyone comes back online: two rounds so that all changes travel.
    for round in 0..2 {
        for (i, c) in clients.iter_mut().enumerate() {
            let endpoint = &servers[(i + round) % servers.len()].0;
            session(endpoint, c, None, seed).await;
        }
    }
    let server_docs: BTreeMap<Uuid, CaseDoc> = store.on(|s| {
        expected
            .cases
            .iter()
            .map(|id| {
                (
                    *id,
                    s.load(*id)
                        .unwrap()
                        .unwrap_or_else(|| panic!("seed {seed}: case {id} missing on the server")),
                )
            })
            .collect()
    });
    for (id, mut server_doc) in server_docs {
        let heads = server_doc.heads();
        let case = server_doc.case().unwrap();
        assert!(
            server_doc.contains_all(&expected.changes[&id]),
            "seed {seed}: a change to {id} was lost"
        );
        for rec in expected.records.get(&id).into_iter().flatten() {
            let present = case.visits.contains_key(rec)
                || case.meter_checks.contains_key(rec)
                || case.referrals.contains_key(rec);
            assert!(present, "seed {seed}: record {rec} of case {id} was lost");
        }
        for c in clients.iter() {
            let mut local = c
                .store
                .get(id)
                .unwrap_or_else(|| panic!("seed {seed}: case {id} missing on a device"));
            assert_eq!(
                local.heads(),
                heads,
                "seed {seed}: case {id} differs on a device"
            );
        }
    }
    (n, cuts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_offline_work_on_many_devices_converges_and_loses_nothing() {
    let seeds: u64 = std::env::var("BRUG_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let start: u64 = std::env::var("BRUG_SEED_START")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let data = tempfile::tempdir().unwrap();
    let server = brug_sync_server::spawn(Config::new(data.path()), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let endpoint = Endpoint::new(&server.url(), &server.fingerprint).unwrap();
    let db = Db::open(data.path()).unwrap();
    let store = Store::Sqlite(db.clone());
    let servers = [(endpoint, data.path())];
    let (mut devices, mut cuts) = (0, 0);
    for seed in start..start + seeds {
        let (n, c) = run_seed(&servers, &store, seed).await;
        devices += n;
        cuts += c;
    }
    eprintln!(
        "convergence: {seeds} seeds, {devices} devices, {cuts} sessions cut off midway, 0 changes lost"
    );
    assert!(
        cuts > 0,
        "no session was cut off: the test would not prove resumption"
    );
    let ok: String = db
        .lock()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    server.shutdown().await.unwrap();
}

/// The same on two servers sharing one PostgreSQL database: each session
/// goes through either server at random, so a case one server merged is
/// the next moment merged again by the other (its cached copy checked
/// against the stored heads). 50 seeds (`BRUG_PG_CONVERGE_SEEDS` for more).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_offline_work_through_two_servers_on_one_postgres_converges() {
    let Some(cluster) = brug_tests::pg::cluster_or_skip("convergence on two servers on PostgreSQL")
    else {
        return;
    };
    let seeds: u64 = std::env::var("BRUG_PG_CONVERGE_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let (pg, database) = brug_tests::pg::server_database(&cluster.url("postgres"));
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut running = Vec::new();
    for dir in &dirs {
        let mut config = Config::new(dir.path());
        config.database = Some(database.clone());
        running.push(
            brug_sync_server::spawn(config, "127.0.0.1:0".parse().unwrap())
                .await
                .unwrap(),
        );
    }
    let servers: Vec<(Endpoint, &std::path::Path)> = running
        .iter()
        .zip(&dirs)
        .map(|(r, d)| (Endpoint::new(&r.url(), &r.fingerprint).unwrap(), d.path()))
        .collect();
    let store = Store::Postgres(pg);
    let (mut devices, mut cuts) = (0, 0);
    for seed in 1..=seeds {
        let (n, c) = run_seed(&servers, &store, 10_000 + seed).await;
        devices += n;
        cuts += c;
    }
    eprintln!(
        "convergence on two PostgreSQL servers: {seeds} seeds, {devices} devices, {cuts} sessions cut off midway, 0 changes lost"
    );
    assert!(cuts > 0, "no session was cut off");
    for r in running {
        r.shutdown().await.unwrap();
    }
    drop(store);
}
