//! A development PKI made with rcgen (ECDSA P-256): a CA, a server certificate for
//! 127.0.0.1/localhost, a client certificate (`CN=kms-client`) and an admin client certificate
//! (`CN=kms-admin`, the identity allowed to log in as SO: security R17). Private keys are written
//! with mode 0600.

use crate::error::{Error, Result};
use crate::secret_file::write_secret_file;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

/// File names inside the quick-start directory.
pub const CA_CERT: &str = "ca.pem";
/// CA private key.
pub const CA_KEY: &str = "ca.key";
/// Server certificate.
pub const SERVER_CERT: &str = "server.pem";
/// Server private key.
pub const SERVER_KEY: &str = "server.key";
/// Client certificate.
pub const CLIENT_CERT: &str = "client.pem";
/// Client private key.
pub const CLIENT_KEY: &str = "client.key";
/// Admin (SO) client certificate.
pub const ADMIN_CERT: &str = "admin.pem";
/// Admin (SO) client private key.
pub const ADMIN_KEY: &str = "admin.key";
/// Common name of the admin client certificate.
pub const ADMIN_CN: &str = "kms-admin";

fn rc(e: rcgen::Error) -> Error {
    Error::Internal(format!("certificate generation: {e}"))
}

/// Writes a file anyone may read and only its owner may change (mode 0644, whatever the umask
/// allows beyond that; an existing file is truncated and given that mode): certificates and
/// configurations, which kmsd and the module refuse when group or others may write them.
pub fn write_public(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |e| Error::io(format!("writing {}", path.display()), e);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(path)
        .map_err(io)?;
    f.set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)
}

/// Creates the CA, server and client certificates and keys in `dir`.
pub fn create(dir: &Path) -> Result<()> {
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(rc)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(rc)?;
    ca.distinguished_name
        .push(DnType::CommonName, "kmsd development CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).map_err(rc)?;
    write_public(&dir.join(CA_CERT), &ca_cert.pem())?;
    write_secret_file(&dir.join(CA_KEY), ca_key.serialize_pem().as_bytes())?;
    let issuer = Issuer::new(ca, ca_key);

    let server_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(rc)?;
    let mut server = CertificateParams::new(vec!["localhost".to_owned()]).map_err(rc)?;
    server
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    server.distinguished_name.push(DnType::CommonName, "kmsd");
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let server_cert = server.signed_by(&server_key, &issuer).map_err(rc)?;
    write_public(&dir.join(SERVER_CERT), &server_cert.pem())?;
    write_secret_file(&dir.join(SERVER_KEY), server_key.serialize_pem().as_bytes())?;

    for (cn, cert, key) in [
        ("kms-client", CLIENT_CERT, CLIENT_KEY),
        (ADMIN_CN, ADMIN_CERT, ADMIN_KEY),
    ] {
        client_cert(dir, &issuer, cn, cert, key)?;
    }
    Ok(())
}

fn client_cert(
    dir: &Path,
    issuer: &Issuer<'_, KeyPair>,
    cn: &str,
    cert_file: &str,
    key_file: &str,
) -> Result<()> {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(rc)?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(rc)?;
    params.distinguished_name.push(DnType::CommonName, cn);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let cert = params.signed_by(&key, issuer).map_err(rc)?;
    write_public(&dir.join(cert_file), &cert.pem())?;
    write_secret_file(&dir.join(key_file), key.serialize_pem().as_bytes())
}

/// The client identity of the certificate in `path` (PEM), exactly as the server derives it
/// from the TLS handshake ([`crate::auth::identity::identity_of`]).
pub fn identity_of_file(path: &Path) -> Result<String> {
    use rustls::pki_types::pem::PemObject;
    let der = rustls::pki_types::CertificateDer::from_pem_file(path)
        .map_err(|e| Error::Config(format!("reading certificate {}: {e}", path.display())))?;
    crate::auth::identity::identity_of(der.as_ref()).ok_or_else(|| {
        Error::Config(format!(
            "certificate {} has no usable subject",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_pki_has_an_admin_identity_with_a_private_key() {
        use rustls::pki_types::pem::PemObject;
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        create(dir.path()).unwrap();
        assert_eq!(
            identity_of_file(&dir.path().join(ADMIN_CERT)).unwrap(),
            "CN=kms-admin"
        );
        assert_eq!(
            identity_of_file(&dir.path().join(CLIENT_CERT)).unwrap(),
            "CN=kms-client"
        );
        for key in [CA_KEY, SERVER_KEY, CLIENT_KEY, ADMIN_KEY] {
            let mode = std::fs::metadata(dir.path().join(key))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
        let pem = std::fs::read(dir.path().join(ADMIN_CERT)).unwrap();
        let der = rustls::pki_types::CertificateDer::from_pem_slice(&pem).unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).unwrap();
        let eku = cert.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.client_auth && !eku.server_auth);
    }
}
