//! The same scenarios against SoftHSM2 and against kms-pkcs11, in one process: the return codes
//! must agree, and outputs cross-verify (a signature made by one token verifies on the other;
//! the same AES key gives the same ciphertext on both).
//!
//! Known differences are listed in `KNOWN_DIFFERENCES`, each with its reason and the outcome
//! kms-pkcs11 must give.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource};
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use kms_testkit::{module_path, Kmsd, SO_PIN, TOKEN, USER_PIN};
use softhsm_tests::softhsm::{SoftHsm, MODULE as SOFTHSM_MODULE};

/// Scenario steps where SoftHSM2 differs from the specification, the outcome kms-pkcs11 gives
/// instead, and why.
const KNOWN_DIFFERENCES: &[(&str, Outcome, &str)] = &[
    (
        "logout again",
        Err(RvError::UserNotLoggedIn),
        "SoftHSM2 2.6 answers CKR_OK to C_Logout without a login; PKCS#11 v3.0 §5.6.10 (spec-checklist S11) asks for CKR_USER_NOT_LOGGED_IN",
    ),
    (
        "raw ecdsa sign update",
        Err(RvError::FunctionNotSupported),
        "both end the operation; SoftHSM2 says CKR_OPERATION_NOT_INITIALIZED, we say CKR_FUNCTION_NOT_SUPPORTED (the mechanism is single-part only: the function is not supported for it), the code pkcs11-tool --test expects",
    ),
    (
        "digest readable key",
        Err(RvError::KeyIndigestible),
        "SoftHSM2 digests a non-sensitive, extractable secret key; kmsd never reveals a secret key's value in clear (it leaves only wrapped), and the module hashes locally, so every key is CKR_KEY_INDIGESTIBLE",
    ),
    (
        "digest sensitive key",
        Err(RvError::KeyIndigestible),
        "SoftHSM2 2.6 digests even a sensitive key, which hands anyone holding the handle a check value of the secret; kmsd refuses every key (line above)",
    ),
    (
        "digest final after a key",
        Err(RvError::OperationNotInitialized),
        "follows from the line above: the refused C_DigestKey ended the digest (an error ends it, as C_DigestUpdate's does)",
    ),
];

const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P521: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];
const ED25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
const AES_VALUE: [u8; 32] = [0x3c; 32];
const HMAC_VALUE: [u8; 64] = [0x5a; 64];

struct Target {
    name: &'static str,
    session: Session,
}

type Outcome = Result<(), RvError>;

fn outcome<T>(r: Result<T, Error>) -> Outcome {
    r.map(|_| ()).map_err(|e| match e {
        Error::Pkcs11(rv, _) => rv,
        other => panic!("not a PKCS#11 error: {other}"),
    })
}

fn open(ctx: &Pkcs11) -> Session {
    let slot = ctx.get_slots_with_token().unwrap()[0];
    ctx.open_rw_session(slot).unwrap()
}

fn attr_bytes(s: &Session, h: ObjectHandle, ty: AttributeType) -> Vec<u8> {
    match s.get_attributes(h, &[ty]).unwrap().remove(0) {
        Attribute::Modulus(v) | Attribute::PublicExponent(v) | Attribute::EcPoint(v) => v,
        other => panic!("unexpected {other:?}"),
    }
}

