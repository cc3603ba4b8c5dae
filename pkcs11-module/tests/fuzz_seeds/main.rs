//! The named seeds of the module's libFuzzer targets, `pkcs11-module/fuzz/seeds/<target>/
//! <what-it-is>`, written from typed values: kmsd's answers are `kms_api` structs serialised by
//! serde, templates and call sequences are encoded from typed descriptions in the byte formats
//! the targets read (documented in each target's module here, and in the target). So the seeds
//! follow the formats: when a wire type or a target's input format changes, this test fails
//! naming the seeds that no longer match, and
//!
//! ```sh
//! KMS_WRITE_FUZZ_SEEDS=1 cargo test --release -p kms-pkcs11 --test fuzz_seeds
//! ```
//!
//! rewrites them (commit the result). Each configuration, template and answer seed is also run
//! through the code its target drives and checked to come out as its name says, so a seed cannot
//! silently stop reaching the branch it was chosen for. The fuzzing corpus that grows from these
//! seeds lives outside the tree (`kms-daemon/scripts/fuzz.sh`).

#[path = "../../../kms-daemon/tests/seeds/mod.rs"]
mod seeds;

use seeds::Seeds;

mod call_sequence;
mod config_parse;
mod response_decode;
mod template_decode;

/// Writes the seeds of one target.
type Make = fn(&mut Seeds);

#[test]
fn module_fuzz_seeds_are_current() {
    let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let targets: [(&str, Make); 4] = [
        ("config_parse", config_parse::config_parse),
        ("template_decode", template_decode::template_decode),
        ("response_decode", response_decode::response_decode),
        ("call_sequence", call_sequence::call_sequence),
    ];
    let mut problems = Vec::new();
    for (target, make) in targets {
        let mut s = Seeds::default();
        make(&mut s);
        problems.extend(s.check_or_write(&fuzz.join("seeds").join(target)));
    }
    assert!(
        problems.is_empty(),
        "{}\n(rewrite with: KMS_WRITE_FUZZ_SEEDS=1 cargo test --release -p kms-pkcs11 --test \
         fuzz_seeds)",
        problems.join("\n")
    );
}
