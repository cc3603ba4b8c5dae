//! The key-extraction and abuse sequences T1–T24 of `docs/security-model.md`, sent as raw HTTPS
//! requests to a real kmsd: a client that bypasses the module gets the same refusals. Each test
//! plants known key values and ends by scanning every byte kmsd returned for them, in clear, in
//! base64 and wrapped under every key the attacker knows.

mod common;

use common::attacker::*;
use common::*;
use kms_daemon::ck::*;
use serde_json::{json, Value};

const KWP: u64 = CKM_AES_KEY_WRAP_KWP;
/// Legacy and leaky mechanisms kmsd does not implement (PKCS#11 v3.0 values).
const CKM_DES_KEY_GEN: u64 = 0x120;
const CKM_DES2_KEY_GEN: u64 = 0x130;
const CKM_DES3_KEY_GEN: u64 = 0x131;
const CKM_DES3_ECB: u64 = 0x132;
const CKM_CONCATENATE_BASE_AND_KEY: u64 = 0x360;
const CKM_CONCATENATE_BASE_AND_DATA: u64 = 0x362;
const CKM_XOR_BASE_AND_DATA: u64 = 0x364;
const CKM_EXTRACT_KEY_FROM_KEY: u64 = 0x365;

fn started() -> (tempfile::TempDir, Kmsd, Attacker) {
    let dir = tempfile::tempdir().unwrap();
    let d = Kmsd::start_in(dir.path());
    let a = Attacker::logged_in(&d, Some("attacker"));
    (dir, d, a)
}

/// A generated transport key: WRAP and UNWRAP, no ENCRYPT/DECRYPT, 256 bits.
fn transport_key(a: &Attacker) -> String {
    id(&ok(&a.generate_aes(
        32,
        vec![
            flag(CKA_WRAP, true),
            flag(CKA_UNWRAP, true),
            flag(CKA_ENCRYPT, false),
            flag(CKA_DECRYPT, false),
        ],
    )))
}

fn rsa_pair(a: &Attacker, bits: u64, public: Vec<Value>, private: Vec<Value>) -> Response {
    let mut pt = vec![a_ulong(CKA_MODULUS_BITS, bits)];
    pt.extend(public);
    a.call(
        "POST",
        "keys/generate-pair",
        json!({"mechanism": mech(CKM_RSA_PKCS_KEY_PAIR_GEN),
               "public_template": pt, "private_template": private}),
    )
}

fn oaep() -> Value {
    json!({"mechanism": CKM_RSA_PKCS_OAEP,
           "params": {"oaep": {"hash": CKM_SHA256, "mgf": CKG_MGF1_SHA256, "label": ""}}})
}

fn gcm() -> Value {
    json!({"mechanism": CKM_AES_GCM,
           "params": {"gcm": {"iv": b64(&[7u8; 12]), "aad": "", "tag_bits": 128}}})
}

