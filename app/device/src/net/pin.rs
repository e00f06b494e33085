//! Certificate pinning: the server is accepted only if its certificate's
//! SHA-256 fingerprint is the one from the enrolment code (or the next one
//! the server announced over a pinned connection, for a certificate
//! rotation), whatever CA signed it. A valid public certificate with
//! another fingerprint is refused too.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::NetError;

#[derive(Debug)]
struct Pinned {
    fingerprints: Vec<Vec<u8>>,
    provider: Arc<CryptoProvider>,
    mismatch: Arc<AtomicBool>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen = ring::digest::digest(&ring::digest::SHA256, end_entity.as_ref());
        if self
            .fingerprints
            .iter()
            .any(|f| f.as_slice() == seen.as_ref())
        {
            Ok(ServerCertVerified::assertion())
        } else {
            self.mismatch.store(true, Ordering::SeqCst);
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A rustls client configuration that trusts exactly the certificates with
/// these hex SHA-256 fingerprints (the pinned one, and the next one the
/// server announced, if any); `mismatch` is set when another one shows up.
pub fn client_config(
    fingerprints_hex: &[&str],
    mismatch: Arc<AtomicBool>,
) -> Result<Arc<rustls::ClientConfig>, NetError> {
    let mut fingerprints = Vec::new();
    for hex_text in fingerprints_hex {
        let fingerprint = hex::decode(hex_text)
            .map_err(|_| NetError::BadUrl("vingerafdruk is geen hex".into()))?;
        if fingerprint.len() != 32 {
            return Err(NetError::BadUrl("vingerafdruk is geen SHA-256".into()));
        }
        fingerprints.push(fingerprint);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(Pinned {
        fingerprints,
        provider: Arc::clone(&provider),
        mismatch,
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| NetError::Connect(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
