//! Envelope encryption of key material at rest.
//!
//! The master key (32 random bytes in a 0600 file) never seals anything itself: the key-encryption
//! key is `HKDF-SHA256(master key, info "kmsd kek v1")`. Material is sealed with AES-256-GCM under
//! the KEK. Blob layout:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | format version (1) |
//! | 1 | algorithm tag (1 = AES-256-GCM) |
//! | 4 | KEK version, u32 big-endian |
//! | 12 | random nonce |
//! | rest | ciphertext ‖ 16-byte tag |
//!
//! The caller gives the AAD ([`crate::model::aad`]): it binds the object id, token, class, key
//! type, the security-relevant attributes and the life cycle, so a row whose policy was edited in
//! the database fails to open (security R18).

pub mod keyring;
pub mod rotate;
pub mod shamir;
pub mod slot;
pub mod source;
pub mod unseal;

use crate::error::{Error, Result};
use crate::secret_file::check_secret_file;
use crate::secret_file::write_secret_file;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use std::path::Path;
use zeroize::Zeroizing;

const FORMAT_V1: u8 = 1;
const ALG_AES256_GCM: u8 = 1;
const HEADER_LEN: usize = 1 + 1 + 4 + 12;
const KEK_INFO: &[u8] = b"kmsd kek v1";

/// Seals and opens key material under the KEKs of the master key versions it holds: new blobs
/// with the newest, any blob with the version its header names ([`crate::vault::keyring`]).
pub struct Vault {
    keks: std::collections::BTreeMap<u32, Aes256Gcm>,
    kek_version: u32,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vault(kek v{})", self.kek_version)
    }
}

/// The KEK of a 32-byte master key (of any version).
pub fn kek_of(master_key: &[u8]) -> Result<Aes256Gcm> {
    if master_key.len() != 32 {
        return Err(Error::Config("the master key must be 32 bytes".into()));
    }
    let kek = hkdf_sha256(master_key, KEK_INFO)?;
    Aes256Gcm::new_from_slice(kek.as_ref()).map_err(|_| Error::Internal("KEK length".into()))
}

/// 32 bytes of `HKDF-SHA256(ikm, no salt, info)`.
pub fn hkdf_sha256(ikm: &[u8], info: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
    let prk = aws_lc_rs::hkdf::Salt::new(aws_lc_rs::hkdf::HKDF_SHA256, &[]).extract(ikm);
    let mut out = Zeroizing::new([0u8; 32]);
    prk.expand(&[info], aws_lc_rs::hkdf::HKDF_SHA256)
        .and_then(|okm| okm.fill(out.as_mut()))
        .map_err(|_| Error::Internal("HKDF derivation".into()))?;
    Ok(out)
}

/// The master key version that sealed `blob` (its header), if it has a header.
pub fn blob_version(blob: &[u8]) -> Option<u32> {
    (blob.len() >= HEADER_LEN).then(|| u32::from_be_bytes([blob[2], blob[3], blob[4], blob[5]]))
}

impl Vault {
    /// Derives the KEK from the master key: version 1 only (no rotation yet).
    pub fn from_master_key(master_key: &[u8]) -> Result<Vault> {
        Vault::from_versions(vec![(1, kek_of(master_key)?)])
    }

    /// A vault holding the KEKs `keks` (version, KEK); the newest seals.
    pub fn from_versions(keks: Vec<(u32, Aes256Gcm)>) -> Result<Vault> {
        let keks: std::collections::BTreeMap<u32, Aes256Gcm> = keks.into_iter().collect();
        let kek_version = *keks
            .keys()
            .next_back()
            .ok_or_else(|| Error::Internal("no master key version".into()))?;
        Ok(Vault { keks, kek_version })
    }

    /// The version new blobs are sealed with.
    pub fn current_version(&self) -> u32 {
        self.kek_version
    }

    /// Whether this vault holds the version that sealed `blob`.
    pub fn has_version_of(&self, blob: &[u8]) -> bool {
        blob_version(blob).is_some_and(|v| self.keks.contains_key(&v))
    }

    /// Loads the master key file, refusing one that group or others may read.
    pub fn load(path: &Path) -> Result<Vault> {
        Vault::from_master_key(&read_master_key_file(path)?)
    }

    /// Creates a new master key file (32 random bytes, mode 0600); refuses to overwrite.
    pub fn create_master_key_file(path: &Path) -> Result<()> {
        let mk = crate::crypto::rng::secret::<32>()?;
        write_secret_file(path, mk.as_ref())
    }

