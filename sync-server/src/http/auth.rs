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
use crate::db::{self, Device, User};

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
        .filter(|t| !t.is_empty() && t.len() <= 128)
        .ok_or(AuthRejection::Unauthorized)?;
    let hash = sha256(token.as_bytes());
    let found = state
        .db
        .run(move |conn| db::device_by_token(conn, &hash))
        .await
        .map_err(|_| AuthRejection::Internal)?;
    let Some((device, user)) = found else {
        state.metrics.error("unauthorized");
        return Err(AuthRejection::Unauthorized);
    };
    Ok((device, user))
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
