//! What the module tells an operator: `C_GetSessionInfo().ulDeviceError` names kmsd's reason
//! for a refusal (or a transport failure), and the module's log (off by default, on with
//! `KMS_PKCS11_LOG`) has one line per call with the function, session, return code and kmsd's
//! code — and never a PIN or data.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::Attribute;
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use kms_api::error::DEVICE_ERROR_TRANSPORT;
use kms_api::ErrorCode;
use kms_testkit::{module_path, rv, Kmsd, USER_PIN};

const WRONG_PIN: &str = "31415926";
const PLANTED: &[u8] = b"planted-plaintext-7f3a9c";

fn device_error(s: &Session) -> u64 {
    s.get_session_info().unwrap().device_error()
}

fn number(code: ErrorCode) -> u64 {
    code.device_error()
}

#[test]
fn device_errors_and_the_log_say_why() {
    let mut kmsd = Kmsd::start();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("p11.log");
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config());
    std::env::set_var("KMS_PKCS11_LOG", "debug");
    std::env::set_var("KMS_PKCS11_LOG_FILE", &log);
    let ctx = Pkcs11::new(module_path()).unwrap();
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    let slot = ctx.get_slots_with_token().unwrap()[0];
    let s = ctx.open_rw_session(slot).unwrap();
    assert_eq!(device_error(&s), 0);

    // kmsd refuses: its code is the session's device error.
    assert_eq!(
        rv(s.login(UserType::User, Some(&AuthPin::new(WRONG_PIN.into())))),
        RvError::PinIncorrect
    );
    assert_eq!(device_error(&s), number(ErrorCode::PinIncorrect));
    // Reading it does not clear it; the next call does.
    assert_eq!(device_error(&s), number(ErrorCode::PinIncorrect));
    s.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))
        .unwrap();
    assert_eq!(device_error(&s), 0);

    // A refusal decided in the module is not kmsd's: 0.
    assert_eq!(
        rv(s.login(UserType::User, Some(&AuthPin::new(USER_PIN.into())))),
        RvError::UserAlreadyLoggedIn
    );
    assert_eq!(device_error(&s), 0);

    let key = s
        .generate_key(
            &Mechanism::AesKeyGen,
            &[Attribute::Token(false), Attribute::ValueLen(32.into())],
        )
        .unwrap();
    let ct = s
        .encrypt(&Mechanism::AesCbcPad([1u8; 16]), key, PLANTED)
        .unwrap();
    assert_eq!(device_error(&s), 0);

    // kmsd gone: a transport failure.
    kmsd.kill();
    assert_eq!(
        rv(s.encrypt(&Mechanism::AesCbcPad([1u8; 16]), key, PLANTED)),
        RvError::DeviceError
    );
    assert_eq!(device_error(&s), DEVICE_ERROR_TRANSPORT);
    drop(s);
    ctx.finalize().unwrap();

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let has = |needle: &[&str]| lines.iter().any(|l| needle.iter().all(|n| l.contains(n)));
    assert!(
        has(&[
            "fn=C_Login",
            "rv=CKR_PIN_INCORRECT",
            "kmsd=pin_incorrect",
            "session="
        ]),
        "{text}"
    );
    assert!(has(&["fn=C_Login", "rv=CKR_OK", "ms="]), "{text}");
    assert!(
        has(&["fn=C_Encrypt", "rv=CKR_DEVICE_ERROR", "transport="]),
        "{text}"
    );
    assert!(has(&["fn=C_GetSessionInfo", "rv=CKR_OK"]), "{text}");
    for secret in [WRONG_PIN.as_bytes(), USER_PIN.as_bytes(), PLANTED, &ct[..8]] {
        let plain = String::from_utf8_lossy(secret).to_string();
        let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        for form in [plain, hex] {
            assert!(!text.contains(&form), "the log holds a secret ({form})");
        }
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&log).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "log file mode {mode:o}");
}
