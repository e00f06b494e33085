//! brug-sync-server: merges case documents when devices reconnect, decides
//! who may see which case, enrols devices by QR code, and keeps everything
//! durable in SQLite.
//!
//! # Layout
//!
//! - [`run`]: serve on a given listener until a shutdown future resolves
//!   (what tests start on port 0).
//! - [`tls`]: the certificate (self-signed on first start) and its
//!   fingerprint.
//! - [`http`]: routes: health, metrics, enrolment, the sync WebSocket, the
//!   team and quarantine routes, the device extractor.
//! - [`session`]: one device's sync session, frame by frame.
//! - [`admin`]: administrative actions (users, revocation, assignment),
//!   audited the same way whoever asks.
//! - [`backup`]: consistent backups while serving, and restore.
//! - [`auth`]: roles, tokens, enrolment codes (the request extractor that
//!   uses them is `http::auth`).
//! - [`db`]: server tables over `brug_shared::store`.
//! - [`docs`]: one shared in-memory replica per case document.
//! - [`files`]: the data folder and keys, private from the start.
//! - [`hub`]: live push between sessions and admin events from the CLI.
//! - [`enrolment`]: enrolment codes: made, as URL text, terminal QR and PNG.
//! - [`quarantine`]: unsynced work of a device that lost a case, for the
//!   supervisor to merge or discard.
//! - [`demo`]: demo team, users and cases.
//! - [`metrics`]: Prometheus counters.
//! - [`settings`]: defaults, the TOML file, environment and flags, layered.

pub mod admin;
pub mod auth;
pub mod backup;
mod conn_limit;
pub mod db;
pub mod demo;
pub mod docs;
pub mod enrolment;
pub mod erase;
pub mod files;
pub mod http;
pub mod hub;
pub mod import;
pub mod metrics;
pub mod quarantine;
pub mod reports;
pub mod retention;
pub mod session;
pub mod settings;
pub mod storage;
pub mod subject;
pub mod tls;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

pub use tls::TlsSource;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the database, the certificate and the public URL live.
    pub data_dir: PathBuf,
    /// Where the certificate comes from.
    pub tls: TlsSource,
    /// The URL devices reach the server at (put in enrolment codes);
    /// defaults to `https://<listen address>`.
    pub public_url: Option<String>,
    /// How often to look for revocations and assignments made by the CLI.
    pub admin_poll: Duration,
    /// About how many case documents to keep in memory.
    pub cached_docs: usize,
    /// How far in the future a change's time may lie before the change is
    /// refused (devices' clock skew); default a week.
    pub max_future_ms: i64,
    /// What one client may make the server hold: connections and time.
    pub limits: Limits,
    /// Who may read `/metrics`: operators only.
    pub metrics_access: MetricsAccess,
    /// The multi-year plan reports count (built in, or the department's
    /// file: `[reports] plan`, `serve --plan`).
    pub plan: Arc<brug_shared::report::Plan>,
    /// The limits on attachments the server holds uploads to: the file,
    /// the case and the device's day.
    pub attachments: brug_shared::model::AttachmentLimits,
    /// How long each kind of personal data is kept (`[retention]`;
    /// docs/gdpr.md); `None`: the daily retention job does not run (tests).
    pub retention: Option<retention::Retention>,
    /// Where the cases, people and feed live: `None` is the SQLite database
    /// in the data folder; `Some` a PostgreSQL database other servers may
    /// share (`[database]`, `serve --database`).
    pub database: Option<Database>,
}

/// A PostgreSQL database to serve from.
#[derive(Clone)]
pub struct Database {
    /// `postgres://user@host:port/db` (may hold a password: never logged).
    pub url: String,
    /// The CA certificate (PEM) the database's TLS certificate is checked
    /// against.
    pub ca: Option<PathBuf>,
    /// Most connections this server opens to it (default 16).
    pub max_connections: usize,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may hold a password.
        f.debug_struct("Database")
            .field("ca", &self.ca)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

/// Connections a server opens to PostgreSQL unless told otherwise.
pub const DEFAULT_DATABASE_CONNECTIONS: usize = 16;

/// Who may read `/metrics` (counts of sessions, errors, bytes: not for
/// strangers). `/healthz` stays open to all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsAccess {
    /// A request from this machine itself (a Prometheus agent beside the
    /// server, an operator's curl) may read it (default true).
    pub loopback: bool,
    /// A request with `Authorization: Bearer TOKEN` may read it from
    /// anywhere (default none; `serve --metrics-token-file`).
    pub token: Option<String>,
}

