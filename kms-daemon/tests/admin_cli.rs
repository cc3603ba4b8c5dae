//! The key administration commands (`kmsd key …`, `kmsd token delete`, `kmsd audit export`) run
//! as separate processes on the store of a serving kmsd; their effect shows at once over mutual
//! TLS, with the refusal codes the module maps to CKR_KEY_FUNCTION_NOT_PERMITTED.

mod common;

use common::*;
use kms_api::vendor::{CKA_KMS_STATE, CK_KMS_STATE_ACTIVE, CK_KMS_STATE_DEACTIVATED};
use kms_daemon::ck::*;
use serde_json::{json, Value};
use std::process::{Command, Output};

fn path(rest: &str) -> String {
    format!("/v1/tokens/{TOKEN}/{rest}")
}

fn ok(r: &Response) -> Value {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

/// Runs `kmsd ARGS --config <the daemon's>`.
fn kmsd(d: &Kmsd, args: &[&str]) -> Output {
    Command::new(kms_testkit::kmsd_bin())
        .args(args)
        .arg("--config")
        .arg(d.config())
        .output()
        .unwrap()
}

/// Like [`kmsd`], and requires success; returns stdout.
fn kmsd_ok(d: &Kmsd, args: &[&str]) -> String {
    let out = kmsd(d, args);
    assert!(
        out.status.success(),
        "kmsd {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn state(c: &Client, id: &str) -> u64 {
    let info = ok(&c.call("GET", &path(&format!("objects/{id}")), None));
    attr(&info, CKA_KMS_STATE).unwrap()["ulong"]
        .as_u64()
        .unwrap()
}

/// A serving kmsd on `dir`, a client logged in as the user, and a token AES-256 key of that
/// client labelled `label`.
fn serving_with_key(dir: &std::path::Path, label: &[u8]) -> (Kmsd, Client, String) {
    let d = Kmsd::start_in(dir);
    let mut c = d.client();
    assert_eq!(c.login(USER_PIN).status, 200);
    let r = c.call(
        "POST",
        &path("keys/generate"),
        Some(
            json!({"mechanism": {"mechanism": CKM_AES_KEY_GEN}, "template": [
            a_ulong(CKA_VALUE_LEN, 32), a_bool(CKA_TOKEN, true), a_bytes(CKA_LABEL, label)]}),
        ),
    );
    let id = ok(&r)["id"].as_str().unwrap().to_owned();
    (d, c, id)
}

#[test]
fn admin_commands_change_a_serving_daemons_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, c, id) = serving_with_key(dir.path(), b"payroll");
    assert_eq!(state(&c, &id), CK_KMS_STATE_ACTIVE);
    let ct = unb64(&ok(&gcm(&c, &id, "encrypt", b"salary"))["data"]);

    // List: a table, and JSON.
    let table = kmsd_ok(&d, &["key", "list"]);
    let header = table.lines().next().unwrap();
    assert!(
        header.starts_with("ID") && header.contains("STATE"),
        "{table}"
    );
    let row = table
        .lines()
        .find(|l| l.starts_with(&id))
        .expect("the key is listed");
    assert!(row.contains("active") && row.contains("payroll"), "{row}");
    let listed: Value = serde_json::from_str(&kmsd_ok(&d, &["key", "list", "--json"])).unwrap();
    let mine = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id.as_str())
        .unwrap();
    assert_eq!(
        (mine["state"].as_str(), mine["uses"].as_u64()),
        (Some("active"), Some(1))
    );

    // Deactivate while kmsd serves: no new encryption, old data still decrypts.
    kmsd_ok(&d, &["key", "deactivate", "--id", &id]);
    assert_eq!(state(&c, &id), CK_KMS_STATE_DEACTIVATED);
    let r = gcm(&c, &id, "encrypt", b"more");
    assert_eq!((r.status, r.code().as_str()), (403, "key_not_active"));
    assert_eq!(unb64(&ok(&gcm(&c, &id, "decrypt", &ct))["data"]), b"salary");
    // A second deactivation is refused, and says why.
    let again = kmsd(&d, &["key", "deactivate", "--id", &id]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("only an active key"));

    // A usage limit of one more decryption.
    let shown = kmsd_ok(
        &d,
        &[
            "key",
            "set-policy",
            "--id",
            &id,
            "--max-uses",
            "2",
            "--json",
        ],
    );
    let shown: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["max_uses"], 2);
    let r = gcm(&c, &id, "decrypt", &ct);
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "key_function_not_permitted")
    );
    kmsd_ok(
        &d,
        &["key", "set-policy", "--id", &id, "--max-uses", "none"],
    );
    ok(&gcm(&c, &id, "decrypt", &ct));
    let bad = kmsd(
        &d,
        &["key", "set-policy", "--id", &id, "--not-after", "tomorrow"],
    );
    assert!(!bad.status.success());

    // Revoke with a reason; schedule destruction; cancel it.
    kmsd_ok(
        &d,
        &["key", "revoke", "--id", &id, "--reason", "backup tape lost"],
    );
    let shown = kmsd_ok(&d, &["key", "show", "--id", &id]);
    assert!(
        shown.contains("compromised") && shown.contains("backup tape lost"),
        "{shown}"
    );
    kmsd_ok(&d, &["key", "destroy", "--id", &id]);
    let r = c.call("GET", &path(&format!("objects/{id}")), None);
    assert_eq!((r.status, r.code().as_str()), (404, "object_not_found"));
    kmsd_ok(&d, &["key", "cancel-destroy", "--id", &id]);
    ok(&gcm(&c, &id, "decrypt", &ct));

    // C_DestroyObject schedules destruction: the key disappears, the token keeps it.
    ok(&c.call("DELETE", &path(&format!("objects/{id}")), Some(json!({}))));
    let shown: Value =
        serde_json::from_str(&kmsd_ok(&d, &["key", "show", "--id", &id, "--json"])).unwrap();
    assert!(
        shown["destroy_at"].is_string() && shown["has_material"] == true,
        "{shown}"
    );
    let del = kmsd(&d, &["token", "delete", "--label", TOKEN]);
    assert!(!del.status.success());

    // The audit trail, as JSON lines, filtered by key and by actor.
    let lines: Vec<Value> = kmsd_ok(&d, &["audit", "export", "--key", &id])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["action"].as_str().unwrap(),
                l["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("key.generate", "ok"),
            ("key.encrypt", "ok"),
            ("key.deactivate", "ok"),
            ("key.encrypt", "key_not_active"),
            ("key.decrypt", "ok"),
            ("key.deactivate", "action_prohibited"),
            ("key.set_policy", "ok"),
            ("key.decrypt", "key_function_not_permitted"),
            ("key.set_policy", "ok"),
            ("key.decrypt", "ok"),
            ("key.revoke", "ok"),
            ("key.destroy", "ok"),
            ("key.cancel_destroy", "ok"),
            ("key.decrypt", "ok"),
            ("object.destroy", "ok"),
        ]
    );
    assert!(lines
        .iter()
        .all(|l| l["time"].as_str().unwrap().ends_with('Z')));
    let admin_actions = kmsd_ok(&d, &["audit", "export", "--principal", "local-admin"]);
    assert!(admin_actions.lines().count() >= 7);
    assert!(admin_actions
        .lines()
        .all(|l| l.contains("\"actor\":\"local-admin\"")));
    let none = kmsd_ok(&d, &["audit", "export", "--since", "2999-01-01"]);
    assert_eq!(none, "");
    assert!(kmsd_ok(&d, &["audit", "verify"]).starts_with("audit chain OK"));
    d.stop();
}

