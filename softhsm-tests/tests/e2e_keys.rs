//! End to end through the module's C API (loaded with the `cryptoki` crate, which asks for the
//! 3.0 interface first), against a real kmsd with real TLS and a real SQLite file: keys are
//! generated in kmsd, used through the module, and never readable.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{
    Attribute, AttributeInfo, AttributeType, KeyType, ObjectClass, ObjectHandle,
};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use kms_testkit::{module_path, rv, Kmsd, TOKEN, USER_PIN};
use std::sync::{Mutex, OnceLock};

const LOCKOUT_TOKEN: &str = "lockout";
const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];

struct Fixture {
    kmsd: Kmsd,
    ctx: Pkcs11,
    slot: Slot,
    lockout_slot: Slot,
    /// Keeps the application's login alive for every test of this process.
    _login: Mutex<Session>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let kmsd = Kmsd::start();
        let (ok, out) = kmsd.admin(&[
            "token",
            "create",
            "--label",
            LOCKOUT_TOKEN,
            "--user-pin",
            "11112222",
            "--so-pin",
            "33334444",
            "--allow-any",
        ]);
        assert!(ok, "kmsd token create: {out}");
        std::env::set_var(
            "KMS_PKCS11_CONFIG",
            kmsd.module_config_for(&[TOKEN, LOCKOUT_TOKEN]),
        );
        let ctx = Pkcs11::new(module_path()).expect("load module");
        ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .expect("C_Initialize");
        let slots = ctx.get_slots_with_token().expect("slots");
        assert_eq!(slots.len(), 2);
        let login = ctx.open_rw_session(slots[0]).expect("session");
        login
            .login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))
            .expect("C_Login");
        Fixture {
            kmsd,
            ctx,
            slot: slots[0],
            lockout_slot: slots[1],
            _login: Mutex::new(login),
        }
    })
}

fn session() -> Session {
    let f = fixture();
    f.ctx.open_rw_session(f.slot).expect("open session")
}

fn rsa_pair(s: &Session, id: u8, bits: u64) -> (ObjectHandle, ObjectHandle) {
    let public = [
        Attribute::Token(true),
        Attribute::ModulusBits(bits.into()),
        Attribute::PublicExponent(vec![1, 0, 1]),
        Attribute::Id(vec![id]),
        Attribute::Label(format!("rsa{id}").into_bytes()),
    ];
    let private = [
        Attribute::Token(true),
        Attribute::Id(vec![id]),
        Attribute::Label(format!("rsa{id}").into_bytes()),
    ];
    s.generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &public, &private)
        .expect("RSA key pair")
}

fn ec_pair(s: &Session, id: u8, curve: &[u8]) -> (ObjectHandle, ObjectHandle) {
    let public = [
        Attribute::Token(false),
        Attribute::EcParams(curve.to_vec()),
        Attribute::Id(vec![id]),
    ];
    let private = [
        Attribute::Token(false),
        Attribute::Id(vec![id]),
        Attribute::Sign(true),
    ];
    s.generate_key_pair(&Mechanism::EccKeyPairGen, &public, &private)
        .expect("EC key pair")
}

fn sha256(data: &[u8]) -> Vec<u8> {
    session()
        .digest(&Mechanism::Sha256, data)
        .expect("C_Digest")
}

#[test]
fn token_slot_and_mechanisms_tell_the_truth() {
    let f = fixture();
    let info = f.ctx.get_token_info(f.slot).unwrap();
    assert_eq!(info.label(), TOKEN);
    assert!(info.login_required() && info.user_pin_initialized() && info.rng());
    let mechs = f.ctx.get_mechanism_list(f.slot).unwrap();
    for m in [
        MechanismType::RSA_PKCS_KEY_PAIR_GEN,
        MechanismType::ECDSA,
        MechanismType::AES_GCM,
        MechanismType::RSA_PKCS_OAEP,
    ] {
        assert!(mechs.contains(&m), "{m} missing");
    }
    let rsa = f
        .ctx
        .get_mechanism_info(f.slot, MechanismType::RSA_PKCS)
        .unwrap();
    assert!(rsa.hardware() && rsa.sign() && rsa.decrypt());
    assert!(
        !rsa.wrap() && !rsa.unwrap(),
        "R9: no PKCS#1 v1.5 key transport"
    );
    assert_eq!(rsa.min_key_size(), 2048);
}

