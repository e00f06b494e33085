//! The `brug-sync-server` command line as support staff use it: commands,
//! `--json` output, exit codes, and QR codes that really scan.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::path::Path;
use std::process::{Command, Output};

use brug_shared::protocol::enrol::EnrolUrl;

fn cli(data: &Path, args: &[&str]) -> Output {
    Command::new(brug_tests::bin("brug-sync-server"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env("BRUG_LOG", "warn")
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Decodes the QR code in a PNG written by `--png`.
fn scan(png_path: &Path) -> String {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1);
    grids[0].decode().unwrap().1
}

#[test]
fn users_devices_and_access_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let user = json(&cli(
        data,
        &[
            "--json",
            "user",
            "add",
            "--name",
            "Ann Peeters",
            "--role",
            "bridge-worker",
            "--team",
            "harelbeke",
        ],
    ));
    assert_eq!(user["id"], "ann.peeters");
    let users = json(&cli(data, &["--json", "user", "list"]));
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["role"], "bridge-worker");

    let png = data.join("ann.png");
    let enrol = json(&cli(
        data,
        &[
            "--json",
            "device",
            "enrol",
            "--user",
            "ann.peeters",
            "--png",
            png.to_str().unwrap(),
        ],
    ));
    let url = enrol["url"].as_str().unwrap();
    let parsed = EnrolUrl::parse(url).unwrap();
    assert_eq!(parsed.fingerprint.len(), 64);
    // The PNG scans back to exactly the printed URL.
    assert_eq!(scan(&png), url);

    // Without --json the terminal gets the URL and a QR code drawn in blocks.
    let text = cli(data, &["device", "enrol", "--user", "ann.peeters"]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("brug://enrol?") && stdout.contains('█'));

    let devices = json(&cli(data, &["--json", "device", "list"]));
    assert!(devices.as_array().unwrap().is_empty());
}

