//! `kmsd check-config --config FILE`: every problem of a configuration, each with its fix
//! ([`crate::preflight`]), on stdout; exit status 1 if there is any. `kmsd serve` refuses to
//! start on the same problems with the same messages.

use crate::config::Config;
use crate::preflight::{self, Bind, Problem};
use std::path::Path;
use std::process::ExitCode;

/// The problems of the configuration at `path`, binding the listen addresses to see that they
/// are free.
pub fn problems(path: &Path) -> Vec<Problem> {
    match Config::load(path) {
        Ok(cfg) => preflight::check(&cfg, path, Bind::Try),
        Err(e) => vec![Problem {
            what: e.to_string(),
            fix: format!(
                "correct {} (see README: The daemon: kmsd.toml)",
                path.display()
            ),
        }],
    }
}

/// The subcommand.
pub fn run(path: &Path) -> ExitCode {
    let found = problems(path);
    if found.is_empty() {
        println!("{}: no problems found", path.display());
        return ExitCode::SUCCESS;
    }
    for p in &found {
        println!("{p}");
    }
    println!("{} problem(s) found in {}", found.len(), path.display());
    ExitCode::FAILURE
}
