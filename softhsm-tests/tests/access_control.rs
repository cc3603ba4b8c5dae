//! Access control that holds on every path (issue 20), through the module's C API against a real
//! kmsd: each slot below is one client certificate on the quick-start token, so one process
//! plays several applications. The raw-API twins are `kms-daemon/tests/key_policy_paths.rs`
//! and `identity_admission.rs`.
//!
//! Slots: 0 Alice (the quick-start client), 1 Bob (the admin certificate, as a plain user),
//! 2 the SO (admin certificate), 3 `app1` (subject O=Example, CN=app1), 4 `comma` (one CN
//! "app1,O=Example"), 5 `outsider` (not admitted), 6 `cert-sign-only` (KeyUsage keyCertSign).

use cryptoki::context::Pkcs11;
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::{AuthPin, Date};
use kms_api::vendor::CKA_KMS_OBJECT_ID;
use kms_testkit::pki::rcgen::{DnType, DnValue, KeyUsagePurpose};
use kms_testkit::pki::{issue_client_cert, CertSpec};
use kms_testkit::{initialized_module, rv, Kmsd, SO_PIN, TOKEN, USER_PIN};
use std::sync::OnceLock;

/// The slots, in the order of the module configuration (module doc).
#[derive(Clone, Copy, Debug)]
enum Who {
    Alice,
    Bob,
    So,
    App1,
    Comma,
    Outsider,
    CertSignOnly,
}
use Who::*;

struct Fixture {
    kmsd: Kmsd,
    ctx: Pkcs11,
    slots: Vec<Slot>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let kmsd = Kmsd::start();
        let utf8 = |s: &str| DnValue::Utf8String(s.into());
        let app1 = vec![
            (DnType::OrganizationName, utf8("Example")),
            (DnType::CommonName, utf8("app1")),
        ];
        issue_client_cert(kmsd.dir(), "app1", &CertSpec::subject(app1));
        let comma = vec![(DnType::CommonName, utf8("app1,O=Example"))];
        issue_client_cert(kmsd.dir(), "comma", &CertSpec::subject(comma));
        issue_client_cert(kmsd.dir(), "outsider", &CertSpec::cn("outsider"));
        let signer = CertSpec {
            key_usages: vec![KeyUsagePurpose::KeyCertSign],
            ..CertSpec::cn("cert-sign-only")
        };
        issue_client_cert(kmsd.dir(), "cert-sign-only", &signer);
        let names = [
            "client",
            "admin",
            "admin",
            "app1",
            "comma",
            "outsider",
            "cert-sign-only",
        ];
        let slots: Vec<(&str, &str)> = names.iter().map(|n| (TOKEN, *n)).collect();
        let ctx = initialized_module(&kmsd.module_config_with(&slots));
        let slots = ctx.get_all_slots().expect("slots");
        assert_eq!(slots.len(), names.len());
        Fixture { kmsd, ctx, slots }
    })
}

