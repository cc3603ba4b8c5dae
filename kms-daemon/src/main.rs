//! `kmsd`: parses the command line and dispatches to [`kms_daemon::cli`].

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = kms_daemon::cli::Cli::parse();
    kms_daemon::cli::run(cli)
}
