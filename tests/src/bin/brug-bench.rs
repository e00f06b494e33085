//! `brug-bench`: sync and device figures at caseload scale, each end to end
//! over real TLS to a real `brug-sync-server` process on loopback, and for
//! the sync scenarios the same documents synced in-process with automerge's
//! sync protocol alone (the limit), with the ratio end-to-end / limit.
//!
//! `brug-bench` runs the full sizes; `brug-bench --quick` smaller ones;
//! `brug-bench device`, `report`, `rush [N...]`, `cold`, `cold-big`,
//! `morning [ROUNDS]` or `backends` one part alone.
//! Prints a table and, per scenario with a limit, `RATIO <scenario> <n>`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark may stop on its own setup failures

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use brug_device::index::{self, CaseQuery};
use brug_device::net::{self, Endpoint, SyncConnection};
use brug_device::sync::{MemoryStore, run_session};
use brug_device::{Device, keys, local};
use brug_shared::casedoc::{CaseDoc, Editor, Target};
use brug_shared::model::{RecordKind, examples};
use brug_shared::rules::RuleContext;
use brug_shared::store;
use brug_sync_server::auth::Role;
use brug_sync_server::db::{self, Db};
use brug_sync_server::{TlsSource, enrolment};
use brug_tests::caseload::{self, Rng, Shape};
use uuid::Uuid;

struct Sizes {
    cold: usize,
    morning: usize,
    rush: &'static [usize],
    device_cases: usize,
    report_cases: usize,
}

const FULL: Sizes = Sizes {
    cold: 1_000,
    morning: 300,
    rush: &[50, 200, 500],
    device_cases: 10_000,
    report_cases: 10_000,
};
const QUICK: Sizes = Sizes {
    cold: 100,
    morning: 60,
    rush: &[20],
    device_cases: 1_000,
    report_cases: 1_000,
};

#[derive(Default)]
struct Table {
    rows: Vec<(String, String, String, Option<f64>)>,
}

impl Table {
    fn add(&mut self, scenario: &str, figure: String, limit: String, ratio: Option<f64>) {
        eprintln!("  {scenario}: {figure}");
        self.rows.push((scenario.into(), figure, limit, ratio));
    }

    fn print(&self) {
        println!("\n| scenario | figure | limit (in-process automerge sync) | ratio |");
        println!("|---|---|---|---|");
        for (s, f, l, r) in &self.rows {
            println!(
                "| {s} | {f} | {l} | {} |",
                r.map(|r| format!("{r:.1}")).unwrap_or_else(|| "–".into())
            );
        }
        println!();
        for (s, _, _, r) in &self.rows {
            if let Some(r) = r {
                println!("RATIO {s} {r:.2}");
            }
        }
    }
}

/// With `BRUG_BENCH_PROFILE=<scenario>` and `BRUG_PERF_CTL=<fifo>` (from
/// `perf record --control fifo:<fifo> -D -1`), the profiler records that
/// scenario alone: `perf_ctl(name, "enable")` before it, "disable" after.
fn perf_ctl(scenario: &str, command: &str) {
    let wanted = std::env::var("BRUG_BENCH_PROFILE").unwrap_or_default();
    if wanted != scenario {
        return;
    }
    if let Ok(fifo) = std::env::var("BRUG_PERF_CTL") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(fifo) {
            let _ = writeln!(f, "{command}");
        }
    }
}

/// This process's resident memory (VmRSS), in KiB.
fn own_rss_kib() -> u64 {
    rss_kib("/proc/self/status")
}

/// The resident memory (VmRSS) a `/proc/.../status` file tells, in KiB.
fn rss_kib(status: &str) -> u64 {
    std::fs::read_to_string(status)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A real server process on loopback over a seeded data directory.
struct ServerProcess {
    child: Child,
    endpoint: Endpoint,
    data: PathBuf,
}

impl ServerProcess {
    fn start(data: &Path) -> Self {
        Self::start_on(data, None)
    }

    /// A server over `data` (its certificate), on SQLite there or on the
    /// PostgreSQL `database`.
    fn start_on(data: &Path, database: Option<&str>) -> Self {
        let fingerprint =
            brug_sync_server::tls::current_fingerprint(data, &TlsSource::SelfSigned).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let exe = std::env::current_exe()
            .unwrap()
            .with_file_name("brug-sync-server");
        let child = Command::new(&exe)
            .arg("--data")
            .arg(data)
            // Every bench device comes from 127.0.0.1: the rush's 200
            // sessions need more than the default cap per address.
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--max-per-address",
                "1024",
            ])
            .args(
                database
                    .map(|url| ["--database", url])
                    .into_iter()
                    .flatten(),
            )
            .env("BRUG_LOG", "warn")
            // As deploy/brug-sync-server.service runs it.
            .env("MALLOC_ARENA_MAX", "2")
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {}: {e} (cargo build -p brug-sync-server first)",
                    exe.display()
                )
            });
        let endpoint = Endpoint::new(&format!("https://127.0.0.1:{port}"), &fingerprint).unwrap();
        Self {
            child,
            endpoint,
            data: data.to_owned(),
        }
    }

    async fn ready(&self) {
        for _ in 0..600 {
            if self.endpoint.connect().await.is_ok()
                && self.data.join(brug_sync_server::PUBLIC_URL_FILE).exists()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server did not start");
    }

    fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map(|kib| kib / 1024.0)
            .unwrap_or(0.0)
    }
}

impl ServerProcess {
    /// Starts the peak RSS afresh (Linux: `clear_refs` 5), so the next
    /// [`ServerProcess::peak_rss_mib`] is the peak of what runs after this
    /// (on top of what the server holds now), not of its whole life.
    fn reset_peak_rss(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }

