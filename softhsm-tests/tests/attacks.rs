//! The key-extraction and abuse sequences T1–T23 of `docs/security-model.md` through the module's
//! C API (the `cryptoki` crate) against a real kmsd. Each test plants known key values and ends
//! by scanning every byte the module returned (outputs, attribute values, wrapped blobs) for
//! them, in clear and wrapped (RFC 3394) under every key the attacker knows. T24 (decoder abuse
//! with raw pointers) is in `attacks_decoder.rs`; the raw-API twins are in
//! `kms-daemon/tests/attacks_raw*.rs`.

use aws_lc_rs::key_wrap::{AesKek, KeyWrap as _, AES_256};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::misc::KeyDerivationStringData;
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{
    Attribute, AttributeInfo, AttributeType, KeyType, ObjectClass, ObjectHandle,
};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use kms_testkit::{module_path, rv, Kmsd, SO_PIN, TOKEN, USER_PIN};
use std::cell::RefCell;
use std::sync::OnceLock;

const SPARE: &str = "spare";
const SPARE_PIN: &str = "11112222";

struct Fixture {
    kmsd: Kmsd,
    ctx: Pkcs11,
    slot: Slot,
    spare: Slot,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let kmsd = Kmsd::start();
        let (ok, out) = kmsd.admin(&[
            "token",
            "create",
            "--label",
            SPARE,
            "--user-pin",
            SPARE_PIN,
            "--so-pin",
            "33334444",
            "--allow-any",
        ]);
        assert!(ok, "kmsd token create: {out}");
        std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config_for(&[TOKEN, SPARE]));
        let ctx = Pkcs11::new(module_path()).expect("load module");
        ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .expect("C_Initialize");
        let slots = ctx.get_slots_with_token().expect("slots");
        Fixture {
            kmsd,
            ctx,
            slot: slots[0],
            spare: slots[1],
        }
    })
}

/// A logged-in session on the main token, and everything the module returned through it.
struct Attacker {
    s: Session,
    seen: RefCell<Vec<Vec<u8>>>,
    planted: Vec<Vec<u8>>,
    known_keys: Vec<Vec<u8>>,
}

impl Attacker {
    fn new() -> Attacker {
        let f = fixture();
        let s = f.ctx.open_rw_session(f.slot).expect("open session");
        match s.login(UserType::User, Some(&AuthPin::new(USER_PIN.into()))) {
            Ok(()) | Err(Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => panic!("C_Login: {e}"),
        }
        Attacker {
            s,
            seen: RefCell::new(Vec::new()),
            planted: Vec::new(),
            known_keys: Vec::new(),
        }
    }

    /// Keeps the bytes of a successful call's output for the leak scan.
    fn keep<T: AsRef<[u8]>>(&self, r: Result<T, Error>) -> Result<T, Error> {
        if let Ok(v) = &r {
            self.seen.borrow_mut().push(v.as_ref().to_vec());
        }
        r
    }

    /// Imports an AES key of known value; the value is planted.
    fn import(&mut self, value: &[u8], extra: &[Attribute]) -> ObjectHandle {
        self.planted.push(value.to_vec());
        let mut t = vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Value(value.to_vec()),
        ];
        t.extend_from_slice(extra);
        if !extra.iter().any(|a| matches!(a, Attribute::Token(_))) {
            t.push(Attribute::Token(false));
        }
        self.s.create_object(&t).expect("C_CreateObject")
    }

    fn aes(&self, len: u64, extra: &[Attribute]) -> Result<ObjectHandle, Error> {
        let mut t = vec![Attribute::Token(false), Attribute::ValueLen(len.into())];
        t.extend_from_slice(extra);
        self.s.generate_key(&Mechanism::AesKeyGen, &t)
    }

