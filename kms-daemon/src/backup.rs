//! Encrypted, integrity-protected backups of the store (`kmsd backup`, `kmsd restore`).
//!
//! The copy is taken with SQLite's online backup API while kmsd serves; key material inside
//! stays sealed under the master key. The whole copy is then encrypted with AES-256-GCM under
//! `argon2id(backup passphrase, salt)`: a passphrase of its own rather than a key from the master
//! key, so that a backup can be made and checked with any master key source (a sealed kmsd, a
//! passphrase or shares held by other people) and a stolen backup needs two secrets before any
//! key is usable. File layout (the header is the AAD, so every byte is authenticated):
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `KMSDBAK\0` |
//! | 4 | format version (1), u32 big-endian |
//! | 12 | argon2id memory KiB, passes, lanes (u32 big-endian each) |
//! | 16 | salt |
//! | 12 | nonce |
//! | rest | ciphertext of the SQLite file ‖ 16-byte tag |

use crate::error::{Error, Result};
use crate::vault::source::{passphrase_cipher, PassphraseCipher, ARGON2_M_KIB, ARGON2_P, ARGON2_T};
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::Nonce;
use std::path::Path;
use zeroize::Zeroizing;

const MAGIC: &[u8; 8] = b"KMSDBAK\0";
const FORMAT_V1: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 12 + 16 + 12;

/// Encrypts a store image under `passphrase`.
pub fn seal(db: &[u8], passphrase: &[u8]) -> Result<Vec<u8>> {
    let fresh = PassphraseCipher::new(passphrase, "backup passphrase")?;
    let mut out = Vec::with_capacity(HEADER_LEN + db.len() + 16);
    out.extend_from_slice(MAGIC);
    for v in [FORMAT_V1, ARGON2_M_KIB, ARGON2_T, ARGON2_P] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(&fresh.salt);
    out.extend_from_slice(&fresh.nonce);
    let ct = fresh
        .cipher
        .encrypt(
            Nonce::from_slice(&fresh.nonce),
            Payload {
                msg: db,
                aad: &out[..HEADER_LEN],
            },
        )
        .map_err(|_| Error::Internal("encrypting the backup".into()))?;
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Decrypts a backup; a wrong passphrase, a changed byte or a truncated file are refused.
pub fn open(file: &[u8], passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let bad = |why: &str| Error::IntegrityFailure(format!("backup file: {why}"));
    if file.len() < HEADER_LEN + 16 || &file[..8] != MAGIC {
        return Err(bad("not a kmsd backup, or truncated"));
    }
    let word = |i: usize| {
        let at = 8 + 4 * i;
        u32::from_be_bytes([file[at], file[at + 1], file[at + 2], file[at + 3]])
    };
    if word(0) != FORMAT_V1 {
        return Err(bad(&format!("format version {} is not supported", word(0))));
    }
    let salt = &file[24..40];
    let nonce = &file[40..HEADER_LEN];
    passphrase_cipher(passphrase, salt, word(1), word(2), word(3))?
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: &file[HEADER_LEN..],
                aad: &file[..HEADER_LEN],
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| {
            bad("authentication failed: wrong passphrase, or the file was changed or truncated")
        })
}

/// A consistent copy of the live store at `store` (SQLite online backup), as bytes.
pub fn snapshot(store: &Path, scratch: &Path) -> Result<Zeroizing<Vec<u8>>> {
    use rusqlite::{Connection, OpenFlags};
    if !store.exists() {
        return Err(Error::Config(format!(
            "store {} does not exist",
            store.display()
        )));
    }
    let src = Connection::open_with_flags(store, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    src.busy_timeout(std::time::Duration::from_secs(5))?;
    let copy = scratch.join("snapshot.db");
    {
        let mut dst = Connection::open(&copy)?;
        rusqlite::backup::Backup::new(&src, &mut dst)?.run_to_completion(
            256,
            std::time::Duration::from_millis(5),
            None,
        )?;
        // One self-contained file: no WAL beside it.
        dst.pragma_update(None, "journal_mode", "DELETE")?;
    }
    let bytes = std::fs::read(&copy).map_err(|e| Error::io("reading the snapshot", e))?;
    Ok(Zeroizing::new(bytes))
}

/// A private scratch directory next to `near` (same file system, mode 0700), removed on drop.
pub fn scratch_dir(near: &Path) -> Result<tempfile::TempDir> {
    let parent = near
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    tempfile::Builder::new()
        .prefix(".kmsd-backup-")
        .tempdir_in(parent)
        .map_err(|e| {
            Error::io(
                format!("creating a scratch directory in {}", parent.display()),
                e,
            )
        })
}

/// Checks that `db` (a decrypted backup written at `path`) is a sound kmsd store: SQLite's
/// integrity check passes and the schema opens.
pub fn check_store_image(path: &Path) -> Result<()> {
    {
        let conn = rusqlite::Connection::open(path)?;
        let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if verdict != "ok" {
            return Err(Error::IntegrityFailure(format!(
                "the store inside the backup is damaged: {verdict}"
            )));
        }
    }
    crate::store::Store::open(path).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_tamper_refused() {
        let pass = b"backup passphrase 1";
        let file = seal(b"pretend this is a store", pass).unwrap();
        assert_eq!(
            open(&file, pass).unwrap().as_slice(),
            b"pretend this is a store"
        );
        assert!(open(&file, b"backup passphrase 2").is_err());
        for i in [0, 9, 13, 30, 45, HEADER_LEN, file.len() - 1] {
            let mut t = file.clone();
            t[i] ^= 1;
            assert!(open(&t, pass).is_err(), "byte {i}");
        }
        for len in [0, 10, HEADER_LEN + 15, file.len() - 1] {
            assert!(open(&file[..len], pass).is_err(), "truncated to {len}");
        }
        assert!(seal(b"x", b"short").is_err());
    }
}