/// A session on slot `i`, logged in as `who` with `pin` (already logged in is fine).
fn session(i: Who, who: UserType, pin: &str) -> Session {
    let f = fixture();
    let s = f
        .ctx
        .open_rw_session(f.slots[i as usize])
        .expect("C_OpenSession");
    match s.login(who, Some(&AuthPin::new(pin.into()))) {
        Ok(()) | Err(Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
        Err(e) => panic!("C_Login on slot {i:?}: {e}"),
    }
    s
}

fn user(i: Who) -> Session {
    session(i, UserType::User, USER_PIN)
}

/// A token AES-256 key labelled `label` that encrypts, with `extra`.
fn aes(s: &Session, label: &str, extra: &[Attribute]) -> ObjectHandle {
    let mut t = vec![
        Attribute::Token(true),
        Attribute::ValueLen(32.into()),
        Attribute::Encrypt(true),
        Attribute::Label(label.as_bytes().to_vec()),
    ];
    t.extend_from_slice(extra);
    s.generate_key(&Mechanism::AesKeyGen, &t)
        .expect("C_GenerateKey")
}

/// A transport key: AES-256, WRAP only.
fn kek(s: &Session) -> ObjectHandle {
    let t = [
        Attribute::Token(false),
        Attribute::ValueLen(32.into()),
        Attribute::Wrap(true),
        Attribute::Encrypt(false),
        Attribute::Decrypt(false),
    ];
    s.generate_key(&Mechanism::AesKeyGen, &t)
        .expect("a transport key")
}

fn kms_id(s: &Session, key: ObjectHandle) -> String {
    let ty = AttributeType::VendorDefined(CKA_KMS_OBJECT_ID as _);
    match s.get_attributes(key, &[ty]).unwrap().pop() {
        Some(Attribute::VendorDefined((_, bytes))) => String::from_utf8(bytes).unwrap(),
        other => panic!("no CKA_KMS_OBJECT_ID: {other:?}"),
    }
}

fn find(s: &Session, label: &str) -> ObjectHandle {
    let found = s
        .find_objects(&[Attribute::Label(label.as_bytes().to_vec())])
        .unwrap();
    assert_eq!(found.len(), 1, "{label}");
    found[0]
}

fn admin(args: &[&str]) {
    let (ok, out) = fixture().kmsd.admin(args);
    assert!(ok, "kmsd {args:?}: {out}");
}

/// `kmsd key set-policy --id <key's id> POLICY…`.
fn set_policy(s: &Session, key: ObjectHandle, policy: &[&str]) {
    let id = kms_id(s, key);
    let mut args = vec!["key", "set-policy", "--id", &id];
    args.extend_from_slice(policy);
    admin(&args);
}

fn cbc() -> Mechanism<'static> {
    Mechanism::AesCbcPad([5u8; 16])
}

#[test]
fn item1_only_a_principal_changes_copies_wraps_or_destroys_a_bound_key() {
    let alice = user(Alice);
    let key = aes(&alice, "alice-bound", &[Attribute::Extractable(true)]);
    set_policy(&alice, key, &["--principal", "CN=kms-client"]);

    let bob = user(Bob);
    let theirs = find(&bob, "alice-bound");
    let relabel = [Attribute::Label(b"bob's".to_vec())];
    assert_eq!(
        rv(bob.update_attributes(theirs, &relabel)),
        RvError::ActionProhibited
    );
    let end = Date::new_from_str_slice("2000", "01", "01").unwrap();
    assert_eq!(
        rv(bob.update_attributes(theirs, &[Attribute::EndDate(end)])),
        RvError::ActionProhibited
    );
    assert_eq!(rv(bob.copy_object(theirs, &[])), RvError::ActionProhibited);
    let bobs = kek(&bob);
    assert_eq!(
        rv(bob.wrap_key(&Mechanism::AesKeyWrap, bobs, theirs)),
        RvError::KeyUnextractable
    );
    assert_eq!(rv(bob.destroy_object(theirs)), RvError::ActionProhibited);
    // Untouched, and still Alice's to use.
    alice.encrypt(&cbc(), key, b"still mine").unwrap();
}

#[test]
fn item2_wrap_cannot_launder_a_key_out_of_its_policy() {
    let alice = user(Alice);
    let t = kek(&alice);
    let extractable = [Attribute::Extractable(true)];
    let limited = aes(&alice, "limited", &extractable);
    set_policy(&alice, limited, &["--max-uses", "1"]);
    let retired = aes(&alice, "retired", &extractable);
    admin(&["key", "deactivate", "--id", &kms_id(&alice, retired)]);
    let kwp = Mechanism::AesKeyWrap;
    assert_eq!(
        rv(alice.wrap_key(&kwp, t, limited)),
        RvError::KeyUnextractable
    );
    assert_eq!(
        rv(alice.wrap_key(&kwp, t, retired)),
        RvError::KeyFunctionNotPermitted
    );
    let end = Date::new_from_str_slice("2099", "12", "31").unwrap();
    let dated = [
        Attribute::Token(false),
        Attribute::ValueLen(32.into()),
        Attribute::Extractable(true),
        Attribute::EndDate(end),
    ];
    assert_eq!(
        rv(alice.generate_key(&Mechanism::AesKeyGen, &dated)),
        RvError::TemplateInconsistent
    );
    let plain = aes(&alice, "plain", &extractable);
    alice
        .wrap_key(&kwp, t, plain)
        .expect("a policy-free key travels");
}

