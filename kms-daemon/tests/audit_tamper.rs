//! Audit against a real kmsd and the real `kmsd audit verify`: the audit sink failing makes
//! operations fail with no side effect (fail closed) and service recovers without a restart; a
//! changed, removed, reordered, inserted or cut-off (tail) record is detected, naming the first
//! bad one.

mod common;

use common::attacker::*;
use common::*;
use kms_daemon::ck::*;
use kms_daemon::store::Dialect;
use serde_json::json;
use std::path::Path;
use std::process::Command;

/// `kmsd audit verify` on `config`: (exit success, stdout).
fn verify(config: &Path) -> (bool, String) {
    let out = Command::new(kms_testkit::kmsd_bin())
        .args(["audit", "verify", "--config"])
        .arg(config)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn count(db: &RawStore, sql: &str) -> i64 {
    db.query_row(sql, kms_daemon::store::db::params![], |r| r.get(0))
        .unwrap()
}

fn hmac_key(a: &Attacker) -> String {
    let r = a.call(
        "POST",
        "keys/generate",
        json!({"mechanism": mech(CKM_GENERIC_SECRET_KEY_GEN),
               "template": [a_ulong(CKA_VALUE_LEN, 32), flag(CKA_SIGN, true),
                            flag(CKA_TOKEN, true)]}),
    );
    id(&ok(&r))
}

#[test]
fn an_unwritable_audit_sink_stops_every_operation_without_side_effects() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let a = Attacker::logged_in(&d, None);
    let key = hmac_key(&a);
    let sign = || a.crypt("sign", &key, mech(CKM_SHA256_HMAC), b"to sign");
    ok(&sign());

    let db = RawStore::open(dir.path());
    let (objects, records) = (
        count(&db, "SELECT count(*) FROM objects"),
        count(&db, "SELECT count(*) FROM audit"),
    );
    let (sink_down, sink_up) = match db.dialect() {
        Dialect::Sqlite => (
            "CREATE TRIGGER audit_sink_down BEFORE INSERT ON audit \
             BEGIN SELECT RAISE(ABORT, 'audit sink down'); END;",
            "DROP TRIGGER audit_sink_down;",
        ),
        Dialect::Postgres => (
            "CREATE FUNCTION sink_down() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'audit sink down'; END $$; \
             CREATE TRIGGER audit_sink_down BEFORE INSERT ON audit \
             FOR EACH ROW EXECUTE FUNCTION sink_down();",
            "DROP TRIGGER audit_sink_down ON audit;",
        ),
    };
    db.execute_batch(sink_down).unwrap();

    // A key creation and a signature: both fail, nothing is created, no signature comes back.
    let created = a.call(
        "POST",
        "keys/generate",
        json!({"mechanism": mech(CKM_AES_KEY_GEN),
               "template": [a_ulong(CKA_VALUE_LEN, 32), flag(CKA_TOKEN, true)]}),
    );
    let signed = sign();
    for r in [&created, &signed] {
        refused(r, 503, "audit_unavailable", "audit sink down");
        assert!(r.json().get("data").is_none() && r.json().get("id").is_none());
    }
    assert_eq!(count(&db, "SELECT count(*) FROM objects"), objects);
    assert_eq!(count(&db, "SELECT count(*) FROM audit"), records);

    // The sink is back: service resumes with no restart.
    db.execute_batch(sink_up).unwrap();
    ok(&sign());
    assert_eq!(count(&db, "SELECT count(*) FROM audit"), records + 1);
    drop(db);
    d.stop();
}

/// A copy of the stopped daemon's directory with `sql` applied to its store (triggers dropped
/// first, as an attacker with write access would); `kmsd audit verify` on it.
fn tampered(src: &Path, sql: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, dir.path().join(p.file_name().unwrap())).unwrap();
        }
    }
    let config = std::fs::read_to_string(src.join("kmsd.toml"))
        .unwrap()
        .replace(src.to_str().unwrap(), dir.path().to_str().unwrap());
    std::fs::write(dir.path().join("kmsd.toml"), config).unwrap();
    let db = rusqlite::Connection::open(dir.path().join("kms.db")).unwrap();
    db.execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;")
        .unwrap();
    db.execute_batch(sql).unwrap();
    drop(db);
    verify(&dir.path().join("kmsd.toml"))
}