    /// The server's resident memory now (VmRSS).
    fn rss_mib(&self) -> f64 {
        rss_kib(&format!("/proc/{}/status", self.child.id())) as f64 / 1024.0
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Stores `n` generated cases created by `creator`; returns them in memory.
fn seed(db: &Db, creator: &str, n: usize, shape: Shape, rng: &mut Rng) -> Vec<CaseDoc> {
    let user = db::require_user(&db.lock(), creator).unwrap();
    let editor = Editor {
        user: creator.into(),
        device: Uuid::nil(),
    };
    let mut docs = Vec::with_capacity(n);
    let mut conn = db.lock();
    for chunk in 0..n.div_ceil(100) {
        // Immediate: a running server writes beside it (its projector).
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        for _ in (chunk * 100)..((chunk + 1) * 100).min(n) {
            let mut doc = caseload::case(rng, shape, &editor);
            store::save_in(&tx, &mut doc).unwrap();
            db::record_change(&tx, doc.id(), &user, true).unwrap();
            docs.push(doc);
        }
        tx.commit().unwrap();
    }
    docs
}

/// A new device of `user` enrolled, synced into everything it may see and
/// listing it (the profiler on for `scenario`, see [`perf_ctl`]): the
/// device, the time, the bytes received and the cases listed.
async fn cold_restore(
    db: &Db,
    data: &Path,
    user: &str,
    home: &Path,
    scenario: &str,
) -> (Device, Duration, u64, usize) {
    perf_ctl(scenario, "enable");
    let t = Instant::now();
    let mut device = Device::enrol(home, &enrol_url(db, data, user), "482193", "bench")
        .await
        .unwrap();
    let mut bytes = 0;
    device.sync(&mut |p| bytes = p.bytes_in).await.unwrap();
    let listed = device.list(&CaseQuery::default()).unwrap().len();
    let took = t.elapsed();
    perf_ctl(scenario, "disable");
    (device, took, bytes, listed)
}

/// The shape of the small cases that make the caseload ten times larger.
const SMALL: Shape = Shape {
    visits: 1,
    meter_checks: 0,
    readings: 0,
    referrals: 0,
    renovations: 1,
    edits: 0,
};

/// The cold restore of every case `seeded` holds (`typical` of them
/// typical, the rest small), on the running server that has projected them.
async fn cold_big_figures(
    table: &mut Table,
    db: &Db,
    data: &Path,
    user: &str,
    seeded: &mut [CaseDoc],
    typical: usize,
) {
    let held = seeded.len();
    eprintln!("cold restore of {held} cases...");
    let big_home = tempfile::tempdir().unwrap();
    let (big, cold, bytes, listed) =
        cold_restore(db, data, user, big_home.path(), "cold-big").await;
    assert_eq!(listed, held);
    drop(big);
    let (limit, limit_bytes) = limit_restore(seeded);
    table.add(
        &format!("cold-restore-{held}"),
        format!(
            "{held} cases ({} typical, {} small) in {:.2} s ({:.1} ms/case), {} KiB received",
            typical,
            held - typical,
            cold.as_secs_f64(),
            ms(cold) / held as f64,
            bytes / 1024
        ),
        format!("{:.2} s, {} KiB", limit.as_secs_f64(), limit_bytes / 1024),
        Some(cold.as_secs_f64() / limit.as_secs_f64()),
    );
}

/// The limit of a cold restore: every case synced in-process into an empty
/// replica by automerge's protocol alone; the time and the bytes exchanged.
fn limit_restore(docs: &mut [CaseDoc]) -> (Duration, usize) {
    let mut replicas = fork_all(docs);
    let t = Instant::now();
    let mut bytes = 0;
    for doc in replicas.iter_mut() {
        let mut empty = CaseDoc::empty(doc.id());
        bytes += doc.sync_with(&mut empty).unwrap();
    }
    (t.elapsed(), bytes)
}

/// Waits (up to 15 minutes) until the running server has projected every
/// seeded case for the reports, so a measurement does not share the two
/// cores with that background work.
async fn wait_projected(db: &Db) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(900) {
        let left: i64 = db
            .lock()
            .query_row("SELECT count(*) FROM report_dirty", [], |r| r.get(0))
            .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn enrol_url(db: &Db, data: &Path, user: &str) -> String {
    enrolment::new_enrolment(&db.lock(), data, &TlsSource::SelfSigned, user)
        .unwrap()
        .0
        .to_url()
}

/// `n` typical cases of `user` seeded, then a server started over them
/// and waited for until it has projected them for the reports.
async fn seeded_server(
    db: &Db,
    data: &Path,
    user: &str,
    n: usize,
    rng: &mut Rng,
) -> (Vec<CaseDoc>, ServerProcess) {
    let seeded = seed(db, user, n, Shape::TYPICAL, rng);
    let server = ServerProcess::start(data);
    server.ready().await;
    wait_projected(db).await;
    (seeded, server)
}

/// The cold restore: a new device of `user` enrols into every seeded case
/// (`seeded`, already projected on the running server), against the same
/// cases synced into empty replicas in memory. Returns the device.
async fn cold_figures(
    table: &mut Table,
    db: &Db,
    data: &Path,
    user: &str,
    home: &Path,
    seeded: &mut [CaseDoc],
) -> Device {
    let (device, cold, bytes, listed) = cold_restore(db, data, user, home, "cold").await;
    assert_eq!(listed, seeded.len());
    let (limit, limit_bytes) = limit_restore(seeded);
    table.add(
        "cold-restore",
        format!(
            "{} cases in {:.2} s ({:.1} ms/case), {} KiB received",
            seeded.len(),
            cold.as_secs_f64(),
            ms(cold) / seeded.len() as f64,
            bytes / 1024
        ),
        format!("{:.2} s, {} KiB", limit.as_secs_f64(), limit_bytes / 1024),
        Some(cold.as_secs_f64() / limit.as_secs_f64()),
    );
    device
}

/// The morning sync: a second user (`bert`, a housing adviser) is given the
/// first `held` seeded cases and enrols; then, `rounds` times, he changes 20
/// of them on his device while `device` (the first user's) changes 30 others,
/// and his one sync is timed. The limit: the same kinds of change on
/// in-memory replicas of the same cases, synced by automerge alone.
#[allow(clippy::too_many_arguments)]
async fn morning_figures(
    table: &mut Table,
    db: &Db,
    data: &Path,
    seeded: &mut [CaseDoc],
    device: &mut Device,
    bert: &str,
    held: usize,
    rounds: usize,
) {
    eprintln!("morning sync...");
    let morning: Vec<Uuid> = seeded.iter().take(held).map(|d| d.id()).collect();
    for id in &morning {
        db::assign(&db.lock(), *id, bert).unwrap();
    }
    let bert_home = tempfile::tempdir().unwrap();
    let mut adviser = Device::enrol(
        bert_home.path(),
        &enrol_url(db, data, bert),
        "482193",
        "bench",
    )
    .await
    .unwrap();
    adviser.sync(&mut |_| {}).await.unwrap();
    let (mine, theirs) = (20.min(held / 3), 30.min(held / 2));
    let mut times = Vec::new();
    let mut last = (0, 0, 0);
    for round in 0..rounds {
        for id in morning.iter().take(mine) {
            adviser
                .add_record(
                    *id,
                    RecordKind::Visit,
                    examples::example(RecordKind::Visit).to_json(),
                )
                .unwrap();
        }
        for (i, id) in morning.iter().rev().take(theirs).enumerate() {
            device
                .set_field(
                    *id,
                    "household",
                    &"phone".into(),
                    serde_json::json!(format!("0470 00 {round:02} {i:02}")),
                )
                .unwrap();
        }
        device.sync(&mut |_| {}).await.unwrap();
        // The server projects the other device's changes for the reports
        // in the background: the timed sync starts when it is done.
        wait_projected(db).await;
        perf_ctl("morning", "enable");
        let t = Instant::now();
        let mut mb = (0, 0);
        let report = adviser
            .sync(&mut |p| mb = (p.bytes_in, p.bytes_out))
            .await
            .unwrap();
        let took = t.elapsed();
        perf_ctl("morning", "disable");
        if rounds > 1 {
            eprintln!("  round {round}: {:.1} ms", ms(took));
        }
        times.push(took);
        last = (mb.0, mb.1, report.synced.len());
    }
    times.sort();
    let morning_time = times[times.len() / 2];
    // The limit is timed on a quiet machine too (the adviser's changes
    // are being projected for the reports).
    wait_projected(db).await;
    let editor = Editor {
        user: bert.into(),
        device: Uuid::new_v4(),
    };
    let mut pairs: Vec<(CaseDoc, CaseDoc)> = seeded
        .iter_mut()
        .take(held)
        .map(|d| (d.fork(), d.fork()))
        .collect();
    for (i, (dev, srv)) in pairs.iter_mut().enumerate() {
        dev.set_editor(&editor);
        srv.set_editor(&editor);
        if i < mine {
            dev.add_record(&examples::example(RecordKind::Visit), "visit added")
                .unwrap();
        }
        if i >= held - theirs {
            srv.set_field(
                Target::Household,
                &"phone".into(),
                serde_json::json!("0470 00 00 00"),
            )
            .unwrap();
        }
    }
    let t = Instant::now();
    let mut lb = 0;
    for (dev, srv) in pairs.iter_mut() {
        lb += dev.sync_with(srv).unwrap();
    }
    let morning_limit = t.elapsed();
    let median = if rounds > 1 {
        format!(" (median of {rounds})")
    } else {
        String::new()
    };
    table.add(
        "morning-sync",
        format!("{held} cases held, {mine} changed here + {theirs} by others: {:.0} ms{median}, {} KiB in / {} KiB out ({} synced)", ms(morning_time), last.0 / 1024, last.1 / 1024, last.2),
        format!("{:.0} ms, {} KiB", ms(morning_limit), lb / 1024),
        Some(morning_time.as_secs_f64() / morning_limit.as_secs_f64()),
    );
}

fn fork_all(docs: &mut [CaseDoc]) -> Vec<CaseDoc> {
    docs.iter_mut().map(|d| d.fork()).collect()
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let sizes = if quick { QUICK } else { FULL };
    let mut table = Table::default();
    let mut rng = Rng::new(7);
    // `recent-memory` (run by the device rows): KiB per case in memory,
    // typical and of five years, printed for the parent.
    if std::env::args().any(|a| a == "recent-memory") {
        let editor = Editor {
            user: "ann.peeters".into(),
            device: Uuid::nil(),
        };
        let (mut each, mut held) = (Vec::new(), Vec::new());
        for shape in [Shape::TYPICAL, Shape::FIVE_YEARS] {
            let stored: Vec<Vec<u8>> = (0..local::RECENT_CASES)
                .map(|_| caseload::case(&mut rng, shape, &editor).save())
                .collect();
            let before = own_rss_kib();
            let kept: Vec<CaseDoc> = stored
                .iter()
                .map(|b| CaseDoc::load(b, &[]).unwrap())
                .collect();
            each.push(own_rss_kib().saturating_sub(before) / kept.len() as u64);
            // Kept until both are measured: the second does not reuse them.
            held.push(kept);
        }
        println!("{} {}", each[0], each[1]);
        return;
    }
    // `--only report`: the report rows alone.
    if std::env::args().any(|a| a == "report") {
        report_figures(&mut table, sizes.report_cases, &mut rng);
        table.print();
        return;
    }
    // `--only device`: the device rows alone (list, open, save, start-up).
    if std::env::args().any(|a| a == "device") {
        device_figures(&mut table, sizes.device_cases, &mut rng);
        table.print();
        return;
    }
    // `backends`: SQLite and PostgreSQL side by side, in-process sessions.
    if std::env::args().any(|a| a == "backends") {
        // The PostgreSQL client blocks: off the async runtime, as the
        // server runs it in blocking tasks.
        std::thread::scope(|s| {
            s.spawn(|| backend_figures(&mut table, sizes.cold, 200, &mut rng))
                .join()
                .unwrap();
        });
        process_backend_figures(&mut table, sizes.cold, 200, &mut rng).await;
        table.print();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    let db = Db::open(&data).unwrap();
    // `rush [N...]`: the rush hour alone, on a server with no other cases
    // (200 devices when no number is given).
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "rush") {
        let counts: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
        let server = ServerProcess::start(&data);
        server.ready().await;
        for n in if counts.is_empty() { vec![200] } else { counts } {
            rush_figures(&mut table, &server, &db, &data, n, &mut rng).await;
        }
        table.print();
        return;
    }
    let ann = db::add_user(&db.lock(), "Ann Peeters", Role::BridgeWorker, "harelbeke")
        .unwrap()
        .id;
    let bert = db::add_user(&db.lock(), "Bert Claeys", Role::HousingAdviser, "harelbeke")
        .unwrap()
        .id;
    // `cold`: the cold restore alone, of as many cases as it has.
    if args.iter().any(|a| a == "cold") {
        let (mut seeded, _server) = seeded_server(&db, &data, &ann, sizes.cold, &mut rng).await;
        let home = tempfile::tempdir().unwrap();
        cold_figures(&mut table, &db, &data, &ann, home.path(), &mut seeded).await;
        table.print();
        return;
    }
    // `cold-big`: the cold restore of ten times the caseload alone (the
    // caseload typical, the rest small).
    if args.iter().any(|a| a == "cold-big") {
        let mut seeded = seed(&db, &ann, sizes.cold, Shape::TYPICAL, &mut rng);
        seeded.extend(seed(&db, &ann, sizes.cold * 9, SMALL, &mut rng));
        let server = ServerProcess::start(&data);
        server.ready().await;
        wait_projected(&db).await;
        cold_big_figures(&mut table, &db, &data, &ann, &mut seeded, sizes.cold).await;
        drop(server);
        table.print();
        return;
    }
    // `morning [ROUNDS]`: the morning sync alone, over as many seeded cases
    // as it holds, timed ROUNDS times (5 when not given; the median counts).
    if args.iter().any(|a| a == "morning") {
        let rounds = args.iter().find_map(|a| a.parse().ok()).unwrap_or(5);
        let (mut seeded, _server) = seeded_server(&db, &data, &ann, sizes.morning, &mut rng).await;
        let home = tempfile::tempdir().unwrap();
        let (mut device, ..) = cold_restore(&db, &data, &ann, home.path(), "cold").await;
        morning_figures(
            &mut table,
            &db,
            &data,
            &mut seeded,
            &mut device,
            &bert,
            sizes.morning,
            rounds,
        )
        .await;
        table.print();
        return;
    }
    eprintln!("seeding {} cases of about 20 records...", sizes.cold);
    let t = Instant::now();
    let mut seeded = seed(&db, &ann, sizes.cold, Shape::TYPICAL, &mut rng);
    eprintln!("  seeded in {:.1} s", t.elapsed().as_secs_f64());
    let server = ServerProcess::start(&data);
    server.ready().await;
    // The running server projects the seeded cases for the reports in the
    // background; measured on its own, so the sync figures below are not
    // sharing the two cores with it.
    let t = Instant::now();
    wait_projected(&db).await;
    table.add(
        "projection-catch-up",
        format!(
            "{} seeded cases projected for the reports by the running server in {:.1} s",
            sizes.cold,
            t.elapsed().as_secs_f64()
        ),
        "–".into(),
        None,
    );

    // 1. Cold restore: a new device enrols into the whole caseload.
    eprintln!("cold restore...");
    let home = tempfile::tempdir().unwrap();
    let mut device = cold_figures(&mut table, &db, &data, &ann, home.path(), &mut seeded).await;

    // 2. Morning sync: 20 cases changed on the device, 30 by others.
    morning_figures(
        &mut table,
        &db,
        &data,
        &mut seeded,
        &mut device,
        &bert,
        sizes.morning,
        1,
    )
    .await;

    // 3. Rush hour: many devices push their morning's new case at once.
    for &n in sizes.rush {
        rush_figures(&mut table, &server, &db, &data, n, &mut rng).await;
    }
    // Photos: attached offline, then one sync.
    photo_figures(&mut table, &mut device, if quick { 10 } else { 50 }).await;

    // 4. Idle: a device that is up to date syncs and hears that nothing
    // changed, holding the seeded caseload and then ten times as many cases.
    let mut held = sizes.cold;
    let mut small = Vec::new();
    for more in [0, sizes.cold * 9] {
        if more > 0 {
            eprintln!("seeding {more} more small cases...");
            small = seed(&db, &ann, more, SMALL, &mut rng);
            device.sync(&mut |_| {}).await.unwrap();
            held += more;
        }
        eprintln!("idle session with {held} cases...");
        device.sync(&mut |_| {}).await.unwrap();
        let mut bytes = (0, 0);
        // One sync is a few milliseconds: the median of five.
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let report = device
                .sync(&mut |p| bytes = (p.bytes_out, p.bytes_in))
                .await
                .unwrap();
            times.push(t.elapsed());
            assert!(report.synced.is_empty(), "an idle session syncs nothing");
        }
        times.sort();
        let took = times[times.len() / 2];
        table.add(
            &format!("idle-session-{held}"),
            format!(
                "{held} cases held, nothing changed: {:.1} ms (median of 5), {} B out / {} B in",
                ms(took),
                bytes.0,
                bytes.1
            ),
            "–".into(),
            None,
        );
    }

    // 4b. Cold restore at ten times the caseload: a second device of the
    // same worker enrols into all of it (once the server has projected
    // the new cases for the reports).
    wait_projected(&db).await;
    seeded.append(&mut small);
    cold_big_figures(&mut table, &db, &data, &ann, &mut seeded, sizes.cold).await;
    drop(server);

    // 5. Device: the case list at scale, a big case, a save, start-up.
    eprintln!("device with {} cases...", sizes.device_cases);
    device_figures(&mut table, sizes.device_cases, &mut rng);

    // 6. Storage: one case with five years of monthly visits.
    storage_figures(&mut table, &mut rng);

    // 7. SQLite and PostgreSQL side by side (in-process sessions).
    std::thread::scope(|s| {
        s.spawn(|| backend_figures(&mut table, sizes.cold, 200, &mut rng))
            .join()
            .unwrap();
    });
    // ... and through real server processes over TLS.
    process_backend_figures(&mut table, sizes.cold, 200, &mut rng).await;

    // 8. Reports: the plan's indicators over a region's caseload.
    report_figures(&mut table, sizes.report_cases, &mut rng);
    table.print();
}

/// The rush hour: `n` devices, each enrolled for a worker of its own,
/// push their morning's new case at once.
async fn rush_figures(
    table: &mut Table,
    server: &ServerProcess,
    db: &Db,
    data: &Path,
    n: usize,
    rng: &mut Rng,
) {
    eprintln!("rush hour with {n} devices...");
    let mut clients = Vec::new();
    for i in 0..n {
        let user = db::add_user(
            &db.lock(),
            &format!("Werker {n} {i}"),
            Role::BridgeWorker,
            "harelbeke",
        )
        .unwrap()
        .id;
        let url =
            brug_shared::protocol::enrol::EnrolUrl::parse(&enrol_url(db, data, &user)).unwrap();
        let resp = net::enrol(&url, "rush").await.unwrap();
        let mut store = MemoryStore::new();
        let mut doc = caseload::case(
            rng,
            Shape {
                visits: 2,
                meter_checks: 1,
                readings: 2,
                referrals: 1,
                renovations: 1,
                edits: 1,
            },
            // The enrolled device's id: the server refuses changes
            // that claim another device.
            &Editor {
                user: user.clone(),
                device: Uuid::parse_str(&resp.device_id).unwrap(),
            },
        );
        store.put(&mut doc, true);
        clients.push((resp.token, store, doc));
    }
    let mut limit_docs: Vec<CaseDoc> = clients.iter_mut().map(|(_, _, d)| d.fork()).collect();
    // Each new case is several automerge changes (the household, each
    // record, the later edits): the goal counts those.
    let changes: usize = limit_docs.iter_mut().map(|d| d.change_count()).sum();
    let endpoint = server.endpoint.clone();
    let rss_before = server.rss_mib();
    server.reset_peak_rss();
    perf_ctl("rush", "enable");
    let t = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|(token, mut store, _)| {
            let endpoint = endpoint.clone();
            tokio::spawn(async move {
                let start = Instant::now();
                // A session that fails is counted, not fatal: where
                // the rush breaks is a figure too.
                let mut conn = match SyncConnection::open(&endpoint, &token).await {
                    Ok(conn) => conn,
                    Err(e) => return Err(format!("connect: {e}")),
                };
                let connected = start.elapsed();
                let report = run_session(&mut conn, &mut store, &mut |_| {})
                    .await
                    .map_err(|e| format!("session: {e:?}"))?;
                conn.close().await;
                Ok((start.elapsed(), connected, report.synced.len()))
            })
        })
        .collect();
    let mut times = Vec::new();
    let mut connects = Vec::new();
    let mut docs = 0;
    let mut failed = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok((d, c, synced)) => {
                times.push(d);
                connects.push(c);
                docs += synced;
            }
            Err(e) => failed.push(e),
        }
    }
    if let Some(first) = failed.first() {
        eprintln!(
            "  {} of {n} sessions failed; the first: {first}",
            failed.len()
        );
    }
    let wall = t.elapsed();
    perf_ctl("rush", "disable");
    times.sort();
    connects.sort();
    let quantile = |v: &[Duration], q: f64| {
        let at = ((v.len().max(1) as f64 - 1.0) * q).round() as usize;
        v.get(at).map_or(f64::NAN, |d| ms(*d))
    };
    let p = |q: f64| quantile(&times, q);
    // The server projects the new cases for the reports in the background:
    // the limit is timed once it is done, not beside it.
    wait_projected(db).await;
    let t = Instant::now();
    for doc in limit_docs.iter_mut() {
        let mut empty = CaseDoc::empty(doc.id());
        doc.sync_with(&mut empty).unwrap();
    }
    let limit = t.elapsed();
    table.add(
        &format!("rush-hour-{n}"),
        format!("{}{docs} new cases ({changes} changes) merged in {:.2} s = {:.0} cases/s, {:.0} changes/s; session p50 {:.0} ms, p99 {:.0} ms (connecting, TCP + TLS + upgrade: p50 {:.0} ms, p99 {:.0} ms); server RSS {:.0} MiB before, peak {:.0} MiB during", if failed.is_empty() { String::new() } else { format!("{} SESSIONS FAILED; ", failed.len()) }, wall.as_secs_f64(), docs as f64 / wall.as_secs_f64(), changes as f64 / wall.as_secs_f64(), p(0.5), p(0.99), quantile(&connects, 0.5), quantile(&connects, 0.99), rss_before, server.peak_rss_mib()),
        format!("{:.0} ms = {:.0} cases/s", ms(limit), n as f64 / limit.as_secs_f64()),
        Some(wall.as_secs_f64() / limit.as_secs_f64()),
    );
}

