//! Failover through the module: three kmsd replicas over one store (one quick-start daemon and
//! two `kmsd serve --listen` on its configuration), the module configured with all three and
//! with a fourth endpoint that accepts connections and closes them (a TLS failure, every time).
//!
//! Threads generate token key pairs and sign with them, and generate AES keys, encrypt, decrypt
//! and destroy them, while replicas are killed with SIGKILL and restarted: no operation fails (those in flight at a kill are retried on another
//! replica, creations with their idempotency key), every signature verifies, and the store
//! holds exactly the key pairs that were acknowledged — none lost, none twice. A replica stopped
//! gracefully (SIGTERM: it drains) is left the same way. The login made
//! before the kills (on whichever replica served it) holds on every replica. A restarted
//! replica serves again (it is the only one left at the end of the run). With every replica
//! down a call fails with `CKR_DEVICE_ERROR` and a transport device error; once one is back
//! the next call works, still logged in, without `C_Finalize`. Afterwards the audit chain that
//! three processes appended to verifies, and wrong PINs spread over the three replicas lock the
//! PIN after the configured number in total (the failure counter is in the store).
//!
//! An AES key is rotated (`kmsd key rotate`) between the phases while every thread keeps
//! decrypting what it sealed under it a round before.
//!
//! The store is quick start's SQLite file, or with `KMS_TEST_PG` a PostgreSQL database of its
//! own (`.ci/run` runs this test both ways): the replicas are then stateless processes over a
//! shared database, the deployment README's "Several replicas on PostgreSQL" describes.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use kms_api::error::DEVICE_ERROR_TRANSPORT;
use kms_api::vendor::CKA_KMS_OBJECT_ID;
use kms_testkit::{module_path, rv, Kmsd, USER_PIN};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const LABEL: &[u8] = b"failover";
const AES_LABEL: &[u8] = b"failover-aes";
const THREADS: usize = 4;

/// What the workers did.
#[derive(Default)]
struct Tally {
    /// Rounds completed (a key pair generated, signed with and the signatures verified).
    rounds: AtomicUsize,
    /// Key pairs whose generation was acknowledged.
    pairs: AtomicUsize,
    /// AES keys whose generation was acknowledged, and those whose destruction was.
    aes_made: AtomicUsize,
    aes_destroyed: AtomicUsize,
    /// Every operation that failed, with its error.
    failures: Mutex<Vec<String>>,
    stop: AtomicBool,
    /// The AES key `kmsd key rotate` turns over during the run.
    rotating: Mutex<Option<ObjectHandle>>,
}

fn generate(s: &Session) -> Result<(ObjectHandle, ObjectHandle), Error> {
    s.generate_key_pair(
        &Mechanism::EccKeyPairGen,
        &[
            Attribute::Token(true),
            Attribute::EcParams(P256.to_vec()),
            Attribute::Label(LABEL.to_vec()),
            Attribute::Verify(true),
        ],
        &[
            Attribute::Token(true),
            Attribute::Label(LABEL.to_vec()),
            Attribute::Sign(true),
        ],
    )
}

/// One round: a token key pair, three signatures, each verified; an AES token key, a message
/// encrypted and decrypted under it, the key destroyed.
fn round(s: &Session, tally: &Tally, n: usize, last: &mut Option<Sealed>) -> Result<(), String> {
    let (public, private) = generate(s).map_err(|e| format!("generate: {e}"))?;
    tally.pairs.fetch_add(1, Ordering::SeqCst);
    for i in 0..3 {
        let data = format!("round {n} message {i}");
        let sig = s
            .sign(&Mechanism::EcdsaSha256, private, data.as_bytes())
            .map_err(|e| format!("sign: {e}"))?;
        s.verify(&Mechanism::EcdsaSha256, public, data.as_bytes(), &sig)
            .map_err(|e| format!("verify: {e}"))?;
    }
    let aes = s
        .generate_key(
            &Mechanism::AesKeyGen,
            &[
                Attribute::Token(true),
                Attribute::ValueLen(32.into()),
                Attribute::Label(AES_LABEL.to_vec()),
                Attribute::Encrypt(true),
                Attribute::Decrypt(true),
            ],
        )
        .map_err(|e| format!("generate AES: {e}"))?;
    tally.aes_made.fetch_add(1, Ordering::SeqCst);
    let cbc = Mechanism::AesCbcPad([7u8; 16]);
    let data = format!("round {n} secret");
    let ct = s
        .encrypt(&cbc, aes, data.as_bytes())
        .map_err(|e| format!("encrypt: {e}"))?;
    let pt = s
        .decrypt(&cbc, aes, &ct)
        .map_err(|e| format!("decrypt: {e}"))?;
    if pt != data.as_bytes() {
        return Err("decrypt: another plaintext".into());
    }
    s.destroy_object(aes).map_err(|e| format!("destroy: {e}"))?;
    tally.aes_destroyed.fetch_add(1, Ordering::SeqCst);
    // Under the key being rotated: what was sealed a round ago (maybe under an older version)
    // still opens, as does what is sealed now.
    let rotating = tally.rotating.lock().unwrap().expect("rotating key");
    let sealed = gcm_seal(s, rotating, n).map_err(|e| format!("GCM encrypt: {e}"))?;
    if let Some((mut iv, ct, data)) = last.replace(sealed) {
        let gcm = Mechanism::AesGcm(GcmParams::new(&mut iv, b"", 128.into()).unwrap());
        let pt = s
            .decrypt(&gcm, rotating, &ct)
            .map_err(|e| format!("GCM decrypt of an earlier round: {e}"))?;
        if pt != data {
            return Err("GCM decrypt: another plaintext".into());
        }
    }
    Ok(())
}

