//! `kmsd init --config FILE`: creates the store and the master key file.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::vault::Vault;
use std::path::Path;

/// Creates the store (schema from version 1) and a new master key (32 random bytes, 0600).
/// Refuses to overwrite either.
pub fn init(cfg: &Config) -> Result<()> {
    if cfg.master_key_file.exists() {
        return Err(Error::Config(format!(
            "master key file {} already exists; refusing to overwrite it",
            cfg.master_key_file.display()
        )));
    }
    Store::create(&cfg.store)?;
    Vault::create_master_key_file(&cfg.master_key_file)
}

/// The subcommand.
pub fn run(config: &Path) -> Result<()> {
    let cfg = Config::load(config)?;
    init(&cfg)?;
    println!(
        "created store {} and master key {}",
        cfg.store.display(),
        cfg.master_key_file.display()
    );
    Ok(())
}
