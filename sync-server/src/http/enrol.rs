//! `POST /v1/enrol`: trade a one-time code for a device token.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use brug_shared::protocol::enrol::{EnrolRequest, EnrolResponse, UnlockRequest, UnlockResponse};
use uuid::Uuid;

use super::AppState;
use super::auth::error_response;
use crate::auth;
use crate::db::{self, CodeRefusal};
use crate::metrics::Metrics;
use crate::storage::NewDevice;

/// Codes cannot be guessed: a few attempts (enrolment and unlock codes
/// together) per address and minute; beyond, `429` without trying the code.
fn over_quota(
    state: &AppState,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
) -> Option<Response> {
    let ip = peer.map(|p| p.0.0.ip())?;
    if state.guards.enrol_allowed(ip) {
        return None;
    }
    state.metrics.error("rate-limited");
    Some(error_response(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Te veel pogingen met een code van dit adres; probeer over een minuut opnieuw.",
    ))
}

pub(super) async fn enrol(
    State(state): State<AppState>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    body: Result<Json<EnrolRequest>, JsonRejection>,
) -> Response {
    if let Some(refused) = over_quota(&state, peer) {
        return refused;
    }
    let Ok(Json(req)) = body else {
        state.metrics.error("bad-request");
        return error_response(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Het verzoek is onvolledig: stuur een code en een toestelnaam.",
        );
    };
    // Shown to admins in a terminal and in the audit log: no control
    // characters (an escape sequence in a name could rewrite the screen).
    let name = req
        .device_name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .chars()
        .take(80)
        .collect::<String>();
    if name.is_empty() || req.code.len() > 64 {
        state.metrics.error("bad-request");
        return error_response(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Geef het toestel een naam en een geldige code.",
        );
    }
    let hash = auth::code_hash(&req.code);
    let outcome = state
        .backend
        .with(move |store| {
            let device_id = Uuid::now_v7().to_string();
            let (token, token_hash) = auth::new_token();
            let unlock_secret = auth::random_bytes::<32>();
            let device = NewDevice {
                id: &device_id,
                name: &name,
                token_hash: &token_hash,
                unlock_secret: &unlock_secret,
            };
            Ok(store
                .enrol_device(&hash, db::now_ms(), &device)?
                .map(|user| EnrolResponse {
                    device_id: device_id.clone(),
                    token,
                    user: user.id,
                    user_name: user.name,
                    role: user.role.code().into(),
                    team: user.team,
                    unlock_secret: Some(hex::encode(unlock_secret)),
                }))
        })
        .await;
    match outcome {
        Ok(Ok(resp)) => {
            Metrics::add(&state.metrics.enrolments, 1);
            tracing::info!(device = %resp.device_id, user = %resp.user, "device enrolled");
            Json(resp).into_response()
        }
        Ok(Err(refusal)) => {
            state.metrics.error("enrol-refused");
            let (code, message) = match refusal {
                CodeRefusal::Unknown => (
                    "code-unknown",
                    "Deze inschrijvingscode is onbekend. Vraag een nieuwe code.",
                ),
                CodeRefusal::Used => (
                    "code-used",
                    "Deze inschrijvingscode werd al gebruikt. Vraag een nieuwe code.",
                ),
                CodeRefusal::Expired => (
                    "code-expired",
                    "Deze inschrijvingscode is vervallen (15 minuten geldig). Vraag een nieuwe code.",
                ),
            };
            error_response(StatusCode::FORBIDDEN, code, message)
        }
        Err(e) => {
            state.metrics.error("internal");
            tracing::error!(error = %e, "enrolment failed");
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Inschrijven lukte niet door een fout op de server.",
            )
        }
    }
}

/// `POST /v1/device/unlock`: a device locked after too many wrong PINs
/// trades a one-time unlock code for its unlock secret. Rate-limited like
/// enrolment; a wrong, used or expired code, another device's code and a
/// revoked device all get the same refusal.
pub(super) async fn unlock(
    State(state): State<AppState>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    body: Result<Json<UnlockRequest>, JsonRejection>,
) -> Response {
    if let Some(refused) = over_quota(&state, peer) {
        return refused;
    }
    let Ok(Json(req)) = body else {
        state.metrics.error("bad-request");
        return error_response(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Het verzoek is onvolledig: stuur het toestel en de ontgrendelcode.",
        );
    };
    if req.code.len() > 64 || req.device_id.len() > 64 {
        state.metrics.error("bad-request");
        return error_response(StatusCode::BAD_REQUEST, "bad-request", "Ongeldige code.");
    }
    let hash = auth::code_hash(&req.code);
    let device = req.device_id.clone();
    let outcome = state
        .backend
        .with(move |store| store.unlock_device(&device, &hash, db::now_ms()))
        .await;
    match outcome {
        Ok(Some(secret)) => Json(UnlockResponse {
            secret: hex::encode(secret),
        })
        .into_response(),
        Ok(None) => {
            state.metrics.error("unlock-refused");
            error_response(
                StatusCode::FORBIDDEN,
                "unlock-refused",
                "Deze ontgrendelcode geldt niet (meer) voor dit toestel. Vraag een nieuwe code aan de beheerder.",
            )
        }
        Err(e) => {
            state.metrics.error("internal");
            tracing::error!(error = %e, "unlock failed");
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "De server kon het verzoek niet verwerken; probeer later opnieuw.",
            )
        }
    }
}
