//! Public session objects without a PIN, as the PKCS#11 session table says (issue 22), through
//! the module's C API against a real kmsd.
//!
//! A public session (no `C_Login`) may create, generate, copy, change and destroy public session
//! objects (`CKA_TOKEN=false`, `CKA_PRIVATE=false`) for its client certificate's identity —
//! what OpenSSL's pkcs11-provider does when it imports a public key — and verifies and encrypts
//! with such a public key in the module. Those objects are invisible to another identity, gone
//! with the session, and never reachable by an identity the token does not admit. Private
//! objects, public token objects (unless `[policy] public_token_objects_without_login`), and
//! every use of a key kmsd holds still need the user PIN: `CKR_USER_NOT_LOGGED_IN`. An identity's
//! session objects are bounded by `[limits] max_session_objects_per_identity`
//! (`CKR_DEVICE_MEMORY` past it).
//!
//! Slots: 0 Alice (the quick-start client), 1 Bob (the admin certificate, as a plain user, who
//! logs in), 2 `outsider` (not admitted).

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use kms_testkit::pki::{issue_client_cert, CertSpec};
use kms_testkit::{module_path, rv, Kmsd, TOKEN, USER_PIN};
use std::path::Path;
use std::sync::Mutex;

const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const ALICE: usize = 0;
const BOB: usize = 1;
const OUTSIDER: usize = 2;

/// The module loaded from a copy of its own in `dir` (one per test: each test is an
/// application of its own), initialized on a configuration with the three slots.
fn application(kmsd: &Kmsd, dir: &Path) -> (Pkcs11, Vec<Slot>) {
    static ENV: Mutex<()> = Mutex::new(());
    issue_client_cert(kmsd.dir(), "outsider", &CertSpec::cn("outsider"));
    let config =
        kmsd.module_config_with(&[(TOKEN, "client"), (TOKEN, "admin"), (TOKEN, "outsider")]);
    let copy = dir.join("libkms_pkcs11-public.so");
    std::fs::copy(module_path(), &copy).expect("copy the module");
    let _one = ENV.lock().unwrap_or_else(|e| e.into_inner());
    std::env::set_var("KMS_PKCS11_CONFIG", config);
    let ctx = Pkcs11::new(&copy).expect("load the module");
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .expect("C_Initialize");
    let slots = ctx.get_all_slots().expect("slots");
    assert_eq!(slots.len(), 3);
    (ctx, slots)
}

fn logged_in(ctx: &Pkcs11, slot: Slot) -> Session {
    let s = ctx.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))
        .unwrap();
    s
}

fn oaep() -> Mechanism<'static> {
    Mechanism::RsaPkcsOaep(PkcsOaepParams::new(
        MechanismType::SHA256,
        PkcsMgfType::MGF1_SHA256,
        PkcsOaepSource::empty(),
    ))
}

fn label(s: &Session, o: ObjectHandle) -> Vec<u8> {
    match s.get_attributes(o, &[AttributeType::Label]).unwrap().pop() {
        Some(Attribute::Label(l)) => l,
        other => panic!("no label: {other:?}"),
    }
}

fn found(s: &Session, label: &[u8]) -> usize {
    s.find_objects(&[Attribute::Label(label.to_vec())])
        .unwrap()
        .len()
}

/// A public session object: not on the token, not private.
fn public_session(mut t: Vec<Attribute>) -> Vec<Attribute> {
    t.extend([Attribute::Token(false), Attribute::Private(false)]);
    t
}

/// `C_CreateObject` of a public session public key of `key_type` from its public `parts`, for
/// `usage`, labelled `label`.
fn import(
    s: &Session,
    mut parts: Vec<Attribute>,
    key_type: KeyType,
    usage: Attribute,
    label: &[u8],
) -> ObjectHandle {
    parts.extend([
        Attribute::Class(ObjectClass::PUBLIC_KEY),
        Attribute::KeyType(key_type),
        usage,
        Attribute::Label(label.to_vec()),
    ]);
    s.create_object(&public_session(parts))
        .expect("a public key imported without a login")
}

