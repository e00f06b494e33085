//! The device key with a real system keystore: `brug-cli` enrolled inside a
//! login session that runs GNOME Keyring (the freedesktop Secret Service on
//! a private session D-Bus), then opened with and without that session.
//!
//! Needs `dbus-run-session`, `gnome-keyring-daemon` and `secret-tool`
//! (`make test` installs them: packages dbus, gnome-keyring,
//! libsecret-tools).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on what they set up

use std::path::Path;
use std::process::{Command, Output};

use brug_sync_server::auth::Role;
use brug_sync_server::{Config, TlsSource, db, enrolment};

const PIN: &str = "482193";

/// Runs `brug-cli --home HOME ARGS` inside a login session whose keyring
/// lives in `session`; `then` is a shell line run after it in the same
/// session (empty: none).
fn in_session(session: &Path, home: &Path, args: &[&str], then: &str) -> Output {
    for tool in [
        "dbus-run-session",
        "dbus-send",
        "gnome-keyring-daemon",
        "secret-tool",
    ] {
        assert!(
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .unwrap()
                .status
                .success(),
            "{tool} ontbreekt / is missing: make deps (dbus, gnome-keyring, libsecret-tools)"
        );
    }
    // The keyring is unlocked with the session's login password, as a
    // desktop login does; it is kept in `session` from one run to the next.
    // The daemon runs in the foreground of this script, and the script
    // waits until it owns the Secret Service's bus name: otherwise the
    // first call would have the bus start a second daemon, one that knows
    // no password and outlives the session.
    let script = r#"
        set -e
        export HOME="$SESSION/home" XDG_DATA_HOME="$SESSION/data" XDG_RUNTIME_DIR="$SESSION/run"
        mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
        chmod 700 "$XDG_RUNTIME_DIR"
        printf 'aanmeldwachtwoord' | gnome-keyring-daemon --unlock --components=secrets --foreground \
            >"$SESSION/keyring.log" 2>&1 &
        keyring=$!
        trap 'kill $keyring 2>/dev/null || true' EXIT
        owner() {
            dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
                org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets | grep -q true
        }
        tries=0
        until owner; do
            kill -0 $keyring || { echo "gnome-keyring-daemon stopped:"; cat "$SESSION/keyring.log"; exit 1; }
            tries=$((tries + 1))
            [ $tries -lt 600 ] || { echo "gnome-keyring-daemon never took the bus name"; exit 1; }
            sleep 0.1
        done
        "$CLI" --home "$BRUG_HOME" "$@"
        if [ -n "$THEN" ]; then sh -c "$THEN"; fi
    "#;
    // Output goes to files and only the session itself is waited for, so a
    // process left behind cannot hold the test; `timeout` ends a session
    // that hangs, and the test then fails with what it printed.
    let out = tempfile::tempdir().unwrap();
    let file = |name: &str| std::fs::File::create(out.path().join(name)).unwrap();
    let status = Command::new("timeout")
        .args([
            "-k",
            "5",
            "120",
            "dbus-run-session",
            "--",
            "sh",
            "-c",
            script,
            "brug",
        ])
        .args(args)
        .env("SESSION", session)
        .env("CLI", brug_tests::bin("brug-cli"))
        .env("BRUG_HOME", home)
        .env("BRUG_PIN", PIN)
        .env("THEN", then)
        .env_remove("BRUG_KEYSTORE")
        .stdin(std::process::Stdio::null())
        .stdout(file("stdout"))
        .stderr(file("stderr"))
        .status()
        .unwrap();
    let read = |name: &str| std::fs::read(out.path().join(name)).unwrap();
    assert_ne!(
        status.code(),
        Some(124),
        "the login session hung: {}{}",
        String::from_utf8_lossy(&read("stdout")),
        String::from_utf8_lossy(&read("stderr"))
    );
    Output {
        status,
        stdout: read("stdout"),
        stderr: read("stderr"),
    }
}

/// `brug-cli` outside any login session: no session bus, no keystore.
fn outside(home: &Path, args: &[&str]) -> Output {
    Command::new("timeout")
        .args(["-k", "5", "60"])
        .arg(brug_tests::bin("brug-cli"))
        .arg("--home")
        .arg(home)
        .args(args)
        .env("BRUG_PIN", PIN)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_enrolled_in_a_keyring_session_opens_only_with_that_keyring() {
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
    let session = tempfile::tempdir().unwrap();
    let device = tempfile::tempdir().unwrap();
    let (s, h) = (session.path().to_owned(), device.path().to_owned());
    tokio::task::spawn_blocking(move || {
        let enrolled = in_session(&s, &h, &["enrol", &url, "--name", "laptop Ann"], "");
        assert!(enrolled.status.success(), "{}", said(&enrolled));
        // The key file names the keystore; the keyring holds the item.
        let key: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(h.join("key.json")).unwrap()).unwrap();
        assert_eq!(key["keystore"], "Secret Service", "{key}");
        let status = in_session(
            &s,
            &h,
            &["status"],
            "secret-tool search --all application brug",
        );
        let text = said(&status);
        assert!(status.status.success(), "{text}");
        assert!(text.contains("pincode en Secret Service"), "{text}");
        assert!(
            text.contains("application = brug"),
            "the keyring holds it: {text}"
        );

        // Outside the session (the key file and the right PIN copied off
        // the laptop): refused, and no attempt spent.
        for _ in 0..3 {
            let refused = outside(&h, &["status"]);
            assert!(!refused.status.success());
            assert!(said(&refused).contains("sleutelbos"), "{}", said(&refused));
        }
        let key: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(h.join("key.json")).unwrap()).unwrap();
        assert_eq!(key["failures"], 0, "{key}");
        assert_eq!(key["tries"].as_array().unwrap().len(), 10);

        // A new login (the same keyring on disk): opens again.
        let again = in_session(&s, &h, &["status"], "");
        assert!(again.status.success(), "{}", said(&again));

        // The item deleted from the keyring: the device does not open, and
        // says why.
        let cleared = in_session(&s, &h, &["status"], "secret-tool clear application brug");
        assert!(cleared.status.success(), "{}", said(&cleared));
        let gone = in_session(&s, &h, &["status"], "");
        assert!(!gone.status.success());
        assert!(said(&gone).contains("niet meer"), "{}", said(&gone));
    })
    .await
    .unwrap();
    drop(server);
}
