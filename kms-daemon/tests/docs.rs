//! `kmsd docs`: a manual page for kmsd and for every subcommand (made from the command-line
//! definitions), and bash and zsh completions, as the packages install them.

use std::process::Command;

#[test]
fn kmsd_docs_writes_a_page_per_subcommand_and_the_completions() {
    let dir = tempfile::tempdir().unwrap();
    let (man, completions) = (dir.path().join("man"), dir.path().join("completions"));
    let out = Command::new(kms_testkit::kmsd_bin())
        .arg("docs")
        .arg("--man")
        .arg(&man)
        .arg("--completions")
        .arg(&completions)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut pages: Vec<String> = std::fs::read_dir(&man)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    for page in [
        "kmsd.1",
        "kmsd-serve.1",
        "kmsd-check-config.1",
        "kmsd-quickstart.1",
        "kmsd-key-destroy.1",
        "kmsd-token-reset-so-pin.1",
        "kmsd-master-key-rotate.1",
        "kmsd-audit-verify.1",
    ] {
        assert!(pages.iter().any(|p| p == page), "no {page} in {pages:?}");
    }
    assert!(!pages.iter().any(|p| p.contains("help")), "{pages:?}");
    let serve = std::fs::read_to_string(man.join("kmsd-serve.1")).unwrap();
    assert!(
        serve.contains(".TH kmsd-serve") && serve.contains("\\-\\-config"),
        "{serve}"
    );
    let bash = std::fs::read_to_string(completions.join("kmsd.bash")).unwrap();
    assert!(
        bash.contains("check-config") && bash.contains("complete "),
        "{bash}"
    );
    let zsh = std::fs::read_to_string(completions.join("_kmsd")).unwrap();
    assert!(zsh.starts_with("#compdef kmsd"), "{zsh}");
}
