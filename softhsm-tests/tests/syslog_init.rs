//! A `C_Initialize` refused for its configuration is also sent to syslog (journald under
//! systemd), so that it can be found when the application hides standard error: one message,
//! facility user, severity error, tagged `kms-pkcs11[pid]` with the program's name and the
//! problem. (Its own test binary: it sets the process's environment.)

use cryptoki_sys::CKR_GENERAL_ERROR;
use kms_testkit::capi::Module;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

#[test]
fn a_configuration_error_at_c_initialize_goes_to_syslog() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("log");
    let syslog = UnixDatagram::bind(&socket).unwrap();
    syslog
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let missing = dir.path().join("no-such-config.toml");
    std::env::set_var("KMS_PKCS11_SYSLOG_SOCKET", &socket);
    std::env::set_var("KMS_PKCS11_CONFIG", &missing);
    let module = Module::load();
    assert_eq!(module.initialize(), CKR_GENERAL_ERROR);
    let mut buf = [0u8; 2048];
    let n = syslog.recv(&mut buf).expect("a syslog message");
    let line = String::from_utf8_lossy(&buf[..n]);
    let pid = std::process::id();
    assert!(
        line.starts_with(&format!("<11>kms-pkcs11[{pid}]: syslog_init")),
        "{line}"
    );
    assert!(
        line.contains("C_Initialize refused: configuration error")
            && line.contains("no-such-config.toml"),
        "{line}"
    );
}
