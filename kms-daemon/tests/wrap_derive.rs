//! Service tests of C_WrapKey, C_UnwrapKey, C_DeriveKey and private-key import (spec-checklist
//! S16–S18; security T1, T2, T6–T11, T13, T15–T18 and rules R1, R5–R13).

use aws_lc_rs::digest;
use aws_lc_rs::encoding::{AsBigEndian, AsDer};
use aws_lc_rs::signature::{self, EcdsaKeyPair, ParsedPublicKey};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kms_api::msg::{
    CryptoRequest, DeriveRequest, GenerateKeyPairRequest, GenerateKeyRequest, KeyPairInfo,
    LoginRequest, ObjectInfo, UnwrapRequest, UserType, WrapRequest,
};
use kms_api::{Attr, AttrValue, Bytes, MechParams, Mechanism, SecretBytes};
use kms_daemon::auth::{session, Caller};
use kms_daemon::ck::*;
use kms_daemon::config::AuthConfig;
use kms_daemon::crypto::ec::Curve;
use kms_daemon::keys::usage::{self, Op};
use kms_daemon::keys::{copy, create, derive, generate, wrap};
use kms_daemon::state::Services;
use kms_daemon::store::Store;
use kms_daemon::vault::Vault;
use kms_daemon::{audit, Error};
use zeroize::Zeroizing;

fn setup() -> (tempfile::TempDir, Services, Caller) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(&dir.path().join("kms.db")).unwrap();
    session::create_token(&store, "t", b"1234", b"5678").unwrap();
    let svc = Services {
        store,
        vault: Vault::from_master_key(&[5u8; 32]).unwrap(),
        auth: AuthConfig::default(),
    };
    let mut caller = Caller {
        identity: "CN=a".into(),
        request_id: "r".into(),
        instance: Some("inst-1".into()),
        bearer: None,
    };
    let login = session::login(
        &svc,
        &caller,
        "t",
        &LoginRequest {
            user_type: UserType::User,
            pin: SecretBytes::from(&b"1234"[..]),
        },
    )
    .unwrap();
    caller.bearer = Some(Zeroizing::new(STANDARD.encode(login.session.as_ref())));
    (dir, svc, caller)
}

fn b(ty: u64, v: bool) -> Attr {
    Attr {
        ty,
        value: AttrValue::Bool(v),
    }
}
fn u(ty: u64, v: u64) -> Attr {
    Attr {
        ty,
        value: AttrValue::Ulong(v),
    }
}
fn by(ty: u64, v: &[u8]) -> Attr {
    Attr {
        ty,
        value: AttrValue::Bytes(Bytes(v.to_vec())),
    }
}

fn value(info: &ObjectInfo, ty: u64) -> Option<&AttrValue> {
    info.attrs.iter().find(|a| a.ty == ty).map(|a| &a.value)
}
fn flag(info: &ObjectInfo, ty: u64) -> Option<bool> {
    value(info, ty).and_then(AttrValue::as_bool)
}
fn bytes(info: &ObjectInfo, ty: u64) -> Vec<u8> {
    value(info, ty)
        .and_then(AttrValue::as_bytes)
        .unwrap()
        .to_vec()
}

/// The stable code of a result: "ok" or the error's wire code.
fn code<T>(r: Result<T, Error>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => e.code_str(),
    }
}

fn aes(svc: &Services, c: &Caller, len: u64, extra: Vec<Attr>) -> Result<ObjectInfo, Error> {
    let mut template = vec![u(CKA_VALUE_LEN, len)];
    template.extend(extra);
    generate::generate_key(
        svc,
        c,
        "t",
        &GenerateKeyRequest {
            mechanism: Mechanism::new(CKM_AES_KEY_GEN),
            template,
        },
    )
}

/// A wrapping/unwrapping AES key: WRAP and UNWRAP, neither ENCRYPT nor DECRYPT (R1).
fn kek(svc: &Services, c: &Caller, len: u64) -> String {
    aes(
        svc,
        c,
        len,
        vec![
            b(CKA_WRAP, true),
            b(CKA_UNWRAP, true),
            b(CKA_ENCRYPT, false),
            b(CKA_DECRYPT, false),
        ],
    )
    .unwrap()
    .id
}

