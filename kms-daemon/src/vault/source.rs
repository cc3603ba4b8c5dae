//! Where the master key comes from (`[master_key] source`), and the record kept in
//! `master_key_file` for the sources that need an operator.
//!
//! - `file`: `master_key_file` holds the 32 key bytes (mode 0600); kmsd starts unsealed.
//! - `passphrase`: `master_key_file` holds a JSON record (no secret in clear): the master key
//!   wrapped with AES-256-GCM under `argon2id(passphrase, salt)`, with the salt and argon2
//!   parameters. A wrong passphrase fails the GCM tag.
//! - `shares`: the master key was split k of n ([`super::shamir`]); the record holds k, n and a
//!   check value `HKDF-SHA256(master key, "kmsd master key check v1")`, so a combination of
//!   shares that does not give the master key is refused.

use super::shamir::{self, Share};
use crate::error::{Error, Result};
use crate::secret_file::check_secret_file;
use crate::secret_file::write_secret_file;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use serde::{Deserialize, Serialize};
use std::path::Path;
use zeroize::Zeroizing;

const RECORD_FORMAT: u32 = 1;
const WRAP_AAD: &[u8] = b"kmsd master key wrap v1";
const CHECK_INFO: &[u8] = b"kmsd master key check v1";
/// Shortest passphrase accepted at init.
pub const MIN_PASSPHRASE_LEN: usize = 12;

/// argon2id cost of the passphrase KEK (64 MiB, 3 passes, 1 lane: the RFC 9106 second choice).
pub(crate) const ARGON2_M_KIB: u32 = 64 * 1024;
pub(crate) const ARGON2_T: u32 = 3;
pub(crate) const ARGON2_P: u32 = 1;

/// The record of `master_key_file` for the `passphrase` and `shares` sources.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum Record {
    /// The master key wrapped under a passphrase KEK.
    Passphrase {
        /// Record format (1).
        format: u32,
        /// argon2id salt, hex.
        salt: String,
        /// argon2id memory, KiB.
        m_kib: u32,
        /// argon2id passes.
        t: u32,
        /// argon2id lanes.
        p: u32,
        /// AES-GCM nonce, hex.
        nonce: String,
        /// Wrapped master key ‖ tag, hex.
        wrapped: String,
    },
    /// The master key split into shares.
    Shares {
        /// Record format (1).
        format: u32,
        /// Shares needed.
        threshold: u8,
        /// Shares made.
        shares: u8,
        /// Check value of the master key, hex.
        check: String,
    },
}

fn passphrase_kek(
    passphrase: &[u8],
    salt: &[u8],
    m: u32,
    t: u32,
    p: u32,
) -> Result<Zeroizing<[u8; 32]>> {
    let params = argon2::Params::new(m, t, p, Some(32))
        .map_err(|e| Error::Config(format!("argon2 parameters in the master key record: {e}")))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut kek = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase, salt, kek.as_mut())
        .map_err(|e| Error::Internal(format!("argon2: {e}")))?;
    Ok(kek)
}

/// A fresh passphrase encryption (master key wrap, backup file): the passphrase length checked,
/// a new salt and nonce, the AES-256-GCM cipher under the argon2id KEK (default parameters).
pub(crate) struct PassphraseCipher {
    /// AES-256-GCM under `argon2id(passphrase, salt)`.
    pub cipher: Aes256Gcm,
    /// The argon2id salt.
    pub salt: [u8; 16],
    /// The one nonce to use with `cipher`.
    pub nonce: [u8; 12],
}

impl PassphraseCipher {
    /// `what` names the passphrase in the length error (`passphrase`, `backup passphrase`).
    pub(crate) fn new(passphrase: &[u8], what: &str) -> Result<PassphraseCipher> {
        if passphrase.len() < MIN_PASSPHRASE_LEN {
            return Err(Error::Config(format!(
                "the {what} must be at least {MIN_PASSPHRASE_LEN} characters"
            )));
        }
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 12];
        crate::crypto::rng::fill(&mut salt)?;
        crate::crypto::rng::fill(&mut nonce)?;
        let cipher = passphrase_cipher(passphrase, &salt, ARGON2_M_KIB, ARGON2_T, ARGON2_P)?;
        Ok(PassphraseCipher {
            cipher,
            salt,
            nonce,
        })
    }
}

/// AES-256-GCM under `argon2id(passphrase, salt)` with the given parameters.
pub(crate) fn passphrase_cipher(
    passphrase: &[u8],
    salt: &[u8],
    m: u32,
    t: u32,
    p: u32,
) -> Result<Aes256Gcm> {
    let kek = passphrase_kek(passphrase, salt, m, t, p)?;
    Aes256Gcm::new_from_slice(kek.as_ref()).map_err(|_| Error::Internal("KEK length".into()))
}

fn check_value(master_key: &[u8]) -> Result<String> {
    Ok(hex::encode(
        crate::vault::hkdf_sha256(master_key, CHECK_INFO)?.as_ref(),
    ))
}

fn unhex(field: &str, v: &str) -> Result<Vec<u8>> {
    hex::decode(v).map_err(|_| Error::Config(format!("master key record: {field} is not hex")))
}

