//! End-to-end tests against the real `kmsd quickstart` binary over mutual TLS.

mod common;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, ParsedPublicKey};
use common::*;
use kms_daemon::ck::*;
use serde_json::{json, Value};

fn objects_path(rest: &str) -> String {
    format!("/v1/tokens/{TOKEN}/{rest}")
}

fn generate_ec_pair(c: &Client, token_object: bool, label: &str) -> (String, Value) {
    let r = ask_ec_pair(c, token_object, label);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let j = r.json();
    (j["private"]["id"].as_str().unwrap().to_owned(), j)
}

fn ask_ec_pair(c: &Client, token_object: bool, label: &str) -> Response {
    c.call(
        "POST",
        &objects_path("keys/generate-pair"),
        Some(json!({
            "mechanism": {"mechanism": CKM_EC_KEY_PAIR_GEN},
            "public_template": [a_bytes(CKA_EC_PARAMS, &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
                                a_bool(CKA_TOKEN, token_object), a_bytes(CKA_LABEL, label.as_bytes())],
            "private_template": [a_bool(CKA_TOKEN, token_object), a_bytes(CKA_LABEL, label.as_bytes())],
        })),
    )
}

fn ecdsa_sign_and_verify(c: &Client, id: &str, spki: &[u8]) {
    let msg = b"message to sign";
    let d = digest::digest(&digest::SHA256, msg);
    let r = c.call(
        "POST",
        &objects_path(&format!("objects/{id}/sign")),
        Some(json!({"mechanism": {"mechanism": CKM_ECDSA}, "data": b64(d.as_ref())})),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let sig = unb64(&r.json()["data"]);
    assert_eq!(sig.len(), 64);
    ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, spki)
        .unwrap()
        .verify_sig(msg, &sig)
        .expect("signature verifies");
}

#[test]
fn health_login_generate_sign_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = Kmsd::start_in(dir.path());
    assert!(d
        .stdout_lines
        .iter()
        .any(|l| l.starts_with("export KMS_PKCS11_CONFIG=")));
    assert!(d.stdout_lines.iter().any(|l| l.starts_with("module: ")));
    let module_cfg = std::fs::read_to_string(dir.path().join("pkcs11.toml")).unwrap();
    assert!(
        module_cfg.contains(&format!("endpoints = [\"https://{}\"]", d.addr)),
        "{module_cfg}"
    );

    let mut c = d.client();
    let h = c.call("GET", "/v1/health", None);
    assert_eq!(h.status, 200);
    assert_eq!(h.json()["status"], "ok");
    assert!(h.header("x-request-id").is_some_and(|v| !v.is_empty()));
    assert_eq!(
        c.call("GET", "/v1/tokens", None).json()["tokens"][0]["label"],
        TOKEN
    );

    // A private key (CKA_PRIVATE defaults to true for it) needs a login, token or session object.
    c.instance = Some("test-instance-1".into());
    for token_object in [true, false] {
        let r = ask_ec_pair(&c, token_object, "no-login");
        assert_eq!((r.status, r.code().as_str()), (401, "user_not_logged_in"));
    }

    assert_eq!(c.login(USER_PIN).status, 200);
    let (id, pair) = generate_ec_pair(&c, false, "ec1");
    let spki = unb64(&attr(&pair["private"], CKA_PUBLIC_KEY_INFO).unwrap()["bytes"]);
    let point = unb64(&attr(&pair["public"], CKA_EC_POINT).unwrap()["bytes"]);
    assert_eq!(&point[..3], &[0x04, 0x41, 0x04]);
    assert!(pair["private"]["sensitive"]
        .as_array()
        .unwrap()
        .contains(&json!(CKA_VALUE)));
    assert_eq!(attr(&pair["private"], CKA_LOCAL).unwrap()["bool"], true);
    assert_eq!(
        attr(&pair["private"], CKA_ALWAYS_SENSITIVE).unwrap()["bool"],
        true
    );
    ecdsa_sign_and_verify(&c, &id, &spki);

    // NSS sets CKA_ID after generation; usage flags stay fixed.
    let r = c.call(
        "POST",
        &objects_path(&format!("objects/{id}/attributes")),
        Some(json!({"template": [a_bytes(CKA_ID, b"id-1")]})),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = c.call(
        "POST",
        &objects_path(&format!("objects/{id}/attributes")),
        Some(json!({"template": [a_bool(CKA_DECRYPT, true)]})),
    );
    assert_eq!((r.status, r.code().as_str()), (403, "attribute_read_only"));
    ecdsa_sign_and_verify(&c, &id, &spki);

    // Wrong key type comes before the usage flag.
    let r = c.call(
        "POST",
        &objects_path(&format!("objects/{id}/sign")),
        Some(json!({"mechanism": {"mechanism": CKM_SHA256_RSA_PKCS}, "data": b64(&[0u8; 32])})),
    );
    assert_eq!(r.code(), "key_type_inconsistent");

    // RSA PKCS#1 v1.5 sign over a DigestInfo.
    let r = c.call(
        "POST",
        &objects_path("keys/generate-pair"),
        Some(json!({
        "mechanism": {"mechanism": CKM_RSA_PKCS_KEY_PAIR_GEN},
        "public_template": [a_ulong(CKA_MODULUS_BITS, 2048), a_bool(CKA_TOKEN, true)],
        "private_template": [a_bool(CKA_TOKEN, true)]})),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let rsa = r.json();
    let rsa_id = rsa["private"]["id"].as_str().unwrap();
    let rsa_spki = unb64(&attr(&rsa["public"], CKA_PUBLIC_KEY_INFO).unwrap()["bytes"]);
    let dg = digest::digest(&digest::SHA256, b"rsa message");
    let r = c.call(
        "POST",
        &objects_path(&format!("objects/{rsa_id}/sign")),
        Some(json!({"mechanism": {"mechanism": CKM_SHA256_RSA_PKCS}, "data": b64(dg.as_ref())})),
    );
    assert_eq!(r.status, 200);
    let sig = unb64(&r.json()["data"]);
    ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &rsa_spki)
        .unwrap()
        .verify_sig(b"rsa message", &sig)
        .unwrap();

    // Without the session, the private key is invisible.
    let mut anon = d.client();
    anon.instance = c.instance.clone();
    let found = anon
        .call(
            "POST",
            &objects_path("objects/find"),
            Some(json!({"template": []})),
        )
        .json();
    assert!(found["objects"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| attr(o, CKA_PRIVATE).unwrap()["bool"] == false));
    let r = anon.call("GET", &objects_path(&format!("objects/{rsa_id}")), None);
    assert_eq!((r.status, r.code().as_str()), (404, "object_not_found"));
    // A bearer token from a login is not accepted with a bad value.
    anon.bearer = Some(b64(&[7u8; 32]));
    let r = anon.call(
        "POST",
        &objects_path("objects/find"),
        Some(json!({"template": []})),
    );
    assert_eq!((r.status, r.code().as_str()), (401, "unauthenticated"));
}

fn assert_refused_at_handshake(result: std::io::Result<Response>) {
    match result {
        Err(_) => {}
        Ok(r) => panic!("expected no HTTP response, got status {}", r.status),
    }
}

#[test]
fn clients_without_a_good_certificate_are_refused_at_the_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let d = Kmsd::start_in(dir.path());
    // (2) No client certificate.
    let no_cert = Client::new(&d.addr, None, &dir.path().join("ca.pem"));
    assert_refused_at_handshake(no_cert.raw("GET", "/v1/health", b""));

    // (3) A client certificate from another CA.
    let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "other CA");
    let _ = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "kms-client");
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = p.signed_by(&key, &issuer).unwrap();
    let ident = (
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
    );
    let foreign = Client::new(&d.addr, Some(ident), &dir.path().join("ca.pem"));
    assert_refused_at_handshake(foreign.raw("GET", "/v1/health", b""));

    // The good certificate still works afterwards (failed handshakes do not hurt the server).
    assert_eq!(d.client().call("GET", "/v1/health", None).status, 200);
}