#[test]
fn rsa_keys_sign_verify_encrypt_decrypt_and_stay_secret() {
    let s = session();
    let (public, private) = rsa_pair(&s, 1, 2048);
    let data = b"the walking skeleton signs";
    let sig = s.sign(&Mechanism::Sha256RsaPkcs, private, data).unwrap();
    assert_eq!(sig.len(), 256);
    s.verify(&Mechanism::Sha256RsaPkcs, public, data, &sig)
        .unwrap();
    let mut bad = sig.clone();
    bad[10] ^= 0x40;
    assert_eq!(
        rv(s.verify(&Mechanism::Sha256RsaPkcs, public, data, &bad)
            .unwrap_err()),
        RvError::SignatureInvalid
    );

    // Raw CKM_RSA_PKCS over a DigestInfo (what OpenSSL sends) gives the same PKCS#1 v1.5 signature.
    let mut digest_info = vec![
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    digest_info.extend(sha256(data));
    assert_eq!(
        s.sign(&Mechanism::RsaPkcs, private, &digest_info).unwrap(),
        sig
    );

    let pss = PkcsPssParams {
        hash_alg: MechanismType::SHA256,
        mgf: PkcsMgfType::MGF1_SHA256,
        s_len: 32.into(),
    };
    let pss_sig = s
        .sign(&Mechanism::Sha256RsaPkcsPss(pss), private, data)
        .unwrap();
    s.verify(&Mechanism::Sha256RsaPkcsPss(pss), public, data, &pss_sig)
        .unwrap();
    let pss_raw = s
        .sign(&Mechanism::RsaPkcsPss(pss), private, &sha256(data))
        .unwrap();
    s.verify(&Mechanism::Sha256RsaPkcsPss(pss), public, data, &pss_raw)
        .unwrap();

    for (hash, mgf) in [
        (MechanismType::SHA256, PkcsMgfType::MGF1_SHA256),
        (MechanismType::SHA1, PkcsMgfType::MGF1_SHA1),
        (MechanismType::SHA384, PkcsMgfType::MGF1_SHA384),
        (MechanismType::SHA512, PkcsMgfType::MGF1_SHA512),
    ] {
        let oaep = Mechanism::RsaPkcsOaep(PkcsOaepParams::new(hash, mgf, PkcsOaepSource::empty()));
        let ct = s.encrypt(&oaep, public, b"secret message").unwrap();
        assert_eq!(ct.len(), 256);
        assert_eq!(s.decrypt(&oaep, private, &ct).unwrap(), b"secret message");
    }
    let ct = s
        .encrypt(&Mechanism::RsaPkcs, public, b"v1.5 message")
        .unwrap();
    assert_eq!(
        s.decrypt(&Mechanism::RsaPkcs, private, &ct).unwrap(),
        b"v1.5 message"
    );
    assert_eq!(
        rv(s.decrypt(&Mechanism::RsaPkcs, private, &ct[1..])
            .unwrap_err()),
        RvError::EncryptedDataLenRange
    );

    // Public attributes are readable on both objects; private components are not.
    let modulus = |h| match &s.get_attributes(h, &[AttributeType::Modulus]).unwrap()[0] {
        Attribute::Modulus(m) => m.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(modulus(public), modulus(private));
    let info = s
        .get_attribute_info(
            private,
            &[
                AttributeType::PrivateExponent,
                AttributeType::Prime1,
                AttributeType::Sign,
            ],
        )
        .unwrap();
    assert!(matches!(info[0], AttributeInfo::Sensitive));
    assert!(matches!(info[1], AttributeInfo::Sensitive));
    assert!(matches!(info[2], AttributeInfo::Available(1)));
    // The key is usable only as its usage flags say: a public key cannot sign.
    assert_eq!(
        rv(s.sign(&Mechanism::Sha256RsaPkcs, public, data).unwrap_err()),
        RvError::KeyTypeInconsistent
    );
}

#[test]
fn ec_keys_sign_and_verify_on_p256_and_p384() {
    let s = session();
    for (id, curve, len) in [(2u8, P256, 64usize), (3, P384, 96)] {
        let (public, private) = ec_pair(&s, id, curve);
        let data = b"ecdsa through kmsd";
        let sig = s.sign(&Mechanism::EcdsaSha256, private, data).unwrap();
        assert_eq!(sig.len(), len);
        s.verify(&Mechanism::EcdsaSha256, public, data, &sig)
            .unwrap();
        let raw = s.sign(&Mechanism::Ecdsa, private, &sha256(data)).unwrap();
        s.verify(&Mechanism::Ecdsa, public, &sha256(data), &raw)
            .unwrap();
        s.verify(&Mechanism::EcdsaSha256, public, data, &raw)
            .unwrap();
        let point = s
            .get_attributes(private, &[AttributeType::EcPoint])
            .unwrap();
        assert!(
            matches!(&point[0], Attribute::EcPoint(p) if p[0] == 0x04 && p[2] == 0x04),
            "EC_POINT on the private key"
        );
    }
}

#[test]
fn aes_keys_encrypt_and_decrypt_in_kmsd() {
    let s = session();
    let template = [
        Attribute::Token(true),
        Attribute::ValueLen(32.into()),
        Attribute::Label(b"aes".to_vec()),
    ];
    let key = s.generate_key(&Mechanism::AesKeyGen, &template).unwrap();
    let mut iv = [7u8; 12];
    let ct = s
        .encrypt(
            &Mechanism::AesGcm(GcmParams::new(&mut iv, b"aad", 128.into()).unwrap()),
            key,
            b"gcm data",
        )
        .unwrap();
    assert_eq!(ct.len(), 8 + 16);
    let pt = s
        .decrypt(
            &Mechanism::AesGcm(GcmParams::new(&mut iv, b"aad", 128.into()).unwrap()),
            key,
            &ct,
        )
        .unwrap();
    assert_eq!(pt, b"gcm data");
    let mut tampered = ct.clone();
    tampered[0] ^= 1;
    let err = s
        .decrypt(
            &Mechanism::AesGcm(GcmParams::new(&mut iv, b"aad", 128.into()).unwrap()),
            key,
            &tampered,
        )
        .unwrap_err();
    assert_eq!(rv(err), RvError::EncryptedDataInvalid);
    let cbc = Mechanism::AesCbcPad([9u8; 16]);
    let ct = s.encrypt(&cbc, key, b"seventeen bytes!!").unwrap();
    assert_eq!(ct.len(), 32);
    assert_eq!(s.decrypt(&cbc, key, &ct).unwrap(), b"seventeen bytes!!");
    let info = s
        .get_attribute_info(key, &[AttributeType::Value, AttributeType::ValueLen])
        .unwrap();
    assert!(matches!(info[0], AttributeInfo::Sensitive));
    assert!(matches!(info[1], AttributeInfo::Available(_)));
}

#[test]
fn an_imported_key_never_appears_in_clear_in_the_store() {
    let f = fixture();
    let s = session();
    let value: Vec<u8> = (0..32u8).map(|i| 0xA5 ^ i.wrapping_mul(37)).collect();
    let template = [
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(true),
        Attribute::Value(value.clone()),
        Attribute::Encrypt(true),
        Attribute::Decrypt(true),
    ];
    let key = s.create_object(&template).unwrap();
    let cbc = Mechanism::AesCbcPad([1u8; 16]);
    let ct = s.encrypt(&cbc, key, b"imported").unwrap();
    assert_eq!(s.decrypt(&cbc, key, &ct).unwrap(), b"imported");
    let info = s.get_attribute_info(key, &[AttributeType::Value]).unwrap();
    assert!(matches!(info[0], AttributeInfo::Sensitive));
    for entry in std::fs::read_dir(f.kmsd.dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(value.len()).any(|w| w == value),
                "key value in clear in {}",
                path.display()
            );
        }
    }
}

