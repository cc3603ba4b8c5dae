//! The files the module trusts (issue 20, item 7), through its C API: `C_Initialize` refuses a
//! configuration that group or others may write, a client key others may read (as ssh does),
//! and a `KMS_PKCS11_CONFIG` that is no regular file — /dev/zero must not read until memory
//! runs out, a FIFO must not block — each with `CKR_GENERAL_ERROR` and one line saying why.
//!
//! Each case runs `C_Initialize` in a child process of its own (this test binary again, running
//! the ignored test `child_initialize`), under a 30 s timeout and a 4 GiB address-space limit,
//! so that a module that blocks or reads forever fails the case instead of the whole run.

use cryptoki_sys::{CKR_GENERAL_ERROR, CKR_OK, CK_RV};
use kms_testkit::capi::Module;
use kms_testkit::{Kmsd, TOKEN};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const RESULT: &str = "C_Initialize returned ";

/// The child: loads the module, calls `C_Initialize` with the environment's configuration and
/// prints what it returned.
#[test]
#[ignore = "run by files_the_module_trusts_are_checked, one child process per case"]
fn child_initialize() {
    let m = Module::load();
    println!("{RESULT}{}", m.initialize());
}

/// `C_Initialize` with `config` in a child process: its return code (`None` if it printed none:
/// blocked, killed, out of memory) and its standard error.
fn initialize_in_child(config: &Path) -> (Option<CK_RV>, String) {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("timeout")
        .args(["30", "sh", "-c", "ulimit -v 4194304; exec \"$0\" \"$@\""])
        .arg(exe)
        .args(["child_initialize", "--exact", "--ignored", "--nocapture"])
        .env("KMS_PKCS11_CONFIG", config)
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rv = stdout
        .lines()
        .find_map(|l| l.split(RESULT).nth(1)?.trim().parse().ok());
    (rv, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A copy of the client's key and a module configuration that uses it, in `dir`.
fn own_copy(kmsd: &Kmsd, dir: &Path) -> (PathBuf, PathBuf) {
    let key = dir.join("client.key");
    std::fs::copy(kmsd.dir().join("client.key"), &key).unwrap();
    chmod(&key, 0o600);
    let text = std::fs::read_to_string(kmsd.module_config_for(&[TOKEN]))
        .unwrap()
        .replace(
            &kmsd.dir().join("client.key").display().to_string(),
            &key.display().to_string(),
        );
    let config = dir.join("pkcs11.toml");
    std::fs::write(&config, text).unwrap();
    chmod(&config, 0o644);
    (config, key)
}

#[test]
fn files_the_module_trusts_are_checked() {
    let kmsd = Kmsd::start();
    let dir = tempfile::tempdir().unwrap();
    let (config, key) = own_copy(&kmsd, dir.path());
    let (rv, err) = initialize_in_child(&config);
    assert_eq!(rv, Some(CKR_OK), "the good configuration: {err}");

    let refused = |config: &Path, why: &str, fix: &str| {
        let (rv, err) = initialize_in_child(config);
        assert_eq!(rv, Some(CKR_GENERAL_ERROR), "{}: {err}", config.display());
        assert!(err.contains(why) && err.contains(fix), "{why}: {err}");
    };
    for mode in [0o664, 0o646] {
        chmod(&config, mode);
        let why = format!("writable by group or others (mode {mode:o})");
        refused(&config, &why, "chmod go-w");
    }
    chmod(&config, 0o644);
    chmod(&key, 0o644);
    refused(
        &config,
        "may be read by group or others (mode 644)",
        "chmod 600",
    );
    // Group-readable: only a root-owned key that only root may write (a shared system path).
    chmod(&key, 0o640);
    let owned_by_root = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&key).unwrap()) == 0;
    if owned_by_root {
        assert_eq!(
            initialize_in_child(&config).0,
            Some(CKR_OK),
            "root's 0640 key"
        );
    } else {
        refused(
            &config,
            "may be read by group or others (mode 640)",
            "chmod 600",
        );
    }
    chmod(&key, 0o600);

    refused(
        Path::new("/dev/zero"),
        "not a regular file",
        "point to a file",
    );
    let fifo = dir.path().join("fifo.toml");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    refused(&fifo, "not a regular file", "point to a file");
}