#[test]
fn a_public_session_imports_public_keys_and_uses_them_without_a_pin() {
    let kmsd = Kmsd::start();
    let dir = tempfile::tempdir().unwrap();
    let (ctx, slots) = application(&kmsd, dir.path());

    // Bob (another identity, logged in) makes the key pairs whose public halves Alice imports.
    let bob = logged_in(&ctx, slots[BOB]);
    let (ec_pub, ec_priv) = bob
        .generate_key_pair(
            &Mechanism::EccKeyPairGen,
            &[Attribute::Token(false), Attribute::EcParams(P256.to_vec())],
            &[Attribute::Token(false), Attribute::Sign(true)],
        )
        .unwrap();
    let (rsa_pub, rsa_priv) = bob
        .generate_key_pair(
            &Mechanism::RsaPkcsKeyPairGen,
            &[
                Attribute::Token(false),
                Attribute::ModulusBits(2048.into()),
                Attribute::Encrypt(true),
            ],
            &[Attribute::Token(false), Attribute::Decrypt(true)],
        )
        .unwrap();
    let public = bob
        .get_attributes(ec_pub, &[AttributeType::EcPoint, AttributeType::EcParams])
        .unwrap();
    let rsa_parts = bob
        .get_attributes(
            rsa_pub,
            &[AttributeType::Modulus, AttributeType::PublicExponent],
        )
        .unwrap();
    let message = b"verified without a PIN";
    let signature = bob.sign(&Mechanism::EcdsaSha256, ec_priv, message).unwrap();

    // Alice: a read-only public session, as pkcs11-provider opens.
    let s = ctx.open_ro_session(slots[ALICE]).unwrap();
    let ec = import(
        &s,
        public,
        KeyType::EC,
        Attribute::Verify(true),
        b"imported-ec",
    );
    s.verify(&Mechanism::EcdsaSha256, ec, message, &signature)
        .expect("C_Verify with the imported key");
    assert_eq!(
        rv(s.verify(&Mechanism::EcdsaSha256, ec, b"another message", &signature)),
        RvError::SignatureInvalid
    );
    let rsa = import(
        &s,
        rsa_parts,
        KeyType::RSA,
        Attribute::Encrypt(true),
        b"imported-rsa",
    );
    let sealed = s.encrypt(&oaep(), rsa, b"for Bob").expect("C_Encrypt");
    assert_eq!(bob.decrypt(&oaep(), rsa_priv, &sealed).unwrap(), b"for Bob");

    // Copy, change and generate, all public session objects.
    let copy = s
        .copy_object(ec, &[Attribute::Label(b"imported-ec-copy".to_vec())])
        .expect("C_CopyObject of a public session object");
    s.update_attributes(copy, &[Attribute::Label(b"relabelled".to_vec())])
        .expect("C_SetAttributeValue of a public session object");
    assert_eq!(label(&s, copy), b"relabelled");
    let secret = s
        .generate_key(
            &Mechanism::GenericSecretKeyGen,
            &public_session(vec![
                Attribute::ValueLen(32.into()),
                Attribute::Sign(true),
                Attribute::Label(b"public-hmac".to_vec()),
            ]),
        )
        .expect("C_GenerateKey of a public session key");
    // Every use of a key kmsd holds needs the PIN.
    assert_eq!(
        rv(s.sign(&Mechanism::Sha256Hmac, secret, b"data")),
        RvError::UserNotLoggedIn
    );

    // Private objects, and keys private by default, need the PIN; token objects need an R/W
    // session, then the PIN too (the policy switch is off).
    let data = |token: bool, private: bool| {
        vec![
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(token),
            Attribute::Private(private),
            Attribute::Value(b"x".to_vec()),
        ]
    };
    assert_eq!(
        rv(s.create_object(&data(false, true))),
        RvError::UserNotLoggedIn
    );
    let aes = [Attribute::Token(false), Attribute::ValueLen(32.into())];
    assert_eq!(
        rv(s.generate_key(&Mechanism::AesKeyGen, &aes)),
        RvError::UserNotLoggedIn,
        "a secret key is private unless the template says otherwise"
    );
    assert_eq!(
        rv(s.create_object(&data(true, false))),
        RvError::SessionReadOnly
    );
    let rw = ctx.open_rw_session(slots[ALICE]).unwrap();
    assert_eq!(
        rv(rw.create_object(&data(true, false))),
        RvError::UserNotLoggedIn
    );
    assert_eq!(
        rv(rw.copy_object(ec, &[Attribute::Token(true)])),
        RvError::UserNotLoggedIn
    );

    // Invisible to another identity of the token, and to one the token does not admit.
    assert_eq!(found(&bob, b"imported-ec"), 0);
    assert_eq!(found(&bob, b"relabelled"), 0);
    let outsider = ctx.open_rw_session(slots[OUTSIDER]).unwrap();
    assert_eq!(
        rv(outsider.find_objects(&[])),
        RvError::TokenNotPresent,
        "an unadmitted identity gets nothing"
    );
    assert_eq!(
        rv(outsider.create_object(&data(false, false))),
        RvError::TokenNotPresent
    );

    // Destroyed on request, and the rest with the session.
    s.destroy_object(copy).expect("C_DestroyObject");
    assert_eq!(found(&s, b"relabelled"), 0);
    assert_eq!(found(&s, b"imported-ec"), 1);
    s.close().unwrap();
    let again = ctx.open_ro_session(slots[ALICE]).unwrap();
    for gone in [&b"imported-ec"[..], b"imported-rsa", b"public-hmac"] {
        assert_eq!(found(&again, gone), 0, "{}", String::from_utf8_lossy(gone));
    }
}

