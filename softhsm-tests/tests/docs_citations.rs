//! The rule IDs the code cites resolve to entries in `docs/`, and what `docs/` says about the
//! code still points at something that exists.
//!
//! Citation form (stated for readers in `docs/README.md`): in every tracked `.rs`, `.sh`, `.md`
//! and `.toml` file and the `.ci/` scripts, outside `docs/` and the fuzz seeds and corpora, an uppercase
//! `R`, `S` or `T` followed by one or two digits and optionally a letter `a`–`c`, with neither a
//! letter, a digit nor `_` on either side (`secp256r1`, `TLS12`, `CKM_SHA_1` and test names such
//! as `t1_t2` are not citations). `X1–X9` or `X1-X9` cites the range; `T5a/b` adds letters.
//! `security-rules §3.2` (or `security rules §3.2`) cites a section of the security notes.
//!
//! A file named as `docs/<name>.md` must exist.
//!
//! An entry is a `docs/*.md` heading `### <a id="r5"></a>R5 — Title`, the anchor being the ID
//! in lowercase (`<a id="notes-32"></a>security-rules §3.2 — Title` for a section). `T5` is
//! resolved by the entries of its variants `T5a`–`T5c`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The repository's files, relative to the root: tracked ones, and new ones not ignored (so the
/// test sees a document before it is committed).
fn tracked() -> Vec<String> {
    let out = std::process::Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root())
        .output()
        .expect("git ls-files (the test reads the tracked files)");
    assert!(out.status.success(), "git ls-files failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The files whose citations are checked.
fn cited_in() -> Vec<String> {
    tracked()
        .into_iter()
        .filter(|p| {
            let kind = [".rs", ".sh", ".md", ".toml"]
                .iter()
                .any(|x| p.ends_with(x))
                || p.starts_with(".ci/");
            kind && !p.starts_with("docs/")
                && !p.contains("/fuzz/seeds/")
                && !p.contains("/fuzz/corpus/")
        })
        .collect()
}

fn word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// One ID at `i`: letter, 1–2 digits, optional letter a–c; returns (id, end).
fn id_at(chars: &[char], i: usize) -> Option<(String, usize)> {
    let letter = *chars.get(i)?;
    if !matches!(letter, 'R' | 'S' | 'T') || (i > 0 && word(chars.get(i - 1).copied())) {
        return None;
    }
    let mut j = i + 1;
    while j < chars.len() && chars[j].is_ascii_digit() && j - i <= 2 {
        j += 1;
    }
    let digits = j - i - 1;
    if digits == 0 || digits > 2 || chars[i + 1] == '0' {
        return None;
    }
    if j < chars.len() && matches!(chars[j], 'a'..='c') {
        j += 1;
    }
    if word(chars.get(j).copied()) {
        return None;
    }
    Some((chars[i..j].iter().collect(), j))
}

fn number(id: &str) -> u32 {
    id[1..]
        .trim_end_matches(|c: char| c.is_ascii_alphabetic())
        .parse()
        .unwrap()
}

/// The IDs a line cites, ranges and `/b` letters expanded.
fn citations(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let Some((id, mut end)) = id_at(&chars, i) else {
            i += 1;
            continue;
        };
        // A range: X1–X9 or X1-X9, same letter.
        if matches!(chars.get(end), Some('–' | '-')) {
            if let Some((to, to_end)) = id_at(&chars, end + 1) {
                if to.starts_with(&id[..1]) {
                    for n in number(&id)..=number(&to) {
                        out.push(format!("{}{n}", &id[..1]));
                    }
                    i = to_end;
                    continue;
                }
            }
        }
        // Letters added with '/': T5a/b/c.
        let has_letter = id.ends_with(|c: char| c.is_ascii_lowercase());
        out.push(id.clone());
        while has_letter
            && chars.get(end) == Some(&'/')
            && matches!(chars.get(end + 1), Some('a'..='c'))
            && !word(chars.get(end + 2).copied())
        {
            out.push(format!("{}{}", &id[..id.len() - 1], chars[end + 1]));
            end += 2;
        }
        i = end;
    }
    out
}

/// `security-rules §3.2` / `security rules §3.3` in a line: the section numbers.
fn section_citations(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in ["security-rules §", "security rules §"] {
        for (at, _) in line.match_indices(prefix) {
            let rest = &line[at + prefix.len()..];
            let n: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let n = n.trim_end_matches('.');
            if !n.is_empty() {
                out.push(n.to_owned());
            }
        }
    }
    out
}

