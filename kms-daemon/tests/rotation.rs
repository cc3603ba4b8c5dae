//! Key versions: `kmsd key rotate` (here `keys::admin::rotate`) gives a secret key a new primary
//! version; new encryptions and MACs use it, older versions still decrypt (GCM), verify (HMAC)
//! and unwrap (AES-KW); the PKCS#11 object stays the same and shows its version.

mod common;
use common::RawStore;

use common::service::{aes, b, code, do_unwrap, do_wrap, last_audit, m, setup_with_master_key, u};
use kms_api::msg::{CryptoRequest, VerifyRequest};
use kms_api::vendor::CKA_KMS_KEY_VERSION;
use kms_api::{AttrValue, Bytes, SecretBytes};
use kms_daemon::auth::Caller;
use kms_daemon::ck::*;
use kms_daemon::keys::admin;
use kms_daemon::keys::manage;
use kms_daemon::keys::usage;
use kms_daemon::model::lifecycle::Transition;
use kms_daemon::model::op::Op;
use kms_daemon::state::Services;
use kms_daemon::store::objects;

fn setup() -> (tempfile::TempDir, Services, Caller) {
    setup_with_master_key(&[11u8; 32])
}

fn gcm(data: &[u8]) -> CryptoRequest {
    common::service::gcm(2, data)
}

fn run(svc: &Services, c: &Caller, id: &str, op: Op, req: &CryptoRequest) -> Vec<u8> {
    usage::run(svc, c, "t", id, op, req)
        .unwrap()
        .data
        .0
        .to_vec()
}

fn version(svc: &Services, c: &Caller, id: &str) -> Option<u64> {
    let info = manage::get(svc, c, "t", id).unwrap();
    kms_api::attr::find(&info.attrs, CKA_KMS_KEY_VERSION).and_then(AttrValue::as_ulong)
}