    fn rsa(
        &self,
        bits: u64,
        public: &[Attribute],
        private: &[Attribute],
    ) -> Result<(ObjectHandle, ObjectHandle), Error> {
        let mut pt = vec![
            Attribute::Token(false),
            Attribute::ModulusBits(bits.into()),
            Attribute::PublicExponent(vec![1, 0, 1]),
        ];
        pt.extend_from_slice(public);
        let mut vt = vec![Attribute::Token(false)];
        vt.extend_from_slice(private);
        self.s
            .generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &pt, &vt)
    }

    fn wrap(&self, m: &Mechanism, wk: ObjectHandle, k: ObjectHandle) -> Result<Vec<u8>, Error> {
        self.keep(self.s.wrap_key(m, wk, k))
    }

    fn decrypt(&self, m: &Mechanism, k: ObjectHandle, c: &[u8]) -> Result<Vec<u8>, Error> {
        self.keep(self.s.decrypt(m, k, c))
    }

    fn unwrap(
        &self,
        m: &Mechanism,
        uk: ObjectHandle,
        blob: &[u8],
        extra: &[Attribute],
    ) -> Result<ObjectHandle, Error> {
        let mut t = vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(false),
        ];
        t.extend_from_slice(extra);
        self.s.unwrap_key(m, uk, blob, &t)
    }

    /// Reads every readable attribute of `k` into the leak scan.
    fn read_all(&self, k: ObjectHandle) {
        let types = [
            AttributeType::Value,
            AttributeType::Label,
            AttributeType::Id,
            AttributeType::PrivateExponent,
            AttributeType::Prime1,
            AttributeType::Prime2,
            AttributeType::Coefficient,
        ];
        if let Ok(attrs) = self.s.get_attributes(k, &types) {
            for a in attrs {
                self.seen.borrow_mut().push(format!("{a:?}").into_bytes());
            }
        }
    }

    /// Scans every output for every planted value, in clear or RFC 3394-wrapped under a known key.
    fn assert_no_leak(&self) {
        assert!(
            !self.planted.is_empty(),
            "nothing planted: the oracle is blind"
        );
        for out in self.seen.borrow().iter() {
            let mut candidates = vec![out.clone()];
            for k in &self.known_keys {
                let kek = AesKek::new(&AES_256, k).unwrap();
                let mut buf = vec![0u8; out.len()];
                if let Ok(clear) = kek.unwrap(out, &mut buf) {
                    candidates.push(clear.to_vec());
                }
            }
            for c in &candidates {
                for p in &self.planted {
                    let dbg = format!("{p:?}").into_bytes();
                    assert!(
                        !c.windows(p.len()).any(|w| w == p.as_slice())
                            && !c.windows(dbg.len()).any(|w| w == dbg.as_slice()),
                        "a planted key value came back"
                    );
                }
            }
        }
    }
}

fn gcm_iv() -> [u8; 12] {
    [4u8; 12]
}

fn oaep() -> Mechanism<'static> {
    Mechanism::RsaPkcsOaep(PkcsOaepParams::new(
        MechanismType::SHA256,
        PkcsMgfType::MGF1_SHA256,
        PkcsOaepSource::empty(),
    ))
}

/// A generated wrap/unwrap-only AES-256 key.
fn transport(a: &Attacker) -> ObjectHandle {
    a.aes(
        32,
        &[
            Attribute::Wrap(true),
            Attribute::Unwrap(true),
            Attribute::Encrypt(false),
            Attribute::Decrypt(false),
        ],
    )
    .unwrap()
}