#[test]
fn audit_verify_names_the_first_changed_removed_reordered_inserted_or_missing_record() {
    if skip_on_postgres(
        "audit_verify_names_…",
        "it edits copies of the store file and checks the audit-head file",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let a = Attacker::logged_in(&d, None);
    let key = hmac_key(&a);
    for _ in 0..6 {
        ok(&a.crypt("sign", &key, mech(CKM_SHA256_HMAC), b"x"));
    }
    d.stop();
    let (good, out) = verify(&dir.path().join("kmsd.toml"));
    assert!(
        good && out.contains("audit chain OK") && out.contains("audit head"),
        "{out}"
    );
    let db = RawStore::open(dir.path());
    let last = count(&db, "SELECT max(seq) FROM audit");
    drop(db);
    assert!(last >= 8, "{last} records");

    let cases = [
        ("changed", "UPDATE audit SET outcome = 'ok-edited' WHERE seq = 3;".to_owned(), 3),
        ("removed", "DELETE FROM audit WHERE seq = 3;".to_owned(), 3),
        (
            "reordered",
            "UPDATE audit SET seq = -3 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 4; \
             UPDATE audit SET seq = 4 WHERE seq = -3;"
                .to_owned(),
            3,
        ),
        (
            "inserted",
            "UPDATE audit SET seq = -seq WHERE seq >= 3; UPDATE audit SET seq = 1 - seq WHERE seq < 0; \
             INSERT INTO audit (seq, ts_ms, request_id, actor, action, outcome, prev_hash, hash) \
             SELECT 3, ts_ms, 'forged', actor, 'key.sign', 'ok', hash, hash FROM audit WHERE seq = 2;"
                .to_owned(),
            3,
        ),
        (
            "tail cut",
            format!("DELETE FROM audit WHERE seq >= {};", last - 1),
            last - 1,
        ),
    ];
    for (what, sql, first_bad) in cases {
        let (good, out) = tampered(dir.path(), &sql);
        assert!(!good, "{what}: {out}");
        assert!(
            out.contains("BROKEN") && out.contains(&format!("seq={first_bad}")),
            "{what}: {out}"
        );
    }
}

/// Records cut off the tail of the live chain: the very next write is refused (503
/// `audit_unavailable`) rather than covering the cut with a fresh head, and nothing it asked for
/// happens; `kmsd audit verify` names the cut.
#[test]
fn a_tail_cut_on_the_live_store_stops_the_next_write() {
    if skip_on_postgres(
        "a_tail_cut_…",
        "the tail-truncation check is the SQLite store's audit-head file",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = Kmsd::start_in(dir.path());
    let a = Attacker::logged_in(&d, None);
    let key = hmac_key(&a);
    ok(&a.crypt("sign", &key, mech(CKM_SHA256_HMAC), b"to sign"));
    let db = RawStore::open(dir.path());
    db.execute_batch("DROP TRIGGER audit_no_delete;").unwrap();
    let last = count(&db, "SELECT max(seq) FROM audit");
    db.execute(
        "DELETE FROM audit WHERE seq >= ?1",
        kms_daemon::store::db::params![last - 1],
    )
    .unwrap();
    let objects = count(&db, "SELECT count(*) FROM objects");
    let r = a.call(
        "POST",
        "keys/generate",
        json!({"mechanism": mech(CKM_GENERIC_SECRET_KEY_GEN),
               "template": [a_ulong(CKA_VALUE_LEN, 32), flag(CKA_TOKEN, true)]}),
    );
    assert_eq!(
        (r.status, r.code().as_str()),
        (503, "audit_unavailable"),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(count(&db, "SELECT count(*) FROM objects"), objects);
    let (ok_, out) = verify(&d.config());
    assert!(!ok_, "{out}");
    assert!(out.contains(&format!("seq={}", last - 1)), "{out}");
}
