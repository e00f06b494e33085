//! The storage backends side by side (issue 18's bench rows, first form):
//! the rush hour and the cold restore driven through real sync sessions
//! (`brug_sync_server::session`, the policy, the commit) in this process,
//! on one SQLite server, one PostgreSQL server and two PostgreSQL servers
//! sharing a database. No TLS, no WebSocket, no network between device and
//! server: what differs between the rows is the storage alone. The
//! PostgreSQL cluster is a throwaway one with `fsync` on (as SQLite's
//! commits are durable).

use std::sync::Arc;
use std::time::{Duration, Instant};

use automerge::sync::State;
use brug_shared::casedoc::{CaseDoc, Editor};
use brug_shared::caseload::{self, Rng, Shape};
use brug_shared::model::Role;
use brug_shared::protocol::{Certificates, PROTOCOL_VERSION, ServerFrame};
use brug_sync_server::db::{Db, User};
use brug_sync_server::docs::DocCache;
use brug_sync_server::metrics::Metrics;
use brug_sync_server::session::{Outcome, Session};
use brug_sync_server::storage::SessionStore;
use uuid::Uuid;

/// One server: its store and its cache of cases.
#[derive(Clone)]
pub struct Server {
    /// Where it stores.
    pub store: Arc<dyn SessionStore>,
    /// Its cached cases.
    pub cache: Arc<DocCache>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("backend", &self.store.backend())
            .finish()
    }
}

impl Server {
    /// A server on `store` with a cache of 128 cases (the default).
    pub fn new(store: Arc<dyn SessionStore>) -> Self {
        Self {
            store,
            cache: Arc::new(DocCache::new(128)),
        }
    }
}

/// A device registered on the stores (they share one database, or `stores`
/// is one SQLite server): its token hash and editor.
fn register(store: &dyn SessionStore, user: &User, n: usize) -> ([u8; 32], Editor) {
    let id = Uuid::now_v7();
    let mut token = [0u8; 32];
    token[..16].copy_from_slice(id.as_bytes());
    store
        .add_device(
            &id.to_string(),
            &user.id,
            &format!("toestel {n}"),
            &token,
            &[],
        )
        .expect("device registered");
    (
        token,
        Editor {
            user: user.id.clone(),
            device: id,
        },
    )
}

fn session(server: &Server, token: &[u8], held: Option<&[Uuid]>) -> (Session, Vec<Uuid>) {
    let (device, user) = server
        .store
        .device_by_token(token)
        .expect("token lookup")
        .expect("a registered device");
    let mut s = Session::new(1, device, user, 60_000);
    let out = s
        .hello(
            server.store.as_ref(),
            &Metrics::default(),
            PROTOCOL_VERSION,
            0,
            held,
            Certificates::default(),
        )
        .expect("hello");
    let changed = match out {
        Outcome::Reply(ServerFrame::Welcome { changed, .. }) => changed,
        other => panic!("hello answered {other:?}"),
    };
    (s, changed)
}

/// One case synced until neither side has more to say, as the device's
/// sync loop does it: from `state`, through session `s` on `store`; or cut
/// off after `cut` messages (the server died, the network dropped): what
/// the server committed stays, and `state` is where the device was.
pub fn exchange(
    store: &dyn SessionStore,
    cache: &DocCache,
    s: &mut Session,
    doc: &mut CaseDoc,
    state: &mut State,
    create: bool,
    cut: Option<usize>,
) {
    let metrics = Metrics::default();
    for n in 0..50 {
        if cut.is_some_and(|c| n >= c) {
            return;
        }
        let msg = doc.generate_sync_message(state);
        let (out, _) = s
            .sync(
                store,
                cache,
                &metrics,
                doc.id(),
                create,
                doc.generation(),
                msg.as_deref(),
            )
            .expect("sync");
        let reply = match out {
            Outcome::Reply(ServerFrame::Sync { msg, .. }) => msg,
            other => panic!("the server answered {other:?}"),
        };
        if let Some(r) = &reply {
            doc.receive_sync_message(state, r).expect("a valid reply");
        }
        if msg.is_none() && reply.is_none() {
            return;
        }
    }
    panic!("the sync of {} did not settle", doc.id());
}

