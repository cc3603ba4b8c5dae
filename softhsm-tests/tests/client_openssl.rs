//! A real client, unmodified: OpenSSL 3 with the libp11 engine (`libengine-pkcs11-openssl`),
//! keys named by RFC 7512 `pkcs11:` URIs. Self-signed certificates (RSA and EC), RSA-PSS
//! signing, RSA decryption, and TLS 1.3 handshakes with the server key on the token.

use kms_testkit::{module_path, Kmsd, TOKEN, USER_PIN};
use softhsm_tests::{have, have_file, run_in};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Debian's libp11 engine.
const ENGINE: &str = "/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `openssl s_server` with the key on the token, and `openssl s_client` shaking hands with it.
fn tls_handshake(work: &Path, key_uri: &str, cert: &str) -> String {
    let port = free_port().to_string();
    let mut server = Command::new("openssl")
        .current_dir(work)
        .args([
            "s_server", "-engine", "pkcs11", "-keyform", "engine", "-key", key_uri, "-cert", cert,
        ])
        .args(["-accept", &format!("127.0.0.1:{port}"), "-naccept", "1"])
        .stdin(Stdio::piped()) // s_server ends when its input does
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start s_server");
    let mut out = String::new();
    for _ in 0..50 {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let mut client = Command::new("openssl")
            .args([
                "s_client",
                "-connect",
                &format!("127.0.0.1:{port}"),
                "-brief",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        client.stdin.take().unwrap().write_all(b"Q\n").unwrap();
        let o = client.wait_with_output().unwrap();
        out = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        if out.contains("CONNECTION ESTABLISHED") || !out.contains("connect:errno=111") {
            break;
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    out
}

#[test]
fn openssl_engine_signs_decrypts_and_serves_tls_with_token_keys() {
    if !have("openssl") || !have("pkcs11-tool") || !have_file(ENGINE, "libengine-pkcs11-openssl") {
        return;
    }
    let kmsd = Kmsd::start();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let module = module_path();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config());
    std::env::set_var("PKCS11_MODULE_PATH", &module);
    for (spec, id) in [("rsa:2048", "01"), ("EC:prime256v1", "02")] {
        run_in(
            w,
            "pkcs11-tool",
            &[
                "--module",
                module.to_str().unwrap(),
                "--token-label",
                TOKEN,
                "--login",
                "--pin",
                USER_PIN,
                "--keypairgen",
                "--key-type",
                spec,
                "--id",
                id,
            ],
        );
    }
    let key = |id: &str| format!("pkcs11:token={TOKEN};id=%{id};type=private;pin-value={USER_PIN}");
    std::fs::write(w.join("data.txt"), b"signed through the libp11 engine").unwrap();
    let openssl = |args: &[&str]| run_in(w, "openssl", args);
    openssl(&["dgst", "-sha256", "-binary", "-out", "h.bin", "data.txt"]);

    // Self-signed certificates made with the keys on the token; openssl checks their signatures.
    for (id, name) in [("01", "rsa01"), ("02", "ec02")] {
        let cert = format!("{name}.pem");
        openssl(&[
            "req",
            "-new",
            "-x509",
            "-engine",
            "pkcs11",
            "-keyform",
            "engine",
            "-key",
            &key(id),
            "-subj",
            &format!("/CN={name}"),
            "-days",
            "30",
            "-sha256",
            "-out",
            &cert,
        ]);
        let verified = openssl(&["verify", "-CAfile", &cert, &cert]);
        assert!(verified.contains(": OK"), "{verified}");
    }

    // RSA-PSS signature of a digest, verified by openssl with the certificate's key.
    openssl(&[
        "x509",
        "-in",
        "rsa01.pem",
        "-pubkey",
        "-noout",
        "-out",
        "rsa01.pub",
    ]);
    let pss = [
        "-pkeyopt",
        "digest:sha256",
        "-pkeyopt",
        "rsa_padding_mode:pss",
        "-pkeyopt",
        "rsa_pss_saltlen:32",
    ];
    let mut sign = vec![
        "pkeyutl", "-engine", "pkcs11", "-keyform", "engine", "-inkey",
    ];
    let k1 = key("01");
    sign.extend([k1.as_str(), "-sign", "-in", "h.bin", "-out", "pss.bin"]);
    sign.extend(pss);
    openssl(&sign);
    let mut verify = vec![
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        "rsa01.pub",
        "-in",
        "h.bin",
        "-sigfile",
        "pss.bin",
    ];
    verify.extend(pss);
    assert!(openssl(&verify).contains("Signature Verified Successfully"));

    // PKCS#1 v1.5 decryption on the token of what openssl encrypted.
    openssl(&[
        "pkeyutl",
        "-encrypt",
        "-pubin",
        "-inkey",
        "rsa01.pub",
        "-in",
        "data.txt",
        "-out",
        "m.enc",
    ]);
    let plain = openssl(&[
        "pkeyutl", "-engine", "pkcs11", "-keyform", "engine", "-inkey", &k1, "-decrypt", "-in",
        "m.enc",
    ]);
    assert!(
        plain.contains("signed through the libp11 engine"),
        "{plain}"
    );

    // TLS 1.3 with the server's private key on the token, EC and RSA.
    for (id, cert, sig) in [("02", "ec02.pem", "ECDSA"), ("01", "rsa01.pem", "RSA-PSS")] {
        let out = tls_handshake(w, &key(id), cert);
        assert!(
            out.contains("CONNECTION ESTABLISHED") && out.contains("TLSv1.3"),
            "{out}"
        );
        assert!(out.contains(&format!("Signature type: {sig}")), "{out}");
    }
}
