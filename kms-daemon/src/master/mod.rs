//! The master key: where it comes from ([`source`]), Shamir shares ([`shamir`]), and the sealed
//! state of a running kmsd ([`VaultSlot`]) with the local unseal socket ([`unseal`]).
//!
//! kmsd starts unsealed only when its source is a key file. With a passphrase or shares it
//! starts sealed: the vault slot is empty, every API route but health answers 503 `sealed`, and
//! nothing is decrypted until `kmsd unseal` delivers enough over the unseal socket.

pub mod shamir;
pub mod source;
pub mod unseal;

use crate::config::{Config, MasterKeySource};
use crate::error::{Error, Result};
use crate::vault::Vault;
use parking_lot::RwLock;
use source::Record;
use std::path::PathBuf;
use std::sync::Arc;
use zeroize::Zeroizing;

/// The vault of a running kmsd, empty while sealed. Seal/open fail with [`Error::Sealed`] then.
#[derive(Debug, Default)]
pub struct VaultSlot {
    current: RwLock<Option<Arc<Vault>>>,
}

impl From<Vault> for VaultSlot {
    fn from(v: Vault) -> Self {
        VaultSlot {
            current: RwLock::new(Some(Arc::new(v))),
        }
    }
}

impl VaultSlot {
    /// An empty (sealed) slot.
    pub fn sealed() -> VaultSlot {
        VaultSlot::default()
    }

    /// True until a vault is installed.
    pub fn is_sealed(&self) -> bool {
        self.current.read().is_none()
    }

    /// Installs the vault: kmsd is unsealed from now on.
    pub fn install(&self, v: Vault) {
        *self.current.write() = Some(Arc::new(v));
    }

    fn get(&self) -> Result<Arc<Vault>> {
        self.current.read().clone().ok_or(Error::Sealed)
    }

    /// [`Vault::seal`], or [`Error::Sealed`].
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        self.get()?.seal(aad, plaintext)
    }

    /// [`Vault::open`], or [`Error::Sealed`].
    pub fn open(&self, aad: &[u8], blob: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        self.get()?.open(aad, blob)
    }
}

/// The vault slot `cfg` starts with: filled from the key file, or sealed with the record that
/// will unseal it (which must exist and parse).
pub fn open(cfg: &Config) -> Result<(VaultSlot, Option<Record>)> {
    match cfg.master_key.source {
        MasterKeySource::File => Ok((Vault::load(&cfg.master_key_file)?.into(), None)),
        MasterKeySource::Passphrase | MasterKeySource::Shares => {
            let record = load_record(cfg)?;
            Ok((VaultSlot::sealed(), Some(record)))
        }
    }
}

/// The record of `master_key_file`, checked against `[master_key] source`.
pub fn load_record(cfg: &Config) -> Result<Record> {
    let record = Record::load(&cfg.master_key_file)?;
    let matches = matches!(
        (&record, cfg.master_key.source),
        (Record::Passphrase { .. }, MasterKeySource::Passphrase)
            | (Record::Shares { .. }, MasterKeySource::Shares)
    );
    if !matches {
        return Err(Error::Config(format!(
            "{} does not hold a {:?} master key record, as [master_key] source says",
            cfg.master_key_file.display(),
            cfg.master_key.source
        )));
    }
    Ok(record)
}

/// The unseal socket: next to the store, `<store>.unseal.sock`.
pub fn unseal_socket_path(cfg: &Config) -> PathBuf {
    let mut name = cfg.store.as_os_str().to_owned();
    name.push(".unseal.sock");
    PathBuf::from(name)
}