#[test]
fn ten_wrong_pins_lock_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let d = Kmsd::start_in(dir.path());
    let mut c = d.client();
    for i in 1..=10 {
        let r = c.login("000000");
        let want = if i < 10 {
            "pin_incorrect"
        } else {
            "pin_locked"
        };
        assert_eq!(r.code(), want, "attempt {i}");
        assert!(r.json()["request_id"].as_str().is_some());
    }
    let r = c.login(USER_PIN);
    assert_eq!((r.status, r.code().as_str()), (423, "pin_locked"));
    let tokens = c.call("GET", "/v1/tokens", None).json();
    assert_eq!(tokens["tokens"][0]["user_pin_locked"], true);
}

#[test]
fn imported_aes_key_never_reaches_the_store_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let mut c = d.client();
    assert_eq!(c.login(USER_PIN).status, 200);
    let key: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(37) ^ 0xA5).collect();
    let r = c.call("POST", &objects_path("objects"), Some(json!({"template": [
        a_ulong(CKA_CLASS, CKO_SECRET_KEY), a_ulong(CKA_KEY_TYPE, CKK_AES), a_bytes(CKA_VALUE, &key),
        a_bool(CKA_TOKEN, true), a_bytes(CKA_LABEL, b"imported")]})));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let info = r.json();
    assert!(attr(&info, CKA_VALUE).is_none());
    assert_eq!(attr(&info, CKA_LOCAL).unwrap()["bool"], false);
    assert_eq!(attr(&info, CKA_VALUE_LEN).unwrap()["ulong"], 32);
    let id = info["id"].as_str().unwrap().to_owned();

    // Use it: GCM round trip, checked against a local AES-GCM with the same key.
    let iv = [9u8; 12];
    let gcm = json!({"mechanism": CKM_AES_GCM, "params": {"gcm": {"iv": b64(&iv), "aad": b64(b"hdr"), "tag_bits": 128}}});
    let r = c.call(
        "POST",
        &objects_path(&format!("objects/{id}/encrypt")),
        Some(json!({"mechanism": gcm, "data": b64(b"plaintext")})),
    );
    assert_eq!(r.status, 200);
    let ct = unb64(&r.json()["data"]);
    let local = aws_lc_rs::aead::LessSafeKey::new(
        aws_lc_rs::aead::UnboundKey::new(&aws_lc_rs::aead::AES_256_GCM, &key).unwrap(),
    );
    let mut buf = ct.clone();
    let pt = local
        .open_in_place(
            aws_lc_rs::aead::Nonce::assume_unique_for_key(iv),
            aws_lc_rs::aead::Aad::from(b"hdr"),
            &mut buf,
        )
        .unwrap();
    assert_eq!(pt, b"plaintext");
    let r = c.call(
        "POST",
        &objects_path(&format!("objects/{id}/decrypt")),
        Some(json!({"mechanism": gcm, "data": b64(&ct)})),
    );
    assert_eq!(unb64(&r.json()["data"]), b"plaintext");

    // R1/R5: an imported key may not wrap.
    let r = c.call("POST", &objects_path("objects"), Some(json!({"template": [
        a_ulong(CKA_CLASS, CKO_SECRET_KEY), a_ulong(CKA_KEY_TYPE, CKK_AES), a_bytes(CKA_VALUE, &[1u8; 16]),
        a_bool(CKA_WRAP, true), a_bool(CKA_TOKEN, true)]})));
    assert_eq!(r.code(), "template_inconsistent");

    d.stop();
    let encodings = [
        key.clone(),
        common::b64(&key).into_bytes(),
        hex_lower(&key).into_bytes(),
    ];
    for name in ["kms.db", "kms.db-wal", "kms.db-shm"] {
        let Ok(bytes) = std::fs::read(dir.path().join(name)) else {
            continue;
        };
        for enc in &encodings {
            assert!(
                !bytes.windows(enc.len()).any(|w| w == enc.as_slice()),
                "key material found in {name}"
            );
        }
    }
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn run_verify(config: &std::path::Path) -> (bool, String) {
    let out = std::process::Command::new(kms_testkit::kmsd_bin())
        .args(["audit", "verify", "--config"])
        .arg(config)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn audit_chain_verifies_and_names_a_tampered_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let mut c = d.client();
    assert_eq!(c.login("999999").code(), "pin_incorrect");
    assert_eq!(c.login(USER_PIN).status, 200);
    c.instance = Some("i".into());
    let (id, pair) = generate_ec_pair(&c, false, "audited");
    ecdsa_sign_and_verify(
        &c,
        &id,
        &unb64(&attr(&pair["public"], CKA_PUBLIC_KEY_INFO).unwrap()["bytes"]),
    );
    let config = d.config();
    d.stop();

    let (ok, out) = run_verify(&config);
    assert!(ok, "{out}");
    assert!(out.starts_with("audit chain OK: "), "{out}");
    let n: usize = out
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("audit chain OK: ")
        .trim_end_matches(" records")
        .parse()
        .unwrap();
    assert!(n >= 6, "{out}");

    // No record holds a PIN.
    let conn = RawStore::open(dir.path());
    let dump: String = conn
        .query_all("SELECT request_id || actor || COALESCE(token,'') || action || COALESCE(object_id,'') || COALESCE(mechanism,'') || outcome FROM audit", kms_daemon::store::db::params![], |r| r.get::<String>(0))
        .unwrap()
        .join(",");
    assert!(!dump.contains(USER_PIN) && !dump.contains("999999"));
    assert!(dump.contains("key.sign") && dump.contains("pin_incorrect"));

    // Change one byte of record 3 behind kmsd's back.
    conn.execute_batch(match conn.dialect() {
        kms_daemon::store::Dialect::Sqlite => "DROP TRIGGER audit_no_update",
        kms_daemon::store::Dialect::Postgres => "DROP TRIGGER audit_no_change ON audit",
    })
    .unwrap();
    let action: String = conn
        .query_row(
            "SELECT action FROM audit WHERE seq = 3",
            kms_daemon::store::db::params![],
            |r| r.get(0),
        )
        .unwrap();
    let mut tampered = action.into_bytes();
    tampered[0] ^= 0x01;
    conn.execute(
        "UPDATE audit SET action = ?1 WHERE seq = 3",
        kms_daemon::store::db::params![String::from_utf8(tampered).unwrap()],
    )
    .unwrap();
    drop(conn);
    let (ok, out) = run_verify(&config);
    assert!(!ok);
    assert!(out.contains("audit chain BROKEN at record seq=3"), "{out}");
}

