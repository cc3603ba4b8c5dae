//! `kmsd token create|list|admit|reset-so-pin|delete`.

use super::secret_input::{read_pin, PinSource};
use crate::auth::identity::canonical_list;
use crate::auth::tokens::{create_token, reset_so_pin, set_admission, token_info};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::state::Services;
use crate::store::{tokens, Store};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use zeroize::Zeroizing;

/// Which client identities a token admits: a list, or all of them (one of the two is required).
#[derive(Debug, Args)]
pub struct Admission {
    /// A client identity the token admits: the subject DN of its certificate (RFC 4514, e.g.
    /// "CN=app1,O=Example"); repeat for more. Other identities do not see the token.
    #[arg(long, value_name = "SUBJECT", required_unless_present = "allow_any")]
    allow: Vec<String>,
    /// Admit every identity the client CA certifies (no admission check).
    #[arg(long, conflicts_with = "allow")]
    allow_any: bool,
}

impl Admission {
    /// The canonical list, or `None` for any identity.
    fn list(&self) -> Result<Option<Vec<String>>> {
        if self.allow_any {
            return Ok(None);
        }
        canonical_list(&self.allow, "--allow").map(Some)
    }
}

/// Token subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token with its user and SO PINs and the identities it admits.
    Create {
        /// kmsd.toml
        #[arg(long)]
        config: PathBuf,
        /// Token label (1..=32 bytes).
        #[arg(long)]
        label: String,
        /// User PIN (4..=64 bytes) on the command line, visible in `ps`: prefer --user-pin-from.
        #[arg(long, required_unless_present = "user_pin_from")]
        user_pin: Option<String>,
        /// Where to read the user PIN: env:NAME, file:PATH (mode 0600) or stdin.
        #[arg(long, value_name = "SOURCE", conflicts_with = "user_pin")]
        user_pin_from: Option<PinSource>,
        /// SO PIN (4..=64 bytes) on the command line, visible in `ps`: prefer --so-pin-from.
        #[arg(long, required_unless_present = "so_pin_from")]
        so_pin: Option<String>,
        /// Where to read the SO PIN: env:NAME, file:PATH (mode 0600) or stdin (after the
        /// user PIN's line when both come from stdin).
        #[arg(long, value_name = "SOURCE", conflicts_with = "so_pin")]
        so_pin_from: Option<PinSource>,
        #[command(flatten)]
        admission: Admission,
    },
    /// List tokens, with their PIN counters and the identities they admit.
    List {
        /// kmsd.toml
        #[arg(long)]
        config: PathBuf,
    },
    /// Change which client identities a token admits; the login sessions of identities it no
    /// longer admits end.
    Admit {
        /// kmsd.toml
        #[arg(long)]
        config: PathBuf,
        /// Token label.
        #[arg(long)]
        label: String,
        #[command(flatten)]
        admission: Admission,
    },
    /// Give a token a new SO PIN and clear its SO failure counter (the way back from an SO PIN
    /// lockout); open SO sessions end. Audited.
    ResetSoPin {
        /// kmsd.toml
        #[arg(long)]
        config: PathBuf,
        /// Token label.
        #[arg(long)]
        label: String,
        /// Where to read the new SO PIN: env:NAME, file:PATH (mode 0600) or stdin (default).
        #[arg(long, value_name = "SOURCE", default_value = "stdin")]
        so_pin_from: PinSource,
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

fn required(pin: Option<Zeroizing<String>>, what: &str) -> Result<Zeroizing<String>> {
    pin.ok_or_else(|| Error::Config(format!("no {what} given")))
}

fn admits(row: &tokens::TokenRow) -> String {
    match &row.admitted {
        None => "any".to_owned(),
        Some(list) => format!("{list:?}"),
    }
}

/// Runs a token subcommand.
pub fn run(cmd: &TokenCommand) -> Result<()> {
    match cmd {
        TokenCommand::Create {
            config,
            label,
            user_pin,
            user_pin_from,
            so_pin,
            so_pin_from,
            admission,
        } => {
            let admit = admission.list()?;
            let user = required(
                read_pin("user PIN", user_pin_from.as_ref(), user_pin.as_deref())?,
                "user PIN",
            )?;
            let so = required(
                read_pin("SO PIN", so_pin_from.as_ref(), so_pin.as_deref())?,
                "SO PIN",
            )?;
            let cfg = Config::load(config)?;
            let store = Store::open(&cfg.store)?;
            let row = create_token(&store, label, user.as_bytes(), so.as_bytes(), admit)?;
            println!(
                "created token {} (serial {}), admits {}",
                row.label,
                row.serial,
                admits(&row)
            );
        }
        TokenCommand::List { config } => {
            let cfg = Config::load(config)?;
            let store = Store::open(&cfg.store)?;
            for row in store.read(tokens::list)? {
                let info = token_info(&row, cfg.auth.max_pin_failures);
                println!(
                    "{}\tserial={}\tuser_failures={}\tuser_locked={}\tso_failures={}\tso_locked={}\tadmits={}",
                    info.label,
                    info.serial,
                    row.user_failures,
                    info.user_pin_locked,
                    row.so_failures,
                    info.so_pin_locked,
                    admits(&row)
                );
            }
        }
        TokenCommand::Admit {
            config,
            label,
            admission,
        } => {
            let admit = admission.list()?;
            let cfg = Config::load(config)?;
            let store = Store::open(&cfg.store)?;
            let ended = set_admission(&store, label, admit)?;
            println!("token {label} admission changed; {ended} login session(s) ended");
        }
        TokenCommand::ResetSoPin {
            config,
            label,
            so_pin_from,
        } => {
            let pin = required(read_pin("new SO PIN", Some(so_pin_from), None)?, "SO PIN")?;
            let cfg = Config::load(config)?;
            let store = Store::open(&cfg.store)?;
            let ended = reset_so_pin(&store, label, pin.as_bytes())?;
            println!(
                "token {label}: new SO PIN set, SO lockout cleared; {ended} SO session(s) ended"
            );
        }
        TokenCommand::Delete { config, label } => {
            let cfg = Config::load(config)?;
            let n = crate::keys::admin::delete_token(&Services::open(&cfg)?, label)?;
            println!("deleted token {label} ({n} objects)");
        }
    }
    Ok(())
}
