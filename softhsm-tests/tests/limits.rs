//! kmsd's per-identity limits as an application sees them: `C_Login` beyond
//! `[limits] max_sessions_per_identity` returns `CKR_DEVICE_MEMORY` (the nearest code `C_Login`
//! may return to `CKR_SESSION_COUNT`), `C_GetSessionInfo().ulDeviceError` says
//! `KMS_DEVICE_ERROR_SESSION_LIMIT`, and a logout makes room again; a call beyond
//! `max_inflight_per_identity` returns `CKR_FUNCTION_FAILED` with
//! `KMS_DEVICE_ERROR_TOO_MANY_REQUESTS`, and works again once the other request ends.

use base64::Engine as _;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use kms_api::ErrorCode;
use kms_testkit::{module_path, Kmsd, TOKEN, USER_PIN};
use softhsm_tests::have;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// The module is loaded once per process: one test at a time initializes it.
static MODULE: Mutex<()> = Mutex::new(());

/// A kmsd whose `kmsd.toml` has `setting = 1` in `[limits]` (the default line replaced).
fn kmsd_with_limit(setting: &str, default: u32) -> Kmsd {
    let mut kmsd = Kmsd::start();
    let config = std::fs::read_to_string(kmsd.config()).unwrap();
    let line = format!("{setting} = {default}");
    assert!(config.contains(&line), "{config}");
    std::fs::write(
        kmsd.config(),
        config.replace(&line, &format!("{setting} = 1")),
    )
    .unwrap();
    kmsd.restart();
    kmsd
}

fn load(kmsd: &Kmsd, slots: &[(&str, &str)]) -> Pkcs11 {
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config_with(slots));
    let ctx = Pkcs11::new(module_path()).unwrap();
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
    ctx
}

#[test]
fn a_login_beyond_the_session_limit_is_device_memory_with_the_kmsd_code() {
    let _one_at_a_time = MODULE.lock().unwrap_or_else(|e| e.into_inner());
    let kmsd = kmsd_with_limit("max_sessions_per_identity", 256);
    // Two slots on the same token with the same certificate: two logins of one identity.
    let ctx = load(&kmsd, &[(TOKEN, "client"), (TOKEN, "client")]);
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
    drop((first, second));
    ctx.finalize().unwrap();
}

#[test]
fn a_call_beyond_the_inflight_limit_is_function_failed_with_the_kmsd_code() {
    if !have("openssl") {
        return;
    }
    let _one_at_a_time = MODULE.lock().unwrap_or_else(|e| e.into_inner());
    let kmsd = kmsd_with_limit("max_inflight_per_identity", 64);
    let ctx = load(&kmsd, &[(TOKEN, "client")]);
    let slot = ctx.get_slots_with_token().unwrap()[0];
    let session = ctx.open_ro_session(slot).unwrap();
    assert_eq!(session.generate_random_vec(8).unwrap().len(), 8);

    // Another program with the same certificate holds one request in flight: a login, sent
    // whole, that waits inside kmsd while the test holds the store. (A request whose body is
    // still on its way does not count in flight.)
    let store = kms_testkit::hold_store(kmsd.dir(), TOKEN);
    let d = kmsd.dir();
    let mut holder = Command::new("openssl")
        .args(["s_client", "-quiet", "-connect"])
        .arg(kmsd.endpoint().trim_start_matches("https://"))
        .arg("-cert")
        .arg(d.join("client.pem"))
        .arg("-key")
        .arg(d.join("client.key"))
        .arg("-CAfile")
        .arg(d.join("ca.pem"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl s_client");
    let mut input = holder.stdin.take().unwrap();
    let login = format!(
        r#"{{"user_type":"user","pin":"{}"}}"#,
        base64::engine::general_purpose::STANDARD.encode(USER_PIN)
    );
    input
        .write_all(
            format!(
                "POST /v1/tokens/{TOKEN}/login HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{login}",
                login.len()
            )
            .as_bytes(),
        )
        .unwrap();
    input.flush().unwrap();
    // Once kmsd has admitted it, the module's next call is refused.
    let mut refused = None;
    for _ in 0..600 {
        match session.generate_random_vec(8) {
            Ok(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    match refused {
        Some(Error::Pkcs11(rv, _)) => assert_eq!(rv, RvError::FunctionFailed),
        other => panic!("never refused: {other:?}"),
    }
    assert_eq!(
        session.get_session_info().unwrap().device_error(),
        ErrorCode::TooManyRequests.device_error()
    );

    // The held request ends (the store let go): the module is served again.
    drop(store);
    drop(input);
    let out = holder.wait_with_output().unwrap();
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(session.generate_random_vec(8).unwrap().len(), 8);
    assert_eq!(session.get_session_info().unwrap().device_error(), 0);
    drop(session);
    ctx.finalize().unwrap();
}