#[test]
fn token_keys_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let mut c = d.client();
    assert_eq!(c.login(USER_PIN).status, 200);
    let (_, pair) = generate_ec_pair(&c, true, "persistent");
    let spki = unb64(&attr(&pair["public"], CKA_PUBLIC_KEY_INFO).unwrap()["bytes"]);
    d.stop();

    let d = Kmsd::start_in(dir.path());
    assert!(
        d.stdout_lines.iter().any(|l| l.contains("PINs unchanged")),
        "{:?}",
        d.stdout_lines
    );
    let mut c = d.client();
    assert_eq!(c.login(USER_PIN).status, 200);
    let found = c
        .call(
            "POST",
            &objects_path("objects/find"),
            Some(json!({"template": [
        a_ulong(CKA_CLASS, CKO_PRIVATE_KEY), a_bytes(CKA_LABEL, b"persistent")]})),
        )
        .json();
    let objs = found["objects"].as_array().unwrap();
    assert_eq!(objs.len(), 1);
    ecdsa_sign_and_verify(&c, objs[0]["id"].as_str().unwrap(), &spki);
}

#[test]
fn malformed_json_is_a_bad_request() {
    let dir = tempfile::tempdir().unwrap();
    let d = Kmsd::start_in(dir.path());
    let c = d.client();
    for body in [
        &b"{not json"[..],
        br#"{"user_type":"user"}"#,
        br#"{"user_type":"boss","pin":"MTIzNA=="}"#,
    ] {
        let r = c.raw("POST", &objects_path("login"), body).unwrap();
        assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
        let j = r.json();
        assert_eq!(j["code"], "bad_request");
        assert_eq!(j["request_id"].as_str(), r.header("x-request-id"));
    }
    let r = c.call("POST", "/v1/random", Some(json!({"len": 70000})));
    assert_eq!(r.code(), "bad_request");
    let r = c.call("POST", "/v1/random", Some(json!({"len": 16})));
    assert_eq!(unb64(&r.json()["data"]).len(), 16);
}
