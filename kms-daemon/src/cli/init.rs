//! `kmsd init --config FILE [--shares N --threshold K]`: creates the store and the master key,
//! kept as `[master_key] source` says.

use crate::config::{Config, MasterKeySource};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::vault::source::Record;
use crate::vault::Vault;
use std::path::Path;

/// How to split the master key for `source = "shares"`.
#[derive(Clone, Copy, Debug)]
pub struct Split {
    /// Shares to make (n).
    pub shares: u8,
    /// Shares needed to unseal (k).
    pub threshold: u8,
}

/// Creates the store (schema from version 1) and a new master key (32 random bytes, 0600).
/// Refuses to overwrite either.
pub fn init(cfg: &Config) -> Result<()> {
    refuse_existing(cfg)?;
    Store::create(&cfg.store)?;
    Vault::create_master_key_file(&cfg.master_key_file)
}

fn refuse_existing(cfg: &Config) -> Result<()> {
    if cfg.master_key_file.exists() {
        return Err(Error::Config(format!(
            "master key file {} already exists; refusing to overwrite it",
            cfg.master_key_file.display()
        )));
    }
    Ok(())
}

fn read_new_passphrase() -> Result<zeroize::Zeroizing<String>> {
    let first = crate::cli::secret_input::read_secret_line("new master key passphrase: ")?
        .ok_or_else(|| Error::Config("no passphrase on stdin".into()))?;
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        let again = crate::cli::secret_input::read_secret_line("repeat the passphrase: ")?
            .ok_or_else(|| Error::Config("no passphrase on stdin".into()))?;
        if *again != *first {
            return Err(Error::Config("the two passphrases differ".into()));
        }
    }
    Ok(first)
}

/// The subcommand. The passphrase is read from stdin; shares are printed on stdout, once.
pub fn run(config: &Path, split: Option<Split>) -> Result<()> {
    let cfg = Config::load(config)?;
    let source = cfg.master_key.source;
    match (source, split) {
        (MasterKeySource::File, None) => init(&cfg)?,
        (MasterKeySource::Passphrase, None) => {
            refuse_existing(&cfg)?;
            let pass = read_new_passphrase()?;
            let mk = crate::crypto::rng::secret::<32>()?;
            let record = Record::wrap_with_passphrase(mk.as_ref(), pass.as_bytes())?;
            Store::create(&cfg.store)?;
            record.write(&cfg.master_key_file)?;
        }
        (MasterKeySource::Shares, Some(split)) => {
            refuse_existing(&cfg)?;
            let mk = crate::crypto::rng::secret::<32>()?;
            let (record, shares) =
                Record::split_into_shares(mk.as_ref(), split.threshold, split.shares)?;
            Store::create(&cfg.store)?;
            record.write(&cfg.master_key_file)?;
            println!(
                "master key split into {} shares; any {} unseal kmsd. They are shown once: give \
                 each to its holder now.",
                split.shares, split.threshold
            );
            for s in &shares {
                println!("share {}: {}", s.x, s.to_text().as_str());
            }
        }
        (MasterKeySource::Shares, None) => {
            return Err(Error::Config(
                "[master_key] source = \"shares\" needs --shares N --threshold K".into(),
            ))
        }
        (_, Some(_)) => {
            return Err(Error::Config(
                "--shares and --threshold are for [master_key] source = \"shares\"".into(),
            ))
        }
    }
    println!(
        "created store {} and master key {} (source {:?})",
        crate::config::store::Location::of(&cfg.store).describe(),
        cfg.master_key_file.display(),
        source
    );
    Ok(())
}