/// A phone photo of about 3 MB (3,000 × 2,000, fine detail that JPEG
/// cannot squeeze much), different for every `n`.
fn camera_photo(n: u32) -> Vec<u8> {
    use image::ImageEncoder;
    let mut x = 0x9E37_79B9_u32.wrapping_mul(n + 1);
    let img = image::RgbImage::from_fn(3000, 2000, |i, j| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let noise = (x & 0x3f) as u8;
        image::Rgb([
            ((i / 10) % 180) as u8 + noise,
            ((j / 7) % 180) as u8 + (noise >> 1),
            (((i + j) / 13) % 180) as u8 + (noise >> 2),
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .write_image(img.as_raw(), 3000, 2000, image::ExtendedColorType::Rgb8)
        .unwrap();
    out
}

/// `n` photos of about 3 MB attached offline to the visits of the first
/// cases (five per case): re-encoding and storing on the device, then the
/// sync that sends them, and the bytes it sent against the originals'.
async fn photo_figures(table: &mut Table, device: &mut Device, n: u32) {
    eprintln!("{n} photos...");
    let photos: Vec<Vec<u8>> = (0..n).map(camera_photo).collect();
    let originals: usize = photos.iter().map(Vec::len).sum();
    let cases: Vec<Uuid> = device
        .list(&CaseQuery::default())
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut targets = Vec::new();
    for case in &cases {
        if let Some(visit) = device.case(*case).unwrap().visits.keys().next() {
            targets.push((*case, visit.to_string()));
        }
        if targets.len() * 5 >= n as usize {
            break;
        }
    }
    let t = Instant::now();
    for (i, photo) in photos.iter().enumerate() {
        let (case, visit) = &targets[i / 5];
        device.attach(*case, visit, photo, "bench").unwrap();
    }
    let attach = t.elapsed();
    let t = Instant::now();
    let report = device.sync(&mut |_| {}).await.unwrap();
    let sync = t.elapsed();
    assert_eq!(
        report.attachments.sent,
        2 * n as usize,
        "every photo and thumbnail sent"
    );
    table.add(
        &format!("photos-{n}"),
        format!(
            "{n} photos of {:.1} MB: re-encoded and stored in {:.2} s ({:.0} ms each); synced in {:.2} s; {:.1} MB sent for {:.1} MB of originals ({:.0} %)",
            originals as f64 / n as f64 / 1e6,
            attach.as_secs_f64(),
            ms(attach) / f64::from(n),
            sync.as_secs_f64(),
            report.attachments.bytes_sent as f64 / 1e6,
            originals as f64 / 1e6,
            100.0 * report.attachments.bytes_sent as f64 / originals as f64
        ),
        "–".into(),
        None,
    );
}

/// A report over `n` cases with five years of records each, from the
/// projection; and what keeping the projection up to date costs per merged
/// change (one case projected again).
fn report_figures(table: &mut Table, n: usize, rng: &mut Rng) {
    use brug_shared::report::{Breakdown, Plan, Query};
    use chrono::NaiveDate;
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    let ann = db::add_user(&db.lock(), "Ann Peeters", Role::BridgeWorker, "harelbeke")
        .unwrap()
        .id;
    // A hundred distinct five-year cases, stored and projected for real
    // (each stored change marks its case; the projection reads it again).
    let distinct = n.min(100);
    eprintln!("report: {distinct} five-year cases, projected...");
    seed(&db, &ann, distinct, Shape::FIVE_YEARS, rng);
    let t = Instant::now();
    let projected = db::project_pending(&mut db.lock()).unwrap();
    let per_case = t.elapsed() / projected.max(1) as u32;
    // The rest of the region repeats their facts under other households.
    {
        let mut conn = db.lock();
        let tx = conn.transaction().unwrap();
        let sources: Vec<String> = tx
            .prepare("SELECT DISTINCT source FROM report_series")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for copy in 1..n.div_ceil(distinct) {
            for source in &sources {
                let id = Uuid::now_v7().to_string();
                tx.execute(
                    "INSERT INTO report_series (source, team_id, case_id, postcode, worker, kind,
                         detail, outcome, first_day, last_day, facts, days)
                     SELECT ?1, team_id, ?1, postcode, worker, kind, detail, outcome,
                         first_day, last_day, facts, days FROM report_series WHERE source = ?2",
                    rusqlite::params![id, source],
                )
                .unwrap();
            }
            let _ = copy;
        }
        tx.commit().unwrap();
    }
    let facts: i64 = db
        .lock()
        .query_row("SELECT sum(facts) FROM report_series", [], |r| r.get(0))
        .unwrap();
    let plan = Plan::builtin();
    let query = Query {
        from: NaiveDate::from_ymd_opt(2021, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
        team: Some("harelbeke".into()),
        by: Breakdown::Quarter,
        public: false,
    };
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let report = brug_sync_server::reports::make(&mut db.lock(), &plan, &query).unwrap();
        times.push(t.elapsed());
        assert!(report.indicator("visits-done").is_some());
    }
    times.sort();
    table.add(
        &format!("report-{n}"),
        format!(
            "{n} cases of five years ({facts} facts), 2021–2025 by quarter: {:.0} ms (median of 3)",
            ms(times[1])
        ),
        "–".into(),
        None,
    );
    table.add(
        "report-projection",
        format!(
            "one merged change: its five-year case projected again in {:.1} ms",
            ms(per_case)
        ),
        "–".into(),
        None,
    );
}

fn device_figures(table: &mut Table, n: usize, rng: &mut Rng) {
    let home = tempfile::tempdir().unwrap();
    let key = keys::create(home.path(), "482193").unwrap();
    let mut store = local::LocalStore::open(home.path(), &key).unwrap();
    let ctx = RuleContext::at(chrono::Local::now().naive_local());
    let editor = Editor {
        user: "ann.peeters".into(),
        device: Uuid::new_v4(),
    };
    for chunk in 0..n.div_ceil(500) {
        let tx = store.transaction().unwrap();
        for _ in (chunk * 500)..((chunk + 1) * 500).min(n) {
            let mut doc = caseload::case(rng, SMALL, &editor);
            let row = index::index_row(&mut doc, &ctx, 0).unwrap();
            store::save_in(&tx, &mut doc).unwrap();
            local::put_index(&tx, &row).unwrap();
        }
        tx.commit().unwrap();
    }
    let mut big = caseload::case(rng, Shape::FIVE_YEARS, &editor);
    {
        let tx = store.transaction().unwrap();
        let row = index::index_row(&mut big, &ctx, 0).unwrap();
        store::save_in(&tx, &mut big).unwrap();
        local::put_index(&tx, &row).unwrap();
        tx.commit().unwrap();
    }
    // The first list after the store is opened reads (and decrypts) every
    // page of the index; the next finds them in the page cache.
    drop(store);
    let mut store = local::LocalStore::open(home.path(), &key).unwrap();
    let t = Instant::now();
    let all = local::search(store.conn(), &CaseQuery::default()).unwrap();
    let first = t.elapsed();
    let mut again = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let listed = local::search(store.conn(), &CaseQuery::default()).unwrap();
        again.push(t.elapsed());
        assert_eq!(listed.len(), all.len());
    }
    again.sort();
    let list = again[1];
    let t = Instant::now();
    let hits = local::search(
        store.conn(),
        &CaseQuery {
            text: Some("marktstraat 1".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let search = t.elapsed();
    table.add(
        "device-list",
        format!(
            "{} cases listed in {:.1} ms (median of 3; the first after opening the store {:.1} ms); search 'marktstraat 1': {} hits in {:.1} ms",
            all.len(),
            ms(list),
            ms(first),
            hits.len(),
            ms(search)
        ),
        "–".into(),
        None,
    );

    let t = Instant::now();
    let mut doc = store.load(big.id()).unwrap().unwrap();
    let case = doc.case().unwrap();
    let _row = index::index_row(&mut doc, &ctx, 0).unwrap();
    let open = t.elapsed();
    table.add(
        "device-open-case",
        format!(
            "case with {} visits opened (load, read, flags) in {:.1} ms",
            case.visits.len(),
            ms(open)
        ),
        "–".into(),
        None,
    );

    let t = Instant::now();
    let mut doc = store.load(big.id()).unwrap().unwrap();
    doc.set_editor(&editor);
    let record = examples::example(RecordKind::Visit);
    let case = doc.case().unwrap();
    let id = Uuid::now_v7();
    let findings = brug_shared::rules::check_record(&case, id, &record, None, &ctx);
    assert!(!brug_shared::rules::blocks(&findings));
    doc.insert_record(id, &record, "visit added").unwrap();
    let row = index::index_row(&mut doc, &ctx, 0).unwrap();
    let tx = store.transaction().unwrap();
    store::save_in(&tx, &mut doc).unwrap();
    local::put_index(&tx, &row).unwrap();
    tx.commit().unwrap();
    let save = t.elapsed();
    table.add(
        "device-save-record",
        format!(
            "visit saved to that case (rules, merge, incremental save, index) in {:.1} ms",
            ms(save)
        ),
        "–".into(),
        None,
    );
    drop(store);

    let t = Instant::now();
    let key = keys::unlock(home.path(), "482193", 0).unwrap();
    let store = local::LocalStore::open(home.path(), &key).unwrap();
    let first = local::search(
        store.conn(),
        &CaseQuery {
            limit: Some(50),
            ..Default::default()
        },
    )
    .unwrap();
    let start = t.elapsed();
    table.add(
        "device-start",
        format!(
            "PIN unlock (Argon2id) + open store + first 50 of {} cases in {:.0} ms",
            n + 1,
            ms(start)
        ),
        "–".into(),
        None,
    );
    assert_eq!(first.len(), 50);

    // What the device's recently used cases hold in memory when full,
    // measured in a fresh process (here, memory freed by the rows above
    // would be reused and hide it).
    let measured = Command::new(std::env::current_exe().unwrap())
        .arg("recent-memory")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    let each: Vec<u64> = measured
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let each = [
        each.first().copied().unwrap_or(0),
        each.get(1).copied().unwrap_or(0),
    ];
    table.add(
        "device-recent-cases",
        format!(
            "the {} cases kept in memory: about {} KiB each when typical, {} KiB of five years ({:.1} / {:.1} MiB when all are)",
            local::RECENT_CASES,
            each[0],
            each[1],
            (each[0] * local::RECENT_CASES as u64) as f64 / 1024.0,
            (each[1] * local::RECENT_CASES as u64) as f64 / 1024.0,
        ),
        "–".into(),
        None,
    );
}

fn storage_figures(table: &mut Table, rng: &mut Rng) {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = store::open(&dir.path().join("s.sqlite")).unwrap();
    let editor = Editor {
        user: "ann.peeters".into(),
        device: Uuid::new_v4(),
    };
    let mut doc = caseload::case(
        rng,
        Shape {
            visits: 0,
            ..Shape::FIVE_YEARS
        },
        &editor,
    );
    store::save(&mut conn, &mut doc).unwrap();
    // Sixty visits, saved one by one as a worker would over five years.
    for _ in 0..60 {
        doc.add_record(&examples::example(RecordKind::Visit), "visit added")
            .unwrap();
        store::save(&mut conn, &mut doc).unwrap();
    }
    let (snapshot, chunks, _) = store::stored_bytes(&conn, doc.id()).unwrap().unwrap();
    let json = serde_json::to_vec(&doc.case().unwrap()).unwrap().len();
    store::compact(&mut conn, doc.id()).unwrap();
    let (compacted, _, _) = store::stored_bytes(&conn, doc.id()).unwrap().unwrap();
    table.add(
        "storage",
        format!("case with 60 visits: {} KiB stored (snapshot + chunks), {} KiB compacted, plain JSON {} KiB (no history)", (snapshot + chunks) / 1024, compacted / 1024, json / 1024),
        "–".into(),
        None,
    );
}

/// SQLite and PostgreSQL side by side (issue 18): the cold restore of
/// `cold` cases and the rush of `rush` devices, through in-process sync
/// sessions on one SQLite server, one PostgreSQL server and two PostgreSQL
/// servers on one database (see `brug_tests::backends`).
fn backend_figures(table: &mut Table, cold: usize, rush: usize, rng: &mut Rng) {
    use brug_sync_server::storage::postgres::PgDb;
    use brug_tests::backends::{self, Server};
    use std::sync::Arc;
    eprintln!("backends: seeding {cold} cases...");
    let dir = tempfile::tempdir().unwrap();
    let (db, user) = backends::sqlite(dir.path());
    backends::seed(&db, &user, cold, rng);
    let pg = match brug_tests::pg::PgCluster::start_durable() {
        Ok(pg) => Some(pg),
        Err(why) => {
            table.add(
                "backends",
                format!("PostgreSQL rows skipped: {why}"),
                "–".into(),
                None,
            );
            None
        }
    };
    let url = pg.as_ref().map(|pg| {
        let url = pg.create_database("bench").unwrap();
        PgDb::connect(&url, 2)
            .unwrap()
            .copy_from_sqlite(&db)
            .unwrap();
        url
    });
    let pg_server = |url: &str| Server::new(Arc::new(PgDb::connect(url, 16).unwrap()));
    let mut setups: Vec<(&str, Vec<Server>)> =
        vec![("SQLite, 1 server", vec![Server::new(Arc::new(db.clone()))])];
    if let Some(url) = &url {
        setups.push(("PostgreSQL, 1 server", vec![pg_server(url)]));
        setups.push((
            "PostgreSQL, 2 servers",
            vec![pg_server(url), pg_server(url)],
        ));
    }
    for (name, servers) in &setups {
        let (took, cases) = backends::cold_restore(servers, &user);
        table.add(
            &format!("backends-cold-{}-{}", servers[0].store.backend(), servers.len()),
            format!(
                "{name}: {} device(s) at once each restore {cases} cases in {:.2} s (in-process sessions)",
                servers.len(),
                took.as_secs_f64()
            ),
            "–".into(),
            None,
        );
    }
    for (name, servers) in &setups {
        // Fresh caches: what the cold restore loaded does not help.
        let servers: Vec<Server> = servers
            .iter()
            .map(|s| Server::new(s.store.clone()))
            .collect();
        let (wall, each) = backends::rush(&servers, &user, rush, rng);
        let p99 = each[(each.len() * 99 / 100).min(each.len() - 1)];
        table.add(
            &format!("backends-rush-{}-{}", servers[0].store.backend(), servers.len()),
            format!(
                "{name}: {rush} devices at once, one new case each: {:.0} cases/s, p50 {:.0} ms, p99 {:.0} ms (in-process sessions)",
                rush as f64 / wall.as_secs_f64(),
                ms(each[each.len() / 2]),
                ms(p99)
            ),
            "–".into(),
            None,
        );
    }
}

/// A device of `user` enrolled through the server at `endpoint`, with an
/// enrolment code kept in `store` (either backend).
async fn enrol_on(
    store: &brug_sync_server::storage::Backend,
    endpoint: &Endpoint,
    user: &str,
) -> (String, Editor) {
    use brug_sync_server::storage::ServerStore;
    let (code, hash) = brug_sync_server::auth::new_enrol_code();
    let who = user.to_owned();
    store
        .with(move |s: &dyn ServerStore| s.add_enrol_code(&hash, &who, db::now_ms() + 900_000))
        .await
        .unwrap();
    let url = brug_shared::protocol::enrol::EnrolUrl {
        server: format!("https://{}:{}", endpoint.host, endpoint.port),
        code,
        fingerprint: endpoint.fingerprint.clone(),
    };
    let resp = net::enrol(&url, "bench").await.unwrap();
    let editor = Editor {
        user: user.into(),
        device: Uuid::parse_str(&resp.device_id).unwrap(),
    };
    (resp.token, editor)
}

/// One sync session per (endpoint, token, store), all at once: the wall
/// time, each session's time and how many failed.
async fn all_at_once(
    sessions: Vec<(Endpoint, String, MemoryStore)>,
) -> (Duration, Vec<Duration>, Vec<MemoryStore>, usize) {
    let t = Instant::now();
    let tasks: Vec<_> = sessions
        .into_iter()
        .map(|(endpoint, token, mut store)| {
            tokio::spawn(async move {
                let start = Instant::now();
                let ok = match SyncConnection::open(&endpoint, &token).await {
                    Ok(mut conn) => {
                        let r = run_session(&mut conn, &mut store, &mut |_| {}).await;
                        conn.close().await;
                        r.is_ok()
                    }
                    Err(_) => false,
                };
                (start.elapsed(), store, ok)
            })
        })
        .collect();
    let mut times = Vec::new();
    let mut stores = Vec::new();
    let mut failed = 0;
    for task in tasks {
        let (d, store, ok) = task.await.unwrap();
        times.push(d);
        stores.push(store);
        failed += usize::from(!ok);
    }
    let wall = t.elapsed();
    times.sort();
    (wall, times, stores, failed)
}

/// The storage backends through real server processes over TLS: one on
/// SQLite, one on PostgreSQL, two on one PostgreSQL (devices alternate
/// between them, as a load balancer would spread them). Each setup starts
/// from the same `cold` seeded cases: one device per server restores them
/// all at once, then `rush` devices push a new case each at once.
async fn process_backend_figures(table: &mut Table, cold: usize, rush: usize, rng: &mut Rng) {
    use brug_sync_server::storage::{Backend, ServerStore, postgres::PgDb};
    use brug_tests::backends;
    eprintln!("backends through server processes: seeding {cold} cases...");
    let dir = tempfile::tempdir().unwrap();
    let sqlite_dir = dir.path().join("sqlite");
    let (db, user) = backends::sqlite(&sqlite_dir);
    backends::seed(&db, &user, cold, rng);
    brug_sync_server::tls::current_fingerprint(&sqlite_dir, &TlsSource::SelfSigned).unwrap();
    let cluster = match brug_tests::pg::PgCluster::start_durable() {
        Ok(c) => Some(c),
        Err(why) => {
            table.add(
                "process-backends",
                format!("PostgreSQL rows skipped: {why}"),
                "–".into(),
                None,
            );
            None
        }
    };
    // (name, backend, databases for its servers: None = SQLite)
    let mut setups: Vec<(&str, Backend, Vec<Option<String>>)> = vec![(
        "SQLite, 1 server process",
        Backend::Sqlite(db.clone()),
        vec![None],
    )];
    if let Some(cluster) = &cluster {
        for (name, servers) in [
            ("PostgreSQL, 1 server process", 1),
            ("PostgreSQL, 2 server processes", 2),
        ] {
            // The PostgreSQL client blocks: off the async runtime.
            let url = std::thread::scope(|s| {
                s.spawn(|| cluster.create_database(&format!("process{servers}")))
                    .join()
                    .unwrap()
            })
            .unwrap();
            let from = db.clone();
            let to = url.clone();
            let pg = tokio::task::spawn_blocking(move || {
                let pg = PgDb::connect(&to, 4).unwrap();
                pg.copy_from_sqlite(&from).unwrap();
                pg
            })
            .await
            .unwrap();
            setups.push((name, Backend::Postgres(pg), vec![Some(url); servers]));
        }
    }
    for (name, store, databases) in setups {
        // Every server of a setup serves the same certificate.
        let processes: Vec<ServerProcess> = databases
            .iter()
            .enumerate()
            .map(|(i, database)| match database {
                None => ServerProcess::start(&sqlite_dir),
                Some(url) => {
                    let data = dir.path().join(format!("pg-{}-{i}", databases.len()));
                    std::fs::create_dir_all(data.join("tls")).unwrap();
                    for f in ["cert.pem", "key.pem"] {
                        std::fs::copy(sqlite_dir.join("tls").join(f), data.join("tls").join(f))
                            .unwrap();
                    }
                    ServerProcess::start_on(&data, Some(url))
                }
            })
            .collect();
        for p in &processes {
            p.ready().await;
        }
        let backend = store.store().backend();
        let n = processes.len();

        // Cold restore: one new device per server, at once.
        let mut sessions = Vec::new();
        for p in &processes {
            let (token, _) = enrol_on(&store, &p.endpoint, &user.id).await;
            sessions.push((p.endpoint.clone(), token, MemoryStore::new()));
        }
        let (wall, _, stores, failed) = all_at_once(sessions).await;
        let held = stores.iter().map(|s| s.held().len()).min().unwrap_or(0);
        table.add(
            &format!("process-cold-{backend}-{n}"),
            format!(
                "{name}: {n} device(s) at once each restore {held} cases in {:.2} s{}",
                wall.as_secs_f64(),
                if failed > 0 {
                    format!(", {failed} FAILED")
                } else {
                    String::new()
                }
            ),
            "–".into(),
            None,
        );

        // The rush: `rush` workers' devices, one new case each, at once.
        let mut sessions = Vec::new();
        for i in 0..rush {
            let name = format!("Werker {backend} {n} {i}");
            let id = store
                .with(move |s: &dyn ServerStore| {
                    s.add_user(&name, Role::BridgeWorker, "harelbeke")
                        .map(|u| u.id)
                })
                .await
                .unwrap();
            let endpoint = processes[i % n].endpoint.clone();
            let (token, editor) = enrol_on(&store, &endpoint, &id).await;
            let mut local = MemoryStore::new();
            let mut doc = caseload::case(rng, Shape::TYPICAL, &editor);
            local.put(&mut doc, true);
            sessions.push((endpoint, token, local));
        }
        let (wall, times, _, failed) = all_at_once(sessions).await;
        let at = |q: f64| {
            times
                .get(((times.len().max(1) as f64 - 1.0) * q).round() as usize)
                .map_or(f64::NAN, |d| ms(*d))
        };
        table.add(
            &format!("process-rush-{backend}-{n}"),
            format!(
                "{name}: {rush} devices at once, one new case each: {:.0} cases/s, p50 {:.0} ms, p99 {:.0} ms{}",
                (rush - failed) as f64 / wall.as_secs_f64(),
                at(0.5),
                at(0.99),
                if failed > 0 { format!(", {failed} FAILED") } else { String::new() }
            ),
            "–".into(),
            None,
        );
        drop(processes);
        // The PostgreSQL handle closes off the runtime.
        tokio::task::spawn_blocking(move || drop(store))
            .await
            .unwrap();
    }
    drop(cluster);
}
