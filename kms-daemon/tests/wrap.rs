//! Service tests of C_WrapKey and C_UnwrapKey with AES key wrap (KW, KWP) and their refusals
//! (spec-checklist S16, S17; security T1, T6–T13, T18 and rules R1, R3, R5–R11).

mod common;

use common::service::*;
use kms_api::msg::CryptoRequest;
use kms_api::{Attr, AttrValue, MechParams, Mechanism, SecretBytes};
use kms_daemon::audit;
use kms_daemon::auth::Caller;
use kms_daemon::ck::*;
use kms_daemon::keys::copy;
use kms_daemon::keys::usage;
use kms_daemon::model::op::Op;

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
    // T1 / R1: a wrapping key that would also decrypt is refused at generation.
    assert_eq!(
        code(aes(
            &svc,
            &c,
            32,
            vec![b(CKA_WRAP, true), b(CKA_DECRYPT, true)]
        )),
        "template_inconsistent"
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
    // The unwrapping key: no UNWRAP; UNWRAP together with ENCRYPT (R1, refused at generation).
    let no_unwrap = aes(&svc, &c, 32, vec![b(CKA_WRAP, true), b(CKA_UNWRAP, false)])
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
    assert_eq!(
        code(aes(
            &svc,
            &c,
            32,
            vec![b(CKA_UNWRAP, true), b(CKA_ENCRYPT, true)]
        )),
        "template_inconsistent"
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

fn tmpl(ty: u64, attrs: Vec<Attr>) -> Attr {
    Attr {
        ty,
        value: AttrValue::Template(attrs),
    }
}

/// CKA_WRAP_TEMPLATE bounds what a key may wrap; CKA_UNWRAP_TEMPLATE is what every key it
/// unwraps gets, and is the only way such a key may come out weaker (SENSITIVE=F,
/// EXTRACTABLE=T: security R6, T18); a conflict is `template_inconsistent`.
#[test]
fn wrap_and_unwrap_templates_bound_what_a_key_wraps_and_what_its_keys_get() {
    let (_dir, svc, c) = setup();
    let roles = || {
        vec![
            b(CKA_WRAP, true),
            b(CKA_UNWRAP, true),
            b(CKA_ENCRYPT, false),
            b(CKA_DECRYPT, false),
        ]
    };
    let mut with_templates = roles();
    with_templates.push(tmpl(CKA_WRAP_TEMPLATE, vec![by(CKA_ID, b"exportable")]));
    with_templates.push(tmpl(
        CKA_UNWRAP_TEMPLATE,
        vec![
            b(CKA_SENSITIVE, false),
            b(CKA_EXTRACTABLE, true),
            by(CKA_LABEL, b"from-kek"),
        ],
    ));
    let kek_t = aes(&svc, &c, 32, with_templates).unwrap();
    assert_eq!(
        value(&kek_t, CKA_WRAP_TEMPLATE),
        Some(&AttrValue::Template(vec![by(CKA_ID, b"exportable")]))
    );
    let kw = || m(CKM_AES_KEY_WRAP_KWP);
    let exportable = aes(
        &svc,
        &c,
        32,
        vec![b(CKA_EXTRACTABLE, true), by(CKA_ID, b"exportable")],
    )
    .unwrap();
    let other = aes(
        &svc,
        &c,
        32,
        vec![b(CKA_EXTRACTABLE, true), by(CKA_ID, b"x")],
    )
    .unwrap();

    let blob = do_wrap(&svc, &c, kw(), &kek_t.id, &exportable.id).unwrap();
    assert_eq!(
        code(do_wrap(&svc, &c, kw(), &kek_t.id, &other.id)),
        "key_unextractable"
    );

    let mut weaker = secret_template();
    weaker.push(b(CKA_SENSITIVE, false));
    let new = do_unwrap(&svc, &c, kw(), &kek_t.id, &blob, weaker.clone()).unwrap();
    assert_eq!(flag(&new, CKA_SENSITIVE), Some(false));
    assert_eq!(flag(&new, CKA_EXTRACTABLE), Some(true));
    assert_eq!(bytes(&new, CKA_LABEL), b"from-kek");
    assert_eq!(
        fingerprint(&svc, &c, &new.id),
        fingerprint(&svc, &c, &exportable.id)
    );
    let mut contradicting = secret_template();
    contradicting.push(by(CKA_LABEL, b"mine"));
    assert_eq!(
        code(do_unwrap(&svc, &c, kw(), &kek_t.id, &blob, contradicting)),
        "template_inconsistent"
    );

    // A key without an unwrap template makes only strong keys (T18).
    let plain = kek(&svc, &c, 32);
    let blob = do_wrap(&svc, &c, kw(), &plain, &exportable.id).unwrap();
    assert_eq!(
        code(do_unwrap(&svc, &c, kw(), &plain, &blob, weaker)),
        "template_inconsistent"
    );
    assert_eq!(
        code(do_unwrap(&svc, &c, kw(), &plain, &blob, secret_template())),
        "ok"
    );

    // Templates hold plain values, once each, on the classes that have them (T24).
    for bad in [
        tmpl(
            CKA_UNWRAP_TEMPLATE,
            vec![tmpl(CKA_WRAP_TEMPLATE, vec![b(CKA_TOKEN, true)])],
        ),
        tmpl(
            CKA_UNWRAP_TEMPLATE,
            vec![b(CKA_TOKEN, true), b(CKA_TOKEN, false)],
        ),
        tmpl(CKA_WRAP_TEMPLATE, vec![u(CKA_TOKEN, 1)]),
        tmpl(CKA_WRAP_TEMPLATE, vec![u(0x7fff_0000, 1)]),
    ] {
        let mut t = roles();
        t.push(bad.clone());
        assert_eq!(
            code(aes(&svc, &c, 32, t)),
            "attribute_value_invalid",
            "{bad:?}"
        );
    }
    assert_eq!(
        svc.store.read(audit::verify).unwrap(),
        audit::Verdict::Ok {
            records: svc.store.read(audit::records).unwrap().len()
        }
    );
}
