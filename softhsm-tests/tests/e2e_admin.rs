//! PIN management through the module: the SO (only with the admin certificate) unlocks a
//! locked user with C_InitPIN, the user changes its PIN with C_SetPIN; and C_CopyObject as
//! Java's keytool uses it (a session key pair copied onto the token under a new CKA_ID).

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use kms_testkit::{module_path, rv, Kmsd, SO_PIN, TOKEN, USER_PIN};

fn pin(p: &str) -> AuthPin {
    AuthPin::new(p.into())
}

#[test]
fn so_unlocks_users_change_pins_and_keys_are_copied_onto_the_token() {
    let kmsd = Kmsd::start();
    // Slot 0: the token as the ordinary client; slot 1: the same token with the SO certificate.
    std::env::set_var(
        "KMS_PKCS11_CONFIG",
        kmsd.module_config_with(&[(TOKEN, "client"), (TOKEN, "admin")]),
    );
    let ctx = Pkcs11::new(module_path()).unwrap();
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    let slots = ctx.get_slots_with_token().unwrap();
    let user = ctx.open_rw_session(slots[0]).unwrap();
    let admin = ctx.open_rw_session(slots[1]).unwrap();

    // The ordinary client certificate cannot act as SO (R17).
    assert_eq!(
        rv(user.login(UserType::So, Some(&pin(SO_PIN)))),
        RvError::UserTypeInvalid
    );

    // A wrong old PIN in C_SetPIN counts like a failed login; lock the user out.
    assert_eq!(
        rv(user.set_pin(&pin("00000000"), &pin("13572468"))),
        RvError::PinIncorrect
    );
    for _ in 0..9 {
        let _ = user.login(UserType::User, Some(&pin("00000000")));
    }
    assert_eq!(
        rv(user.login(UserType::User, Some(&pin(USER_PIN)))),
        RvError::PinLocked
    );

    // The SO, with the admin certificate, sets a new user PIN: that unlocks the user.
    assert_eq!(
        rv(admin.init_pin(&pin("24681357"))),
        RvError::UserNotLoggedIn
    );
    admin.login(UserType::So, Some(&pin(SO_PIN))).unwrap();
    assert_eq!(rv(admin.init_pin(&pin("1"))), RvError::PinLenRange);
    admin.init_pin(&pin("24681357")).unwrap();
    admin.logout().unwrap();
    assert!(!ctx.get_token_info(slots[0]).unwrap().user_pin_locked());
    assert_eq!(
        rv(user.login(UserType::User, Some(&pin(USER_PIN)))),
        RvError::PinIncorrect
    );
    user.login(UserType::User, Some(&pin("24681357"))).unwrap();

    // The user changes its own PIN; the old one stops working.
    user.set_pin(&pin("24681357"), &pin(USER_PIN)).unwrap();
    user.logout().unwrap();
    assert_eq!(
        rv(user.login(UserType::User, Some(&pin("24681357")))),
        RvError::PinIncorrect
    );
    user.login(UserType::User, Some(&pin(USER_PIN))).unwrap();

    // keytool -genkeypair: session keys with an empty private template, then a copy onto the token.
    let (public, private) = user
        .generate_key_pair(
            &Mechanism::RsaPkcsKeyPairGen,
            &[Attribute::ModulusBits(2048.into())],
            &[],
        )
        .unwrap();
    let copy = user
        .copy_object(
            private,
            &[Attribute::Token(true), Attribute::Id(b"java-rsa".to_vec())],
        )
        .unwrap();
    let sig = user
        .sign(&Mechanism::Sha256RsaPkcs, copy, b"copied key")
        .unwrap();
    user.verify(&Mechanism::Sha256RsaPkcs, public, b"copied key", &sig)
        .unwrap();
    let token_flag = user.get_attributes(copy, &[AttributeType::Token]).unwrap();
    assert_eq!(token_flag, vec![Attribute::Token(true)]);
    let found = user
        .find_objects(&[
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Id(b"java-rsa".to_vec()),
        ])
        .unwrap();
    assert_eq!(found, vec![copy]);
    // A copy may not weaken the key (security rule R2, attack T5c).
    assert_eq!(
        rv(user.copy_object(copy, &[Attribute::Sensitive(false)])),
        RvError::AttributeReadOnly
    );
    assert_eq!(
        rv(user.copy_object(copy, &[Attribute::Extractable(true)])),
        RvError::AttributeReadOnly
    );
    // A read-only session cannot make token objects.
    let ro = ctx.open_ro_session(slots[0]).unwrap();
    assert_eq!(
        rv(ro.copy_object(private, &[Attribute::Token(true)])),
        RvError::SessionReadOnly
    );
    assert_eq!(
        rv(ro.set_pin(&pin(USER_PIN), &pin("11223344"))),
        RvError::SessionReadOnly
    );
}
