//! The one place that touches key material in clear.
//!
//! Callers hand in sealed-then-opened material as `Zeroizing` buffers (PKCS#8 DER for RSA and EC
//! private keys, raw bytes for AES) and get results back; nothing here stores or logs anything.
//! Key transport (AES-KW/KWP, RSA-OAEP) is in [`wrap`], ECDH in [`ec`].
//! All private-key operations run on aws-lc-rs (the `rsa` crate is never used: RUSTSEC-2023-0071),
//! but for legacy raw `CKM_RSA_PKCS` signing, off by default, in [`rsa_raw`].

pub mod aes;
pub mod der;
pub mod ec;
pub mod eddsa;
pub mod keycache;
pub mod mac;
pub mod rng;
pub mod rsa;
pub mod rsa_raw;
pub mod wrap;

use crate::ck;

/// Hash functions named by mechanisms and their parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlg {
    /// SHA-1 (OAEP only).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlg {
    /// Digest length in bytes.
    #[allow(
        clippy::len_without_is_empty,
        reason = "a digest length, not a container"
    )]
    pub fn len(self) -> usize {
        match self {
            HashAlg::Sha1 => 20,
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }

    /// The hash named by a `CKM_SHA*` value.
    pub fn from_ckm(m: u64) -> Option<HashAlg> {
        Some(match m {
            ck::CKM_SHA_1 => HashAlg::Sha1,
            ck::CKM_SHA256 => HashAlg::Sha256,
            ck::CKM_SHA384 => HashAlg::Sha384,
            ck::CKM_SHA512 => HashAlg::Sha512,
            _ => return None,
        })
    }

    /// The `CKG_MGF1_*` value that goes with this hash.
    pub fn mgf1(self) -> u64 {
        match self {
            HashAlg::Sha1 => ck::CKG_MGF1_SHA1,
            HashAlg::Sha256 => ck::CKG_MGF1_SHA256,
            HashAlg::Sha384 => ck::CKG_MGF1_SHA384,
            HashAlg::Sha512 => ck::CKG_MGF1_SHA512,
        }
    }

    pub(crate) fn digest_alg(self) -> &'static aws_lc_rs::digest::Algorithm {
        match self {
            HashAlg::Sha1 => &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            HashAlg::Sha256 => &aws_lc_rs::digest::SHA256,
            HashAlg::Sha384 => &aws_lc_rs::digest::SHA384,
            HashAlg::Sha512 => &aws_lc_rs::digest::SHA512,
        }
    }
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Constant-time equality of two byte strings of public length.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}
