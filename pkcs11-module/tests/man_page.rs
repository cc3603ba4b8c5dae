//! The hand-written manual page of `kms-pkcs11-check` (`packaging/kms-pkcs11-check.1`; the
//! program parses its few options without clap, so no page is generated) names every option the
//! program's usage line names, and the other way round.

use std::collections::BTreeSet;
use std::process::Command;

fn options(text: &str) -> BTreeSet<String> {
    let text = text.replace("\\-", "-");
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_manual_page_names_the_options_of_the_usage_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_kms-pkcs11-check"))
        .arg("--help")
        .output()
        .unwrap();
    let usage = String::from_utf8_lossy(&out.stderr);
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/kms-pkcs11-check.1"),
    )
    .unwrap();
    let from_usage = options(&usage);
    assert!(from_usage.contains("--config"), "{usage}");
    let mut from_page = options(&page);
    from_page.remove("--help");
    assert_eq!(from_usage, from_page);
}
