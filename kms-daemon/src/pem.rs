//! PEM files of the TLS settings: certificate chains and CA bundles, and private keys (which must
//! pass [`check_secret_file`]). Used by the listener's TLS (`server::tls`) and the PostgreSQL
//! store's TLS (`store::postgres::tls`).

use crate::error::{Error, Result};
use crate::secret_file::check_secret_file;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;

/// The certificates of a PEM file, in order; a file without one is an error.
pub fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| Error::Config(format!("reading certificates from {}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(Error::Config(format!(
            "no certificate in {}",
            path.display()
        )));
    }
    Ok(certs)
}

/// The private key of a PEM file that only its owner may read.
pub fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    check_secret_file(path)?;
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| Error::Config(format!("reading private key {}: {e}", path.display())))
}

/// A trust store of the certificates of a PEM file.
pub fn roots(path: &Path) -> Result<rustls::RootCertStore> {
    let mut roots = rustls::RootCertStore::empty();
    for ca in certificates(path)? {
        roots
            .add(ca)
            .map_err(|e| Error::Config(format!("CA certificate in {}: {e}", path.display())))?;
    }
    Ok(roots)
}