/// A GCM encryption under `key` with a fresh IV: (IV, ciphertext, plaintext).
fn gcm_seal(s: &Session, key: ObjectHandle, n: usize) -> Result<Sealed, Error> {
    let mut iv = [0u8; 12];
    s.generate_random_slice(&mut iv)?;
    let data = format!("sealed in round {n}").into_bytes();
    let mut param_iv = iv;
    let gcm = Mechanism::AesGcm(GcmParams::new(&mut param_iv, b"", 128.into()).unwrap());
    let ct = s.encrypt(&gcm, key, &data)?;
    Ok((iv, ct, data))
}

type Sealed = ([u8; 12], Vec<u8>, Vec<u8>);

fn worker(ctx: Pkcs11, slot: Slot, tally: Arc<Tally>) {
    let s = ctx.open_rw_session(slot).unwrap();
    let mut n = 0;
    let mut last = None;
    while !tally.stop.load(Ordering::SeqCst) {
        n += 1;
        match round(&s, &tally, n, &mut last) {
            Ok(()) => {
                tally.rounds.fetch_add(1, Ordering::SeqCst);
            }
            Err(e) => tally.failures.lock().unwrap().push(e),
        }
    }
}

/// Waits until the workers have completed `more` rounds beyond now (or one failed). The limit
/// only keeps a broken run from hanging the suite; nothing is asserted about speed.
fn run_rounds(tally: &Tally, more: usize) {
    let target = tally.rounds.load(Ordering::SeqCst) + more;
    let limit = Instant::now() + Duration::from_secs(600);
    while tally.rounds.load(Ordering::SeqCst) < target && tally.failures.lock().unwrap().is_empty()
    {
        assert!(Instant::now() < limit, "the workload stalled");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An endpoint that accepts TCP connections and closes them at once: no TLS handshake succeeds.
fn broken_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            drop(conn);
        }
    });
    url
}

