//! The wire-level harness: a real server on port 0 with real TLS and its
//! own data directory, and devices enrolled through the real enrolment
//! route whose documents live in memory (`brug_device::sync::MemoryStore`),
//! for the server's own tests: access, authority, limits, faults, crashes.
//! [`crate::Stack`] is the same server with whole device cores.
//!
//! [`TestServer::start_postgres`] starts the same server on a throwaway
//! PostgreSQL cluster instead of SQLite; the helpers (users, enrolment,
//! assignment, revocation, the stored case) then work on that database.

use std::net::SocketAddr;
use std::path::PathBuf;

use brug_device::net::{self, Endpoint, SyncConnection};
use brug_device::sync::{MemoryStore, Report, SyncError, run_session};
use brug_shared::casedoc::{CaseDoc, Editor};
use brug_shared::model::examples;
use brug_shared::protocol::enrol::EnrolUrl;
use brug_shared::protocol::{ClientFrame, PROTOCOL_VERSION, ServerFrame};
use brug_sync_server::auth::Role;
use brug_sync_server::db::{AdminEvent, Db};
use brug_sync_server::storage::postgres::PgDb;
use brug_sync_server::storage::{Assignment, ServerStore};
use brug_sync_server::{Config, TlsSource, admin, enrolment};
use uuid::Uuid;

#[allow(missing_debug_implementations)] // holds a running server
pub struct TestServer {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    pub fingerprint: String,
    running: Option<brug_sync_server::RunningServer>,
    /// On PostgreSQL: the cluster and the test's own handle on it.
    postgres: Option<(PgDb, crate::pg::PgCluster)>,
}

impl TestServer {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir).await
    }

    /// Starts (again) on the data in `dir`.
    pub async fn start_in(dir: tempfile::TempDir) -> Self {
        Self::start_with(dir, |_| {}).await
    }

    /// Starts on the data in `dir` with the configuration changed by `tune`.
    pub async fn start_with(dir: tempfile::TempDir, tune: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::new(dir.path());
        config.admin_poll = std::time::Duration::from_millis(50);
        tune(&mut config);
        let running = brug_sync_server::spawn(config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        Self {
            addr: running.addr,
            fingerprint: running.fingerprint.clone(),
            dir,
            running: Some(running),
            postgres: None,
        }
    }

    /// The same server on a fresh PostgreSQL cluster; `None` (after saying
    /// so loudly) when PostgreSQL is not installed.
    pub async fn start_postgres(test: &str) -> Option<Self> {
        Self::start_postgres_with(test, |_| {}).await
    }

    /// [`TestServer::start_postgres`] with the configuration changed by
    /// `tune`.
    pub async fn start_postgres_with(test: &str, tune: impl FnOnce(&mut Config)) -> Option<Self> {
        let cluster = crate::pg::cluster_or_skip(test)?;
        let (handle, database) = crate::pg::server_database(&cluster.url("postgres"));
        let mut server = Self::start_with(tempfile::tempdir().unwrap(), |c| {
            c.database = Some(database);
            tune(c);
        })
        .await;
        server.postgres = Some((handle, cluster));
        Some(server)
    }

    /// Runs `f` with the store the server runs on. PostgreSQL's client
    /// blocks and must not run inside the test's runtime: there it runs on
    /// a thread of its own.
    pub fn on_store<T: Send>(&self, f: impl FnOnce(&dyn ServerStore) -> T + Send) -> T {
        match &self.postgres {
            Some((pg, _)) => std::thread::scope(|s| s.spawn(|| f(pg)).join().unwrap()),
            None => f(&self.db()),
        }
    }

    /// Stops the server and waits until it has, keeping the data.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(r) = self.running.take() {
            r.shutdown().await.unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    /// Connections the server holds open right now.
    pub fn open_connections(&self) -> usize {
        self.running.as_ref().map_or(0, |r| r.open_connections())
    }

    pub fn db(&self) -> Db {
        Db::open(self.dir.path()).unwrap()
    }

    /// The running server's own database handle (its writer and readers).
    pub fn served_db(&self) -> Db {
        self.running.as_ref().unwrap().db().unwrap().clone()
    }

    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn endpoint(&self) -> Endpoint {
        Endpoint::new(&self.url(), &self.fingerprint).unwrap()
    }

    pub fn add_user(&self, name: &str, role: Role) -> String {
        self.add_user_in(name, role, "harelbeke")
    }

    /// A user of another team.
    pub fn add_user_in(&self, name: &str, role: Role, team: &str) -> String {
        if self.postgres.is_some() {
            return self.on_store(|s| s.add_user(name, role, team).unwrap().id);
        }
        let db = self.db();
        let conn = db.lock();
        admin::add_user(&conn, name, role, team, admin::Actor::Admin)
            .unwrap()
            .id
    }

    pub fn enrol_url(&self, user: &str) -> EnrolUrl {
        let dir = self.dir.path();
        self.on_store(|s| {
            enrolment::new_enrolment_on(s, dir, &TlsSource::SelfSigned, user, None)
                .unwrap()
                .0
        })
    }

    /// Enrols a new device for `user` through `POST /v1/enrol`.
    pub async fn device(&self, user: &str) -> TestDevice {
        let url = self.enrol_url(user);
        let resp = net::enrol(&url, "testtoestel").await.unwrap();
        TestDevice {
            endpoint: self.endpoint(),
            token: resp.token,
            device_id: resp.device_id,
            user: user.to_owned(),
            store: MemoryStore::new(),
        }
    }

    /// Revokes a device the way the CLI does.
    pub fn revoke(&self, device: &str) {
        if self.postgres.is_some() {
            self.on_store(|s| {
                s.revoke_device(device).unwrap();
                s.push_admin_event(&AdminEvent::Revoke {
                    device: device.to_owned(),
                })
                .unwrap();
            });
            return;
        }
        let db = self.db();
        let conn = db.lock();
        admin::revoke_device(&conn, device, admin::Actor::Admin).unwrap();
    }

    /// Assigns or unassigns a case the way the CLI does.
    pub fn assign(&self, case: Uuid, user: &str, on: bool) {
        self.on_store(|s| {
            s.set_assignment(&Assignment {
                case,
                user,
                assign: on,
                note: "by admin",
            })
            .unwrap()
        });
    }

    /// The case as stored on the server.
    pub fn stored(&self, id: Uuid) -> Option<CaseDoc> {
        self.on_store(|s| s.load(id).unwrap())
    }
}