#[test]
fn certificates_are_created_and_found_by_id() {
    let f = fixture();
    let der_path = f.kmsd.dir().join("client.der");
    let pem = f.kmsd.dir().join("client.pem");
    softhsm_tests::run(
        "openssl",
        &[
            "x509",
            "-in",
            pem.to_str().unwrap(),
            "-outform",
            "DER",
            "-out",
            der_path.to_str().unwrap(),
        ],
    );
    let der = std::fs::read(&der_path).unwrap();
    let s = session();
    let cert = s
        .create_object(&[
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::CertificateType(cryptoki::object::CertificateType::X_509),
            Attribute::Token(true),
            Attribute::Id(vec![0x42]),
            Attribute::Label(b"client cert".to_vec()),
            Attribute::Value(der.clone()),
        ])
        .unwrap();
    let found = s
        .find_objects(&[
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::Id(vec![0x42]),
        ])
        .unwrap();
    assert_eq!(found, vec![cert]);
    let attrs = s
        .get_attributes(cert, &[AttributeType::Value, AttributeType::Subject])
        .unwrap();
    assert!(matches!(&attrs[0], Attribute::Value(v) if *v == der));
    assert!(
        matches!(&attrs[1], Attribute::Subject(v) if !v.is_empty()),
        "subject filled from the certificate"
    );
    s.destroy_object(cert).unwrap();
    assert!(s
        .find_objects(&[
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::Id(vec![0x42])
        ])
        .unwrap()
        .is_empty());
}

