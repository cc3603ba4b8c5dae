//! `kmsd audit verify`: recomputes the hash chain.

use crate::audit::{verify, Verdict};
use crate::config::Config;
use crate::store::Store;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

/// Audit subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the chain; exit 1 naming the first bad record.
    Verify {
        /// kmsd.toml
        #[arg(long)]
        config: PathBuf,
    },
}

/// Runs an audit subcommand: 0 when the chain is intact, 1 when broken or unreadable.
pub fn run(cmd: &AuditCommand) -> ExitCode {
    let AuditCommand::Verify { config } = cmd;
    let verdict = Config::load(config)
        .and_then(|cfg| Store::open(&cfg.store))
        .and_then(|s| s.read(verify));
    match verdict {
        Ok(Verdict::Ok { records }) => {
            println!("audit chain OK: {records} records");
            ExitCode::SUCCESS
        }
        Ok(Verdict::Broken { seq, reason }) => {
            println!("audit chain BROKEN at record seq={seq}: {reason}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("kmsd: {e}");
            ExitCode::FAILURE
        }
    }
}
