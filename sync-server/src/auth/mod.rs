//! Users' roles, device tokens, enrolment codes and the request extractor
//! that authenticates a device, so no handler can forget it.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use brug_shared::protocol::enrol::ErrorBody;
use ring::rand::{SecureRandom, SystemRandom};

use crate::db::{self, Device, User};
use crate::http::AppState;

pub use brug_shared::model::Role;

/// How long an enrolment code is valid.
pub const ENROL_CODE_MINUTES: i64 = 15;

/// Fills a buffer from the system's secure random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The system RNG only fails when the OS has no entropy source at all;
    // then nothing secure can be made and zeros would be worse than a stop.
    if SystemRandom::new().fill(&mut buf).is_err() {
        tracing::error!("system random source failed");
        std::process::abort();
    }
    buf
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

/// A new device token (256 random bits, hex) and the hash the server keeps.
pub fn new_token() -> (String, Vec<u8>) {
    let token = hex::encode(random_bytes::<32>());
    let hash = sha256(token.as_bytes());
    (token, hash)
}

/// Letters and digits that cannot be mistaken for one another.
const CODE_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A new one-time enrolment code (100 random bits, as 5 groups of 4
/// characters) and the hash the server keeps.
pub fn new_enrol_code() -> (String, Vec<u8>) {
    let raw = random_bytes::<20>();
    let chars: Vec<char> = raw
        .iter()
        .map(|b| CODE_ALPHABET[(b & 31) as usize] as char)
        .collect();
    let code = chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-");
    let hash = code_hash(&code);
    (code, hash)
}

/// The hash of a code as typed: case and dashes do not matter.
pub fn code_hash(code: &str) -> Vec<u8> {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    sha256(normal.as_bytes())
}

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
