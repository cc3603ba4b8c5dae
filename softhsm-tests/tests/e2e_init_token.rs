//! C_InitToken re-initialises a kmsd token: only from the SO identity with the SO PIN, never
//! while the application has a session on it, never to another label. Afterwards the token's
//! objects are gone and the user cannot log in until the SO sets a PIN (C_InitPIN).

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::Attribute;
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use kms_testkit::{module_path, rv, Kmsd, SO_PIN, TOKEN, USER_PIN};

fn pin(p: &str) -> AuthPin {
    AuthPin::new(p.into())
}

#[test]
fn init_token_wipes_the_token_for_the_so_only() {
    let kmsd = Kmsd::start();
    std::env::set_var(
        "KMS_PKCS11_CONFIG",
        kmsd.module_config_with(&[(TOKEN, "client"), (TOKEN, "admin")]),
    );
    let ctx = Pkcs11::new(module_path()).unwrap();
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    let slots = ctx.get_slots_with_token().unwrap();
    let (user_slot, so_slot) = (slots[0], slots[1]);

    let s = ctx.open_rw_session(user_slot).unwrap();
    s.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    s.generate_key(
        &Mechanism::AesKeyGen,
        &[
            Attribute::Token(true),
            Attribute::ValueLen(32.into()),
            Attribute::Label(b"doomed".to_vec()),
        ],
    )
    .unwrap();
    assert_eq!(
        rv(ctx.init_token(user_slot, &pin(SO_PIN), TOKEN)),
        RvError::SessionExists
    );
    s.close().unwrap();

    // The ordinary client identity is not the SO, whatever the PIN.
    assert_eq!(
        rv(ctx.init_token(user_slot, &pin(SO_PIN), TOKEN)),
        RvError::UserTypeInvalid
    );
    assert_eq!(
        rv(ctx.init_token(so_slot, &pin("00000000"), TOKEN)),
        RvError::PinIncorrect
    );
    assert_eq!(
        rv(ctx.init_token(so_slot, &pin(SO_PIN), "another-label")),
        RvError::ArgumentsBad
    );
    let before = ctx.get_token_info(user_slot).unwrap();
    assert!(before.user_pin_initialized());
    assert!(before.so_pin_count_low(), "the wrong SO PIN was counted");

    ctx.init_token(so_slot, &pin(SO_PIN), TOKEN).unwrap();
    let after = ctx.get_token_info(user_slot).unwrap();
    assert!(!after.user_pin_initialized());
    assert!(!after.so_pin_count_low(), "a good SO PIN resets the count");

    let s = ctx.open_rw_session(user_slot).unwrap();
    assert_eq!(
        rv(s.login(UserType::User, Some(&pin(USER_PIN)))),
        RvError::UserPinNotInitialized
    );
    let so = ctx.open_rw_session(so_slot).unwrap();
    so.login(UserType::So, Some(&pin(SO_PIN))).unwrap();
    so.init_pin(&pin("11223344")).unwrap();
    so.logout().unwrap();
    s.login(UserType::User, Some(&pin("11223344"))).unwrap();
    let left = s
        .find_objects(&[Attribute::Label(b"doomed".to_vec())])
        .unwrap();
    assert!(left.is_empty(), "the token's objects are destroyed");

    let (ok, audit) = kmsd.admin(&["audit", "verify"]);
    assert!(ok, "{audit}");
}