/// `docs/<name>.md` named in a line (not a path that merely ends so, like `../shared/docs/x.md`).
fn doc_files(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in line.match_indices("docs/") {
        if line[..i]
            .chars()
            .next_back()
            .is_some_and(|c| word(Some(c)) || c == '/' || c == '.' || c == '-')
        {
            continue;
        }
        let name: String = line[i + 5..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        if let Some(stem) = name.trim_end_matches('.').strip_suffix(".md") {
            out.push(format!("docs/{stem}.md"));
        }
    }
    out
}

/// A documentation file: its name and lines.
struct Doc {
    name: String,
    text: String,
}

fn docs() -> Vec<Doc> {
    let mut out: Vec<Doc> = tracked()
        .into_iter()
        .filter(|p| p.starts_with("docs/") && p.ends_with(".md"))
        .map(|p| Doc {
            text: std::fs::read_to_string(root().join(&p)).unwrap(),
            name: p,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Rule entries (ID → where) and section entries (`3.2` → where) of the docs. An entry heading
/// is `#… <a id="x"></a>TITLE` whose TITLE starts with the entry's ID.
fn entries(docs: &[Doc]) -> (BTreeMap<String, Vec<String>>, BTreeMap<String, Vec<String>>) {
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut sections: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in docs {
        for (n, line) in d.text.lines().enumerate() {
            let at = format!("{}:{}", d.name, n + 1);
            let Some(rest) = line.trim_start_matches('#').strip_prefix(" <a id=\"") else {
                continue;
            };
            if !line.starts_with('#') {
                continue;
            }
            let (anchor, title) = rest.split_once("\"></a>").expect("an anchor heading");
            if let Some(s) = title.strip_prefix("security-rules §") {
                let n: String = s
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.')
                    .collect();
                assert_eq!(anchor, format!("notes-{}", n.replace('.', "")), "{at}");
                sections.entry(n).or_default().push(at);
                continue;
            }
            let chars: Vec<char> = title.chars().collect();
            if let Some((id, _)) = id_at(&chars, 0) {
                assert_eq!(anchor, id.to_lowercase(), "{at}: the anchor is the ID");
                ids.entry(id).or_default().push(at);
            }
        }
    }
    (ids, sections)
}

#[test]
fn every_cited_rule_has_an_entry_in_docs() {
    let docs = docs();
    let (ids, sections) = entries(&docs);
    let resolves = |id: &str| {
        ids.contains_key(id)
            || ['a', 'b', 'c']
                .iter()
                .any(|l| ids.contains_key(&format!("{id}{l}")))
    };
    let mut missing = Vec::new();
    let mut cited = BTreeSet::new();
    for file in cited_in() {
        let Ok(text) = std::fs::read_to_string(root().join(&file)) else {
            continue;
        };
        for (n, line) in text.lines().enumerate() {
            for id in citations(line) {
                if !resolves(&id) {
                    missing.push(format!("{file}:{}: {id} has no entry in docs/", n + 1));
                }
                cited.insert(id);
            }
            for doc in doc_files(line) {
                if !root().join(&doc).is_file() {
                    missing.push(format!("{file}:{}: {doc} does not exist", n + 1));
                }
            }
            for s in section_citations(line) {
                if !sections.contains_key(&s) {
                    missing.push(format!(
                        "{file}:{}: security-rules §{s} has no entry in docs/",
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    // The scan must see the code's citations at all (a broken scanner passes vacuously).
    for id in ["R1", "R19", "S14", "T5c", "T24"] {
        assert!(cited.contains(id), "the scan found no citation of {id}");
    }
}

#[test]
fn every_rule_has_exactly_one_entry() {
    let (ids, sections) = entries(&docs());
    let mut want: Vec<String> = Vec::new();
    want.extend((1..=19).map(|n| format!("R{n}")));
    want.extend((1..=23).map(|n| format!("S{n}")));
    want.extend((1..=24).filter(|n| *n != 5).map(|n| format!("T{n}")));
    want.extend(["T5a", "T5b", "T5c"].map(String::from));
    let mut problems = Vec::new();
    for id in &want {
        match ids.get(id).map(Vec::len) {
            Some(1) => {}
            None => problems.push(format!("{id}: no entry")),
            Some(_) => problems.push(format!("{id}: entries at {}", ids[id].join(", "))),
        }
    }
    for (id, at) in &ids {
        if !want.contains(id) {
            problems.push(format!(
                "{id}: an entry for no known rule ({})",
                at.join(", ")
            ));
        }
    }
    for (s, at) in &sections {
        if at.len() != 1 {
            problems.push(format!("security-rules §{s}: entries at {}", at.join(", ")));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The paths and `path::name` references in backquotes, with where they are.
fn code_references(docs: &[Doc]) -> Vec<(String, String)> {
    let roots = [
        "kms-daemon/",
        "pkcs11-module/",
        "softhsm-tests/",
        "include/",
        ".ci/",
    ];
    let mut out = Vec::new();
    for d in docs {
        for (n, line) in d.text.lines().enumerate() {
            for (i, part) in line.split('`').enumerate() {
                if i % 2 == 1 && roots.iter().any(|r| part.starts_with(r)) && !part.contains(' ') {
                    out.push((format!("{}:{}", d.name, n + 1), part.to_owned()));
                }
            }
        }
    }
    out
}

#[test]
fn paths_and_names_in_docs_exist() {
    let docs = docs();
    let files: BTreeSet<String> = tracked().into_iter().collect();
    let mut problems = Vec::new();
    let refs = code_references(&docs);
    assert!(refs.len() > 100, "only {} references found", refs.len());
    for (at, r) in refs {
        let (path, name) = match r.split_once("::") {
            Some((p, n)) => (p, Some(n)),
            None => (r.as_str(), None),
        };
        let exists = files.contains(path)
            || (path.ends_with('/') && files.iter().any(|f| f.starts_with(path)));
        if !exists {
            problems.push(format!("{at}: {path} is not a tracked file or folder"));
            continue;
        }
        if let Some(name) = name {
            let text = std::fs::read_to_string(root().join(path)).unwrap();
            let defined = [
                "fn ", "const ", "static ", "struct ", "enum ", "type ", "mod ",
            ]
            .iter()
            .any(|k| {
                text.match_indices(&format!("{k}{name}")).any(|(i, m)| {
                    let next = text[i + m.len()..].chars().next();
                    let before = text[..i].chars().next_back();
                    !word(next) && !word(before)
                })
            });
            if !defined {
                problems.push(format!("{at}: {path} defines no {name}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// GitHub's anchor for a heading: lowercase, letters, digits, `-` and `_` kept, spaces → `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        for (i, _) in line.match_indices("<a id=\"") {
            let rest = &line[i + 7..];
            out.insert(rest[..rest.find('"').unwrap()].to_owned());
        }
        if line.starts_with('#') && !line.contains("<a id=") {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

#[test]
fn links_in_docs_resolve() {
    let docs = docs();
    let mut problems = Vec::new();
    for d in &docs {
        let dir = Path::new(&d.name).parent().unwrap();
        for (n, line) in d.text.lines().enumerate() {
            for (i, _) in line.match_indices("](") {
                let target = &line[i + 2..];
                let target = &target[..target.find(')').unwrap()];
                if target.starts_with("http") {
                    continue;
                }
                let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
                let path = if file.is_empty() {
                    PathBuf::from(&d.name)
                } else {
                    dir.join(file)
                };
                let Ok(text) = std::fs::read_to_string(root().join(&path)) else {
                    problems.push(format!("{}:{}: no file {}", d.name, n + 1, path.display()));
                    continue;
                };
                if !anchor.is_empty() && !anchors(&text).contains(anchor) {
                    problems.push(format!(
                        "{}:{}: no anchor #{anchor} in {}",
                        d.name,
                        n + 1,
                        path.display()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_citation_form_is_what_the_code_uses() {
    let ids = |l: &str| citations(l).join(" ");
    assert_eq!(
        ids("spec-checklist S1–S3; security R5–R7"),
        "S1 S2 S3 R5 R6 R7"
    );
    assert_eq!(ids("T5a/b, T5c and T1/T2/T6"), "T5a T5b T5c T1 T2 T6");
    assert_eq!(ids("(security R19)."), "R19");
    assert_eq!(
        ids("secp256r1 TLS12 CKM_SHA_1 fn t1_t2 R100 S0 XT1 T1x"),
        ""
    );
    assert_eq!(
        section_citations("(security rules §3.3 \"Key versions\"; security-rules §3.2)."),
        ["3.2", "3.3"]
    );
    assert_eq!(
        doc_files("see `docs/security-model.md`, ../shared/docs/x.md and docs/README.md."),
        ["docs/security-model.md", "docs/README.md"]
    );
}