    /// Seals `plaintext` bound to `aad`.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; 12];
        crate::crypto::rng::fill(&mut nonce)?;
        let kek = self
            .keks
            .get(&self.kek_version)
            .ok_or_else(|| Error::Internal("no current KEK".into()))?;
        let ct = kek
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| Error::Internal("sealing failed".into()))?;
        let mut blob = Vec::with_capacity(HEADER_LEN + ct.len());
        blob.push(FORMAT_V1);
        blob.push(ALG_AES256_GCM);
        blob.extend_from_slice(&self.kek_version.to_be_bytes());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ct);
        Ok(blob)
    }

    /// Opens a blob; any mismatch (format, KEK version, AAD, tag) is an integrity failure.
    pub fn open(&self, aad: &[u8], blob: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let bad = |why: &str| Error::IntegrityFailure(format!("sealed material: {why}"));
        if blob.len() < HEADER_LEN + 16 {
            return Err(bad("too short"));
        }
        if blob[0] != FORMAT_V1 || blob[1] != ALG_AES256_GCM {
            return Err(bad("unknown format or algorithm"));
        }
        let version = u32::from_be_bytes([blob[2], blob[3], blob[4], blob[5]]);
        let Some(kek) = self.keks.get(&version) else {
            return Err(bad("unknown or erased master key version"));
        };
        let nonce = Nonce::from_slice(&blob[6..HEADER_LEN]);
        kek.decrypt(
            nonce,
            Payload {
                msg: &blob[HEADER_LEN..],
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| bad("authentication failed"))
    }
}

/// Reads a master key file (32 bytes), refusing one that group or others may read.
pub fn read_master_key_file(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    check_secret_file(path)?;
    let mk = Zeroizing::new(
        std::fs::read(path)
            .map_err(|e| Error::io(format!("reading master key {}", path.display()), e))?,
    );
    if mk.len() != 32 {
        return Err(Error::Config(format!(
            "master key file {} must hold exactly 32 bytes",
            path.display()
        )));
    }
    Ok(mk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ck;
    use crate::model::aad::base as aad;
    use crate::model::object::AttrMap;
    use kms_api::AttrValue;

    fn attrs(sign: bool) -> AttrMap {
        [
            (ck::CKA_SIGN, AttrValue::Bool(sign)),
            (ck::CKA_SENSITIVE, AttrValue::Bool(true)),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn seal_open_and_tamper() {
        let v = Vault::from_master_key(&[7u8; 32]).unwrap();
        let a = aad(
            "id1",
            "tok",
            ck::CKO_SECRET_KEY,
            Some(ck::CKK_AES),
            &attrs(false),
        );
        let blob = v.seal(&a, b"key bytes").unwrap();
        assert_eq!(blob[0], 1);
        assert_eq!(blob[1], 1);
        assert_eq!(&blob[2..6], &[0, 0, 0, 1]);
        assert_eq!(v.open(&a, &blob).unwrap().as_slice(), b"key bytes");
        assert!(!blob.windows(9).any(|w| w == b"key bytes"));

        // Any byte of the blob.
        for i in 0..blob.len() {
            let mut t = blob.clone();
            t[i] ^= 0x01;
            assert!(
                matches!(v.open(&a, &t), Err(Error::IntegrityFailure(_))),
                "byte {i}"
            );
        }
        // The AAD: a flag flipped, another id, another token, another master key.
        let flipped = aad(
            "id1",
            "tok",
            ck::CKO_SECRET_KEY,
            Some(ck::CKK_AES),
            &attrs(true),
        );
        assert!(v.open(&flipped, &blob).is_err());
        let other_id = aad(
            "id2",
            "tok",
            ck::CKO_SECRET_KEY,
            Some(ck::CKK_AES),
            &attrs(false),
        );
        assert!(v.open(&other_id, &blob).is_err());
        let other_tok = aad(
            "id1",
            "tok2",
            ck::CKO_SECRET_KEY,
            Some(ck::CKK_AES),
            &attrs(false),
        );
        assert!(v.open(&other_tok, &blob).is_err());
        let v2 = Vault::from_master_key(&[8u8; 32]).unwrap();
        assert!(v2.open(&a, &blob).is_err());
    }

    #[test]
    fn master_key_file_is_private_and_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("master.key");
        Vault::create_master_key_file(&p).unwrap();
        assert_eq!(std::fs::read(&p).unwrap().len(), 32);
        Vault::load(&p).unwrap();
        assert!(Vault::create_master_key_file(&p).is_err());
    }
}
