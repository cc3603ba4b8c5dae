//! End-to-end over mutual TLS: C_WrapKey/C_UnwrapKey round trip of a known key, ECDH between two
//! generated keys, private-key import, and the refusals a raw API client gets (security T1, T12,
//! T13, T15; every byte returned is scanned for the known key).

mod common;

use common::*;
use kms_daemon::ck::*;
use serde_json::{json, Value};

fn path(rest: &str) -> String {
    format!("/v1/tokens/{TOKEN}/{rest}")
}

fn ok(r: &Response) -> Value {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

fn aes_key(c: &Client, template: Vec<Value>) -> String {
    let r = c.call(
        "POST",
        &path("keys/generate"),
        Some(json!({"mechanism": {"mechanism": CKM_AES_KEY_GEN}, "template": template})),
    );
    ok(&r)["id"].as_str().unwrap().to_owned()
}

/// AES-GCM of a fixed block under a fixed IV: equal outputs mean equal keys.
fn fingerprint(c: &Client, id: &str) -> Vec<u8> {
    let r = c.call(
        "POST",
        &path(&format!("objects/{id}/encrypt")),
        Some(json!({
            "mechanism": {"mechanism": CKM_AES_GCM,
                          "params": {"gcm": {"iv": b64(&[1u8; 12]), "aad": "", "tag_bits": 128}}},
            "data": b64(&[0x22u8; 16])})),
    );
    unb64(&ok(&r)["data"])
}

#[test]
fn wrap_unwrap_derive_and_import_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let mut c = d.client();
    assert_eq!(c.login(USER_PIN).status, 200);
    c.instance = Some("wrap-test".into());
    let mut seen: Vec<Vec<u8>> = Vec::new();

    // A known key value, imported extractable; a generated wrapping key.
    let known = [0x5au8, 0xc3, 0x17, 0x88].repeat(8);
    let r = c.call(
        "POST",
        &path("objects"),
        Some(json!({"template": [
            a_ulong(CKA_CLASS, CKO_SECRET_KEY), a_ulong(CKA_KEY_TYPE, CKK_AES),
            a_bytes(CKA_VALUE, &known), a_bool(CKA_EXTRACTABLE, true)]})),
    );
    seen.push(r.body.clone());
    let target = ok(&r)["id"].as_str().unwrap().to_owned();
    let kek = aes_key(
        &c,
        vec![
            a_ulong(CKA_VALUE_LEN, 32),
            a_bool(CKA_WRAP, true),
            a_bool(CKA_UNWRAP, true),
            a_bool(CKA_ENCRYPT, false),
            a_bool(CKA_DECRYPT, false),
        ],
    );

    let wrap = |mech: u64, wk: &str, k: &str| {
        c.call(
            "POST",
            &path("keys/wrap"),
            Some(json!({"mechanism": {"mechanism": mech}, "wrapping_key": wk, "key": k})),
        )
    };
    let unwrap = |mech: u64, uk: &str, blob: &[u8], template: Vec<Value>| {
        c.call(
            "POST",
            &path("keys/unwrap"),
            Some(
                json!({"mechanism": {"mechanism": mech}, "unwrapping_key": uk,
                        "wrapped": b64(blob), "template": template}),
            ),
        )
    };
    let secret_t = || {
        vec![
            a_ulong(CKA_CLASS, CKO_SECRET_KEY),
            a_ulong(CKA_KEY_TYPE, CKK_AES),
        ]
    };

    for mech in [CKM_AES_KEY_WRAP, CKM_AES_KEY_WRAP_KWP] {
        let r = wrap(mech, &kek, &target);
        seen.push(r.body.clone());
        let blob = unb64(&ok(&r)["data"]);
        assert_eq!(blob.len(), 40);
        let r = unwrap(mech, &kek, &blob, secret_t());
        seen.push(r.body.clone());
        let new = ok(&r);
        let id = new["id"].as_str().unwrap();
        assert_eq!(attr(&new, CKA_LOCAL).unwrap()["bool"], false);
        assert_eq!(attr(&new, CKA_EXTRACTABLE).unwrap()["bool"], false);
        assert!(attr(&new, CKA_VALUE).is_none());
        assert_eq!(fingerprint(&c, id), fingerprint(&c, &target));

        // R11: a tampered blob → one code; a length the mechanism cannot make → len range.
        let mut bad = blob.clone();
        bad[9] ^= 1;
        let r = unwrap(mech, &kek, &bad, secret_t());
        seen.push(r.body.clone());
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "encrypted_data_invalid")
        );
        let r = unwrap(mech, &kek, &blob[..33], secret_t());
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "encrypted_data_len_range")
        );
        // R6: the template may not weaken the key.
        let mut weak = secret_t();
        weak.push(a_bool(CKA_EXTRACTABLE, true));
        let r = unwrap(mech, &kek, &blob, weak);
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "template_inconsistent")
        );
    }

    // T1: a wrapping key that also decrypts is refused at generation; T12/T13: legacy
    // mechanisms; no CKA_WRAP; R10.
    let r = c.call(
        "POST",
        &path("keys/generate"),
        Some(
            json!({"mechanism": {"mechanism": CKM_AES_KEY_GEN}, "template": [
                a_ulong(CKA_VALUE_LEN, 32), a_bool(CKA_WRAP, true), a_bool(CKA_DECRYPT, true)
            ]}),
        ),
    );
    seen.push(r.body.clone());
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "template_inconsistent")
    );
    for mech in [CKM_RSA_PKCS, CKM_AES_ECB, CKM_AES_CBC_PAD] {
        let r = wrap(mech, &kek, &target);
        seen.push(r.body.clone());
        assert_eq!((r.status, r.code().as_str()), (400, "mechanism_invalid"));
    }
    let r = wrap(CKM_AES_KEY_WRAP, &target, &target);
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "key_function_not_permitted")
    );
    let weak_kek = aes_key(
        &c,
        vec![
            a_ulong(CKA_VALUE_LEN, 16),
            a_bool(CKA_WRAP, true),
            a_bool(CKA_DECRYPT, false),
        ],
    );
    let r = wrap(CKM_AES_KEY_WRAP, &weak_kek, &target);
    assert_eq!((r.status, r.code().as_str()), (400, "key_size_range"));

    // ECDH between two generated P-256 keys: both sides get the same AES key.
    let ec_pair = || {
        let r = c.call(
            "POST",
            &path("keys/generate-pair"),
            Some(json!({
                "mechanism": {"mechanism": CKM_EC_KEY_PAIR_GEN},
                "public_template": [a_bytes(CKA_EC_PARAMS, kms_daemon::crypto::ec::Curve::P256.params())],
                "private_template": [a_bool(CKA_DERIVE, true)]})),
        );
        ok(&r)
    };
    let (a, b) = (ec_pair(), ec_pair());
    let point = |p: &Value| unb64(&attr(&p["public"], CKA_EC_POINT).unwrap()["bytes"]);
    let derive = |base: &Value, public_data: &[u8], kdf: u64| {
        c.call(
            "POST",
            &path("keys/derive"),
            Some(json!({
                "mechanism": {"mechanism": CKM_ECDH1_DERIVE,
                              "params": {"ecdh": {"kdf": kdf, "shared_data": "",
                                                  "public_data": b64(public_data)}}},
                "base_key": base["private"]["id"],
                "template": [a_ulong(CKA_CLASS, CKO_SECRET_KEY), a_ulong(CKA_KEY_TYPE, CKK_AES),
                             a_ulong(CKA_VALUE_LEN, 32)]})),
        )
    };
    let ka = ok(&derive(&a, &point(&b), CKD_SHA256_KDF));
    let kb = ok(&derive(&b, &point(&a)[2..], CKD_SHA256_KDF));
    assert_eq!(
        fingerprint(&c, ka["id"].as_str().unwrap()),
        fingerprint(&c, kb["id"].as_str().unwrap())
    );
    assert_eq!(attr(&ka, CKA_NEVER_EXTRACTABLE).unwrap()["bool"], true);
    assert_eq!(attr(&ka, CKA_LOCAL).unwrap()["bool"], false);
    let r = derive(&a, &point(&b), CKD_SHA1_KDF);
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "mechanism_param_invalid")
    );
    let r = derive(&a, &[4u8; 65], CKD_NULL);
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "mechanism_param_invalid")
    );

    // EC private-key import: the scalar goes in, never comes back.
    let scalar = {
        use aws_lc_rs::encoding::AsBigEndian;
        let kp = aws_lc_rs::signature::EcdsaKeyPair::generate(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        )
        .unwrap();
        kp.private_key().as_be_bytes().unwrap().as_ref().to_vec()
    };
    let r = c.call(
        "POST",
        &path("objects"),
        Some(json!({"template": [
            a_ulong(CKA_CLASS, CKO_PRIVATE_KEY), a_ulong(CKA_KEY_TYPE, CKK_EC),
            a_bytes(CKA_EC_PARAMS, kms_daemon::crypto::ec::Curve::P256.params()),
            a_bytes(CKA_VALUE, &scalar)]})),
    );
    let imported = ok(&r);
    assert!(!r
        .body
        .windows(12)
        .any(|w| w == b64(&scalar[..9]).as_bytes()));
    assert_eq!(imported["sensitive"], json!([CKA_VALUE]));
    assert_eq!(attr(&imported, CKA_LOCAL).unwrap()["bool"], false);
    assert!(attr(&imported, CKA_EC_POINT).is_some());

    // No response carried the known key, in clear or base64.
    let known_b64 = b64(&known);
    for body in &seen {
        assert!(!body.windows(known.len()).any(|w| w == known.as_slice()));
        assert!(!body
            .windows(known_b64.len())
            .any(|w| w == known_b64.as_bytes()));
    }
    d.stop();
}