impl Record {
    /// Wraps `master_key` under `passphrase` (at least [`MIN_PASSPHRASE_LEN`] bytes).
    pub fn wrap_with_passphrase(master_key: &[u8], passphrase: &[u8]) -> Result<Record> {
        let fresh = PassphraseCipher::new(passphrase, "passphrase")?;
        let wrapped = fresh
            .cipher
            .encrypt(
                Nonce::from_slice(&fresh.nonce),
                Payload {
                    msg: master_key,
                    aad: WRAP_AAD,
                },
            )
            .map_err(|_| Error::Internal("wrapping the master key".into()))?;
        Ok(Record::Passphrase {
            format: RECORD_FORMAT,
            salt: hex::encode(fresh.salt),
            m_kib: ARGON2_M_KIB,
            t: ARGON2_T,
            p: ARGON2_P,
            nonce: hex::encode(fresh.nonce),
            wrapped: hex::encode(wrapped),
        })
    }

    /// Splits `master_key` into `n` shares (threshold `k`): the record and the shares.
    pub fn split_into_shares(master_key: &[u8], k: u8, n: u8) -> Result<(Record, Vec<Share>)> {
        let shares = shamir::split(master_key, k, n)?;
        let record = Record::Shares {
            format: RECORD_FORMAT,
            threshold: k,
            shares: n,
            check: check_value(master_key)?,
        };
        Ok((record, shares))
    }

    /// The master key, from the passphrase; a wrong one is refused.
    pub fn unwrap_with_passphrase(&self, passphrase: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let Record::Passphrase {
            salt,
            m_kib,
            t,
            p,
            nonce,
            wrapped,
            ..
        } = self
        else {
            return Err(Error::BadRequest(
                "this kmsd is unsealed with shares, not a passphrase".into(),
            ));
        };
        let nonce = unhex("nonce", nonce)?;
        if nonce.len() != 12 {
            return Err(Error::Config("master key record: bad nonce length".into()));
        }
        let mk = passphrase_cipher(passphrase, &unhex("salt", salt)?, *m_kib, *t, *p)?
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &unhex("wrapped", wrapped)?,
                    aad: WRAP_AAD,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| Error::BadRequest("wrong passphrase".into()))?;
        if mk.len() != 32 {
            return Err(Error::Config(
                "master key record: the wrapped key is not 32 bytes".into(),
            ));
        }
        Ok(mk)
    }

    /// Shares needed to unseal (1 for a passphrase).
    pub fn threshold(&self) -> usize {
        match self {
            Record::Passphrase { .. } => 1,
            Record::Shares { threshold, .. } => usize::from(*threshold),
        }
    }

    /// The master key from `threshold` shares; a combination that does not give the master key
    /// is refused.
    pub fn combine_shares(&self, shares: &[Share]) -> Result<Zeroizing<Vec<u8>>> {
        let Record::Shares { check, .. } = self else {
            return Err(Error::BadRequest(
                "this kmsd is unsealed with a passphrase, not shares".into(),
            ));
        };
        let mk = shamir::combine(shares)?;
        let got = check_value(&mk)?;
        // Both are public-length hex of a one-way value; compare without early exit anyway.
        let same = got.len() == check.len()
            && got
                .bytes()
                .zip(check.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            return Err(Error::BadRequest(
                "these shares do not combine to the master key (one of them is wrong or from \
                 another kmsd); start again"
                    .into(),
            ));
        }
        Ok(mk)
    }

    /// Writes the record to a new file (mode 0600); refuses to overwrite.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::Internal(format!("serialising the master key record: {e}")))?;
        write_secret_file(path, text.as_bytes())
    }

    /// Reads the record of `path`, refusing one that group or others may read.
    pub fn load(path: &Path) -> Result<Record> {
        check_secret_file(path)?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("reading master key record {}", path.display()), e))?;
        let record: Record = serde_json::from_str(&text).map_err(|e| {
            Error::Config(format!(
                "{} is not a kmsd master key record: {e}",
                path.display()
            ))
        })?;
        let format = match &record {
            Record::Passphrase { format, .. } | Record::Shares { format, .. } => *format,
        };
        if format != RECORD_FORMAT {
            return Err(Error::Config(format!(
                "{}: master key record format {format} is not supported",
                path.display()
            )));
        }
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passphrase_round_trip_and_wrong_passphrase() {
        let mk = [3u8; 32];
        let rec = Record::wrap_with_passphrase(&mk, b"correct horse battery").unwrap();
        assert_eq!(
            rec.unwrap_with_passphrase(b"correct horse battery")
                .unwrap()
                .as_slice(),
            &mk
        );
        let err = rec
            .unwrap_with_passphrase(b"correct horse battert")
            .unwrap_err();
        assert!(err.to_string().contains("wrong passphrase"), "{err}");
        assert!(Record::wrap_with_passphrase(&mk, b"short").is_err());
        assert!(rec.combine_shares(&[]).is_err());

        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mk.json");
        rec.write(&p).unwrap();
        assert_eq!(Record::load(&p).unwrap(), rec);
        assert!(!std::fs::read_to_string(&p).unwrap().contains("0303"));
    }

    #[test]
    fn shares_check_the_combination() {
        let mk = [5u8; 32];
        let (rec, shares) = Record::split_into_shares(&mk, 2, 3).unwrap();
        let (_, other) = Record::split_into_shares(&[6u8; 32], 2, 3).unwrap();
        let again = |s: &Share| Share::parse(&s.to_text()).unwrap();
        let good = rec
            .combine_shares(&[again(&shares[0]), again(&shares[2])])
            .unwrap();
        assert_eq!(good.as_slice(), &mk);
        let err = rec
            .combine_shares(&[again(&shares[0]), again(&other[1])])
            .unwrap_err();
        assert!(err.to_string().contains("do not combine"), "{err}");
        assert_eq!(rec.threshold(), 2);
        assert!(rec.unwrap_with_passphrase(b"whatever passphrase").is_err());
    }
}
