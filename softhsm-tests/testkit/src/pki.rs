//! Client certificates issued by the development CA of a quick-start directory (`DIR/ca.pem`,
//! `DIR/ca.key`), written as `DIR/NAME.pem` and `DIR/NAME.key` next to quick start's `client`
//! and `admin`, so that [`crate::Kmsd::module_config_with`] and kmsd's test clients can use
//! them by name.

use std::path::Path;

pub use rcgen;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, Issuer,
    KeyPair, KeyUsagePurpose,
};

/// The subject of the CA quick start makes (kmsd's `pki.rs`).
const CA_CN: &str = "kmsd development CA";

/// What to put in a client certificate.
#[derive(Clone, Debug)]
pub struct CertSpec {
    /// The subject, in the order of the DER sequence (the last is the most specific).
    pub subject: Vec<(DnType, DnValue)>,
    /// KeyUsage bits (none: no KeyUsage extension).
    pub key_usages: Vec<KeyUsagePurpose>,
    /// ExtendedKeyUsage purposes (none: no ExtendedKeyUsage extension).
    pub extended_key_usages: Vec<ExtendedKeyUsagePurpose>,
}

impl CertSpec {
    /// A client certificate like quick start's: one UTF8String CN, digitalSignature, clientAuth.
    pub fn cn(cn: &str) -> CertSpec {
        CertSpec::subject(vec![(DnType::CommonName, DnValue::Utf8String(cn.into()))])
    }

    /// A client certificate with `subject` (sequence order), digitalSignature, clientAuth.
    pub fn subject(subject: Vec<(DnType, DnValue)>) -> CertSpec {
        CertSpec {
            subject,
            key_usages: vec![KeyUsagePurpose::DigitalSignature],
            extended_key_usages: vec![ExtendedKeyUsagePurpose::ClientAuth],
        }
    }
}

/// Issues a certificate as `spec` says from the CA of `dir` into `DIR/NAME.pem` and
/// `DIR/NAME.key` (mode 0600).
pub fn issue_client_cert(dir: &Path, name: &str, spec: &CertSpec) {
    use std::os::unix::fs::PermissionsExt;
    let ca_key = std::fs::read_to_string(dir.join("ca.key")).expect("read DIR/ca.key");
    let ca_key = KeyPair::from_pem(&ca_key).expect("the CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.distinguished_name.push(DnType::CommonName, CA_CN);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key pair");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name = DistinguishedName::new();
    for (ty, value) in &spec.subject {
        params.distinguished_name.push(ty.clone(), value.clone());
    }
    params.key_usages = spec.key_usages.clone();
    params.extended_key_usages = spec.extended_key_usages.clone();
    let cert = params
        .signed_by(&key, &issuer)
        .expect("sign the certificate");
    std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).expect("write NAME.pem");
    let key_file = dir.join(format!("{name}.key"));
    std::fs::write(&key_file, key.serialize_pem()).expect("write NAME.key");
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600))
        .expect("chmod NAME.key");
}
