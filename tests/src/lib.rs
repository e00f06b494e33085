//! brug-tests: whole-system scenarios with a real sync server on a real
//! port and several real device cores, each in its own home directory.
//!
//! [`Stack`] starts the server; [`Stack::enrol`] enrols a device through
//! the real enrolment route and opens its encrypted store. [`wire`] is the
//! same server with devices at the protocol level (documents in memory),
//! for the server's own tests. [`bin`] finds the `brug-sync-server` and
//! `brug-cli` binaries for the command-line tests.
//!
//! Every test that starts a server and devices lives in this crate, so
//! `brug-device` and `brug-sync-server` do not depend on each other, not
//! even for tests.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test harness may panic on its own setup

/// The generator of realistic caseloads (in `brug_shared`, beside the demo
/// that uses it too).
pub use brug_shared::caseload;
pub mod backends;
pub mod pg;
pub mod truth;
pub mod wire;

use std::path::PathBuf;

use brug_device::Device;
use brug_sync_server::auth::Role;
use brug_sync_server::db::{AdminEvent, Db};
use brug_sync_server::storage::postgres::PgDb;
use brug_sync_server::storage::{Assignment, ServerStore};
use brug_sync_server::{Config, RunningServer, TlsSource, admin, enrolment};
use uuid::Uuid;

/// A binary of the workspace (`brug-sync-server`, `brug-cli`), beside
/// this test's own executable in the target folder. `make test` builds the
/// binaries before the tests; a missing one is a clear failure.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("a test runs from target/<profile>/deps");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} ontbreekt; bouw eerst de binaire bestanden / is missing; build the binaries first: cargo build --workspace --bins",
        path.display()
    );
    path
}

/// The PIN every test device uses.
pub const PIN: &str = "482193";

/// A running server with its data directory.
#[derive(Debug)]
pub struct Stack {
    /// The server.
    pub server: RunningServer,
    /// Its data directory.
    pub data: tempfile::TempDir,
    /// On PostgreSQL: the test's own handle on the server's database, and
    /// the throwaway cluster (stopped when the stack goes).
    pub postgres: Option<(PgDb, pg::PgCluster)>,
}

/// An enrolled device and the home directory that holds it.
#[derive(Debug)]
pub struct TestDevice {
    /// The unlocked device core.
    pub device: Device,
    /// Its home directory.
    pub home: tempfile::TempDir,
}

impl TestDevice {
    /// The home directory's path.
    pub fn path(&self) -> PathBuf {
        self.home.path().to_owned()
    }
}

/// The demo team on one server: a bridge worker, a housing adviser and a
/// supervisor, each with an enrolled device.
#[derive(Debug)]
pub struct Team {
    /// The bridge worker's user id.
    pub ann: String,
    /// The housing adviser's user id.
    pub bert: String,
    /// The supervisor's user id.
    pub sofie: String,
    /// The bridge worker's device.
    pub worker: TestDevice,
    /// The housing adviser's device.
    pub adviser: TestDevice,
    /// The supervisor's device.
    pub supervisor: TestDevice,
}

impl Stack {
    /// Adds the three demo users and enrols a device for each.
    pub async fn team(&self) -> Team {
        let ann = self.user("Ann Peeters", Role::BridgeWorker);
        let bert = self.user("Bert Claeys", Role::HousingAdviser);
        let sofie = self.user("Sofie Vandenberghe", Role::Supervisor);
        let worker = self.enrol(&ann).await;
        let adviser = self.enrol(&bert).await;
        let supervisor = self.enrol(&sofie).await;
        Team {
            ann,
            bert,
            sofie,
            worker,
            adviser,
            supervisor,
        }
    }