impl Default for MetricsAccess {
    fn default() -> Self {
        Self {
            loopback: true,
            token: None,
        }
    }
}

/// What a client may make the server hold, in one place. Defaults are for a
/// municipality's server: tens of devices, a few per worker, bad networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Open connections in all (default 1,024): beyond it a new connection
    /// is closed at once, so file descriptors never run out.
    pub max_connections: usize,
    /// Open connections from one address (default 128; a NAT of a whole
    /// office shares one).
    pub max_per_address: usize,
    /// Time for the TLS handshake (default 10 s).
    pub handshake: Duration,
    /// Time to send a request's headers (default 10 s): a client sending a
    /// byte now and then is cut off.
    pub header_read: Duration,
    /// Time for one frame to go out to a device (default 30 s): a device
    /// that stops reading is cut off, and what waits for it is let go.
    pub send: Duration,
    /// Time for a request from its headers to its answer, its body
    /// included (default 30 s): a body sent a byte now and then is cut off
    /// with 408. (A sync session is a request until it is upgraded.)
    pub request: Duration,
    /// Time a sync session has to say hello (default 10 s).
    pub hello: Duration,
    /// Time a sync session may stay silent (default 120 s; at least 30:
    /// a device waiting for live changes pings every 15 s).
    pub idle: Duration,
    /// Enrolment attempts per address and `rate_window` (default 10; a
    /// supervisor enrolling a team's tablets in one go stays well under
    /// it): beyond, `429` without trying the code, so codes cannot be
    /// guessed.
    pub enrol_attempts: u32,
    /// Requests with a missing or unknown device token per address and
    /// `rate_window` (default 30): beyond, `429` and nothing logged, so a
    /// flood neither guesses tokens nor floods the log.
    pub bad_token_attempts: u32,
    /// The window of those two quotas (default a minute); the allowance
    /// comes back evenly over it.
    pub rate_window: Duration,
    /// Whether the rate limits also hold for this machine itself (default
    /// false: the server terminates TLS, so loopback is a local program,
    /// which could read the database anyway; tests set it).
    pub rate_limit_loopback: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1_024,
            max_per_address: 128,
            handshake: Duration::from_secs(10),
            header_read: Duration::from_secs(10),
            send: Duration::from_secs(brug_shared::protocol::limits::SEND_TIMEOUT_SECS),
            request: Duration::from_secs(30),
            hello: Duration::from_secs(brug_shared::protocol::limits::HELLO_TIMEOUT_SECS),
            idle: Duration::from_secs(brug_shared::protocol::limits::IDLE_TIMEOUT_SECS),
            enrol_attempts: 10,
            bad_token_attempts: 30,
            rate_window: Duration::from_secs(60),
            rate_limit_loopback: false,
        }
    }
}

