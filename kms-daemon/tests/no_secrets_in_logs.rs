//! A full workload against a real kmsd logging at `trace` in JSON, with planted PINs, key value,
//! plaintext and digest: no log line and no audit record may hold any of them, nor the bearer
//! token, the ciphertext or the signature, in plain, hex, base64 or Rust-debug byte form. The
//! request id of each response is the one in its log line and in its audit record.

mod common;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use common::*;
use kms_daemon::ck::*;
use serde_json::{json, Value};

const NEW_USER_PIN: &[u8] = b"Planted-PIN-7731-user";
const WRONG_PIN: &[u8] = b"Planted-wrong-PIN-4410";
const AES_KEY: &[u8; 32] = b"PLANTED-AES-KEY-0123456789abcdef";
const PLAINTEXT: &[u8] = b"PLANTED-PLAINTEXT-a-secret-message";
const DIGEST: &[u8; 32] = b"PLANTED-DIGEST-32-bytes-long-xyz";
const P256_OID: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// The forms a secret could take in a text line.
fn encodings(secret: &[u8]) -> Vec<String> {
    let mut forms = vec![
        hex::encode(secret),
        hex::encode_upper(secret),
        STANDARD.encode(secret),
        STANDARD_NO_PAD.encode(secret),
        URL_SAFE.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
        // `{:?}` of a byte slice, without its brackets.
        format!("{secret:?}")
            .trim_matches(|c| c == '[' || c == ']')
            .to_owned(),
    ];
    // The plain form of the harness's short numeric PINs could turn up by chance inside a
    // timestamp; their encoded forms cannot, and every planted secret here is long.
    if let Some(s) = std::str::from_utf8(secret)
        .ok()
        .filter(|_| secret.len() >= 12)
    {
        forms.push(s.to_owned());
    }
    forms
}

fn path(rest: &str) -> String {
    format!("/v1/tokens/{TOKEN}/{rest}")
}

/// Switches a quick-start config to JSON logs at `trace`.
fn json_trace_logs(config: &std::path::Path) {
    let text = std::fs::read_to_string(config).unwrap();
    assert!(text.contains("level = \"info\"") && text.contains("format = \"text\""));
    let text = text
        .replace("level = \"info\"", "level = \"trace\"")
        .replace("format = \"text\"", "format = \"json\"");
    std::fs::write(config, text).unwrap();
}

/// Every column of every audit record, as text.
fn audit_rows(dir: &std::path::Path) -> Vec<Vec<String>> {
    let conn = RawStore::open(dir);
    conn.query_all(
        "SELECT seq, ts_ms, request_id, actor, token, action, object_id, mechanism, outcome, \
         prev_hash, hash, detail FROM audit ORDER BY seq",
        kms_daemon::store::db::params![],
        |r| {
            let mut row = Vec::new();
            for i in 0..12 {
                row.push(match i {
                    0 | 1 => r.get::<i64>(i)?.to_string(),
                    9 | 10 => hex::encode(r.get::<Vec<u8>>(i)?),
                    _ => r.get::<Option<String>>(i)?.unwrap_or_default(),
                });
            }
            Ok(row)
        },
    )
    .unwrap()
}

