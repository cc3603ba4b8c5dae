//! The module's log: off unless asked for, by `KMS_PKCS11_LOG=error|info|debug` (and
//! `KMS_PKCS11_LOG_FILE=PATH`, else standard error) or by a `[log]` section of the module
//! configuration; the environment wins.
//!
//! One line per C call (`debug`), per failed call (`info`), or per failure that kmsd or the
//! network caused (`error`): time, process, function, session handle, return code, kmsd's stable
//! error code when it refused, duration. Never a PIN, key byte or buffer content: the line is
//! built from those fields only, and the detail of a transport failure is the transport's own
//! message.

use crate::error::Error;
use cryptoki_sys::*;
use parking_lot::Mutex;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Environment variable naming the level.
pub const LEVEL_ENV: &str = "KMS_PKCS11_LOG";
/// Environment variable naming the log file.
pub const FILE_ENV: &str = "KMS_PKCS11_LOG_FILE";

/// How much is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Nothing.
    Off = 0,
    /// Failures caused by kmsd or the network, and configuration errors.
    Error = 1,
    /// Every failed call.
    Info = 2,
    /// Every call.
    Debug = 3,
}

impl Level {
    /// Parses `off`, `error`, `info` or `debug`.
    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" | "" => Some(Level::Off),
            "error" => Some(Level::Error),
            "info" => Some(Level::Info),
            "debug" | "trace" => Some(Level::Debug),
            _ => None,
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Off as u8);
static SINK: Mutex<Option<File>> = Mutex::new(None);

fn enabled(level: Level) -> bool {
    LEVEL.load(Ordering::Relaxed) >= level as u8
}

/// Sets the log up from the environment, else from the configuration's `level` and `file`.
/// Returns a problem to report (an unknown level, an unwritable file); logging then goes on as
/// well as it can (standard error).
pub fn configure(config_level: Option<&str>, config_file: Option<&Path>) -> Option<String> {
    let env_level = std::env::var(LEVEL_ENV).ok();
    let env_file = std::env::var_os(FILE_ENV);
    let (level, file) = match env_level.as_deref() {
        Some(l) => (l, env_file.as_deref().map(Path::new)),
        None => (config_level.unwrap_or("off"), config_file),
    };
    let mut problem = None;
    let level = Level::parse(level).unwrap_or_else(|| {
        problem = Some(format!("unknown log level {level:?}; using info"));
        Level::Info
    });
    let sink = match file {
        Some(path) if level > Level::Off => match open_private(path) {
            Ok(f) => Some(f),
            Err(e) => {
                problem = Some(format!("cannot open log file {}: {e}", path.display()));
                None
            }
        },
        _ => None,
    };
    *SINK.lock() = sink;
    LEVEL.store(level as u8, Ordering::Relaxed);
    if let Some(p) = &problem {
        message(Level::Error, p);
    }
    problem
}

/// Appends, creating the file owner-only.
fn open_private(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
}

fn write_line(line: &str) {
    let mut sink = SINK.lock();
    let _ = match sink.as_mut() {
        Some(f) => f.write_all(line.as_bytes()),
        None => std::io::stderr().lock().write_all(line.as_bytes()),
    };
}

/// A free-form line (configuration problems, initialisation).
pub fn message(level: Level, text: &str) {
    if enabled(level) {
        write_line(&format!(
            "ts={} pid={} msg={text:?}\n",
            timestamp(SystemTime::now()),
            std::process::id()
        ));
    }
}

/// Environment variable naming the syslog socket (default [`SYSLOG_SOCKET`]).
pub const SYSLOG_ENV: &str = "KMS_PKCS11_SYSLOG_SOCKET";
/// The local syslog socket; under systemd, journald's.
pub const SYSLOG_SOCKET: &str = "/dev/log";

