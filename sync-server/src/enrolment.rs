//! Enrolment codes for devices: the `brug://enrol?...` URL as text, as a QR
//! code for the terminal and as a PNG.

use std::path::Path;

use brug_shared::protocol::enrol::EnrolUrl;
use qrcode::render::unicode::Dense1x2;
use qrcode::{Color, QrCode};
use rusqlite::Connection;

use crate::auth::{self, ENROL_CODE_MINUTES};
use crate::db::{self, DbError};
use crate::storage::ServerStore;
use crate::tls::{self, TlsSource};

/// Why an enrolment code could not be made or shown.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    /// The database refused.
    #[error("{0}")]
    Db(#[from] DbError),
    /// The certificate is not there or not readable.
    #[error("{0}")]
    Tls(#[from] tls::TlsError),
    /// The URL does not fit in a QR code.
    #[error("de code past niet in een QR-code: {0}")]
    Qr(String),
    /// The PNG could not be written.
    #[error("PNG-bestand {path}: {error}")]
    Png {
        /// The file.
        path: String,
        /// What failed.
        error: String,
    },
}

/// A fresh one-time enrolment for `user`, made by an administrator on the
/// server itself: the URL and when it expires (ms).
pub fn new_enrolment(
    conn: &Connection,
    data_dir: &Path,
    source: &TlsSource,
    user: &str,
) -> Result<(EnrolUrl, i64), QrError> {
    new_enrolment_for(conn, data_dir, source, user, None)
}

/// Who asked for an enrolment code through the team routes.
#[derive(Debug, Clone, Copy)]
pub struct AskedBy<'a> {
    /// The supervisor's user id.
    pub user: &'a str,
    /// The device she asked from.
    pub device: &'a str,
}

/// A fresh one-time enrolment for `user`; the audit log says who asked
/// (a supervisor from her device, or the administrator when `None`) and
/// for whom.
pub fn new_enrolment_for(
    conn: &Connection,
    data_dir: &Path,
    source: &TlsSource,
    user: &str,
    asked_by: Option<AskedBy<'_>>,
) -> Result<(EnrolUrl, i64), QrError> {
    let user = db::require_user(conn, user)?;
    let (code, hash) = auth::new_enrol_code();
    let expires = db::now_ms() + ENROL_CODE_MINUTES * 60 * 1000;
    db::add_enrol_code(conn, &hash, &user.id, expires)?;
    let (by, device, detail) = asked(asked_by, &user.id);
    db::audit(conn, Some(by), device, "enrol-code", &[], &detail)?;
    Ok((enrol_url(data_dir, source, code)?, expires))
}

/// [`new_enrolment_for`] on either backend (a server on PostgreSQL): the
/// code kept in `store`, the URL and fingerprint from this server's data
/// folder.
pub fn new_enrolment_on(
    store: &dyn ServerStore,
    data_dir: &Path,
    source: &TlsSource,
    user: &str,
    asked_by: Option<AskedBy<'_>>,
) -> Result<(EnrolUrl, i64), QrError> {
    let user = store.user(user)?.ok_or_else(|| {
        DbError::NotFound(format!("gebruiker '{user}' bestaat niet (zie: user list)"))
    })?;
    let (code, hash) = auth::new_enrol_code();
    let expires = db::now_ms() + ENROL_CODE_MINUTES * 60 * 1000;
    store.add_enrol_code(&hash, &user.id, expires)?;
    let (by, device, detail) = asked(asked_by, &user.id);
    store.audit(Some(by), device, "enrol-code", &[], &detail)?;
    Ok((enrol_url(data_dir, source, code)?, expires))
}

/// Who asked for a code for `user` (a supervisor from her device, or the
/// administrator) and the audit log's words for it.
fn asked<'a>(asked_by: Option<AskedBy<'a>>, user: &str) -> (&'a str, Option<&'a str>, String) {
    let (by, device) = match asked_by {
        Some(a) => (a.user, Some(a.device)),
        None => ("admin", None),
    };
    (
        by,
        device,
        format!("one-time enrolment code for {user} made by {by}"),
    )
}

/// The enrolment URL for `code`: this server's public URL and the
/// fingerprint of the certificate it serves.
fn enrol_url(data_dir: &Path, source: &TlsSource, code: String) -> Result<EnrolUrl, QrError> {
    let server = std::fs::read_to_string(data_dir.join(crate::PUBLIC_URL_FILE))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "https://127.0.0.1:8443".to_owned());
    // The certificate actually served wins over the one the caller assumes
    // (the CLI does not know the server's --tls-cert).
    let fingerprint = match (
        source,
        std::fs::read_to_string(data_dir.join(crate::SERVED_FINGERPRINT_FILE)),
    ) {
        (TlsSource::SelfSigned, Ok(served)) if !served.trim().is_empty() => {
            served.trim().to_owned()
        }
        _ => tls::current_fingerprint(data_dir, source)?,
    };
    Ok(EnrolUrl {
        server,
        code,
        fingerprint,
    })
}

/// The QR code of `text` drawn with half-block characters for a terminal.
pub fn terminal(text: &str) -> Result<String, QrError> {
    let code = QrCode::new(text.as_bytes()).map_err(|e| QrError::Qr(e.to_string()))?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// Writes the QR code of `text` as a PNG (8 pixels per module, with the
/// standard 4-module quiet zone).
pub fn png(text: &str, path: &Path) -> Result<(), QrError> {
    const SCALE: usize = 8;
    const QUIET: usize = 4;
    let code = QrCode::new(text.as_bytes()).map_err(|e| QrError::Qr(e.to_string()))?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
        for y in my * SCALE..(my + 1) * SCALE {
            pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
        }
    }
    let err = |e: &dyn std::fmt::Display| QrError::Png {
        path: path.display().to_string(),
        error: e.to_string(),
    };
    let file = std::fs::File::create(path).map_err(|e| err(&e))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), side as u32, side as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| err(&e))?;
    writer.write_image_data(&pixels).map_err(|e| err(&e))?;
    writer.finish().map_err(|e| err(&e))?;
    Ok(())
}
