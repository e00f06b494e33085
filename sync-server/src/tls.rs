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
                let mut all = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
                all.extend(names.iter().cloned());
                all.sort();
                all.dedup();
                let made = rcgen::generate_simple_self_signed(all)
                    .map_err(|e| TlsError::Generate(e.to_string()))?;
                write_private(&key, made.signing_key.serialize_pem().as_bytes())?;
                std::fs::write(&cert, made.cert.pem()).map_err(io(&cert))?;
                tracing::info!(path = %cert.display(), "made a self-signed certificate");
            }
            Ok((cert, key))
        }
    }
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
