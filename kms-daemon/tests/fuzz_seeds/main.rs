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

#[path = "../seeds/mod.rs"]
mod seeds;

use seeds::Seeds;

mod audit_verify;
mod config_parse;
mod request_decode;
mod sealed_blob;

/// Writes the seeds of one target.
type Make = fn(&mut Seeds);

#[test]
fn kmsd_fuzz_seeds_are_current() {
    let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let targets: [(&str, Make); 4] = [
        ("request_decode", request_decode::request_decode),
        ("sealed_blob", sealed_blob::sealed_blob),
        ("audit_verify", audit_verify::audit_verify),
        ("config_parse", config_parse::config_parse),
    ];
    let mut problems = Vec::new();
    for (target, make) in targets {
        let mut s = Seeds::default();
        make(&mut s);
        problems.extend(s.check_or_write(&fuzz.join("seeds").join(target)));
    }
    assert!(
        problems.is_empty(),
        "{}\n(rewrite with: KMS_WRITE_FUZZ_SEEDS=1 cargo test --release -p kms-daemon --test \
         fuzz_seeds)",
        problems.join("\n")
    );
}