fn pair(
    svc: &Services,
    c: &Caller,
    public_template: Vec<Attr>,
    private_template: Vec<Attr>,
) -> KeyPairInfo {
    let ec = public_template.iter().any(|a| a.ty == CKA_EC_PARAMS);
    let mech = if ec {
        CKM_EC_KEY_PAIR_GEN
    } else {
        CKM_RSA_PKCS_KEY_PAIR_GEN
    };
    generate::generate_pair(
        svc,
        c,
        "t",
        &GenerateKeyPairRequest {
            mechanism: Mechanism::new(mech),
            public_template,
            private_template,
        },
    )
    .unwrap()
}

fn ec_pair(svc: &Services, c: &Caller, curve: Curve, private_template: Vec<Attr>) -> KeyPairInfo {
    pair(
        svc,
        c,
        vec![by(CKA_EC_PARAMS, curve.params())],
        private_template,
    )
}

fn do_wrap(
    svc: &Services,
    c: &Caller,
    mechanism: Mechanism,
    wrapping_key: &str,
    key: &str,
) -> Result<Vec<u8>, Error> {
    wrap::wrap_key(
        svc,
        c,
        "t",
        &WrapRequest {
            mechanism,
            wrapping_key: wrapping_key.into(),
            key: key.into(),
        },
    )
    .map(|r| r.data.0)
}

fn do_unwrap(
    svc: &Services,
    c: &Caller,
    mechanism: Mechanism,
    unwrapping_key: &str,
    wrapped: &[u8],
    template: Vec<Attr>,
) -> Result<ObjectInfo, Error> {
    wrap::unwrap_key(
        svc,
        c,
        "t",
        &UnwrapRequest {
            mechanism,
            unwrapping_key: unwrapping_key.into(),
            wrapped: Bytes(wrapped.to_vec()),
            template,
        },
    )
}

fn secret_template() -> Vec<Attr> {
    vec![u(CKA_CLASS, CKO_SECRET_KEY), u(CKA_KEY_TYPE, CKK_AES)]
}

fn m(mech: u64) -> Mechanism {
    Mechanism::new(mech)
}

fn oaep(hash: u64, mgf: u64) -> Mechanism {
    Mechanism {
        mechanism: CKM_RSA_PKCS_OAEP,
        params: MechParams::Oaep {
            hash,
            mgf,
            label: Bytes::default(),
        },
    }
}

/// AES-GCM encryption of a fixed block under a fixed IV: equal outputs mean equal keys.
fn fingerprint(svc: &Services, c: &Caller, id: &str) -> Vec<u8> {
    let req = CryptoRequest {
        mechanism: Mechanism {
            mechanism: CKM_AES_GCM,
            params: MechParams::Gcm {
                iv: vec![7u8; 12].into(),
                aad: Bytes::default(),
                tag_bits: 128,
            },
        },
        data: SecretBytes::from(&[0x11u8; 16][..]),
    };
    usage::run(svc, c, "t", id, Op::Encrypt, &req)
        .unwrap()
        .data
        .as_ref()
        .to_vec()
}

fn last_audit(svc: &Services) -> audit::Event {
    svc.store.read(audit::records).unwrap().pop().unwrap().event
}

