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

mod call_sequence;
mod config_parse;
mod response_decode;
mod template_decode;

#[test]
fn module_fuzz_seeds_are_current() {
    kms_testkit::seeds::check_targets(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
        "kms-pkcs11",
        &[
            ("config_parse", config_parse::config_parse),
            ("template_decode", template_decode::template_decode),
            ("response_decode", response_decode::response_decode),
            ("call_sequence", call_sequence::call_sequence),
        ],
    );
}
