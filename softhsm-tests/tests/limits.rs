//! kmsd's per-identity login-session limit as an application sees it: `C_Login` beyond
//! `[limits] max_sessions_per_identity` returns `CKR_DEVICE_MEMORY` (the nearest code `C_Login`
//! may return to `CKR_SESSION_COUNT`), `C_GetSessionInfo().ulDeviceError` says
//! `KMS_DEVICE_ERROR_SESSION_LIMIT`, and a logout makes room again.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use kms_api::ErrorCode;
use softhsm_tests::{module_path, Kmsd, TOKEN, USER_PIN};

#[test]
fn a_login_beyond_the_session_limit_is_device_memory_with_the_kmsd_code() {
    let mut kmsd = Kmsd::start();
    let config = std::fs::read_to_string(kmsd.config()).unwrap();
    let default = "max_sessions_per_identity = 256";
    assert!(config.contains(default), "{config}");
    std::fs::write(
        kmsd.config(),
        config.replace(default, "max_sessions_per_identity = 1"),
    )
    .unwrap();
    kmsd.restart();
    // Two slots on the same token with the same certificate: two logins of one identity.
    std::env::set_var(
        "KMS_PKCS11_CONFIG",
        kmsd.module_config_with(&[(TOKEN, "client"), (TOKEN, "client")]),
    );
    let ctx = Pkcs11::new(module_path()).unwrap();
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    let slots = ctx.get_slots_with_token().unwrap();
    let first = ctx.open_ro_session(slots[0]).unwrap();
    let second = ctx.open_ro_session(slots[1]).unwrap();
    let pin = AuthPin::new(USER_PIN.into());

    first.login(UserType::User, Some(&pin)).unwrap();
    match second.login(UserType::User, Some(&pin)) {
        Err(Error::Pkcs11(rv, _)) => assert_eq!(rv, RvError::DeviceMemory),
        other => panic!("a second login: {other:?}"),
    }
    assert_eq!(
        second.get_session_info().unwrap().device_error(),
        ErrorCode::SessionLimit.device_error()
    );

    first.logout().unwrap();
    second
        .login(UserType::User, Some(&pin))
        .expect("room again after the other slot logged out");
    assert_eq!(second.get_session_info().unwrap().device_error(), 0);
}
