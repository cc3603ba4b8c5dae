//! `kmsd master-key rotate --config FILE [--batch N] [--pause-ms MS]`.

use crate::config::Config;
use crate::error::Result;
use crate::vault::rotate::{rotate, Options};
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Master key subcommands.
#[derive(Debug, Subcommand)]
pub enum MasterKeyCommand {
    /// Make a new master key version and rewrap every key to it while kmsd serves; run again
    /// after a crash to finish. The old version is erased once nothing uses it.
    Rotate {
        /// kmsd.toml
        #[arg(long)]
        config: PathBuf,
        /// Keys rewrapped per store transaction.
        #[arg(long, default_value_t = 100)]
        batch: usize,
        /// Pause between batches, milliseconds (to spare a busy store).
        #[arg(long, default_value_t = 0)]
        pause_ms: u64,
    },
}

/// A one-line progress bar on stderr.
fn bar(done: u64, total: u64) {
    let pct = (done * 100).checked_div(total).unwrap_or(100);
    let filled = usize::try_from(pct / 5).unwrap_or(20);
    eprint!(
        "\rrewrapping [{}{}] {pct:3}% ({done}/{total})",
        "#".repeat(filled),
        " ".repeat(20 - filled.min(20))
    );
    let _ = std::io::stderr().flush();
}

/// Runs a master-key subcommand.
pub fn run(cmd: &MasterKeyCommand) -> Result<()> {
    let MasterKeyCommand::Rotate {
        config,
        batch,
        pause_ms,
    } = cmd;
    let cfg = Config::load(config)?;
    let svc = crate::cli::unseal::open_services_unsealed(&cfg)?;
    let opts = Options {
        batch: *batch,
        pause: Duration::from_millis(*pause_ms),
    };
    let out = rotate(&svc.store, &svc.vault, opts, bar)?;
    eprintln!();
    println!(
        "{} master key version {}: {} blob(s) rewrapped; older versions erased",
        if out.resumed {
            "finished the rotation to"
        } else {
            "rotated to"
        },
        out.version,
        out.rewrapped
    );
    Ok(())
}
