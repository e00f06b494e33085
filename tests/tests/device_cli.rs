//! `brug-cli` as a newcomer uses it against a real server: enrol two homes
//! from printed URLs, create a case, sync, see it on the other; exit codes
//! and messages for what goes wrong.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::path::Path;
use std::process::{Command, Output};

use brug_sync_server::auth::Role;
use brug_sync_server::{Config, TlsSource, db, enrolment};

fn cli(home: &Path, pin: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(brug_tests::bin("brug-cli"));
    cmd.arg("--home").arg(home).args(args).env("BRUG_PIN", pin);
    if let Some(input) = stdin {
        use std::io::Write;
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        return child.wait_with_output().unwrap();
    }
    cmd.output().unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_homes_enrol_and_a_case_made_on_one_shows_on_the_other() {
    let data = tempfile::tempdir().unwrap();
    let server = brug_sync_server::spawn(Config::new(data.path()), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (ann_url, sofie_url) = {
        let db = db::Db::open(data.path()).unwrap();
        let conn = db.lock();
        db::add_user(&conn, "Ann Peeters", Role::BridgeWorker, "harelbeke").unwrap();
        db::add_user(&conn, "Sofie Vandenberghe", Role::Supervisor, "harelbeke").unwrap();
        let a = enrolment::new_enrolment(&conn, data.path(), &TlsSource::SelfSigned, "ann.peeters")
            .unwrap()
            .0
            .to_url();
        let s = enrolment::new_enrolment(
            &conn,
            data.path(),
            &TlsSource::SelfSigned,
            "sofie.vandenberghe",
        )
        .unwrap()
        .0
        .to_url();
        (a, s)
    };
    let h1 = tempfile::tempdir().unwrap();
    let h2 = tempfile::tempdir().unwrap();
    let (a, s) = (h1.path().to_owned(), h2.path().to_owned());
    let result = tokio::task::spawn_blocking(move || {
        assert!(
            ok(&cli(
                &a,
                "482193",
                &["enrol", &ann_url, "--name", "tablet Ann"],
                None
            ))
            .contains("Ann Peeters")
        );
        ok(&cli(&s, "913752", &["enrol", &sofie_url], None));

        // The same code twice: refused, exit 1, and the home stays empty.
        let h3 = tempfile::tempdir().unwrap();
        let again = cli(h3.path(), "123457", &["enrol", &ann_url], None);
        assert_eq!(again.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&again.stderr).contains("al gebruikt"));
        assert_eq!(std::fs::read_dir(h3.path()).unwrap().count(), 0);

        let household = ok(&cli(&a, "482193", &["schema", "household"], None));
        let id = ok(&cli(
            &a,
            "482193",
            &["case", "new", "--json", "-"],
            Some(&household),
        ));
        let visit = ok(&cli(&a, "482193", &["schema", "visit"], None));
        let record = ok(&cli(
            &a,
            "482193",
            &["record", "add", &id, "visit", "--json", "-"],
            Some(&visit),
        ));
        ok(&cli(
            &a,
            "482193",
            &[
                "record",
                "set",
                &id,
                "household",
                "phone",
                // As people type it; stored the Belgian way (below).
                "\"+32 470/12.34.56\"",
            ],
            None,
        ));
        ok(&cli(
            &a,
            "482193",
            &["review", &id, &record, "submit"],
            None,
        ));
        let status: serde_json::Value =
            serde_json::from_str(&ok(&cli(&a, "482193", &["--json", "status"], None))).unwrap();
        assert_eq!(status["pending"], 1);
        ok(&cli(&a, "482193", &["sync"], None));
        ok(&cli(&s, "913752", &["sync"], None));

        let list: serde_json::Value = serde_json::from_str(&ok(&cli(
            &s,
            "913752",
            &["--json", "case", "list", "--query", "marktstraat"],
            None,
        )))
        .unwrap();
        assert_eq!(list[0]["id"], id.as_str());
        let show: serde_json::Value =
            serde_json::from_str(&ok(&cli(&s, "913752", &["case", "show", &id], None))).unwrap();
        assert_eq!(show["case"]["household"]["phone"], "0470 12 34 56");
        assert!(show["case"]["visits"][&record].is_object());
        // The supervisor's queue lists the submitted visit, by id.
        let queue: serde_json::Value =
            serde_json::from_str(&ok(&cli(&s, "913752", &["--json", "queue"], None))).unwrap();
        let waiting: Vec<&serde_json::Value> = queue
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["reason"] == "submitted")
            .collect();
        assert_eq!(waiting.len(), 1, "{queue}");
        assert_eq!(waiting[0]["record"], record.as_str());
        assert_eq!(waiting[0]["case"], id.as_str());
        let history = ok(&cli(&s, "913752", &["history", &id], None));
        assert!(history.contains("ann.peeters") && history.contains("phone"));

        // Wrong PIN: exit 1 with the reason in both languages.
        let wrong = cli(&s, "0000", &["status"], None);
        assert_eq!(wrong.status.code(), Some(1));
        let err = String::from_utf8_lossy(&wrong.stderr);
        assert!(
            err.contains("verkeerde pincode") && err.contains("wrong PIN"),
            "{err}"
        );
        // A rule refusal: exit 1, nothing stored.
        let bad = cli(
            &a,
            "482193",
            &[
                "record",
                "set",
                &id,
                &record,
                "end",
                "\"2026-10-05T23:59:00\"",
            ],
            None,
        );
        assert_eq!(bad.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&bad.stderr).contains("visit.too-long"));
        // Usage errors exit 2.
        assert_eq!(
            cli(&a, "482193", &["case", "frobnicate"], None)
                .status
                .code(),
            Some(2)
        );
        assert_eq!(
            cli(&a, "482193", &["record", "add", &id], None)
                .status
                .code(),
            Some(2)
        );
        // Not JSON where JSON is needed.
        let nojson = cli(
            &a,
            "482193",
            &["record", "add", &id, "visit", "--json", "-"],
            Some("not json"),
        );
        assert_eq!(nojson.status.code(), Some(1));
    })
    .await;
    server.shutdown().await.unwrap();
    result.unwrap();
}