#[test]
fn no_secret_reaches_a_log_line_or_an_audit_record() {
    let dir = tempfile::tempdir().unwrap();
    Kmsd::start_in(dir.path()).stop();
    json_trace_logs(&dir.path().join("kmsd.toml"));
    let mut d = Kmsd::start_with(
        dir.path(),
        &Options {
            rust_log: None,
            capture_stderr: true,
        },
    );
    let mut c = d.client();
    let mut request_ids = Vec::new();
    let mut keep = |r: &Response| {
        request_ids.push(r.header("x-request-id").unwrap().to_owned());
    };
    let mut returned: Vec<Vec<u8>> = Vec::new();

    // PINs: log in, change the PIN to a planted one, a wrong PIN, the planted one.
    let r = c.login(USER_PIN);
    assert_eq!(r.status, 200);
    returned.push(unb64(&r.json()["session"]));
    let r = c.call(
        "POST",
        &path("set-pin"),
        Some(json!({"old_pin": b64(USER_PIN.as_bytes()), "new_pin": b64(NEW_USER_PIN)})),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    keep(&r);
    let r = c.call(
        "POST",
        &path("login"),
        Some(json!({"user_type": "user", "pin": b64(WRONG_PIN)})),
    );
    assert_eq!(r.code(), "pin_incorrect");
    keep(&r);
    let r = c.call(
        "POST",
        &path("login"),
        Some(json!({"user_type": "user", "pin": b64(NEW_USER_PIN)})),
    );
    assert_eq!(r.status, 200);
    keep(&r);
    let session = r.json()["session"].as_str().unwrap().to_owned();
    returned.push(STANDARD.decode(&session).unwrap());
    c.bearer = Some(session);

    // An imported AES key with a planted value; GCM encrypt and decrypt of a planted plaintext.
    let r = c.call("POST", &path("objects"), Some(json!({"template": [
        a_ulong(CKA_CLASS, CKO_SECRET_KEY), a_ulong(CKA_KEY_TYPE, CKK_AES), a_bytes(CKA_VALUE, AES_KEY),
        a_bool(CKA_TOKEN, true), a_bool(CKA_ENCRYPT, true), a_bool(CKA_DECRYPT, true)]})));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    keep(&r);
    let aes = r.json()["id"].as_str().unwrap().to_owned();
    let gcm = json!({"mechanism": CKM_AES_GCM, "params": {"gcm": {"iv": b64(&[3u8; 12]), "aad": b64(b"a"), "tag_bits": 128}}});
    let r = c.call(
        "POST",
        &path(&format!("objects/{aes}/encrypt")),
        Some(json!({"mechanism": gcm, "data": b64(PLAINTEXT)})),
    );
    assert_eq!(r.status, 200);
    keep(&r);
    let encrypt_request_id = r.header("x-request-id").unwrap().to_owned();
    let ciphertext = unb64(&r.json()["data"]);
    let r = c.call(
        "POST",
        &path(&format!("objects/{aes}/decrypt")),
        Some(json!({"mechanism": gcm, "data": b64(&ciphertext)})),
    );
    assert_eq!(unb64(&r.json()["data"]), PLAINTEXT);
    keep(&r);
    // A tampered ciphertext (refused) and a bad request that carries the plaintext.
    let mut bad = ciphertext.clone();
    bad[0] ^= 1;
    let r = c.call(
        "POST",
        &path(&format!("objects/{aes}/decrypt")),
        Some(json!({"mechanism": gcm, "data": b64(&bad)})),
    );
    assert_eq!(r.code(), "encrypted_data_invalid");
    keep(&r);
    let r = c.call(
        "POST",
        &path(&format!("objects/{aes}/encrypt")),
        Some(json!({"mechanism": {"mechanism": CKM_AES_GCM}, "data": b64(PLAINTEXT)})),
    );
    assert_eq!(r.status, 400);
    keep(&r);
    returned.push(ciphertext);

    // An EC key pair and a signature over a planted digest.
    let r = c.call(
        "POST",
        &path("keys/generate-pair"),
        Some(json!({
            "mechanism": {"mechanism": CKM_EC_KEY_PAIR_GEN},
            "public_template": [a_bytes(CKA_EC_PARAMS, &P256_OID), a_bool(CKA_TOKEN, true)],
            "private_template": [a_bool(CKA_TOKEN, true), a_bool(CKA_SIGN, true)],
        })),
    );
    assert_eq!(r.status, 200);
    keep(&r);
    let ec = r.json()["private"]["id"].as_str().unwrap().to_owned();
    let r = c.call(
        "POST",
        &path(&format!("objects/{ec}/sign")),
        Some(json!({"mechanism": {"mechanism": CKM_ECDSA}, "data": b64(DIGEST)})),
    );
    assert_eq!(r.status, 200);
    keep(&r);
    returned.push(unb64(&r.json()["data"]));
    let r = c.call("POST", &path("logout"), None);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    keep(&r);

    let log = d.stop_and_collect_stderr();
    let audit = audit_rows(dir.path());
    assert!(log.len() > request_ids.len(), "{log:?}");
    assert!(audit.len() >= 10, "{audit:?}");

    // Every line is JSON; each request has its line, with the id the client got.
    let lines: Vec<Value> = log
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    for id in &request_ids {
        let line = lines
            .iter()
            .find(|l| l["msg"] == "request" && l["request_id"] == id.as_str())
            .unwrap_or_else(|| panic!("no request line for {id}"));
        assert!(line["route"]
            .as_str()
            .unwrap()
            .starts_with("/v1/tokens/{token}/"));
        assert!(line["status"].as_u64().is_some() && line["duration_ms"].is_number());
        assert_eq!(line["identity"], "CN=kms-client");
    }
    let wrong = lines
        .iter()
        .find(|l| l["msg"] == "request" && l["request_id"] == request_ids[1].as_str())
        .unwrap();
    assert_eq!(
        (wrong["status"].as_u64(), wrong["error_code"].as_str()),
        (Some(401), Some("pin_incorrect"))
    );
    // The audit record of the encryption carries the response's request id.
    let enc = audit
        .iter()
        .find(|row| row.iter().any(|c| c == "key.encrypt") && row.iter().any(|c| c == "ok"))
        .expect("audit record of the encryption");
    assert!(enc.contains(&encrypt_request_id), "{enc:?}");

    let mut secrets: Vec<&[u8]> = vec![
        USER_PIN.as_bytes(),
        SO_PIN.as_bytes(),
        NEW_USER_PIN,
        WRONG_PIN,
        AES_KEY,
        PLAINTEXT,
        DIGEST,
    ];
    secrets.extend(returned.iter().map(Vec::as_slice));
    let texts = log
        .iter()
        .map(|l| ("log", l.clone()))
        .chain(audit.iter().map(|row| ("audit", row.join("|"))));
    for (kind, text) in texts {
        for secret in &secrets {
            for form in encodings(secret) {
                assert!(
                    !text.contains(&form),
                    "a secret ({form}) is in a {kind} line: {text}"
                );
            }
        }
    }
}