#[test]
fn wrap_based_extraction_t1_t2_t6_t7_t8_t9_t10_t11_t12() {
    let mut a = Attacker::new();
    let k1 = a.import(&[0xa1; 32], &[Attribute::Extractable(true)]);
    let kw = Mechanism::AesKeyWrap;

    // T1: a key that both wraps and decrypts is refused at generation (R1); one that asks for
    // wrapping only does not decrypt.
    assert_eq!(
        rv(a.aes(32, &[Attribute::Wrap(true), Attribute::Decrypt(true)])),
        RvError::TemplateInconsistent,
        "T1"
    );
    let k2 = a.aes(32, &[Attribute::Wrap(true)]).unwrap();
    let mut iv = gcm_iv();
    let gcm = Mechanism::AesGcm(GcmParams::new(&mut iv, &[], 128.into()).unwrap());
    assert_eq!(
        rv(a.decrypt(&gcm, k2, &[0u8; 48])),
        RvError::KeyFunctionNotPermitted,
        "T1 decrypt"
    );

    // T2: a pair that wraps with one half and decrypts with the other is refused at
    // generation; a transport pair's private half does not decrypt; PKCS#1 v1.5 wrap is off.
    assert_eq!(
        rv(a.rsa(
            3072,
            &[Attribute::Wrap(true), Attribute::Encrypt(false)],
            &[Attribute::Decrypt(true)],
        )),
        RvError::TemplateInconsistent,
        "T2"
    );
    let (pubk, privk) = a.rsa(3072, &[Attribute::Wrap(true)], &[]).unwrap();
    assert_eq!(
        rv(a.wrap(&Mechanism::RsaPkcs, pubk, k1)),
        RvError::MechanismInvalid,
        "T2 RSA_PKCS"
    );
    assert_eq!(
        rv(a.decrypt(&oaep(), privk, &[1u8; 384])),
        RvError::KeyFunctionNotPermitted,
        "T2 decrypt"
    );

    // T6: UNWRAP+ENCRYPT refused at generation; a key that unwraps does not encrypt, and
    // ENCRYPT cannot be added later.
    assert_eq!(
        rv(a.aes(32, &[Attribute::Unwrap(true), Attribute::Encrypt(true)])),
        RvError::TemplateInconsistent,
        "T6"
    );
    let k6 = a.aes(32, &[Attribute::Unwrap(true)]).unwrap();
    assert_eq!(
        rv(a.s.encrypt(&gcm, k6, &[0x33; 32])),
        RvError::KeyFunctionNotPermitted,
        "T6 encrypt"
    );
    assert_eq!(
        rv(a.s.update_attributes(k6, &[Attribute::Encrypt(true)])),
        RvError::AttributeReadOnly,
        "T6 set ENCRYPT"
    );

    // T7: roles are fixed; self-wrap refused.
    let k7 = a.aes(32, &[Attribute::Extractable(true)]).unwrap();
    for attr in [
        Attribute::Wrap(true),
        Attribute::Unwrap(true),
        Attribute::Decrypt(true),
    ] {
        assert_eq!(
            rv(a.s.update_attributes(k7, &[attr])),
            RvError::AttributeReadOnly,
            "T7"
        );
    }
    let sw = a
        .aes(
            32,
            &[
                Attribute::Extractable(true),
                Attribute::Wrap(true),
                Attribute::Decrypt(false),
            ],
        )
        .unwrap();
    assert_eq!(
        rv(a.wrap(&kw, sw, sw)),
        RvError::KeyUnextractable,
        "T7 self"
    );

    // T8: one legitimate blob unwrapped with conflicting roles.
    let t = transport(&a);
    let blob = a.wrap(&kw, t, k1).unwrap();
    for role in [Attribute::Wrap(true), Attribute::Unwrap(true)] {
        assert_eq!(
            rv(a.unwrap(&kw, t, &blob, &[role])),
            RvError::TemplateInconsistent,
            "T8"
        );
    }

    // T9: trojan wrapping keys of known value.
    let trojan = [0x77u8; 32];
    a.known_keys.push(trojan.to_vec());
    a.planted.push(trojan.to_vec());
    let r = a.s.create_object(&[
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(false),
        Attribute::Value(trojan.to_vec()),
        Attribute::Wrap(true),
    ]);
    assert_eq!(rv(r), RvError::TemplateInconsistent, "T9 secret");
    let r = a.s.create_object(&[
        Attribute::Class(ObjectClass::PUBLIC_KEY),
        Attribute::KeyType(KeyType::RSA),
        Attribute::Token(false),
        Attribute::Modulus(vec![0xc5; 256]),
        Attribute::PublicExponent(vec![1, 0, 1]),
        Attribute::Wrap(true),
    ]);
    assert_eq!(rv(r), RvError::TemplateInconsistent, "T9 public");

    // T10: a user makes no trusted key.
    assert_eq!(
        rv(a.aes(32, &[Attribute::Trusted(true)])),
        RvError::AttributeReadOnly,
        "T10"
    );
    assert_eq!(
        rv(a.s.update_attributes(k7, &[Attribute::Trusted(true)])),
        RvError::AttributeReadOnly,
        "T10 set"
    );
    let kt_victim = a.import(
        &[0xa2; 32],
        &[
            Attribute::Extractable(true),
            Attribute::WrapWithTrusted(true),
        ],
    );
    assert_eq!(
        rv(a.wrap(&kw, transport(&a), kt_victim)),
        RvError::KeyUnextractable,
        "T10 wrap"
    );

    // T11: weaker wrapping keys; no DES.
    let weak = a
        .aes(16, &[Attribute::Wrap(true), Attribute::Decrypt(false)])
        .unwrap();
    assert_eq!(
        rv(a.wrap(&kw, weak, k1)),
        RvError::WrappingKeySizeRange,
        "T11 AES-128"
    );
    let (p2048, _) = a
        .rsa(
            2048,
            &[Attribute::Wrap(true), Attribute::Encrypt(false)],
            &[Attribute::Unwrap(true), Attribute::Decrypt(false)],
        )
        .unwrap();
    assert_eq!(
        rv(a.wrap(&oaep(), p2048, k1)),
        RvError::WrappingKeySizeRange,
        "T11 RSA-2048"
    );
    assert_eq!(
        rv(a.rsa(1024, &[], &[])),
        RvError::KeySizeRange,
        "T11 RSA-1024"
    );
    assert_eq!(
        rv(a.s.generate_key(&Mechanism::Des3KeyGen, &[Attribute::Token(false)])),
        RvError::MechanismInvalid,
        "T11 3DES"
    );

    // T12: ECB and CBC-PAD wrapping are off.
    for m in [
        Mechanism::AesEcb,
        Mechanism::Des3Ecb,
        Mechanism::AesCbcPad([0; 16]),
    ] {
        assert_eq!(rv(a.wrap(&m, t, k1)), RvError::MechanismInvalid, "T12");
    }
    a.read_all(k1);
    a.assert_no_leak();
}

