//! Key life cycle through the module's C API: `CKA_KMS_STATE` reads as a `CK_ULONG`, a key an
//! administrator deactivated (`kmsd key deactivate`, a separate process on the serving daemon's
//! store) is refused for new encryptions — at `C_Encrypt` with `CKR_FUNCTION_FAILED` and kmsd's
//! reason in `ulDeviceError` while the module last saw the key active (`C_Encrypt` may not return
//! a `CKR_KEY_*` code), at `C_EncryptInit` with `CKR_KEY_FUNCTION_NOT_PERMITTED` once it has seen
//! it deactivated — and still decrypts, and
//! `C_DestroyObject` makes the key disappear until `kmsd key cancel-destroy` brings it back.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use kms_api::error::ErrorCode;
use kms_api::vendor::{
    CKA_KMS_OBJECT_ID, CKA_KMS_STATE, CK_KMS_STATE_ACTIVE, CK_KMS_STATE_DEACTIVATED,
};
use kms_testkit::{module_path, rv, Kmsd, USER_PIN};

fn vendor(s: &Session, key: ObjectHandle, ty: u64) -> Vec<u8> {
    let ty = AttributeType::VendorDefined(ty as _);
    match s.get_attributes(key, &[ty]).unwrap().pop() {
        Some(Attribute::VendorDefined((_, bytes))) => bytes,
        other => panic!("no vendor attribute: {other:?}"),
    }
}

fn state(s: &Session, key: ObjectHandle) -> u64 {
    let bytes = vendor(s, key, CKA_KMS_STATE);
    u64::from_ne_bytes(bytes.try_into().expect("a CK_ULONG"))
}

fn by_label(s: &Session, label: &[u8]) -> Vec<ObjectHandle> {
    s.find_objects(&[Attribute::Label(label.to_vec())]).unwrap()
}

#[test]
fn administrators_change_what_an_application_may_do_with_a_key() {
    let kmsd = Kmsd::start();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config());
    let ctx = Pkcs11::new(module_path()).expect("load module");
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    let slot = ctx.get_slots_with_token().unwrap()[0];
    let s = ctx.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))
        .unwrap();

    let label = b"lifecycle-e2e";
    let template = [
        Attribute::Token(true),
        Attribute::ValueLen(32.into()),
        Attribute::Label(label.to_vec()),
    ];
    let key = s.generate_key(&Mechanism::AesKeyGen, &template).unwrap();
    assert_eq!(state(&s, key), CK_KMS_STATE_ACTIVE);
    let id = String::from_utf8(vendor(&s, key, CKA_KMS_OBJECT_ID)).unwrap();
    let cbc = Mechanism::AesCbcPad([3u8; 16]);
    let ct = s.encrypt(&cbc, key, b"kept secret").unwrap();

    let (ok, out) = kmsd.admin(&["key", "deactivate", "--id", &id]);
    assert!(ok, "kmsd key deactivate: {out}");
    let err = s.encrypt(&cbc, key, b"new data").unwrap_err();
    assert_eq!(rv(err), RvError::FunctionFailed);
    assert_eq!(
        s.get_session_info().unwrap().device_error(),
        ErrorCode::KeyNotActive.device_error()
    );
    assert_eq!(s.decrypt(&cbc, key, &ct).unwrap(), b"kept secret");
    // A fresh look at the key (a new search) shows the state kmsd enforces, and C_EncryptInit
    // now refuses the key itself.
    let found = by_label(&s, label);
    assert_eq!(found.len(), 1);
    assert_eq!(state(&s, found[0]), CK_KMS_STATE_DEACTIVATED);
    let err = s.encrypt(&cbc, found[0], b"new data").unwrap_err();
    assert_eq!(rv(err), RvError::KeyFunctionNotPermitted);
    assert_eq!(s.decrypt(&cbc, found[0], &ct).unwrap(), b"kept secret");

    // C_DestroyObject: gone for the application; an administrator brings it back.
    s.destroy_object(found[0]).unwrap();
    assert!(by_label(&s, label).is_empty());
    let (ok, out) = kmsd.admin(&["key", "show", "--id", &id]);
    assert!(ok && out.contains("destroy at"), "{out}");
    let (ok, out) = kmsd.admin(&["key", "cancel-destroy", "--id", &id]);
    assert!(ok, "kmsd key cancel-destroy: {out}");
    let back = by_label(&s, label);
    assert_eq!(back.len(), 1);
    assert_eq!(s.decrypt(&cbc, back[0], &ct).unwrap(), b"kept secret");
}
