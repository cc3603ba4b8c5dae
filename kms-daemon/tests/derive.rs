//! Service tests of C_DeriveKey with ECDH1 (spec-checklist S18; security rules R1, R5, R13).

mod common;

use common::service::*;
use kms_api::{Attr, AttrValue};
use kms_daemon::audit;
use kms_daemon::ck::*;
use kms_daemon::crypto::der;
use kms_daemon::crypto::ec::Curve;

#[test]
fn ecdh_gives_both_parties_the_same_key() {
    let (_dir, svc, c) = setup();
    for curve in Curve::ALL {
        let a = ec_pair(&svc, &c, curve, vec![b(CKA_DERIVE, true)]);
        let bb = ec_pair(
            &svc,
            &c,
            curve,
            vec![b(CKA_DERIVE, true), b(CKA_EXTRACTABLE, true)],
        );
        let point_a = bytes(&a.public, CKA_EC_POINT); // DER OCTET STRING
        let point_b = bytes(&bb.public, CKA_EC_POINT);
        let point_b_raw = der::parse_octet_string(&point_b).unwrap().to_vec(); // raw 04‖X‖Y
        for (kdf, shared) in [
            (CKD_NULL, &b""[..]),
            (CKD_SHA256_KDF, b"shared info"),
            (CKD_SHA384_KDF, b""),
            (CKD_SHA512_KDF, b"x"),
        ] {
            for len in [16u64, 32] {
                let ka = do_derive(
                    &svc,
                    &c,
                    ecdh(kdf, shared, &point_b_raw),
                    &a.private.id,
                    aes_template(len),
                )
                .unwrap();
                let kb = do_derive(
                    &svc,
                    &c,
                    ecdh(kdf, shared, &point_a),
                    &bb.private.id,
                    aes_template(len),
                )
                .unwrap();
                let ev = last_audit(&svc);
                assert_eq!(
                    (ev.action.as_str(), ev.outcome.as_str(), ev.detail),
                    (
                        "key.derive",
                        "ok",
                        Some(format!("base_key={}", bb.private.id))
                    )
                );
                assert_eq!(fingerprint(&svc, &c, &ka.id), fingerprint(&svc, &c, &kb.id));
                assert_eq!(value(&ka, CKA_VALUE_LEN), Some(&AttrValue::Ulong(len)));
                assert_eq!(flag(&ka, CKA_LOCAL), Some(false));
                assert_eq!(flag(&ka, CKA_SENSITIVE), Some(true));
                assert_eq!(flag(&ka, CKA_EXTRACTABLE), Some(false));
                assert_eq!(flag(&ka, CKA_WRAP), Some(false));
                // S18: provenance follows the base key.
                assert_eq!(flag(&ka, CKA_ALWAYS_SENSITIVE), Some(true));
                assert_eq!(flag(&ka, CKA_NEVER_EXTRACTABLE), Some(true));
                assert_eq!(flag(&kb, CKA_ALWAYS_SENSITIVE), Some(true));
                assert_eq!(flag(&kb, CKA_NEVER_EXTRACTABLE), Some(false));
            }
        }
        // Different KDFs or shared data give different keys.
        let k1 = do_derive(
            &svc,
            &c,
            ecdh(CKD_SHA256_KDF, b"one", &point_b_raw),
            &a.private.id,
            aes_template(32),
        )
        .unwrap();
        let k2 = do_derive(
            &svc,
            &c,
            ecdh(CKD_SHA256_KDF, b"two", &point_b_raw),
            &a.private.id,
            aes_template(32),
        )
        .unwrap();
        assert_ne!(fingerprint(&svc, &c, &k1.id), fingerprint(&svc, &c, &k2.id));
    }
}

