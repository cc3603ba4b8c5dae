//! Master key versions (store tables `master_keys`, `master_key_epoch`, schema V4).
//!
//! Version 1 is the key the source gives (key file, passphrase, shares). `kmsd master-key
//! rotate` adds version n+1: 32 random bytes wrapped with AES-256-GCM under
//! `HKDF-SHA256(source key, "kmsd keyring v1")` (AAD: the version), so every daemon that holds
//! the source key can open it. Blobs are then rewrapped to it; when none is left under an older
//! version, the versions below it are erased: their rows deleted, and `erased_below` raised so
//! that no vault derives or accepts them again (version 1 has no row: being the source key, it
//! is refused rather than deleted).

use crate::error::{Error, Result};
use crate::store::db::{params, Db};
use crate::vault::{kek_of, Vault};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::Zeroizing;

const KEYRING_INFO: &[u8] = b"kmsd keyring v1";

/// The master key versions of a store.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Keyring {
    /// Versions below this are erased.
    pub erased_below: u32,
    /// Versions from 2 on, with their wrapped keys, oldest first.
    pub versions: Vec<(u32, Vec<u8>)>,
}

impl Keyring {
    /// The newest version (1 when there was no rotation).
    pub fn newest(&self) -> u32 {
        self.versions.last().map_or(1, |(v, _)| *v)
    }
}

/// Reads the keyring.
pub fn read(conn: &Db<'_>) -> Result<Keyring> {
    let erased_below: u32 = conn
        .query_opt(
            "SELECT erased_below FROM master_key_epoch WHERE id = 1",
            params![],
            |r| r.get(0),
        )?
        .unwrap_or(1);
    let versions = conn.query_all(
        "SELECT version, wrapped FROM master_keys ORDER BY version",
        params![],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(Keyring {
        erased_below,
        versions,
    })
}

fn wrapping_cipher(root: &[u8]) -> Result<Aes256Gcm> {
    let k = crate::vault::hkdf_sha256(root, KEYRING_INFO)?;
    Aes256Gcm::new_from_slice(k.as_ref()).map_err(|_| Error::Internal("keyring key length".into()))
}

fn version_aad(version: u32) -> Vec<u8> {
    let mut aad = b"kmsd master key version ".to_vec();
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

/// The vault of `root` with every version of `ring` not erased.
pub fn vault(root: &[u8], ring: &Keyring) -> Result<Vault> {
    let mut keks = Vec::new();
    if ring.erased_below <= 1 {
        keks.push((1, kek_of(root)?));
    }
    let cipher = wrapping_cipher(root)?;
    for (version, wrapped) in ring
        .versions
        .iter()
        .filter(|(v, _)| *v >= ring.erased_below)
    {
        if wrapped.len() < 12 + 16 {
            return Err(Error::IntegrityFailure(format!(
                "master key version {version}: malformed"
            )));
        }
        let mk = cipher
            .decrypt(
                Nonce::from_slice(&wrapped[..12]),
                Payload {
                    msg: &wrapped[12..],
                    aad: &version_aad(*version),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| {
                Error::IntegrityFailure(format!(
                    "master key version {version} does not open with this master key"
                ))
            })?;
        keks.push((*version, kek_of(&mk)?));
    }
    Vault::from_versions(keks)
}

/// Adds master key version `version` (random), wrapped under `root`.
pub fn add_version(conn: &Db<'_>, root: &[u8], version: u32) -> Result<()> {
    let mk = crate::crypto::rng::secret::<32>()?;
    let mut nonce = [0u8; 12];
    crate::crypto::rng::fill(&mut nonce)?;
    let ct = wrapping_cipher(root)?
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: mk.as_ref(),
                aad: &version_aad(version),
            },
        )
        .map_err(|_| Error::Internal("wrapping a master key version".into()))?;
    let mut wrapped = nonce.to_vec();
    wrapped.extend_from_slice(&ct);
    conn.execute(
        "INSERT INTO master_keys (version, wrapped, created_at) VALUES (?1, ?2, ?3)",
        params![version, wrapped, crate::clock::now_ms()],
    )?;
    Ok(())
}

/// Erases every version below `version`.
pub fn erase_below(conn: &Db<'_>, version: u32) -> Result<()> {
    conn.execute(
        "DELETE FROM master_keys WHERE version < ?1",
        params![version],
    )?;
    conn.execute(
        "UPDATE master_key_epoch SET erased_below = ?1 WHERE id = 1",
        params![version],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_open_and_erased_ones_do_not() {
        let (_scratch, store) = crate::store::testing::fresh();
        let root = [9u8; 32];
        let v1 = vault(&root, &store.read(read).unwrap()).unwrap();
        assert_eq!(v1.current_version(), 1);
        let old = v1.seal(b"aad", b"material").unwrap();
        store.tx(|c| add_version(c, &root, 2)).unwrap();
        let ring = store.read(read).unwrap();
        assert_eq!(ring.newest(), 2);
        let v2 = vault(&root, &ring).unwrap();
        assert_eq!(v2.current_version(), 2);
        let new = v2.seal(b"aad", b"material").unwrap();
        assert_eq!(crate::vault::blob_version(&new), Some(2));
        assert_eq!(v2.open(b"aad", &old).unwrap().as_slice(), b"material");
        // Another source key cannot open version 2.
        assert!(vault(&[1u8; 32], &ring).is_err());
        store.tx(|c| erase_below(c, 2)).unwrap();
        let v = vault(&root, &store.read(read).unwrap()).unwrap();
        assert!(v.open(b"aad", &old).is_err(), "version 1 erased");
        assert_eq!(v.open(b"aad", &new).unwrap().as_slice(), b"material");
    }
}
