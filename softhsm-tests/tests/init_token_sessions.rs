//! `C_InitToken` while another application is logged in to the token (issue 20, item 3),
//! through the module: two slots of one process are two applications — Alice (the quick-start
//! client) and the SO (its admin certificate). kmsd refuses with `CKR_SESSION_EXISTS` while
//! Alice's login lasts; once she logs out the token is re-initialised, and her key went through
//! the destruction window (an administrator brings it back), not straight to nothing.

use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use kms_api::vendor::CKA_KMS_OBJECT_ID;
use kms_testkit::{initialized_module, rv, Kmsd, SO_PIN, TOKEN, USER_PIN};

fn pin(p: &str) -> AuthPin {
    AuthPin::new(p.into())
}

#[test]
fn init_token_waits_for_every_login_and_keeps_keys_restorable() {
    let kmsd = Kmsd::start();
    let ctx = initialized_module(&kmsd.module_config_with(&[(TOKEN, "client"), (TOKEN, "admin")]));
    let slots = ctx.get_slots_with_token().unwrap();
    let (alice_slot, so_slot) = (slots[0], slots[1]);

    let alice = ctx.open_rw_session(alice_slot).unwrap();
    alice.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let label = b"alice-keeps".to_vec();
    let key = alice
        .generate_key(
            &Mechanism::AesKeyGen,
            &[
                Attribute::Token(true),
                Attribute::ValueLen(32.into()),
                Attribute::Label(label.clone()),
            ],
        )
        .unwrap();
    let ty = AttributeType::VendorDefined(CKA_KMS_OBJECT_ID as _);
    let id = match alice.get_attributes(key, &[ty]).unwrap().pop() {
        Some(Attribute::VendorDefined((_, bytes))) => String::from_utf8(bytes).unwrap(),
        other => panic!("{other:?}"),
    };

    // Another application's C_InitToken while Alice is logged in.
    assert_eq!(
        rv(ctx.init_token(so_slot, &pin(SO_PIN), TOKEN)),
        RvError::SessionExists
    );
    assert_eq!(
        alice
            .find_objects(&[Attribute::Label(label.clone())])
            .unwrap(),
        vec![key],
        "nothing happened to Alice's key"
    );
    alice.logout().unwrap();
    alice.close().unwrap();

    ctx.init_token(so_slot, &pin(SO_PIN), TOKEN).unwrap();
    let (ok, out) = kmsd.admin(&["key", "show", "--id", &id]);
    assert!(
        ok && out.contains("destroy at"),
        "scheduled, not gone: {out}"
    );
    let (ok, out) = kmsd.admin(&["key", "cancel-destroy", "--id", &id]);
    assert!(ok, "{out}");
    let so = ctx.open_rw_session(so_slot).unwrap();
    so.login(UserType::So, Some(&pin(SO_PIN))).unwrap();
    so.init_pin(&pin(USER_PIN)).unwrap();
    so.logout().unwrap();
    let alice = ctx.open_rw_session(alice_slot).unwrap();
    alice.login(UserType::User, Some(&pin(USER_PIN))).unwrap();
    let back = alice.find_objects(&[Attribute::Label(label)]).unwrap();
    assert_eq!(back.len(), 1, "the key is back");
}
