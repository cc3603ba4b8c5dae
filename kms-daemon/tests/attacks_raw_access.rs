//! Attacks T19–T22 and T24 of `docs/security-model.md` (visibility, session borrowing, PIN brute
//! force, SO escalation, decoder abuse) as raw HTTPS requests to a real kmsd: a client that
//! bypasses the module gets the same refusals, and no response carries a planted key value.

mod common;

use common::attacker::*;
use common::*;
use kms_daemon::ck::*;
use serde_json::{json, Value};

/// CKA_WRAP_TEMPLATE (CKF_ARRAY_ATTRIBUTE | 0x211): kmsd takes no template-valued attribute.
const CKA_WRAP_TEMPLATE: u64 = 0x4000_0211;

#[test]
fn visibility_and_session_binding_t19_t20_t22() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let mut a = Attacker::logged_in(&d, None);
    let k1 = a.import_secret(
        &[0xd4; 32],
        vec![flag(CKA_TOKEN, true), flag(CKA_PRIVATE, true)],
    );
    let bearer = a.client.bearer.clone();

    // T19: without login, private objects are neither listed nor readable nor usable.
    let mut anon = Attacker::new(d.client());
    anon.plant(&[0xd4; 32]);
    let r = anon.call("POST", "objects/find", json!({"template": []}));
    assert_eq!(ok(&r)["objects"], json!([]), "T19 find");
    let r = anon.call("GET", &format!("objects/{k1}"), Value::Null);
    refused(&r, 404, "object_not_found", "T19 get");
    let r = anon.crypt("encrypt", &k1, mech(CKM_AES_KEY_WRAP_KWP), &[0; 32]);
    refused(&r, 401, "user_not_logged_in", "T19 use");

    // T20: another identity (the admin certificate) presenting the user's session.
    let mut thief = Attacker::new(d.admin_client());
    thief.client.bearer = bearer;
    thief.plant(&[0xd4; 32]);
    let r = thief.call("GET", &format!("objects/{k1}"), Value::Null);
    refused(&r, 401, "unauthenticated", "T20 borrowed session");
    // T20: an empty PIN never logs in, even while another client is logged in.
    let mut other = d.client();
    let r = other.login("");
    refused(&r, 400, "pin_len_range", "T20 empty PIN");

    // T22: the SO PIN through the user's (non-admin) certificate.
    let mut climber = d.client();
    let r = climber.login_as("so", SO_PIN);
    refused(&r, 403, "user_type_invalid", "T22");

    a.assert_no_leak();
    anon.assert_no_leak();
    thief.assert_no_leak();
    d.stop();
}

#[test]
fn parallel_pin_guessing_locks_after_ten_t21() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let guesses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let mut c = d.client();
                s.spawn(move || {
                    (0..6)
                        .map(|i| c.login(&format!("99{t}{i}99")).status)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(guesses.len(), 24);
    // The right PIN now finds the token locked: no guess past the tenth was evaluated.
    let mut c = d.client();
    let r = c.login(USER_PIN);
    refused(&r, 423, "pin_locked", "T21 after 24 parallel guesses");
    d.stop();
}

#[test]
fn hostile_decoder_inputs_get_4xx_and_kmsd_survives_t24() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let mut a = Attacker::logged_in(&d, Some("t24"));
    let k1 = a.import_secret(&[0xe5; 32], vec![flag(CKA_DERIVE, true)]);

    // ulCount = 2^32-1 is not sendable as JSON; 257 attributes is one past the limit.
    let many: Vec<Value> = (0..257).map(|i| a_bytes(CKA_LABEL + i, b"x")).collect();
    let r = a.call("POST", "objects/find", json!({ "template": many }));
    assert!((400..500).contains(&r.status), "T24 count: {}", r.status);
    // A value longer than the 64 KiB limit.
    let r = a.call(
        "POST",
        "objects",
        json!({"template": [a_ulong(CKA_CLASS, CKO_DATA),
                            a_bytes(CKA_VALUE, &vec![0u8; 70_000])]}),
    );
    assert!((400..500).contains(&r.status), "T24 length: {}", r.status);
    // A CKA_WRAP_TEMPLATE nested 10^4 deep (under the 1 MiB body limit) and 10^5 deep (over it).
    for depth in [10_000, 100_000] {
        let open = format!("[{{\"t\":{CKA_WRAP_TEMPLATE},\"v\":{{\"template\":");
        let body = format!(
            "{{\"template\":{}[]{}}}",
            open.repeat(depth),
            "}}]".repeat(depth)
        );
        // Over the body limit kmsd may answer 413 and close while the body is still being sent.
        match a
            .client
            .raw("POST", &Attacker::path("objects"), body.as_bytes())
        {
            Ok(r) => assert!(
                (400..500).contains(&r.status),
                "T24 nesting {depth}: {}",
                r.status
            ),
            Err(e) => assert!(body.len() > 1 << 20, "T24 nesting {depth}: {e}"),
        }
    }
    // C_DeriveKey without its mechanism parameter.
    let r = a.call(
        "POST",
        "keys/derive",
        json!({"mechanism": {"mechanism": CKM_ECDH1_DERIVE}, "base_key": k1,
               "template": [a_ulong(CKA_CLASS, CKO_SECRET_KEY)]}),
    );
    assert!(
        (400..500).contains(&r.status),
        "T24 NULL param: {}",
        r.status
    );

    // Still serving.
    let r = a.call("POST", "objects/find", json!({"template": []}));
    assert_eq!(r.status, 200);
    a.assert_no_leak();
    d.stop();
}
