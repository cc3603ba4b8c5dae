//! Concurrency, differential: on SoftHSM2 and on kms-pkcs11, [`THREADS`] threads, each with its
//! own session, run a mixed sequence [`ITERATIONS`] times — RSA and ECDSA sign + verify, AES-GCM
//! encrypt + decrypt, digest, create / find by label / destroy a session object, random bytes —
//! and check every output against its own input: a thread verifies its own signatures (and that
//! a changed message fails), decrypts its own ciphertext, compares the token's digest with
//! aws-lc's, finds exactly the object it made. Both tokens must finish with zero failures. No
//! timing is asserted.

use aws_lc_rs::digest::{digest, SHA256};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use kms_testkit::{module_path, Kmsd, SO_PIN, TOKEN, USER_PIN};
use softhsm_tests::softhsm::{SoftHsm, MODULE as SOFTHSM_MODULE};
use std::path::Path;

const THREADS: usize = 8;
const ITERATIONS: usize = 25;
const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// The keys every thread uses (session objects of the setup session, which stays open).
#[derive(Clone, Copy)]
struct Keys {
    rsa_pub: ObjectHandle,
    rsa_priv: ObjectHandle,
    ec_pub: ObjectHandle,
    ec_priv: ObjectHandle,
    aes: ObjectHandle,
}

fn keys(s: &Session) -> Keys {
    let (rsa_pub, rsa_priv) = s
        .generate_key_pair(
            &Mechanism::RsaPkcsKeyPairGen,
            &[
                Attribute::Token(false),
                Attribute::ModulusBits(2048.into()),
                Attribute::PublicExponent(vec![1, 0, 1]),
                Attribute::Verify(true),
            ],
            &[Attribute::Token(false), Attribute::Sign(true)],
        )
        .expect("RSA key pair");
    let (ec_pub, ec_priv) = s
        .generate_key_pair(
            &Mechanism::EccKeyPairGen,
            &[
                Attribute::Token(false),
                Attribute::EcParams(P256.to_vec()),
                Attribute::Verify(true),
            ],
            &[Attribute::Token(false), Attribute::Sign(true)],
        )
        .expect("EC key pair");
    let aes = s
        .generate_key(
            &Mechanism::AesKeyGen,
            &[
                Attribute::Token(false),
                Attribute::ValueLen(32.into()),
                Attribute::Encrypt(true),
                Attribute::Decrypt(true),
            ],
        )
        .expect("AES key");
    Keys {
        rsa_pub,
        rsa_priv,
        ec_pub,
        ec_priv,
        aes,
    }
}

/// A check of one output: `Err(description)` when it does not match its input.
type Check = Result<(), String>;

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Check {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

fn ck<T>(what: &str, r: Result<T, Error>) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

/// A signature mechanism's round trip: sign, verify, and a changed message must not verify.
fn sign_round_trip(
    s: &Session,
    m: &Mechanism,
    (public, private): (ObjectHandle, ObjectHandle),
    msg: &[u8],
) -> Check {
    let sig = ck("sign", s.sign(m, private, msg))?;
    ck("verify own signature", s.verify(m, public, msg, &sig))?;
    let mut other = msg.to_vec();
    other[0] ^= 1;
    match s.verify(m, public, &other, &sig) {
        Err(Error::Pkcs11(RvError::SignatureInvalid, _)) => Ok(()),
        r => Err(format!("verify of a changed message: {r:?}")),
    }
}

fn gcm<'a>(iv: &'a mut [u8; 12], aad: &'a [u8]) -> Result<Mechanism<'a>, String> {
    ck("GCM parameters", GcmParams::new(iv, aad, 128.into())).map(Mechanism::AesGcm)
}

/// AES-GCM with an IV no other encryption uses: decrypting gives the message back.
fn gcm_round_trip(s: &Session, aes: ObjectHandle, msg: &[u8], aad: &[u8], n: u64) -> Check {
    let mut iv = [0u8; 12];
    iv[..8].copy_from_slice(&n.to_be_bytes());
    let sealed = ck("encrypt", s.encrypt(&gcm(&mut iv, aad)?, aes, msg))?;
    ensure(sealed.len() == msg.len() + 16, || {
        format!("ciphertext of {} bytes", sealed.len())
    })?;
    let opened = ck("decrypt", s.decrypt(&gcm(&mut iv, aad)?, aes, &sealed))?;
    ensure(opened == msg, || "decrypt gave another plaintext".into())
}

/// The token's SHA-256 equals aws-lc's.
fn digest_check(s: &Session, msg: &[u8], expected: &[u8]) -> Check {
    let d = ck("digest", s.digest(&Mechanism::Sha256, msg))?;
    ensure(d == expected, || "digest differs from aws-lc's".into())
}

/// A session object with a label only this step uses: found by it exactly, with its value,
/// and gone after its destruction.
fn object_round_trip(s: &Session, label: &str, value: &[u8]) -> Check {
    let h = ck(
        "create",
        s.create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(false),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Value(value.to_vec()),
        ]),
    )?;
    let by_label = [Attribute::Label(label.as_bytes().to_vec())];
    let found = ck("find", s.find_objects(&by_label))?;
    ensure(found == [h], || format!("found {found:?}, made {h:?}"))?;
    let got = ck("get", s.get_attributes(h, &[AttributeType::Value]))?;
    ensure(
        matches!(&got[..], [Attribute::Value(v)] if v == value),
        || "object value differs".into(),
    )?;
    ck("destroy", s.destroy_object(h))?;
    let after = ck("find after destroy", s.find_objects(&by_label))?;
    ensure(after.is_empty(), || format!("still found {after:?}"))
}