fn sync_case(server: &Server, s: &mut Session, doc: &mut CaseDoc, create: bool) {
    exchange(
        server.store.as_ref(),
        &server.cache,
        s,
        doc,
        &mut State::new(),
        create,
        None,
    );
}

/// The rush hour: `n` devices at once (a thread each), each bringing one
/// new case of `changes` automerge changes through server `i % servers`.
/// Returns the wall time and each device's time, sorted.
pub fn rush(servers: &[Server], user: &User, n: usize, rng: &mut Rng) -> (Duration, Vec<Duration>) {
    let shape = Shape {
        visits: 2,
        meter_checks: 1,
        readings: 2,
        referrals: 1,
        renovations: 1,
        edits: 1,
    };
    let devices: Vec<([u8; 32], CaseDoc, Server)> = (0..n)
        .map(|i| {
            let server = servers[i % servers.len()].clone();
            let (token, editor) = register(server.store.as_ref(), user, i);
            (token, caseload::case(rng, shape, &editor), server)
        })
        .collect();
    let start = Arc::new(std::sync::Barrier::new(n + 1));
    let handles: Vec<_> = devices
        .into_iter()
        .map(|(token, mut doc, server)| {
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                let t = Instant::now();
                let (mut s, _) = session(&server, &token, Some(&[]));
                sync_case(&server, &mut s, &mut doc, true);
                t.elapsed()
            })
        })
        .collect();
    start.wait();
    let t = Instant::now();
    let mut each: Vec<Duration> = handles
        .into_iter()
        .map(|h| h.join().expect("a device thread"))
        .collect();
    let wall = t.elapsed();
    each.sort();
    (wall, each)
}

/// The cold restore: one new device per server at once, each syncing every
/// case its user may see from nothing. Returns the slowest device's time
/// and how many cases each restored.
pub fn cold_restore(servers: &[Server], user: &User) -> (Duration, usize) {
    let devices: Vec<([u8; 32], Server)> = servers
        .iter()
        .enumerate()
        .map(|(i, server)| {
            (
                register(server.store.as_ref(), user, 100_000 + i).0,
                server.clone(),
            )
        })
        .collect();
    let handles: Vec<_> = devices
        .into_iter()
        .map(|(token, server)| {
            std::thread::spawn(move || {
                let t = Instant::now();
                let (mut s, changed) = session(&server, &token, Some(&[]));
                for id in &changed {
                    let mut doc = CaseDoc::empty(*id);
                    sync_case(&server, &mut s, &mut doc, false);
                }
                (t.elapsed(), changed.len())
            })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    let mut cases = 0;
    for h in handles {
        let (took, n) = h.join().expect("a restoring device");
        slowest = slowest.max(took);
        cases = n;
    }
    (slowest, cases)
}

/// Stores `n` generated cases of `user` through `store` (the way a sync
/// would: merged, in the feed, the creator's access).
pub fn seed(store: &dyn SessionStore, user: &User, n: usize, rng: &mut Rng) {
    let editor = Editor {
        user: user.id.clone(),
        device: Uuid::nil(),
    };
    for _ in 0..n {
        let mut doc = caseload::case(rng, Shape::TYPICAL, &editor);
        store.merge_save(&mut doc, user).expect("seeded");
    }
}

/// A SQLite server database in `dir` with the bench's worker.
pub fn sqlite(dir: &std::path::Path) -> (Db, User) {
    let db = Db::open(dir).expect("database");
    let user =
        brug_sync_server::db::add_user(&db.lock(), "Ann Peeters", Role::BridgeWorker, "harelbeke")
            .expect("user");
    (db, user)
}