/// Step outcomes; RSA modulus and signature; EC point and signature; message; its SHA-256.
type Signed = (
    Vec<(&'static str, Outcome)>,
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
);

/// Login rules, then key generation and use; returns the step outcomes and the public values
/// and signatures that the other token must verify.
fn scenario(t: &Target) -> Signed {
    let s = &t.session;
    let login = |pin: &str| outcome(s.login(UserType::User, Some(&AuthPin::new(pin.into()))));
    let mut steps = vec![
        ("login wrong pin", login("99999999")),
        ("login", login(USER_PIN)),
        ("login again", login(USER_PIN)),
        ("logout", outcome(s.logout())),
        ("logout again", outcome(s.logout())),
    ];
    s.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))
        .unwrap();

    let public = [
        Attribute::Token(false),
        Attribute::ModulusBits(2048.into()),
        Attribute::Verify(true),
    ];
    let private = [
        Attribute::Token(false),
        Attribute::Sign(true),
        Attribute::Sensitive(true),
    ];
    let (rsa_pub, rsa_priv) = s
        .generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &public, &private)
        .unwrap();
    let msg = b"agreement between tokens";
    let rsa_sig = s.sign(&Mechanism::Sha256RsaPkcs, rsa_priv, msg).unwrap();
    steps.push((
        "rsa verify",
        outcome(s.verify(&Mechanism::Sha256RsaPkcs, rsa_pub, msg, &rsa_sig)),
    ));
    let mut bad = rsa_sig.clone();
    bad[0] ^= 1;
    steps.push((
        "rsa verify bad",
        outcome(s.verify(&Mechanism::Sha256RsaPkcs, rsa_pub, msg, &bad)),
    ));
    steps.push((
        "rsa verify short",
        outcome(s.verify(&Mechanism::Sha256RsaPkcs, rsa_pub, msg, &rsa_sig[1..])),
    ));
    let info = s
        .get_attribute_info(rsa_priv, &[AttributeType::PrivateExponent])
        .unwrap();
    steps.push((
        "private exponent hidden",
        if matches!(info[0], cryptoki::object::AttributeInfo::Sensitive) {
            Ok(())
        } else {
            Err(RvError::GeneralError)
        },
    ));

    let (ec_pub, ec_priv) = s
        .generate_key_pair(
            &Mechanism::EccKeyPairGen,
            &[Attribute::Token(false), Attribute::EcParams(P256.to_vec())],
            &[Attribute::Token(false), Attribute::Sign(true)],
        )
        .unwrap();
    // SoftHSM2 2.6 offers only raw CKM_ECDSA: sign the token's own SHA-256 digest.
    let digest = s.digest(&Mechanism::Sha256, msg).unwrap();
    let ec_sig = s.sign(&Mechanism::Ecdsa, ec_priv, &digest).unwrap();
    steps.push((
        "ecdsa verify",
        outcome(s.verify(&Mechanism::Ecdsa, ec_pub, &digest, &ec_sig)),
    ));

    let modulus = attr_bytes(s, rsa_pub, AttributeType::Modulus);
    let point = attr_bytes(s, ec_pub, AttributeType::EcPoint);
    (steps, modulus, rsa_sig, point, ec_sig, msg.to_vec(), digest)
}

fn verify_foreign(s: &Session, signed: &Signed) {
    let (_, modulus, rsa_sig, point, ec_sig, msg, digest) = signed;
    let rsa = s
        .create_object(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(KeyType::RSA),
            Attribute::Token(false),
            Attribute::Verify(true),
            Attribute::Modulus(modulus.to_vec()),
            Attribute::PublicExponent(vec![1, 0, 1]),
        ])
        .unwrap();
    s.verify(&Mechanism::Sha256RsaPkcs, rsa, msg, rsa_sig)
        .expect("RSA signature of the other token");
    let ec = s
        .create_object(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(KeyType::EC),
            Attribute::Token(false),
            Attribute::Verify(true),
            Attribute::EcParams(P256.to_vec()),
            Attribute::EcPoint(point.to_vec()),
        ])
        .unwrap();
    s.verify(&Mechanism::Ecdsa, ec, digest, ec_sig)
        .expect("ECDSA signature of the other token");
}

fn aes_outputs(s: &Session) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let key = s
        .create_object(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(false),
            Attribute::Value(AES_VALUE.to_vec()),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
        ])
        .unwrap();
    let mut iv = [5u8; 12];
    let gcm = s
        .encrypt(
            &Mechanism::AesGcm(GcmParams::new(&mut iv, b"hdr", 128.into()).unwrap()),
            key,
            b"same key, same output",
        )
        .unwrap();
    let cbc = s
        .encrypt(
            &Mechanism::AesCbcPad([6u8; 16]),
            key,
            b"same key, same output",
        )
        .unwrap();
    let digest = s.digest(&Mechanism::Sha384, b"digest me").unwrap();
    (gcm, cbc, digest)
}

fn eddsa() -> Mechanism<'static> {
    Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure))
}

/// `CKM_AES_CTR` with a 32-bit counter (cryptoki has no typed variant for it).
fn aes_ctr(params: &cryptoki_sys::CK_AES_CTR_PARAMS) -> Mechanism<'_> {
    Mechanism::VendorDefined(VendorDefinedMechanism::new(
        MechanismType::AES_CTR,
        Some(params),
    ))
}

/// Public values and signatures of the second scenario, for the other token to verify.
struct Curves {
    ed_point: Vec<u8>,
    ed_sig: Vec<u8>,
    p521_point: Vec<u8>,
    p521_sig: Vec<u8>,
    digest: Vec<u8>,
}

