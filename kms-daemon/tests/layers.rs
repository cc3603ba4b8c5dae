//! kmsd's layers import only downwards.
//!
//! Every top-level module of `kms-daemon/src` belongs to one layer of [`LAYERS`], bottom up. A
//! file may name (`crate::x…`, `use crate::{x, …}`) modules of its own layer or of a layer below,
//! never one above; and the modules of one layer may not import each other in a circle. `lib.rs`
//! declares exactly the modules listed here, so a new module has to be given its layer. The
//! README's "Code map" describes each layer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom up, and the top-level modules in each.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "leaves",
        &[
            "error",
            "clock",
            "secret_file",
            "pem",
            "runtime",
            "ck",
            "crypto",
            "metrics",
            "config",
            "limits",
            "logging",
        ],
    ),
    ("object model", &["model"]),
    ("store and vault", &["store", "vault"]),
    ("audit", &["audit"]),
    ("core", &["auth", "keys", "state"]),
    ("front ends", &["api", "kmip"]),
    (
        "server and tools",
        &["server", "health", "preflight", "pki", "backup", "cli"],
    ),
];

/// Names under `crate::` that are not modules of their own: the error types re-exported at the
/// crate root, and the store's `params!` macro, exported there too.
const ALIASES: &[(&str, &str)] = &[
    ("Error", "error"),
    ("Result", "error"),
    ("db_params", "store"),
];

fn layer_of(module: &str) -> Option<usize> {
    let module = ALIASES
        .iter()
        .find(|(alias, _)| *alias == module)
        .map_or(module, |(_, m)| m);
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`store` for `src/store/db/mod.rs`).
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel.components().next().unwrap().as_os_str();
    first.to_str().unwrap().trim_end_matches(".rs").to_owned()
}

/// The text without `//` comments (doc links in comments are not imports).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules a file names after `crate::` (single paths and `{a, b::c}` groups).
fn named_modules(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        if code[..i].ends_with('$') {
            continue; // `$crate::` inside a macro: the path is spelled out after it.
        }
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        item_start = false;
                        let name = ident(&group[j..]);
                        if !name.is_empty() && name != "self" {
                            out.insert(name.to_owned());
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name.to_owned());
            }
        }
    }
    out
}

/// Every edge between top-level modules: (from, to) → the files that make it.
fn imports() -> BTreeMap<(String, String), Vec<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut edges: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for file in files {
        let from = module_of(&file);
        if from == "lib" || from == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for to in named_modules(&code(&text)) {
            if to != from {
                let rel = file.strip_prefix(src()).unwrap().display().to_string();
                edges.entry((from.clone(), to)).or_default().push(rel);
            }
        }
    }
    edges
}

#[test]
fn lib_declares_exactly_the_layered_modules() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let declared: BTreeSet<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';'))
        .collect();
    let layered: BTreeSet<&str> = LAYERS.iter().flat_map(|(_, m)| m.iter().copied()).collect();
    assert_eq!(
        declared, layered,
        "every module of lib.rs has its layer in tests/layers.rs, and no other"
    );
}

#[test]
fn no_module_imports_a_layer_above_its_own() {
    let mut upward = Vec::new();
    for ((from, to), files) in imports() {
        let (Some(lf), Some(lt)) = (layer_of(&from), layer_of(&to)) else {
            upward.push(format!(
                "{from} -> {to}: a module without a layer ({files:?})"
            ));
            continue;
        };
        if lt > lf {
            upward.push(format!(
                "{from} ({}) imports {to} ({}) in {files:?}",
                LAYERS[lf].0, LAYERS[lt].0
            ));
        }
    }
    assert!(upward.is_empty(), "upward imports:\n{}", upward.join("\n"));
}

#[test]
fn modules_of_one_layer_import_each_other_without_a_circle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to) in imports().into_keys() {
        graph.entry(from).or_default().insert(to);
    }
    // Depth-first search for a back edge; report the circle it closes.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut circle = path[i..].to_vec();
            circle.push(m.to_owned());
            return Some(circle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_owned());
        for next in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(circle) = visit(m, &graph, &mut Vec::new(), &mut done) {
            panic!("import circle: {}", circle.join(" -> "));
        }
    }
}

#[test]
fn the_scanner_sees_single_paths_and_groups() {
    let found = named_modules(&code(
        "use crate::store::Db;\nuse crate::{audit, keys::object::X, error::{Error, Result}};\n\
         // crate::server in a comment\nlet x = crate::clock::now_ms();\n$crate::store::db::params",
    ));
    let want: BTreeSet<String> = ["store", "audit", "keys", "error", "clock"]
        .map(String::from)
        .into();
    assert_eq!(found, want);
}