#[test]
fn a_rotated_aes_key_encrypts_with_the_new_version_and_decrypts_both() {
    let (_dir, svc, c) = setup();
    let id = aes(&svc, &c, 32, vec![b(CKA_TOKEN, true)]).unwrap().id;
    assert_eq!(version(&svc, &c, &id), Some(1));
    let old_ct = run(&svc, &c, &id, Op::Encrypt, &gcm(b"written in v1"));

    let key = admin::rotate(&svc, &id).unwrap();
    assert_eq!(key.version, 2);
    let rec = last_audit(&svc);
    assert_eq!(
        (rec.action.as_str(), rec.detail.as_deref()),
        ("key.rotate", Some("version=2"))
    );
    assert_eq!(version(&svc, &c, &id), Some(2));
    // Same IV and data: a different ciphertext, so a different key.
    let new_ct = run(&svc, &c, &id, Op::Encrypt, &gcm(b"written in v1"));
    assert_ne!(new_ct, old_ct);
    for ct in [&old_ct, &new_ct] {
        assert_eq!(run(&svc, &c, &id, Op::Decrypt, &gcm(ct)), b"written in v1");
    }
    let mut bad = old_ct.clone();
    bad[0] ^= 1;
    let refused = usage::run(&svc, &c, "t", &id, Op::Decrypt, &gcm(&bad));
    assert_eq!(code(refused), "encrypted_data_invalid");

    // Again: three versions, all still decrypt what they made.
    admin::rotate(&svc, &id).unwrap();
    assert_eq!(
        run(&svc, &c, &id, Op::Decrypt, &gcm(&old_ct)),
        b"written in v1"
    );
    assert_eq!(
        run(&svc, &c, &id, Op::Decrypt, &gcm(&new_ct)),
        b"written in v1"
    );

    // Destroying the key erases every version.
    let mut svc = svc;
    svc.lifecycle.destroy_wait_secs = 0;
    manage::destroy(&svc, &c, "t", &id).unwrap();
    let left: i64 = svc
        .store
        .read(|conn| {
            conn.query_one(
                "SELECT count(*) FROM key_versions WHERE object_id = ?1 AND sealed IS NOT NULL",
                kms_daemon::store::db::params![id],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(left, 0);
    let row = svc
        .store
        .read(|conn| objects::get_any(conn, &id))
        .unwrap()
        .unwrap();
    assert!(row.sealed.is_none());
}

#[test]
fn hmac_macs_of_every_version_verify_and_key_wrap_blobs_unwrap() {
    let (_dir, svc, c) = setup();
    let mac_key = common::service::hmac_key(&svc, &c);
    let sign = CryptoRequest {
        mechanism: m(CKM_SHA256_HMAC),
        data: SecretBytes::from(&b"msg"[..]),
    };
    let verify = |mac: &[u8]| {
        usage::verify(
            &svc,
            &c,
            "t",
            &mac_key,
            &VerifyRequest {
                mechanism: m(CKM_SHA256_HMAC),
                data: SecretBytes::from(&b"msg"[..]),
                signature: Bytes(mac.to_vec()),
            },
        )
    };
    let v1 = run(&svc, &c, &mac_key, Op::Sign, &sign);
    admin::rotate(&svc, &mac_key).unwrap();
    let v2 = run(&svc, &c, &mac_key, Op::Sign, &sign);
    assert_ne!(v1, v2);
    verify(&v1).unwrap();
    verify(&v2).unwrap();
    assert_eq!(code(verify(&[0u8; 32])), "signature_invalid");

    // An AES key-wrap key: blobs made under v1 unwrap after rotation.
    let kek = aes(
        &svc,
        &c,
        32,
        vec![
            b(CKA_TOKEN, true),
            b(CKA_WRAP, true),
            b(CKA_UNWRAP, true),
            b(CKA_ENCRYPT, false),
            b(CKA_DECRYPT, false),
        ],
    )
    .unwrap()
    .id;
    let target = aes(&svc, &c, 16, vec![b(CKA_EXTRACTABLE, true)])
        .unwrap()
        .id;
    let blob = do_wrap(&svc, &c, m(CKM_AES_KEY_WRAP), &kek, &target).unwrap();
    admin::rotate(&svc, &kek).unwrap();
    let blob2 = do_wrap(&svc, &c, m(CKM_AES_KEY_WRAP), &kek, &target).unwrap();
    assert_ne!(blob, blob2);
    let template = || vec![u(CKA_CLASS, CKO_SECRET_KEY), u(CKA_KEY_TYPE, CKK_AES)];
    do_unwrap(&svc, &c, m(CKM_AES_KEY_WRAP), &kek, &blob, template()).unwrap();
    do_unwrap(&svc, &c, m(CKM_AES_KEY_WRAP), &kek, &blob2, template()).unwrap();
}

#[test]
fn only_active_secret_keys_rotate() {
    let (_dir, svc, c) = setup();
    let pair = common::service::ec_pair(
        &svc,
        &c,
        kms_daemon::crypto::ec::Curve::P256,
        vec![b(CKA_TOKEN, true)],
    );
    assert_eq!(
        code(admin::rotate(&svc, &pair.private.id)),
        "action_prohibited"
    );
    let id = aes(&svc, &c, 32, vec![b(CKA_TOKEN, true)]).unwrap().id;
    admin::transition(&svc, &id, Transition::Deactivate, None).unwrap();
    assert_eq!(code(admin::rotate(&svc, &id)), "action_prohibited");
    let rec = last_audit(&svc);
    assert_eq!(
        (rec.action.as_str(), rec.outcome.as_str()),
        ("key.rotate", "action_prohibited")
    );
}

#[test]
fn a_retired_version_moved_to_another_key_is_never_used() {
    let (dir, svc, c) = setup();
    let a = aes(&svc, &c, 32, vec![b(CKA_TOKEN, true)]).unwrap().id;
    let b_key = aes(&svc, &c, 32, vec![b(CKA_TOKEN, true)]).unwrap().id;
    let old_ct = run(&svc, &c, &a, Op::Encrypt, &gcm(b"for a"));
    admin::rotate(&svc, &a).unwrap();
    admin::rotate(&svc, &b_key).unwrap();
    // Give a the retired material of b: it no longer opens, and nothing is decrypted.
    let conn = RawStore::open(dir.path());
    conn.execute(
        "UPDATE key_versions SET sealed = (SELECT sealed FROM key_versions WHERE object_id = ?2) \
         WHERE object_id = ?1",
        kms_daemon::store::db::params![a, b_key],
    )
    .unwrap();
    let refused = usage::run(&svc, &c, "t", &a, Op::Decrypt, &gcm(&old_ct));
    assert_eq!(code(refused), "integrity_failure");
    let rec = last_audit(&svc);
    assert_eq!(
        (rec.action.as_str(), rec.outcome.as_str()),
        ("key.decrypt", "integrity_failure")
    );
}
