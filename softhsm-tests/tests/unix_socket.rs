//! kmsd's Unix socket (`listen_unix`) through the module's `https+unix://` endpoints: the same
//! API with TLS and the client certificate, for modules on kmsd's host. Signing works over it,
//! a missing socket is an endpoint like any down one (the call moves on to the next), a stale
//! socket file left by a killed kmsd is replaced at start and the file goes when kmsd stops,
//! and `kms-pkcs11-check` walks it like a TCP endpoint.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::Attribute;
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use softhsm_tests::{module_path, target_dir, Kmsd, USER_PIN};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// In a child process (a module is initialised once per process): loads the module with
/// `config`, logs in, makes an EC key pair, signs and verifies; prints "signed".
fn sign_through(config: &Path) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_signs", "--nocapture"])
        .env("KMS_PKCS11_CONFIG", config)
        .env("UNIX_SOCKET_CHILD", "1")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && text.contains("signed"), "{text}");
}

#[test]
fn child_signs() {
    if std::env::var_os("UNIX_SOCKET_CHILD").is_none() {
        return;
    }
    let ctx = Pkcs11::new(module_path()).unwrap();
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    let slot = ctx.get_slots_with_token().unwrap()[0];
    let s = ctx.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))
        .unwrap();
    let (public, private) = s
        .generate_key_pair(
            &Mechanism::EccKeyPairGen,
            &[Attribute::Token(false), Attribute::EcParams(P256.to_vec())],
            &[Attribute::Token(false), Attribute::Sign(true)],
        )
        .unwrap();
    let digest = [7u8; 32];
    let signature = s.sign(&Mechanism::Ecdsa, private, &digest).unwrap();
    s.verify(&Mechanism::Ecdsa, public, &digest, &signature)
        .unwrap();
    println!("signed");
}

fn is_socket(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

#[test]
fn the_module_signs_over_kmsds_unix_socket() {
    let mut kmsd = Kmsd::start();
    let endpoint = kmsd.serve_unix();
    let socket = kmsd.dir().join("kmsd.sock");
    assert!(is_socket(&socket));

    sign_through(&kmsd.module_config_endpoints(std::slice::from_ref(&endpoint)));
    // A socket nobody serves is a down endpoint: the call moves on to the next.
    let missing = format!("https+unix://{}/gone.sock", kmsd.dir().display());
    sign_through(&kmsd.module_config_endpoints(&[missing, endpoint.clone()]));

    let check = std::process::Command::new(target_dir().join("kms-pkcs11-check"))
        .arg("--config")
        .arg(kmsd.module_config_endpoints(std::slice::from_ref(&endpoint)))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&check.stdout).to_string();
    assert!(check.status.success(), "{text}");
    for step in ["connect", "TLS", "health", "token"] {
        assert!(
            text.lines().any(|l| l.contains("PASS")
                && l.contains(step)
                && (step == "token" || l.contains(&endpoint))),
            "{step}:\n{text}"
        );
    }

    // Killed, kmsd leaves its socket file; the next start replaces it.
    kmsd.kill();
    assert!(is_socket(&socket));
    kmsd.restart();
    sign_through(&kmsd.module_config_endpoints(std::slice::from_ref(&endpoint)));
    // Stopped, it removes it.
    kmsd.stop();
    assert!(!socket.exists());
}
