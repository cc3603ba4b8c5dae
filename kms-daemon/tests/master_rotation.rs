//! `kmsd master-key rotate` with the real binary, online: a client signs continuously through
//! the API while the rotation runs (no failure), the rotation is killed (SIGKILL) in the middle
//! and run again (it continues with the same version), then every key still works — a key
//! pair's primary blob and an AES key's retired version alike — the old master key version is
//! erased, and a restarted kmsd opens everything.

mod common;

use common::*;
use kms_daemon::ck::*;
use serde_json::json;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Sealed blobs per master key version (from the blob headers), and `erased_below`.
fn blob_versions(dir: &Path) -> (Vec<(u32, i64)>, u32) {
    let conn = RawStore::open(dir);
    let counts = conn
        .query_all(
            "SELECT v, COUNT(*) FROM (
               SELECT substr(sealed, 3, 4) AS v FROM objects WHERE sealed IS NOT NULL
               UNION ALL SELECT substr(sealed, 3, 4) FROM key_versions WHERE sealed IS NOT NULL) AS b
             GROUP BY v ORDER BY v",
            kms_daemon::store::db::params![],
            |r| {
                let v: Vec<u8> = r.get(0)?;
                Ok((u32::from_be_bytes(v.try_into().unwrap()), r.get(1)?))
            },
        )
        .unwrap();
    let erased: u32 = conn
        .query_row(
            "SELECT erased_below FROM master_key_epoch",
            kms_daemon::store::db::params![],
            |r| r.get(0),
        )
        .unwrap();
    (counts, erased)
}

#[test]
fn rotation_under_load_resumes_after_a_kill_and_erases_the_old_version() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, c) = start_logged_in(dir.path());
    let ids: Vec<String> = (0..8).map(|_| generate_signing_pair(&c)).collect();
    let r = c.call(
        "POST",
        &format!("/v1/tokens/{TOKEN}/keys/generate"),
        Some(
            json!({"mechanism": {"mechanism": CKM_AES_KEY_GEN}, "template": [
            a_ulong(CKA_VALUE_LEN, 32), a_bool(CKA_TOKEN, true)]}),
        ),
    );
    assert_eq!(r.status, 200);
    let aes = r.json()["id"].as_str().unwrap().to_owned();
    let r = gcm(&c, &aes, "encrypt", b"under version 1 of the key");
    assert_eq!(r.status, 200);
    let old_ct = unb64(&r.json()["data"]);
    // The AES key gets version 2; version 1 is kept retired in key_versions.
    let out = kmsd_with_stdin(dir.path(), &["key", "rotate", "--id", &aes], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (before, erased) = blob_versions(dir.path());
    assert_eq!(
        (before.clone(), erased),
        (vec![(1, 10)], 1),
        "8 private keys, 2 AES blobs"
    );

    // A client signing continuously through the API.
    let stop = Arc::new(AtomicBool::new(false));
    let signed = Arc::new(AtomicU64::new(0));
    let signer = {
        let stop = stop.clone();
        let signed = signed.clone();
        let ids = ids.clone();
        let mut c = d.client();
        std::thread::spawn(move || {
            assert_eq!(c.login(USER_PIN).status, 200);
            let (mut ok, mut failed) = (0u64, Vec::new());
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let r = ecdsa_sign(&c, &ids[i % ids.len()]);
                if r.status == 200 {
                    ok += 1;
                    signed.fetch_add(1, Ordering::SeqCst);
                } else {
                    failed.push(String::from_utf8_lossy(&r.body).into_owned());
                }
                i += 1;
            }
            (ok, failed)
        })
    };

    // Waits until the signer has made `n` more signatures.
    let signs_go_on = |n: u64| {
        let target = signed.load(Ordering::SeqCst) + n;
        while signed.load(Ordering::SeqCst) < target {
            std::thread::yield_now();
        }
    };
    signs_go_on(1);

    // Rotation, one blob per batch with a pause, killed once a batch has committed.
    let mut rotate = Command::new(kms_testkit::kmsd_bin())
        .args([
            "master-key",
            "rotate",
            "--batch",
            "1",
            "--pause-ms",
            "400",
            "--config",
        ])
        .arg(d.config())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = rotate.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !String::from_utf8_lossy(&seen).contains("(1/10)") {
        assert_eq!(
            err.read(&mut byte).unwrap(),
            1,
            "{}",
            String::from_utf8_lossy(&seen)
        );
        seen.push(byte[0]);
    }
    signs_go_on(3);
    rotate.kill().unwrap();
    assert!(!rotate.wait().unwrap().success());
    let (mid, erased) = blob_versions(dir.path());
    assert_eq!(erased, 1, "nothing erased by an unfinished rotation");
    assert_eq!(mid.len(), 2, "both versions in use: {mid:?}");
    assert!(mid[1].0 == 2 && mid[1].1 >= 1 && mid[0].1 >= 1, "{mid:?}");

    signs_go_on(3);
    // Run again: continues with version 2, finishes, erases version 1.
    let out = kmsd_with_stdin(dir.path(), &["master-key", "rotate"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("finished the rotation to master key version 2"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("100%"));
    assert_eq!(blob_versions(dir.path()), (vec![(2, 10)], 2));

    signs_go_on(3);
    stop.store(true, Ordering::SeqCst);
    let (ok, failed) = signer.join().unwrap();
    assert!(
        failed.is_empty(),
        "{} failed signatures: {:?}",
        failed.len(),
        failed.first()
    );
    assert!(ok > 0);

    // Every key works: signatures, and the AES key's retired version decrypts its old data.
    let check = |c: &Client| {
        for id in &ids {
            assert_eq!(ecdsa_sign(c, id).status, 200);
        }
        let r = gcm(c, &aes, "decrypt", &old_ct);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(unb64(&r.json()["data"]), b"under version 1 of the key");
    };
    check(&c);
    d.stop();
    let mut d = Kmsd::start_in(dir.path());
    let mut c = d.client();
    assert_eq!(c.login(USER_PIN).status, 200);
    check(&c);

    // A second rotation makes version 3 and erases 2.
    let out = kmsd_with_stdin(dir.path(), &["master-key", "rotate"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("rotated to master key version 3"));
    assert_eq!(blob_versions(dir.path()), (vec![(3, 10)], 3));
    check(&c);
    d.stop();
}

#[test]
fn a_tampered_blob_stops_the_rotation_and_nothing_is_erased() {
    let dir = tempfile::tempdir().unwrap();
    let (mut d, c) = start_logged_in(dir.path());
    let good = generate_signing_pair(&c);
    let bad = generate_signing_pair(&c);
    {
        let conn = RawStore::open(dir.path());
        let mut blob: Vec<u8> = conn
            .query_row(
                "SELECT sealed FROM objects WHERE id = ?1",
                kms_daemon::store::db::params![bad],
                |r| r.get(0),
            )
            .unwrap();
        let last = blob.len() - 1;
        blob[last] ^= 1;
        conn.execute(
            "UPDATE objects SET sealed = ?1 WHERE id = ?2",
            kms_daemon::store::db::params![blob, bad],
        )
        .unwrap();
    }
    let out = kmsd_with_stdin(dir.path(), &["master-key", "rotate"], "");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("object {bad}: its material does not open")),
        "{err}"
    );
    let (versions, erased) = blob_versions(dir.path());
    assert_eq!(erased, 1, "version 1 still in use, not erased");
    assert_eq!(
        versions,
        vec![(1, 2)],
        "the failed batch is rolled back as a whole"
    );
    // The good key still signs.
    assert_eq!(ecdsa_sign(&c, &good).status, 200);
    d.stop();
}
