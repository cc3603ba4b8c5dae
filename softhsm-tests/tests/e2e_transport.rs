//! Key transport and derivation through the module: AES key wrap, RSA-OAEP wrap and ECDH
//! derivation performed by kmsd, with the wrapping rules refusing what they must.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::mechanism::elliptic_curve::{EcKdf, Ecdh1DeriveParams};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use kms_testkit::{module_path, rv, Kmsd, USER_PIN};

const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

fn aes(s: &Session, len: u64, extra: &[Attribute]) -> ObjectHandle {
    let mut t = vec![Attribute::Token(false), Attribute::ValueLen(len.into())];
    t.extend_from_slice(extra);
    s.generate_key(&Mechanism::AesKeyGen, &t).unwrap()
}

/// The same key value gives the same CBC ciphertext.
fn same_key(s: &Session, a: ObjectHandle, b: ObjectHandle) -> bool {
    let m = Mechanism::AesCbcPad([3u8; 16]);
    s.encrypt(&m, a, b"compare keys").unwrap() == s.encrypt(&m, b, b"compare keys").unwrap()
}

fn secret_template() -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(false),
        Attribute::Encrypt(true),
        Attribute::Decrypt(true),
    ]
}

#[test]
fn keys_travel_wrapped_and_derive_alike() {
    let kmsd = Kmsd::start();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config());
    let ctx = Pkcs11::new(module_path()).unwrap();
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    let slot = ctx.get_slots_with_token().unwrap()[0];
    let s = ctx.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))
        .unwrap();

    // AES key wrap (RFC 3394) under a generated wrap-only key.
    let kek = aes(
        &s,
        32,
        &[
            Attribute::Wrap(true),
            Attribute::Unwrap(true),
            Attribute::Encrypt(false),
            Attribute::Decrypt(false),
        ],
    );
    let target = aes(&s, 16, &[Attribute::Extractable(true)]);
    let wrapped = s.wrap_key(&Mechanism::AesKeyWrap, kek, target).unwrap();
    assert_eq!(wrapped.len(), 24);
    let unwrapped = s
        .unwrap_key(&Mechanism::AesKeyWrap, kek, &wrapped, &secret_template())
        .unwrap();
    assert!(
        same_key(&s, target, unwrapped),
        "the unwrapped key is the wrapped one"
    );
    let provenance = s
        .get_attributes(unwrapped, &[AttributeType::Local, AttributeType::Sensitive])
        .unwrap();
    assert_eq!(
        provenance,
        vec![Attribute::Local(false), Attribute::Sensitive(true)]
    );
    let mut bad = wrapped.clone();
    bad[5] ^= 1;
    assert_eq!(
        rv(s.unwrap_key(&Mechanism::AesKeyWrap, kek, &bad, &secret_template())),
        RvError::WrappedKeyInvalid
    );
    let mut weak = secret_template();
    weak.push(Attribute::Extractable(true));
    weak.push(Attribute::Sensitive(false));
    assert_eq!(
        rv(s.unwrap_key(&Mechanism::AesKeyWrap, kek, &wrapped, &weak)),
        RvError::TemplateInconsistent,
        "R6"
    );

    // What must not leave: an unextractable key, and legacy transport mechanisms (R9).
    let locked = aes(&s, 16, &[Attribute::Extractable(false)]);
    assert_eq!(
        rv(s.wrap_key(&Mechanism::AesKeyWrap, kek, locked)),
        RvError::KeyUnextractable
    );
    assert_eq!(
        rv(s.wrap_key(&Mechanism::RsaPkcs, kek, target)),
        RvError::MechanismInvalid
    );
    assert_eq!(
        rv(s.wrap_key(&Mechanism::AesKeyWrap, target, target)),
        RvError::KeyFunctionNotPermitted,
        "no CKA_WRAP"
    );

    // RSA-OAEP transport of an AES-128 key needs RSA-3072 or more (R10: strength ordering).
    let public = [
        Attribute::Token(false),
        Attribute::ModulusBits(3072.into()),
        Attribute::Wrap(true),
        Attribute::Encrypt(false),
        Attribute::Verify(false),
    ];
    let private = [
        Attribute::Token(false),
        Attribute::Unwrap(true),
        Attribute::Decrypt(false),
        Attribute::Sign(false),
    ];
    let (rsa_pub, rsa_priv) = s
        .generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &public, &private)
        .unwrap();
    let oaep = Mechanism::RsaPkcsOaep(PkcsOaepParams::new(
        MechanismType::SHA256,
        PkcsMgfType::MGF1_SHA256,
        PkcsOaepSource::empty(),
    ));
    let wrapped = s.wrap_key(&oaep, rsa_pub, target).unwrap();
    assert_eq!(wrapped.len(), 384);
    let unwrapped = s
        .unwrap_key(&oaep, rsa_priv, &wrapped, &secret_template())
        .unwrap();
    assert!(same_key(&s, target, unwrapped));
    let strong = aes(&s, 32, &[Attribute::Extractable(true)]);
    assert_eq!(
        rv(s.wrap_key(&oaep, rsa_pub, strong)),
        RvError::WrappingKeySizeRange,
        "RSA-3072 cannot protect AES-256"
    );

    // ECDH: both sides derive the same AES key from the other's public point.
    let pair = || {
        let (pubk, privk) = s
            .generate_key_pair(
                &Mechanism::EccKeyPairGen,
                &[Attribute::Token(false), Attribute::EcParams(P256.to_vec())],
                &[Attribute::Token(false), Attribute::Derive(true)],
            )
            .unwrap();
        match s
            .get_attributes(pubk, &[AttributeType::EcPoint])
            .unwrap()
            .remove(0)
        {
            Attribute::EcPoint(p) => (p, privk),
            other => panic!("{other:?}"),
        }
    };
    let ((point_a, priv_a), (point_b, priv_b)) = (pair(), pair());
    let derived = |base, point: &[u8]| {
        let mut t = secret_template();
        t.push(Attribute::ValueLen(32.into()));
        s.derive_key(
            &Mechanism::Ecdh1Derive(Ecdh1DeriveParams::new(EcKdf::null(), point)),
            base,
            &t,
        )
        .unwrap()
    };
    let (k_ab, k_ba) = (derived(priv_a, &point_b), derived(priv_b, &point_a));
    assert!(same_key(&s, k_ab, k_ba), "ECDH agrees");
    let flags = s
        .get_attributes(
            k_ab,
            &[AttributeType::Sensitive, AttributeType::Extractable],
        )
        .unwrap();
    assert_eq!(
        flags,
        vec![Attribute::Sensitive(true), Attribute::Extractable(false)],
        "R13"
    );
}