#[test]
fn schema_prints_a_valid_example_for_every_kind_and_validate_finds_errors() {
    let home = tempfile::tempdir().unwrap();
    for kind in [
        "household",
        "member",
        "consent",
        "visit",
        "meter-check",
        "energy-scan",
        "renovation",
        "referral",
    ] {
        let example = ok(&cli(home.path(), "", &["schema", kind], None));
        let findings = ok(&cli(
            home.path(),
            "",
            &["--json", "validate", kind, "--json", "-"],
            Some(&example),
        ));
        let findings: Vec<serde_json::Value> = serde_json::from_str(&findings).unwrap();
        assert!(
            findings.iter().all(|f| f["severity"] != "error"),
            "{kind}: {findings:?}"
        );
    }
    let mut check: serde_json::Value =
        serde_json::from_str(&ok(&cli(home.path(), "", &["schema", "meter-check"], None))).unwrap();
    check["ean"] = "541448820000123456".into();
    let out = cli(
        home.path(),
        "",
        &["--json", "validate", "meter-check", "--json", "-"],
        Some(&check.to_string()),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ean.check-digit"));
    assert_eq!(
        cli(home.path(), "", &["schema", "spaceship"], None)
            .status
            .code(),
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_home_brug_cli_uses_the_platform_data_folder_the_app_uses_too() {
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
    let xdg = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let (x, e) = (xdg.path().to_owned(), elsewhere.path().to_owned());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(brug_tests::bin("brug-cli"))
            .args(["enrol", &url])
            .env_remove("BRUG_HOME")
            .env("XDG_DATA_HOME", &x)
            .env("HOME", &e)
            .env("BRUG_PIN", "482193")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    ok(&out);
    // The one place both binaries look (brug_device::default_home).
    assert!(
        xdg.path()
            .join("brug")
            .join(brug_device::local::DB_FILE)
            .exists()
    );
    assert!(!elsewhere.path().join(".local/share/brug").exists());
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_out_home_opens_with_the_administrators_code_from_the_command_line() {
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
    let data_dir = data.path().to_owned();
    tokio::task::spawn_blocking(move || {
        ok(&cli(&h, "482193", &["enrol", &url], None));
        let device = serde_json::from_str::<serde_json::Value>(&ok(&cli(
            &h,
            "482193",
            &["--json", "status"],
            None,
        )))
        .unwrap()["device"]["device_id"]
            .as_str()
            .unwrap()
            .to_owned();
        for i in 0..brug_device::keys::MAX_WRONG_PINS {
            let _ = brug_device::keys::unlock_with(&h, "000000", i64::from(i) * 7_200_000, &None);
        }
        let locked = cli(&h, "482193", &["status"], None);
        assert_eq!(locked.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&locked.stderr).contains("ontgrendelcode"));
        let code = Command::new(brug_tests::bin("brug-sync-server"))
            .arg("--data")
            .arg(&data_dir)
            .args(["--json", "device", "unlock-code", &device])
            .env("BRUG_LOG", "warn")
            .output()
            .unwrap();
        let code = serde_json::from_slice::<serde_json::Value>(&code.stdout).unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned();
        ok(&cli(&h, "246813", &["unlock", "--code", &code], None));
        ok(&cli(&h, "246813", &["status"], None));
    })
    .await
    .unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn attach_prints_the_hash_case_show_lists_it_and_attachment_get_fetches_it_elsewhere() {
    let data = tempfile::tempdir().unwrap();
    let server = brug_sync_server::spawn(Config::new(data.path()), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = |user: &str| {
        let db = db::Db::open(data.path()).unwrap();
        enrolment::new_enrolment(&db.lock(), data.path(), &TlsSource::SelfSigned, user)
            .unwrap()
            .0
            .to_url()
    };
    {
        let db = db::Db::open(data.path()).unwrap();
        db::add_user(&db.lock(), "Ann Peeters", Role::BridgeWorker, "harelbeke").unwrap();
        db::add_user(
            &db.lock(),
            "Sofie Vandenberghe",
            Role::Supervisor,
            "harelbeke",
        )
        .unwrap();
    }
    let (ann_url, sofie_url) = (url("ann.peeters"), url("sofie.vandenberghe"));
    let h1 = tempfile::tempdir().unwrap();
    let h2 = tempfile::tempdir().unwrap();
    let (a, s) = (h1.path().to_owned(), h2.path().to_owned());
    tokio::task::spawn_blocking(move || {
        ok(&cli(&a, "482193", &["enrol", &ann_url], None));
        ok(&cli(&s, "913752", &["enrol", &sofie_url], None));
        let household = ok(&cli(&a, "482193", &["schema", "household"], None));
        let case = ok(&cli(
            &a,
            "482193",
            &["case", "new", "--json", "-"],
            Some(&household),
        ));
        let advice = ok(&cli(&a, "482193", &["schema", "renovation"], None));
        let record = ok(&cli(
            &a,
            "482193",
            &["record", "add", &case, "renovation", "--json", "-"],
            Some(&advice),
        ));
        // A PNG from a scanner app: stored as a JPEG.
        let png = a.join("scan.png");
        image::RgbImage::from_fn(800, 600, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        })
        .save(&png)
        .unwrap();
        let hash = ok(&cli(
            &a,
            "482193",
            &[
                "attach",
                &case,
                &record,
                png.to_str().unwrap(),
                "--caption",
                "dak achterkant",
            ],
            None,
        ));
        assert_eq!(hash.len(), 64, "{hash}");
        let shown: serde_json::Value = serde_json::from_str(&ok(&cli(
            &a,
            "482193",
            &["--json", "case", "show", &case],
            None,
        )))
        .unwrap();
        let listed = &shown["attachments"][0];
        assert_eq!(listed["hash"], hash.as_str());
        assert_eq!(listed["record"], format!("renovations.{record}"));
        assert_eq!(listed["on"], record.as_str());
        assert_eq!(listed["caption"], "dak achterkant");
        assert_eq!(listed["type"], "image/jpeg");
        assert_eq!(listed["here"], true);

        let mine = a.join("mine.jpg");
        ok(&cli(
            &a,
            "482193",
            &["attachment", "get", &hash, "--out", mine.to_str().unwrap()],
            None,
        ));
        ok(&cli(&a, "482193", &["sync"], None));
        ok(&cli(&s, "913752", &["sync"], None));
        // The supervisor's home has the thumbnail; the photo comes when asked.
        let theirs = s.join("theirs.jpg");
        ok(&cli(
            &s,
            "913752",
            &[
                "attachment",
                "get",
                &hash,
                "--out",
                theirs.to_str().unwrap(),
            ],
            None,
        ));
        assert_eq!(
            std::fs::read(&theirs).unwrap(),
            std::fs::read(&mine).unwrap()
        );
        let thumb = s.join("thumb.jpg");
        ok(&cli(
            &s,
            "913752",
            &[
                "attachment",
                "get",
                &hash,
                "--thumb",
                "--out",
                thumb.to_str().unwrap(),
            ],
            None,
        ));
        let small = image::open(&thumb).unwrap();
        assert_eq!((small.width(), small.height()), (320, 240));

        // A hash no case of hers references: exit 1, a clear message, no file.
        let nothing = s.join("nothing.jpg");
        let made_up = "ab".repeat(32);
        let out = cli(
            &s,
            "913752",
            &[
                "attachment",
                "get",
                &made_up,
                "--out",
                nothing.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("geen bijlage"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!nothing.exists());
        // Not a photo: refused, nothing attached.
        let text = a.join("notes.txt");
        std::fs::write(&text, "geen foto").unwrap();
        let out = cli(
            &a,
            "482193",
            &["attach", &case, &record, text.to_str().unwrap()],
            None,
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("alleen foto's"));
    })
    .await
    .unwrap();
    drop(server);
}
