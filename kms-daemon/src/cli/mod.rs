//! The command line: one file per subcommand.

pub mod audit;
pub mod backup;
pub mod check_config;
pub mod docs;
pub mod init;
pub mod key;
pub mod master_key;
pub mod quickstart;
pub mod secret_input;
pub mod serve;
pub mod token;
pub mod unseal;
pub mod view;

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// `kmsd`: the key-management daemon behind libkms_pkcs11.so.
#[derive(Debug, Parser)]
#[command(name = "kmsd", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the SQLite store and the master key named by the config: a key file, a key
    /// wrapped under a passphrase (read from stdin), or shares (printed once).
    Init {
        /// kmsd.toml
        #[arg(long)]
        config: PathBuf,
        /// With `[master_key] source = "shares"`: how many shares to make.
        #[arg(long, requires = "threshold")]
        shares: Option<u8>,
        /// With `[master_key] source = "shares"`: how many shares unseal kmsd.
        #[arg(long, requires = "shares")]
        threshold: Option<u8>,
    },
    /// Unseal a running kmsd: the passphrase, or shares one at a time, read from stdin.
    Unseal {
        /// kmsd.toml
        #[arg(long)]
        config: PathBuf,
    },
    /// Serve the HTTPS API.
    Serve {
        /// kmsd.toml
        #[arg(long)]
        config: PathBuf,
        /// Listen address (overrides the config).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Check a configuration: files, permissions, certificates, store, addresses. Prints each
    /// problem with its fix; exits non-zero if there is any.
    CheckConfig {
        /// kmsd.toml
        #[arg(long)]
        config: PathBuf,
    },
    /// Make (or reuse) a development setup in DIR and serve it in the foreground.
    Quickstart(quickstart::Args),
    /// Manage tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Administer keys: state, destruction, policy.
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Write an encrypted, integrity-protected copy of the store (online; the backup
    /// passphrase is read from stdin).
    Backup {
        /// kmsd.toml
        #[arg(long)]
        config: PathBuf,
        /// The backup file to create.
        #[arg(long)]
        out: PathBuf,
    },
    /// Put a backup in place of the store (stop kmsd first; the backup passphrase is read from
    /// stdin).
    Restore {
        /// kmsd.toml
        #[arg(long)]
        config: PathBuf,
        /// The backup file.
        #[arg(long = "in")]
        input: PathBuf,
        /// Replace an existing store.
        #[arg(long)]
        force: bool,
    },
    /// Rotate the master key.
    #[command(subcommand)]
    MasterKey(master_key::MasterKeyCommand),
    /// Work with the audit trail.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Write the manual pages (kmsd.1 and one per subcommand) and the bash and zsh completions,
    /// as the packages install them.
    #[command(hide = true)]
    Docs(docs::Args),
}

/// Runs a parsed command line; errors are printed to stderr.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Init {
            config,
            shares,
            threshold,
        } => init::run(
            &config,
            shares
                .zip(threshold)
                .map(|(shares, threshold)| init::Split { shares, threshold }),
        ),
        Command::Unseal { config } => unseal::run(&config),
        Command::Backup { config, out } => backup::run_backup(&config, &out),
        Command::Restore {
            config,
            input,
            force,
        } => backup::run_restore(&config, &input, force),
        Command::Serve { config, listen } => serve::run(&config, listen),
        Command::Quickstart(args) => quickstart::run(&args),
        Command::Token(cmd) => token::run(&cmd),
        Command::Key(cmd) => key::run(&cmd),
        Command::MasterKey(cmd) => master_key::run(&cmd),
        Command::Audit(cmd) => return audit::run(&cmd),
        Command::Docs(args) => docs::run(&args),
        Command::CheckConfig { config } => return check_config::run(&config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kmsd: {e}");
            ExitCode::FAILURE
        }
    }
}
