//! Routes: `/healthz`, `/metrics`, `POST /v1/enrol`, `/v1/sync` (WebSocket),
//! the supervisor's `POST /v1/team/{members,assign,enrol-code}`, and
//! attachments (`/v1/blobs/...`).
//! Every route has a request body limit.

pub mod auth;

mod blobs;
mod enrol;
mod quarantine;
mod report;
mod sync;
mod team;
mod teamdocs;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use brug_shared::model::{Activity, Service};
use brug_shared::protocol::limits::MAX_REQUEST_BODY_BYTES;

use crate::docs::DocCache;
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::storage::Backend;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The store: SQLite in the data folder, or PostgreSQL.
    pub backend: Backend,
    /// Live push and the session registry.
    pub hub: Arc<Hub>,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Shared in-memory replicas of case documents.
    pub docs: Arc<DocCache>,
    /// Tells sessions the server is shutting down.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// The data directory (public URL, certificate) for enrolment codes.
    pub data_dir: std::path::PathBuf,
    /// Where the certificate comes from (its fingerprint goes in codes).
    pub tls: crate::tls::TlsSource,
    /// The fingerprint of the certificate this process serves.
    pub served_fingerprint: String,
    /// Time for a frame to go out to a device (`Limits::send`).
    pub send_timeout: std::time::Duration,
    /// [`crate::Limits::request`].
    pub request_timeout: std::time::Duration,
    /// [`crate::Limits::hello`].
    pub hello_timeout: std::time::Duration,
    /// [`crate::Limits::idle`].
    pub idle_timeout: std::time::Duration,
    /// How far in the future a change's time may lie (clock skew).
    pub max_future_ms: i64,
    /// Who may read `/metrics`.
    pub metrics_access: std::sync::Arc<crate::MetricsAccess>,
    /// Rate limits per address.
    pub guards: std::sync::Arc<Guards>,
    /// The multi-year plan reports count.
    pub plan: std::sync::Arc<brug_shared::report::Plan>,
    /// The limits on attachments.
    pub attachments: std::sync::Arc<brug_shared::model::AttachmentLimits>,
}

/// Rate limits per client address (governor's keyed GCRA limiters).
#[derive(Debug)]
pub struct Guards {
    enrol: governor::DefaultKeyedRateLimiter<std::net::IpAddr>,
    bad_tokens: governor::DefaultKeyedRateLimiter<std::net::IpAddr>,
    loopback: bool,
}

impl Guards {
    /// Limiters with the quotas of `limits`.
    pub fn new(limits: &crate::Limits) -> Self {
        // `n` at once, then one more every window / n.
        let quota = |n: u32| {
            let burst = std::num::NonZeroU32::new(n.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
            let every = (limits.rate_window / burst.get()).max(std::time::Duration::from_millis(1));
            governor::Quota::with_period(every)
                .unwrap_or_else(|| governor::Quota::per_second(burst))
                .allow_burst(burst)
        };
        Self {
            enrol: governor::RateLimiter::keyed(quota(limits.enrol_attempts)),
            bad_tokens: governor::RateLimiter::keyed(quota(limits.bad_token_attempts)),
            loopback: limits.rate_limit_loopback,
        }
    }

    fn exempt(&self, ip: std::net::IpAddr) -> bool {
        !self.loopback && ip.is_loopback()
    }

    /// Whether one more enrolment attempt from `ip` is allowed now.
    pub fn enrol_allowed(&self, ip: std::net::IpAddr) -> bool {
        self.exempt(ip) || self.enrol.check_key(&ip).is_ok()
    }

    /// Counts a failed token from `ip`; false when it is over its quota.
    pub fn bad_token_allowed(&self, ip: std::net::IpAddr) -> bool {
        self.exempt(ip) || self.bad_tokens.check_key(&ip).is_ok()
    }
}

/// The calling address, when known.
pub(crate) fn peer_ip(parts: &axum::http::request::Parts) -> Option<std::net::IpAddr> {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The router with every route.
pub fn router(state: AppState) -> Router {
    let request_timeout = state.request_timeout;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/enrol", post(enrol::enrol))
        .route("/v1/device/unlock", post(enrol::unlock))
        .route("/v1/sync", get(sync::upgrade))
        .route("/v1/team/members", post(team::members))
        .route("/v1/team/assign", post(team::assign))
        .route("/v1/team/erase", post(team::erase))
        .route("/v1/quarantine", post(quarantine::hand_over))
        .route("/v1/team/quarantine", post(quarantine::list))
        .route("/v1/team/quarantine/decide", post(quarantine::decide))
        .route("/v1/team/enrol-code", post(team::enrol_code))
        .route("/v1/team/catalogue", post(teamdocs::sync::<Service>))
        .route("/v1/team/activities", post(teamdocs::sync::<Activity>))
        .route("/v1/report", get(report::json))
        .route("/v1/report/xlsx", get(report::xlsx))
        .route("/v1/blobs/status", post(blobs::status))
        .route(
            "/v1/blobs/{hash}",
            get(blobs::get_range)
                .put(blobs::put_chunk)
                .layer(DefaultBodyLimit::max(
                    brug_shared::protocol::blobs::MAX_CHUNK_BYTES + 1024,
                )),
        )
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY_BYTES))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .with_state(state)
}

async fn healthz() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Whether a request may read `/metrics`: from this machine (when allowed)
/// or with the operators' token, compared in constant time.
fn may_read_metrics(
    access: &crate::MetricsAccess,
    peer: Option<std::net::SocketAddr>,
    headers: &axum::http::HeaderMap,
) -> bool {
    if access.loopback && peer.is_some_and(|p| p.ip().is_loopback()) {
        return true;
    }
    let Some(token) = access.token.as_deref().filter(|t| !t.is_empty()) else {
        return false;
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Compared as digests, as device tokens are: equal length, and timing
    // says nothing about the token.
    crate::auth::sha256(given.as_bytes()) == crate::auth::sha256(token.as_bytes())
}

async fn metrics(
    State(state): State<AppState>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    if !may_read_metrics(&state.metrics_access, peer.map(|p| p.0.0), &headers) {
        state.metrics.error("forbidden");
        return auth::error_response(
            axum::http::StatusCode::FORBIDDEN,
            "forbidden",
            "De metrieken zijn alleen voor beheerders: vraag ze op deze machine op of met het metrics-token.",
        );
    }
    let documents = state
        .backend
        .with(|store| store.case_count())
        .await
        .unwrap_or(-1);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.metrics.render(documents),
    )
        .into_response()
}