#[test]
fn aes_key_wrap_round_trips_and_unwrapped_keys_are_not_local() {
    let (_dir, svc, c) = setup();
    let k = kek(&svc, &c, 32);
    let target = aes(&svc, &c, 32, vec![b(CKA_EXTRACTABLE, true)]).unwrap();
    for (mech, len) in [(CKM_AES_KEY_WRAP, 40), (CKM_AES_KEY_WRAP_KWP, 40)] {
        let blob = do_wrap(&svc, &c, m(mech), &k, &target.id).unwrap();
        assert_eq!(blob.len(), len);
        let ev = last_audit(&svc);
        assert_eq!(
            (ev.action.as_str(), ev.outcome.as_str()),
            ("key.wrap", "ok")
        );
        assert_eq!(ev.object_id.as_deref(), Some(target.id.as_str()));
        assert_eq!(ev.detail, Some(format!("wrapping_key={k}")));

        let new = do_unwrap(&svc, &c, m(mech), &k, &blob, secret_template()).unwrap();
        let ev = last_audit(&svc);
        assert_eq!(
            (ev.action.as_str(), ev.outcome.as_str()),
            ("key.unwrap", "ok")
        );
        assert_eq!(ev.object_id.as_deref(), Some(new.id.as_str()));
        assert_eq!(ev.detail, Some(format!("unwrapping_key={k}")));
        assert_eq!(
            fingerprint(&svc, &c, &new.id),
            fingerprint(&svc, &c, &target.id)
        );
        assert_eq!(flag(&new, CKA_LOCAL), Some(false));
        assert_eq!(flag(&new, CKA_ALWAYS_SENSITIVE), Some(false));
        assert_eq!(flag(&new, CKA_NEVER_EXTRACTABLE), Some(false));
        assert_eq!(flag(&new, CKA_SENSITIVE), Some(true));
        assert_eq!(flag(&new, CKA_EXTRACTABLE), Some(false));
        assert_eq!(flag(&new, CKA_WRAP), Some(false));
        assert_eq!(flag(&new, CKA_UNWRAP), Some(false));
        assert_eq!(value(&new, CKA_VALUE_LEN), Some(&AttrValue::Ulong(32)));
        assert!(value(&new, CKA_VALUE).is_none());
        assert_eq!(new.sensitive, vec![CKA_VALUE]);
    }
    // The unwrapped key is not extractable: wrapping it again is refused.
    let blob = do_wrap(&svc, &c, m(CKM_AES_KEY_WRAP), &k, &target.id).unwrap();
    let again = do_unwrap(&svc, &c, m(CKM_AES_KEY_WRAP), &k, &blob, secret_template()).unwrap();
    assert_eq!(
        code(do_wrap(&svc, &c, m(CKM_AES_KEY_WRAP), &k, &again.id)),
        "key_unextractable"
    );
    // A 128-bit key wraps under KW into 24 bytes; the template's VALUE_LEN must match the blob.
    let small = aes(&svc, &c, 16, vec![b(CKA_EXTRACTABLE, true)]).unwrap();
    let blob16 = do_wrap(&svc, &c, m(CKM_AES_KEY_WRAP), &k, &small.id).unwrap();
    assert_eq!(blob16.len(), 24);
    let mut t = secret_template();
    t.push(u(CKA_VALUE_LEN, 32));
    assert_eq!(
        code(do_unwrap(&svc, &c, m(CKM_AES_KEY_WRAP), &k, &blob16, t)),
        "encrypted_data_invalid"
    );
    assert_eq!(
        svc.store.read(audit::verify).unwrap(),
        audit::Verdict::Ok {
            records: svc.store.read(audit::records).unwrap().len()
        }
    );
}

