//! A device killed mid-sync and mid-save (SIGKILL of `brug-cli`): nothing
//! it had committed is lost, and its encrypted store still opens and passes
//! SQLite's integrity check. `BRUG_DEVICE_KILLS=n` sets the rounds (default 10).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use brug_device::Device;
use brug_sync_server::auth::Role;
use brug_sync_server::{Config, TlsSource, db, enrolment};

fn cli(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(brug_tests::bin("brug-cli"));
    cmd.arg("--home")
        .arg(home)
        .args(args)
        .env("BRUG_PIN", "482193")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn run(home: &Path, args: &[&str]) -> Output {
    cli(home, args).output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_killed_mid_sync_or_mid_save_keeps_what_it_committed() {
    let rounds: u64 = std::env::var("BRUG_DEVICE_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let data = tempfile::tempdir().unwrap();
    let server = brug_sync_server::spawn(Config::new(data.path()), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = {
        let db = db::Db::open(data.path()).unwrap();
        let conn = db.lock();
        db::add_user(&conn, "Ann Peeters", Role::BridgeWorker, "harelbeke").unwrap();
        enrolment::new_enrolment(&conn, data.path(), &TlsSource::SelfSigned, "ann.peeters")
            .unwrap()
            .0
            .to_url()
    };
    let home = tempfile::tempdir().unwrap();
    let h = home.path().to_owned();
    let outcome = tokio::task::spawn_blocking(move || {
        assert!(run(&h, &["enrol", &url]).status.success());
        let household = String::from_utf8(run(&h, &["schema", "household"]).stdout).unwrap();
        let hh_file = h.join("household.json");
        std::fs::write(&hh_file, household).unwrap();
        let visit_file = h.join("visit.json");
        std::fs::write(&visit_file, run(&h, &["schema", "visit"]).stdout).unwrap();
        let mut committed: Vec<(String, String)> = Vec::new();
        let mut kills = 0;
        for round in 0..rounds {
            // Committed work: a case with a visit, each command run to its end.
            let out = run(&h, &["case", "new", "--json", hh_file.to_str().unwrap()]);
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let case = String::from_utf8(out.stdout).unwrap().trim().to_owned();
            let out = run(
                &h,
                &[
                    "record",
                    "add",
                    &case,
                    "visit",
                    "--json",
                    visit_file.to_str().unwrap(),
                ],
            );
            let record = String::from_utf8(out.stdout).unwrap().trim().to_owned();
            committed.push((case.clone(), record));
            // Then a sync, or another save, killed at a random moment.
            let args: Vec<&str> = if round % 2 == 0 {
                vec!["sync"]
            } else {
                vec![
                    "record",
                    "add",
                    &case,
                    "visit",
                    "--json",
                    visit_file.to_str().unwrap(),
                ]
            };
            let mut child = cli(&h, &args).spawn().unwrap();
            std::thread::sleep(Duration::from_millis(5 + (round * 37) % 120));
            if child.try_wait().unwrap().is_none() {
                kills += 1;
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        (committed, kills)
    })
    .await
    .unwrap();
    let (committed, kills) = outcome;
    // The encrypted store passes SQLite's own integrity check.
    {
        let key = brug_device::keys::unlock(home.path(), "482193", 0).unwrap();
        let store = brug_device::local::LocalStore::open(home.path(), &key).unwrap();
        let ok: String = store
            .conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
    }
    // Reopen with the core itself: every committed visit is there.
    let device = Device::open(home.path(), "482193").unwrap();
    for (case, record) in &committed {
        let view = device.show(case.parse().unwrap()).unwrap();
        assert!(
            view.case.visits.contains_key(&record.parse().unwrap()),
            "visit {record} of case {case} lost"
        );
    }
    drop(device);
    eprintln!(
        "device kills: {rounds} rounds, {kills} processes killed while working, {} committed visits kept",
        committed.len()
    );
    assert!(kills > 0, "no kill hit a running command");
    // And everything still syncs.
    let mut device = Device::open(home.path(), "482193").unwrap();
    device.sync(&mut |_| {}).await.unwrap();
    assert_eq!(device.status().unwrap().pending, 0);
    server.shutdown().await.unwrap();
}