/// Sends `text` to the local syslog (facility user, severity error, tagged `kms-pkcs11` with
/// the program's name and process id), whatever the log level: for the failures an operator must
/// find even when the application hides its standard error (ssh-agent, a Java service) —
/// `C_Initialize` refused for its configuration. Nothing is sent when no syslog listens.
pub fn syslog(text: &str) {
    let socket = std::env::var_os(SYSLOG_ENV).unwrap_or_else(|| SYSLOG_SOCKET.into());
    let program = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    // <11>: facility user (1) × 8 + severity error (3).
    let line = format!("<11>kms-pkcs11[{}]: {program}: {text}", std::process::id());
    let _ = std::os::unix::net::UnixDatagram::unbound()
        .and_then(|s| s.send_to(line.as_bytes(), &socket));
}

/// The line of one C call, if the level asks for it.
pub fn call(
    name: &str,
    session: Option<CK_SESSION_HANDLE>,
    rv: CK_RV,
    error: Option<&Error>,
    elapsed: Duration,
) {
    let level = match (rv, error) {
        (CKR_OK, _) | (CKR_BUFFER_TOO_SMALL, _) => Level::Debug,
        (_, Some(Error::Daemon(_) | Error::Device(_))) => Level::Error,
        _ => Level::Info,
    };
    if !enabled(level) {
        return;
    }
    let mut line = format!(
        "ts={} pid={} fn={name}",
        timestamp(SystemTime::now()),
        std::process::id()
    );
    if let Some(h) = session {
        line.push_str(&format!(" session={h}"));
    }
    line.push_str(&format!(" rv={}", rv_name(rv)));
    match error {
        Some(Error::Daemon(code)) => line.push_str(&format!(" kmsd={}", code_name(*code))),
        Some(Error::Device(detail)) => line.push_str(&format!(" transport={detail:?}")),
        _ => {}
    }
    line.push_str(&format!(" ms={:.3}\n", elapsed.as_secs_f64() * 1000.0));
    write_line(&line);
}

/// kmsd's wire name of a code (`pin_incorrect` …).
pub(crate) fn code_name(code: kms_api::ErrorCode) -> String {
    code.wire().to_owned()
}

