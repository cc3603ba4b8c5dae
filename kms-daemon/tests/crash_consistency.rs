//! Crash consistency: 50 times, kmsd serves 32 clients creating, using and destroying token
//! keys, and is killed with SIGKILL at an arbitrary moment. After each restart every key whose
//! creation was acknowledged is there and works, every acknowledged destruction holds, each
//! request that was in flight at the kill happened wholly or not at all, and at the end SQLite's
//! integrity check passes and the audit chain verifies. With `[audit] key_use_durability =
//! "deferred"`, every acknowledged key use still has its record and its count after a SIGKILL:
//! deferred uses are committed before their answer, only their sync to disk waits.

mod common;

use common::*;
use kms_daemon::ck::*;
use kms_daemon::config::store::Durability;
use kms_daemon::config::Config;
use kms_daemon::store::db::params;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const ROUNDS: usize = 50;
const CLIENTS: usize = 32;

fn path(rest: &str) -> String {
    format!("/v1/tokens/{TOKEN}/{rest}")
}

/// What the clients were told.
#[derive(Default)]
struct Ledger {
    /// Keys whose creation was acknowledged: (label, id).
    created: Vec<(String, String)>,
    /// Acknowledged destructions (ids).
    destroyed: Vec<String>,
    /// Creations in flight at the kill (labels), and destructions (ids).
    unsure_created: Vec<String>,
    unsure_destroyed: Vec<String>,
}

fn gcm() -> serde_json::Value {
    json!({"mechanism": CKM_AES_GCM, "params": {"gcm": {"iv": b64(&[1u8; 12]), "aad": "", "tag_bits": 128}}})
}

/// One client until kmsd dies: create a key, use it, and destroy every third one.
fn client(c: &Client, round: usize, id: usize, ledger: &Mutex<Ledger>, dead: &AtomicBool) {
    for n in 0.. {
        if dead.load(Ordering::Relaxed) {
            return;
        }
        let label = format!("crash-{round}-{id}-{n}");
        let body = json!({
            "mechanism": {"mechanism": CKM_AES_KEY_GEN},
            "template": [a_ulong(CKA_VALUE_LEN, 32), a_bool(CKA_TOKEN, true),
                         a_bytes(CKA_LABEL, label.as_bytes())],
        });
        let bytes = serde_json::to_vec(&body).unwrap();
        let r = match c.raw("POST", &path("keys/generate"), &bytes) {
            Ok(r) if r.status == 200 => r,
            _ => {
                ledger.lock().unwrap().unsure_created.push(label);
                return;
            }
        };
        let key = r.json()["id"].as_str().unwrap().to_owned();
        ledger.lock().unwrap().created.push((label, key.clone()));
        let enc = json!({"mechanism": gcm(), "data": b64(b"crash")});
        let bytes = serde_json::to_vec(&enc).unwrap();
        if !matches!(c.raw("POST", &path(&format!("objects/{key}/encrypt")), &bytes), Ok(r) if r.status == 200)
        {
            return;
        }
        if n % 3 == 2 {
            match c.raw("DELETE", &path(&format!("objects/{key}")), b"{}") {
                Ok(r) if r.status == 200 => ledger.lock().unwrap().destroyed.push(key),
                _ => {
                    ledger.lock().unwrap().unsure_destroyed.push(key);
                    return;
                }
            }
        }
    }
}

/// Checks the ledger against a restarted kmsd.
fn check(c: &Client, ledger: &Ledger) {
    let status = |id: &str| c.call("GET", &path(&format!("objects/{id}")), None).status;
    for (label, id) in &ledger.created {
        if ledger.destroyed.contains(id) {
            assert_eq!(status(id), 404, "{label}: acknowledged destruction undone");
            continue;
        }
        if ledger.unsure_destroyed.contains(id) {
            continue;
        }
        assert_eq!(status(id), 200, "{label}: acknowledged key lost");
        let enc = json!({"mechanism": gcm(), "data": b64(b"after the crash")});
        let r = c.call("POST", &path(&format!("objects/{id}/encrypt")), Some(enc));
        assert_eq!(r.status, 200, "{label}: key unusable after the crash");
    }
    // In flight at the kill: there wholly (found once, usable) or not at all.
    for label in &ledger.unsure_created {
        let found = c
            .call(
                "POST",
                &path("objects/find"),
                Some(json!({"template": [a_bytes(CKA_LABEL, label.as_bytes())]})),
            )
            .json();
        let objects = found["objects"].as_array().unwrap();
        assert!(objects.len() <= 1, "{label}: created twice");
        if let Some(o) = objects.first() {
            let id = o["id"].as_str().unwrap();
            let enc = json!({"mechanism": gcm(), "data": b64(b"half?")});
            let r = c.call("POST", &path(&format!("objects/{id}/encrypt")), Some(enc));
            assert_eq!(r.status, 200, "{label}: half-made key");
        }
    }
}

