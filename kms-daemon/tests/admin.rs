//! The SO identity of `kmsd quickstart` and the PIN and copy routes, over real mutual TLS.

mod common;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, ParsedPublicKey};
use common::*;
use kms_daemon::ck::*;
use kms_daemon::config::Config;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;

fn path(rest: &str) -> String {
    format!("/v1/tokens/{TOKEN}/{rest}")
}

fn ok(r: &Response) -> Value {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

fn sign_and_verify(c: &Client, id: &str, spki: &[u8]) {
    let msg = b"keytool-style copy";
    let d = digest::digest(&digest::SHA256, msg);
    let r = c.call(
        "POST",
        &path(&format!("objects/{id}/sign")),
        Some(json!({"mechanism": {"mechanism": CKM_ECDSA}, "data": b64(d.as_ref())})),
    );
    let sig = unb64(&ok(&r)["data"]);
    ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, spki)
        .unwrap()
        .verify_sig(msg, &sig)
        .expect("signature verifies");
}

#[test]
fn quickstart_admin_certificate_is_the_only_so_and_unlocks_the_user() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());

    // The files quickstart made for the SO.
    let mode = std::fs::metadata(dir.path().join("admin.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let cfg = Config::load(&d.config()).unwrap();
    assert_eq!(cfg.auth.so_identities, ["CN=kms-admin"]);
    let client_cfg = std::fs::read_to_string(dir.path().join("pkcs11.toml")).unwrap();
    let admin_cfg = std::fs::read_to_string(dir.path().join("pkcs11-admin.toml")).unwrap();
    assert_eq!(
        admin_cfg,
        client_cfg
            .replace("client.pem", "admin.pem")
            .replace("client.key", "admin.key")
    );
    assert!(admin_cfg.contains(&d.addr));

    // The normal client may not log in as SO, even with the right SO PIN.
    let mut c = d.client();
    let r = c.login_as("so", SO_PIN);
    assert_eq!((r.status, r.code().as_str()), (403, "user_type_invalid"));

    // Lock the user.
    for i in 1..=10 {
        let want = if i < 10 {
            "pin_incorrect"
        } else {
            "pin_locked"
        };
        assert_eq!(c.login("000000").code(), want, "attempt {i}");
    }
    assert_eq!(c.login(USER_PIN).code(), "pin_locked");

    // init-pin needs an SO session: not the client's, not the admin's before login.
    let init = json!({"pin": b64(b"24681357")});
    let r = c.call("POST", &path("init-pin"), Some(init.clone()));
    assert_eq!((r.status, r.code().as_str()), (401, "user_not_logged_in"));
    let mut admin = d.admin_client();
    let r = admin.call("POST", &path("init-pin"), Some(init.clone()));
    assert_eq!(r.code(), "user_not_logged_in");
    // With the admin certificate, SO login works.
    ok(&admin.login_as("so", SO_PIN));
    let r = admin.call("POST", &path("init-pin"), Some(json!({"pin": b64(b"1")})));
    assert_eq!((r.status, r.code().as_str()), (400, "pin_len_range"));
    ok(&admin.call("POST", &path("init-pin"), Some(init)));
    let tokens = ok(&c.call("GET", "/v1/tokens", None));
    assert_eq!(tokens["tokens"][0]["user_pin_locked"], false);
    assert_eq!(tokens["tokens"][0]["user_pin_count_low"], false);

    // The SO bearer is bound to the admin identity.
    let mut borrowed = d.client();
    borrowed.bearer = admin.bearer.clone();
    let r = borrowed.call(
        "POST",
        &path("init-pin"),
        Some(json!({"pin": b64(b"99999999")})),
    );
    assert_eq!(r.code(), "unauthenticated");

    // The user is back, with the PIN the SO set; the old one is gone.
    assert_eq!(c.login(USER_PIN).code(), "pin_incorrect");
    ok(&c.login("24681357"));

    // set-pin over the session: a wrong old PIN is counted, the right one changes it.
    let r = c.call(
        "POST",
        &path("set-pin"),
        Some(json!({"old_pin": b64(b"00000000"), "new_pin": b64(b"11223344")})),
    );
    assert_eq!((r.status, r.code().as_str()), (401, "pin_incorrect"));
    assert_eq!(
        ok(&c.call("GET", "/v1/tokens", None))["tokens"][0]["user_pin_count_low"],
        true
    );
    ok(&c.call(
        "POST",
        &path("set-pin"),
        Some(json!({"old_pin": b64(b"24681357"), "new_pin": b64(b"11223344")})),
    ));
    let mut fresh = d.client();
    assert_eq!(fresh.login("24681357").code(), "pin_incorrect");
    ok(&fresh.login("11223344"));

    // keytool -genkeypair: a session pair, then C_CopyObject(priv, {TOKEN=true, ID=alias}).
    c.instance = Some("keytool-1".into());
    let pair = ok(&c.call(
        "POST",
        &path("keys/generate-pair"),
        Some(json!({
            "mechanism": {"mechanism": CKM_EC_KEY_PAIR_GEN},
            "public_template": [a_bytes(CKA_EC_PARAMS, &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07])],
            "private_template": [],
        })),
    ));
    let src = pair["private"]["id"].as_str().unwrap().to_owned();
    let spki = unb64(&attr(&pair["public"], CKA_PUBLIC_KEY_INFO).unwrap()["bytes"]);
    let copy = ok(&c.call(
        "POST",
        &path(&format!("objects/{src}/copy")),
        Some(json!({"template": [a_bool(CKA_TOKEN, true), a_bytes(CKA_ID, b"mykey")]})),
    ));
    let copy_id = copy["id"].as_str().unwrap().to_owned();
    assert_ne!(copy_id, src);
    assert_eq!(attr(&copy, CKA_TOKEN).unwrap()["bool"], true);
    assert_eq!(attr(&copy, CKA_LOCAL).unwrap()["bool"], true);
    let r = c.call(
        "POST",
        &path(&format!("objects/{copy_id}/copy")),
        Some(json!({"template": [a_bool(CKA_SENSITIVE, false)]})),
    );
    assert_eq!((r.status, r.code().as_str()), (403, "attribute_read_only"));
    let r = c.call("DELETE", &path(&format!("objects/{src}")), Some(json!({})));
    ok(&r);
    sign_and_verify(&c, &copy_id, &spki);

    let config = d.config();
    d.stop();
    let out = std::process::Command::new(kms_testkit::kmsd_bin())
        .args(["audit", "verify", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let conn = RawStore::open(dir.path());
    let detail: String = conn
        .query_row(
            "SELECT detail FROM audit WHERE action = 'object.copy' AND outcome = 'ok'",
            kms_daemon::store::db::params![],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(detail, format!("source={src}"));
    let actions: String = conn
        .query_all(
            "SELECT action || ':' || outcome FROM audit ORDER BY seq",
            kms_daemon::store::db::params![],
            |r| r.get::<String>(0),
        )
        .unwrap()
        .join(" ");
    for want in [
        "pin.init:user_not_logged_in",
        "pin.init:ok",
        "pin.set:pin_incorrect",
        "pin.set:ok",
        "object.copy:ok",
        "object.copy:attribute_read_only",
    ] {
        assert!(actions.contains(want), "{want} missing in {actions}");
    }
}

#[test]
fn an_existing_dir_without_an_admin_certificate_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    Kmsd::start_in(dir.path()).stop();
    // Make it look like a dir from before admin certificates.
    for f in ["admin.pem", "admin.key", "pkcs11-admin.toml"] {
        std::fs::remove_file(dir.path().join(f)).unwrap();
    }
    let cfg_path = dir.path().join("kmsd.toml");
    let written = std::fs::read_to_string(&cfg_path).unwrap();
    let old = written.replace("so_identities = [\"CN=kms-admin\"]", "so_identities = []");
    assert_ne!(old, written);
    std::fs::write(&cfg_path, &old).unwrap();

    let mut d = Kmsd::start_in(dir.path());
    assert_eq!(std::fs::read_to_string(&cfg_path).unwrap(), old);
    assert!(!dir.path().join("admin.pem").exists());
    assert!(!dir.path().join("pkcs11-admin.toml").exists());
    let mut c = d.client();
    assert_eq!(c.login_as("so", SO_PIN).code(), "user_type_invalid");
    ok(&c.login(USER_PIN));
    d.stop();
}
