//! Upgrades: a store written by an earlier kmsd opens in this one. The fixture
//! `tests/fixtures/store-v8/` is a quick-start store made by the kmsd of schema version 8 (its
//! SQLite file with the audit head, and its master key; `manifest.json` names its keys and a
//! ciphertext made then). This kmsd migrates it in place and then: the user PIN of that time logs
//! in, the ECDSA key signs, the AES key decrypts what it encrypted then and encrypts anew, and
//! the audit chain — old records and new — verifies. A store from a newer kmsd is refused with a
//! message naming both versions.
//!
//! The fixture is remade (only when a release changes the schema, keeping the old one) with
//! `KMS_WRITE_UPGRADE_FIXTURE=1 cargo test --release -p kms-daemon --test upgrade -- --ignored`.

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The files of a store that the fixture keeps.
const STORE_FILES: [&str; 3] = ["kms.db", "kms.db.audit-head", "master.key"];

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v8")
}

/// Replaces the store and master key of the stopped kmsd of `dir` by those of `from`.
fn put_store(from: &Path, dir: &Path) {
    for f in ["kms.db-wal", "kms.db-shm"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    for f in STORE_FILES {
        std::fs::copy(from.join(f), dir.join(f)).unwrap();
        // Git keeps no modes: the master key and the store are the owner's only.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join(f), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

fn path(rest: &str) -> String {
    format!("/v1/tokens/{TOKEN}/{rest}")
}

fn ok(r: &Response) -> Value {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

#[test]
fn a_store_of_schema_v8_upgrades_with_its_keys_pins_and_audit_chain() {
    if skip_on_postgres("upgrade", "the fixture is a SQLite store file") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut k = Kmsd::start_in(dir.path());
    k.stop();
    put_store(&fixture(), dir.path());
    k.restart();

    let manifest: Value =
        serde_json::from_slice(&std::fs::read(fixture().join("manifest.json")).unwrap()).unwrap();
    let mut c = k.client();
    ok(&c.login(USER_PIN));
    let ec = manifest["ecdsa_private"].as_str().unwrap();
    ok(&ecdsa_sign(&c, ec));
    let aes = manifest["aes"].as_str().unwrap();
    let old = unb64(&manifest["gcm_ciphertext"]);
    let plain = unb64(&ok(&gcm(&c, aes, "decrypt", &old))["data"]);
    assert_eq!(plain, manifest["plaintext"].as_str().unwrap().as_bytes());
    ok(&gcm(&c, aes, "encrypt", b"after the upgrade"));
    k.stop();
    assert_audit_verifies(dir.path());

    // The store now has this kmsd's schema; one that claims a newer one is refused.
    let store = RawStore::open(dir.path());
    let version: i64 = store
        .query_row("SELECT MAX(version) FROM schema_version", &[], |r| r.get(0))
        .unwrap();
    assert!(version >= 8, "schema version {version} after the upgrade");
    store
        .execute_batch(&format!(
            "INSERT INTO schema_version VALUES ({})",
            version + 1
        ))
        .unwrap();
    drop(store);
    let (ok, out) = k.admin(&["check-config"]);
    assert!(
        !ok && out.contains(&format!("schema version {}, newer", version + 1)),
        "{out}"
    );
}

/// Writes the fixture with the kmsd built now (see the module doc).
#[test]
#[ignore = "writes tests/fixtures/store-v8; run by hand when a release changes the schema"]
fn write_upgrade_fixture() {
    if std::env::var_os("KMS_WRITE_UPGRADE_FIXTURE").is_none() || on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut k, c) = start_logged_in(dir.path());
    let ec = generate_signing_pair(&c);
    ok(&ecdsa_sign(&c, &ec));
    let aes = ok(&c.call(
        "POST",
        &path("keys/generate"),
        Some(
            json!({"mechanism": {"mechanism": kms_daemon::ck::CKM_AES_KEY_GEN},
                    "template": [a_ulong(kms_daemon::ck::CKA_VALUE_LEN, 32),
                                 a_bool(kms_daemon::ck::CKA_TOKEN, true),
                                 a_bool(kms_daemon::ck::CKA_ENCRYPT, true),
                                 a_bool(kms_daemon::ck::CKA_DECRYPT, true)]}),
        ),
    ))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let plaintext = "sealed before the upgrade";
    let ct = ok(&gcm(&c, &aes, "encrypt", plaintext.as_bytes()))["data"].clone();
    k.stop();
    // One file: the WAL folded into the database.
    rusqlite::Connection::open(dir.path().join("kms.db"))
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let out = fixture();
    std::fs::create_dir_all(&out).unwrap();
    for f in STORE_FILES {
        std::fs::copy(dir.path().join(f), out.join(f)).unwrap();
    }
    let manifest = json!({"ecdsa_private": ec, "aes": aes, "plaintext": plaintext,
                          "gcm_ciphertext": ct});
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap() + "\n",
    )
    .unwrap();
}
