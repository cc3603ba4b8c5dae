//! Named fuzz seeds: made in memory by a seed test, then compared with the files of a seeds
//! directory (`<crate>/fuzz/seeds/<target>/`), or written there when `KMS_WRITE_FUZZ_SEEDS` is
//! set ([`check_targets`]). Used by the `fuzz_seeds` tests of kms-daemon and pkcs11-module.
//!
//! A file named `kept-…` is an input kept by hand (one a generator cannot make, taken from a
//! fuzzing corpus and named for what it reaches): it is counted, never written or removed.

use std::collections::BTreeMap;
use std::path::Path;

/// Set to write the seeds instead of comparing them.
pub const WRITE_ENV: &str = "KMS_WRITE_FUZZ_SEEDS";
/// The name prefix of inputs kept by hand.
pub const KEPT_PREFIX: &str = "kept-";
/// How many seeds a target has, kept ones included.
pub const COUNT: std::ops::RangeInclusive<usize> = 20..=50;
/// The largest seed: seeds are small, the corpus grows elsewhere.
pub const MAX_LEN: usize = 16 * 1024;

/// The seeds of one target, by name.
#[derive(Default)]
pub struct Seeds {
    seeds: BTreeMap<String, Vec<u8>>,
}

impl Seeds {
    /// Adds a seed. Names are lowercase words joined by `-` and say what the input exercises.
    pub fn add(&mut self, name: &str, bytes: Vec<u8>) {
        assert!(
            !name.is_empty()
                && !name.starts_with(KEPT_PREFIX)
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "seed name {name:?}"
        );
        assert!(bytes.len() <= MAX_LEN, "seed {name}: {} bytes", bytes.len());
        assert!(
            self.seeds.insert(name.to_owned(), bytes).is_none(),
            "seed {name} made twice"
        );
    }

    /// Compares the directory with the seeds (or writes them, with [`WRITE_ENV`]); returns one
    /// line per problem.
    pub fn check_or_write(&self, dir: &Path) -> Vec<String> {
        let write = std::env::var_os(WRITE_ENV).is_some();
        if write {
            std::fs::create_dir_all(dir).unwrap();
        }
        let mut on_disk = BTreeMap::new();
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries {
                let e = e.unwrap();
                let name = e.file_name().into_string().unwrap();
                on_disk.insert(name, std::fs::read(e.path()).unwrap());
            }
        }
        let mut problems = Vec::new();
        let kept = on_disk
            .keys()
            .filter(|n| n.starts_with(KEPT_PREFIX))
            .count();
        let total = self.seeds.len() + kept;
        if !COUNT.contains(&total) {
            problems.push(format!("{}: {total} seeds, want {COUNT:?}", dir.display()));
        }
        for (name, bytes) in &self.seeds {
            if on_disk.get(name) != Some(bytes) {
                if write {
                    std::fs::write(dir.join(name), bytes).unwrap();
                } else {
                    problems.push(format!("{}/{name}: missing or stale", dir.display()));
                }
            }
        }
        for name in on_disk.keys() {
            if !name.starts_with(KEPT_PREFIX) && !self.seeds.contains_key(name) {
                if write {
                    std::fs::remove_file(dir.join(name)).unwrap();
                } else {
                    problems.push(format!(
                        "{}/{name}: not made by the seed test (name an input kept by hand \
                         {KEPT_PREFIX}…)",
                        dir.display()
                    ));
                }
            }
        }
        problems
    }
}

/// Writes the seeds of one target.
pub type Make = fn(&mut Seeds);

/// Makes the seeds of each `(target, make)` and compares them with `<crate_dir>/fuzz/seeds/<target>/`
/// (or writes them, with [`WRITE_ENV`]); fails naming every stale, missing or unknown seed and
/// the command that rewrites them for `package`.
pub fn check_targets(crate_dir: &Path, package: &str, targets: &[(&str, Make)]) {
    let seeds = crate_dir.join("fuzz").join("seeds");
    let mut problems = Vec::new();
    for (target, make) in targets {
        let mut s = Seeds::default();
        make(&mut s);
        problems.extend(s.check_or_write(&seeds.join(target)));
    }
    assert!(
        problems.is_empty(),
        "{}\n(rewrite with: {WRITE_ENV}=1 cargo test --release -p {package} --test fuzz_seeds)",
        problems.join("\n")
    );
}
