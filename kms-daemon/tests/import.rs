//! Service tests of private-key import through C_CreateObject (security T15 and rule R5).

mod common;

use aws_lc_rs::encoding::{AsBigEndian, AsDer};
use aws_lc_rs::signature::{self, EcdsaKeyPair};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::service::*;
use kms_api::msg::ObjectInfo;
use kms_api::{Attr, AttrValue};
use kms_daemon::auth::Caller;
use kms_daemon::ck::*;
use kms_daemon::crypto::ec::Curve;
use kms_daemon::keys::create;
use kms_daemon::state::Services;
use kms_daemon::Error;

/// The TLVs directly inside `der` (definite lengths only; enough for PKCS#8 RSA keys).
fn tlvs(mut der: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !der.is_empty() {
        let (len, hdr) = if der[1] < 0x80 {
            (der[1] as usize, 2)
        } else {
            let n = (der[1] & 0x7f) as usize;
            (
                der[2..2 + n].iter().fold(0, |a, b| (a << 8) | *b as usize),
                2 + n,
            )
        };
        out.push(&der[hdr..hdr + len]);
        der = &der[hdr + len..];
    }
    out
}

const RSA_PARTS: [u64; 8] = [
    CKA_MODULUS,
    CKA_PUBLIC_EXPONENT,
    CKA_PRIVATE_EXPONENT,
    CKA_PRIME_1,
    CKA_PRIME_2,
    CKA_EXPONENT_1,
    CKA_EXPONENT_2,
    CKA_COEFFICIENT,
];

fn import(svc: &Services, c: &Caller, template: Vec<Attr>) -> Result<ObjectInfo, Error> {
    create::create_object(svc, c, "t", &template)
}

