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
pub mod verify;
pub mod wrap;

use kms_api::mech::Hash;

/// aws-lc-rs's algorithm for a hash function.
pub(crate) fn digest_alg(hash: Hash) -> &'static aws_lc_rs::digest::Algorithm {
    match hash {
        Hash::Sha1 => &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        Hash::Sha224 => &aws_lc_rs::digest::SHA224,
        Hash::Sha256 => &aws_lc_rs::digest::SHA256,
        Hash::Sha384 => &aws_lc_rs::digest::SHA384,
        Hash::Sha512 => &aws_lc_rs::digest::SHA512,
    }
}

/// The `hash` of `data`.
pub fn digest(hash: Hash, data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(digest_alg(hash), data)
        .as_ref()
        .to_vec()
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
