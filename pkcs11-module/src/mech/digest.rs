//! Hashing in the module (`C_Digest*` and the hash-and-sign mechanisms). What a hash is — its
//! `CKM_*` value, MGF1 generator, length and `DigestInfo` — is kms-api's [`Hash`]; this file adds
//! the module's own part: the aws-lc-rs algorithm that computes it.

use aws_lc_rs::digest;
use kms_api::mech::Hash;

/// The module's computation of a [`Hash`], with aws-lc-rs.
///
/// A trait on the contract's type rather than free functions so that call sites read as before
/// (`hash.context()`), and rather than methods in kms-api so that the contract crate names no
/// crypto library (kmsd and the module each compute hashes with their own).
pub trait Compute {
    /// aws-lc-rs's algorithm.
    fn algorithm(self) -> &'static digest::Algorithm;

    /// A new incremental hash.
    fn context(self) -> digest::Context;
}

impl Compute for Hash {
    fn algorithm(self) -> &'static digest::Algorithm {
        match self {
            Hash::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Hash::Sha224 => &digest::SHA224,
            Hash::Sha256 => &digest::SHA256,
            Hash::Sha384 => &digest::SHA384,
            Hash::Sha512 => &digest::SHA512,
        }
    }

    fn context(self) -> digest::Context {
        digest::Context::new(self.algorithm())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_info_round_trip() {
        for h in Hash::ALL {
            let d = digest::digest(h.algorithm(), b"abc");
            assert_eq!(d.as_ref().len(), h.len(), "{h:?}: aws-lc and kms-api agree");
            let info = h.digest_info(d.as_ref());
            let (alg, got) = Hash::parse_digest_info(&info).unwrap();
            assert_eq!(alg, h);
            assert_eq!(got, d.as_ref());
            assert!(Hash::parse_digest_info(&info[1..]).is_none());
        }
    }
}
