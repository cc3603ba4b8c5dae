//! Skipped tests, counted: a test that cannot run here (a client program not installed, a
//! PostgreSQL-only or SQLite-only test on the other store) calls [`skipped`] and returns. The
//! reason is printed and, when `KMS_TEST_SKIP_LOG` ([`SKIP_LOG_ENV`]) names a file, appended to
//! it as one line `<test binary>::<test>: <reason>`, so that `.ci/test-all` can say how many
//! tests skipped and which, instead of counting them as passed.

use std::io::Write;

/// The environment variable naming the file skips are appended to.
pub const SKIP_LOG_ENV: &str = "KMS_TEST_SKIP_LOG";

/// Records that the running test skips, and `why`.
pub fn skipped(why: &str) {
    let log = std::env::var_os(SKIP_LOG_ENV).filter(|p| !p.is_empty());
    record(log.as_deref().map(std::path::Path::new), why);
}

fn record(log: Option<&std::path::Path>, why: &str) {
    let test = std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .unwrap_or("(test)")
        .to_owned();
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .map(|s| match s.rsplit_once('-') {
            Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name.to_owned(),
            _ => s,
        })
        .unwrap_or_default();
    let line = format!("{binary}::{test}: {why}");
    eprintln!("skipped: {line}");
    if let Some(path) = log {
        // One write of one line, appended: lines of tests running in parallel do not mix.
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
        if let Err(e) = written {
            panic!("cannot record a skip in {}: {e}", path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_skip_is_one_line_naming_the_binary_and_the_test() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("skips");
        super::record(Some(&log), "first reason");
        super::record(Some(&log), "second");
        let text = std::fs::read_to_string(&log).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let me = "skip::tests::each_skip_is_one_line_naming_the_binary_and_the_test";
        assert_eq!(
            lines,
            [
                format!("kms_testkit::{me}: first reason"),
                format!("kms_testkit::{me}: second")
            ]
        );
    }
}
