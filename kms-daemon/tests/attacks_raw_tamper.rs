//! T23 and stored-row tampering against a real kmsd: with write access to the live SQLite file
//! (WAL mode, written while kmsd serves), flip a security attribute, the life cycle state, the
//! ACL, or swap two keys' sealed blobs. The key becomes unusable (`integrity_failure`, HTTP 500,
//! audited), never weaker, and no response carries its planted value.

mod common;

use common::attacker::*;
use common::*;
use kms_daemon::ck::*;
use serde_json::{json, Value};
use std::process::Command;

/// A tampering of the row of key `id` with write access to the database.
type Tamper = fn(&RawStore, &str, &str);

fn set_flag(conn: &RawStore, id: &str, ty: u64, from: bool, to: bool) {
    let attrs: String = conn
        .query_row(
            "SELECT attrs FROM objects WHERE id = ?1",
            kms_daemon::store::db::params![id],
            |r| r.get(0),
        )
        .unwrap();
    let edited = attrs.replace(
        &format!(r#"{{"t":{ty},"v":{{"bool":{from}}}}}"#),
        &format!(r#"{{"t":{ty},"v":{{"bool":{to}}}}}"#),
    );
    assert_ne!(attrs, edited, "attribute {ty:#x} not found as {from}");
    conn.execute(
        "UPDATE objects SET attrs = ?1 WHERE id = ?2",
        kms_daemon::store::db::params![edited, id],
    )
    .unwrap();
}

const TAMPERS: &[(&str, Tamper)] = &[
    ("EXTRACTABLE F->T", |c, id, _| {
        set_flag(c, id, CKA_EXTRACTABLE, false, true)
    }),
    ("SENSITIVE T->F", |c, id, _| {
        set_flag(c, id, CKA_SENSITIVE, true, false)
    }),
    ("WRAP F->T", |c, id, _| {
        set_flag(c, id, CKA_WRAP, false, true)
    }),
    ("SIGN F->T", |c, id, _| {
        set_flag(c, id, CKA_SIGN, false, true)
    }),
    ("deactivated -> active", |c, id, _| {
        c.execute("UPDATE objects SET state = 'active', not_after = NULL, state_reason = NULL WHERE id = ?1", kms_daemon::store::db::params![id])
            .unwrap();
    }),
    ("sealed blobs swapped", |c, id, other| {
        c.execute(
            "UPDATE objects SET sealed = (SELECT sealed FROM objects WHERE id = ?2) WHERE id = ?1",
            kms_daemon::store::db::params![id, other],
        )
        .unwrap();
    }),
];

fn kmsd_admin(d: &Kmsd, args: &[&str]) {
    let out = Command::new(kms_testkit::kmsd_bin())
        .args(args)
        .arg("--config")
        .arg(d.config())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kmsd {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn gcm() -> Value {
    json!({"mechanism": CKM_AES_GCM,
           "params": {"gcm": {"iv": b64(&[9u8; 12]), "aad": "", "tag_bits": 128}}})
}

#[test]
fn a_tampered_row_is_unusable_audited_and_never_weaker_t23() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let mut a = Attacker::logged_in(&d, None);
    let kw = id(&ok(&a.generate_aes(
        32,
        vec![
            flag(CKA_TOKEN, true),
            flag(CKA_WRAP, true),
            flag(CKA_DECRYPT, false),
        ],
    )));
    let db = RawStore::open(dir.path());

    for (i, (what, tamper)) in TAMPERS.iter().enumerate() {
        let value = [0x10 + i as u8; 32];
        let victim = a.import_secret(&value, vec![flag(CKA_TOKEN, true)]);
        let other = a.import_secret(&[0x90 + i as u8; 32], vec![flag(CKA_TOKEN, true)]);
        if what.starts_with("deactivated") {
            kmsd_admin(&d, &["key", "deactivate", "--id", &victim]);
        }
        tamper(&db, &victim, &other);

        // Every use, read and wrap of the victim: refused, never answered with its value.
        let uses = [
            a.crypt("encrypt", &victim, gcm(), b"after tamper"),
            a.crypt("sign", &victim, mech(CKM_SHA256_HMAC), b"after tamper"),
            a.wrap(mech(CKM_AES_KEY_WRAP_KWP), &kw, &victim),
            a.wrap(mech(CKM_AES_KEY_WRAP_KWP), &victim, &other),
        ];
        for r in &uses {
            assert!(
                r.status == 500 && r.code() == "integrity_failure"
                    || (r.status == 403 || r.status == 400) && r.code() != "integrity_failure",
                "{what}: {}",
                String::from_utf8_lossy(&r.body)
            );
        }
        assert_eq!(
            (uses[0].status, uses[0].code().as_str()),
            (500, "integrity_failure"),
            "{what}: encrypt"
        );
        let info = a.call("GET", &format!("objects/{victim}"), Value::Null);
        assert!(info.status != 200 || attr(&info.json(), CKA_VALUE).is_none());

        // The refusal is in the audit trail, and the chain still verifies.
        let (action, outcome): (String, String) = db
            .query_row(
                "SELECT action, outcome FROM audit WHERE object_id = ?1 AND action = 'key.encrypt' \
                 ORDER BY seq DESC LIMIT 1",
                kms_daemon::store::db::params![victim],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            (action.as_str(), outcome.as_str()),
            ("key.encrypt", "integrity_failure"),
            "{what}"
        );
    }
    a.assert_no_leak();
    drop(db);
    d.stop();
}
