//! The request extractors that authenticate a device from its token, so no
//! handler can forget it, and the error answers every route gives.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use brug_shared::protocol::enrol::ErrorBody;

use super::AppState;
use crate::auth::sha256;
use crate::db::{Device, User};

/// An error answer with a stable code and a Dutch message.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(ErrorBody {
            code: code.into(),
            message: message.into(),
        }),
    )
        .into_response()
}

/// The answer to a request body that does not parse or is incomplete.
pub(super) fn bad_request(state: &AppState) -> Response {
    state.metrics.error("bad-request");
    error_response(
        StatusCode::BAD_REQUEST,
        "bad-request",
        "Het verzoek is onvolledig of ongeldig.",
    )
}

/// A request made by an enrolled, not revoked device.
#[derive(Debug, Clone)]
pub struct DeviceAuth {
    /// The device.
    pub device: Device,
    /// Its user.
    pub user: User,
}

/// Why a request was not authenticated.
#[derive(Debug)]
pub enum AuthRejection {
    /// No token, or an unknown one.
    Unauthorized,
    /// The device was revoked: it must wipe.
    Revoked,
    /// Too many missing or unknown tokens from this address.
    TooMany,
    /// The database failed.
    Internal,
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        use brug_shared::protocol::ErrorCode;
        match self {
            Self::Unauthorized => error_response(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                ErrorCode::Unauthorized.message_nl(),
            ),
            Self::Revoked => error_response(
                StatusCode::FORBIDDEN,
                "revoked",
                ErrorCode::Revoked.message_nl(),
            ),
            Self::TooMany => error_response(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Te veel mislukte aanmeldingen van dit adres; probeer over een minuut opnieuw.",
            ),
            Self::Internal => error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                ErrorCode::Internal.message_nl(),
            ),
        }
    }
}

/// A request made by an enrolled device, revoked or not: only the hand-over
/// of unsynced work into the quarantine takes it (a revoked device pushes
/// what it can before it wipes itself; nothing it sends reaches a case
/// without a supervisor's decision).
#[derive(Debug, Clone)]
pub struct HandOverAuth {
    /// The device.
    pub device: Device,
    /// Its user.
    pub user: User,
}

impl FromRequestParts<AppState> for HandOverAuth {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (device, user) = device_for_token(parts, state).await?;
        Ok(Self { device, user })
    }
}

async fn device_for_token(
    parts: &Parts,
    state: &AppState,
) -> Result<(Device, User), AuthRejection> {
    let token = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 128);
    let Some(token) = token else {
        return Err(refused(parts, state));
    };
    let hash = sha256(token.as_bytes());
    let found = state
        .backend
        .with(move |store| store.device_by_token(&hash))
        .await
        .map_err(|_| AuthRejection::Internal)?;
    let Some((device, user)) = found else {
        return Err(refused(parts, state));
    };
    Ok((device, user))
}

/// A missing or unknown token: `401`, or `429` once the address is over
/// its quota of failures (counted per address, `Limits::bad_token_attempts`).
fn refused(parts: &Parts, state: &AppState) -> AuthRejection {
    match super::peer_ip(parts) {
        Some(ip) if !state.guards.bad_token_allowed(ip) => {
            state.metrics.error("rate-limited");
            AuthRejection::TooMany
        }
        _ => {
            state.metrics.error("unauthorized");
            AuthRejection::Unauthorized
        }
    }
}

impl FromRequestParts<AppState> for DeviceAuth {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (device, user) = device_for_token(parts, state).await?;
        if device.revoked_at.is_some() {
            state.metrics.error("revoked");
            return Err(AuthRejection::Revoked);
        }
        Ok(Self { device, user })
    }
}