#[test]
fn wrap_refusals_t1_t7_t9_t10_t11_t12() {
    let (_dir, svc, c) = setup();
    let k = kek(&svc, &c, 32);
    let target = aes(&svc, &c, 32, vec![b(CKA_EXTRACTABLE, true)])
        .unwrap()
        .id;
    let kw = || m(CKM_AES_KEY_WRAP);

    // R9 / T12 / T13: only AES-KW/KWP and RSA-OAEP transport keys.
    for mech in [
        CKM_AES_CBC_PAD,
        CKM_AES_ECB,
        CKM_RSA_PKCS,
        CKM_AES_GCM,
        CKM_ECDH1_DERIVE,
    ] {
        assert_eq!(
            code(do_wrap(&svc, &c, m(mech), &k, &target)),
            "mechanism_invalid",
            "{mech:#x}"
        );
    }
    // The target is unextractable (R3 default).
    let locked = aes(&svc, &c, 32, vec![]).unwrap().id;
    assert_eq!(
        code(do_wrap(&svc, &c, kw(), &k, &locked)),
        "key_unextractable"
    );
    let ev = last_audit(&svc);
    assert_eq!(
        (
            ev.action.as_str(),
            ev.outcome.as_str(),
            ev.object_id.as_deref()
        ),
        ("key.wrap", "key_unextractable", Some(locked.as_str()))
    );
    // No CKA_WRAP.
    let plain = aes(&svc, &c, 32, vec![]).unwrap().id;
    assert_eq!(
        code(do_wrap(&svc, &c, kw(), &plain, &target)),
        "key_function_not_permitted"
    );
    // T1 / R1: a wrapping key that can also decrypt (accepted at generation, refused at use).
    let wd = aes(&svc, &c, 32, vec![b(CKA_WRAP, true)]).unwrap().id;
    assert_eq!(
        code(do_wrap(&svc, &c, kw(), &wd, &target)),
        "key_unextractable"
    );
    // T7 / R7: self-wrap, and wrapping a copy that has the wrapping key's value.
    let selfish = aes(
        &svc,
        &c,
        32,
        vec![
            b(CKA_WRAP, true),
            b(CKA_DECRYPT, false),
            b(CKA_EXTRACTABLE, true),
        ],
    )
    .unwrap()
    .id;
    assert_eq!(
        code(do_wrap(&svc, &c, kw(), &selfish, &selfish)),
        "key_unextractable"
    );
    let twin = copy::copy_object(&svc, &c, "t", &selfish, &[]).unwrap().id;
    assert_eq!(
        code(do_wrap(&svc, &c, kw(), &selfish, &twin)),
        "key_unextractable"
    );
    // R10 / T11: AES-128 cannot wrap AES-256; AES-192 is not a key-wrap key here.
    let k128 = kek(&svc, &c, 16);
    assert_eq!(
        code(do_wrap(&svc, &c, kw(), &k128, &target)),
        "key_size_range"
    );
    let t128 = aes(&svc, &c, 16, vec![b(CKA_EXTRACTABLE, true)])
        .unwrap()
        .id;
    assert_eq!(code(do_wrap(&svc, &c, kw(), &k128, &t128)), "ok");
    let k192 = kek(&svc, &c, 24);
    assert_eq!(
        code(do_wrap(&svc, &c, kw(), &k192, &t128)),
        "key_size_range"
    );
    // R8 / T10: a WRAP_WITH_TRUSTED target needs a trusted wrapping key (none is trusted).
    let guarded = aes(
        &svc,
        &c,
        16,
        vec![b(CKA_EXTRACTABLE, true), b(CKA_WRAP_WITH_TRUSTED, true)],
    )
    .unwrap()
    .id;
    assert_eq!(
        code(do_wrap(&svc, &c, kw(), &k, &guarded)),
        "key_unextractable"
    );
    // Wrong type of wrapping key: an AES key for OAEP, an RSA public key for AES-KW.
    assert_eq!(
        code(do_wrap(
            &svc,
            &c,
            oaep(CKM_SHA256, CKG_MGF1_SHA256),
            &k,
            &target
        )),
        "key_type_inconsistent"
    );
    let rsa = pair(
        &svc,
        &c,
        vec![
            u(CKA_MODULUS_BITS, 2048),
            b(CKA_WRAP, true),
            b(CKA_ENCRYPT, false),
        ],
        vec![b(CKA_DECRYPT, false), b(CKA_UNWRAP, true)],
    );
    assert_eq!(
        code(do_wrap(&svc, &c, kw(), &rsa.public.id, &target)),
        "key_type_inconsistent"
    );
    // CKA_ALLOWED_MECHANISMS of the wrapping key.
    let only_kwp = aes(
        &svc,
        &c,
        32,
        vec![
            b(CKA_WRAP, true),
            b(CKA_DECRYPT, false),
            Attr {
                ty: CKA_ALLOWED_MECHANISMS,
                value: AttrValue::UlongList(vec![CKM_AES_KEY_WRAP_KWP]),
            },
        ],
    )
    .unwrap()
    .id;
    assert_eq!(
        code(do_wrap(&svc, &c, kw(), &only_kwp, &target)),
        "mechanism_invalid"
    );
    assert_eq!(
        code(do_wrap(
            &svc,
            &c,
            m(CKM_AES_KEY_WRAP_KWP),
            &only_kwp,
            &target
        )),
        "ok"
    );
    // A parameter on AES-KW other than the default IV.
    let with_iv = Mechanism {
        mechanism: CKM_AES_KEY_WRAP,
        params: MechParams::Iv(vec![0xa6; 8].into()),
    };
    assert_eq!(
        code(do_wrap(&svc, &c, with_iv, &k, &target)),
        "mechanism_param_invalid"
    );
    // Without a login; unknown ids.
    let anon = Caller {
        bearer: None,
        ..c.clone()
    };
    assert_eq!(
        code(do_wrap(&svc, &anon, kw(), &k, &target)),
        "user_not_logged_in"
    );
    assert_eq!(
        code(do_wrap(&svc, &c, kw(), &k, "00ff")),
        "object_not_found"
    );
    assert_eq!(
        code(do_wrap(&svc, &c, kw(), &k, "../\u{0}etc")),
        "object_not_found"
    );
    // The key-wrap mechanisms are not ciphers, and ECDH is not a signature.
    let as_cipher = CryptoRequest {
        mechanism: m(CKM_AES_KEY_WRAP),
        data: SecretBytes::from(&[0u8; 16][..]),
    };
    assert_eq!(
        code(usage::run(&svc, &c, "t", &target, Op::Encrypt, &as_cipher)),
        "mechanism_invalid"
    );
    assert_eq!(
        code(usage::run(&svc, &c, "t", &k, Op::Decrypt, &as_cipher)),
        "mechanism_invalid"
    );
    assert_eq!(
        code(usage::run(&svc, &c, "t", &target, Op::Wrap, &as_cipher)),
        "mechanism_invalid"
    );
    assert_eq!(
        svc.store.read(audit::verify).unwrap(),
        audit::Verdict::Ok {
            records: svc.store.read(audit::records).unwrap().len()
        }
    );
}

