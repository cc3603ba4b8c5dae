//! A real client, unmodified: Java 17 with SunPKCS11. `keytool -genkeypair` makes keys on the
//! token (session key pair, C_CopyObject onto the token, certificate object with the same
//! CKA_ID), `keytool -list` shows them as PrivateKeyEntry, and a small JCA program
//! (`clients/TokenCrypto.java`) signs with SHA256withRSA, RSASSA-PSS and SHA256withECDSA,
//! decrypts RSA/ECB/PKCS1Padding and does AES/GCM with token keys; the JDK's own provider
//! verifies the signatures.

use kms_testkit::{module_path, Kmsd, USER_PIN};
use softhsm_tests::{have, run_in};

#[test]
fn java_keytool_and_jca_use_token_keys() {
    if !have("java") || !have("keytool") {
        return;
    }
    let kmsd = Kmsd::start();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config());
    let cfg = w.join("kms.cfg");
    std::fs::write(
        &cfg,
        format!(
            "name = KMS\nlibrary = {}\nslotListIndex = 0\n",
            module_path().display()
        ),
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let keystore = [
        "-keystore",
        "NONE",
        "-storetype",
        "PKCS11",
        "-providerClass",
        "sun.security.pkcs11.SunPKCS11",
        "-providerArg",
        cfg,
        "-storepass",
        USER_PIN,
    ];
    let keytool = |extra: &[&str]| {
        let args: Vec<&str> = extra.iter().chain(keystore.iter()).copied().collect();
        run_in(w, "keytool", &args)
    };
    keytool(&[
        "-genkeypair",
        "-alias",
        "java-ec",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=java-ec",
        "-validity",
        "30",
    ]);
    keytool(&[
        "-genkeypair",
        "-alias",
        "java-rsa",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=java-rsa",
        "-validity",
        "30",
    ]);
    let listed = keytool(&["-list"]);
    for alias in ["java-ec", "java-rsa"] {
        assert!(
            listed.contains(&format!("{alias}, PrivateKeyEntry")),
            "{alias} missing:\n{listed}"
        );
    }

    let program = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/TokenCrypto.java");
    let out = run_in(
        w,
        "java",
        &[
            program.to_str().unwrap(),
            cfg,
            USER_PIN,
            "java-rsa",
            "java-ec",
        ],
    );
    for line in [
        "SHA256withRSA OK",
        "RSASSA-PSS OK",
        "SHA256withECDSA OK",
        "RSA/ECB/PKCS1Padding decrypt OK",
        "AES/GCM OK",
    ] {
        assert!(out.contains(line), "{line} missing:\n{out}");
    }
}
