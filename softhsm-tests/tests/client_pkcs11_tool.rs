//! A real client, unmodified: OpenSC's `pkcs11-tool` against a quick-start kmsd, with
//! `openssl` checking every signature and making every ciphertext.

use softhsm_tests::{have, module_path, run_in, Kmsd, TOKEN, USER_PIN};
use std::path::Path;
use std::process::Command;

struct Tool<'a> {
    config: std::path::PathBuf,
    work: &'a Path,
}

impl Tool<'_> {
    /// Runs pkcs11-tool with the module, the token and (with `login`) the PIN.
    fn run(&self, login: bool, args: &[&str]) -> String {
        let module = module_path();
        let mut cmd = Command::new("pkcs11-tool");
        cmd.current_dir(self.work)
            .env("KMS_PKCS11_CONFIG", &self.config);
        cmd.arg("--module")
            .arg(&module)
            .args(["--token-label", TOKEN]);
        if login {
            cmd.args(["--login", "--pin", USER_PIN]);
        }
        let out = cmd.args(args).output().expect("run pkcs11-tool");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "pkcs11-tool {args:?} failed:\n{text}");
        text
    }

    fn path(&self, name: &str) -> String {
        self.work.join(name).display().to_string()
    }
}

fn openssl(work: &Path, args: &[&str]) -> String {
    run_in(work, "openssl", args)
}

#[test]
fn pkcs11_tool_generates_signs_and_decrypts_and_openssl_agrees() {
    if !have("pkcs11-tool") || !have("openssl") {
        return;
    }
    let mut kmsd = Kmsd::start();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let tool = Tool {
        config: kmsd.module_config(),
        work: w,
    };
    std::fs::write(w.join("data.txt"), b"hello from pkcs11-tool").unwrap();
    openssl(
        w,
        &[
            "dgst",
            "-sha256",
            "-binary",
            "-out",
            "data.sha256",
            "data.txt",
        ],
    );

    let slots = tool.run(false, &["-L"]);
    assert!(
        slots.contains(&format!("token label        : {TOKEN}")),
        "{slots}"
    );

    let rsa = tool.run(
        true,
        &[
            "--keypairgen",
            "--key-type",
            "rsa:2048",
            "--id",
            "01",
            "--label",
            "rsa01",
        ],
    );
    assert!(rsa.contains("Private Key Object; RSA"), "{rsa}");
    tool.run(
        true,
        &[
            "--keypairgen",
            "--key-type",
            "EC:prime256v1",
            "--id",
            "02",
            "--label",
            "ec02",
        ],
    );
    let aes = tool.run(
        true,
        &[
            "--keygen",
            "--key-type",
            "AES:32",
            "--id",
            "03",
            "--label",
            "aes03",
        ],
    );
    assert!(aes.contains("Secret Key Object; AES length 32"), "{aes}");

    // Public keys read back from the token, in openssl's hands.
    tool.run(
        false,
        &[
            "--read-object",
            "--type",
            "pubkey",
            "--id",
            "01",
            "-o",
            &tool.path("rsa01.der"),
        ],
    );
    openssl(
        w,
        &[
            "pkey",
            "-pubin",
            "-inform",
            "DER",
            "-in",
            "rsa01.der",
            "-out",
            "rsa01.pem",
        ],
    );
    tool.run(
        false,
        &[
            "--read-object",
            "--type",
            "pubkey",
            "--id",
            "02",
            "-o",
            &tool.path("ec02.der"),
        ],
    );
    openssl(
        w,
        &[
            "pkey", "-pubin", "-inform", "DER", "-in", "ec02.der", "-out", "ec02.pem",
        ],
    );

    let sign_and_verify = |round: &str| {
        let sig = format!("rsa-{round}.sig");
        tool.run(
            true,
            &[
                "--sign",
                "--id",
                "01",
                "-m",
                "SHA256-RSA-PKCS",
                "-i",
                &tool.path("data.txt"),
                "-o",
                &tool.path(&sig),
            ],
        );
        let ok = openssl(
            w,
            &[
                "dgst",
                "-sha256",
                "-verify",
                "rsa01.pem",
                "-signature",
                &sig,
                "data.txt",
            ],
        );
        assert!(ok.contains("Verified OK"), "{ok}");
        let ec_sig = format!("ec-{round}.sig");
        tool.run(
            true,
            &[
                "--sign",
                "--id",
                "02",
                "-m",
                "ECDSA",
                "-i",
                &tool.path("data.sha256"),
                "-o",
                &tool.path(&ec_sig),
                "--signature-format",
                "openssl",
            ],
        );
        let ok = openssl(
            w,
            &[
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                "ec02.pem",
                "-in",
                "data.sha256",
                "-sigfile",
                &ec_sig,
            ],
        );
        assert!(ok.contains("Signature Verified Successfully"), "{ok}");
    };
    sign_and_verify("first");

    // Data encrypted by openssl with the token's public key decrypts on the token:
    // (ciphertext file, openssl padding options, pkcs11-tool mechanism options).
    let cases: [(&str, &[&str], &[&str]); 3] = [
        ("enc-pkcs1.bin", &[], &["-m", "RSA-PKCS"]),
        (
            "enc-oaep.bin",
            &["-pkeyopt", "rsa_padding_mode:oaep"],
            &[
                "-m",
                "RSA-PKCS-OAEP",
                "--hash-algorithm",
                "SHA-1",
                "--mgf",
                "MGF1-SHA1",
            ],
        ),
        (
            "enc-oaep256.bin",
            &[
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-pkeyopt",
                "rsa_oaep_md:sha256",
                "-pkeyopt",
                "rsa_mgf1_md:sha256",
            ],
            &[
                "-m",
                "RSA-PKCS-OAEP",
                "--hash-algorithm",
                "SHA256",
                "--mgf",
                "MGF1-SHA256",
            ],
        ),
    ];
    for (file, padding, mechanism) in cases {
        let mut enc = vec![
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            "rsa01.pem",
            "-in",
            "data.txt",
            "-out",
            file,
        ];
        enc.extend_from_slice(padding);
        openssl(w, &enc);
        let input = tool.path(file);
        let mut dec = vec!["--decrypt", "--id", "01", "-i", &input];
        dec.extend_from_slice(mechanism);
        let plain = tool.run(true, &dec);
        assert!(plain.contains("hello from pkcs11-tool"), "{file}: {plain}");
    }

    // After a restart of kmsd the same keys are listed and still sign.
    kmsd.restart();
    let objects = tool.run(true, &["-O"]);
    for label in ["rsa01", "ec02", "aes03"] {
        assert!(
            objects.contains(&format!("label:      {label}")),
            "{label} missing after restart:\n{objects}"
        );
    }
    sign_and_verify("after-restart");
    kmsd.stop();
    let (ok, out) = kmsd.admin(&["audit", "verify"]);
    assert!(ok && out.contains("audit chain OK"), "{out}");
}
