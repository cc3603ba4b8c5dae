//! Public-key signature verification (KMIP Signature Verify): RSA PKCS#1 v1.5 and PSS (salt of
//! the hash's length) from the modulus and exponent, ECDSA with a DER signature from the curve's
//! uncompressed point. Public data only; nothing secret passes here.

use aws_lc_rs::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use kms_api::curve::Curve;
use kms_api::mech::Hash;

/// A public key to verify with.
#[derive(Clone, Copy, Debug)]
pub enum PublicKey<'a> {
    /// RSA: big-endian modulus and public exponent.
    Rsa {
        /// The modulus.
        n: &'a [u8],
        /// The public exponent.
        e: &'a [u8],
        /// PSS (salt length = hash length) rather than PKCS#1 v1.5.
        pss: bool,
    },
    /// ECDSA: the curve and its uncompressed point; the signature is DER.
    Ec {
        /// The curve.
        curve: Curve,
        /// `04 || X || Y`.
        point: &'a [u8],
    },
}

/// Whether `sig` is a valid signature of `message` (hashed with `hash`) under `key`; `None` when
/// the combination is not one verified here (SHA-1, or a hash that does not fit the curve).
pub fn verify(key: PublicKey<'_>, hash: Hash, message: &[u8], sig: &[u8]) -> Option<bool> {
    Some(match key {
        PublicKey::Rsa { n, e, pss } => {
            let alg: &signature::RsaParameters = match (pss, hash) {
                (false, Hash::Sha256) => &signature::RSA_PKCS1_2048_8192_SHA256,
                (false, Hash::Sha384) => &signature::RSA_PKCS1_2048_8192_SHA384,
                (false, Hash::Sha512) => &signature::RSA_PKCS1_2048_8192_SHA512,
                (true, Hash::Sha256) => &signature::RSA_PSS_2048_8192_SHA256,
                (true, Hash::Sha384) => &signature::RSA_PSS_2048_8192_SHA384,
                (true, Hash::Sha512) => &signature::RSA_PSS_2048_8192_SHA512,
                _ => return None,
            };
            RsaPublicKeyComponents { n, e }
                .verify(alg, message, sig)
                .is_ok()
        }
        PublicKey::Ec { curve, point } => {
            let alg: &signature::EcdsaVerificationAlgorithm = match (curve, hash) {
                (Curve::P256, Hash::Sha256) => &signature::ECDSA_P256_SHA256_ASN1,
                (Curve::P256, Hash::Sha384) => &signature::ECDSA_P256_SHA384_ASN1,
                (Curve::P384, Hash::Sha384) => &signature::ECDSA_P384_SHA384_ASN1,
                (Curve::P384, Hash::Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
                (Curve::P521, Hash::Sha512) => &signature::ECDSA_P521_SHA512_ASN1,
                _ => return None,
            };
            UnparsedPublicKey::new(alg, point)
                .verify(message, sig)
                .is_ok()
        }
    })
}