/// Two random draws: 32 bytes each, and different.
fn random_check(s: &Session) -> Check {
    let a = ck("random", s.generate_random_vec(32))?;
    let b = ck("random", s.generate_random_vec(32))?;
    ensure(a.len() == 32 && b.len() == 32 && a != b, || {
        "random bytes repeated or short".into()
    })
}

/// One iteration of the mixed sequence; every step checks its output against its input.
fn iteration(s: &Session, k: Keys, thread: usize, i: usize) -> Vec<Check> {
    let msg = format!("thread {thread} iteration {i}: the message").into_bytes();
    let sha256 = digest(&SHA256, &msg);
    let label = format!("concurrency-{thread}-{i}");
    let n = (thread * ITERATIONS + i) as u64;
    vec![
        sign_round_trip(s, &Mechanism::Sha256RsaPkcs, (k.rsa_pub, k.rsa_priv), &msg),
        // SoftHSM2 2.6 offers raw CKM_ECDSA only: sign the SHA-256 digest.
        sign_round_trip(s, &Mechanism::Ecdsa, (k.ec_pub, k.ec_priv), sha256.as_ref()),
        gcm_round_trip(s, k.aes, &msg, label.as_bytes(), n),
        digest_check(s, &msg, sha256.as_ref()),
        object_round_trip(s, &label, &msg),
        random_check(s),
    ]
}

/// Runs the threads on one module; returns the number of checks passed and the failures.
fn run(name: &str, path: &Path) -> (usize, Vec<String>) {
    let ctx = Pkcs11::new(path).expect("load module");
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .expect("C_Initialize");
    let slot = ctx.get_slots_with_token().expect("slots")[0];
    let setup = ctx.open_rw_session(slot).expect("setup session");
    setup
        .login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))
        .expect("login");
    let k = keys(&setup);
    let results: Vec<Vec<Check>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                let ctx = &ctx;
                scope.spawn(move || {
                    let s = ctx.open_rw_session(slot).expect("thread session");
                    (0..ITERATIONS)
                        .flat_map(|i| iteration(&s, k, thread, i))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread panicked"))
            .collect()
    });
    let all: Vec<Check> = results.into_iter().flatten().collect();
    let passed = all.iter().filter(|c| c.is_ok()).count();
    let failures = all
        .into_iter()
        .filter_map(Result::err)
        .map(|e| format!("{name}: {e}"))
        .collect();
    drop(setup);
    ctx.finalize().expect("C_Finalize");
    (passed, failures)
}

#[test]
fn threads_with_their_own_sessions_agree_on_both_tokens() {
    if !SoftHsm::available() {
        return;
    }
    let _softhsm = SoftHsm::new(TOKEN, SO_PIN, USER_PIN);
    let kmsd = Kmsd::start();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config_for(&[TOKEN]));
    let expected = THREADS * ITERATIONS * 6;
    for (name, path) in [
        ("softhsm2", Path::new(SOFTHSM_MODULE).to_path_buf()),
        ("kms-pkcs11", module_path()),
    ] {
        let (passed, failures) = run(name, &path);
        eprintln!(
            "{name}: {THREADS} threads x {ITERATIONS} iterations: {passed} checks passed, {} failed",
            failures.len()
        );
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert_eq!(passed, expected, "{name}: every check ran");
    }
}
