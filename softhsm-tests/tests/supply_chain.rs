//! Supply-chain and `unsafe` rules, checked on the sources and `Cargo.lock` (offline):
//!
//! - the `rsa` crate (RustCrypto; its private-key operations are open to the Marvin timing
//!   attack, RUSTSEC-2023-0071) is not reachable from kmsd, which does every private-key
//!   operation; in the module it may serve public-key parsing and verification only, in the
//!   files listed in [`RSA_ALLOWED_IN_MODULE`];
//! - every `unsafe` block and `unsafe impl` carries a `// SAFETY:` comment (on its line or the
//!   three lines above);
//! - `unsafe_code` is allowed in the product crates only in the module's FFI layer.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Module files that may use the `rsa` crate: public-key work only.
const RSA_ALLOWED_IN_MODULE: &[&str] = &["mech/public.rs"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `Cargo.lock` as package name → names of its dependencies (every kind, every version).
fn lock_graph() -> HashMap<String, Vec<String>> {
    let text = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
    let mut graph: HashMap<String, Vec<String>> = HashMap::new();
    for package in text.split("[[package]]").skip(1) {
        let name = package
            .lines()
            .find_map(|l| l.strip_prefix("name = "))
            .map(|n| n.trim_matches('"').to_owned())
            .expect("a package name");
        let deps: Vec<String> = package
            .split_once("dependencies = [")
            .map(|(_, rest)| rest.split(']').next().unwrap_or(""))
            .unwrap_or("")
            .split(',')
            .filter_map(|d| d.trim().trim_matches('"').split(' ').next())
            .filter(|d| !d.is_empty())
            .map(str::to_owned)
            .collect();
        graph.entry(name).or_default().extend(deps);
    }
    graph
}

fn reachable(graph: &HashMap<String, Vec<String>>, from: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut todo = vec![from.to_owned()];
    while let Some(p) = todo.pop() {
        if seen.insert(p.clone()) {
            todo.extend(graph.get(&p).into_iter().flatten().cloned());
        }
    }
    seen
}

/// Every `.rs` file under `dir` (no `target`).
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.map(Result::unwrap) {
        let p = e.path();
        if p.is_dir() {
            if !matches!(
                p.file_name().and_then(|n| n.to_str()),
                Some("target" | ".git")
            ) {
                out.extend(rust_files(&p));
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// The code of a line, without a `//` comment.
fn code(line: &str) -> &str {
    line.split("//").next().unwrap_or("")
}

/// Whether `line` names the `rsa` crate: `rsa::` not preceded by `::` or a name character
/// (so `aws_lc_rs::rsa::` is not it).
fn names_rsa_crate(line: &str) -> bool {
    let line = code(line);
    line.match_indices("rsa::").any(|(i, _)| {
        let before = &line[..i];
        !(before.ends_with(':')
            || before
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_'))
    })
}

#[test]
fn the_rsa_crate_is_not_reachable_from_kmsd() {
    let graph = lock_graph();
    for krate in ["kms-daemon", "kms-api"] {
        assert!(graph.contains_key(krate), "{krate} not in Cargo.lock");
        assert!(
            !reachable(&graph, krate).contains("rsa"),
            "the rsa crate is reachable from {krate}: see `cargo tree -i rsa`"
        );
    }
    assert!(names_rsa_crate("use rsa::RsaPublicKey;"));
    assert!(!names_rsa_crate("use aws_lc_rs::rsa::PublicEncryptingKey;"));
}

#[test]
fn in_the_module_the_rsa_crate_serves_public_key_files_only() {
    let src = root().join("pkcs11-module/src");
    let mut offenders = Vec::new();
    for file in rust_files(&src) {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        if text.lines().any(names_rsa_crate) && !RSA_ALLOWED_IN_MODULE.contains(&rel.as_str()) {
            offenders.push(rel);
        }
    }
    assert!(
        offenders.is_empty(),
        "the rsa crate used outside the public-key files: {offenders:?}"
    );
}

#[test]
fn every_unsafe_block_has_a_safety_comment() {
    let mut checked = 0;
    let mut missing = Vec::new();
    for dir in ["pkcs11-module", "kms-daemon", "softhsm-tests"] {
        for file in rust_files(&root().join(dir)) {
            let text = std::fs::read_to_string(&file).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            // A table of C calls may state its contract once, above the item that holds them:
            // "SAFETY (every `unsafe` block below): …" covers that item, up to its closing brace
            // in column 0.
            let mut blanket = false;
            for (i, line) in lines.iter().enumerate() {
                if line.contains("SAFETY (every `unsafe` block below):") {
                    blanket = true;
                } else if blanket && line.starts_with('}') {
                    blanket = false;
                }
                let c = code(line);
                let unsafe_block = c.match_indices("unsafe").any(|(j, _)| {
                    let rest = c[j + "unsafe".len()..].trim_start();
                    rest.starts_with('{') || rest.starts_with("impl ")
                });
                if !unsafe_block {
                    continue;
                }
                checked += 1;
                if !blanket
                    && !lines[i.saturating_sub(3)..=i]
                        .iter()
                        .any(|l| l.contains("SAFETY:"))
                {
                    missing.push(format!("{}:{}", file.display(), i + 1));
                }
            }
        }
    }
    assert!(checked > 0, "no unsafe block found: the scan is broken");
    assert!(
        missing.is_empty(),
        "unsafe without a SAFETY comment: {missing:#?}"
    );
    println!("{checked} unsafe blocks, each with a SAFETY comment");
}

#[test]
fn unsafe_code_is_allowed_only_in_the_module_ffi_layer() {
    let mut allowed = Vec::new();
    for dir in ["pkcs11-module/src", "kms-daemon/src", "kms-daemon/api/src"] {
        for file in rust_files(&root().join(dir)) {
            let text = std::fs::read_to_string(&file).unwrap();
            if text.lines().any(|l| code(l).contains("allow(unsafe_code)")) {
                let rel = file.strip_prefix(root()).unwrap();
                allowed.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    assert_eq!(allowed, ["pkcs11-module/src/ffi/mod.rs"]);
}