    /// Starts a server on a free port with fresh data.
    pub async fn start() -> Self {
        let data = tempfile::tempdir().unwrap();
        let mut config = Config::new(data.path());
        config.admin_poll = std::time::Duration::from_millis(50);
        // Retention runs when a test says so, with the clock it gives.
        config.retention = None;
        let server = brug_sync_server::spawn(config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        Self {
            server,
            data,
            postgres: None,
        }
    }

    /// The same on a fresh PostgreSQL cluster; `None` (after saying so
    /// loudly) when PostgreSQL is not installed.
    pub async fn start_postgres(test: &str) -> Option<Self> {
        let cluster = pg::cluster_or_skip(test)?;
        let (handle, database) = pg::server_database(&cluster.url("postgres"));
        let data = tempfile::tempdir().unwrap();
        let mut config = Config::new(data.path());
        config.admin_poll = std::time::Duration::from_millis(50);
        config.retention = None;
        config.database = Some(database);
        let server = brug_sync_server::spawn(config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        Some(Self {
            server,
            data,
            postgres: Some((handle, cluster)),
        })
    }

    /// Runs `f` with the store the server runs on (PostgreSQL's blocking
    /// client on a thread of its own, never inside the test's runtime).
    pub fn on_store<T: Send>(&self, f: impl FnOnce(&dyn ServerStore) -> T + Send) -> T {
        match &self.postgres {
            Some((pg, _)) => std::thread::scope(|s| s.spawn(|| f(pg)).join().unwrap()),
            None => f(&self.db()),
        }
    }

    /// A count (`SELECT count(*) …`, in SQL both databases read) on the
    /// server's database.
    pub fn count(&self, sql: &str) -> i64 {
        match &self.postgres {
            Some((pg, _)) => std::thread::scope(|s| {
                s.spawn(|| pg.conn().unwrap().query_one(sql, &[]).unwrap().get(0))
                    .join()
                    .unwrap()
            }),
            None => self.db().reader().query_row(sql, [], |r| r.get(0)).unwrap(),
        }
    }

    /// Rows of text columns (a query both databases read).
    pub fn texts(&self, sql: &str) -> Vec<Vec<String>> {
        match &self.postgres {
            Some((pg, _)) => std::thread::scope(|s| {
                s.spawn(|| {
                    pg.conn()
                        .unwrap()
                        .query(sql, &[])
                        .unwrap()
                        .iter()
                        .map(|r| (0..r.len()).map(|i| r.get::<_, String>(i)).collect())
                        .collect()
                })
                .join()
                .unwrap()
            }),
            None => {
                let db = self.db();
                let conn = db.reader();
                let mut stmt = conn.prepare(sql).unwrap();
                let n = stmt.column_count();
                stmt.query_map([], |r| (0..n).map(|i| r.get::<_, String>(i)).collect())
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap()
            }
        }
    }

    /// The server database, as the admin CLI opens it (SQLite only: on
    /// PostgreSQL use [`Stack::on_store`]).
    pub fn db(&self) -> Db {
        assert!(
            self.postgres.is_none(),
            "this stack runs on PostgreSQL: use on_store"
        );
        Db::open(self.data.path()).unwrap()
    }

    /// Adds a user to team "harelbeke"; returns the user id.
    pub fn user(&self, name: &str, role: Role) -> String {
        self.user_in(name, role, "harelbeke")
    }

    /// Adds a user to `team`; returns the user id.
    pub fn user_in(&self, name: &str, role: Role, team: &str) -> String {
        if self.postgres.is_some() {
            return self.on_store(|s| s.add_user(name, role, team).unwrap().id);
        }
        admin::add_user(&self.db().lock(), name, role, team, admin::Actor::Admin)
            .unwrap()
            .id
    }

    /// A fresh enrolment URL for `user`.
    pub fn enrol_url(&self, user: &str) -> String {
        let dir = self.data.path();
        self.on_store(|s| {
            enrolment::new_enrolment_on(s, dir, &TlsSource::SelfSigned, user, None)
                .unwrap()
                .0
                .to_url()
        })
    }

    /// Enrols a new device for `user` in a new home.
    pub async fn enrol(&self, user: &str) -> TestDevice {
        let home = tempfile::tempdir().unwrap();
        let device = Device::enrol(home.path(), &self.enrol_url(user), PIN, "testtoestel")
            .await
            .unwrap();
        TestDevice { device, home }
    }

    /// Assigns a case to a user, as `case assign` does.
    pub fn assign(&self, case: Uuid, user: &str) {
        self.set_assignment(case, user, true);
    }

    /// Takes a case away from a user, as `case unassign` does.
    pub fn unassign(&self, case: Uuid, user: &str) {
        self.set_assignment(case, user, false);
    }

    fn set_assignment(&self, case: Uuid, user: &str, assign: bool) {
        let note = admin::Actor::Admin.note();
        self.on_store(|s| {
            s.set_assignment(&Assignment {
                case,
                user,
                assign,
                note: &note,
            })
            .unwrap()
        });
    }

    /// Revokes a device, as `device revoke` does.
    pub fn revoke(&self, device: Uuid) {
        let device = device.to_string();
        if self.postgres.is_some() {
            self.on_store(|s| {
                s.revoke_device(&device).unwrap();
                s.push_admin_event(&AdminEvent::Revoke {
                    device: device.clone(),
                })
                .unwrap();
            });
            return;
        }
        admin::revoke_device(&self.db().lock(), &device, admin::Actor::Admin).unwrap();
    }
}

/// Declares the whole-device test `$body` (an async fn taking the started
/// [`Stack`]) twice, as `$body::sqlite` and `$body::postgres` (the server
/// on a throwaway PostgreSQL cluster; skipped loudly when PostgreSQL is
/// not installed).
#[macro_export]
macro_rules! on_both_stacks {
    ($body:ident) => {
        mod $body {
            #[tokio::test]
            async fn sqlite() {
                super::$body($crate::Stack::start().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(stack) =
                    $crate::Stack::start_postgres(concat!(stringify!($body), " on PostgreSQL"))
                        .await
                {
                    super::$body(stack).await;
                }
            }
        }
    };
}