#[test]
fn wrap_based_extraction_t1_t2_t6_t7_t8_t9_t10_t11_t12() {
    let (_dir, mut d, mut a) = started();
    let k1 = a.import_secret(&[0xa1; 32], vec![flag(CKA_EXTRACTABLE, true)]);

    // T1: a key that both wraps and decrypts is refused at creation (R1); one that asks for
    // wrapping only gets no decryption by default, so what it wraps it cannot decrypt.
    let r = a.generate_aes(32, vec![flag(CKA_WRAP, true), flag(CKA_DECRYPT, true)]);
    refused(&r, 400, "template_inconsistent", "T1 generate");
    let k2 = id(&ok(&a.generate_aes(32, vec![flag(CKA_WRAP, true)])));
    let r = a.crypt("decrypt", &k2, gcm(), &[0u8; 48]);
    refused(&r, 403, "key_function_not_permitted", "T1 decrypt");

    // T2: a pair whose public half wraps and private half decrypts is refused at creation;
    // a transport pair's private half does not decrypt; PKCS#1 v1.5 wrap is off.
    let r = rsa_pair(
        &a,
        3072,
        vec![flag(CKA_WRAP, true), flag(CKA_ENCRYPT, false)],
        vec![flag(CKA_DECRYPT, true)],
    );
    refused(&r, 400, "template_inconsistent", "T2 generate");
    let pair = ok(&rsa_pair(&a, 3072, vec![flag(CKA_WRAP, true)], vec![]));
    let (pubk, privk) = (id(&pair["public"]), id(&pair["private"]));
    let r = a.wrap(mech(CKM_RSA_PKCS), &pubk, &k1);
    refused(&r, 400, "mechanism_invalid", "T2 RSA_PKCS");
    // RSA-3072 is as strong as AES-128 (R10): that is what it may wrap.
    let k16 = a.import_secret(&[0xa2; 16], vec![flag(CKA_EXTRACTABLE, true)]);
    let wrapped = ok(&a.wrap(oaep(), &pubk, &k16));
    let blob = unb64(&wrapped["data"]);
    let r = a.crypt("decrypt", &privk, oaep(), &blob);
    refused(&r, 403, "key_function_not_permitted", "T2 decrypt");

    // T6: UNWRAP+ENCRYPT (encrypting a chosen key, then unwrapping it) is refused at creation.
    let r = a.generate_aes(32, vec![flag(CKA_UNWRAP, true), flag(CKA_ENCRYPT, true)]);
    refused(&r, 400, "template_inconsistent", "T6 generate");
    let k6 = id(&ok(&a.generate_aes(32, vec![flag(CKA_UNWRAP, true)])));
    let r = a.crypt("encrypt", &k6, gcm(), &[0x33; 32]);
    refused(&r, 403, "key_function_not_permitted", "T6 encrypt");
    let r = a.set(&k6, vec![flag(CKA_ENCRYPT, true)]);
    refused(&r, 403, "attribute_read_only", "T6 set ENCRYPT");

    // T7: self-wrap of an extractable key, and gaining WRAP/UNWRAP later.
    let k7 = id(&ok(&a.generate_aes(32, vec![flag(CKA_EXTRACTABLE, true)])));
    for ty in [CKA_WRAP, CKA_UNWRAP, CKA_DECRYPT] {
        let r = a.set(&k7, vec![flag(ty, true)]);
        refused(&r, 403, "attribute_read_only", "T7 set {ty:#x}");
    }
    let self_wrapper = id(&ok(&a.generate_aes(
        32,
        vec![
            flag(CKA_EXTRACTABLE, true),
            flag(CKA_WRAP, true),
            flag(CKA_DECRYPT, false),
        ],
    )));
    let r = a.wrap(mech(KWP), &self_wrapper, &self_wrapper);
    refused(&r, 403, "key_unextractable", "T7 self-wrap");

    // T8: the same legitimate blob unwrapped twice with conflicting roles.
    let kw = transport_key(&a);
    let blob = super_blob(&a, &kw, &k1);
    for role in [CKA_WRAP, CKA_DECRYPT, CKA_UNWRAP] {
        let extra = if role == CKA_DECRYPT {
            vec![flag(role, true), flag(CKA_SENSITIVE, false)]
        } else {
            vec![flag(role, true)]
        };
        let r = a.unwrap(mech(KWP), &kw, &blob, extra);
        refused(&r, 400, "template_inconsistent", "T8 {role:#x}");
    }

    // T9: a trojan wrapping key of known value, secret or public.
    let trojan = [0x77u8; 32];
    a.knows(&trojan);
    let r = a.call(
        "POST",
        "objects",
        json!({"template": [a_ulong(CKA_CLASS, CKO_SECRET_KEY), a_ulong(CKA_KEY_TYPE, CKK_AES),
                            a_bytes(CKA_VALUE, &trojan), flag(CKA_WRAP, true)]}),
    );
    refused(&r, 400, "template_inconsistent", "T9 secret");
    let r = a.call(
        "POST",
        "objects",
        json!({"template": [a_ulong(CKA_CLASS, CKO_PUBLIC_KEY), a_ulong(CKA_KEY_TYPE, CKK_RSA),
                            a_bytes(CKA_MODULUS, &[0xc5; 256]),
                            a_bytes(CKA_PUBLIC_EXPONENT, &[1, 0, 1]), flag(CKA_WRAP, true)]}),
    );
    refused(&r, 400, "template_inconsistent", "T9 public");
    // The trojan without WRAP imports, and still cannot wrap.
    let tj = a.import_secret(&trojan, vec![]);
    let r = a.wrap(mech(KWP), &tj, &k1);
    refused(&r, 403, "key_function_not_permitted", "T9 use");

    // T10: a user may not make a trusted key, by creation or by change.
    let r = a.generate_aes(32, vec![flag(CKA_TRUSTED, true)]);
    refused(&r, 403, "attribute_read_only", "T10 create");
    let r = a.set(&k7, vec![flag(CKA_TRUSTED, true)]);
    refused(&r, 403, "attribute_read_only", "T10 set");
    // A WRAP_WITH_TRUSTED victim is never wrapped by an untrusted (every) transport key.
    let kt_victim = a.import_secret(
        &[0xa2; 32],
        vec![
            flag(CKA_EXTRACTABLE, true),
            flag(CKA_WRAP_WITH_TRUSTED, true),
        ],
    );
    let r = a.wrap(mech(KWP), &transport_key(&a), &kt_victim);
    refused(&r, 403, "key_unextractable", "T10 wrap");

    // T11: weaker wrapping keys (AES-128 over AES-256, RSA-2048 over AES-256); DES is gone.
    let weak = id(&ok(&a.generate_aes(
        16,
        vec![flag(CKA_WRAP, true), flag(CKA_DECRYPT, false)],
    )));
    let r = a.wrap(mech(KWP), &weak, &k1);
    refused(&r, 400, "key_size_range", "T11 AES-128");
    let rsa2048 = ok(&rsa_pair(
        &a,
        2048,
        vec![flag(CKA_WRAP, true), flag(CKA_ENCRYPT, false)],
        vec![flag(CKA_UNWRAP, true), flag(CKA_DECRYPT, false)],
    ));
    let r = a.wrap(oaep(), &id(&rsa2048["public"]), &k1);
    refused(&r, 400, "key_size_range", "T11 RSA-2048");
    let r = rsa_pair(&a, 1024, vec![], vec![]);
    refused(&r, 400, "key_size_range", "T11 RSA-1024");
    for m in [CKM_DES_KEY_GEN, CKM_DES2_KEY_GEN, CKM_DES3_KEY_GEN] {
        let r = a.call(
            "POST",
            "keys/generate",
            json!({"mechanism": mech(m), "template": []}),
        );
        refused(&r, 400, "mechanism_invalid", "T11 DES {m:#x}");
    }

    // T12: ECB (and CBC-PAD) wrapping is off.
    for m in [CKM_AES_ECB, CKM_DES3_ECB, CKM_AES_CBC_PAD] {
        let r = a.wrap(mech(m), &kw, &k1);
        refused(&r, 400, "mechanism_invalid", "T12 {m:#x}");
    }

    a.assert_no_leak();
    d.stop();
}

