//! Service tests of C_WrapKey and C_UnwrapKey for private keys (PKCS#8 under AES-KWP) and for
//! secret keys under RSA-OAEP transport pairs (spec-checklist S16, S17; security T2 and rules
//! R1, R10, R11).

mod common;

use common::service::*;
use kms_api::{AttrValue, Bytes, MechParams, Mechanism};
use kms_daemon::ck::*;
use kms_daemon::crypto::ec::Curve;

#[test]
fn private_keys_travel_as_pkcs8_under_kwp() {
    let (_dir, svc, c) = setup();
    let k = kek(&svc, &c, 32);
    let kwp = || m(CKM_AES_KEY_WRAP_KWP);
    for curve in Curve::ALL {
        let p = ec_pair(&svc, &c, curve, vec![b(CKA_EXTRACTABLE, true)]);
        let spki = bytes(&p.public, CKA_PUBLIC_KEY_INFO);
        let blob = do_wrap(&svc, &c, kwp(), &k, &p.private.id).unwrap();
        let t = vec![u(CKA_CLASS, CKO_PRIVATE_KEY), u(CKA_KEY_TYPE, CKK_EC)];
        let new = do_unwrap(&svc, &c, kwp(), &k, &blob, t).unwrap();
        assert_eq!(bytes(&new, CKA_EC_POINT), bytes(&p.public, CKA_EC_POINT));
        assert_eq!(bytes(&new, CKA_EC_PARAMS), curve.params());
        assert_eq!(bytes(&new, CKA_PUBLIC_KEY_INFO), spki);
        assert_eq!(flag(&new, CKA_LOCAL), Some(false));
        assert_eq!(flag(&new, CKA_EXTRACTABLE), Some(false));
        assert_eq!(new.sensitive, vec![CKA_VALUE]);
        ec_sign_verify(&svc, &c, &new.id, curve, &spki);
        // The template's curve must be the blob's; an RSA template does not fit an EC blob.
        let other = match curve {
            Curve::P256 => Curve::P384,
            Curve::P384 => Curve::P521,
            Curve::P521 => Curve::P256,
        };
        for t in [
            vec![
                u(CKA_CLASS, CKO_PRIVATE_KEY),
                u(CKA_KEY_TYPE, CKK_EC),
                by(CKA_EC_PARAMS, other.params()),
            ],
            vec![u(CKA_CLASS, CKO_PRIVATE_KEY), u(CKA_KEY_TYPE, CKK_RSA)],
            secret_template(),
        ] {
            assert_eq!(
                code(do_unwrap(&svc, &c, kwp(), &k, &blob, t)),
                "encrypted_data_invalid"
            );
        }
    }
    // An AES key's value is not a private key.
    let secret = aes(&svc, &c, 32, vec![b(CKA_EXTRACTABLE, true)])
        .unwrap()
        .id;
    let blob = do_wrap(&svc, &c, kwp(), &k, &secret).unwrap();
    assert_eq!(
        code(do_unwrap(
            &svc,
            &c,
            kwp(),
            &k,
            &blob,
            vec![u(CKA_CLASS, CKO_PRIVATE_KEY), u(CKA_KEY_TYPE, CKK_EC)]
        )),
        "encrypted_data_invalid"
    );
    // RSA-2048 (112 bits) under AES-256.
    let r = pair(
        &svc,
        &c,
        vec![u(CKA_MODULUS_BITS, 2048)],
        vec![b(CKA_EXTRACTABLE, true)],
    );
    let blob = do_wrap(&svc, &c, kwp(), &k, &r.private.id).unwrap();
    let t = vec![u(CKA_CLASS, CKO_PRIVATE_KEY), u(CKA_KEY_TYPE, CKK_RSA)];
    let new = do_unwrap(&svc, &c, kwp(), &k, &blob, t.clone()).unwrap();
    assert_eq!(bytes(&new, CKA_MODULUS), bytes(&r.public, CKA_MODULUS));
    assert_eq!(value(&new, CKA_MODULUS_BITS), Some(&AttrValue::Ulong(2048)));
    assert!(new.sensitive.contains(&CKA_PRIVATE_EXPONENT));
    rsa_sign_verify(&svc, &c, &new.id, &bytes(&r.public, CKA_PUBLIC_KEY_INFO));
    // An AES key is no OAEP unwrapping key; P-384 (192 bits) is stronger than AES-128.
    assert_eq!(
        code(do_unwrap(
            &svc,
            &c,
            oaep(CKM_SHA256, CKG_MGF1_SHA256),
            &k,
            &blob,
            t
        )),
        "key_type_inconsistent"
    );
    let p384 = ec_pair(&svc, &c, Curve::P384, vec![b(CKA_EXTRACTABLE, true)]);
    let k128 = kek(&svc, &c, 16);
    assert_eq!(
        code(do_wrap(&svc, &c, kwp(), &k128, &p384.private.id)),
        "key_size_range"
    );
}