/// Outputs that must be equal on both tokens (same keys, same inputs).
type Deterministic = Vec<(&'static str, Vec<u8>)>;

/// MACs, ECB and CTR with imported keys, Ed25519 and P-521 signatures, and the single-part rule
/// of raw signature mechanisms.
fn mechanisms(t: &Target) -> (Vec<(&'static str, Outcome)>, Deterministic, Curves) {
    let s = &t.session;
    let msg = b"the same message on both tokens";
    let mut steps = Vec::new();
    let mut same = Vec::new();

    let mac_key = s
        .create_object(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::GENERIC_SECRET),
            Attribute::Token(false),
            Attribute::Value(HMAC_VALUE.to_vec()),
            Attribute::Sign(true),
            Attribute::Verify(true),
        ])
        .unwrap();
    for (name, m) in [
        ("hmac-sha256", Mechanism::Sha256Hmac),
        ("hmac-sha384", Mechanism::Sha384Hmac),
        ("hmac-sha512", Mechanism::Sha512Hmac),
    ] {
        same.push((name, s.sign(&m, mac_key, msg).unwrap()));
    }
    let mac = s.sign(&Mechanism::Sha256Hmac, mac_key, msg).unwrap();
    s.sign_init(&Mechanism::Sha256Hmac, mac_key).unwrap();
    s.sign_update(&msg[..5]).unwrap();
    s.sign_update(&msg[5..]).unwrap();
    same.push(("hmac multi-part", s.sign_final().unwrap()));
    steps.push((
        "hmac verify",
        outcome(s.verify(&Mechanism::Sha256Hmac, mac_key, msg, &mac)),
    ));
    let mut bad = mac.clone();
    bad[0] ^= 1;
    steps.push((
        "hmac verify bad",
        outcome(s.verify(&Mechanism::Sha256Hmac, mac_key, msg, &bad)),
    ));
    steps.push((
        "hmac verify short",
        outcome(s.verify(&Mechanism::Sha256Hmac, mac_key, msg, &mac[1..])),
    ));
    steps.push((
        "hmac key cannot encrypt",
        outcome(s.encrypt(&Mechanism::AesEcb, mac_key, &[0u8; 16])),
    ));

    let aes = s
        .create_object(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(false),
            Attribute::Value(AES_VALUE.to_vec()),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
        ])
        .unwrap();
    let blocks = [7u8; 48];
    let ecb = s.encrypt(&Mechanism::AesEcb, aes, &blocks).unwrap();
    assert_eq!(s.decrypt(&Mechanism::AesEcb, aes, &ecb).unwrap(), blocks);
    same.push(("aes-ecb", ecb));
    let cbc = s
        .encrypt(&Mechanism::AesCbc([3u8; 16]), aes, &blocks)
        .unwrap();
    assert_eq!(
        s.decrypt(&Mechanism::AesCbc([3u8; 16]), aes, &cbc).unwrap(),
        blocks
    );
    same.push(("aes-cbc", cbc));

    // C_DigestKey: SoftHSM2 digests a key whose value an application could read; kmsd never
    // reveals a secret key's value (not even unsensitive), so every key is indigestible there.
    let readable = s
        .create_object(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(false),
            Attribute::Value(AES_VALUE.to_vec()),
            Attribute::Sensitive(false),
            Attribute::Extractable(true),
        ])
        .unwrap();
    s.digest_init(&Mechanism::Sha256).unwrap();
    s.digest_update(b"prefix").unwrap();
    steps.push(("digest readable key", outcome(s.digest_key(readable))));
    steps.push(("digest final after a key", outcome(s.digest_final())));
    let sensitive = s
        .generate_key(
            &Mechanism::AesKeyGen,
            &[
                Attribute::Token(false),
                Attribute::ValueLen(32.into()),
                Attribute::Sensitive(true),
                Attribute::Encrypt(true),
            ],
        )
        .unwrap();
    let gone = s
        .create_object(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(false),
            Attribute::Value(AES_VALUE.to_vec()),
        ])
        .unwrap();
    s.destroy_object(gone).unwrap();
    // Each case on a fresh digest (whatever the previous one left behind).
    let fresh = || {
        let _ = s.digest_final();
        s.digest_init(&Mechanism::Sha256).unwrap();
    };
    fresh();
    steps.push(("digest sensitive key", outcome(s.digest_key(sensitive))));
    fresh();
    steps.push(("digest destroyed key", outcome(s.digest_key(gone))));
    let _ = s.digest_final();
    steps.push((
        "ecb partial block",
        outcome(s.encrypt(&Mechanism::AesEcb, aes, &blocks[..15])),
    ));
    steps.push((
        "cbc partial block",
        outcome(s.encrypt(&Mechanism::AesCbc([3u8; 16]), aes, &blocks[..15])),
    ));
    let mut cb = [0u8; 16];
    cb[..12].copy_from_slice(&[9u8; 12]);
    let ctr_params = cryptoki_sys::CK_AES_CTR_PARAMS {
        ulCounterBits: 32,
        cb,
    };
    let ctr = s.encrypt(&aes_ctr(&ctr_params), aes, msg).unwrap();
    assert_eq!(s.decrypt(&aes_ctr(&ctr_params), aes, &ctr).unwrap(), msg);
    same.push(("aes-ctr", ctr));

    let (ed_pub, ed_priv) = s
        .generate_key_pair(
            &Mechanism::EccEdwardsKeyPairGen,
            &[
                Attribute::Token(false),
                Attribute::EcParams(ED25519.to_vec()),
                Attribute::Verify(true),
            ],
            &[Attribute::Token(false), Attribute::Sign(true)],
        )
        .unwrap();
    let ed_sig = s.sign(&eddsa(), ed_priv, msg).unwrap();
    steps.push((
        "eddsa verify",
        outcome(s.verify(&eddsa(), ed_pub, msg, &ed_sig)),
    ));
    steps.push((
        "eddsa verify other message",
        outcome(s.verify(&eddsa(), ed_pub, b"another", &ed_sig)),
    ));

    let (p521_pub, p521_priv) = s
        .generate_key_pair(
            &Mechanism::EccKeyPairGen,
            &[Attribute::Token(false), Attribute::EcParams(P521.to_vec())],
            &[Attribute::Token(false), Attribute::Sign(true)],
        )
        .unwrap();
    let digest = s.digest(&Mechanism::Sha512, msg).unwrap();
    let p521_sig = s.sign(&Mechanism::Ecdsa, p521_priv, &digest).unwrap();
    steps.push(("p521 signature length", check(p521_sig.len() == 132)));
    steps.push((
        "p521 verify",
        outcome(s.verify(&Mechanism::Ecdsa, p521_pub, &digest, &p521_sig)),
    ));
    // Raw ECDSA is single-part only: the update is refused and the operation is over.
    s.sign_init(&Mechanism::Ecdsa, p521_priv).unwrap();
    steps.push(("raw ecdsa sign update", outcome(s.sign_update(&digest))));
    steps.push((
        "sign after refused update",
        outcome(s.sign(&Mechanism::Ecdsa, p521_priv, &digest)),
    ));

    let curves = Curves {
        ed_point: attr_bytes(s, ed_pub, AttributeType::EcPoint),
        ed_sig,
        p521_point: attr_bytes(s, p521_pub, AttributeType::EcPoint),
        p521_sig,
        digest,
    };
    (steps, same, curves)
}