#[test]
fn refusals_exit_1_with_a_reason_and_usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let out = cli(data, &["device", "enrol", "--user", "nobody"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bestaat niet"));

    let out = cli(
        data,
        &["device", "revoke", "00000000-0000-0000-0000-000000000000"],
    );
    assert_eq!(out.status.code(), Some(1));

    let out = cli(
        data,
        &[
            "user", "add", "--name", "X", "--role", "king", "--team", "t",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = cli(data, &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));

    cli(
        data,
        &[
            "user",
            "add",
            "--name",
            "Ann Peeters",
            "--role",
            "bridge-worker",
            "--team",
            "t",
        ],
    );
    let again = cli(
        data,
        &[
            "user",
            "add",
            "--name",
            "Ann Peeters",
            "--role",
            "supervisor",
            "--team",
            "t",
        ],
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("bestaat al"));

    let out = cli(
        data,
        &[
            "case",
            "assign",
            "01900000-0000-7000-8000-000000000000",
            "--user",
            "ann.peeters",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn the_audit_log_is_readable_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    cli(
        data,
        &[
            "user",
            "add",
            "--name",
            "Sofie Vandenberghe",
            "--role",
            "supervisor",
            "--team",
            "harelbeke",
        ],
    );
    cli(data, &["device", "enrol", "--user", "sofie.vandenberghe"]);
    let audit = json(&cli(data, &["--json", "audit"]));
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["user-add", "enrol-code"]);
}

#[tokio::test]
async fn a_code_from_the_command_line_pins_the_certificate_the_server_really_serves() {
    // A real certificate, configured with --tls-cert / --tls-key.
    let certs = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert = certs.path().join("cert.pem");
    let key = certs.path().join("key.pem");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_owned();
    let mut config = brug_sync_server::Config::new(&data);
    config.tls = brug_sync_server::TlsSource::Files { cert, key };
    let running = brug_sync_server::spawn(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    json(&cli(
        &data,
        &[
            "--json",
            "user",
            "add",
            "--name",
            "Ann Peeters",
            "--role",
            "bridge-worker",
            "--team",
            "h",
        ],
    ));
    let code = json(&cli(
        &data,
        &["--json", "device", "enrol", "--user", "ann.peeters"],
    ));
    let url = EnrolUrl::parse(code["url"].as_str().unwrap()).unwrap();
    assert_eq!(url.fingerprint, running.fingerprint);
    // And the device really enrols against it.
    let resp = brug_device::net::enrol(&url, "tablet").await;
    assert!(resp.is_ok(), "{resp:?}");
    running.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_backup_taken_while_devices_sync_restores_into_a_server_devices_trust() {
    use std::os::unix::fs::PermissionsExt;
    let server = brug_tests::wire::TestServer::start().await;
    let data = server.dir.path().to_owned();
    let ann = server.add_user("Ann Peeters", brug_sync_server::auth::Role::BridgeWorker);
    let bert = server.add_user("Bert Claeys", brug_sync_server::auth::Role::HousingAdviser);
    let mut a = server.device(&ann).await;
    // Twenty devices of ten colleagues (two each) keep working meanwhile.
    let mut others = Vec::new();
    for n in 0..10 {
        let user = if n == 0 {
            bert.clone()
        } else {
            server.add_user(
                &format!("Collega {n}"),
                brug_sync_server::auth::Role::BridgeWorker,
            )
        };
        others.push(server.device(&user).await);
        others.push(server.device(&user).await);
    }
    let mut cases = Vec::new();
    for _ in 0..5 {
        cases.push(a.create_case());
    }
    a.sync().await.unwrap();
    // What the server acknowledged before the backup starts.
    let acked: Vec<_> = cases
        .iter()
        .map(|id| (*id, server.stored(*id).unwrap().heads()))
        .collect();
    // The backup runs while twenty devices keep syncing new work.
    let out = tempfile::tempdir().unwrap().path().join("backup");
    let (data2, out2) = (data.clone(), out.clone());
    let backup = tokio::task::spawn_blocking(move || {
        cli(
            &data2,
            &["--json", "backup", "--out", out2.to_str().unwrap()],
        )
    });
    let working: Vec<_> = others
        .into_iter()
        .map(|mut d| {
            tokio::spawn(async move {
                for _ in 0..3 {
                    d.create_case();
                    let report = d.sync().await.unwrap();
                    assert!(report.refused.is_empty());
                }
                d
            })
        })
        .collect();
    for w in working {
        w.await.unwrap();
    }
    let backup = backup.await.unwrap();
    assert!(json(&backup)["database_bytes"].as_u64().unwrap() > 0);
    for f in ["brug-server.sqlite", "tls/key.pem"] {
        let mode = std::fs::metadata(out.join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{f} is {mode:o}");
    }

    // Restored into a fresh folder, the server starts with every
    // acknowledged change and the same certificate.
    let dir = tempfile::tempdir().unwrap();
    json(&cli(
        dir.path(),
        &["--json", "restore", "--from", out.to_str().unwrap()],
    ));
    // Restoring over data is refused.
    let again = cli(dir.path(), &["restore", "--from", out.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    let fingerprint = server.fingerprint.clone();
    let back = brug_tests::wire::TestServer::start_in(dir).await;
    assert_eq!(back.fingerprint, fingerprint, "devices keep trusting it");
    for (id, heads) in &acked {
        let mut doc = back
            .stored(*id)
            .expect("an acknowledged case is in the backup");
        assert!(
            doc.contains_all(heads),
            "case {id} lost acknowledged changes"
        );
    }
    a.endpoint = back.endpoint();
    assert!(
        a.sync().await.is_ok(),
        "a device syncs with the restored server"
    );
}

#[test]
fn only_an_administrator_opens_a_recovery_window_and_it_can_be_closed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    for (name, role) in [("Ad Min", "admin"), ("Ann Peeters", "bridge-worker")] {
        json(&cli(
            data,
            &[
                "--json", "user", "add", "--name", name, "--role", role, "--team", "h",
            ],
        ));
    }
    let args = |by: &'static str| {
        [
            "recovery",
            "open",
            "--hours",
            "4",
            "--reason",
            "restored from backup",
            "--by",
            by,
        ]
    };
    let refused = cli(data, &args("ann.peeters"));
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("beheerder"));
    let no_reason = cli(
        data,
        &["recovery", "open", "--reason", " ", "--by", "ad.min"],
    );
    assert_eq!(no_reason.status.code(), Some(1));
    let db = brug_sync_server::db::Db::open(data).unwrap();
    let now = brug_sync_server::db::now_ms();
    assert!(!brug_sync_server::db::recovery_open(&db.lock(), now).unwrap());
    let mut open = vec!["--json"];
    open.extend(args("ad.min"));
    assert!(json(&cli(data, &open))["until"].as_i64().unwrap() > now);
    assert!(brug_sync_server::db::recovery_open(&db.lock(), now).unwrap());
    assert_eq!(
        json(&cli(data, &["--json", "recovery", "close"]))["closed"],
        1
    );
    let later = brug_sync_server::db::now_ms();
    assert!(!brug_sync_server::db::recovery_open(&db.lock(), later).unwrap());
    let audit = brug_sync_server::db::audit_tail(&db.lock(), 20).unwrap();
    for action in ["recovery-open", "recovery-close"] {
        assert!(audit.iter().any(|e| e.action == action), "{action}");
    }
}

/// Reads a serving process's log (JSON lines, every one checked) up to the
/// line saying it listens, then stops the process; that line.
fn listening_line(child: &mut std::process::Child) -> serde_json::Value {
    use std::io::BufRead;
    let stderr = child.stderr.take().unwrap();
    let mut listening = None;
    for line in std::io::BufReader::new(stderr).lines() {
        let line = line.unwrap();
        let entry: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        if entry["fields"]["message"] == "brug-sync-server listening" {
            listening = Some(entry);
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    listening.expect("a JSON line saying the server listens")
}

/// `--log-format json`: one JSON object per line on standard error, for a
/// log collector, with the level and the message as fields.
#[test]
fn the_server_logs_json_lines_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(brug_tests::bin("brug-sync-server"))
        .args(["--log-format", "json", "--data"])
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let entry = listening_line(&mut child);
    assert_eq!(entry["level"], "INFO");
    assert!(
        entry["fields"]["fingerprint"]
            .as_str()
            .is_some_and(|f| f.len() >= 64)
    );
}

/// The configuration in layers: the TOML file, over it the environment,
/// over that the flags; `config check` prints what the server would run
/// with, and refuses a misspelt setting, a value of the wrong kind or out
/// of range, and a certificate without its key, naming each.
#[test]
fn config_check_shows_the_layered_settings_and_names_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("brug.toml");
    let data = dir.path().join("uit-bestand");
    std::fs::write(
        &file,
        format!(
            "[server]\ndata = {:?}\nlisten = \"127.0.0.1:9443\"\npublic_url = \"https://brug.harelbeke.be:9443\"\n\n[limits]\nenrol_attempts = 4\nmax_per_address = 500\n",
            data.display().to_string()
        ),
    )
    .unwrap();
    let check = |envs: &[(&str, &str)], extra: &[&str], file: &std::path::Path| {
        let mut cmd = Command::new(brug_tests::bin("brug-sync-server"));
        cmd.env_remove("BRUG_DATA")
            .env_remove("BRUG_LOG_FORMAT")
            .arg("--config")
            .arg(file)
            .args(extra)
            .args(["config", "check"]);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = check(&[], &[], &file);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("data = {}", data.display())),
        "{text}"
    );
    assert!(text.contains("listen = 127.0.0.1:9443"), "{text}");
    assert!(
        text.contains("public_url = https://brug.harelbeke.be:9443"),
        "{text}"
    );
    assert!(text.contains("enrol_attempts = 4"), "{text}");
    assert!(text.contains("max_per_address = 500"), "{text}");
    assert!(
        text.contains("bad_token_attempts = 30")
            && text.contains("request_secs = 30")
            && text.contains("hello_secs = 10")
            && text.contains("idle_secs = 120"),
        "defaults fill the rest: {text}"
    );
    // The environment over the file, a flag over the environment.
    let out = check(&[("BRUG_DATA", "/srv/env")], &[], &file);
    assert!(String::from_utf8_lossy(&out.stdout).contains("data = /srv/env"));
    let out = check(
        &[("BRUG_DATA", "/srv/env")],
        &["--data", "/srv/flag"],
        &file,
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("data = /srv/flag"));

    for (body, says) in [
        ("[limits]\nenrol_atempts = 4\n", "enrol_atempts"),
        ("[server]\nlisten = 12\n", "listen"),
        ("[limits]\nmax_per_address = 0\n", "max_per_address = 0"),
        // Below the devices' 15 s pings, live sessions would be cut off.
        ("[limits]\nidle_secs = 10\n", "idle_secs = 10"),
        ("[server]\ntls_cert = \"/etc/brug/cert.pem\"\n", "tls_key"),
        (
            "[server]\npublic_url = \"http://brug.harelbeke.be\"\n",
            "https://",
        ),
    ] {
        let bad = dir.path().join("fout.toml");
        std::fs::write(&bad, body).unwrap();
        let out = check(&[], &[], &bad);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{body}: {err}");
        assert!(err.contains(says), "{body}: {err}");
    }
}

/// `serve --config FILE`: the server runs with the file's settings (here its
/// public URL and JSON logs).
#[test]
fn the_server_runs_with_its_configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("brug.toml");
    std::fs::write(
        &file,
        format!(
            "[server]\ndata = {:?}\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://brug.harelbeke.be:8443\"\nlog_format = \"json\"\n",
            dir.path().join("data").display().to_string()
        ),
    )
    .unwrap();
    let mut child = Command::new(brug_tests::bin("brug-sync-server"))
        .env_remove("BRUG_DATA")
        .env_remove("BRUG_LOG_FORMAT")
        .arg("--config")
        .arg(&file)
        .arg("serve")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let entry = listening_line(&mut child);
    assert_eq!(
        entry["fields"]["public_url"],
        "https://brug.harelbeke.be:8443"
    );
    assert!(dir.path().join("data").join("brug-server.sqlite").exists());
}

#[test]
fn the_report_command_writes_text_excel_and_csv_and_a_bad_plan_is_refused_with_its_reason() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let out = cli(
        dir,
        &[
            "user",
            "add",
            "--name",
            "Sofie Vandenberghe",
            "--role",
            "supervisor",
            "--team",
            "harelbeke",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xlsx = dir.join("rapport.xlsx");
    let csv = dir.join("csv");
    let out = cli(
        dir,
        &[
            "report",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--by",
            "month",
            "--xlsx",
            xlsx.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("SDG 1 Geen armoede"), "{text}");
    assert!(text.contains("2025-12: 0"), "{text}");
    assert!(std::fs::metadata(&xlsx).unwrap().len() > 10_000);
    let csv_text = std::fs::read_to_string(csv.join("rapport.csv")).unwrap();
    assert!(
        csv_text.starts_with("periode_van;periode_tot;planversie;"),
        "{csv_text}"
    );
    assert!(
        csv_text.contains(";energy-contributions-euro;€;2025-01;0,00"),
        "{csv_text}"
    );
    // The audit log keeps who asked.
    let out = cli(dir, &["audit"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("report"));

    // A period that ends before it starts, a public report by worker, and a
    // plan with an unknown outcome: exit 1 with the reason, nothing written.
    let out = cli(
        dir,
        &["report", "--from", "2025-02-01", "--to", "2025-01-01"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("periode"));
    let out = cli(
        dir,
        &[
            "report",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--by",
            "worker",
            "--public",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let plan = cli(dir, &["plan", "show"]);
    let bad = String::from_utf8_lossy(&plan.stdout).replacen("\"done\"", "\"klaar\"", 1);
    let bad_file = dir.join("plan.toml");
    std::fs::write(&bad_file, bad).unwrap();
    let out = cli(dir, &["plan", "check", bad_file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("klaar"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(
        dir,
        &[
            "report",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--plan",
            bad_file.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    // The plan shipped checks, and shows its version.
    let out = cli(dir, &["plan", "check"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("2025.1"));
}

#[test]
fn the_certificate_is_staged_and_rotated_from_the_command_line_and_stays_private() {
    let data = tempfile::tempdir().unwrap();
    let shown = json(&cli(data.path(), &["--json", "cert", "show"]));
    let served = shown["served"].as_str().unwrap().to_owned();
    assert_eq!(served.len(), 64);
    assert!(shown["next"].is_null());
    // Rotating with nothing staged: refused, nothing moved.
    let refused = cli(data.path(), &["cert", "rotate"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("cert next"));
    let staged = json(&cli(data.path(), &["--json", "cert", "next"]));
    let next = staged["next"].as_str().unwrap().to_owned();
    assert_eq!(staged["served"], served.as_str());
    assert_ne!(next, served);
    let rotated = json(&cli(data.path(), &["--json", "cert", "rotate"]));
    assert_eq!(rotated["served"], next.as_str());
    assert!(rotated["next"].is_null());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in ["key.pem", "cert.pem", "previous-key.pem"] {
            let mode = std::fs::metadata(data.path().join("tls").join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{file} is private: {mode:o}");
        }
    }
    // A staged pair of files is checked before it is taken.
    let junk = data.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let bad = cli(
        data.path(),
        &[
            "cert",
            "next",
            "--cert",
            junk.to_str().unwrap(),
            "--key",
            junk.to_str().unwrap(),
        ],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(json(&cli(data.path(), &["--json", "cert", "show"]))["next"].is_null());
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let data = tempfile::tempdir().unwrap();
    // `config check | head -0`: the reader is gone before anything is written.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(brug_tests::bin("brug-sync-server"))
        .arg("--data")
        .arg(data.path())
        .args(["config", "check"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{err}");
}

#[test]
fn a_persons_data_is_exported_and_erased_from_the_command_line_by_a_supervisor_only() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let add = |name: &str, role: &str| {
        json(&cli(
            &data,
            &[
                "--json",
                "user",
                "add",
                "--name",
                name,
                "--role",
                role,
                "--team",
                "harelbeke",
            ],
        ))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let ann = add("Ann Peeters", "bridge-worker");
    let sofie = add("Sofie Vandenberghe", "supervisor");
    let sheet = dir.path().join("caseload.csv");
    std::fs::write(
        &sheet,
        "Dossier;Gezin;Straat;Nummer;Postcode;Gemeente;Telefoon;Woonsituatie;Voornaam;Familienaam;Geboortedatum;Rijksregisternummer;Rol\n\
         D1;Gezin Kwetsbaere;Marktstraat;1;8530;Harelbeke;;private huur;Zoëtje;Kwetsbaere;30/07/1985;85073003328;referentiepersoon\n\
         D1;Gezin Kwetsbaere;Marktstraat;1;8530;Harelbeke;;private huur;Yannick;Anderslid;01/02/1990;90020199803;partner\n",
    )
    .unwrap();
    let imported = cli(
        &data,
        &[
            "import",
            "--team",
            "harelbeke",
            "--assign-to",
            &ann,
            "--apply",
            sheet.to_str().unwrap(),
        ],
    );
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );

    let out = dir.path().join("export");
    let export = json(&cli(
        &data,
        &[
            "--json",
            "subject-export",
            "--national-number",
            "85.07.30-033.28",
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    let case = export["cases"][0].as_str().unwrap().to_owned();
    let html = std::fs::read_to_string(out.join("brug-gegevens.html")).unwrap();
    assert!(html.contains("Kwetsbaere") && !html.contains("Anderslid"));
    let exported: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("brug-gegevens.json")).unwrap()).unwrap();
    let member = exported["cases"][0]["member_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A worker may not erase; no reason, no erasure; both exit 1 with why.
    let field = format!("members/{member}/national_number");
    let refused = cli(
        &data,
        &[
            "erase",
            "--case",
            &case,
            "--field",
            &field,
            "--reason",
            "ik wil het",
            "--by",
            &ann,
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("teamverantwoordelijke"));
    let refused = cli(
        &data,
        &[
            "erase", "--case", &case, "--field", &field, "--reason", " ", "--by", &sofie,
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("reden"));
    // Nothing named and no --whole-case: nothing erased by accident.
    let refused = cli(
        &data,
        &["erase", "--case", &case, "--reason", "x", "--by", &sofie],
    );
    assert_eq!(refused.status.code(), Some(1));

    let done = Command::new(brug_tests::bin("brug-sync-server"))
        .arg("--data")
        .arg(&data)
        .args([
            "erase", "--case", &case, "--field", &field, "--reason", "art. 17", "--by", &sofie,
        ])
        .env("BRUG_LOG", "debug")
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let log = String::from_utf8_lossy(&done.stderr);
    assert!(log.contains("erased"), "the log at debug level: {log}");
    assert!(
        !log.contains("85073003328") && !log.contains("Kwetsbaere"),
        "{log}"
    );
    let said = String::from_utf8_lossy(&done.stdout);
    assert!(said.contains("Nieuwe generatie 1"), "{said}");
    for file in std::fs::read_dir(&data).unwrap() {
        let path = file.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(11).any(|w| w == b"85073003328"),
                "{} holds the erased number",
                path.display()
            );
        }
    }
    // The person is no longer found by the erased number.
    let gone = cli(
        &data,
        &[
            "subject-export",
            "--national-number",
            "85073003328",
            "--out",
            dir.path().join("again").to_str().unwrap(),
        ],
    );
    assert_eq!(gone.status.code(), Some(1));
    let audit = json(&cli(&data, &["--json", "audit", "--limit", "5"]));
    assert!(audit.to_string().contains("art. 17"));
    assert!(!audit.to_string().contains("85073003328"));
}
