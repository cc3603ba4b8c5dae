//! Keys survive a restart of kmsd, a dead kmsd gives `CKR_DEVICE_ERROR` quickly and the module
//! recovers without `C_Finalize`, and the audit chain of the whole run verifies.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use kms_testkit::{module_path, Kmsd, TOKEN, USER_PIN};
use std::time::{Duration, Instant};

#[test]
fn keys_survive_restarts_outages_are_reported_and_the_audit_chain_holds() {
    let mut kmsd = Kmsd::start();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config());
    let ctx = Pkcs11::new(module_path()).unwrap();
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    let slot = ctx.get_slots_with_token().unwrap()[0];
    assert_eq!(ctx.get_token_info(slot).unwrap().label(), TOKEN);
    let s = ctx.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))
        .unwrap();
    let public = [
        Attribute::Token(true),
        Attribute::ModulusBits(2048.into()),
        Attribute::Label(b"durable".to_vec()),
    ];
    let private = [
        Attribute::Token(true),
        Attribute::Label(b"durable".to_vec()),
    ];
    let (pubkey, _) = s
        .generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &public, &private)
        .unwrap();

    // Restart kmsd: the login session lives in the store, the key in the sealed store.
    kmsd.restart();
    let found = s
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(b"durable".to_vec()),
        ])
        .unwrap();
    assert_eq!(found.len(), 1, "the key survived the restart");
    let sig = s
        .sign(&Mechanism::Sha256RsaPkcs, found[0], b"after restart")
        .unwrap();
    s.verify(&Mechanism::Sha256RsaPkcs, pubkey, b"after restart", &sig)
        .unwrap();

    // kmsd gone: the next call fails with CKR_DEVICE_ERROR, well within the 5 s timeout.
    kmsd.kill();
    let started = Instant::now();
    let err = s
        .sign(&Mechanism::Sha256RsaPkcs, found[0], b"nobody home")
        .unwrap_err();
    assert!(
        matches!(err, Error::Pkcs11(RvError::DeviceError, _)),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );

    // Back again: the same session works without C_Finalize.
    kmsd.restart();
    let sig = s
        .sign(&Mechanism::Sha256RsaPkcs, found[0], b"back")
        .unwrap();
    s.verify(&Mechanism::Sha256RsaPkcs, pubkey, b"back", &sig)
        .unwrap();
    drop(s);
    ctx.finalize().unwrap();

    kmsd.stop();
    let (ok, out) = kmsd.admin(&["audit", "verify"]);
    assert!(ok, "audit verify failed: {out}");
    assert!(out.contains("audit chain OK"), "{out}");
}