#[test]
fn session_objects_and_read_only_sessions() {
    let f = fixture();
    let ro = f.ctx.open_ro_session(f.slot).unwrap();
    let template = [Attribute::Token(true), Attribute::ValueLen(16.into())];
    assert_eq!(
        rv(ro
            .generate_key(&Mechanism::AesKeyGen, &template)
            .unwrap_err()),
        RvError::SessionReadOnly
    );
    let label = b"session-only".to_vec();
    let rw = session();
    rw.generate_key(
        &Mechanism::AesKeyGen,
        &[
            Attribute::Token(false),
            Attribute::ValueLen(16.into()),
            Attribute::Label(label.clone()),
        ],
    )
    .unwrap();
    assert_eq!(
        ro.find_objects(&[Attribute::Label(label.clone())])
            .unwrap()
            .len(),
        1,
        "visible to the application's sessions"
    );
    rw.close().unwrap();
    assert!(
        ro.find_objects(&[Attribute::Label(label)])
            .unwrap()
            .is_empty(),
        "gone with its session"
    );
}

#[test]
fn random_and_digest() {
    let s = session();
    let mut a = [0u8; 70000];
    s.generate_random_slice(&mut a).unwrap();
    assert!(a.iter().any(|b| *b != 0));
    assert_eq!(
        sha256(b"abc"),
        [
            0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
            0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
            0xf2, 0x00, 0x15, 0xad
        ]
    );
}

#[test]
fn wrong_pins_lock_the_token_and_the_flags_say_so() {
    let f = fixture();
    let s = f.ctx.open_ro_session(f.lockout_slot).unwrap();
    let wrong = AuthPin::new("00000000".into());
    for attempt in 1..=9 {
        assert_eq!(
            rv(s.login(UserType::User, Some(&wrong)).unwrap_err()),
            RvError::PinIncorrect,
            "attempt {attempt}"
        );
        let info = f.ctx.get_token_info(f.lockout_slot).unwrap();
        assert!(info.user_pin_count_low());
        assert_eq!(info.user_pin_final_try(), attempt == 9);
    }
    assert_eq!(
        rv(s.login(UserType::User, Some(&wrong)).unwrap_err()),
        RvError::PinLocked
    );
    let right = AuthPin::new("11112222".into());
    assert_eq!(
        rv(s.login(UserType::User, Some(&right)).unwrap_err()),
        RvError::PinLocked
    );
    assert!(f
        .ctx
        .get_token_info(f.lockout_slot)
        .unwrap()
        .user_pin_locked());
    let short = AuthPin::new("1".into());
    assert_eq!(
        rv(s.login(UserType::User, Some(&short)).unwrap_err()),
        RvError::PinLenRange
    );
}

