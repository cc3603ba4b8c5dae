//! A real client, unmodified: NSS's `modutil` and `certutil`. NSS registers the module, lists
//! the token's keys, generates RSA and EC keys on the token for self-signed certificates
//! (setting CKA_ID afterwards with C_SetAttributeValue), and makes a CSR that openssl accepts.

use kms_testkit::{module_path, Kmsd, TOKEN, USER_PIN};
use softhsm_tests::{have, run_in};
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs an NSS tool with no terminal (they prompt otherwise) and returns its output.
fn nss(work: &Path, tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .current_dir(work)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{tool} {args:?} failed:\n{text}");
    text
}

/// The CKA_ID (hex) of the key whose nickname ends with `name`, from `certutil -K`.
fn key_id(listing: &str, name: &str) -> String {
    let line = listing
        .lines()
        .find(|l| l.trim_end().ends_with(name))
        .unwrap_or_else(|| panic!("{name} not in:\n{listing}"));
    line.split_whitespace()
        .nth(3)
        .expect("key id column")
        .to_string()
}

#[test]
fn nss_certutil_makes_keys_certificates_and_requests_on_the_token() {
    if !have("certutil") || !have("modutil") || !have("openssl") {
        return;
    }
    let kmsd = Kmsd::start();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config());
    std::fs::create_dir(w.join("db")).unwrap();
    std::fs::write(w.join("pin.txt"), format!("{USER_PIN}\n")).unwrap();
    std::fs::write(
        w.join("noise.bin"),
        (0..2048u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    nss(w, "certutil", &["-N", "-d", "sql:db", "--empty-password"]);
    let module = module_path();
    let added = nss(
        w,
        "modutil",
        &[
            "-dbdir",
            "sql:db",
            "-add",
            "kms",
            "-libfile",
            module.to_str().unwrap(),
            "-force",
        ],
    );
    assert!(added.contains("added to database"), "{added}");
    let listed = nss(w, "modutil", &["-dbdir", "sql:db", "-list", "kms"]);
    assert!(listed.contains(&format!("Token Name: {TOKEN}")), "{listed}");

    let common = ["-d", "sql:db", "-h", TOKEN, "-f", "pin.txt"];
    let with = |extra: &[&str]| -> Vec<String> {
        common.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let certutil = |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        nss(w, "certutil", &refs)
    };
    for (nick, key) in [
        ("nss-ec", ["-k", "ec", "-q", "nistp256"]),
        ("nss-rsa", ["-k", "rsa", "-g", "2048"]),
    ] {
        let subject = format!("CN={nick}");
        certutil(with(&[
            "-S",
            "-z",
            "noise.bin",
            "-n",
            nick,
            "-s",
            &subject,
            "-x",
            "-t",
            "CTu,Cu,Cu",
            "-Z",
            "SHA256",
            key[0],
            key[1],
            key[2],
            key[3],
        ]));
    }
    let certs = certutil(with(&["-L"]));
    for nick in ["nss-ec", "nss-rsa"] {
        assert!(
            certs.contains(&format!("{TOKEN}:{nick}")),
            "{nick} missing:\n{certs}"
        );
    }
    let keys = certutil(with(&["-K"]));
    for nick in ["nss-ec", "nss-rsa"] {
        let id = key_id(&keys, nick);
        assert_eq!(
            id.len(),
            40,
            "NSS sets CKA_ID to the SHA-1 of the public key: {id}"
        );
        let req = format!("{nick}.csr");
        certutil(with(&[
            "-R",
            "-z",
            "noise.bin",
            "-k",
            &id,
            "-s",
            &format!("CN=CSR {nick}"),
            "-o",
            &req,
            "-a",
        ]));
        let checked = run_in(w, "openssl", &["req", "-in", &req, "-verify", "-noout"]);
        assert!(checked.contains("verify OK"), "{checked}");
    }
}
