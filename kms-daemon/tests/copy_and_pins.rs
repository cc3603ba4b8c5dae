//! Service-level tests of C_CopyObject, C_SetPIN and C_InitPIN (no network).

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, ParsedPublicKey};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kms_api::msg::{
    CryptoRequest, GenerateKeyPairRequest, GenerateKeyRequest, InitPinRequest, LoginRequest,
    ObjectInfo, SetPinRequest, UserType,
};
use kms_api::{Attr, AttrValue, MechParams, Mechanism, SecretBytes};
use kms_daemon::auth::{login, pin_change, tokens, Caller};
use kms_daemon::ck::*;
use kms_daemon::config::AuthConfig;
use kms_daemon::keys::copy::copy_object;
use kms_daemon::keys::usage;
use kms_daemon::keys::{generate, manage};
use kms_daemon::model::op::Op;
use kms_daemon::state::Services;
use kms_daemon::store::{objects, Store};
use kms_daemon::vault::Vault;
use kms_daemon::{audit, Error};
use zeroize::Zeroizing;

const USER_PIN: &[u8] = kms_testkit::USER_PIN.as_bytes();
const SO_PIN: &[u8] = kms_testkit::SO_PIN.as_bytes();
const ADMIN: &str = "CN=admin";

fn services(max_pin_failures: u32) -> (tempfile::TempDir, Services) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(&dir.path().join("kms.db")).unwrap();
    tokens::create_token(&store, "t", USER_PIN, SO_PIN, None).unwrap();
    let svc = Services {
        store,
        vault: Vault::from_master_key(&[5u8; 32]).unwrap().into(),
        auth: AuthConfig {
            max_pin_failures,
            so_identities: vec![ADMIN.into()],
            ..AuthConfig::default()
        },
        lifecycle: Default::default(),
        policy: Default::default(),
        key_cache: Default::default(),
        limits: Default::default(),
        audit: Default::default(),
    };
    (dir, svc)
}

fn caller(identity: &str, instance: Option<&str>) -> Caller {
    Caller {
        identity: identity.into(),
        request_id: "r".into(),
        instance: instance.map(str::to_owned),
        bearer: None,
        idempotency: None,
    }
}

fn login(svc: &Services, c: &Caller, user_type: UserType, pin: &[u8]) -> Result<Caller, Error> {
    let resp = login::login(
        svc,
        c,
        "t",
        &LoginRequest {
            user_type,
            pin: SecretBytes::from(pin),
        },
    )?;
    Ok(Caller {
        bearer: Some(Zeroizing::new(STANDARD.encode(resp.session.as_ref()))),
        ..c.clone()
    })
}

fn user(svc: &Services, instance: Option<&str>) -> Caller {
    login(svc, &caller("CN=a", instance), UserType::User, USER_PIN).unwrap()
}

fn attr(ty: u64, value: AttrValue) -> Attr {
    Attr { ty, value }
}

fn b(ty: u64, v: bool) -> Attr {
    attr(ty, AttrValue::Bool(v))
}

fn value(info: &ObjectInfo, ty: u64) -> Option<&AttrValue> {
    info.attrs.iter().find(|a| a.ty == ty).map(|a| &a.value)
}

const P256: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// keytool's first step: a session EC key pair with an empty private template.
fn session_ec_pair(svc: &Services, c: &Caller) -> (ObjectInfo, Vec<u8>) {
    let pair = generate::generate_pair(
        svc,
        c,
        "t",
        &GenerateKeyPairRequest {
            mechanism: Mechanism::new(CKM_EC_KEY_PAIR_GEN),
            public_template: vec![attr(CKA_EC_PARAMS, AttrValue::Bytes(P256.to_vec().into()))],
            private_template: vec![],
        },
    )
    .unwrap();
    let spki = value(&pair.public, CKA_PUBLIC_KEY_INFO)
        .and_then(AttrValue::as_bytes)
        .unwrap()
        .to_vec();
    (pair.private, spki)
}

