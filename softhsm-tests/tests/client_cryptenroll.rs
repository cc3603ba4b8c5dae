//! dm-crypt's token unlock with keys on the token: `systemd-cryptenroll` enrols a LUKS2 image
//! with an RSA key and its certificate (same CKA_ID), and `cryptsetup open --test-passphrase
//! --token-only` unlocks it with the PIN through systemd's PKCS#11 token plugin. Activation
//! itself needs device-mapper; the token unlock is what is tested.
//!
//! systemd finds modules only through p11-kit's registry, so this test (root only) registers
//! the module in `/etc/pkcs11/modules` for its duration.

use kms_testkit::{module_path, Kmsd, TOKEN, USER_PIN};
use softhsm_tests::{have, run_in};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A p11-kit registration that is removed when dropped.
struct Registration(PathBuf);

impl Drop for Registration {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn systemd_cryptenroll_enrols_and_cryptsetup_unlocks_with_the_token() {
    // SAFETY: a plain libc call without arguments.
    #[allow(unsafe_code)]
    let root = unsafe { libc::geteuid() } == 0;
    if !root
        || !have("systemd-cryptenroll")
        || !have("cryptsetup")
        || !have("pkcs11-tool")
        || !have("openssl")
    {
        assert!(root || std::env::var_os("CI").is_none(), "CI runs as root");
        return;
    }
    let kmsd = Kmsd::start();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let module = module_path();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config());
    std::env::set_var("PKCS11_MODULE_PATH", &module);
    let tool = |args: &[&str]| {
        let mut all = vec![
            "--module",
            module.to_str().unwrap(),
            "--token-label",
            TOKEN,
            "--login",
            "--pin",
            USER_PIN,
        ];
        all.extend_from_slice(args);
        run_in(w, "pkcs11-tool", &all)
    };
    tool(&[
        "--keypairgen",
        "--key-type",
        "rsa:2048",
        "--id",
        "77",
        "--label",
        "luks",
    ]);
    let key = format!("pkcs11:token={TOKEN};id=%77;type=private;pin-value={USER_PIN}");
    run_in(
        w,
        "openssl",
        &[
            "req", "-new", "-x509", "-engine", "pkcs11", "-keyform", "engine", "-key", &key,
            "-subj", "/CN=luks", "-days", "30", "-outform", "DER", "-out", "luks.der",
        ],
    );
    tool(&[
        "--write-object",
        "luks.der",
        "--type",
        "cert",
        "--id",
        "77",
        "--label",
        "luks",
    ]);

    std::fs::create_dir_all("/etc/pkcs11/modules").unwrap();
    let registration = Registration(PathBuf::from(format!(
        "/etc/pkcs11/modules/kms-pkcs11-test-{}.module",
        std::process::id()
    )));
    std::fs::write(&registration.0, format!("module: {}\n", module.display())).unwrap();

    let image = w.join("image.luks");
    std::fs::File::create(&image)
        .unwrap()
        .set_len(32 << 20)
        .unwrap();
    std::fs::write(w.join("pass.txt"), b"initial-pass").unwrap();
    let image_arg = image.to_str().unwrap();
    // A fast key-derivation setting: this image protects nothing.
    run_in(
        w,
        "cryptsetup",
        &[
            "luksFormat",
            "--type",
            "luks2",
            "--batch-mode",
            "--pbkdf",
            "pbkdf2",
            "--pbkdf-force-iterations",
            "1000",
            "--key-file",
            "pass.txt",
            image_arg,
        ],
    );
    let out = Command::new("timeout")
        .current_dir(w)
        .args([
            "60",
            "systemd-cryptenroll",
            &format!("--pkcs11-token-uri=pkcs11:token={TOKEN};id=%77"),
            "--unlock-key-file=pass.txt",
            image_arg,
        ])
        .env("PIN", USER_PIN)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let enrolled = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && enrolled.contains("New PKCS#11 token enrolled"),
        "{enrolled}"
    );
    let dump = run_in(w, "cryptsetup", &["luksDump", image_arg]);
    assert!(dump.contains("systemd-pkcs11"), "{dump}");

    // The plugin reads the PIN from standard input; a wrong one would prompt, hence `timeout`.
    let mut open = Command::new("timeout")
        .args([
            "60",
            "cryptsetup",
            "open",
            "--test-passphrase",
            "--token-only",
            "-v",
            image_arg,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    open.stdin
        .take()
        .unwrap()
        .write_all(USER_PIN.as_bytes())
        .unwrap();
    let out = open.wait_with_output().unwrap();
    let unlocked = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && unlocked.contains("Key slot 1 unlocked"),
        "{unlocked}"
    );
    drop(registration);
}
