//! Private keys kept parsed between uses. Opening a key (unsealing, parsing the PKCS#8, and for
//! RSA building aws-lc's blinding, a modular inverse) costs more than an RSA-2048 signature
//! itself: measured here, parse + blinding were 9.7 % of kmsd's CPU in an RSA signing run
//! against 4.8 % for the exponentiation. The cache keeps the parsed key of RSA and EC private
//! keys for the private operations that need no other form of it.
//!
//! An entry is found by the SHA-256 of the key's sealing AAD and its sealed blob: the AAD holds
//! the key's identity, security attributes and life-cycle state, so any change to the stored row
//! (a flipped flag, a revoked or destroyed key, a rewrapped blob after a master-key rotation, a
//! tampered field) misses the cache and goes through [`crate::vault`], which checks it. A hit
//! therefore means exactly the row the vault last opened. Entries live at most [`TTL`] and
//! [`CAPACITY`] of them are kept; a destroyed key's entry is dropped at once
//! ([`KeyCache::forget`]), and every entry when kmsd stops (aws-lc wipes freed keys).

use super::ec::Curve;
use super::{ec, rsa};
use crate::error::Result;
use aws_lc_rs::rsa::{KeyPair, OaepPrivateDecryptingKey};
use aws_lc_rs::signature::EcdsaKeyPair;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest an opened key is kept.
pub const TTL: Duration = Duration::from_secs(60);
/// Most opened keys kept.
pub const CAPACITY: usize = 1024;

/// What a private operation needs of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// RSA signing.
    RsaSign,
    /// RSA-OAEP decryption.
    RsaOaep,
    /// ECDSA on a curve.
    Ecdsa(Curve),
}

/// A parsed private key.
pub enum Parsed {
    /// For RSA signatures.
    RsaSign(KeyPair),
    /// For RSA-OAEP decryption.
    RsaOaep(OaepPrivateDecryptingKey),
    /// For ECDSA.
    Ecdsa(EcdsaKeyPair),
}

impl Parsed {
    fn parse(kind: Kind, pkcs8: &[u8]) -> Result<Parsed> {
        Ok(match kind {
            Kind::RsaSign => Parsed::RsaSign(rsa::parse(pkcs8)?),
            Kind::RsaOaep => Parsed::RsaOaep(rsa::oaep_key(pkcs8)?),
            Kind::Ecdsa(curve) => Parsed::Ecdsa(ec::parse(curve, pkcs8)?),
        })
    }
}

struct Entry {
    key: Arc<Parsed>,
    id: String,
    opened: Instant,
}

/// The cache (one per kmsd).
#[derive(Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<[u8; 32], Entry>>,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyCache({} keys)", self.entries.lock().len())
    }
}

fn fingerprint(kind: Kind, aad: &[u8], blob: &[u8]) -> [u8; 32] {
    let mut buf = Vec::with_capacity(aad.len() + blob.len() + 32);
    buf.extend_from_slice(format!("{kind:?}").as_bytes());
    buf.push(0);
    buf.extend_from_slice(&(aad.len() as u64).to_be_bytes());
    buf.extend_from_slice(aad);
    buf.extend_from_slice(blob);
    super::sha256(&buf)
}

impl KeyCache {
    /// The key of object `id` sealed as `blob` under `aad`, parsed for `kind`: from the cache,
    /// or opened with `open` (the vault, which checks the AAD) and kept.
    pub fn get_or_open(
        &self,
        kind: Kind,
        id: &str,
        aad: &[u8],
        blob: &[u8],
        open: impl FnOnce() -> Result<zeroize::Zeroizing<Vec<u8>>>,
    ) -> Result<Arc<Parsed>> {
        let fp = fingerprint(kind, aad, blob);
        if let Some(e) = self.entries.lock().get(&fp) {
            if e.opened.elapsed() < TTL {
                return Ok(e.key.clone());
            }
        }
        let key = Arc::new(Parsed::parse(kind, &open()?)?);
        let mut entries = self.entries.lock();
        if entries.len() >= CAPACITY {
            entries.retain(|_, e| e.opened.elapsed() < TTL);
        }
        if entries.len() >= CAPACITY {
            let oldest = entries
                .iter()
                .min_by_key(|(_, e)| e.opened)
                .map(|(fp, _)| *fp);
            if let Some(fp) = oldest {
                entries.remove(&fp);
            }
        }
        entries.insert(
            fp,
            Entry {
                key: key.clone(),
                id: id.to_owned(),
                opened: Instant::now(),
            },
        );
        Ok(key)
    }

    /// Drops every opened form of object `id` (its destruction).
    pub fn forget(&self, id: &str) {
        self.entries.lock().retain(|_, e| e.id != id);
    }

    /// How many keys are kept.
    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn a_changed_aad_or_blob_misses_and_forget_drops() {
        let (pkcs8, _) = ec::generate(Curve::P256).unwrap();
        let cache = KeyCache::default();
        let opens = std::cell::Cell::new(0);
        let open = || {
            opens.set(opens.get() + 1);
            Ok(pkcs8.clone())
        };
        let kind = Kind::Ecdsa(Curve::P256);
        cache
            .get_or_open(kind, "k1", b"aad", b"blob", open)
            .unwrap();
        cache
            .get_or_open(kind, "k1", b"aad", b"blob", open)
            .unwrap();
        assert_eq!(opens.get(), 1, "the second use is a hit");
        cache
            .get_or_open(kind, "k1", b"aad'", b"blob", open)
            .unwrap();
        cache
            .get_or_open(kind, "k1", b"aad", b"blob'", open)
            .unwrap();
        assert_eq!(opens.get(), 3, "another AAD or blob is another key");
        // A failed open (the vault refused the AAD) keeps nothing.
        let refused = cache.get_or_open(kind, "k2", b"x", b"y", || {
            Err(Error::IntegrityFailure("tampered".into()))
        });
        assert!(matches!(refused, Err(Error::IntegrityFailure(_))));
        assert_eq!(cache.len(), 3);
        cache.forget("k1");
        assert!(cache.is_empty());
    }
}