fn sign_and_verify(svc: &Services, c: &Caller, id: &str, spki: &[u8]) {
    let msg = b"signed by a copy";
    let d = digest::digest(&digest::SHA256, msg);
    let sig = usage::run(
        svc,
        c,
        "t",
        id,
        Op::Sign,
        &CryptoRequest {
            mechanism: Mechanism::new(CKM_ECDSA),
            data: SecretBytes::from(d.as_ref()),
        },
    )
    .unwrap();
    ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, spki)
        .unwrap()
        .verify_sig(msg, sig.data.as_ref())
        .expect("signature verifies");
}

fn aes_key(svc: &Services, c: &Caller, template: Vec<Attr>) -> Result<ObjectInfo, Error> {
    let mut t = vec![
        attr(CKA_VALUE_LEN, AttrValue::Ulong(32)),
        b(CKA_TOKEN, true),
    ];
    t.extend(template);
    generate::generate_key(
        svc,
        c,
        "t",
        &GenerateKeyRequest {
            mechanism: Mechanism::new(CKM_AES_KEY_GEN),
            template: t,
        },
    )
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

fn last_audit(svc: &Services) -> audit::Event {
    svc.store.read(audit::records).unwrap().pop().unwrap().event
}

#[test]
fn keytool_copy_onto_the_token_signs_and_outlives_the_source() {
    let (_d, svc) = services(10);
    let c = user(&svc, Some("inst-1"));
    let (src, spki) = session_ec_pair(&svc, &c);
    let copy = copy_object(
        &svc,
        &c,
        "t",
        &src.id,
        &[
            b(CKA_TOKEN, true),
            attr(CKA_ID, AttrValue::Bytes(b"alias".to_vec().into())),
        ],
    )
    .unwrap();
    assert_ne!(copy.id, src.id);
    assert_eq!(value(&copy, CKA_TOKEN), Some(&AttrValue::Bool(true)));
    assert_eq!(
        value(&copy, CKA_ID),
        Some(&AttrValue::Bytes(b"alias".to_vec().into()))
    );
    // Provenance and everything else is the source's.
    for ty in [
        CKA_LOCAL,
        CKA_KEY_GEN_MECHANISM,
        CKA_ALWAYS_SENSITIVE,
        CKA_NEVER_EXTRACTABLE,
        CKA_SENSITIVE,
        CKA_EXTRACTABLE,
        CKA_SIGN,
        CKA_PRIVATE,
        CKA_EC_PARAMS,
        CKA_PUBLIC_KEY_INFO,
    ] {
        assert_eq!(value(&copy, ty), value(&src, ty), "attribute 0x{ty:x}");
    }
    assert_eq!(value(&copy, CKA_LOCAL), Some(&AttrValue::Bool(true)));
    assert_eq!(
        value(&copy, CKA_KEY_GEN_MECHANISM),
        Some(&AttrValue::Ulong(CKM_EC_KEY_PAIR_GEN))
    );

    // The material was sealed again under the copy's id and attributes, not copied as a blob.
    let (s_row, c_row) = svc
        .store
        .read(|conn| {
            Ok((
                objects::get(conn, "t", &src.id)?.unwrap(),
                objects::get(conn, "t", &copy.id)?.unwrap(),
            ))
        })
        .unwrap();
    assert_eq!(c_row.ephemeral_owner, None);
    assert!(s_row.ephemeral_owner.is_some());
    let (s_blob, c_blob) = (s_row.sealed.unwrap(), c_row.sealed.clone().unwrap());
    assert_ne!(s_blob, c_blob);
    assert!(svc.vault.open(&c_row.aad(), &s_blob).is_err());
    svc.vault.open(&c_row.aad(), &c_blob).unwrap();

    let rec = last_audit(&svc);
    assert_eq!(
        (rec.action.as_str(), rec.outcome.as_str()),
        ("object.copy", "ok")
    );
    assert_eq!(rec.object_id.as_deref(), Some(copy.id.as_str()));
    assert_eq!(rec.detail, Some(format!("source={}", src.id)));

    sign_and_verify(&svc, &c, &copy.id, &spki);
    manage::destroy(&svc, &c, "t", &src.id).unwrap();
    sign_and_verify(&svc, &c, &copy.id, &spki);

    // A token object is seen by the same user from another module instance; the session
    // source was not.
    let other = Caller {
        instance: Some("inst-2".into()),
        ..c.clone()
    };
    sign_and_verify(&svc, &other, &copy.id, &spki);
    assert_eq!(
        svc.store.read(audit::verify).unwrap(),
        audit::Verdict::Ok {
            records: svc.store.read(audit::records).unwrap().len()
        }
    );
}

#[test]
fn copy_templates_may_only_strengthen() {
    let (_d, svc) = services(10);
    let c = user(&svc, Some("inst-1"));
    let (src, _) = session_ec_pair(&svc, &c);
    let copy = |t: &[Attr]| copy_object(&svc, &c, "t", &src.id, t);

    // Weakening, usage flags, provenance, fixed attributes: read-only, even with the same value.
    for a in [
        b(CKA_SENSITIVE, false),
        b(CKA_EXTRACTABLE, true),
        b(CKA_SIGN, false),
        b(CKA_SIGN, true),
        b(CKA_DECRYPT, true),
        b(CKA_UNWRAP, true),
        b(CKA_DERIVE, true),
        b(CKA_LOCAL, true),
        b(CKA_ALWAYS_SENSITIVE, true),
        b(CKA_NEVER_EXTRACTABLE, true),
        attr(CKA_KEY_GEN_MECHANISM, AttrValue::Ulong(CKM_EC_KEY_PAIR_GEN)),
        b(CKA_COPYABLE, true),
        b(CKA_WRAP_WITH_TRUSTED, true),
        b(CKA_ALWAYS_AUTHENTICATE, true),
        attr(CKA_CLASS, AttrValue::Ulong(CKO_PRIVATE_KEY)),
        attr(CKA_KEY_TYPE, AttrValue::Ulong(CKK_EC)),
        attr(CKA_EC_PARAMS, AttrValue::Bytes(P256.to_vec().into())),
        attr(
            CKA_ALLOWED_MECHANISMS,
            AttrValue::UlongList(vec![CKM_ECDSA]),
        ),
    ] {
        let ty = a.ty;
        let e = copy(&[b(CKA_TOKEN, true), a]).unwrap_err();
        assert!(
            matches!(e, Error::AttributeReadOnly(t) if t == ty),
            "0x{ty:x}: {e:?}"
        );
        let rec = last_audit(&svc);
        assert_eq!(
            (rec.action.as_str(), rec.outcome.as_str()),
            ("object.copy", "attribute_read_only")
        );
        assert_eq!(rec.object_id.as_deref(), Some(src.id.as_str()));
    }
    // Unknown types, types the class does not have, bad values, contradictions.
    assert!(matches!(
        copy(&[b(0x8000_1234, true)]),
        Err(Error::AttributeTypeInvalid(0x8000_1234))
    ));
    assert!(matches!(
        copy(&[attr(CKA_VALUE_LEN, AttrValue::Ulong(32))]),
        Err(Error::AttributeTypeInvalid(t)) if t == CKA_VALUE_LEN
    ));
    assert!(matches!(
        copy(&[attr(CKA_TOKEN, AttrValue::Ulong(1))]),
        Err(Error::AttributeValueInvalid(t)) if t == CKA_TOKEN
    ));
    assert!(matches!(
        copy(&[attr(CKA_END_DATE, AttrValue::Date("2024-1-1".into()))]),
        Err(Error::AttributeValueInvalid(_))
    ));
    assert!(matches!(
        copy(&[b(CKA_TOKEN, true), b(CKA_TOKEN, false)]),
        Err(Error::TemplateInconsistent(_))
    ));
    // The free attributes, and keeping SENSITIVE/EXTRACTABLE as they are.
    let ok = copy(&[
        b(CKA_TOKEN, false),
        b(CKA_PRIVATE, true),
        b(CKA_MODIFIABLE, false),
        b(CKA_DESTROYABLE, true),
        attr(CKA_LABEL, AttrValue::Bytes(b"l".to_vec().into())),
        attr(CKA_SUBJECT, AttrValue::Bytes(b"s".to_vec().into())),
        attr(CKA_START_DATE, AttrValue::Date("20240101".into())),
        attr(CKA_END_DATE, AttrValue::Date(String::new())),
        b(CKA_SENSITIVE, true),
        b(CKA_EXTRACTABLE, false),
    ])
    .unwrap();
    assert_eq!(value(&ok, CKA_MODIFIABLE), Some(&AttrValue::Bool(false)));
    // A session copy belongs to the caller's instance, and needs one.
    let other = Caller {
        instance: Some("inst-2".into()),
        ..c.clone()
    };
    assert!(matches!(
        manage::get(&svc, &other, "t", &ok.id),
        Err(Error::ObjectNotFound)
    ));
    let no_instance = Caller {
        instance: None,
        ..c.clone()
    };
    let tok_src = copy(&[b(CKA_TOKEN, true)]).unwrap();
    assert!(matches!(
        copy_object(&svc, &no_instance, "t", &tok_src.id, &[b(CKA_TOKEN, false)]),
        Err(Error::BadRequest(_))
    ));
    copy_object(&svc, &no_instance, "t", &tok_src.id, &[]).unwrap();
}

#[test]
fn sticky_sensitive_and_extractable_through_copies() {
    let (_d, svc) = services(10);
    let c = user(&svc, Some("inst-1"));
    let soft = aes_key(
        &svc,
        &c,
        vec![b(CKA_SENSITIVE, false), b(CKA_EXTRACTABLE, true)],
    )
    .unwrap();
    let hard = copy_object(
        &svc,
        &c,
        "t",
        &soft.id,
        &[b(CKA_SENSITIVE, true), b(CKA_EXTRACTABLE, false)],
    )
    .unwrap();
    assert_eq!(value(&hard, CKA_SENSITIVE), Some(&AttrValue::Bool(true)));
    assert_eq!(value(&hard, CKA_EXTRACTABLE), Some(&AttrValue::Bool(false)));
    // The history is the source's: it was not always sensitive, and was extractable.
    assert_eq!(
        value(&hard, CKA_ALWAYS_SENSITIVE),
        Some(&AttrValue::Bool(false))
    );
    assert_eq!(
        value(&hard, CKA_NEVER_EXTRACTABLE),
        Some(&AttrValue::Bool(false))
    );
    // Once strengthened, a further copy cannot weaken it again (T5c).
    for a in [b(CKA_SENSITIVE, false), b(CKA_EXTRACTABLE, true)] {
        let ty = a.ty;
        assert!(matches!(
            copy_object(&svc, &c, "t", &hard.id, &[a]),
            Err(Error::AttributeReadOnly(t)) if t == ty
        ));
    }
    // Same key material: encrypt with the source, decrypt with the copy.
    let ct = usage::run(&svc, &c, "t", &soft.id, Op::Encrypt, &cbc(b"same key")).unwrap();
    let pt = usage::run(&svc, &c, "t", &hard.id, Op::Decrypt, &cbc(ct.data.as_ref())).unwrap();
    assert_eq!(pt.data.as_ref(), b"same key");
}

#[test]
fn copy_needs_a_copyable_visible_source_and_a_login() {
    let (_d, svc) = services(10);
    let c = user(&svc, Some("inst-1"));
    let fixed = aes_key(&svc, &c, vec![b(CKA_COPYABLE, false)]).unwrap();
    assert!(matches!(
        copy_object(&svc, &c, "t", &fixed.id, &[]),
        Err(Error::ActionProhibited(_))
    ));
    assert_eq!(last_audit(&svc).outcome, "action_prohibited");

    let key = aes_key(&svc, &c, vec![]).unwrap();
    let anon = Caller {
        bearer: None,
        ..c.clone()
    };
    assert!(matches!(
        copy_object(&svc, &anon, "t", &key.id, &[]),
        Err(Error::UserNotLoggedIn)
    ));
    // Another identity's session object is not visible.
    let (session_src, _) = session_ec_pair(&svc, &c);
    let b_user = login(
        &svc,
        &caller("CN=b", Some("inst-1")),
        UserType::User,
        USER_PIN,
    )
    .unwrap();
    assert!(matches!(
        copy_object(&svc, &b_user, "t", &session_src.id, &[]),
        Err(Error::ObjectNotFound)
    ));
    assert!(matches!(
        copy_object(&svc, &c, "t", "00ff", &[]),
        Err(Error::ObjectNotFound)
    ));
}

fn set_pin(svc: &Services, c: &Caller, old: &[u8], new: &[u8]) -> Result<(), Error> {
    pin_change::set_pin(
        svc,
        c,
        "t",
        &SetPinRequest {
            old_pin: SecretBytes::from(old),
            new_pin: SecretBytes::from(new),
        },
    )
}

fn init_pin(svc: &Services, c: &Caller, pin: &[u8]) -> Result<(), Error> {
    pin_change::init_pin(
        svc,
        c,
        "t",
        &InitPinRequest {
            pin: SecretBytes::from(pin),
        },
    )
}

fn token_row(svc: &Services) -> kms_daemon::store::tokens::TokenRow {
    svc.store
        .read(|c| kms_daemon::store::tokens::get(c, "t"))
        .unwrap()
        .unwrap()
}

#[test]
fn set_pin_checks_the_old_pin_like_a_login() {
    let (_d, svc) = services(3);
    let anon = caller("CN=a", None);
    assert!(matches!(
        set_pin(&svc, &anon, b"0000", b"13572468"),
        Err(Error::PinIncorrect)
    ));
    assert_eq!(token_row(&svc).user_failures, 1);
    // A bad new PIN is refused before anything is counted.
    assert!(matches!(
        set_pin(&svc, &anon, USER_PIN, b"123"),
        Err(Error::PinLenRange)
    ));
    assert!(matches!(
        set_pin(&svc, &anon, USER_PIN, &[b'1'; 65]),
        Err(Error::PinLenRange)
    ));
    assert_eq!(token_row(&svc).user_failures, 1);
    // A wrong login and a wrong set-pin share the counter.
    assert!(matches!(
        login(&svc, &anon, UserType::User, b"9999"),
        Err(Error::PinIncorrect)
    ));
    assert_eq!(token_row(&svc).user_failures, 2);
    set_pin(&svc, &anon, USER_PIN, b"13572468").unwrap();
    assert_eq!(token_row(&svc).user_failures, 0);
    let rec = last_audit(&svc);
    assert_eq!(
        (rec.action.as_str(), rec.outcome.as_str()),
        ("pin.set", "ok")
    );
    assert!(matches!(
        login(&svc, &anon, UserType::User, USER_PIN),
        Err(Error::PinIncorrect)
    ));
    let u = login(&svc, &anon, UserType::User, b"13572468").unwrap();

    // With a user session it changes the user PIN too.
    set_pin(&svc, &u, b"13572468", b"24681357").unwrap();
    login(&svc, &anon, UserType::User, b"24681357").unwrap();

    // Wrong old PINs lock, and the lock holds for login and set-pin alike.
    for want in ["pin_incorrect", "pin_incorrect", "pin_locked", "pin_locked"] {
        let e = set_pin(&svc, &anon, b"0000", b"11112222").unwrap_err();
        assert_eq!(e.code_str(), want);
    }
    assert!(matches!(
        set_pin(&svc, &anon, b"24681357", b"11112222"),
        Err(Error::PinLocked)
    ));
    assert!(matches!(
        login(&svc, &anon, UserType::User, b"24681357"),
        Err(Error::PinLocked)
    ));
    assert_eq!(token_row(&svc).user_failures, 3);

    // No PIN appears in any audit record.
    let dump = format!("{:?}", svc.store.read(audit::records).unwrap());
    for pin in ["1234", "13572468", "24681357", "11112222", "0000"] {
        assert!(!dump.contains(pin), "{pin} in the audit trail");
    }
}

#[test]
fn set_pin_with_an_so_session_changes_the_so_pin() {
    let (_d, svc) = services(3);
    let admin = caller(ADMIN, None);
    let so = login(&svc, &admin, UserType::So, SO_PIN).unwrap();
    assert!(matches!(
        set_pin(&svc, &so, USER_PIN, b"99990000"),
        Err(Error::PinIncorrect)
    ));
    assert_eq!(token_row(&svc).so_failures, 1);
    assert_eq!(token_row(&svc).user_failures, 0);
    set_pin(&svc, &so, SO_PIN, b"99990000").unwrap();
    assert_eq!(token_row(&svc).so_failures, 0);
    assert_eq!(last_audit(&svc).detail.as_deref(), Some("user_type=so"));
    login(&svc, &admin, UserType::So, b"99990000").unwrap();
    assert!(matches!(
        login(&svc, &admin, UserType::So, SO_PIN),
        Err(Error::PinIncorrect)
    ));
    // The user PIN did not change.
    login(&svc, &caller("CN=a", None), UserType::User, USER_PIN).unwrap();
}

#[test]
fn init_pin_needs_the_so_and_unlocks_a_locked_user() {
    let (_d, svc) = services(3);
    let u = user(&svc, Some("inst-1"));
    let anon = caller("CN=a", None);
    // The normal identity may not log in as SO.
    assert!(matches!(
        login(&svc, &anon, UserType::So, SO_PIN),
        Err(Error::UserTypeInvalid)
    ));
    for i in 1..=3 {
        let e = login(&svc, &anon, UserType::User, b"0000").unwrap_err();
        assert_eq!(
            e.code_str(),
            if i < 3 { "pin_incorrect" } else { "pin_locked" }
        );
    }
    assert!(matches!(
        login(&svc, &anon, UserType::User, USER_PIN),
        Err(Error::PinLocked)
    ));
    assert!(tokens::list_tokens(&svc, "CN=a").unwrap()[0].user_pin_locked);

    // Without an SO session: no session, a user session.
    assert!(matches!(
        init_pin(&svc, &anon, b"24681357"),
        Err(Error::UserNotLoggedIn)
    ));
    assert!(matches!(
        init_pin(&svc, &u, b"24681357"),
        Err(Error::UserNotLoggedIn)
    ));
    assert_eq!(last_audit(&svc).outcome, "user_not_logged_in");
    let so = login(&svc, &caller(ADMIN, None), UserType::So, SO_PIN).unwrap();
    // An SO session is bound to its identity.
    let stolen = Caller {
        bearer: so.bearer.clone(),
        ..anon.clone()
    };
    assert!(matches!(
        init_pin(&svc, &stolen, b"24681357"),
        Err(Error::Unauthenticated)
    ));
    assert!(matches!(init_pin(&svc, &so, b"1"), Err(Error::PinLenRange)));
    init_pin(&svc, &so, b"24681357").unwrap();
    let rec = last_audit(&svc);
    assert_eq!(
        (
            rec.action.as_str(),
            rec.outcome.as_str(),
            rec.actor.as_str()
        ),
        ("pin.init", "ok", ADMIN)
    );
    let info = &tokens::list_tokens(&svc, "CN=a").unwrap()[0];
    assert!(!info.user_pin_locked && !info.user_pin_count_low);
    assert!(matches!(
        login(&svc, &anon, UserType::User, USER_PIN),
        Err(Error::PinIncorrect)
    ));
    login(&svc, &anon, UserType::User, b"24681357").unwrap();
    // The user session opened before the lockout is still valid.
    aes_key(&svc, &u, vec![]).unwrap();
    let dump = format!("{:?}", svc.store.read(audit::records).unwrap());
    assert!(!dump.contains("24681357") && !dump.contains("5678"));
}