#[test]
fn rsa_oaep_wraps_secret_keys_with_a_separated_pair() {
    let (_dir, svc, c) = setup();
    let sha256 = || oaep(CKM_SHA256, CKG_MGF1_SHA256);
    let transport = pair(
        &svc,
        &c,
        vec![
            u(CKA_MODULUS_BITS, 3072),
            b(CKA_WRAP, true),
            b(CKA_ENCRYPT, false),
        ],
        vec![b(CKA_UNWRAP, true), b(CKA_DECRYPT, false)],
    );
    let (wpub, wpriv) = (transport.public.id.as_str(), transport.private.id.as_str());
    let t128 = aes(&svc, &c, 16, vec![b(CKA_EXTRACTABLE, true)])
        .unwrap()
        .id;
    for mech in [
        sha256(),
        oaep(CKM_SHA_1, CKG_MGF1_SHA1),
        oaep(CKM_SHA384, CKG_MGF1_SHA384),
        oaep(CKM_SHA512, CKG_MGF1_SHA512),
    ] {
        let blob = do_wrap(&svc, &c, mech.clone(), wpub, &t128).unwrap();
        assert_eq!(blob.len(), 384);
        let new = do_unwrap(&svc, &c, mech, wpriv, &blob, secret_template()).unwrap();
        assert_eq!(fingerprint(&svc, &c, &new.id), fingerprint(&svc, &c, &t128));
        assert_eq!(flag(&new, CKA_LOCAL), Some(false));
    }
    let blob = do_wrap(&svc, &c, sha256(), wpub, &t128).unwrap();
    // R11: a wrong label, a corrupted blob; R11: wrong length is public.
    let labelled = Mechanism {
        mechanism: CKM_RSA_PKCS_OAEP,
        params: MechParams::Oaep {
            hash: CKM_SHA256,
            mgf: CKG_MGF1_SHA256,
            label: Bytes(b"x".to_vec()),
        },
    };
    let mut bad = blob.clone();
    bad[100] ^= 4;
    for (mech, data) in [(labelled, &blob), (sha256(), &bad)] {
        assert_eq!(
            code(do_unwrap(&svc, &c, mech, wpriv, data, secret_template())),
            "encrypted_data_invalid"
        );
    }
    assert_eq!(
        code(do_unwrap(
            &svc,
            &c,
            sha256(),
            wpriv,
            &blob[1..],
            secret_template()
        )),
        "encrypted_data_len_range"
    );
    // Private keys do not travel under OAEP (neither way).
    let ec = ec_pair(&svc, &c, Curve::P256, vec![b(CKA_EXTRACTABLE, true)]);
    assert_eq!(
        code(do_wrap(&svc, &c, sha256(), wpub, &ec.private.id)),
        "key_unextractable"
    );
    assert_eq!(
        code(do_unwrap(
            &svc,
            &c,
            sha256(),
            wpriv,
            &blob,
            vec![u(CKA_CLASS, CKO_PRIVATE_KEY), u(CKA_KEY_TYPE, CKK_EC)]
        )),
        "template_inconsistent"
    );
    // Parameters: SHA-224 (not offered), a mismatched MGF, none at all.
    for mech in [
        oaep(
            cryptoki_sys::CKM_SHA224 as u64,
            cryptoki_sys::CKG_MGF1_SHA224 as u64,
        ),
        oaep(CKM_SHA256, CKG_MGF1_SHA1),
        m(CKM_RSA_PKCS_OAEP),
    ] {
        assert_eq!(
            code(do_wrap(&svc, &c, mech, wpub, &t128)),
            "mechanism_param_invalid"
        );
    }
    // R10: RSA-2048 (112 bits) cannot wrap AES-128.
    let weak = pair(
        &svc,
        &c,
        vec![
            u(CKA_MODULUS_BITS, 2048),
            b(CKA_WRAP, true),
            b(CKA_ENCRYPT, false),
        ],
        vec![b(CKA_UNWRAP, true), b(CKA_DECRYPT, false)],
    );
    assert_eq!(
        code(do_wrap(&svc, &c, sha256(), &weak.public.id, &t128)),
        "key_size_range"
    );
    // T2 / R1 across the pair: a pair whose public half wraps while its private half decrypts,
    // or whose private half unwraps while its public half encrypts, is refused at generation.
    for (public, private) in [
        (b(CKA_WRAP, true), b(CKA_DECRYPT, true)),
        (b(CKA_ENCRYPT, true), b(CKA_UNWRAP, true)),
    ] {
        assert_eq!(
            code(try_pair(
                &svc,
                &c,
                vec![u(CKA_MODULUS_BITS, 3072), public],
                vec![private],
            )),
            "template_inconsistent"
        );
    }
    // A pair that asks for transport only gets no encryption or decryption by default.
    let t2 = pair(
        &svc,
        &c,
        vec![u(CKA_MODULUS_BITS, 3072), b(CKA_WRAP, true)],
        vec![b(CKA_UNWRAP, true)],
    );
    assert_eq!(flag(&t2.public, CKA_ENCRYPT), Some(false));
    assert_eq!(flag(&t2.private, CKA_DECRYPT), Some(false));
}