#[test]
fn reads_changes_copies_and_provenance_t3_t4_t5_t17() {
    let mut a = Attacker::new();
    let k1 = a.import(&[0xb2; 32], &[Attribute::Extractable(true)]);
    let k4 = a.import(
        &[0xb4; 32],
        &[Attribute::Sensitive(false), Attribute::Extractable(false)],
    );
    // T3/T4.
    for k in [k1, k4] {
        let info = a.s.get_attribute_info(k, &[AttributeType::Value]).unwrap();
        assert!(matches!(info[0], AttributeInfo::Sensitive), "T3/T4");
        a.read_all(k);
    }
    let (_, private) = a.rsa(2048, &[], &[]).unwrap();
    let types = [
        AttributeType::PrivateExponent,
        AttributeType::Prime1,
        AttributeType::Prime2,
        AttributeType::Exponent1,
        AttributeType::Exponent2,
        AttributeType::Coefficient,
    ];
    let info = a.s.get_attribute_info(private, &types).unwrap();
    assert!(
        info.iter().all(|i| matches!(i, AttributeInfo::Sensitive)),
        "T3 RSA {info:?}"
    );

    // T5a/b/c.
    assert_eq!(
        rv(a.s.update_attributes(k1, &[Attribute::Sensitive(false)])),
        RvError::AttributeReadOnly,
        "T5a"
    );
    assert_eq!(
        rv(a.s.update_attributes(k4, &[Attribute::Extractable(true)])),
        RvError::AttributeReadOnly,
        "T5b"
    );
    assert_eq!(
        rv(a.s.copy_object(k1, &[Attribute::Sensitive(false)])),
        RvError::AttributeReadOnly,
        "T5c"
    );
    assert_eq!(
        rv(a.s.copy_object(k4, &[Attribute::Extractable(true)])),
        RvError::AttributeReadOnly,
        "T5c"
    );
    let still = a.s.get_attributes(k1, &[AttributeType::Sensitive]).unwrap();
    assert!(matches!(still[0], Attribute::Sensitive(true)));

    // T17.
    for attr in [
        Attribute::AlwaysSensitive(true),
        Attribute::NeverExtractable(true),
    ] {
        assert_eq!(
            rv(a.aes(32, std::slice::from_ref(&attr))),
            RvError::AttributeReadOnly,
            "T17 generate"
        );
        assert_eq!(
            rv(a.s.update_attributes(k1, &[attr])),
            RvError::AttributeReadOnly,
            "T17 set"
        );
    }
    let ne =
        a.s.get_attributes(k1, &[AttributeType::NeverExtractable])
            .unwrap();
    assert!(matches!(ne[0], Attribute::NeverExtractable(false)));
    a.assert_no_leak();
}