#[test]
fn unwrap_refusals_t6_t8_t18() {
    let (_dir, svc, c) = setup();
    let k = kek(&svc, &c, 32);
    let target = aes(&svc, &c, 32, vec![b(CKA_EXTRACTABLE, true)])
        .unwrap()
        .id;
    let kw = || m(CKM_AES_KEY_WRAP);
    let blob = do_wrap(&svc, &c, kw(), &k, &target).unwrap();
    let with = |extra: Vec<Attr>| {
        let mut t = secret_template();
        t.extend(extra);
        do_unwrap(&svc, &c, kw(), &k, &blob, t)
    };
    // R6 / T18: only stronger; R5 / T6, T8: never WRAP or UNWRAP; R1 pairs.
    for extra in [
        vec![b(CKA_SENSITIVE, false)],
        vec![b(CKA_EXTRACTABLE, true)],
        vec![b(CKA_WRAP, true), b(CKA_DECRYPT, false)],
        vec![b(CKA_UNWRAP, true), b(CKA_ENCRYPT, false)],
        vec![b(CKA_WRAP, true)],
    ] {
        assert_eq!(
            code(with(extra.clone())),
            "template_inconsistent",
            "{extra:?}"
        );
    }
    let ev = last_audit(&svc);
    assert_eq!(
        (
            ev.action.as_str(),
            ev.outcome.as_str(),
            ev.object_id.as_deref()
        ),
        ("key.unwrap", "template_inconsistent", Some(k.as_str()))
    );
    assert_eq!(
        code(with(vec![b(CKA_ALWAYS_SENSITIVE, true)])),
        "attribute_read_only"
    );
    assert_eq!(
        code(with(vec![by(CKA_VALUE, &[0u8; 32])])),
        "attribute_read_only"
    );
    // Strengthening is fine.
    assert_eq!(
        code(with(vec![
            b(CKA_SENSITIVE, true),
            b(CKA_EXTRACTABLE, false)
        ])),
        "ok"
    );
    // Generic secrets and missing class/type.
    assert_eq!(
        code(do_unwrap(
            &svc,
            &c,
            kw(),
            &k,
            &blob,
            vec![
                u(CKA_CLASS, CKO_SECRET_KEY),
                u(CKA_KEY_TYPE, CKK_GENERIC_SECRET)
            ]
        )),
        "template_inconsistent"
    );
    assert_eq!(
        code(do_unwrap(
            &svc,
            &c,
            kw(),
            &k,
            &blob,
            vec![u(CKA_CLASS, CKO_SECRET_KEY)]
        )),
        "template_incomplete"
    );
    // R11: a tampered blob, another key's blob, a blob of the wrong mechanism: one code.
    let mut bad = blob.clone();
    bad[20] ^= 1;
    let other = kek(&svc, &c, 32);
    let kwp_blob = do_wrap(&svc, &c, m(CKM_AES_KEY_WRAP_KWP), &k, &target).unwrap();
    for (unwrapping, data, mech) in [
        (&k, &bad, kw()),
        (&other, &blob, kw()),
        (&k, &kwp_blob, kw()),
        (&k, &blob, m(CKM_AES_KEY_WRAP_KWP)),
    ] {
        assert_eq!(
            code(do_unwrap(
                &svc,
                &c,
                mech,
                unwrapping,
                data,
                secret_template()
            )),
            "encrypted_data_invalid"
        );
    }
    // Lengths are public: not a multiple of 8, or too short.
    for len in [39usize, 16, 0] {
        assert_eq!(
            code(do_unwrap(
                &svc,
                &c,
                kw(),
                &k,
                &blob[..len],
                secret_template()
            )),
            "encrypted_data_len_range",
            "{len}"
        );
    }
    // The unwrapping key: no UNWRAP; UNWRAP together with ENCRYPT (R1, refused at use).
    let no_unwrap = aes(&svc, &c, 32, vec![b(CKA_WRAP, true), b(CKA_DECRYPT, false)])
        .unwrap()
        .id;
    assert_eq!(
        code(do_unwrap(
            &svc,
            &c,
            kw(),
            &no_unwrap,
            &blob,
            secret_template()
        )),
        "key_function_not_permitted"
    );
    let ue = aes(&svc, &c, 32, vec![b(CKA_UNWRAP, true)]).unwrap().id;
    assert_eq!(
        code(do_unwrap(&svc, &c, kw(), &ue, &blob, secret_template())),
        "key_function_not_permitted"
    );
    // Legacy transport mechanisms.
    for mech in [CKM_RSA_PKCS, CKM_AES_CBC_PAD, CKM_AES_ECB] {
        assert_eq!(
            code(do_unwrap(&svc, &c, m(mech), &k, &blob, secret_template())),
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

fn ec_sign_verify(svc: &Services, c: &Caller, id: &str, curve: Curve, spki: &[u8]) {
    let msg = b"unwrapped key signs";
    let (dalg, vfy, mech): (_, &'static signature::EcdsaVerificationAlgorithm, _) = match curve {
        Curve::P256 => (
            &digest::SHA256,
            &signature::ECDSA_P256_SHA256_FIXED,
            CKM_ECDSA_SHA256,
        ),
        Curve::P384 => (
            &digest::SHA384,
            &signature::ECDSA_P384_SHA384_FIXED,
            CKM_ECDSA_SHA384,
        ),
    };
    let d = digest::digest(dalg, msg);
    let req = CryptoRequest {
        mechanism: m(mech),
        data: SecretBytes::from(d.as_ref()),
    };
    let sig = usage::run(svc, c, "t", id, Op::Sign, &req).unwrap();
    ParsedPublicKey::new(vfy, spki)
        .unwrap()
        .verify_sig(msg, sig.data.as_ref())
        .unwrap();
}

fn rsa_sign_verify(svc: &Services, c: &Caller, id: &str, spki: &[u8]) {
    let msg = b"rsa key signs";
    let d = digest::digest(&digest::SHA256, msg);
    let req = CryptoRequest {
        mechanism: m(CKM_SHA256_RSA_PKCS),
        data: SecretBytes::from(d.as_ref()),
    };
    let sig = usage::run(svc, c, "t", id, Op::Sign, &req).unwrap();
    ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, spki)
        .unwrap()
        .verify_sig(msg, sig.data.as_ref())
        .unwrap();
}

#[test]
fn private_keys_travel_as_pkcs8_under_kwp() {
    let (_dir, svc, c) = setup();
    let k = kek(&svc, &c, 32);
    let kwp = || m(CKM_AES_KEY_WRAP_KWP);
    for curve in [Curve::P256, Curve::P384] {
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
            Curve::P384 => Curve::P256,
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
    for mech in [sha256(), oaep(CKM_SHA_1, CKG_MGF1_SHA1)] {
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
    // Parameters: SHA-512, a mismatched MGF, none at all.
    for mech in [
        oaep(CKM_SHA512, CKG_MGF1_SHA512),
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
    // T2 / R1 across the pair: the private half decrypts (the default) → the public key
    // may not wrap; the public half encrypts (the default) → the private key may not unwrap.
    let t2 = pair(
        &svc,
        &c,
        vec![u(CKA_MODULUS_BITS, 3072), b(CKA_WRAP, true)],
        vec![b(CKA_UNWRAP, true)],
    );
    assert_eq!(
        code(do_wrap(&svc, &c, sha256(), &t2.public.id, &t128)),
        "key_unextractable"
    );
    assert_eq!(
        code(do_unwrap(
            &svc,
            &c,
            sha256(),
            &t2.private.id,
            &blob,
            secret_template()
        )),
        "key_function_not_permitted"
    );
}

fn ecdh(kdf: u64, shared: &[u8], public_data: &[u8]) -> Mechanism {
    Mechanism {
        mechanism: CKM_ECDH1_DERIVE,
        params: MechParams::Ecdh {
            kdf,
            shared_data: Bytes(shared.to_vec()),
            public_data: Bytes(public_data.to_vec()),
        },
    }
}

fn do_derive(
    svc: &Services,
    c: &Caller,
    mechanism: Mechanism,
    base: &str,
    template: Vec<Attr>,
) -> Result<ObjectInfo, Error> {
    derive::derive_key(
        svc,
        c,
        "t",
        &DeriveRequest {
            mechanism,
            base_key: base.into(),
            template,
        },
    )
}

fn aes_template(len: u64) -> Vec<Attr> {
    vec![
        u(CKA_CLASS, CKO_SECRET_KEY),
        u(CKA_KEY_TYPE, CKK_AES),
        u(CKA_VALUE_LEN, len),
    ]
}

#[test]
fn ecdh_gives_both_parties_the_same_key() {
    let (_dir, svc, c) = setup();
    for curve in [Curve::P256, Curve::P384] {
        let a = ec_pair(&svc, &c, curve, vec![b(CKA_DERIVE, true)]);
        let bb = ec_pair(
            &svc,
            &c,
            curve,
            vec![b(CKA_DERIVE, true), b(CKA_EXTRACTABLE, true)],
        );
        let point_a = bytes(&a.public, CKA_EC_POINT); // DER OCTET STRING
        let point_b_raw = bytes(&bb.public, CKA_EC_POINT)[2..].to_vec(); // raw 04‖X‖Y
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
    let db = std::fs::read(dir.path().join("kms.db")).unwrap();
    let wal = std::fs::read(dir.path().join("kms.db-wal")).unwrap_or_default();
    for secret in [&ints[3], &ints[4], &ints[8], &scalar] {
        let b64 = STANDARD.encode(secret);
        for hay in [&db, &wal] {
            assert!(!hay.windows(16).any(|w| w == &secret[..16]));
            assert!(!hay.windows(24).any(|w| w == &b64.as_bytes()[..24]));
        }
    }
}
