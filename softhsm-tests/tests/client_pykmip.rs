//! A real KMIP client, unmodified: PyKMIP 0.11's `ProxyKmipClient` (`clients/pykmip_client.py`,
//! from the virtual environment `.ci/run` makes in `target/py`) against kmsd's KMIP listener over
//! mutual TLS, on the same objects the PKCS#11 module uses: a key the module generated is found
//! over KMIP and its Get refused; keys KMIP created are used through the module.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use kms_api::vendor::CKA_KMS_OBJECT_ID;
use kms_testkit::{initialized_module, Kmsd, USER_PIN};
use softhsm_tests::{have_python_modules, python, run_in};
use std::path::Path;

fn find(s: &Session, class: ObjectClass, label: &str) -> ObjectHandle {
    let found = s
        .find_objects(&[Attribute::Class(class), Attribute::Label(label.into())])
        .unwrap();
    assert_eq!(found.len(), 1, "{label}");
    found[0]
}

fn kms_id(s: &Session, key: ObjectHandle) -> String {
    let ty = AttributeType::VendorDefined(CKA_KMS_OBJECT_ID as _);
    match s.get_attributes(key, &[ty]).unwrap().pop() {
        Some(Attribute::VendorDefined((_, bytes))) => String::from_utf8(bytes).unwrap(),
        other => panic!("no CKA_KMS_OBJECT_ID: {other:?}"),
    }
}

#[test]
fn pykmip_drives_kmsd_over_kmip_on_the_modules_objects() {
    let python = python();
    if !have_python_modules(&python, "kmip.pie.client, cryptography", "PyKMIP") {
        return;
    }
    let kmsd = Kmsd::start();
    assert!(!kmsd.kmip_addr.is_empty(), "quick start serves KMIP");
    let ctx = initialized_module(&kmsd.module_config());
    let slot = ctx.get_slots_with_token().unwrap()[0];
    let s = ctx.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))
        .unwrap();
    // Keys made through the module, with the module's defaults: sensitive, not extractable.
    let module_label = "module-aes";
    s.generate_key(
        &Mechanism::AesKeyGen,
        &[
            Attribute::Token(true),
            Attribute::ValueLen(32.into()),
            Attribute::Label(module_label.into()),
        ],
    )
    .unwrap();
    let p256 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    s.generate_key_pair(
        &Mechanism::EccKeyPairGen,
        &[
            Attribute::Token(true),
            Attribute::EcParams(p256.to_vec()),
            Attribute::Verify(true),
            Attribute::Label(format!("{module_label}-ec-pub").into()),
        ],
        &[
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sign(true),
            Attribute::Label(format!("{module_label}-ec").into()),
        ],
    )
    .unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/pykmip_client.py");
    let config = kmsd.pykmip_config();
    let text = run_in(
        kmsd.dir(),
        python.to_str().unwrap(),
        &[
            script.to_str().unwrap(),
            config.to_str().unwrap(),
            USER_PIN,
            module_label,
        ],
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("ok: ")).count(),
        10,
        "{text}"
    );

    // The pairs KMIP created are PKCS#11 objects of the token: found by label, the KMIP
    // Unique Identifier is their CKA_KMS_OBJECT_ID, and they sign and verify through the module.
    let created: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("created: "))
        .filter_map(|l| l.split_once(' '))
        .collect();
    assert_eq!(created.len(), 2, "{text}");
    for (label, uid) in created {
        let private = find(&s, ObjectClass::PRIVATE_KEY, label);
        assert_eq!(kms_id(&s, private), uid, "{label}");
        // kmip-KIND-SUFFIX, its public key kmip-KIND-pub-SUFFIX.
        let (kind, suffix) = label.trim_start_matches("kmip-").split_once('-').unwrap();
        let public_label = format!("kmip-{kind}-pub-{suffix}");
        let public = find(&s, ObjectClass::PUBLIC_KEY, &public_label);
        let mechanism = match kind {
            "rsa" => Mechanism::Sha256RsaPkcs,
            _ => Mechanism::EcdsaSha256,
        };
        let data = b"signed through the module with a key KMIP made";
        let signature = s.sign(&mechanism, private, data).unwrap();
        s.verify(&mechanism, public, data, &signature).unwrap();
    }
}