#[test]
fn unwrap_and_derive_t13_t14_t15_t16_t18() {
    let mut a = Attacker::new();
    let k1 = a.import(
        &[0xc3; 32],
        &[Attribute::Extractable(true), Attribute::Derive(true)],
    );
    let t = transport(&a);
    let blob = a.wrap(&Mechanism::AesKeyWrap, t, k1).unwrap();

    // T13.
    let (_, up) = a
        .rsa(
            3072,
            &[Attribute::Wrap(true), Attribute::Encrypt(false)],
            &[Attribute::Unwrap(true), Attribute::Decrypt(false)],
        )
        .unwrap();
    assert_eq!(
        rv(a.unwrap(&Mechanism::RsaPkcs, up, &[5u8; 384], &[])),
        RvError::MechanismInvalid,
        "T13 RSA_PKCS"
    );
    assert_eq!(
        rv(a.unwrap(&Mechanism::AesCbcPad([0; 16]), t, &blob, &[])),
        RvError::MechanismInvalid,
        "T13 CBC_PAD"
    );

    // T14: implicit rejection — CKR_OK and the same synthetic message twice.
    let (_, dk) = a.rsa(2048, &[], &[Attribute::Decrypt(true)]).unwrap();
    let first = a.decrypt(&Mechanism::RsaPkcs, dk, &[0x42; 256]).unwrap();
    let again = a.decrypt(&Mechanism::RsaPkcs, dk, &[0x42; 256]).unwrap();
    assert_eq!(first, again, "T14");

    // T15: every single-byte change gives CKR_WRAPPED_KEY_INVALID.
    for i in 0..blob.len() {
        let mut bad = blob.clone();
        bad[i] ^= 0x80;
        assert_eq!(
            rv(a.unwrap(&Mechanism::AesKeyWrap, t, &bad, &[])),
            RvError::WrappedKeyInvalid,
            "T15 byte {i}"
        );
    }

    // T16.
    let data = [0u8; 32];
    for m in [
        Mechanism::XorBaseAndData(KeyDerivationStringData::new(&data)),
        Mechanism::ConcatenateBaseAndData(KeyDerivationStringData::new(&data)),
        Mechanism::ConcatenateBaseAndKey(k1),
    ] {
        let r = a.s.derive_key(
            &m,
            k1,
            &[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::GENERIC_SECRET),
            ],
        );
        assert_eq!(rv(r), RvError::MechanismInvalid, "T16");
    }

    // T18.
    for weak in [
        vec![Attribute::Sensitive(false)],
        vec![Attribute::Extractable(true)],
    ] {
        assert_eq!(
            rv(a.unwrap(&Mechanism::AesKeyWrap, t, &blob, &weak)),
            RvError::TemplateInconsistent,
            "T18"
        );
    }
    a.assert_no_leak();
}

#[test]
fn visibility_pins_and_so_t19_t20_t21_t22() {
    let f = fixture();
    // T19 on the spare token: a private object, then a public session.
    let s = f.ctx.open_rw_session(f.spare).unwrap();
    s.login(UserType::User, Some(&AuthPin::new(SPARE_PIN.into())))
        .unwrap();
    let k = s
        .generate_key(
            &Mechanism::AesKeyGen,
            &[Attribute::Token(true), Attribute::ValueLen(32.into())],
        )
        .unwrap();
    s.logout().unwrap();
    assert!(s.find_objects(&[]).unwrap().is_empty(), "T19 find");
    let r = s.get_attributes(k, &[AttributeType::Label]);
    assert_eq!(rv(r), RvError::ObjectHandleInvalid, "T19 handle");

    // T20: an empty PIN.
    assert_eq!(
        rv(s.login(UserType::User, Some(&AuthPin::new(String::new().into())))),
        RvError::PinLenRange,
        "T20"
    );

    // T22: the SO PIN through the user certificate.
    assert_eq!(
        rv(s.login(UserType::So, Some(&AuthPin::new(SO_PIN.into())))),
        RvError::UserTypeInvalid,
        "T22"
    );

    // T21: ten wrong PINs lock the token; the right one is then refused.
    for i in 0..10 {
        let _ = s.login(
            UserType::User,
            Some(&AuthPin::new(format!("9999000{i}").into())),
        );
    }
    assert_eq!(
        rv(s.login(UserType::User, Some(&AuthPin::new(SPARE_PIN.into())))),
        RvError::PinLocked,
        "T21"
    );
}

#[test]
fn a_tampered_row_gives_device_error_t23() {
    let mut a = Attacker::new();
    let victim = a.import(
        &[0xd5; 32],
        &[Attribute::Token(true), Attribute::Label(b"t23".to_vec())],
    );
    let mut iv = gcm_iv();
    let gcm = Mechanism::AesGcm(GcmParams::new(&mut iv, &[], 128.into()).unwrap());
    a.keep(a.s.encrypt(&gcm, victim, b"before")).unwrap();
    let db = rusqlite::Connection::open(fixture().kmsd.dir().join("kms.db")).unwrap();
    let changed = db
        .execute(
            "UPDATE objects SET attrs = replace(attrs, '{\"t\":354,\"v\":{\"bool\":false}}', \
             '{\"t\":354,\"v\":{\"bool\":true}}') WHERE attrs LIKE '%\"t\":3,\"v\":{\"bytes\":\"dDIz\"}%'",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1, "EXTRACTABLE flipped in the victim's row");
    assert_eq!(
        rv(a.keep(a.s.encrypt(&gcm, victim, b"after"))),
        RvError::DeviceError,
        "T23"
    );
    let t = transport(&a);
    assert!(
        a.wrap(&Mechanism::AesKeyWrap, t, victim).is_err(),
        "T23 wrap"
    );
    a.assert_no_leak();
}