#[test]
fn kmsd_serve_erases_keys_whose_waiting_period_is_over_when_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, c, id) = serving_with_key(dir.path(), b"expiring");
    ok(&c.call("DELETE", &path(&format!("objects/{id}")), Some(json!({}))));
    d.stop();

    // Seven days later (the schedule moved to the past here; only its presence is sealed).
    let conn = RawStore::open(dir.path());
    conn.execute(
        "UPDATE objects SET destroy_at = 1 WHERE id = ?1",
        kms_daemon::store::db::params![id],
    )
    .unwrap();
    drop(conn);
    let mut d = Kmsd::start_in(dir.path());
    let shown: Value =
        serde_json::from_str(&kmsd_ok(&d, &["key", "show", "--id", &id, "--json"])).unwrap();
    assert_eq!(
        (shown["state"].as_str(), shown["has_material"].as_bool()),
        (Some("destroyed"), Some(false)),
        "{shown}"
    );
    let lines = kmsd_ok(
        &d,
        &["audit", "export", "--key", &id, "--principal", "kmsd"],
    );
    assert_eq!(lines.lines().count(), 1, "{lines}");
    assert!(lines.contains("\"action\":\"key.destroyed\""), "{lines}");
    let del = kmsd(&d, &["token", "delete", "--label", TOKEN]);
    assert!(
        del.status.success(),
        "{}",
        String::from_utf8_lossy(&del.stderr)
    );
    d.stop();
}