#[test]
fn the_module_fails_over_between_replicas_and_creates_once() {
    let mut a = Kmsd::start();
    let mut b = a.replica();
    let mut c = a.replica();
    let broken = broken_endpoint();
    let config =
        a.module_config_endpoints(&[a.endpoint(), b.endpoint(), broken.clone(), c.endpoint()]);
    std::env::set_var("KMS_PKCS11_CONFIG", config);
    let log = a.dir().join("module.log");
    std::env::set_var("KMS_PKCS11_LOG", "error");
    std::env::set_var("KMS_PKCS11_LOG_FILE", &log);
    let ctx = Pkcs11::new(module_path()).unwrap();
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    let slot = ctx.get_slots_with_token().unwrap()[0];
    let s = ctx.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))
        .unwrap();

    let tally = Arc::new(Tally::default());
    let rotating = s
        .generate_key(
            &Mechanism::AesKeyGen,
            &[
                Attribute::Token(true),
                Attribute::ValueLen(32.into()),
                Attribute::Label(b"failover-rotating".to_vec()),
                Attribute::Encrypt(true),
                Attribute::Decrypt(true),
            ],
        )
        .unwrap();
    *tally.rotating.lock().unwrap() = Some(rotating);
    let rotating_id = match s
        .get_attributes(
            rotating,
            &[AttributeType::VendorDefined(CKA_KMS_OBJECT_ID as _)],
        )
        .unwrap()
        .remove(0)
    {
        Attribute::VendorDefined((_, id)) => String::from_utf8(id).unwrap(),
        other => panic!("{other:?}"),
    };
    // The administrator rotates it between the phases below (kmsd key rotate on the store).
    let rotate = |k: &Kmsd| {
        let (ok, out) = k.admin(&["key", "rotate", "--id", &rotating_id]);
        assert!(ok, "kmsd key rotate: {out}");
    };
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (ctx, tally) = (ctx.clone(), tally.clone());
            std::thread::spawn(move || worker(ctx, slot, tally))
        })
        .collect();

    // All three serve; then B dies mid-run, comes back; then C drains and stops (SIGTERM) and
    // A dies, leaving B alone.
    run_rounds(&tally, 40);
    rotate(&a);
    b.kill();
    run_rounds(&tally, 80);
    rotate(&a);
    b.restart();
    run_rounds(&tally, 40);
    c.stop();
    a.kill();
    rotate(&a);
    run_rounds(&tally, 80);
    tally.stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().unwrap();
    }
    let failures = tally.failures.lock().unwrap().clone();
    assert!(failures.is_empty(), "failed operations: {failures:?}");

    // Every acknowledged pair is there, once: no creation lost, none made twice by a retry.
    let stored = s
        .find_objects(&[Attribute::Label(LABEL.to_vec())])
        .unwrap()
        .len();
    assert_eq!(stored, 2 * tally.pairs.load(Ordering::SeqCst));
    let private = s
        .find_objects(&[
            Attribute::Label(LABEL.to_vec()),
            Attribute::Class(ObjectClass::PRIVATE_KEY),
        ])
        .unwrap();
    assert_eq!(private.len(), tally.pairs.load(Ordering::SeqCst));
    let aes_left = s
        .find_objects(&[Attribute::Label(AES_LABEL.to_vec())])
        .unwrap()
        .len();
    assert_eq!(
        aes_left,
        tally.aes_made.load(Ordering::SeqCst) - tally.aes_destroyed.load(Ordering::SeqCst),
        "every AES key made once, every destroyed one gone"
    );
    // The module saw the replicas go (and moved on): each was marked down.
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    for ep in [&a.endpoint(), &b.endpoint(), &c.endpoint(), &broken] {
        assert!(
            text.contains(&format!("kmsd endpoint {ep} marked down")),
            "{ep} not marked down in:\n{text}"
        );
    }
    // Read through kmsd (the store may be a SQLite file or a PostgreSQL database).
    let (ok, export) = a.admin(&["audit", "export"]);
    assert!(ok, "{export}");
    let replays = export
        .lines()
        .filter(|l| l.contains("\"action\":\"request.replay\""))
        .count();
    eprintln!(
        "{} rounds, {} key pairs, {replays} creations answered by replay",
        tally.rounds.load(Ordering::SeqCst),
        tally.pairs.load(Ordering::SeqCst)
    );

    // Every replica down: CKR_DEVICE_ERROR, and the device error says it is the transport.
    b.kill();
    for _ in 0..2 {
        assert_eq!(
            rv(s.sign(&Mechanism::EcdsaSha256, private[0], b"nobody home")),
            RvError::DeviceError
        );
        assert_eq!(
            s.get_session_info().unwrap().device_error(),
            DEVICE_ERROR_TRANSPORT
        );
    }

    // One back: the next call works, in the same session, still logged in.
    c.restart();
    let (public, private) = generate(&s).unwrap();
    let sig = s
        .sign(&Mechanism::EcdsaSha256, private, b"back again")
        .unwrap();
    s.verify(&Mechanism::EcdsaSha256, public, b"back again", &sig)
        .unwrap();
    assert_eq!(s.get_session_info().unwrap().device_error(), 0);

    // One chain, whichever replica wrote each record.
    let (ok, out) = a.admin(&["audit", "verify"]);
    assert!(ok, "{out}");

    // Wrong PINs round-robin over the three replicas (a login moves on from the broken endpoint:
    // nothing was sent there): locked after 10 in total, not 10 each.
    a.restart();
    b.restart();
    s.logout().unwrap();
    let wrong = AuthPin::new("00000000".into());
    for i in 1..=10 {
        let r = rv(s.login(UserType::User, Some(&wrong)));
        let expected = if i < 10 {
            RvError::PinIncorrect
        } else {
            RvError::PinLocked
        };
        assert_eq!(r, expected, "wrong PIN {i}");
    }
    assert_eq!(
        rv(s.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))),
        RvError::PinLocked
    );
}
