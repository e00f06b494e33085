//! Roles, device tokens and enrolment codes: the domain of who is who,
//! without HTTP (the request extractor that uses it is in `http::auth`).

use ring::rand::{SecureRandom, SystemRandom};

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