#[test]
fn attach_cert_pairs_a_certificate_with_its_key_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let d = Kmsd::start_in(dir.path());
    let mut c = d.client();
    assert_eq!(c.login(USER_PIN).status, 200);
    // A key pair whose private half an application keeps elsewhere: its public key on the token.
    let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut point = vec![0x04, kp.public_key_raw().len() as u8];
    point.extend_from_slice(kp.public_key_raw());
    let p256 = [0x06u8, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    let public = ok(&c.call(
        "POST",
        &path("objects"),
        Some(json!({"template": [
            a_ulong(CKA_CLASS, CKO_PUBLIC_KEY), a_ulong(CKA_KEY_TYPE, CKK_EC),
            a_bool(CKA_TOKEN, true), a_bytes(CKA_EC_PARAMS, &p256), a_bytes(CKA_EC_POINT, &point),
            a_bytes(CKA_ID, &[0x42]), a_bytes(CKA_LABEL, b"paired")]})),
    ));
    let key = public["id"].as_str().unwrap().to_owned();
    let mut params = rcgen::CertificateParams::new(vec!["paired.example".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "paired");
    let cert = params.self_signed(&kp).unwrap();
    let pem = dir.path().join("paired.pem");
    std::fs::write(&pem, cert.pem()).unwrap();

    // Another key's certificate is refused.
    let other = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let stranger = dir.path().join("other.pem");
    std::fs::write(&stranger, params.self_signed(&other).unwrap().pem()).unwrap();
    let out = kmsd(
        &d,
        &[
            "key",
            "attach-cert",
            "--id",
            &key,
            "--cert",
            stranger.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not this key's"));

    let done = kmsd_ok(
        &d,
        &[
            "key",
            "attach-cert",
            "--id",
            &key,
            "--cert",
            pem.to_str().unwrap(),
        ],
    );
    assert!(done.contains("attached to key"), "{done}");
    let found = ok(&c.call(
        "POST",
        &path("objects/find"),
        Some(json!({"template": [a_ulong(CKA_CLASS, CKO_CERTIFICATE), a_bytes(CKA_ID, &[0x42])]})),
    ));
    let certs = found["objects"].as_array().unwrap();
    assert_eq!(certs.len(), 1, "{found}");
    assert_eq!(
        unb64(&attr(&certs[0], CKA_VALUE).unwrap()["bytes"]),
        cert.der().to_vec()
    );
    assert_eq!(
        unb64(&attr(&certs[0], CKA_LABEL).unwrap()["bytes"]),
        b"paired".to_vec()
    );
    assert!(attr(&certs[0], CKA_SUBJECT).is_some());
}