/// `C_CreateObject` of an AES key may name `CKA_VALUE_LEN` when it agrees with `CKA_VALUE` (what
/// OpenSC's `pkcs11-tool --test` sends); a length that contradicts the value is refused.
#[test]
fn aes_key_with_a_consistent_value_len_is_created() {
    let s = session();
    let value = vec![0x5a; 32];
    let template = |len: u64| {
        vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Value(value.clone()),
            Attribute::ValueLen(len.into()),
        ]
    };
    let key = s
        .create_object(&template(32))
        .expect("consistent CKA_VALUE_LEN");
    let attrs = s
        .get_attributes(key, &[AttributeType::ValueLen])
        .expect("CKA_VALUE_LEN");
    assert!(matches!(attrs.as_slice(), [Attribute::ValueLen(n)] if u64::from(*n) == 32));
    let mut iv = [7u8; 12];
    let gcm = Mechanism::AesGcm(GcmParams::new(&mut iv, &[], 128.into()).unwrap());
    let sealed = s.encrypt(&gcm, key, b"with the imported key").unwrap();
    assert_eq!(
        s.decrypt(&gcm, key, &sealed).unwrap(),
        b"with the imported key"
    );
    assert_eq!(
        rv(s.create_object(&template(16))),
        RvError::TemplateInconsistent
    );
}

/// RSA-OAEP with SHA-384 and SHA-512 (and MGF1 of the same hash): a ciphertext OpenSSL makes
/// with the token key's public half decrypts in kmsd through the module (a second
/// implementation against aws-lc; the module's own encryption in `rsa_keys_sign_verify_encrypt_decrypt_and_stay_secret`).
#[test]
fn oaep_sha384_and_sha512_agree_with_openssl() {
    if !softhsm_tests::have("openssl") {
        return;
    }
    let s = session();
    let (public, private) = rsa_pair(&s, 91, 2048);
    let spki = match s
        .get_attributes(public, &[AttributeType::PublicKeyInfo])
        .unwrap()
        .as_slice()
    {
        [Attribute::PublicKeyInfo(der)] => der.clone(),
        other => panic!("CKA_PUBLIC_KEY_INFO: {other:?}"),
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pub.der"), spki).unwrap();
    std::fs::write(dir.path().join("msg"), b"a message for OAEP").unwrap();
    for (name, hash, mgf) in [
        ("sha384", MechanismType::SHA384, PkcsMgfType::MGF1_SHA384),
        ("sha512", MechanismType::SHA512, PkcsMgfType::MGF1_SHA512),
    ] {
        let out = std::process::Command::new("openssl")
            .current_dir(dir.path())
            .args([
                "pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", "pub.der",
            ])
            .args([
                "-in",
                "msg",
                "-out",
                "ct",
                "-pkeyopt",
                "rsa_padding_mode:oaep",
            ])
            .args(["-pkeyopt", &format!("rsa_oaep_md:{name}")])
            .args(["-pkeyopt", &format!("rsa_mgf1_md:{name}")])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ct = std::fs::read(dir.path().join("ct")).unwrap();
        let oaep = Mechanism::RsaPkcsOaep(PkcsOaepParams::new(hash, mgf, PkcsOaepSource::empty()));
        assert_eq!(
            s.decrypt(&oaep, private, &ct).unwrap(),
            b"a message for OAEP",
            "{name}"
        );
    }
}