/// A legitimate KWP blob of `key` under `kw`.
fn super_blob(a: &Attacker, kw: &str, key: &str) -> Vec<u8> {
    unb64(&ok(&a.wrap(mech(KWP), kw, key))["data"])
}

#[test]
fn reads_changes_copies_and_provenance_t3_t4_t5_t17() {
    let (_dir, mut d, mut a) = started();
    let k1 = a.import_secret(&[0xb2; 32], vec![flag(CKA_EXTRACTABLE, true)]);
    // T4: an unextractable, non-sensitive key.
    let k4 = a.import_secret(
        &[0xb4; 32],
        vec![flag(CKA_SENSITIVE, false), flag(CKA_EXTRACTABLE, false)],
    );

    // T3/T4: the value is never in an object's attributes and is listed as sensitive.
    for k in [&k1, &k4] {
        let info = ok(&a.call("GET", &format!("objects/{k}"), Value::Null));
        assert!(attr(&info, CKA_VALUE).is_none(), "T3/T4 value returned");
        assert!(
            info["sensitive"]
                .as_array()
                .unwrap()
                .contains(&json!(CKA_VALUE)),
            "T3/T4 {info}"
        );
    }
    // T3 on RSA: no private component is ever returned.
    let pair = ok(&rsa_pair(&a, 2048, vec![], vec![]));
    let private = ok(&a.call(
        "GET",
        &format!("objects/{}", id(&pair["private"])),
        Value::Null,
    ));
    for ty in [
        CKA_PRIVATE_EXPONENT,
        CKA_PRIME_1,
        CKA_PRIME_2,
        CKA_EXPONENT_1,
        CKA_EXPONENT_2,
        CKA_COEFFICIENT,
    ] {
        assert!(attr(&private, ty).is_none(), "T3 RSA {ty:#x}");
    }

    // T5a/T5b: SENSITIVE only goes up, EXTRACTABLE only down.
    let r = a.set(&k1, vec![flag(CKA_SENSITIVE, false)]);
    refused(&r, 403, "attribute_read_only", "T5a");
    let r = a.set(&k4, vec![flag(CKA_EXTRACTABLE, true)]);
    refused(&r, 403, "attribute_read_only", "T5b");
    let after = ok(&a.call("GET", &format!("objects/{k1}"), Value::Null));
    assert_eq!(attr(&after, CKA_SENSITIVE).unwrap()["bool"], true);

    // T5c: a copy may not weaken.
    let copy = |k: &str, t: Vec<Value>| {
        a.call(
            "POST",
            &format!("objects/{k}/copy"),
            json!({ "template": t }),
        )
    };
    let r = copy(&k1, vec![flag(CKA_SENSITIVE, false)]);
    refused(&r, 403, "attribute_read_only", "T5c SENSITIVE");
    let r = copy(&k4, vec![flag(CKA_EXTRACTABLE, true)]);
    refused(&r, 403, "attribute_read_only", "T5c EXTRACTABLE");

    // T17: provenance flags are never set by the application.
    for ty in [CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE] {
        let r = a.generate_aes(32, vec![flag(ty, true)]);
        refused(&r, 403, "attribute_read_only", "T17 generate");
        let r = a.call(
            "POST",
            "objects",
            json!({"template": [a_ulong(CKA_CLASS, CKO_SECRET_KEY),
                                a_ulong(CKA_KEY_TYPE, CKK_AES),
                                a_bytes(CKA_VALUE, &[0xb2; 32]), flag(ty, true)]}),
        );
        refused(&r, 403, "attribute_read_only", "T17 create");
        let r = a.set(&k1, vec![flag(ty, true)]);
        refused(&r, 403, "attribute_read_only", "T17 set");
    }
    let info = ok(&a.call("GET", &format!("objects/{k1}"), Value::Null));
    assert_eq!(attr(&info, CKA_NEVER_EXTRACTABLE).unwrap()["bool"], false);

    a.assert_no_leak();
    d.stop();
}

