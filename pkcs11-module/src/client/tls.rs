//! The TLS side of the daemon client: TLS 1.3, kmsd's CA as the only root, and this client's
//! certificate for mutual TLS. Built on rustls with the aws-lc-rs provider.

use crate::config::SlotConfig;
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
    let key = PrivateKeyDer::from_pem_file(&slot.key_file)
        .map_err(|e| format!("{}: no private key: {e}", slot.key_file.display()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| format!("TLS set-up: {e}"))?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| {
            format!(
                "{}: client certificate and key do not fit: {e}",
                slot.cert_file.display()
            )
        })
}

fn read_certs(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: bad PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate found", path.display()));
    }
    Ok(certs)
}
