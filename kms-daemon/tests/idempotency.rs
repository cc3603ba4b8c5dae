//! Idempotent creations over mutual TLS: the same creation sent twice with one
//! `Idempotency-Key` makes one object and gets the same answer; the same key on another request
//! is `idempotency_conflict` (409); the replay is audited as such; a malformed key is refused.

mod common;

use common::*;
use kms_daemon::ck::*;
use serde_json::{json, Value};

fn path(rest: &str) -> String {
    format!("/v1/tokens/{TOKEN}/{rest}")
}

/// Sends `body` to `rest` with `key` as the idempotency key.
fn create(c: &Client, rest: &str, key: &str, body: &Value) -> Response {
    c.connect()
        .unwrap()
        .send_with_headers(
            "POST",
            &path(rest),
            &serde_json::to_vec(body).unwrap(),
            false,
            &[("Idempotency-Key", key)],
        )
        .unwrap()
}

fn aes(label: &str) -> Value {
    json!({"mechanism": {"mechanism": CKM_AES_KEY_GEN}, "template": [
        a_ulong(CKA_VALUE_LEN, 32), a_bool(CKA_TOKEN, true), a_bytes(CKA_LABEL, label.as_bytes())]})
}

fn count(db: &RawStore, sql: &str) -> i64 {
    db.query_row(sql, kms_daemon::store::db::params![], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_repeated_creation_makes_one_object_and_answers_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let d = Kmsd::start_in(dir.path());
    let mut c = d.client();
    assert_eq!(c.login(USER_PIN).status, 200);
    let db = RawStore::open(dir.path());
    let objects = |db: &RawStore| count(db, "SELECT COUNT(*) FROM objects");
    let before = objects(&db);

    // Generate: twice with one key → one key, the same answer.
    let key = "0123456789abcdef0123456789abcdef";
    let first = create(&c, "keys/generate", key, &aes("idem"));
    assert_eq!(
        first.status,
        200,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let again = create(&c, "keys/generate", key, &aes("idem"));
    assert_eq!(
        again.status,
        200,
        "{}",
        String::from_utf8_lossy(&again.body)
    );
    assert_eq!(first.json(), again.json(), "the replay answers the same");
    assert_eq!(objects(&db), before + 1, "one object for two requests");

    // The same key for another body, or another route: a conflict, nothing created.
    let other = create(&c, "keys/generate", key, &aes("other label"));
    assert_eq!(other.status, 409);
    assert_eq!(other.code(), "idempotency_conflict");
    let elsewhere = create(
        &c,
        "objects",
        key,
        &json!({"template": [a_ulong(CKA_CLASS, CKO_DATA), a_bytes(CKA_VALUE, b"x")]}),
    );
    assert_eq!(elsewhere.code(), "idempotency_conflict");
    assert_eq!(objects(&db), before + 1);

    // Another login session is another request: the key cannot be replayed by it.
    let mut other_login = d.client();
    assert_eq!(other_login.login(USER_PIN).status, 200);
    let stolen = create(&other_login, "keys/generate", key, &aes("idem"));
    assert_eq!(stolen.code(), "idempotency_conflict");

    // A pair: both objects once, the same pair again.
    let pair = json!({
        "mechanism": {"mechanism": CKM_EC_KEY_PAIR_GEN},
        "public_template": [a_bytes(CKA_EC_PARAMS, &P256_OID), a_bool(CKA_TOKEN, true)],
        "private_template": [a_bool(CKA_TOKEN, true), a_bool(CKA_SIGN, true)],
    });
    let pair_key = "pair-key_0000000000000001";
    let p1 = create(&c, "keys/generate-pair", pair_key, &pair);
    let p2 = create(&c, "keys/generate-pair", pair_key, &pair);
    assert_eq!(p1.status, 200, "{}", String::from_utf8_lossy(&p1.body));
    assert_eq!(p1.json(), p2.json());
    assert_eq!(objects(&db), before + 3);

    // Without a key, every request creates.
    for _ in 0..2 {
        let r = c.call("POST", &path("keys/generate"), Some(aes("no key")));
        assert_eq!(r.status, 200);
    }
    assert_eq!(objects(&db), before + 5);

    // Malformed keys are refused before anything happens.
    for bad in ["short", "has space in it 0000000", &"x".repeat(65)] {
        let r = create(&c, "keys/generate", bad, &aes("bad"));
        assert_eq!(r.status, 400, "{bad:?}");
    }
    assert_eq!(objects(&db), before + 5);

    // The trail: one creation per key, each replay recorded as one, the conflicts refused.
    let generated = count(
        &db,
        "SELECT COUNT(*) FROM audit WHERE action = 'key.generate' AND outcome = 'ok'",
    );
    assert_eq!(generated, 3, "one per key and one per keyless request");
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM audit WHERE action = 'request.replay' AND outcome = 'ok'"
        ),
        2
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM audit WHERE action = 'request.replay' \
             AND outcome = 'idempotency_conflict'"
        ),
        3
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM idempotency"), 2);
}

#[test]
fn concurrent_requests_with_one_key_create_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = Kmsd::start_in(dir.path());
    let mut c = d.client();
    assert_eq!(c.login(USER_PIN).status, 200);
    let c = std::sync::Arc::new(c);
    let key = "race-race-race-race-0000000001";
    let answers: Vec<Value> = (0..6)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || {
                let r = create(&c, "keys/generate", key, &aes("race"));
                assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
                r.json()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    let db = RawStore::open(dir.path());
    let label = base64_label("race");
    let made: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM objects WHERE label = ?1",
            kms_daemon::store::db::params![label],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(made, 1, "six requests with one key, one object");
}

fn base64_label(label: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(label)
}
