//! The named seeds of kmsd's libFuzzer targets, `kms-daemon/fuzz/seeds/<target>/<what-it-is>`,
//! written from typed values: requests are `kms_api` structs serialised by serde, configurations
//! are `kms_daemon::config::Config` values serialised by `toml`, sealing AADs come from
//! `vault::aad`. So the seeds follow the formats: when a wire type or the configuration changes,
//! this test fails naming the seeds that no longer match, and
//!
//! ```sh
//! KMS_WRITE_FUZZ_SEEDS=1 cargo test --release -p kms-daemon --test fuzz_seeds
//! ```
//!
//! rewrites them (commit the result). Each seed is also checked to do what its name says (a
//! request that must decode decodes, a configuration named `refused-…` is refused), so a seed
//! cannot silently stop reaching the code it was chosen for. The fuzzing corpus that grows from
//! these seeds lives outside the tree (`kms-daemon/scripts/fuzz.sh`).

mod audit_verify;
mod config_parse;
mod request_decode;
mod sealed_blob;

#[test]
fn kmsd_fuzz_seeds_are_current() {
    kms_testkit::seeds::check_targets(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
        "kms-daemon",
        &[
            ("request_decode", request_decode::request_decode),
            ("sealed_blob", sealed_blob::sealed_blob),
            ("audit_verify", audit_verify::audit_verify),
            ("config_parse", config_parse::config_parse),
        ],
    );
}
