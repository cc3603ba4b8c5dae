//! A streamed operation whose kmsd restarted mid-way cannot go on: kmsd keeps no state between
//! parts, and the ticket of the earlier parts was made under a key the old process took with
//! it. The next update fails with `CKR_DEVICE_ERROR` (`ulDeviceError` =
//! `KMS_DEVICE_ERROR_OPERATION_UNKNOWN`) and ends the operation; a new one works.

use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, KeyType, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use kms_api::ErrorCode;
use kms_testkit::{initialized_module, Kmsd, USER_PIN};

fn rv<T: std::fmt::Debug>(r: Result<T, Error>) -> RvError {
    match r {
        Err(Error::Pkcs11(rv, _)) => rv,
        other => panic!("expected a PKCS#11 error, got {other:?}"),
    }
}

#[test]
fn a_stream_across_a_kmsd_restart_fails_with_device_error_and_ends() {
    let mut kmsd = Kmsd::start();
    let ctx = initialized_module(&kmsd.module_config());
    let slot = ctx.get_slots_with_token().unwrap()[0];
    let s = ctx.open_rw_session(slot).unwrap();
    s.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))
        .unwrap();
    let key = s
        .create_object(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Token(true),
            Attribute::Value(vec![0x42; 32]),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
        ])
        .unwrap();
    let cbc = || Mechanism::AesCbcPad([9u8; 16]);
    for m in [cbc(), Mechanism::AesEcb] {
        s.encrypt_init(&m, key).unwrap();
        assert_eq!(s.encrypt_update(&[1u8; 40]).unwrap().len(), 32);

        kmsd.restart();
        assert_eq!(rv(s.encrypt_update(&[2u8; 40])), RvError::DeviceError);
        let info = s.get_session_info().unwrap();
        assert_eq!(
            info.device_error(),
            ErrorCode::OperationUnknown.facts().device_error
        );
        assert_eq!(
            rv(s.encrypt_update(&[3u8; 40])),
            RvError::OperationNotInitialized,
            "the failed update ended the operation"
        );
    }
    // A new operation starts afresh on the new process.
    s.encrypt_init(&cbc(), key).unwrap();
    assert_eq!(s.encrypt_update(&[4u8; 40]).unwrap().len(), 32);
    assert_eq!(s.encrypt_final().unwrap().len(), 16);
}