#[test]
fn private_key_import_validates_pairwise_and_keeps_components_sealed() {
    let (dir, svc, c) = setup();
    // RSA: components out of an aws-lc key's PKCS#8.
    let kp = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der: aws_lc_rs::encoding::Pkcs8V1Der = kp.as_der().unwrap();
    let outer = tlvs(der.as_ref());
    let rsa_key = tlvs(tlvs(outer[0])[2]);
    let ints: Vec<Vec<u8>> = tlvs(rsa_key[0]).iter().map(|v| v.to_vec()).collect();
    let spki = {
        use aws_lc_rs::signature::KeyPair as _;
        kp.public_key().as_der().unwrap().as_ref().to_vec()
    };
    let rsa_template = |ints: &[Vec<u8>]| {
        let mut t = vec![u(CKA_CLASS, CKO_PRIVATE_KEY), u(CKA_KEY_TYPE, CKK_RSA)];
        t.extend(RSA_PARTS.iter().zip(&ints[1..]).map(|(ty, v)| by(*ty, v)));
        t
    };
    let info = import(&svc, &c, rsa_template(&ints)).unwrap();
    assert_eq!(bytes(&info, CKA_PUBLIC_KEY_INFO), spki);
    assert_eq!(
        value(&info, CKA_MODULUS_BITS),
        Some(&AttrValue::Ulong(2048))
    );
    for ty in &RSA_PARTS[2..] {
        assert!(value(&info, *ty).is_none());
        assert!(info.sensitive.contains(ty));
    }
    assert_eq!(flag(&info, CKA_LOCAL), Some(false));
    assert_eq!(flag(&info, CKA_ALWAYS_SENSITIVE), Some(false));
    assert_eq!(flag(&info, CKA_NEVER_EXTRACTABLE), Some(false));
    assert_eq!(flag(&info, CKA_SENSITIVE), Some(true));
    assert_eq!(flag(&info, CKA_EXTRACTABLE), Some(false));
    rsa_sign_verify(&svc, &c, &info.id, &spki);
    // A faulty CRT coefficient (T15), a missing prime, WRAP/UNWRAP (R5), generated-only fields.
    let mut faulty = ints.clone();
    faulty[8][10] ^= 1;
    assert_eq!(
        code(import(&svc, &c, rsa_template(&faulty))),
        "template_inconsistent"
    );
    let mut missing = rsa_template(&ints);
    missing.retain(|a| a.ty != CKA_PRIME_1);
    assert_eq!(code(import(&svc, &c, missing)), "template_incomplete");
    let mut unwrapper = rsa_template(&ints);
    unwrapper.push(b(CKA_UNWRAP, true));
    assert_eq!(code(import(&svc, &c, unwrapper)), "template_inconsistent");
    let mut forged = rsa_template(&ints);
    forged.push(b(CKA_NEVER_EXTRACTABLE, true));
    assert_eq!(code(import(&svc, &c, forged)), "attribute_read_only");

    // EC: the scalar of an aws-lc key.
    let ekp = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let scalar = ekp.private_key().as_be_bytes().unwrap().as_ref().to_vec();
    let espki = {
        use aws_lc_rs::signature::KeyPair as _;
        ekp.public_key().as_der().unwrap().as_ref().to_vec()
    };
    let ec_template = |v: &[u8]| {
        vec![
            u(CKA_CLASS, CKO_PRIVATE_KEY),
            u(CKA_KEY_TYPE, CKK_EC),
            by(CKA_EC_PARAMS, Curve::P256.params()),
            by(CKA_VALUE, v),
            b(CKA_DERIVE, true),
            b(CKA_SIGN, true),
        ]
    };
    let einfo = import(&svc, &c, ec_template(&scalar)).unwrap();
    assert_eq!(bytes(&einfo, CKA_PUBLIC_KEY_INFO), espki);
    assert!(value(&einfo, CKA_VALUE).is_none());
    assert_eq!(einfo.sensitive, vec![CKA_VALUE]);
    ec_sign_verify(&svc, &c, &einfo.id, Curve::P256, &espki);
    // The imported key derives like a generated one.
    let other = ec_pair(&svc, &c, Curve::P256, vec![b(CKA_DERIVE, true)]);
    let k1 = do_derive(
        &svc,
        &c,
        ecdh(CKD_SHA256_KDF, b"", &bytes(&other.public, CKA_EC_POINT)),
        &einfo.id,
        aes_template(32),
    )
    .unwrap();
    let k2 = do_derive(
        &svc,
        &c,
        ecdh(CKD_SHA256_KDF, b"", &bytes(&einfo, CKA_EC_POINT)),
        &other.private.id,
        aes_template(32),
    )
    .unwrap();
    assert_eq!(fingerprint(&svc, &c, &k1.id), fingerprint(&svc, &c, &k2.id));
    assert_eq!(flag(&k1, CKA_ALWAYS_SENSITIVE), Some(false));
    assert_eq!(
        code(import(&svc, &c, ec_template(&[0u8; 32]))),
        "attribute_value_invalid"
    );
    let mut no_params = ec_template(&scalar);
    no_params.retain(|a| a.ty != CKA_EC_PARAMS);
    assert_eq!(code(import(&svc, &c, no_params)), "template_incomplete");
    let mut with_point = ec_template(&scalar);
    with_point.push(by(CKA_EC_POINT, &[4u8; 65]));
    assert_eq!(code(import(&svc, &c, with_point)), "attribute_read_only");

    // No private component is stored in clear anywhere in the database.
    drop(svc);
    let (db, wal) = if common::on_postgres() {
        // On PostgreSQL: every stored text and byte column of objects and key versions.
        let raw = common::RawStore::open(dir.path());
        let mut all = Vec::new();
        for sql in [
            "SELECT attrs, sealed, label, ckid, principals FROM objects",
            "SELECT object_id, sealed, object_id, object_id, object_id FROM key_versions",
        ] {
            for row in raw
                .query_all(sql, kms_daemon::store::db::params![], |r| {
                    Ok((
                        r.get::<Option<String>>(0)?,
                        r.get::<Option<Vec<u8>>>(1)?,
                        r.get::<Option<String>>(2)?,
                        r.get::<Option<String>>(3)?,
                        r.get::<Option<String>>(4)?,
                    ))
                })
                .unwrap()
            {
                for text in [row.0, row.2, row.3, row.4].into_iter().flatten() {
                    all.extend_from_slice(text.as_bytes());
                }
                all.extend(row.1.unwrap_or_default());
            }
        }
        (all, Vec::new())
    } else {
        (
            std::fs::read(dir.path().join("kms.db")).unwrap(),
            std::fs::read(dir.path().join("kms.db-wal")).unwrap_or_default(),
        )
    };
    for secret in [&ints[3], &ints[4], &ints[8], &scalar] {
        let b64 = STANDARD.encode(secret);
        for hay in [&db, &wal] {
            assert!(!hay.windows(16).any(|w| w == &secret[..16]));
            assert!(!hay.windows(24).any(|w| w == &b64.as_bytes()[..24]));
        }
    }
}
