//! Where the workspace's built programs are.

use std::path::PathBuf;

/// `target/<profile>` (with `--target`, `target/<triple>/<profile>`): the directory of the
/// running executable, or its parent when that is `deps/`.
///
/// One rule for both suites. Integration tests run from `target/<profile>/deps/`, programs (the
/// benchmark) from `target/<profile>/`; Cargo puts the workspace's binaries and the module in
/// `target/<profile>/`. For kms-daemon's own tests that is the file `env!("CARGO_BIN_EXE_kmsd")`
/// names, built by Cargo before them; other packages (softhsm-tests) need `cargo build
/// --release --workspace` first, which the error message says.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("executable path");
    let dir = exe.parent().expect("executable directory");
    if dir.ends_with("deps") {
        dir.parent().expect("target dir").to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

fn built(name: &str) -> PathBuf {
    let p = target_dir().join(name);
    assert!(
        p.exists(),
        "{} is missing: run `cargo build --release --workspace` first",
        p.display()
    );
    p
}

/// The `kmsd` binary ([`target_dir`]).
pub fn kmsd_bin() -> PathBuf {
    built("kmsd")
}

/// The module, `libkms_pkcs11.so` ([`target_dir`]).
pub fn module_path() -> PathBuf {
    built("libkms_pkcs11.so")
}
