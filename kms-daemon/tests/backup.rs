//! `kmsd backup` / `kmsd restore` with the real binary: an online backup of a serving kmsd,
//! the key destroyed, a tampered, truncated or wrongly unlocked backup refused, a live store not
//! overwritten without --force, then the restore: the key signs again and the audit chain
//! verifies.

mod common;

use common::*;
use std::path::Path;
use std::process::Output;

const BACKUP_PASS: &str = "backup passphrase of the test";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `kmsd restore --in FILE --force` must fail, with `why` in its message.
fn refused(dir: &Path, file: &Path, pass: &str, why: &str) {
    let out = kmsd_with_stdin(
        dir,
        &["restore", "--in", file.to_str().unwrap(), "--force"],
        &format!("{pass}\n"),
    );
    assert!(
        !out.status.success(),
        "restore of {} succeeded",
        file.display()
    );
    assert!(stderr(&out).contains(why), "{}", stderr(&out));
}

#[test]
fn backup_destroy_restore_round_trip() {
    if skip_on_postgres(
        "backup_destroy_restore_round_trip",
        "kmsd backup/restore use SQLite's backup API (PostgreSQL: pg_dump; see backup_refuses_a_postgres_store)",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut d, c) = start_logged_in(dir.path());
    let id = generate_signing_pair(&c);
    assert_eq!(ecdsa_sign(&c, &id).status, 200);

    // Online backup while kmsd serves.
    let file = dir.path().join("kms.backup");
    let out = kmsd_with_stdin(
        dir.path(),
        &["backup", "--out", file.to_str().unwrap()],
        &format!("{BACKUP_PASS}\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(&file).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(&bytes[..8], b"KMSDBAK\0");
    assert!(!bytes.windows(6).any(|w| w == b"SQLite"), "not encrypted");
    let again = kmsd_with_stdin(
        dir.path(),
        &["backup", "--out", file.to_str().unwrap()],
        &format!("{BACKUP_PASS}\n"),
    );
    assert!(stderr(&again).contains("refusing to overwrite"));
    let short = kmsd_with_stdin(
        dir.path(),
        &["backup", "--out", dir.path().join("x").to_str().unwrap()],
        "short\n",
    );
    assert!(stderr(&short).contains("at least 12 characters"));

    // The key is destroyed: it no longer signs.
    let r = c.call("DELETE", &format!("/v1/tokens/{TOKEN}/objects/{id}"), None);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_ne!(ecdsa_sign(&c, &id).status, 200);

    // Tampered, truncated, wrong passphrase: refused, nothing replaced.
    let tampered = dir.path().join("tampered");
    let mut t = bytes.clone();
    let mid = t.len() / 2;
    t[mid] ^= 0x40;
    std::fs::write(&tampered, &t).unwrap();
    refused(dir.path(), &tampered, BACKUP_PASS, "authentication failed");
    let truncated = dir.path().join("truncated");
    std::fs::write(&truncated, &bytes[..bytes.len() - 100]).unwrap();
    refused(dir.path(), &truncated, BACKUP_PASS, "authentication failed");
    std::fs::write(&truncated, &bytes[..20]).unwrap();
    refused(dir.path(), &truncated, BACKUP_PASS, "truncated");
    refused(dir.path(), &file, "another passphrase!", "wrong passphrase");
    assert_ne!(ecdsa_sign(&c, &id).status, 200);
    // A live store is not overwritten without --force.
    let out = kmsd_with_stdin(
        dir.path(),
        &["restore", "--in", file.to_str().unwrap()],
        &format!("{BACKUP_PASS}\n"),
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("pass --force"), "{}", stderr(&out));
    d.stop();

    let out = kmsd_with_stdin(
        dir.path(),
        &["restore", "--in", file.to_str().unwrap(), "--force"],
        &format!("{BACKUP_PASS}\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let store = std::fs::metadata(dir.path().join("kms.db")).unwrap();
    assert_eq!(store.permissions().mode() & 0o777, 0o600);
    let mut d = Kmsd::start_in(dir.path());
    let mut c = d.client();
    assert_eq!(c.login(USER_PIN).status, 200);
    let r = ecdsa_sign(&c, &id);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let verify = kmsd_with_stdin(dir.path(), &["audit", "verify"], "");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("audit chain OK"));
    d.stop();
}

#[test]
fn backup_refuses_a_postgres_store_naming_pg_dump() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kmsd.toml");
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:0\"\nstore = \"postgres://kms@127.0.0.1:1/kms\"\n\
         master_key_file = \"master.key\"\n[tls]\ncert = \"s.pem\"\nkey = \"s.key\"\n\
         client_ca = \"ca.pem\"\n",
    )
    .unwrap();
    for args in [
        &["backup", "--out", "x.backup"][..],
        &["restore", "--in", "x.backup", "--force"][..],
    ] {
        let out = kmsd_with_stdin(dir.path(), args, "a long enough passphrase\n");
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(
            err.contains("SQLite store only") && err.contains("pg_dump"),
            "{err}"
        );
    }
}