impl Config {
    /// Defaults for a data directory: self-signed TLS, admin poll 300 ms,
    /// about 128 case documents kept in memory (a typical case takes about
    /// a quarter MiB in memory, some fifty times its stored size).
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            tls: TlsSource::SelfSigned,
            public_url: None,
            admin_poll: Duration::from_millis(300),
            cached_docs: 128,
            max_future_ms: brug_shared::policy::DEFAULT_MAX_FUTURE_MS,
            limits: Limits::default(),
            metrics_access: MetricsAccess::default(),
            plan: Arc::new(brug_shared::report::Plan::builtin()),
            attachments: brug_shared::model::AttachmentLimits::default(),
            retention: Some(retention::Retention::default()),
            database: None,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The database could not be opened.
    #[error("{0}")]
    Db(#[from] db::DbError),
    /// TLS could not be set up.
    #[error("{0}")]
    Tls(#[from] tls::TlsError),
    /// The listener failed.
    #[error("netwerk: {0}")]
    Io(#[from] std::io::Error),
}

/// The file in the data directory that holds the public URL, so admin
/// commands can put it in enrolment codes.
pub const PUBLIC_URL_FILE: &str = "public-url";

/// The file in the data folder holding the fingerprint of the certificate
/// the server last served: enrolment codes made by the CLI carry that one,
/// also when a real certificate is configured.
pub const SERVED_FINGERPRINT_FILE: &str = "served-fingerprint";

/// A server running in the background (tests, benchmarks, embedding).
#[derive(Debug)]
pub struct RunningServer {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    /// Its certificate's fingerprint, for pinning.
    pub fingerprint: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), ServerError>>>,
    slots: Arc<conn_limit::Slots>,
    backend: storage::Backend,
}

impl RunningServer {
    /// The SQLite database as the server uses it (its own connections and
    /// locks; for tests that need the server's writer busy); `None` on
    /// PostgreSQL.
    pub fn db(&self) -> Option<&db::Db> {
        self.backend.sqlite()
    }

    /// The store the server runs on.
    pub fn backend(&self) -> &storage::Backend {
        &self.backend
    }

    /// The base URL (`https://127.0.0.1:port`).
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Connections open right now (for tests of the caps).
    pub fn open_connections(&self) -> usize {
        self.slots.open()
    }

    /// Stops accepting, closes sessions and waits until the server is done.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task
                .await
                .map_err(|e| ServerError::Io(std::io::Error::other(e.to_string())))?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Connections the kernel completes and queues before the server accepts
/// them. The default (128, as the standard library's) overflowed when 200
/// devices connected in the same instant: the kernel then drops a SYN and
/// the device waits a whole second for its retry. The kernel caps it at
/// `net.core.somaxconn`.
pub const LISTEN_BACKLOG: u32 = 4096;

/// Listens on `addr` with [`LISTEN_BACKLOG`].
pub fn listen_on(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As the standard library does: a restarted server gets its port back
    // while old connections linger in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Starts the server on `listen` (port 0 picks a free port) in a background
/// task and returns once it is ready to enrol devices and accept syncs.
pub async fn spawn(
    config: Config,
    listen: std::net::SocketAddr,
) -> Result<RunningServer, ServerError> {
    let listener = listen_on(listen)?;
    let addr = listener.local_addr()?;
    // Make (or read) the certificate first, so the fingerprint is the one served.
    let fingerprint = tls::current_fingerprint(&config.data_dir, &config.tls)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready) = tokio::sync::oneshot::channel::<storage::Backend>();
    let slots = Arc::new(conn_limit::Slots::new(
        config.limits.max_connections,
        config.limits.max_per_address,
    ));
    let task = tokio::spawn(run_with(
        config,
        listener,
        async {
            let _ = stopped.await;
        },
        Arc::clone(&slots),
        Some(ready_tx),
    ));
    // Ready once its database and TLS are: told, not polled for.
    let Ok(backend) = ready.await else {
        return match task.await {
            Ok(Err(e)) => Err(e),
            _ => Err(ServerError::Io(std::io::Error::other(
                "the server stopped while starting",
            ))),
        };
    };
    Ok(RunningServer {
        addr,
        fingerprint,
        stop: Some(stop),
        task: Some(task),
        slots,
        backend,
    })
}

/// Serves HTTPS on `listener` until `shutdown` resolves, then stops
/// accepting, closes sync sessions and waits (up to 10 s) for open
/// connections to finish.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServerError> {
    let slots = Arc::new(conn_limit::Slots::new(
        config.limits.max_connections,
        config.limits.max_per_address,
    ));
    run_with(config, listener, shutdown, slots, None).await
}

async fn run_with(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
    slots: Arc<conn_limit::Slots>,
    ready: Option<tokio::sync::oneshot::Sender<storage::Backend>>,
) -> Result<(), ServerError> {
    let backend = open_backend(&config).await?;
    let addr = listener.local_addr()?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("https://{addr}"));
    let host = url::Url::parse(&public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned));
    let tls = tls::load(&config.data_dir, &config.tls, host.as_slice())?;
    std::fs::write(
        config.data_dir.join(SERVED_FINGERPRINT_FILE),
        &tls.fingerprint,
    )?;
    std::fs::write(config.data_dir.join(PUBLIC_URL_FILE), &public_url)?;
    tracing::info!(%addr, %public_url, fingerprint = %tls.fingerprint, "brug-sync-server listening");

    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let hub = Arc::new(hub::Hub::new());
    let state = http::AppState {
        backend: backend.clone(),
        hub: Arc::clone(&hub),
        metrics: Arc::new(metrics::Metrics::default()),
        docs: Arc::new(docs::DocCache::new(config.cached_docs)),
        shutdown: shutdown_rx.clone(),
        data_dir: config.data_dir.clone(),
        tls: config.tls.clone(),
        served_fingerprint: tls.fingerprint.clone(),
        send_timeout: config.limits.send,
        request_timeout: config.limits.request,
        hello_timeout: config.limits.hello,
        idle_timeout: config.limits.idle,
        max_future_ms: config.max_future_ms,
        metrics_access: Arc::new(config.metrics_access.clone()),
        guards: Arc::new(http::Guards::new(&config.limits)),
        plan: Arc::clone(&config.plan),
        attachments: Arc::new(config.attachments.clone()),
    };
    tokio::spawn(collect_attachments(
        backend.clone(),
        i64::from(config.attachments.grace_days) * 86_400_000,
        shutdown_rx.clone(),
    ));
    // Revocations, assignments and erasures from the command line (or
    // another server) reach this server's live sessions.
    tokio::spawn(hub::watch_admin_events(
        backend.clone(),
        Arc::clone(&hub),
        Arc::clone(&state.docs),
        config.admin_poll,
        shutdown_rx.clone(),
    ));
    // What other servers on the same PostgreSQL store reaches this
    // server's devices live; stopped with the server.
    let relay_stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    tokio::spawn(reports::project_in_background(
        backend.clone(),
        Duration::from_secs(5),
        Arc::clone(&state.metrics),
        shutdown_rx.clone(),
    ));
    if let Some(terms) = config.retention {
        tokio::spawn(retention::daily(
            backend.clone(),
            terms,
            shutdown_rx.clone(),
        ));
    }
    match &backend {
        storage::Backend::Sqlite(_) => {}
        storage::Backend::Postgres(pg) => {
            let pg = pg.clone();
            let listener = tokio::task::spawn_blocking(move || pg.listen_to_others())
                .await
                .map_err(|e| ServerError::Io(std::io::Error::other(e.to_string())))??;
            storage::postgres::relay_to_hub(listener, Arc::clone(&hub), Arc::clone(&relay_stop))?;
            tracing::info!("serving from PostgreSQL, shared with any other server on it");
        }
    }
    let metrics = Arc::clone(&state.metrics);
    let router = http::router(state);
    let acceptor = TlsAcceptor::from(tls.config);
    let limits = config.limits;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    if let Some(ready) = ready {
        let _ = ready.send(backend.clone());
    }

    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (tcp, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                // Small frames both ways: sent at once, not held back
                // (Nagle) until the device's delayed acknowledgement.
                if let Err(e) = tcp.set_nodelay(true) {
                    tracing::debug!(error = %e, "TCP_NODELAY not set");
                }
                // Over the caps: closed at once, before any work (or, when
                // only the total is reached, the oldest connection that has
                // not made a request yet gives its place up).
                let Some((slot, evicted)) = slots.take(peer.ip()) else {
                    metrics.error("connection-limit");
                    drop(tcp);
                    continue;
                };
                let slot = Arc::new(slot);
                let acceptor = acceptor.clone();
                // The peer's address, for the routes that ask who is calling;
                // its first request proves the connection.
                let proof = Arc::clone(&slot);
                let service = TowerToHyperService::new(
                    router
                        .clone()
                        .layer(axum::middleware::from_fn(move |req: axum::extract::Request, next: axum::middleware::Next| {
                            proof.prove();
                            next.run(req)
                        }))
                        .layer(axum::Extension(axum::extract::ConnectInfo(peer))),
                );
                let watcher = graceful.watcher();
                let metrics = Arc::clone(&metrics);
                tokio::spawn(async move {
                    let _slot = slot;
                    let serve = async move {
                        let tls = match tokio::time::timeout(limits.handshake, acceptor.accept(tcp)).await {
                            Ok(Ok(stream)) => stream,
                            Ok(Err(e)) => {
                                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                                return;
                            }
                            Err(_) => return,
                        };
                        let mut builder = auto::Builder::new(TokioExecutor::new());
                        builder
                            .http1()
                            .timer(TokioTimer::new())
                            .header_read_timeout(limits.header_read);
                        let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), service).into_owned();
                        if let Err(e) = watcher.watch(conn).await {
                            tracing::debug!(%peer, error = %e, "connection ended with an error");
                        }
                    };
                    tokio::select! {
                        () = serve => {}
                        () = evicted.wait() => {
                            metrics.error("connection-evicted");
                            tracing::debug!(%peer, "an unproven connection gave its place to a newcomer");
                        }
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    tracing::info!("shutting down");
    let _ = shutdown_tx.send(true);
    relay_stop.store(true, std::sync::atomic::Ordering::Relaxed);
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not close within 10 s");
    }
    Ok(())
}

/// The store `config` names: SQLite in the data folder, or PostgreSQL
/// (connected and migrated on a blocking thread: its client blocks).
async fn open_backend(config: &Config) -> Result<storage::Backend, ServerError> {
    match &config.database {
        None => Ok(storage::Backend::Sqlite(db::Db::open(&config.data_dir)?)),
        Some(d) => {
            let d = d.clone();
            let pg = tokio::task::spawn_blocking(move || {
                storage::postgres::PgDb::connect_with_ca(&d.url, d.max_connections, d.ca.as_deref())
            })
            .await
            .map_err(|e| ServerError::Io(std::io::Error::other(e.to_string())))??;
            Ok(storage::Backend::Postgres(pg))
        }
    }
}

/// Once an hour: removes the attachments no case has referenced for the
/// grace period, and uploads left unfinished as long.
async fn collect_attachments(
    backend: storage::Backend,
    grace_ms: i64,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        match backend
            .with(move |store| store.collect_orphans(db::now_ms(), grace_ms))
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                removed = n,
                "attachments no case references any more removed"
            ),
            Err(e) => tracing::warn!(error = %e, "attachment clean-up failed; tried again later"),
        }
        // An erasure whose write-ahead log readers kept from emptying is
        // emptied here (erase::truncate_wal).
        if let Some(db) = backend.sqlite()
            && let Ok(false) = db.run(|conn| erase::truncate_wal(conn)).await
        {
            tracing::debug!("write-ahead log still in use; emptied at the next pass");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests may panic on what they set up

    /// 300 devices connecting in the same instant, before the server
    /// accepts any of them: with the standard backlog (128) the kernel
    /// drops the SYNs past it and those devices wait for a retry (a second,
    /// then more); with [`super::LISTEN_BACKLOG`] every connection is made.
    #[tokio::test]
    async fn many_devices_connecting_at_once_are_all_queued_for_the_server() {
        let listener = super::listen_on("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        // The kernel caps every backlog at net.core.somaxconn (4096 on
        // Debian 12); on a machine set lower, that many is what can queue.
        let cap: usize = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(4096);
        let connects = (0..cap.min(300)).map(|_| tokio::net::TcpStream::connect(addr));
        // Made by the kernel alone: nothing here waits for the server. The
        // bound only turns a dropped SYN into a failure instead of a hang.
        let made = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            futures_util::future::join_all(connects),
        )
        .await
        .expect("every connection is queued, none waits for a SYN retry");
        assert!(made.iter().all(Result::is_ok));
        drop(listener);
    }
}
