//! Who gets in over TLS: only a TLS 1.3 client (1.2 is off unless configured) holding an
//! unexpired client certificate of kmsd's client CA made for client authentication. A
//! self-signed certificate, one from the right CA but expired, not yet valid or made for server
//! authentication, and a TLS 1.2-only client are refused in the handshake — no HTTP answer,
//! counted in `kmsd_tls_handshake_failures_total` — and the good certificate keeps working.

mod common;

use common::*;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;

type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// The quick-start CA as an issuer: its key from `ca.key`, its name as quickstart made it.
fn quickstart_ca(dir: &Path) -> Issuer<'static, KeyPair> {
    let key = KeyPair::from_pem(&std::fs::read_to_string(dir.join("ca.key")).unwrap()).unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "kmsd development CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    Issuer::new(ca, key)
}

/// A client certificate for `kms-client`, changed by `edit`, issued by `issuer` (or
/// self-signed).
fn client_identity(
    issuer: Option<&Issuer<'static, KeyPair>>,
    edit: impl FnOnce(&mut CertificateParams),
) -> Identity {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, "kms-client");
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    edit(&mut p);
    let cert = match issuer {
        Some(i) => p.signed_by(&key, i).unwrap(),
        None => p.self_signed(&key).unwrap(),
    };
    (
        vec![cert.der().clone()],
        PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
    )
}

fn handshake_failures(d: &Kmsd) -> u64 {
    let (status, text) = d.ops_get("/metrics");
    assert_eq!(status, 200);
    text.lines()
        .find(|l| l.starts_with("kmsd_tls_handshake_failures_total"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[test]
fn only_good_client_certificates_over_tls_1_3_get_in() {
    let dir = tempfile::tempdir().unwrap();
    let d = Kmsd::start_in(dir.path());
    let ca_pem = dir.path().join("ca.pem");
    let issuer = quickstart_ca(dir.path());

    // A fresh certificate from the right CA is accepted (and shows the CA was rebuilt right).
    let good = client_identity(Some(&issuer), |_| {});
    let accepted = Client::new(&d.addr, Some(good), &ca_pem);
    assert_eq!(accepted.call("GET", "/v1/health", None).status, 200);

    let refused: Vec<(&str, Identity)> = vec![
        ("self-signed", client_identity(None, |_| {})),
        (
            "expired",
            client_identity(Some(&issuer), |p| {
                p.not_before = rcgen::date_time_ymd(2020, 1, 1);
                p.not_after = rcgen::date_time_ymd(2021, 1, 1);
            }),
        ),
        (
            "not yet valid",
            client_identity(Some(&issuer), |p| {
                p.not_before = rcgen::date_time_ymd(2090, 1, 1);
                p.not_after = rcgen::date_time_ymd(2091, 1, 1);
            }),
        ),
        (
            "server authentication only",
            client_identity(Some(&issuer), |p| {
                p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            }),
        ),
    ];
    let before = handshake_failures(&d);
    let count = refused.len() as u64;
    for (what, identity) in refused {
        let c = Client::new(&d.addr, Some(identity), &ca_pem);
        match c.raw("GET", "/v1/health", b"") {
            Err(_) => {}
            Ok(r) => panic!("{what}: answered HTTP {}", r.status),
        }
    }
    assert!(
        handshake_failures(&d) >= before + count,
        "every refusal is counted"
    );

    // A client that offers only TLS 1.2 (kmsd's default is TLS 1.3 only).
    let tls12 = Client::with_versions(
        &d.addr,
        Some(tls_identity(dir.path())),
        &ca_pem,
        &[&rustls::version::TLS12],
    );
    assert!(tls12.raw("GET", "/v1/health", b"").is_err());

    // The quick-start client still gets in.
    assert_eq!(d.client().call("GET", "/v1/health", None).status, 200);
}
