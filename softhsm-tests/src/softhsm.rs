//! SoftHSM2 as the reference token: a fresh token directory per test.

use std::path::{Path, PathBuf};

/// Debian's SoftHSM2 module.
pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// A SoftHSM2 configuration with one initialised token.
pub struct SoftHsm {
    dir: tempfile::TempDir,
}

impl SoftHsm {
    /// Creates `tokens/` and a config file, initialises a token with the given label and PINs,
    /// and points `SOFTHSM2_CONF` at it (for this process).
    pub fn new(label: &str, so_pin: &str, user_pin: &str) -> SoftHsm {
        let dir = tempfile::Builder::new()
            .prefix("softhsm-")
            .tempdir()
            .expect("temp dir");
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).expect("tokens dir");
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .expect("write softhsm2.conf");
        std::env::set_var("SOFTHSM2_CONF", &conf);
        crate::run(
            "softhsm2-util",
            &[
                "--init-token",
                "--free",
                "--label",
                label,
                "--so-pin",
                so_pin,
                "--pin",
                user_pin,
            ],
        );
        SoftHsm { dir }
    }

    /// The config file.
    pub fn conf(&self) -> PathBuf {
        self.dir.path().join("softhsm2.conf")
    }

    /// Whether SoftHSM2 is installed.
    pub fn available() -> bool {
        Path::new(MODULE).exists() && crate::have("softhsm2-util")
    }
}