#[test]
fn sigkill_at_any_moment_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let mut login = d.client();
    assert_eq!(login.login(USER_PIN).status, 200);
    // The login session lives in the store: it survives the restarts.
    let bearer = login.bearer.clone();
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    let mut restarts = Vec::new();
    for round in 0..ROUNDS {
        let ledger = Mutex::new(Ledger::default());
        let dead = AtomicBool::new(false);
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let kill_after = Duration::from_millis(30 + rng % 300);
        std::thread::scope(|scope| {
            for id in 0..CLIENTS {
                let mut c = d.client();
                c.bearer = bearer.clone();
                let (ledger, dead) = (&ledger, &dead);
                scope.spawn(move || client(&c, round, id, ledger, dead));
            }
            std::thread::sleep(kill_after);
            d.kill();
            dead.store(true, Ordering::Relaxed);
        });
        let started = Instant::now();
        d = Kmsd::start_in(dir.path());
        restarts.push(started.elapsed());
        let mut c = d.client();
        c.bearer = bearer.clone();
        check(&c, &ledger.into_inner().unwrap());
    }
    restarts.sort();
    eprintln!(
        "restart to ready: median {:?}, max {:?} over {ROUNDS} kills",
        restarts[ROUNDS / 2],
        restarts[ROUNDS - 1]
    );
    d.stop();
    if !skip_on_postgres(
        "sigkill_at_any_moment…: PRAGMA integrity_check",
        "the file-level integrity check is SQLite's (the rest of the test runs)",
    ) {
        let conn = rusqlite::Connection::open(dir.path().join("kms.db")).unwrap();
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
    }
    assert_audit_verifies(dir.path());
}

/// Acknowledged encryptions of `key` until `dead`.
fn encrypt_until(c: &Client, key: &str, dead: &AtomicBool) -> i64 {
    let enc = json!({"mechanism": gcm(), "data": b64(b"deferred")});
    let bytes = serde_json::to_vec(&enc).unwrap();
    let mut acknowledged = 0;
    while !dead.load(Ordering::Relaxed) {
        match c.raw("POST", &path(&format!("objects/{key}/encrypt")), &bytes) {
            Ok(r) if r.status == 200 => acknowledged += 1,
            _ => break,
        }
    }
    acknowledged
}

#[test]
fn sigkill_loses_no_acknowledged_deferred_key_use() {
    let dir = tempfile::tempdir().unwrap();
    Kmsd::start_in(dir.path()).stop();
    let config = dir.path().join("kmsd.toml");
    let mut cfg = Config::load(&config).unwrap();
    cfg.audit.key_use_durability = Durability::Deferred;
    // Longer than the run: nothing reaches the disk by the flusher before the kill.
    cfg.audit.flush_interval_ms = 1000;
    std::fs::write(&config, cfg.to_toml().unwrap()).unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let mut login = d.client();
    assert_eq!(login.login(USER_PIN).status, 200);
    let keys: Vec<String> = (0..8)
        .map(|i| {
            let r = login.call(
                "POST",
                &path("keys/generate"),
                Some(json!({
                    "mechanism": {"mechanism": CKM_AES_KEY_GEN},
                    "template": [a_ulong(CKA_VALUE_LEN, 32), a_bool(CKA_TOKEN, true),
                                 a_bytes(CKA_LABEL, format!("deferred-{i}").as_bytes())],
                })),
            );
            assert_eq!(r.status, 200);
            r.json()["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let dead = AtomicBool::new(false);
    let acknowledged: Vec<i64> = std::thread::scope(|scope| {
        let workers: Vec<_> = keys
            .iter()
            .map(|key| {
                let mut c = d.client();
                c.bearer = login.bearer.clone();
                let dead = &dead;
                scope.spawn(move || encrypt_until(&c, key, dead))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(400));
        d.kill();
        dead.store(true, Ordering::Relaxed);
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    assert!(acknowledged.iter().sum::<i64>() > 0, "no use acknowledged");
    let store = RawStore::open(dir.path());
    for (key, acked) in keys.iter().zip(&acknowledged) {
        let (records, uses): (i64, i64) = store
            .query_row(
                "SELECT (SELECT COUNT(*) FROM audit WHERE object_id = ?1 \
                 AND action = 'key.encrypt' AND outcome = 'ok'), \
                 (SELECT uses FROM objects WHERE id = ?1)",
                params![key.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        // One in flight at the kill may have been committed without its answer.
        assert!(
            (*acked..=acked + 1).contains(&records) && records == uses,
            "{key}: {acked} acknowledged, {records} records, {uses} uses"
        );
    }
    drop(store);
    assert_audit_verifies(dir.path());
}
