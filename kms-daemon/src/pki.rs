//! A development PKI made with rcgen (ECDSA P-256): a CA, a server certificate for
//! 127.0.0.1/localhost, and one client certificate (`CN=kms-client`). Private keys are written
//! with mode 0600.

use crate::config::write_secret_file;
use crate::error::{Error, Result};
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

fn rc(e: rcgen::Error) -> Error {
    Error::Internal(format!("certificate generation: {e}"))
}

fn write_public(path: &Path, pem: &str) -> Result<()> {
    std::fs::write(path, pem).map_err(|e| Error::io(format!("writing {}", path.display()), e))
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

    let client_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(rc)?;
    let mut client = CertificateParams::new(Vec::<String>::new()).map_err(rc)?;
    client
        .distinguished_name
        .push(DnType::CommonName, "kms-client");
    client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    client.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let client_cert = client.signed_by(&client_key, &issuer).map_err(rc)?;
    write_public(&dir.join(CLIENT_CERT), &client_cert.pem())?;
    write_secret_file(&dir.join(CLIENT_KEY), client_key.serialize_pem().as_bytes())?;
    Ok(())
}
