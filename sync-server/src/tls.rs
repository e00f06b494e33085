//! The server certificate: a configured one, or a self-signed one made on
//! first start and kept in the data directory. Devices pin its SHA-256
//! fingerprint, which the enrolment QR code carries.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Where the certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// Self-signed, made on first start in `<data>/tls/`.
    SelfSigned,
    /// A certificate chain and key in PEM files.
    Files {
        /// Certificate chain (PEM).
        cert: PathBuf,
        /// Private key (PEM).
        key: PathBuf,
    },
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or written.
    #[error("certificaatbestand {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        error: std::io::Error,
    },
    /// A PEM file that holds no usable certificate or key.
    #[error("certificaatbestand {0} bevat geen bruikbaar certificaat of sleutel")]
    Pem(PathBuf),
    /// Making the self-signed certificate failed.
    #[error("kon geen certificaat maken: {0}")]
    Generate(String),
    /// rustls refused the certificate or key.
    #[error("TLS-configuratie: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The server's TLS setup.
#[derive(Debug, Clone)]
pub struct ServerTls {
    /// The rustls configuration to accept connections with.
    pub config: Arc<rustls::ServerConfig>,
    /// Lower-case hex SHA-256 of the leaf certificate (DER).
    pub fingerprint: String,
}

/// The hex SHA-256 fingerprint of a DER certificate.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(crate::auth::sha256(der))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TlsError + '_ {
    move |error| TlsError::Io {
        path: path.to_owned(),
        error,
    }
}

/// The certificate and key files for `source`, making a self-signed pair in
/// `data_dir/tls` when none exists yet. `names` are extra host names or
/// addresses to put in a new certificate.
pub fn ensure_files(
    data_dir: &Path,
    source: &TlsSource,
    names: &[String],
) -> Result<(PathBuf, PathBuf), TlsError> {
    match source {
        TlsSource::Files { cert, key } => Ok((cert.clone(), key.clone())),
        TlsSource::SelfSigned => {
            let dir = data_dir.join("tls");
            let cert = dir.join("cert.pem");
            let key = dir.join("key.pem");
            if !cert.exists() || !key.exists() {
                crate::files::private_dir(&dir).map_err(io(&dir))?;
                let (cert_pem, key_pem) = self_signed(names)?;
                write_private(&key, &key_pem)?;
                std::fs::write(&cert, cert_pem).map_err(io(&cert))?;
                tracing::info!(path = %cert.display(), "made a self-signed certificate");
            }
            Ok((cert, key))
        }
    }
}

/// A new self-signed certificate and key (PEM) for localhost, 127.0.0.1
/// and `names`.
fn self_signed(names: &[String]) -> Result<(Vec<u8>, Vec<u8>), TlsError> {
    let mut all = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    all.extend(names.iter().cloned());
    all.sort();
    all.dedup();
    let made =
        rcgen::generate_simple_self_signed(all).map_err(|e| TlsError::Generate(e.to_string()))?;
    Ok((
        made.cert.pem().into_bytes(),
        made.signing_key.serialize_pem().into_bytes(),
    ))
}

fn write_private(path: &Path, data: &[u8]) -> Result<(), TlsError> {
    crate::files::write_private(path, data).map_err(io(path))
}