#[test]
fn derive_refusals_r13_r5_and_bad_parameters() {
    let (_dir, svc, c) = setup();
    let a = ec_pair(&svc, &c, Curve::P256, vec![b(CKA_DERIVE, true)]);
    let peer = ec_pair(&svc, &c, Curve::P256, vec![]);
    let p384 = ec_pair(&svc, &c, Curve::P384, vec![]);
    let point = bytes(&peer.public, CKA_EC_POINT);
    let base = a.private.id.as_str();
    let good = || ecdh(CKD_SHA256_KDF, b"", &point);
    assert_eq!(
        code(do_derive(&svc, &c, good(), base, aes_template(32))),
        "ok"
    );
    // Template (R13, R5, R1, types, lengths).
    let with = |extra: Vec<Attr>| {
        let mut t = aes_template(32);
        t.extend(extra);
        do_derive(&svc, &c, good(), base, t)
    };
    for extra in [
        vec![b(CKA_SENSITIVE, false)],
        vec![b(CKA_EXTRACTABLE, true)],
        vec![b(CKA_WRAP, true)],
        vec![b(CKA_UNWRAP, true)],
        vec![b(CKA_WRAP, true), b(CKA_DECRYPT, true)],
        vec![u(CKA_CLASS, CKO_PRIVATE_KEY)],
    ] {
        assert_eq!(
            code(with(extra.clone())),
            "template_inconsistent",
            "{extra:?}"
        );
    }
    assert_eq!(code(with(vec![b(CKA_LOCAL, true)])), "attribute_read_only");
    assert_eq!(
        code(do_derive(
            &svc,
            &c,
            good(),
            base,
            vec![u(CKA_KEY_TYPE, CKK_GENERIC_SECRET), u(CKA_VALUE_LEN, 32)]
        )),
        "template_inconsistent"
    );
    assert_eq!(
        code(do_derive(
            &svc,
            &c,
            good(),
            base,
            vec![u(CKA_KEY_TYPE, CKK_AES)]
        )),
        "template_incomplete"
    );
    assert_eq!(
        code(do_derive(
            &svc,
            &c,
            good(),
            base,
            vec![u(CKA_VALUE_LEN, 32)]
        )),
        "template_incomplete"
    );
    assert_eq!(
        code(do_derive(&svc, &c, good(), base, aes_template(20))),
        "key_size_range"
    );
    // A non-sensitive base may give a non-sensitive, extractable key.
    let soft = ec_pair(
        &svc,
        &c,
        Curve::P256,
        vec![b(CKA_DERIVE, true), b(CKA_SENSITIVE, false)],
    );
    let mut t = aes_template(16);
    t.extend([b(CKA_SENSITIVE, false), b(CKA_EXTRACTABLE, true)]);
    let derived = do_derive(&svc, &c, good(), &soft.private.id, t).unwrap();
    assert_eq!(flag(&derived, CKA_ALWAYS_SENSITIVE), Some(false));
    assert_eq!(flag(&derived, CKA_NEVER_EXTRACTABLE), Some(false));
    // Parameters (S18: never a crash).
    for mech in [
        ecdh(CKD_SHA1_KDF, b"", &point),
        ecdh(0x8000_0001, b"", &point),
        ecdh(CKD_NULL, b"data", &point),
        ecdh(CKD_SHA256_KDF, b"", &bytes(&p384.public, CKA_EC_POINT)),
        ecdh(CKD_SHA256_KDF, b"", &point[..40]),
        ecdh(CKD_SHA256_KDF, b"", b""),
        ecdh(CKD_SHA256_KDF, &vec![0u8; 70_000], &point),
        m(CKM_ECDH1_DERIVE),
    ] {
        assert_eq!(
            code(do_derive(&svc, &c, mech.clone(), base, aes_template(32))),
            "mechanism_param_invalid",
            "{mech:?}"
        );
    }
    let mut off_curve = point.clone();
    off_curve[20] ^= 1;
    assert_eq!(
        code(do_derive(
            &svc,
            &c,
            ecdh(CKD_NULL, b"", &off_curve),
            base,
            aes_template(32)
        )),
        "mechanism_param_invalid"
    );
    // The base key: no DERIVE; not an EC private key; not a derivation mechanism.
    assert_eq!(
        code(do_derive(
            &svc,
            &c,
            good(),
            &peer.private.id,
            aes_template(32)
        )),
        "key_function_not_permitted"
    );
    let ev = last_audit(&svc);
    assert_eq!(
        (
            ev.action.as_str(),
            ev.outcome.as_str(),
            ev.object_id.as_deref()
        ),
        (
            "key.derive",
            "key_function_not_permitted",
            Some(peer.private.id.as_str())
        )
    );
    let secret = aes(&svc, &c, 32, vec![b(CKA_DERIVE, true)]).unwrap().id;
    assert_eq!(
        code(do_derive(&svc, &c, good(), &secret, aes_template(32))),
        "key_type_inconsistent"
    );
    assert_eq!(
        code(do_derive(
            &svc,
            &c,
            good(),
            &peer.public.id,
            aes_template(32)
        )),
        "key_type_inconsistent"
    );
    for mech in [
        CKM_ECDSA,
        CKM_AES_KEY_WRAP,
        0x0000_0364, /* CKM_XOR_BASE_AND_DATA */
    ] {
        let mut mm = good();
        mm.mechanism = mech;
        assert_eq!(
            code(do_derive(&svc, &c, mm, base, aes_template(32))),
            "mechanism_invalid"
        );
    }
    assert_eq!(
        svc.store.read(audit::verify).unwrap(),
        audit::Verdict::Ok {
            records: svc.store.read(audit::records).unwrap().len()
        }
    );
}

/// CKA_DERIVE_TEMPLATE: what every key derived from the base gets; a contradicting template is
/// `template_inconsistent`, and it cannot make a sensitive base yield a weak key (R13).
#[test]
fn the_derive_template_is_what_derived_keys_get() {
    let (_dir, svc, c) = setup();
    let curve = Curve::ALL[0];
    let template = |attrs: Vec<Attr>| Attr {
        ty: CKA_DERIVE_TEMPLATE,
        value: AttrValue::Template(attrs),
    };
    let base = ec_pair(
        &svc,
        &c,
        curve,
        vec![
            b(CKA_DERIVE, true),
            template(vec![by(CKA_LABEL, b"derived"), by(CKA_ID, b"d1")]),
        ],
    );
    let peer = ec_pair(&svc, &c, curve, vec![b(CKA_DERIVE, true)]);
    let point = bytes(&peer.public, CKA_EC_POINT);
    let derive = |t: Vec<Attr>| {
        do_derive(
            &svc,
            &c,
            ecdh(CKD_SHA256_KDF, b"", &point),
            &base.private.id,
            t,
        )
    };
    let k = derive(aes_template(32)).unwrap();
    assert_eq!(bytes(&k, CKA_LABEL), b"derived");
    assert_eq!(bytes(&k, CKA_ID), b"d1");
    let mut mine = aes_template(32);
    mine.push(by(CKA_LABEL, b"mine"));
    assert_eq!(code(derive(mine)), "template_inconsistent");

    let weak = ec_pair(
        &svc,
        &c,
        curve,
        vec![b(CKA_DERIVE, true), template(vec![b(CKA_SENSITIVE, false)])],
    );
    assert_eq!(
        code(do_derive(
            &svc,
            &c,
            ecdh(CKD_SHA256_KDF, b"", &point),
            &weak.private.id,
            aes_template(32),
        )),
        "template_inconsistent"
    );
}
