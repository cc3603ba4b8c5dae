//! Real clients, unmodified: the Python bindings PyKCS11 and python-pkcs11, each in its own
//! process (python-pkcs11 refuses a module another binding already initialised), running the
//! scripts in `clients/`.

use kms_testkit::{module_path, Kmsd, TOKEN, USER_PIN};
use softhsm_tests::{have_python_modules, python};
use std::path::Path;
use std::process::Command;

fn have_bindings(python: &Path) -> bool {
    have_python_modules(python, "PyKCS11, pkcs11", "PyKCS11/python-pkcs11")
}

#[test]
fn pykcs11_and_python_pkcs11_generate_sign_and_find() {
    let python = python();
    if !have_bindings(&python) {
        return;
    }
    let kmsd = Kmsd::start();
    let clients = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients");
    for (script, steps) in [("pykcs11_client.py", 4), ("python_pkcs11_client.py", 5)] {
        let out = Command::new(&python)
            .arg(clients.join(script))
            .arg(module_path())
            .args([TOKEN, USER_PIN])
            .env("KMS_PKCS11_CONFIG", kmsd.module_config())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{script} failed:\n{text}");
        assert_eq!(
            text.lines().filter(|l| l.starts_with("ok: ")).count(),
            steps,
            "{script}:\n{text}"
        );
    }
}