/// The fingerprint of the certificate the server uses (or will use).
pub fn current_fingerprint(data_dir: &Path, source: &TlsSource) -> Result<String, TlsError> {
    let (cert, _) = ensure_files(data_dir, source, &[])?;
    let chain = read_chain(&cert)?;
    chain
        .first()
        .map(|c| fingerprint(c.as_ref()))
        .ok_or(TlsError::Pem(cert))
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(|_| TlsError::Pem(path.to_owned()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| TlsError::Pem(path.to_owned()))?;
    if chain.is_empty() {
        return Err(TlsError::Pem(path.to_owned()));
    }
    Ok(chain)
}

/// Loads (or makes) the certificate and builds the rustls configuration:
/// TLS 1.2 and 1.3, ring, HTTP/1.1 (WebSocket upgrades).
pub fn load(data_dir: &Path, source: &TlsSource, names: &[String]) -> Result<ServerTls, TlsError> {
    let (cert, key) = ensure_files(data_dir, source, names)?;
    let chain = read_chain(&cert)?;
    let key = PrivateKeyDer::from_pem_file(&key).map_err(|_| TlsError::Pem(key.clone()))?;
    let fingerprint = fingerprint(chain[0].as_ref());
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(ServerTls {
        config: Arc::new(config),
        fingerprint,
    })
}

/// The staged next certificate (`<data>/tls/next-cert.pem`), announced to
/// devices ahead of a rotation.
pub fn next_cert_path(data_dir: &Path) -> PathBuf {
    data_dir.join("tls").join("next-cert.pem")
}

fn next_key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("tls").join("next-key.pem")
}

/// The fingerprint of the staged next certificate, if one is staged (and
/// reads).
pub fn next_fingerprint(data_dir: &Path) -> Option<String> {
    let path = next_cert_path(data_dir);
    if !path.is_file() {
        return None;
    }
    read_chain(&path)
        .ok()?
        .first()
        .map(|c| fingerprint(c.as_ref()))
}

/// What a rotation step did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rotation {
    /// The fingerprint served (before a restart, for `rotate`: after it).
    pub served: String,
    /// The staged next fingerprint, if any.
    pub next: Option<String>,
}

/// Stages the next certificate: a new self-signed one (for the self-signed
/// source), or the given PEM chain and key (checked to belong together
/// enough to load). Every device learns its fingerprint at its next sync
/// and trusts it from then on; `rotate` switches to it.
pub fn stage_next(
    data_dir: &Path,
    source: &TlsSource,
    names: &[String],
    given: Option<(&Path, &Path)>,
) -> Result<Rotation, TlsError> {
    let dir = data_dir.join("tls");
    crate::files::private_dir(&dir).map_err(io(&dir))?;
    let (cert_pem, key_pem) = match given {
        Some((cert, key)) => {
            let chain = read_chain(cert)?;
            PrivateKeyDer::from_pem_file(key).map_err(|_| TlsError::Pem(key.to_owned()))?;
            drop(chain);
            (
                std::fs::read(cert).map_err(io(cert))?,
                std::fs::read(key).map_err(io(key))?,
            )
        }
        None => self_signed(names)?,
    };
    write_private(&next_key_path(data_dir), &key_pem)?;
    write_private(&next_cert_path(data_dir), &cert_pem)?;
    Ok(Rotation {
        served: current_fingerprint(data_dir, source)?,
        next: next_fingerprint(data_dir),
    })
}

/// Switches a self-signed server to its staged next certificate: the
/// current pair is kept as `previous-*.pem`, the next becomes the current.
/// Takes effect when the server starts again. A configured certificate
/// (`--tls-cert`) is switched by pointing the configuration at the new
/// files; there is nothing to move here.
pub fn rotate(data_dir: &Path, source: &TlsSource) -> Result<Rotation, TlsError> {
    let dir = data_dir.join("tls");
    let next_cert = next_cert_path(data_dir);
    let next_key = next_key_path(data_dir);
    if !next_cert.is_file() || !next_key.is_file() {
        return Err(TlsError::Io {
            path: next_cert,
            error: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "geen volgend certificaat klaargezet (cert next) / no next certificate staged",
            ),
        });
    }
    if let TlsSource::SelfSigned = source {
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        for (from, to) in [
            (&cert, dir.join("previous-cert.pem")),
            (&key, dir.join("previous-key.pem")),
            (&next_cert, cert.clone()),
            (&next_key, key.clone()),
        ] {
            if from.is_file() {
                std::fs::rename(from, &to).map_err(io(&to))?;
            }
        }
    }
    Ok(Rotation {
        served: current_fingerprint(data_dir, source)?,
        next: next_fingerprint(data_dir),
    })
}