/// RFC 3339 UTC with milliseconds.
fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// The name of a return code (`CKR_PIN_INCORRECT`), or its number.
pub fn rv_name(rv: CK_RV) -> String {
    macro_rules! names {
        ($($n:ident),* $(,)?) => {
            match rv {
                $($n => stringify!($n).to_owned(),)*
                other => format!("0x{other:08X}"),
            }
        };
    }
    names!(
        CKR_OK,
        CKR_CANCEL,
        CKR_HOST_MEMORY,
        CKR_SLOT_ID_INVALID,
        CKR_GENERAL_ERROR,
        CKR_FUNCTION_FAILED,
        CKR_ARGUMENTS_BAD,
        CKR_NO_EVENT,
        CKR_NEED_TO_CREATE_THREADS,
        CKR_CANT_LOCK,
        CKR_ATTRIBUTE_READ_ONLY,
        CKR_ATTRIBUTE_SENSITIVE,
        CKR_ATTRIBUTE_TYPE_INVALID,
        CKR_ATTRIBUTE_VALUE_INVALID,
        CKR_ACTION_PROHIBITED,
        CKR_DATA_INVALID,
        CKR_DATA_LEN_RANGE,
        CKR_DEVICE_ERROR,
        CKR_DEVICE_MEMORY,
        CKR_DEVICE_REMOVED,
        CKR_ENCRYPTED_DATA_INVALID,
        CKR_ENCRYPTED_DATA_LEN_RANGE,
        CKR_FUNCTION_CANCELED,
        CKR_FUNCTION_NOT_PARALLEL,
        CKR_FUNCTION_NOT_SUPPORTED,
        CKR_KEY_HANDLE_INVALID,
        CKR_KEY_SIZE_RANGE,
        CKR_KEY_TYPE_INCONSISTENT,
        CKR_KEY_NOT_NEEDED,
        CKR_KEY_CHANGED,
        CKR_KEY_NEEDED,
        CKR_KEY_INDIGESTIBLE,
        CKR_KEY_FUNCTION_NOT_PERMITTED,
        CKR_KEY_NOT_WRAPPABLE,
        CKR_KEY_UNEXTRACTABLE,
        CKR_MECHANISM_INVALID,
        CKR_MECHANISM_PARAM_INVALID,
        CKR_OBJECT_HANDLE_INVALID,
        CKR_OPERATION_ACTIVE,
        CKR_OPERATION_NOT_INITIALIZED,
        CKR_PIN_INCORRECT,
        CKR_PIN_INVALID,
        CKR_PIN_LEN_RANGE,
        CKR_PIN_EXPIRED,
        CKR_PIN_LOCKED,
        CKR_SESSION_CLOSED,
        CKR_SESSION_COUNT,
        CKR_SESSION_HANDLE_INVALID,
        CKR_SESSION_PARALLEL_NOT_SUPPORTED,
        CKR_SESSION_READ_ONLY,
        CKR_SESSION_EXISTS,
        CKR_SESSION_READ_ONLY_EXISTS,
        CKR_SESSION_READ_WRITE_SO_EXISTS,
        CKR_SIGNATURE_INVALID,
        CKR_SIGNATURE_LEN_RANGE,
        CKR_TEMPLATE_INCOMPLETE,
        CKR_TEMPLATE_INCONSISTENT,
        CKR_TOKEN_NOT_PRESENT,
        CKR_TOKEN_NOT_RECOGNIZED,
        CKR_TOKEN_WRITE_PROTECTED,
        CKR_UNWRAPPING_KEY_HANDLE_INVALID,
        CKR_UNWRAPPING_KEY_SIZE_RANGE,
        CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT,
        CKR_USER_ALREADY_LOGGED_IN,
        CKR_USER_NOT_LOGGED_IN,
        CKR_USER_PIN_NOT_INITIALIZED,
        CKR_USER_TYPE_INVALID,
        CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
        CKR_USER_TOO_MANY_TYPES,
        CKR_WRAPPED_KEY_INVALID,
        CKR_WRAPPED_KEY_LEN_RANGE,
        CKR_WRAPPING_KEY_HANDLE_INVALID,
        CKR_WRAPPING_KEY_SIZE_RANGE,
        CKR_WRAPPING_KEY_TYPE_INCONSISTENT,
        CKR_RANDOM_SEED_NOT_SUPPORTED,
        CKR_RANDOM_NO_RNG,
        CKR_DOMAIN_PARAMS_INVALID,
        CKR_CURVE_NOT_SUPPORTED,
        CKR_BUFFER_TOO_SMALL,
        CKR_SAVED_STATE_INVALID,
        CKR_INFORMATION_SENSITIVE,
        CKR_STATE_UNSAVEABLE,
        CKR_CRYPTOKI_NOT_INITIALIZED,
        CKR_CRYPTOKI_ALREADY_INITIALIZED,
        CKR_MUTEX_BAD,
        CKR_MUTEX_NOT_LOCKED,
        CKR_NEW_PIN_MODE,
        CKR_NEXT_OTP,
        CKR_EXCEEDED_MAX_ITERATIONS,
        CKR_FIPS_SELF_TEST_FAILED,
        CKR_LIBRARY_LOAD_FAILED,
        CKR_PIN_TOO_WEAK,
        CKR_PUBLIC_KEY_INVALID,
        CKR_FUNCTION_REJECTED,
        CKR_TOKEN_RESOURCE_EXCEEDED,
        CKR_OPERATION_CANCEL_FAILED,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_levels_and_time() {
        assert_eq!(rv_name(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT");
        assert_eq!(rv_name(0x8000_0001), "0x80000001");
        assert_eq!(Level::parse("DEBUG"), Some(Level::Debug));
        assert_eq!(Level::parse("loud"), None);
        assert_eq!(
            timestamp(UNIX_EPOCH + Duration::from_millis(1_764_080_401_123)),
            "2025-11-25T14:20:01.123Z"
        );
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(code_name(kms_api::ErrorCode::PinIncorrect), "pin_incorrect");
    }
}
