//! Several real `brug-sync-server` processes on one PostgreSQL (issue 18):
//! devices enrol and sync through any of them, a change stored through one
//! is pushed live to a device connected to another, and servers killed
//! with SIGKILL in the middle of syncs lose no acknowledged change: their
//! devices finish on another server and everything converges.
//!
//! PostgreSQL is real: a throwaway cluster started by each test
//! ([`brug_tests::pg`]); the servers are the release binary's processes
//! with one certificate, as behind a load balancer.
//! The kill test runs `BRUG_PG_KILL_SEEDS` independent seeds (default 50,
//! from `BRUG_PG_KILL_SEED_START`, default 1) of `BRUG_PG_KILL_ROUNDS`
//! rounds each (default 2).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use brug_device::net::{self, Endpoint, SyncConnection};
use brug_device::sync::{MemoryStore, run_session};
use brug_shared::casedoc::{CaseDoc, Editor};
use brug_shared::caseload::Rng;
use brug_shared::model::{RecordKind, Role, examples};
use brug_shared::protocol::enrol::EnrolUrl;
use brug_shared::protocol::{ClientFrame, PROTOCOL_VERSION, ServerFrame};
use brug_sync_server::storage::postgres::PgDb;
use brug_sync_server::storage::{CaseStore, PeopleStore, ServerStore, SessionStore};
use brug_sync_server::{TlsSource, auth};
use brug_tests::pg::{PgCluster, cluster_or_skip};
use uuid::Uuid;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Server processes on one database, each with its own data folder (its
/// logs and files) and one shared certificate.
struct Servers {
    url: String,
    dirs: Vec<tempfile::TempDir>,
    ports: Vec<u16>,
    procs: Vec<Option<Child>>,
    fingerprint: String,
    _cluster: PgCluster,
}

impl Servers {
    fn start(cluster: PgCluster, n: usize) -> Self {
        let url = cluster.url("postgres");
        let dirs: Vec<_> = (0..n).map(|_| tempfile::tempdir().unwrap()).collect();
        let fingerprint =
            brug_sync_server::tls::current_fingerprint(dirs[0].path(), &TlsSource::SelfSigned)
                .unwrap();
        for d in &dirs[1..] {
            std::fs::create_dir_all(d.path().join("tls")).unwrap();
            for f in ["cert.pem", "key.pem"] {
                std::fs::copy(
                    dirs[0].path().join("tls").join(f),
                    d.path().join("tls").join(f),
                )
                .unwrap();
            }
        }
        let ports = (0..n).map(|_| free_port()).collect();
        let mut servers = Self {
            url,
            dirs,
            ports,
            procs: (0..n).map(|_| None).collect(),
            fingerprint,
            _cluster: cluster,
        };
        for i in 0..n {
            servers.launch(i);
        }
        servers
    }

    fn launch(&mut self, i: usize) {
        let child = spawn_server(self.dirs[i].path(), self.ports[i], &self.url);
        self.procs[i] = Some(child);
    }

    fn endpoint(&self, i: usize) -> Endpoint {
        Endpoint::new(
            &format!("https://127.0.0.1:{}", self.ports[i]),
            &self.fingerprint,
        )
        .unwrap()
    }

    /// Kills server `i` with SIGKILL and waits until it is gone.
    fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.procs[i].take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// Starts server `i` again and waits until it takes connections.
    async fn restart(&mut self, i: usize) {
        self.launch(i);
        wait_ready(&self.endpoint(i)).await;
    }

    /// A test-side handle on the database.
    fn db(&self) -> PgDb {
        let url = self.url.clone();
        std::thread::spawn(move || PgDb::connect(&url, 2).unwrap())
            .join()
            .unwrap()
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        for i in 0..self.procs.len() {
            self.kill(i);
        }
    }
}

fn spawn_server(data: &Path, port: u16, url: &str) -> Child {
    Command::new(brug_tests::bin("brug-sync-server"))
        .arg("--data")
        .arg(data)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--database", url])
        .env("BRUG_LOG", "error")
        .env("BRUG_LOG_FORMAT", "json")
        .spawn()
        .unwrap()
}

/// Waits until the server at `endpoint` takes connections (it opens its
/// port only once its database is reached and migrated).
async fn wait_ready(endpoint: &Endpoint) {
    for _ in 0..1200 {
        if endpoint.connect().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("server did not come up within 30 s");
}

/// Runs `f` with the database on a thread of its own (the PostgreSQL
/// client blocks).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

struct Device {
    token: String,
    editor: Editor,
    store: MemoryStore,
}

/// A supervisor (who sees every case of the team) with a device enrolled
/// through server `via`'s enrolment route, with a code kept in PostgreSQL.
async fn enrol(servers: &Servers, db: &PgDb, name: &str, via: usize) -> Device {
    enrol_in(servers, db, name, "harelbeke", via).await
}

/// [`enrol`] for a supervisor of `team`.
async fn enrol_in(servers: &Servers, db: &PgDb, name: &str, team: &str, via: usize) -> Device {
    let db = db.clone();
    let owned = name.to_owned();
    let team = team.to_owned();
    let user = blocking(move || {
        let id = brug_sync_server::db::user_id_for(&owned);
        match db.user(&id).unwrap() {
            Some(u) => u.id,
            None => db.add_user(&owned, Role::Supervisor, &team).unwrap().id,
        }
    })
    .await;
    let (code, hash) = auth::new_enrol_code();
    let db = servers.db();
    let who = user.clone();
    blocking(move || {
        db.add_enrol_code(&hash, &who, brug_sync_server::db::now_ms() + 900_000)
            .unwrap();
    })
    .await;
    let url = EnrolUrl {
        server: format!("https://127.0.0.1:{}", servers.ports[via]),
        code,
        fingerprint: servers.fingerprint.clone(),
    };
    let resp = net::enrol(&url, "tablet").await.unwrap();
    Device {
        token: resp.token,
        editor: Editor {
            user,
            device: Uuid::parse_str(&resp.device_id).unwrap(),
        },
        store: MemoryStore::new(),
    }
}

/// One sync session of `device` with the server at `endpoint`; `true` when
/// it ran to its end.
async fn sync(endpoint: Endpoint, mut device: Device) -> (Device, bool) {
    let mut done = false;
    if let Ok(mut conn) = SyncConnection::open(&endpoint, &device.token).await
        && let Ok(Ok(_)) = tokio::time::timeout(
            Duration::from_secs(60),
            run_session(&mut conn, &mut device.store, &mut |_| {}),
        )
        .await
    {
        done = true;
    }
    (device, done)
}

/// Offline work: a new household, or a visit in a case the device holds.
fn work(device: &mut Device, rng: &mut Rng) {
    let held = device.store.held();
    if held.is_empty() || rng.below(4) == 0 {
        let mut doc =
            CaseDoc::create(Uuid::now_v7(), &examples::household(), &device.editor).unwrap();
        device.store.put(&mut doc, true);
    } else {
        let id = held[rng.below(held.len() as u64) as usize];
        let mut doc = device.store.get(id).unwrap();
        doc.set_editor(&device.editor);
        doc.add_record(&examples::example(RecordKind::Visit), "huisbezoek")
            .unwrap();
        device.store.put(&mut doc, false);
    }
}

/// Every case a device had unsent work in before a round and no longer
/// counts as pending was acknowledged: the database must have all of it.
/// Each such case is loaded once; returns how many (device, case) pairs
/// were checked.
async fn check_acknowledged(
    db: &PgDb,
    devices: &[Device],
    before: &std::collections::HashMap<Uuid, Vec<Uuid>>,
    seed: u64,
    round: u64,
) -> usize {
    let mut acknowledged: Vec<(usize, Uuid)> = Vec::new();
    for (i, d) in devices.iter().enumerate() {
        let now = d.store.pending();
        for id in before.get(&d.editor.device).into_iter().flatten() {
            if !now.contains(id) {
                acknowledged.push((i, *id));
            }
        }
    }
    let mut ids: Vec<Uuid> = acknowledged.iter().map(|(_, id)| *id).collect();
    ids.sort();
    ids.dedup();
    let handle = db.clone();
    let mut stored: std::collections::HashMap<Uuid, Option<CaseDoc>> = blocking(move || {
        ids.into_iter()
            .map(|id| (id, handle.load(id).unwrap()))
            .collect()
    })
    .await;
    for &(i, id) in &acknowledged {
        let stored = stored
            .get_mut(&id)
            .and_then(Option::as_mut)
            .unwrap_or_else(|| panic!("seed {seed} round {round}: acknowledged case {id} is gone"));
        let mut local = devices[i].store.get(id).unwrap();
        assert!(
            stored.contains_all(&local.heads()),
            "seed {seed} round {round}: an acknowledged change to {id} is gone"
        );
    }
    acknowledged.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_through_one_server_process_reaches_a_device_on_another_live() {
    let Some(cluster) = cluster_or_skip("live push across server processes") else {
        return;
    };
    let servers = Servers::start(cluster, 2);
    wait_ready(&servers.endpoint(0)).await;
    wait_ready(&servers.endpoint(1)).await;
    let db = servers.db();
    let mut ann = enrol(&servers, &db, "Ann Peeters", 0).await;
    let bert = enrol(&servers, &db, "Bert Devos", 1).await;

    // Bert's tablet is connected to server 1 and waits for live changes.
    let mut conn = SyncConnection::open(&servers.endpoint(1), &bert.token)
        .await
        .unwrap();
    conn.send(&ClientFrame::Hello {
        v: PROTOCOL_VERSION,
        cursor: 0,
        held: Some(Vec::new()),
    })
    .await
    .unwrap();
    match conn.recv().await.unwrap() {
        ServerFrame::Welcome { .. } => {}
        other => panic!("expected welcome, got {other:?}"),
    }

    // Ann records a household through server 0.
    let mut rng = Rng::new(1);
    work(&mut ann, &mut rng);
    let case = ann.store.held()[0];
    let (ann, done) = sync(servers.endpoint(0), ann).await;
    assert!(done, "Ann's sync through server 0 finished");
    assert!(ann.store.pending().is_empty());

    // Server 1 never handled it, yet tells Bert's tablet at once.
    let heard = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match conn.recv().await.unwrap() {
                ServerFrame::Changed { docs } if docs.contains(&case) => return,
                _ => {}
            }
        }
    })
    .await;
    assert!(
        heard.is_ok(),
        "server 1 pushed the case stored through server 0"
    );
    drop(conn);

    // And Bert's next sync through server 1 brings the case itself.
    let (bert, done) = sync(servers.endpoint(1), bert).await;
    assert!(done);
    let mut got = bert
        .store
        .get(case)
        .expect("Bert's tablet holds Ann's case");
    let mut sent = ann.store.get(case).unwrap();
    assert_eq!(got.heads(), sent.heads());
}

