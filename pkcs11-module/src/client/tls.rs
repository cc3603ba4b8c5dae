//! The TLS side of the daemon client: TLS 1.3, kmsd's CA as the only root, this client's
//! certificate for mutual TLS, and optionally a pinned server certificate (its SHA-256 must
//! match as well as its chain). Built on rustls with the aws-lc-rs provider.

use crate::config::{read_trusted, SlotConfig, Trust};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;

/// Builds the rustls client configuration for one slot.
pub(crate) fn client_config(slot: &SlotConfig) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    let cas = read_certs(&slot.ca_file)?;
    for ca in cas {
        roots
            .add(ca)
            .map_err(|e| format!("{}: unusable CA certificate: {e}", slot.ca_file.display()))?;
    }
    let chain = read_certs(&slot.cert_file)?;
    let key_pem = zeroize::Zeroizing::new(read_trusted(&slot.key_file, Trust::Secret)?);
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| format!("{}: no private key: {e}", slot.key_file.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| format!("TLS set-up: {e}"))?;
    let builder = match &slot.server_cert_sha256 {
        None => builder.with_root_certificates(roots),
        Some(hex) => {
            let chain_check = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| format!("TLS set-up: {e}"))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Pinned {
                    chain_check,
                    sha256: parse_pin(hex)?,
                }))
        }
    };
    builder.with_client_auth_cert(chain, key).map_err(|e| {
        format!(
            "{}: client certificate and key do not fit: {e}",
            slot.cert_file.display()
        )
    })
}

fn read_certs(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = read_trusted(path, Trust::Public)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: bad PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate found", path.display()));
    }
    Ok(certs)
}

/// `server_cert_sha256`: 64 hex digits (colons allowed, as `openssl x509 -fingerprint` prints).
fn parse_pin(hex: &str) -> Result<[u8; 32], String> {
    let digits: String = hex.chars().filter(|c| *c != ':').collect();
    let bad = || format!("server_cert_sha256 {hex:?} is not 32 bytes of hex");
    if digits.len() != 64 {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}

/// The usual chain check, then the end-entity certificate's SHA-256 against the pin: a
/// certificate the CA issued to someone else for the same name does not pass.
#[derive(Debug)]
struct Pinned {
    chain_check: Arc<rustls::client::WebPkiServerVerifier>,
    sha256: [u8; 32],
}

impl rustls::client::danger::ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        let verified = self.chain_check.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, end_entity.as_ref());
        if digest.as_ref() == self.sha256 {
            Ok(verified)
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.chain_check.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.chain_check.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.chain_check.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_parse_with_or_without_colons() {
        let hex = "AB".repeat(32);
        assert_eq!(parse_pin(&hex).unwrap(), [0xab; 32]);
        let colons = vec!["ab"; 32].join(":");
        assert_eq!(parse_pin(&colons).unwrap(), [0xab; 32]);
        assert!(parse_pin("abcd").is_err());
        assert!(parse_pin(&"zz".repeat(32)).is_err());
    }
}