fn check(ok: bool) -> Outcome {
    if ok {
        Ok(())
    } else {
        Err(RvError::GeneralError)
    }
}

fn public_key(s: &Session, kt: KeyType, params: &[u8], point: &[u8]) -> ObjectHandle {
    s.create_object(&[
        Attribute::Class(ObjectClass::PUBLIC_KEY),
        Attribute::KeyType(kt),
        Attribute::Token(false),
        Attribute::Verify(true),
        Attribute::EcParams(params.to_vec()),
        Attribute::EcPoint(point.to_vec()),
    ])
    .unwrap()
}

fn verify_foreign_curves(s: &Session, c: &Curves) {
    let ed = public_key(s, KeyType::EC_EDWARDS, ED25519, &c.ed_point);
    s.verify(&eddsa(), ed, b"the same message on both tokens", &c.ed_sig)
        .expect("Ed25519 signature of the other token");
    let p521 = public_key(s, KeyType::EC, P521, &c.p521_point);
    s.verify(&Mechanism::Ecdsa, p521, &c.digest, &c.p521_sig)
        .expect("P-521 signature of the other token");
}

fn compare(targets: &[Target], a: &[(&'static str, Outcome)], b: &[(&'static str, Outcome)]) {
    assert_eq!(a.len(), b.len());
    for ((step, a), (_, b)) in a.iter().zip(b) {
        match KNOWN_DIFFERENCES.iter().find(|(s, _, _)| s == step) {
            Some((_, expected, why)) => assert_eq!(b, expected, "{step} ({why})"),
            None => assert_eq!(
                a, b,
                "{step}: {} and {} disagree",
                targets[0].name, targets[1].name
            ),
        }
    }
}

