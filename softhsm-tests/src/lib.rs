//! Test support of the module's tests beyond the shared test kit (`kms-testkit`: kmsd, the built
//! module, PINs, the C-API loader): SoftHSM2 as the reference token, and real client programs
//! run and checked for.

use std::path::{Path, PathBuf};
use std::process::Command;

pub mod softhsm;

/// Runs a program and returns its output; panics with the output when it fails.
pub fn run(program: &str, args: &[&str]) -> String {
    run_in(Path::new("."), program, args)
}

/// Runs a program in a directory and returns its output; panics with the output when it fails.
pub fn run_in(dir: &Path, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{program} {args:?} failed:\n{text}");
    text
}

/// Whether a program is installed. In CI (`CI` set) a missing program is a failure.
pub fn have(program: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} is not installed; .ci/test-all installs it"
        );
        kms_testkit::skipped(&format!("{program} is not installed"));
    }
    found
}

/// Whether a file a test needs is installed (from `package`). In CI a missing one is a failure.
pub fn have_file(path: &str, package: &str) -> bool {
    let found = Path::new(path).exists();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{path} is missing; .ci/test-all installs {package}"
        );
        kms_testkit::skipped(&format!("{path} is missing (install {package})"));
    }
    found
}

/// The Python of the virtual environment `.ci/run` prepares (`target/py`), else `python3` from
/// the PATH.
pub fn python() -> PathBuf {
    let venv = kms_testkit::target_dir()
        .parent()
        .unwrap()
        .join("py/bin/python3");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// Whether `python` imports every module of `imports` (a comma-separated list), which `what`
/// names for the message. In CI a missing one is a failure.
pub fn have_python_modules(python: &Path, imports: &str, what: &str) -> bool {
    let ok = Command::new(python)
        .args(["-c", &format!("import {imports}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{what} missing; .ci/test-all installs it into target/py"
        );
        kms_testkit::skipped(&format!("{what} is not installed in target/py"));
    }
    ok
}