/// What the seeds of the kill test did, added up.
#[derive(Default)]
struct KillStats {
    kills: usize,
    cut: usize,
    checked: usize,
    converged: usize,
    devices: usize,
}

/// Starts a sync of every device at once, each through a random server of
/// the first `used`.
fn sync_all(
    servers: &Servers,
    devices: Vec<Device>,
    used: usize,
    rng: &mut Rng,
) -> Vec<tokio::task::JoinHandle<(Device, bool)>> {
    devices
        .into_iter()
        .map(|d| {
            let via = rng.below(used as u64) as usize;
            tokio::spawn(sync(servers.endpoint(via), d))
        })
        .collect()
}

/// One seed of the kill test: a new team of ten supervisors with three
/// devices each (30), enrolled through random servers of the first `used`
/// (two or three); `rounds` rounds of random offline work and syncs
/// through random servers, most with one server SIGKILLed at a random
/// moment and restarted; then everyone syncs twice and every device holds
/// every case of the team with the database's heads.
async fn kill_seed(
    servers: &mut Servers,
    db: &PgDb,
    seed: u64,
    used: usize,
    rounds: u64,
    stats: &mut KillStats,
) {
    let mut rng = Rng::new(seed);
    let team = format!("team-{seed}");
    let vias: Vec<usize> = (0..30).map(|_| rng.below(used as u64) as usize).collect();
    let name = |i: usize| format!("Werker {seed} {}", i / 3);
    // The first device of each of the ten makes its user; the other
    // twenty enrol at once.
    let mut devices = Vec::new();
    for i in (0..30).step_by(3) {
        devices.push(enrol_in(servers, db, &name(i), &team, vias[i]).await);
    }
    let shared: &Servers = servers;
    let rest = (0..30).filter(|i| i % 3 != 0).map(|i| {
        let (who, team, via) = (name(i), team.clone(), vias[i]);
        async move { enrol_in(shared, db, &who, &team, via).await }
    });
    devices.extend(futures_util::future::join_all(rest).await);
    stats.devices += devices.len();
    for round in 0..rounds {
        for d in devices.iter_mut() {
            if rng.below(2) == 0 {
                work(d, &mut rng);
            }
        }
        let before: std::collections::HashMap<Uuid, Vec<Uuid>> = devices
            .iter()
            .map(|d| (d.editor.device, d.store.pending()))
            .collect();
        // Everyone syncs through a server of their own choosing; one
        // server is killed at a random moment (most rounds).
        let tasks = sync_all(servers, std::mem::take(&mut devices), used, &mut rng);
        let victim = (rng.below(4) != 0).then(|| rng.below(used as u64) as usize);
        if let Some(v) = victim {
            tokio::time::sleep(Duration::from_millis(rng.below(150))).await;
            servers.kill(v);
            stats.kills += 1;
        }
        let mut unfinished = Vec::new();
        for t in tasks {
            let (d, done) = t.await.unwrap();
            if done {
                devices.push(d);
            } else {
                unfinished.push(d);
            }
        }
        stats.cut += unfinished.len();
        // A device whose server died reconnects to one that lives, and
        // finishes there.
        for d in unfinished {
            let live: Vec<usize> = (0..used).filter(|&i| Some(i) != victim).collect();
            let via = live[rng.below(live.len() as u64) as usize];
            let (d, done) = sync(servers.endpoint(via), d).await;
            assert!(
                done,
                "seed {seed} round {round}: a sync through a living server finished"
            );
            devices.push(d);
        }
        stats.checked += check_acknowledged(db, &devices, &before, seed, round).await;
        if let Some(v) = victim {
            servers.restart(v).await;
        }
    }

    // Everyone online for good: two syncs each, all at once, through any
    // server (after the first pass the database has everyone's work).
    for _ in 0..2 {
        for t in sync_all(servers, std::mem::take(&mut devices), used, &mut rng) {
            let (d, done) = t.await.unwrap();
            assert!(done, "seed {seed}: a final sync finished");
            devices.push(d);
        }
    }
    let handle = db.clone();
    let member = devices[0].editor.user.clone();
    let mut stored: Vec<(Uuid, CaseDoc)> = blocking(move || {
        let user = handle.user(&member).unwrap().unwrap();
        handle
            .visible_cases(&user)
            .unwrap()
            .into_iter()
            .map(|(id, _)| (id, handle.load(id).unwrap().unwrap()))
            .collect()
    })
    .await;
    let mut want: Vec<Uuid> = stored.iter().map(|(id, _)| *id).collect();
    want.sort();
    for d in &devices {
        assert!(
            d.store.pending().is_empty(),
            "seed {seed}: nothing left unsent"
        );
        let mut held = d.store.held();
        held.sort();
        assert_eq!(
            held, want,
            "seed {seed}: every device holds every case of its team"
        );
        for (id, stored) in stored.iter_mut() {
            let mut local = d.store.get(*id).unwrap();
            assert_eq!(
                local.heads(),
                stored.heads(),
                "seed {seed}: case {id} converged"
            );
        }
    }
    stats.converged += want.len();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_killed_mid_sync_lose_no_acknowledged_change_and_devices_finish_elsewhere() {
    let Some(cluster) = cluster_or_skip("server processes killed on PostgreSQL") else {
        return;
    };
    let seeds: u64 = std::env::var("BRUG_PG_KILL_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let start: u64 = std::env::var("BRUG_PG_KILL_SEED_START")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    // Two rounds: in the second the devices add visits to cases they all
    // hold, so concurrent edits of one case meet on different servers.
    let rounds: u64 = std::env::var("BRUG_PG_KILL_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let mut servers = Servers::start(cluster, 3);
    for i in 0..3 {
        wait_ready(&servers.endpoint(i)).await;
    }
    let db = servers.db();
    let mut stats = KillStats::default();
    for seed in start..start + seeds {
        // Even seeds on two servers, odd ones on three.
        let used = if seed % 2 == 0 { 2 } else { 3 };
        kill_seed(&mut servers, &db, seed, used, rounds, &mut stats).await;
    }
    eprintln!(
        "postgres servers: {seeds} seeds of {rounds} round(s) on 2 or 3 servers, {} devices, {} SIGKILLs, {} syncs cut and finished elsewhere, {} acknowledged cases checked, {} cases converged on every device of their team",
        stats.devices, stats.kills, stats.cut, stats.checked, stats.converged
    );
    assert!(
        stats.cut > 0,
        "no kill hit a sync in progress: the test would prove nothing"
    );
}

/// Runs `brug-sync-server` with `args` against server `i`'s data folder and
/// the database; its exit status and standard output.
fn admin(servers: &Servers, i: usize, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(brug_tests::bin("brug-sync-server"))
        .arg("--data")
        .arg(servers.dirs[i].path())
        .args(["--database", &servers.url])
        .args(args)
        .env("BRUG_LOG", "error")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_work_on_postgres_and_a_folder_backup_points_to_pg_dump() {
    let Some(cluster) = cluster_or_skip("admin commands on PostgreSQL") else {
        return;
    };
    let servers = Servers::start(cluster, 2);
    wait_ready(&servers.endpoint(0)).await;
    wait_ready(&servers.endpoint(1)).await;

    // A user added with the command line on one machine...
    let (ok, out, err) = admin(
        &servers,
        1,
        &[
            "user",
            "add",
            "--name",
            "Ann Peeters",
            "--role",
            "bridge-worker",
            "--team",
            "harelbeke",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("ann.peeters"), "{out}");
    let (ok, out, _) = admin(&servers, 0, &["--json", "user", "list"]);
    assert!(ok);
    let users: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(users[0]["id"], "ann.peeters");

    // ...gets an enrolment code that server 0 redeems (the code lives in
    // the database, the URL and certificate come from server 0's folder).
    let (ok, out, err) = admin(
        &servers,
        0,
        &["--json", "device", "enrol", "--user", "ann.peeters"],
    );
    assert!(ok, "{err}");
    let made: serde_json::Value = serde_json::from_str(&out).unwrap();
    let url = EnrolUrl::parse(made["url"].as_str().unwrap()).unwrap();
    assert_eq!(url.fingerprint, servers.fingerprint);
    let enrolled = net::enrol(&url, "tablet").await.unwrap();
    // A tablet locked after wrong PINs: an unlock code made on one
    // machine is redeemed through the other server, once.
    let (ok, out, err) = admin(
        &servers,
        0,
        &["--json", "device", "unlock-code", &enrolled.device_id],
    );
    assert!(ok, "{err}");
    let unlock: serde_json::Value = serde_json::from_str(&out).unwrap();
    let code = unlock["code"].as_str().unwrap();
    let secret = net::unlock(&servers.endpoint(1), &enrolled.device_id, code)
        .await
        .unwrap();
    assert_eq!(Some(hex::encode(&secret)), enrolled.unlock_secret);
    assert!(
        net::unlock(&servers.endpoint(0), &enrolled.device_id, code)
            .await
            .is_err()
    );
    // The same code a second time, through the other server: refused.
    let again = EnrolUrl {
        server: format!("https://127.0.0.1:{}", servers.ports[1]),
        ..url.clone()
    };
    assert!(net::enrol(&again, "tablet 2").await.is_err());

    // Ann records a household; a supervisor is made and assigned it.
    let mut ann = Device {
        token: enrolled.token,
        editor: Editor {
            user: "ann.peeters".into(),
            device: Uuid::parse_str(&enrolled.device_id).unwrap(),
        },
        store: MemoryStore::new(),
    };
    work(&mut ann, &mut Rng::new(7));
    let case = ann.store.held()[0];
    // A home visit that took place (5 October 2026), for the report below.
    let mut doc = ann.store.get(case).unwrap();
    doc.set_editor(&ann.editor);
    doc.add_record(&examples::example(RecordKind::Visit), "huisbezoek")
        .unwrap();
    ann.store.put(&mut doc, false);
    let (ann, done) = sync(servers.endpoint(1), ann).await;
    assert!(done);
    // The department's report, counted from PostgreSQL's projection on
    // another machine than the one that stored the visit.
    let (ok, out, err) = admin(
        &servers,
        0,
        &[
            "--json",
            "report",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "--by",
            "none",
        ],
    );
    assert!(ok, "{err}");
    let report: brug_shared::report::Report = serde_json::from_str(&out).unwrap();
    assert_eq!(
        report.indicator("households-reached").unwrap().total,
        brug_shared::report::Cell::Value(1)
    );
    let (ok, _, err) = admin(
        &servers,
        0,
        &[
            "user",
            "add",
            "--name",
            "Bert Devos",
            "--role",
            "bridge-worker",
            "--team",
            "harelbeke",
        ],
    );
    assert!(ok, "{err}");
    let (ok, out, err) = admin(
        &servers,
        0,
        &["case", "assign", &case.to_string(), "--user", "bert.devos"],
    );
    assert!(ok, "{err}");
    assert!(out.contains("toegewezen aan bert.devos"), "{out}");
    let (ok, out, _) = admin(
        &servers,
        0,
        &["case", "assign", &case.to_string(), "--user", "bert.devos"],
    );
    assert!(ok && out.contains("(was al zo)"), "{out}");

    // Revoked from the command line: the next sync is refused.
    let (ok, _, err) = admin(&servers, 1, &["device", "revoke", &enrolled.device_id]);
    assert!(ok, "{err}");
    let (ann, done) = sync(servers.endpoint(0), ann).await;
    assert!(!done, "a revoked device's sync does not run");
    drop(ann);
    let (ok, _, err) = admin(&servers, 0, &["device", "revoke", "no-such-device"]);
    assert!(!ok && err.contains("bestaat niet"), "{err}");

    // The audit log holds all of it, whichever machine wrote it.
    let (ok, out, _) = admin(&servers, 1, &["--json", "audit", "--limit", "50"]);
    assert!(ok);
    let entries: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in [
        "user-add",
        "enrol-code",
        "enrol",
        "unlock-code",
        "device-unlocked",
        "assign",
        "revoke",
        "report",
    ] {
        assert!(actions.contains(&want), "{want} in {actions:?}");
    }

    // A recovery window: only an administrator opens it.
    let (ok, _, err) = admin(
        &servers,
        0,
        &[
            "recovery",
            "open",
            "--reason",
            "teruggezet",
            "--by",
            "bert.devos",
        ],
    );
    assert!(!ok && err.contains("geen beheerder"), "{err}");
    let (ok, _, err) = admin(
        &servers,
        0,
        &[
            "user",
            "add",
            "--name",
            "Ad Min",
            "--role",
            "admin",
            "--team",
            "harelbeke",
        ],
    );
    assert!(ok, "{err}");
    let (ok, _, err) = admin(
        &servers,
        1,
        &[
            "recovery",
            "open",
            "--reason",
            "teruggezet",
            "--by",
            "ad.min",
        ],
    );
    assert!(ok, "{err}");
    let db = servers.db();
    let open = blocking(move || {
        let open = db.recovery_open(brug_sync_server::db::now_ms()).unwrap();
        (open, db)
    })
    .await;
    assert!(open.0, "the window is open for every server");
    let (ok, out, _) = admin(&servers, 0, &["--json", "recovery", "close"]);
    assert!(ok);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["closed"],
        1
    );

    // Erasure from the command line on PostgreSQL: only a supervisor of
    // the case's team may ask; refused, nothing changes.
    let (ok, _, err) = admin(
        &servers,
        1,
        &[
            "erase",
            "--case",
            &case.to_string(),
            "--whole-case",
            "--reason",
            "test",
            "--by",
            "bert.devos",
        ],
    );
    assert!(
        !ok && err.contains("alleen een teamverantwoordelijke"),
        "{err}"
    );

    // A backup of the data folder is refused: PostgreSQL is backed up
    // with its own tools. Nothing is written.
    let backup = tempfile::tempdir().unwrap();
    let (ok, _, err) = admin(
        &servers,
        0,
        &[
            "backup",
            "--out",
            &backup.path().join("b").to_string_lossy(),
        ],
    );
    assert!(!ok);
    assert!(err.contains("pg_dump"), "{err}");
    assert!(!backup.path().join("b").exists());
    // The devices, listed from the database; the plan needs none.
    let (ok, out, err) = admin(&servers, 1, &["--json", "device", "list"]);
    assert!(ok, "{err}");
    let devices: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert!(
        devices
            .iter()
            .any(|d| d["name"] == "tablet" && d["revoked_at"].is_number()),
        "{out}"
    );
    let (ok, out, err) = admin(&servers, 0, &["plan", "show"]);
    assert!(ok && out.contains("[[actions"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_migrate_to_postgres_devices_sync_on_without_downloading_again() {
    let Some(cluster) = cluster_or_skip("devices after migrate-to-postgres") else {
        return;
    };
    // A SQLite deployment: Ann's tablet holds twenty cases, a supervisor's
    // holds them too and then adds a visit to one while Ann is away.
    let server = brug_tests::wire::TestServer::start().await;
    let ann = server.add_user("Ann Peeters", Role::BridgeWorker);
    let sofie = server.add_user("Sofie Vandenberghe", Role::Supervisor);
    let mut a = server.device(&ann).await;
    let cases: Vec<Uuid> = (0..20).map(|_| a.create_case()).collect();
    a.sync().await.unwrap();
    // A second sync brings the tablet's cursor past its own cases (the
    // cursor is the feed position at hello).
    a.sync().await.unwrap();
    let mut s = server.device(&sofie).await;
    s.sync().await.unwrap();
    assert_eq!(s.store.held().len(), 20);
    s.edit(cases[7], |doc| {
        doc.add_record(&examples::example(RecordKind::Visit), "huisbezoek")
            .unwrap();
    });
    s.sync().await.unwrap();
    let dir = server.stop().await;

    // Moved with the command line, then served from PostgreSQL with the
    // same data folder (so the same certificate).
    let url = cluster.url("postgres");
    let out = Command::new(brug_tests::bin("brug-sync-server"))
        .args(["migrate-to-postgres", "--from"])
        .arg(dir.path())
        .args(["--to", &url])
        .env("BRUG_LOG", "error")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = brug_tests::wire::TestServer::start_with(dir, |c| {
        c.database = Some(brug_sync_server::Database {
            url: url.clone(),
            ca: None,
            max_connections: 4,
        });
    })
    .await;
    assert_eq!(server.endpoint().fingerprint, a.endpoint.fingerprint);

    // Ann's tablet, with its old token and cursor, brings in only the case
    // that changed: the server knew from the copied feed and sync states
    // what the tablet already held.
    a.endpoint = server.endpoint();
    let report = a.sync().await.unwrap();
    assert_eq!(report.synced, vec![cases[7]], "only the changed case syncs");
    assert!(report.purged.is_empty());
    let mut got = a.store.get(cases[7]).unwrap();
    let mut sent = s.store.get(cases[7]).unwrap();
    assert_eq!(got.heads(), sent.heads());
    // And her next change goes to PostgreSQL.
    a.edit(cases[0], |doc| {
        doc.add_record(&examples::example(RecordKind::Visit), "huisbezoek")
            .unwrap();
    });
    let report = a.sync().await.unwrap();
    assert_eq!(report.synced, vec![cases[0]]);
    let db = servers_db(&url);
    let first = cases[0];
    let mut stored = blocking(move || db.load(first).unwrap().unwrap()).await;
    let mut local = a.store.get(cases[0]).unwrap();
    assert_eq!(stored.heads(), local.heads());
}

fn servers_db(url: &str) -> PgDb {
    let url = url.to_owned();
    std::thread::spawn(move || PgDb::connect(&url, 2).unwrap())
        .join()
        .unwrap()
}