#[test]
fn softhsm2_and_kms_pkcs11_agree() {
    if !SoftHsm::available() {
        return;
    }
    let _softhsm = SoftHsm::new(TOKEN, SO_PIN, USER_PIN);
    let kmsd = Kmsd::start();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config());
    let init = CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK);
    let reference = Pkcs11::new(SOFTHSM_MODULE).unwrap();
    reference.initialize(init).unwrap();
    let ours = Pkcs11::new(module_path()).unwrap();
    ours.initialize(init).unwrap();
    let targets = [
        Target {
            name: "softhsm2",
            session: open(&reference),
        },
        Target {
            name: "kms-pkcs11",
            session: open(&ours),
        },
    ];

    let results: Vec<_> = targets.iter().map(scenario).collect();
    compare(&targets, &results[0].0, &results[1].0);
    assert_eq!(
        results[1].0.iter().filter(|(_, o)| o.is_err()).count(),
        5,
        "the refusals happened: {:?}",
        results[1].0
    );

    // Each token verifies the other's signatures.
    for (verifier, signer) in [(0, 1), (1, 0)] {
        verify_foreign(&targets[verifier].session, &results[signer]);
    }
    // The same AES key and inputs give the same outputs.
    assert_eq!(
        aes_outputs(&targets[0].session),
        aes_outputs(&targets[1].session)
    );

    let more: Vec<_> = targets.iter().map(mechanisms).collect();
    compare(&targets, &more[0].0, &more[1].0);
    let refused: Vec<_> = more[1].0.iter().filter(|(_, o)| o.is_err()).collect();
    assert_eq!(refused.len(), 11, "the refusals happened: {refused:?}");
    for ((name, a), (_, b)) in more[0].1.iter().zip(&more[1].1) {
        assert_eq!(
            a, b,
            "{name}: the same key and input give different outputs"
        );
    }
    for (verifier, signer) in [(0, 1), (1, 0)] {
        verify_foreign_curves(&targets[verifier].session, &more[signer].2);
    }
    key_moves_from_softhsm2(&targets[0].session, &targets[1].session);
}

fn oaep_sha1() -> Mechanism<'static> {
    Mechanism::RsaPkcsOaep(PkcsOaepParams::new(
        MechanismType::SHA1,
        PkcsMgfType::MGF1_SHA1,
        PkcsOaepSource::empty(),
    ))
}

/// A key wrapped by one token unwraps in the other: SoftHSM2 wraps an AES key with RSA-OAEP
/// (SHA-1: the one hash SoftHSM2 2.6 offers for OAEP) under the public half of a key pair made
/// in kmsd, which unwraps it; the two copies then encrypt alike. The other direction is refused
/// by policy, not by a difference: kmsd wraps only with keys generated in kmsd (security R5),
/// so a SoftHSM2 public key imported into it cannot wrap.
fn key_moves_from_softhsm2(softhsm: &Session, ours: &Session) {
    let (public, private) = ours
        .generate_key_pair(
            &Mechanism::RsaPkcsKeyPairGen,
            &[
                Attribute::Token(false),
                Attribute::ModulusBits(2048.into()),
                Attribute::PublicExponent(vec![1, 0, 1]),
                Attribute::Wrap(true),
                Attribute::Encrypt(false),
            ],
            &[
                Attribute::Token(false),
                Attribute::Unwrap(true),
                Attribute::Decrypt(false),
                Attribute::Sign(false),
            ],
        )
        .unwrap();
    let modulus = attr_bytes(ours, public, AttributeType::Modulus);
    let exponent = attr_bytes(ours, public, AttributeType::PublicExponent);
    let theirs_public = softhsm
        .create_object(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::KeyType(KeyType::RSA),
            Attribute::Token(false),
            Attribute::Modulus(modulus),
            Attribute::PublicExponent(exponent),
            Attribute::Wrap(true),
        ])
        .unwrap();
    let aes = softhsm
        .create_object(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(false),
            Attribute::Value(AES_VALUE.to_vec()),
            Attribute::Extractable(true),
            Attribute::Encrypt(true),
        ])
        .unwrap();
    let blob = softhsm.wrap_key(&oaep_sha1(), theirs_public, aes).unwrap();
    let moved = ours
        .unwrap_key(
            &oaep_sha1(),
            private,
            &blob,
            &[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::AES),
                Attribute::Token(false),
                Attribute::Encrypt(true),
                Attribute::Decrypt(true),
            ],
        )
        .expect("kmsd unwraps what SoftHSM2 wrapped");
    let block = [0x42u8; 16];
    assert_eq!(
        ours.encrypt(&Mechanism::AesEcb, moved, &block).unwrap(),
        softhsm.encrypt(&Mechanism::AesEcb, aes, &block).unwrap(),
        "the moved key is the same key"
    );
}
