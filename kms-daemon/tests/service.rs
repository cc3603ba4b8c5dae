//! Service-level tests (no network): policy paths that are awkward to reach over HTTPS.

mod common;
use common::RawStore;

use common::service::{aes, attr, setup_with_master_key};
use kms_api::msg::{CryptoRequest, GenerateKeyRequest};
use kms_api::{Attr, AttrValue, MechParams, Mechanism, SecretBytes};
use kms_daemon::auth::Caller;
use kms_daemon::ck::*;
use kms_daemon::keys::usage;
use kms_daemon::keys::{generate, manage};
use kms_daemon::model::op::Op;
use kms_daemon::state::Services;
use kms_daemon::{audit, Error};

/// This file's tests run on their own vault master key.
fn setup() -> (tempfile::TempDir, Services, Caller) {
    setup_with_master_key(&[3u8; 32])
}

fn aes_key(svc: &Services, caller: &Caller, token_object: bool) -> String {
    aes(
        svc,
        caller,
        32,
        vec![attr(CKA_TOKEN, AttrValue::Bool(token_object))],
    )
    .unwrap()
    .id
}

fn cbc(data: &[u8]) -> CryptoRequest {
    CryptoRequest {
        mechanism: Mechanism {
            mechanism: CKM_AES_CBC_PAD,
            params: MechParams::Iv(vec![0u8; 16].into()),
        },
        data: SecretBytes::from(data),
    }
}