#[allow(missing_debug_implementations)] // holds a connection's store
pub struct TestDevice {
    pub endpoint: Endpoint,
    pub token: String,
    pub device_id: String,
    pub user: String,
    pub store: MemoryStore,
}

impl TestDevice {
    pub fn editor(&self) -> Editor {
        Editor {
            user: self.user.clone(),
            device: Uuid::parse_str(&self.device_id).unwrap(),
        }
    }

    /// Creates a case offline.
    pub fn create_case(&mut self) -> Uuid {
        let mut doc =
            CaseDoc::create(Uuid::now_v7(), &examples::household(), &self.editor()).unwrap();
        self.store.put(&mut doc, true);
        doc.id()
    }

    /// Edits a held case offline.
    pub fn edit(&mut self, id: Uuid, f: impl FnOnce(&mut CaseDoc)) {
        let mut doc = self.store.get(id).expect("case held");
        doc.set_editor(&self.editor());
        f(&mut doc);
        self.store.put(&mut doc, false);
    }

    pub async fn connect(&self) -> Result<SyncConnection, net::NetError> {
        SyncConnection::open(&self.endpoint, &self.token).await
    }

    /// One complete sync session.
    pub async fn sync(&mut self) -> Result<Report, SyncError> {
        let mut conn = self.connect().await?;
        let report = run_session(&mut conn, &mut self.store, &mut |_| {}).await;
        conn.close().await;
        report
    }
}

/// Says hello listing what the device holds (as a device starting afresh
/// does); returns the new cursor, the changed and the purge lists.
pub async fn hello(
    conn: &mut SyncConnection,
    cursor: u64,
    held: Vec<Uuid>,
) -> (u64, Vec<Uuid>, Vec<Uuid>) {
    hello_with(conn, cursor, Some(held)).await
}

/// Says hello with or without the list of held cases.
pub async fn hello_with(
    conn: &mut SyncConnection,
    cursor: u64,
    held: Option<Vec<Uuid>>,
) -> (u64, Vec<Uuid>, Vec<Uuid>) {
    conn.send(&ClientFrame::Hello {
        v: PROTOCOL_VERSION,
        cursor,
        held,
    })
    .await
    .unwrap();
    match conn.recv().await.unwrap() {
        ServerFrame::Welcome {
            cursor,
            changed,
            purge,
            ..
        } => (cursor, changed, purge),
        other => panic!("expected welcome, got {other:?}"),
    }
}

pub fn data_dir(server: &TestServer) -> PathBuf {
    server.dir.path().to_owned()
}

/// Declares the whole-system test `$body` (an async fn taking the started
/// [`TestServer`]) twice, as `$body::sqlite` and `$body::postgres` (on a
/// throwaway PostgreSQL cluster; skipped loudly when PostgreSQL is not
/// installed).
#[macro_export]
macro_rules! on_both_backends {
    ($body:ident) => {
        mod $body {
            #[tokio::test]
            async fn sqlite() {
                super::$body($crate::wire::TestServer::start().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(server) = $crate::wire::TestServer::start_postgres(concat!(
                    stringify!($body),
                    " on PostgreSQL"
                ))
                .await
                {
                    super::$body(server).await;
                }
            }
        }
    };
}
