//! `kmsd token create|list|delete`.

use crate::auth::tokens::{create_token, token_info};
use crate::config::Config;
use crate::error::Result;
use crate::state::Services;
use crate::store::{tokens, Store};
use clap::Subcommand;
use std::path::PathBuf;
use zeroize::Zeroizing;

/// Token subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token with its user and SO PINs.
    Create {
        /// kmsd.toml
        #[arg(long)]
        config: PathBuf,
        /// Token label (1..=32 bytes).
        #[arg(long)]
        label: String,
        /// User PIN (4..=64 bytes).
        #[arg(long)]
        user_pin: String,
        /// SO PIN (4..=64 bytes).
        #[arg(long)]
        so_pin: String,
    },
    /// List tokens.
    List {
        /// kmsd.toml
        #[arg(long)]
        config: PathBuf,
    },
    /// Delete a token with its objects and logins; refused while one of its keys still has
    /// material (destroy them first).
    Delete {
        /// kmsd.toml
        #[arg(long)]
        config: PathBuf,
        /// Token label.
        #[arg(long)]
        label: String,
    },
}

/// Runs a token subcommand.
pub fn run(cmd: &TokenCommand) -> Result<()> {
    match cmd {
        TokenCommand::Create {
            config,
            label,
            user_pin,
            so_pin,
        } => {
            let cfg = Config::load(config)?;
            let store = Store::open(&cfg.store)?;
            let (user, so) = (
                Zeroizing::new(user_pin.clone()),
                Zeroizing::new(so_pin.clone()),
            );
            let row = create_token(&store, label, user.as_bytes(), so.as_bytes())?;
            println!("created token {} (serial {})", row.label, row.serial);
        }
        TokenCommand::List { config } => {
            let cfg = Config::load(config)?;
            let store = Store::open(&cfg.store)?;
            for row in store.read(tokens::list)? {
                let info = token_info(&row, cfg.auth.max_pin_failures);
                println!(
                    "{}\tserial={}\tuser_failures={}\tuser_locked={}\tso_failures={}",
                    info.label,
                    info.serial,
                    row.user_failures,
                    info.user_pin_locked,
                    row.so_failures
                );
            }
        }
        TokenCommand::Delete { config, label } => {
            let cfg = Config::load(config)?;
            let n = crate::keys::admin::delete_token(&Services::open(&cfg)?, label)?;
            println!("deleted token {label} ({n} objects)");
        }
    }
    Ok(())
}
