//! Real clients, unmodified: GnuTLS's `p11tool`/`certtool` (which initialise modules with
//! `CKF_LIBRARY_CANT_CREATE_OS_THREADS`), and p11-kit's `p11-kit server` remoting the token to
//! `pkcs11-tool` through `p11-kit-client.so`; `p11-kit list-modules` finding it by the shipped module file.

use kms_testkit::{module_path, Kmsd, TOKEN, USER_PIN};
use softhsm_tests::{have, have_file, run_in};
use std::process::{Command, Stdio};

const P11_KIT_CLIENT: &str = "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so";

#[test]
fn gnutls_tools_generate_sign_and_certify_with_token_keys() {
    if !have("p11tool") || !have("certtool") || !have("openssl") {
        return;
    }
    let kmsd = Kmsd::start();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config());
    std::env::set_var("GNUTLS_PIN", USER_PIN);
    let module = module_path();
    let provider = ["--provider", module.to_str().unwrap()];
    let token = format!("pkcs11:token={TOKEN}");
    let p11tool = |args: &[&str]| {
        let all: Vec<&str> = provider.iter().chain(args).copied().collect();
        run_in(w, "p11tool", &all)
    };
    let tokens = p11tool(&["--list-tokens"]);
    assert!(tokens.contains(&format!("Label: {TOKEN}")), "{tokens}");

    p11tool(&[
        "--login",
        "--generate-privkey=rsa",
        "--bits=2048",
        "--label",
        "gnutls-rsa",
        "--id",
        "0b",
        &token,
    ]);
    let signed = p11tool(&[
        "--login",
        "--test-sign",
        &format!("{token};object=gnutls-rsa"),
    ]);
    assert!(
        signed.contains("Verifying against public key in the token... ok"),
        "{signed}"
    );

    p11tool(&[
        "--login",
        "--generate-privkey=ecdsa",
        "--curve=secp256r1",
        "--label",
        "gnutls-ec",
        "--id",
        "0a",
        &token,
    ]);
    std::fs::write(
        w.join("t.cfg"),
        "cn = \"gnutls-ec\"\nexpiration_days = 30\nsigning_key\n",
    )
    .unwrap();
    let key = format!("{token};object=gnutls-ec");
    let (private, public) = (format!("{key};type=private"), format!("{key};type=public"));
    let mut certtool = provider.to_vec();
    certtool.extend([
        "--generate-self-signed",
        "--template",
        "t.cfg",
        "--outfile",
        "ec.pem",
    ]);
    certtool.extend(["--load-privkey", &private, "--load-pubkey", &public]);
    run_in(w, "certtool", &certtool);
    let verified = run_in(w, "openssl", &["verify", "-CAfile", "ec.pem", "ec.pem"]);
    assert!(verified.contains("ec.pem: OK"), "{verified}");
    p11tool(&[
        "--login",
        "--write",
        "--load-certificate",
        "ec.pem",
        "--label",
        "gnutls-ec",
        "--id",
        "0a",
        &token,
    ]);
    let certs = p11tool(&["--login", "--list-all-certs", &token]);
    assert!(certs.contains("Label: gnutls-ec"), "{certs}");
}

#[test]
fn p11_kit_server_remotes_the_token() {
    if !have("p11-kit") || !have("pkcs11-tool") || !have_file(P11_KIT_CLIENT, "p11-kit-modules") {
        return;
    }
    let kmsd = Kmsd::start();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let module = module_path();
    let socket = w.join("p11.sock");
    let mut server = Command::new("p11-kit")
        .args(["server", "-f", "-n"])
        .arg(&socket)
        .arg("-p")
        .arg(&module)
        .arg(format!("pkcs11:token={TOKEN}"))
        .env("KMS_PKCS11_CONFIG", kmsd.module_config())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start p11-kit server");
    for _ in 0..100 {
        if socket.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let remote = |args: &[&str]| {
        let out = Command::new("pkcs11-tool")
            .current_dir(w)
            .env(
                "P11_KIT_SERVER_ADDRESS",
                format!("unix:path={}", socket.display()),
            )
            .args(["--module", P11_KIT_CLIENT])
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "remote pkcs11-tool {args:?}:\n{text}");
        text
    };
    let slots = remote(&["-L"]);
    assert!(
        slots.contains(&format!("token label        : {TOKEN}")),
        "{slots}"
    );
    std::fs::write(w.join("data.txt"), b"signed through p11-kit remoting").unwrap();
    // RSA: p11-kit's RPC marshals a fixed set of mechanisms, and CKM_ECDSA_SHA256 is not in it.
    remote(&[
        "-l",
        "--pin",
        USER_PIN,
        "--keypairgen",
        "--key-type",
        "rsa:2048",
        "--id",
        "05",
    ]);
    remote(&[
        "-l",
        "--pin",
        USER_PIN,
        "--sign",
        "--id",
        "05",
        "-m",
        "SHA256-RSA-PKCS",
        "-i",
        "data.txt",
        "-o",
        "sig.bin",
    ]);
    remote(&[
        "--read-object",
        "--type",
        "pubkey",
        "--id",
        "05",
        "-o",
        "rsa05.der",
    ]);
    let _ = server.kill();
    let _ = server.wait();
    run_in(
        w,
        "openssl",
        &[
            "pkey",
            "-pubin",
            "-inform",
            "DER",
            "-in",
            "rsa05.der",
            "-out",
            "rsa05.pem",
        ],
    );
    let ok = run_in(
        w,
        "openssl",
        &[
            "dgst",
            "-sha256",
            "-verify",
            "rsa05.pem",
            "-signature",
            "sig.bin",
            "data.txt",
        ],
    );
    assert!(ok.contains("Verified OK"), "{ok}");
}

/// The shipped p11-kit module file makes the module known to p11-kit: `p11-kit list-modules`
/// loads it and shows its token. The file goes into p11-kit's module directory inside a private
/// mount namespace (`unshare -m`, root only), so the machine's own configuration is untouched.
#[test]
fn p11_kit_lists_the_module_from_the_shipped_module_file() {
    if !have("p11-kit") || !have("unshare") {
        return;
    }
    if !Command::new("unshare")
        .args(["-m", "true"])
        .status()
        .is_ok_and(|s| s.success())
    {
        kms_testkit::skipped(
            "no private mount namespace here (needs root), p11-kit's module directory would have to change",
        );
        return;
    }
    let kmsd = Kmsd::start();
    let modules = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../pkcs11-module/p11-kit/kms-pkcs11.module"),
    )
    .unwrap();
    let module = module_path();
    let ours: String = shipped
        .lines()
        .map(|l| match l.strip_prefix("module:") {
            Some(_) => format!("module: {}\n", module.display()),
            None => format!("{l}\n"),
        })
        .collect();
    assert!(ours.contains(&module.display().to_string()), "{ours}");
    std::fs::write(modules.path().join("kms-pkcs11.module"), ours).unwrap();
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c"])
        .arg(format!(
            "mount --bind {} /usr/share/p11-kit/modules && p11-kit list-modules",
            modules.path().display()
        ))
        .env("KMS_PKCS11_CONFIG", kmsd.module_config())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("kms-pkcs11: {}", module.display()))
            && text.contains("library-description: PKCS#11 module backed by kmsd")
            && text.contains(&format!("token: {TOKEN}"))
            && text.contains("login-required"),
        "{text}"
    );
}