#[test]
fn item4_principals_match_the_canonical_identity() {
    admin(&[
        "token",
        "admit",
        "--label",
        TOKEN,
        "--allow",
        "CN=kms-client",
        "--allow",
        "CN=kms-admin",
        "--allow",
        "CN=app1,O=Example",
        "--allow",
        "CN=app1\\,O=Example",
    ]);
    let alice = user(Alice);
    let key = aes(&alice, "for-app1", &[]);
    set_policy(&alice, key, &["--principal", "cn=app1, o=Example"]);
    let app1 = user(App1);
    app1.encrypt(&cbc(), find(&app1, "for-app1"), b"app1's")
        .unwrap();
    // kmsd refuses the use; C_Encrypt may not return a CKR_KEY_* code, so the module says
    // CKR_FUNCTION_FAILED and leaves kmsd's reason in ulDeviceError.
    let comma = user(Comma);
    assert_eq!(
        rv(comma.encrypt(&cbc(), find(&comma, "for-app1"), b"not a CN with a comma")),
        RvError::FunctionFailed
    );
    assert_eq!(
        comma.get_session_info().unwrap().device_error(),
        kms_api::error::ErrorCode::KeyFunctionNotPermitted.device_error()
    );
}

#[test]
fn item5_a_certificate_without_digital_signature_reaches_no_token() {
    let f = fixture();
    let slot = f.slots[CertSignOnly as usize];
    assert!(
        f.ctx.get_token_info(slot).is_err(),
        "kmsd served keyCertSign-only"
    );
    let s = f.ctx.open_rw_session(slot).unwrap();
    assert!(s
        .login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))
        .is_err());
}

#[test]
fn item6_a_token_that_does_not_admit_the_client_is_not_there() {
    let f = fixture();
    let slot = f.slots[Outsider as usize];
    assert_eq!(rv(f.ctx.get_token_info(slot)), RvError::TokenNotPresent);
    let s = f.ctx.open_rw_session(slot).unwrap();
    assert_eq!(
        rv(s.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))),
        RvError::TokenNotPresent,
        "the outsider cannot even try the PIN"
    );
    assert!(f.ctx.get_token_info(f.slots[Alice as usize]).is_ok());
}

#[test]
fn item10_an_so_pin_lockout_is_undone_by_the_administrator() {
    let f = fixture();
    let s = f.ctx.open_rw_session(f.slots[So as usize]).unwrap();
    let wrong = AuthPin::new("00000000".into());
    let mut last = RvError::PinIncorrect;
    for _ in 0..10 {
        last = rv(s.login(UserType::So, Some(&wrong)));
    }
    assert_eq!(last, RvError::PinLocked);
    assert!(f
        .ctx
        .get_token_info(f.slots[So as usize])
        .unwrap()
        .so_pin_locked());
    let out = kms_testkit::kmsd_with_stdin(
        f.kmsd.dir(),
        &["token", "reset-so-pin", "--label", TOKEN],
        "43218765\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        rv(s.login(UserType::So, Some(&AuthPin::new(SO_PIN.into())))),
        RvError::PinIncorrect
    );
    s.login(UserType::So, Some(&AuthPin::new("43218765".into())))
        .expect("the new SO PIN");
    assert!(!f
        .ctx
        .get_token_info(f.slots[So as usize])
        .unwrap()
        .so_pin_locked());
    s.logout().unwrap();
}
