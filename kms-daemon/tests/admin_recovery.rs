//! The administrator's side of issue 20 (items 10, 11 and 13), against a real kmsd and the real
//! `kmsd` commands: an SO PIN lockout has an audited way back; `kmsd audit verify` does not pass
//! a SQLite chain whose head file is gone, and a serving kmsd notices a chain edited behind its
//! back; PINs reach `kmsd quickstart` and `kmsd token create` without the command line.

mod common;

use common::*;
use kms_daemon::store::db::params;
use kms_daemon::store::Dialect;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

#[test]
fn an_so_pin_lockout_has_an_audited_way_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let mut so = d.admin_client();
    for _ in 0..10 {
        assert_ne!(so.login_as("so", "00000000").status, 200);
    }
    assert_eq!(so.login_as("so", SO_PIN).code(), "pin_locked");

    let (reset, out) = d.admin_with(
        &["token", "reset-so-pin", "--label", TOKEN],
        &[],
        "56781234\n",
    );
    assert!(reset, "{out}");
    assert_eq!(
        so.login_as("so", SO_PIN).code(),
        "pin_incorrect",
        "the old PIN"
    );
    assert_eq!(so.login_as("so", "56781234").status, 200, "the new PIN");
    let (_, audit) = d.admin(&["audit", "export", "--principal", "local-admin"]);
    let reset = audit
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|r| r["action"] == "pin.so_reset")
        .expect("the reset is audited");
    assert_eq!(
        (reset["token"].as_str(), reset["outcome"].as_str()),
        (Some(TOKEN), Some("ok"))
    );
    assert!(!audit.contains("56781234"), "no PIN in the trail");
    d.stop();
}

#[test]
fn audit_verify_fails_when_the_head_file_is_gone() {
    if skip_on_postgres(
        "audit_verify_fails_…",
        "the audit head file belongs to a SQLite store",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let mut c = d.client();
    assert_eq!(c.login(USER_PIN).status, 200);
    d.stop();
    // The tail cut, and the head that would show it deleted.
    let db = RawStore::open(dir.path());
    db.execute_batch("DROP TRIGGER audit_no_delete;").unwrap();
    db.execute(
        "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)",
        params![],
    )
    .unwrap();
    drop(db);
    std::fs::remove_file(dir.path().join("kms.db.audit-head")).unwrap();
    let (ok, out) = d.admin(&["audit", "verify"]);
    assert!(!ok, "a chain without its head passed: {out}");
    assert!(
        out.contains("BROKEN") && out.contains("audit head file"),
        "{out}"
    );
    let (ok, out) = d.admin(&["audit", "verify", "--without-head"]);
    assert!(
        ok && out.contains("audit chain OK"),
        "told otherwise: {out}"
    );
}

#[test]
fn a_serving_kmsd_reports_a_chain_edited_in_its_middle() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let mut c = d.client();
    for _ in 0..3 {
        assert_eq!(c.login(USER_PIN).status, 200);
    }
    assert_eq!(d.metric("kmsd_audit_chain_broken"), 0.0);
    d.stop();
    let db = RawStore::open(dir.path());
    let unlock = match db.dialect() {
        Dialect::Sqlite => "DROP TRIGGER audit_no_update;",
        Dialect::Postgres => "ALTER TABLE audit DISABLE TRIGGER audit_no_change;",
    };
    db.execute_batch(unlock).unwrap();
    db.execute(
        "UPDATE audit SET actor = 'CN=someone-else' WHERE seq = 2",
        params![],
    )
    .unwrap();
    drop(db);

    let options = Options {
        capture_stderr: true,
        ..Options::default()
    };
    let mut d = Kmsd::start_with(dir.path(), &options);
    let deadline = Instant::now() + Duration::from_secs(30);
    let reported = loop {
        let lines = d.stderr_lines.lock().unwrap().clone();
        if let Some(l) = lines.iter().find(|l| l.contains("audit chain BROKEN")) {
            break l.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no report of the edit: {lines:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(reported.contains('2'), "names the record: {reported}");
    assert_eq!(d.metric("kmsd_audit_chain_broken"), 1.0);
    // kmsd goes on serving; the operator has the log line, the gauge and `kmsd audit verify`.
    let mut c = d.client();
    assert_eq!(c.login(USER_PIN).status, 200);
    d.stop();
}

#[test]
fn pins_reach_kmsd_without_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    // The test kit gives quick start its PINs from the environment: `ps` shows none.
    let pid = d.pid().unwrap();
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    assert!(
        !cmdline.contains(USER_PIN) && !cmdline.contains(SO_PIN),
        "{cmdline}"
    );

    // token create: the user PIN from a file (owner-only), the SO PIN from standard input.
    let pin_file = dir.path().join("user.pin");
    std::fs::write(&pin_file, "24681357\n").unwrap();
    std::fs::set_permissions(&pin_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let file_source = format!("file:{}", pin_file.display());
    let create = |extra: &[&str], env: &[(&str, &str)], stdin: &str| {
        let mut args = vec!["token", "create", "--label", "second", "--allow-any"];
        args.extend_from_slice(extra);
        d.admin_with(&args, env, stdin)
    };
    let (made, out) = create(
        &["--user-pin-from", &file_source, "--so-pin-from", "stdin"],
        &[],
        "13572468\n",
    );
    assert!(
        !made && out.contains("chmod 600"),
        "a PIN file others may read: {out}"
    );
    std::fs::set_permissions(&pin_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (made, out) = create(
        &[
            "--user-pin-from",
            "env:NO_SUCH_PIN_VAR",
            "--so-pin-from",
            "stdin",
        ],
        &[],
        "",
    );
    assert!(!made && out.contains("NO_SUCH_PIN_VAR"), "{out}");
    let (made, out) = create(
        &["--user-pin-from", &file_source, "--so-pin-from", "stdin"],
        &[],
        "13572468\n",
    );
    assert!(made, "{out}");
    assert!(
        !out.contains("24681357") && !out.contains("13572468"),
        "{out}"
    );
    let login = |c: &mut Client, user_type: &str, pin: &str| {
        c.call(
            "POST",
            "/v1/tokens/second/login",
            Some(serde_json::json!({"user_type": user_type,
                                    "pin": b64(pin.as_bytes())})),
        )
        .status
    };
    assert_eq!(login(&mut d.client(), "user", "24681357"), 200);
    assert_eq!(login(&mut d.admin_client(), "so", "13572468"), 200);
    // The command line still works, with a warning.
    let (made, out) = d.admin_with(
        &[
            "token",
            "create",
            "--label",
            "third",
            "--allow-any",
            "--user-pin",
            "11110000",
            "--so-pin-from",
            "env:THIRD_SO_PIN",
        ],
        &[("THIRD_SO_PIN", "44443333")],
        "",
    );
    assert!(made && out.contains("visible"), "{out}");
    d.stop();
}