#[test]
fn public_token_objects_follow_the_policy_switch_and_session_objects_the_identity_limit() {
    let mut kmsd = Kmsd::start();
    kmsd.set_option("public_token_objects_without_login", "true");
    kmsd.set_option("max_session_objects_per_identity", "2");
    let dir = tempfile::tempdir().unwrap();
    let (ctx, slots) = application(&kmsd, dir.path());
    let s = ctx.open_rw_session(slots[ALICE]).unwrap();

    // Two session objects per identity, whichever session (or application) made them.
    let note = |n: u8| {
        public_session(vec![
            Attribute::Class(ObjectClass::DATA),
            Attribute::Value(vec![n]),
        ])
    };
    let first = s.create_object(&note(1)).unwrap();
    let other = ctx.open_ro_session(slots[ALICE]).unwrap();
    other.create_object(&note(2)).unwrap();
    assert_eq!(rv(s.create_object(&note(3))), RvError::DeviceMemory);
    let bob = logged_in(&ctx, slots[BOB]);
    bob.create_object(&note(4))
        .expect("another identity has room of its own");
    s.destroy_object(first).unwrap();
    s.create_object(&note(5))
        .expect("room again after a destroy");

    let template = [
        Attribute::Class(ObjectClass::DATA),
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Label(b"public-token-data".to_vec()),
        Attribute::Value(b"x".to_vec()),
    ];
    let o = s.create_object(&template).expect("a public token object");
    s.update_attributes(o, &[Attribute::Label(b"renamed".to_vec())])
        .unwrap();
    assert_eq!(found(&bob, b"renamed"), 1, "a token object, seen by all");
    s.destroy_object(o).expect("destroyed without a PIN");
    assert_eq!(found(&bob, b"renamed"), 0);
    // Private objects still need the PIN.
    let private = [
        Attribute::Class(ObjectClass::DATA),
        Attribute::Token(true),
        Attribute::Private(true),
    ];
    assert_eq!(rv(s.create_object(&private)), RvError::UserNotLoggedIn);
}
