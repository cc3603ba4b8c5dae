//! `kms-pkcs11-check`: every step passes against a running kmsd, and each usual mistake fails
//! at its own step with its own advice — wrong CA, a client certificate kmsd does not trust,
//! a token kmsd does not have, a wrong PIN, kmsd not running.

use kms_testkit::{target_dir, Kmsd, USER_PIN};
use softhsm_tests::have;
use std::path::Path;
use std::process::Command;

/// Runs the tool; returns (success, output).
fn check(config: &Path, pin: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new(target_dir().join("kms-pkcs11-check"));
    cmd.arg("--config").arg(config);
    if let Some(pin) = pin {
        cmd.env("CHECK_PIN", pin).args(["--pin-env", "CHECK_PIN"]);
    }
    let out = cmd.output().expect("run kms-pkcs11-check");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    (out.status.success(), text)
}

fn fails_at(config: &Path, pin: Option<&str>, step: &str, advice: &str) {
    let (ok, text) = check(config, pin);
    assert!(!ok, "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("FAIL"))
        .unwrap_or_else(|| panic!("no failed step:\n{text}"));
    assert!(line.contains(step) && line.contains(advice), "{text}");
}

#[test]
fn each_mistake_fails_at_its_step() {
    let mut kmsd = Kmsd::start();
    let good = kmsd.module_config();
    let (ok, text) = check(&good, Some(USER_PIN));
    assert!(ok, "{text}");
    for step in [
        "configuration",
        "credentials",
        "connect",
        "TLS",
        "health",
        "token",
        "login",
    ] {
        assert!(
            text.lines().any(|l| l.contains("PASS") && l.contains(step)),
            "{step}:\n{text}"
        );
    }
    assert!(!text.contains(USER_PIN), "the PIN is never printed");

    let edit = |name: &str, from: &str, to: &str| {
        let text = std::fs::read_to_string(&good).unwrap().replace(from, to);
        let path = kmsd.dir().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    fails_at(&good, Some("00000000"), "user login", "PIN is incorrect");
    let other_token = edit("other-token.toml", "token = \"", "token = \"no-");
    fails_at(&other_token, None, "token", "kmsd token create");
    let wrong_ca = edit("wrong-ca.toml", "/ca.pem", "/client.pem");
    fails_at(&wrong_ca, None, "TLS", "not issued by ca_file");

    if have("openssl") {
        // A client certificate from a CA kmsd does not know.
        let dir = kmsd.dir();
        let made = Command::new("openssl")
            .current_dir(dir)
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-subj",
                "/CN=stranger",
                "-days",
                "1",
                "-keyout",
                "stranger.key",
                "-out",
                "stranger.pem",
            ])
            .output()
            .unwrap();
        assert!(made.status.success());
        let stranger = edit("stranger.toml", "/client.", "/stranger.");
        fails_at(&stranger, None, "TLS", "refused this client certificate");
    }

    let not_found = kmsd.dir().join("absent.toml");
    fails_at(&not_found, None, "configuration", "cannot read");
    kmsd.kill();
    fails_at(&good, None, "connect", "is kmsd running");
}

/// `server_cert_sha256` pins kmsd's certificate: the right fingerprint works through the module
/// and the check tool; another one (a certificate the same CA could issue) is refused in the
/// handshake, with the fix named.
#[test]
fn a_pinned_server_certificate_must_match() {
    if !have("openssl") {
        return;
    }
    let kmsd = Kmsd::start();
    let out = softhsm_tests::run(
        "openssl",
        &[
            "x509",
            "-noout",
            "-fingerprint",
            "-sha256",
            "-in",
            &kmsd.dir().join("server.pem").display().to_string(),
        ],
    );
    let fingerprint = out.trim().rsplit('=').next().unwrap().to_string();
    let base = std::fs::read_to_string(kmsd.module_config()).unwrap();
    let pinned = |pin: &str| {
        let text = base.replacen(
            "key_file =",
            &format!("server_cert_sha256 = \"{pin}\"\nkey_file ="),
            1,
        );
        let path = kmsd.dir().join(format!("pinned-{}.toml", &pin[..1]));
        std::fs::write(&path, text).unwrap();
        path
    };
    let (ok, text) = check(&pinned(&fingerprint), Some(USER_PIN));
    assert!(ok, "{text}");
    let first = if fingerprint.starts_with('0') {
        "1"
    } else {
        "0"
    };
    let wrong = format!("{first}{}", &fingerprint[1..]);
    fails_at(&pinned(&wrong), None, "TLS", "not the pinned one");
}
