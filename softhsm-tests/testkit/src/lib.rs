//! The test kit of kms-pkcs11: the one copy of what kmsd's own tests (`kms-daemon/tests`, and
//! kmsd's unit tests through `store::testing`) and the module's tests (`softhsm-tests`, with the
//! `kms-bench` program) need alike.
//!
//! - [`Kmsd`]: a real `kmsd quickstart` on a quick-start directory (CA, certificates, master key,
//!   store, token [`TOKEN`] with [`USER_PIN`] and [`SO_PIN`]) and a loopback port; stopped,
//!   killed, restarted on the same store and port; replicas (`kmsd serve`) on its store. Every
//!   kmsd this process starts is killed when the process exits.
//! - [`ScratchDb`], [`store_location`], [`on_postgres`]: with `KMS_TEST_PG` ([`PG_ENV`]) naming a
//!   PostgreSQL server, each store is a fresh database there; without it, a SQLite file.
//! - [`pki`]: more client certificates from a quick-start directory's CA (other identities,
//!   odd subjects, other key usages), for the access-control tests.
//! - [`kmsd_bin`], [`module_path`]: the workspace's built programs (see [`target_dir`] for how
//!   they are found).
//! - [`skipped`]: a test that cannot run here says so, and `.ci/test-all` counts it.
//! - [`seeds`]: the named seeds of the libFuzzer targets, made from typed values and compared
//!   with the committed files.
//! - With the feature `pkcs11`: [`capi::Module`], the module loaded with dlopen as a C
//!   application sees it, and [`rv`], the return code of a failed `cryptoki` call.
//!
//! The crate does not depend on the kms-daemon library (kms-daemon dev-depends on it); it
//! drives kmsd as a program.

#![warn(missing_docs)]

mod bins;
#[cfg(feature = "pkcs11")]
pub mod capi;
mod children;
mod kmsd;
mod pg;
pub mod pki;
#[cfg(feature = "pkcs11")]
mod rv;
pub mod seeds;
mod skip;

pub use bins::{kmsd_bin, module_path, target_dir};
pub use kmsd::{kmsd_with_env, kmsd_with_stdin, Kmsd, Options};
pub use pg::{hold_store, on_postgres, skip_on_postgres, store_location, ScratchDb, PG_ENV};
#[cfg(feature = "pkcs11")]
pub use rv::{rv, Failure};
pub use skip::{skipped, SKIP_LOG_ENV};

/// User PIN of the token [`Kmsd`] creates; every test that means "the user's PIN" uses it.
pub const USER_PIN: &str = "12345678";
/// SO PIN of the token [`Kmsd`] creates.
pub const SO_PIN: &str = "87654321";
/// Label of the token [`Kmsd`] creates (quick start's default label).
pub const TOKEN: &str = "kms-default";

/// The module loaded with `cryptoki` and initialized (OS locking) on the configuration `config`
/// (`KMS_PKCS11_CONFIG` is set to it for this process): what a test application does first.
#[cfg(feature = "pkcs11")]
pub fn initialized_module(config: &std::path::Path) -> cryptoki::context::Pkcs11 {
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    std::env::set_var("KMS_PKCS11_CONFIG", config);
    let ctx = Pkcs11::new(module_path()).expect("load the module");
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .expect("C_Initialize");
    ctx
}

/// Resident memory (`VmRSS`) of process `pid` in KiB: `std::process::id()` for this one.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("read /proc/PID/status")
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}