#[test]
fn a_tampered_row_is_never_used_and_is_audited() {
    let (dir, svc, caller) = setup();
    let id = aes_key(&svc, &caller, true);
    usage::run(&svc, &caller, "t", &id, Op::Encrypt, &cbc(b"x")).unwrap();

    // Make the key extractable behind kmsd's back: the AAD no longer matches.
    let conn = RawStore::open(dir.path());
    let attrs: String = conn
        .query_row(
            "SELECT attrs FROM objects WHERE id = ?1",
            kms_daemon::store::db::params![id],
            |r| r.get(0),
        )
        .unwrap();
    let edited = attrs.replace(
        &format!(r#"{{"t":{CKA_EXTRACTABLE},"v":{{"bool":false}}}}"#),
        &format!(r#"{{"t":{CKA_EXTRACTABLE},"v":{{"bool":true}}}}"#),
    );
    assert_ne!(attrs, edited);
    conn.execute(
        "UPDATE objects SET attrs = ?1 WHERE id = ?2",
        kms_daemon::store::db::params![edited, id],
    )
    .unwrap();

    let e = usage::run(&svc, &caller, "t", &id, Op::Encrypt, &cbc(b"x")).unwrap_err();
    assert!(matches!(e, Error::IntegrityFailure(_)), "{e:?}");
    let last = svc.store.read(audit::records).unwrap().pop().unwrap();
    assert_eq!(
        (last.event.action.as_str(), last.event.outcome.as_str()),
        ("key.encrypt", "integrity_failure")
    );
    assert_eq!(
        svc.store.read(audit::verify).unwrap(),
        audit::Verdict::Ok { records: 5 }
    );
}

#[test]
fn sticky_flags_reseal_and_session_objects_stay_with_their_instance() {
    let (_dir, svc, caller) = setup();
    let id = aes_key(&svc, &caller, false);
    let set = |a: Attr| manage::set_attributes(&svc, &caller, "t", &id, &[a]);

    // EXTRACTABLE: T→F only; it was generated F, so F→T is refused.
    assert!(matches!(
        set(attr(CKA_EXTRACTABLE, AttrValue::Bool(true))),
        Err(Error::AttributeReadOnly(_))
    ));
    assert!(matches!(
        set(attr(CKA_ENCRYPT, AttrValue::Bool(false))),
        Err(Error::AttributeReadOnly(_))
    ));
    assert!(matches!(
        set(attr(CKA_SENSITIVE, AttrValue::Bool(false))),
        Err(Error::AttributeReadOnly(_))
    ));
    set(attr(
        CKA_LABEL,
        AttrValue::Bytes(b"renamed".to_vec().into()),
    ))
    .unwrap();
    // Material still opens after a change that touched the row.
    let ct = usage::run(&svc, &caller, "t", &id, Op::Encrypt, &cbc(b"hello")).unwrap();
    let pt = usage::run(&svc, &caller, "t", &id, Op::Decrypt, &cbc(ct.data.as_ref())).unwrap();
    assert_eq!(pt.data.as_ref(), b"hello");

    // Another module instance of the same identity does not see the session object.
    let other = Caller {
        instance: Some("inst-2".into()),
        ..caller.clone()
    };
    assert!(matches!(
        manage::get(&svc, &other, "t", &id),
        Err(Error::ObjectNotFound)
    ));
    let none = Caller {
        instance: None,
        ..caller.clone()
    };
    assert!(matches!(
        usage::run(&svc, &none, "t", &id, Op::Encrypt, &cbc(b"x")),
        Err(Error::ObjectNotFound)
    ));
    // A session object needs the instance header at creation.
    let req = GenerateKeyRequest {
        mechanism: Mechanism::new(CKM_AES_KEY_GEN),
        template: vec![attr(CKA_VALUE_LEN, AttrValue::Ulong(16))],
    };
    assert!(matches!(
        generate::generate_key(&svc, &none, "t", &req),
        Err(Error::BadRequest(_))
    ));

    // Without a login: user_not_logged_in for use, and the private key is invisible.
    let anon = Caller {
        bearer: None,
        ..caller.clone()
    };
    assert!(matches!(
        usage::run(&svc, &anon, "t", &id, Op::Encrypt, &cbc(b"x")),
        Err(Error::UserNotLoggedIn)
    ));
    assert!(matches!(
        manage::get(&svc, &anon, "t", &id),
        Err(Error::ObjectNotFound)
    ));

    // Usage flag and mechanism checks.
    let gcm_bad_iv = CryptoRequest {
        mechanism: Mechanism {
            mechanism: CKM_AES_GCM,
            params: MechParams::Gcm {
                iv: vec![0u8; 8].into(),
                aad: Default::default(),
                tag_bits: 128,
            },
        },
        data: SecretBytes::from(&b"x"[..]),
    };
    assert!(matches!(
        usage::run(&svc, &caller, "t", &id, Op::Encrypt, &gcm_bad_iv),
        Err(Error::MechanismParamInvalid(_))
    ));
    let ecdsa = CryptoRequest {
        mechanism: Mechanism::new(CKM_ECDSA),
        data: SecretBytes::from(&[1u8; 32][..]),
    };
    assert!(matches!(
        usage::run(&svc, &caller, "t", &id, Op::Sign, &ecdsa),
        Err(Error::KeyTypeInconsistent)
    ));
    let no_sign = CryptoRequest {
        mechanism: Mechanism::new(CKM_AES_CBC_PAD),
        data: SecretBytes::from(&b"x"[..]),
    };
    assert!(matches!(
        usage::run(&svc, &caller, "t", &id, Op::Sign, &no_sign),
        Err(Error::MechanismInvalid(_))
    ));

    // SENSITIVE F→T is allowed and reseals the material under the new AAD.
    let req = GenerateKeyRequest {
        mechanism: Mechanism::new(CKM_AES_KEY_GEN),
        template: vec![
            attr(CKA_VALUE_LEN, AttrValue::Ulong(16)),
            attr(CKA_SENSITIVE, AttrValue::Bool(false)),
        ],
    };
    let soft = generate::generate_key(&svc, &caller, "t", &req).unwrap();
    let info = manage::set_attributes(
        &svc,
        &caller,
        "t",
        &soft.id,
        &[attr(CKA_SENSITIVE, AttrValue::Bool(true))],
    )
    .unwrap();
    assert!(info
        .attrs
        .contains(&attr(CKA_SENSITIVE, AttrValue::Bool(true))));
    assert!(info
        .attrs
        .contains(&attr(CKA_ALWAYS_SENSITIVE, AttrValue::Bool(false))));
    usage::run(&svc, &caller, "t", &soft.id, Op::Encrypt, &cbc(b"x")).unwrap();

    // Destroy.
    manage::destroy(&svc, &caller, "t", &id).unwrap();
    assert!(matches!(
        manage::get(&svc, &caller, "t", &id),
        Err(Error::ObjectNotFound)
    ));
}
