//! Enrolment: the `brug://enrol?...` URL a QR code carries, and the
//! request and answer of `POST /v1/enrol`.

use serde::{Deserialize, Serialize};

/// What a device needs to enrol: where the server is, the one-time code,
/// and the SHA-256 fingerprint of the server's certificate to pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolUrl {
    /// Base URL of the server (`https://host:port`).
    pub server: String,
    /// The one-time code (valid 15 minutes).
    pub code: String,
    /// Lower-case hex SHA-256 of the server certificate (DER).
    pub fingerprint: String,
}

/// Why an enrolment URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrolUrlError {
    /// Not a URL at all.
    #[error("dit is geen inschrijvingscode van Brug (verwacht: brug://enrol?...)")]
    NotBrug,
    /// A part is missing or wrong.
    #[error("de inschrijvingscode is onvolledig: {0}")]
    Incomplete(&'static str),
}

impl EnrolUrl {
    /// The URL as put in a QR code.
    pub fn to_url(&self) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("server", &self.server)
            .append_pair("code", &self.code)
            .append_pair("fp", &self.fingerprint)
            .finish();
        format!("brug://enrol?{query}")
    }

    /// Parses a scanned or typed enrolment URL.
    pub fn parse(text: &str) -> Result<Self, EnrolUrlError> {
        let u = url::Url::parse(text.trim()).map_err(|_| EnrolUrlError::NotBrug)?;
        if u.scheme() != "brug" || u.host_str() != Some("enrol") {
            return Err(EnrolUrlError::NotBrug);
        }
        let get = |key: &str| {
            u.query_pairs()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
        };
        let server = get("server").ok_or(EnrolUrlError::Incomplete("server ontbreekt"))?;
        let parsed = url::Url::parse(&server)
            .map_err(|_| EnrolUrlError::Incomplete("server is geen URL"))?;
        if parsed.scheme() != "https" || parsed.host_str().is_none() {
            return Err(EnrolUrlError::Incomplete("server moet https:// zijn"));
        }
        let code = get("code")
            .filter(|c| !c.trim().is_empty())
            .ok_or(EnrolUrlError::Incomplete("code ontbreekt"))?;
        if code.len() > 64 {
            return Err(EnrolUrlError::Incomplete("code is te lang"));
        }
        let fingerprint = get("fp")
            .ok_or(EnrolUrlError::Incomplete("vingerafdruk ontbreekt"))?
            .to_ascii_lowercase();
        if fingerprint.len() != 64 || !fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(EnrolUrlError::Incomplete("vingerafdruk is geen SHA-256"));
        }
        Ok(Self {
            server: server.trim_end_matches('/').to_owned(),
            code: code.trim().to_owned(),
            fingerprint,
        })
    }
}

/// The body of `POST /v1/enrol`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrolRequest {
    /// The one-time code.
    pub code: String,
    /// A name for the device ("tablet Ann").
    pub device_name: String,
}

/// The answer to a successful enrolment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrolResponse {
    /// The new device id.
    pub device_id: String,
    /// The device token (256 random bits, hex); shown once, never stored
    /// by the server.
    pub token: String,
    /// The user id.
    pub user: String,
    /// The user's display name.
    pub user_name: String,
    /// The user's role.
    pub role: String,
    /// The user's team.
    pub team: String,
    /// The device's unlock secret (256 random bits, hex): the device keeps
    /// its key wrapped by it beside the PIN's wrapping and forgets it; the
    /// server hands it back once per unlock code after too many wrong PINs.
    #[serde(default)]
    pub unlock_secret: Option<String>,
}

/// `POST /v1/device/unlock`: a device locked after too many wrong PINs
/// asks for its unlock secret with a one-time code an administrator made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnlockRequest {
    /// The device id.
    pub device_id: String,
    /// The one-time unlock code.
    pub code: String,
}

/// The answer to [`UnlockRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnlockResponse {
    /// The device's unlock secret (hex).
    pub secret: String,
}

/// An error answer of any HTTP route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable code.
    pub code: String,
    /// What happened and what to do, in Dutch.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrol_urls_round_trip_and_bad_ones_are_refused() {
        let e = EnrolUrl {
            server: "https://127.0.0.1:8443".into(),
            code: "ABCD-EFGH".into(),
            fingerprint: "ab".repeat(32),
        };
        assert_eq!(EnrolUrl::parse(&e.to_url()).unwrap(), e);
        assert_eq!(
            EnrolUrl::parse("https://example.org"),
            Err(EnrolUrlError::NotBrug)
        );
        assert!(EnrolUrl::parse("brug://enrol?server=http://x&code=a&fp=00").is_err());
        assert!(EnrolUrl::parse(&e.to_url().replace("fp=abab", "fp=zzab")).is_err());
        assert!(EnrolUrl::parse("brug://enrol?code=a").is_err());
        assert!(EnrolUrl::parse("").is_err());
    }
}
