//! The sealed state of a running kmsd ([`VaultSlot`]) and the slot it starts with.
//!
//! kmsd starts unsealed only when its master key source is a key file. With a passphrase or
//! shares it starts sealed: the vault slot is empty, every API route but health answers 503
//! `sealed`, and nothing is decrypted until `kmsd unseal` delivers enough ([`super::unseal`]).

use super::keyring;
use super::source::Record;
use super::Vault;
use crate::config::{Config, MasterKeySource};
use crate::error::{Error, Result};
use parking_lot::{Mutex, RwLock};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zeroize::Zeroizing;

/// The vault of a running kmsd, empty while sealed. Seal/open fail with [`Error::Sealed`] then.
///
/// Once unsealed it keeps the source key, so that it can follow the store's master key versions
/// ([`keyring`]) while `kmsd master-key rotate` runs in another process: every seal first checks
/// (two small queries on its own read connection) that it uses the newest version, and a blob of
/// a version it does not hold makes it re-read the keyring once.
#[derive(Default)]
pub struct VaultSlot {
    current: RwLock<Option<Arc<Vault>>>,
    root: Mutex<Option<Zeroizing<Vec<u8>>>>,
    /// The store whose keyring to follow, and a read connection to it.
    keyring_db: Option<PathBuf>,
    conn: Mutex<Option<crate::store::Reader>>,
    /// (newest version, erased_below) the current vault was built from.
    built_from: Mutex<(u32, u32)>,
}

impl std::fmt::Debug for VaultSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VaultSlot({:?})", self.current.read())
    }
}

impl From<Vault> for VaultSlot {
    fn from(v: Vault) -> Self {
        VaultSlot {
            current: RwLock::new(Some(Arc::new(v))),
            ..VaultSlot::default()
        }
    }
}

impl VaultSlot {
    /// An empty (sealed) slot that follows no keyring.
    pub fn sealed() -> VaultSlot {
        VaultSlot::default()
    }

    /// An empty (sealed) slot for the store at `store`, whose keyring it follows once unsealed.
    pub fn for_store(store: &Path) -> VaultSlot {
        VaultSlot {
            keyring_db: Some(store.to_path_buf()),
            ..VaultSlot::default()
        }
    }

    /// True until a vault is installed.
    pub fn is_sealed(&self) -> bool {
        self.current.read().is_none()
    }

    /// Installs a vault as is (no keyring).
    pub fn install(&self, v: Vault) {
        *self.current.write() = Some(Arc::new(v));
    }

    /// Unseals with the source key `root`: the vault of every master key version of the store.
    pub fn install_root(&self, root: &[u8]) -> Result<()> {
        *self.root.lock() = Some(Zeroizing::new(root.to_vec()));
        self.refresh(true)
    }

    /// Runs `f` with the source key (for adding a master key version).
    pub fn with_root<T>(&self, f: impl FnOnce(&[u8]) -> Result<T>) -> Result<T> {
        match self.root.lock().as_ref() {
            Some(root) => f(root),
            None => Err(Error::Sealed),
        }
    }

    fn read_keyring(&self, path: &Path) -> Result<keyring::Keyring> {
        let mut conn = self.conn.lock();
        if conn.is_none() {
            *conn = Some(crate::store::Reader::open(path)?);
        }
        match conn.as_ref() {
            Some(c) => c.read(keyring::read),
            None => Err(Error::Internal("keyring connection".into())),
        }
    }

    /// Re-reads the keyring and rebuilds the vault when it changed (always with `force`).
    pub fn refresh(&self, force: bool) -> Result<()> {
        let Some(root) = self.root.lock().clone() else {
            return Ok(());
        };
        let ring = match &self.keyring_db {
            Some(path) => self.read_keyring(path)?,
            None => keyring::Keyring::default(),
        };
        let key = (ring.newest(), ring.erased_below);
        let mut built = self.built_from.lock();
        if force || *built != key {
            self.install(keyring::vault(&root, &ring)?);
            *built = key;
        }
        Ok(())
    }

    fn get(&self) -> Result<Arc<Vault>> {
        self.current.read().clone().ok_or(Error::Sealed)
    }

    /// [`Vault::seal`] with the newest master key version, or [`Error::Sealed`].
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        self.get()?;
        self.refresh(false)?;
        self.get()?.seal(aad, plaintext)
    }

    /// [`Vault::open`], or [`Error::Sealed`].
    pub fn open(&self, aad: &[u8], blob: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let vault = self.get()?;
        if !vault.has_version_of(blob) {
            self.refresh(false)?;
            return self.get()?.open(aad, blob);
        }
        vault.open(aad, blob)
    }
}

/// The vault slot `cfg` starts with (the store must exist and be migrated): filled from the key
/// file, or sealed with the record that will unseal it (which must exist and parse).
pub fn open(cfg: &Config) -> Result<(VaultSlot, Option<Record>)> {
    match cfg.master_key.source {
        MasterKeySource::File => {
            let slot = VaultSlot::for_store(&cfg.store);
            slot.install_root(&super::read_master_key_file(&cfg.master_key_file)?)?;
            Ok((slot, None))
        }
        MasterKeySource::Passphrase | MasterKeySource::Shares => {
            let record = load_record(cfg)?;
            Ok((VaultSlot::for_store(&cfg.store), Some(record)))
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