#[test]
fn unwrap_and_derive_t13_t14_t15_t16_t18() {
    let (_dir, mut d, mut a) = started();
    let k1 = a.import_secret(&[0xc3; 32], vec![flag(CKA_EXTRACTABLE, true)]);
    let kw = transport_key(&a);
    let blob = super_blob(&a, &kw, &k1);

    // T13: no padding-oracle mechanism unwraps.
    let pair = ok(&rsa_pair(
        &a,
        3072,
        vec![flag(CKA_WRAP, true), flag(CKA_ENCRYPT, false)],
        vec![flag(CKA_UNWRAP, true), flag(CKA_DECRYPT, false)],
    ));
    let r = a.unwrap(
        mech(CKM_RSA_PKCS),
        &id(&pair["private"]),
        &[5u8; 384],
        vec![],
    );
    refused(&r, 400, "mechanism_invalid", "T13 RSA_PKCS");
    let cbc = json!({"mechanism": CKM_AES_CBC_PAD, "params": {"iv": b64(&[0u8; 16])}});
    let r = a.unwrap(cbc, &kw, &blob, vec![]);
    refused(&r, 400, "mechanism_invalid", "T13 CBC_PAD");

    // T14: PKCS#1 v1.5 decryption of garbage answers OK with a stable synthetic message.
    let dec = ok(&rsa_pair(&a, 2048, vec![], vec![flag(CKA_DECRYPT, true)]));
    let garbage = [0x42u8; 256];
    let first = ok(&a.crypt(
        "decrypt",
        &id(&dec["private"]),
        mech(CKM_RSA_PKCS),
        &garbage,
    ));
    let again = ok(&a.crypt(
        "decrypt",
        &id(&dec["private"]),
        mech(CKM_RSA_PKCS),
        &garbage,
    ));
    assert_eq!(first["data"], again["data"], "T14 implicit rejection");
    let r = a.crypt(
        "decrypt",
        &id(&dec["private"]),
        mech(CKM_RSA_PKCS),
        &[1u8; 100],
    );
    refused(&r, 400, "encrypted_data_len_range", "T14 length");

    // T15: every single-byte change of a wrapped key gives one answer.
    for i in 0..blob.len() {
        let mut bad = blob.clone();
        bad[i] ^= 0x80;
        let r = a.unwrap(mech(KWP), &kw, &bad, vec![]);
        refused(&r, 400, "encrypted_data_invalid", "T15 byte {i}");
    }

    // T16: the leaky derivations are not offered.
    for m in [
        CKM_XOR_BASE_AND_DATA,
        CKM_EXTRACT_KEY_FROM_KEY,
        CKM_CONCATENATE_BASE_AND_DATA,
        CKM_CONCATENATE_BASE_AND_KEY,
    ] {
        let r = a.call(
            "POST",
            "keys/derive",
            json!({"mechanism": {"mechanism": m, "params": "none"},
                   "base_key": k1, "template": []}),
        );
        refused(&r, 400, "mechanism_invalid", "T16");
    }

    // T18: the unwrap template may not weaken.
    for weak in [
        vec![flag(CKA_SENSITIVE, false)],
        vec![flag(CKA_EXTRACTABLE, true)],
        vec![flag(CKA_SENSITIVE, false), flag(CKA_EXTRACTABLE, true)],
    ] {
        let r = a.unwrap(mech(KWP), &kw, &blob, weak);
        refused(&r, 400, "template_inconsistent", "T18");
    }
    let fine = ok(&a.unwrap(mech(KWP), &kw, &blob, vec![]));
    assert!(attr(&fine, CKA_VALUE).is_none());

    a.assert_no_leak();
    d.stop();
}
