//! Public-key operations done in the module, without a round trip: signature verification and
//! RSA encryption with a public key. All on aws-lc-rs (the `rsa` crate is not used anywhere).

use super::digest::Compute;
use super::scheme::{KeyFamily, SigKind, SigScheme};
use crate::error::{Error, Result};
use aws_lc_rs::digest::Digest;
use aws_lc_rs::rsa::{
    OaepPublicEncryptingKey, Pkcs1PublicEncryptingKey, PublicEncryptingKey, OAEP_SHA1_MGF1SHA1,
    OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384, OAEP_SHA512_MGF1SHA512,
};
use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use cryptoki_sys::*;
use kms_api::mech::Hash;
use kms_api::MechParams;

/// DER of the named-curve OIDs in `CKA_EC_PARAMS`.
pub const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// DER of the P-384 OID.
pub const P384_PARAMS: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
/// DER of the P-521 OID.
pub const P521_PARAMS: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];

/// Length of an Ed25519 signature.
pub const ED25519_SIG_LEN: usize = 64;

/// A public key ready for local use.
#[derive(Debug, Clone)]
pub struct PublicKey {
    /// RSA, EC or Edwards.
    pub family: KeyFamily,
    /// X.509 SubjectPublicKeyInfo DER.
    pub spki: Vec<u8>,
    /// Signature length: the modulus length (RSA), twice the field length (EC), 64 (Ed25519).
    pub sig_len: usize,
}

/// The field length in bytes of a supported curve, from `CKA_EC_PARAMS`.
pub fn curve_field_len(ec_params: &[u8]) -> Option<usize> {
    match ec_params {
        P256_PARAMS => Some(32),
        P384_PARAMS => Some(48),
        P521_PARAMS => Some(66),
        _ => None,
    }
}

/// The byte length of a big-endian unsigned integer without leading zeros.
pub fn unsigned_len(n: &[u8]) -> usize {
    n.iter().position(|b| *b != 0).map_or(0, |i| n.len() - i)
}

/// ECDSA signs the leftmost field-length bytes of the digest, and a shorter digest as the same
/// integer (FIPS 186-5 §6.4.1): truncating or left-padding with zeros gives that integer.
pub fn ecdsa_digest_for_field(digest: &[u8], field_len: usize) -> Vec<u8> {
    if digest.len() >= field_len {
        digest[..field_len].to_vec()
    } else {
        let mut v = vec![0u8; field_len - digest.len()];
        v.extend_from_slice(digest);
        v
    }
}

/// The digest aws-lc verifies for an ECDSA input: as long as the curve's own hash, holding the
/// same integer as the input does for the curve. P-256 and P-384 have hashes as long as their
/// field; P-521 takes SHA-512, so any input up to 64 bytes is left-padded (a longer one would need
/// cutting at 521 bits, which kmsd does not sign either: `CKR_DATA_LEN_RANGE`).
fn ecdsa_digest(input: &[u8], field_len: usize, hash: Hash) -> Result<Vec<u8>> {
    let n = hash.len();
    if n == field_len {
        Ok(ecdsa_digest_for_field(input, field_len))
    } else if input.len() <= n {
        Ok(ecdsa_digest_for_field(input, n))
    } else {
        Err(Error::Ck(CKR_DATA_LEN_RANGE))
    }
}

impl PublicKey {
    /// Builds a key from the family, its SPKI and the signature length.
    pub fn new(family: KeyFamily, spki: Vec<u8>, sig_len: usize) -> Self {
        PublicKey {
            family,
            spki,
            sig_len,
        }
    }

    fn field_len(&self) -> usize {
        self.sig_len / 2
    }

    /// The 32-byte Ed25519 public key inside the SubjectPublicKeyInfo (RFC 8410: a fixed
    /// 12-byte prefix, then the key).
    fn ed25519_raw(&self) -> Result<&[u8]> {
        const PREFIX: &[u8] = &[
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        self.spki
            .strip_prefix(PREFIX)
            .filter(|k| k.len() == 32)
            .ok_or(Error::Ck(CKR_KEY_TYPE_INCONSISTENT))
    }

    /// Verifies `sig` over `input` (already hashed by the caller for hash-and-sign schemes:
    /// `input` is the digest, or the `DigestInfo` for `CKM_RSA_PKCS`).
    pub fn verify(&self, scheme: &SigScheme, input: &[u8], sig: &[u8]) -> Result<()> {
        if sig.len() != self.sig_len {
            return Err(Error::Ck(CKR_SIGNATURE_LEN_RANGE));
        }
        if scheme.kind == SigKind::Eddsa {
            return UnparsedPublicKey::new(&signature::ED25519, self.ed25519_raw()?)
                .verify(input, sig)
                .map_err(|_| Error::Ck(CKR_SIGNATURE_INVALID));
        }
        let (alg, hash, digest): (&'static dyn VerificationAlgorithm, Hash, Vec<u8>) = match scheme
            .kind
        {
            SigKind::RsaPkcs1 => {
                let (hash, digest) = match scheme.hash {
                    Some(h) => (h, input),
                    None => Hash::parse_digest_info(input).ok_or(Error::Ck(CKR_DATA_INVALID))?,
                };
                (rsa_pkcs1_params(hash)?, hash, digest.to_vec())
            }
            SigKind::RsaPss => {
                let hash = scheme.hash.ok_or(Error::Ck(CKR_MECHANISM_PARAM_INVALID))?;
                (rsa_pss_params(hash)?, hash, input.to_vec())
            }
            SigKind::Ecdsa => {
                let (alg, hash): (&'static dyn VerificationAlgorithm, _) = match self.field_len() {
                    32 => (&signature::ECDSA_P256_SHA256_FIXED, Hash::Sha256),
                    48 => (&signature::ECDSA_P384_SHA384_FIXED, Hash::Sha384),
                    66 => (&signature::ECDSA_P521_SHA512_FIXED, Hash::Sha512),
                    _ => return Err(Error::Ck(CKR_KEY_TYPE_INCONSISTENT)),
                };
                (alg, hash, ecdsa_digest(input, self.field_len(), hash)?)
            }
            SigKind::Eddsa | SigKind::Hmac => return Err(Error::Ck(CKR_MECHANISM_INVALID)),
        };
        let digest = Digest::import_less_safe(&digest, hash.algorithm())
            .map_err(|_| Error::Ck(CKR_DATA_LEN_RANGE))?;
        UnparsedPublicKey::new(alg, &self.spki)
            .verify_digest(&digest, sig)
            .map_err(|_| Error::Ck(CKR_SIGNATURE_INVALID))
    }

    /// RSA encryption with `CKM_RSA_PKCS` or `CKM_RSA_PKCS_OAEP`.
    pub fn encrypt(
        &self,
        mechanism: CK_MECHANISM_TYPE,
        params: &MechParams,
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        if self.family != KeyFamily::Rsa {
            return Err(Error::Ck(CKR_KEY_TYPE_INCONSISTENT));
        }
        let key = PublicEncryptingKey::from_der(&self.spki)
            .map_err(|_| Error::Ck(CKR_KEY_HANDLE_INVALID))?;
        let mut out = vec![0u8; self.sig_len];
        let n = match (mechanism, params) {
            (CKM_RSA_PKCS, MechParams::None) => {
                let k = Pkcs1PublicEncryptingKey::new(key)
                    .map_err(|_| Error::Ck(CKR_KEY_HANDLE_INVALID))?;
                if plaintext.len() > k.max_plaintext_size() {
                    return Err(Error::Ck(CKR_DATA_LEN_RANGE));
                }
                k.encrypt(plaintext, &mut out)
                    .map_err(|_| Error::Ck(CKR_DATA_INVALID))?
                    .len()
            }
            (CKM_RSA_PKCS_OAEP, MechParams::Oaep { hash, mgf, label }) => {
                let alg = oaep_alg(*hash, *mgf)?;
                let k = OaepPublicEncryptingKey::new(key)
                    .map_err(|_| Error::Ck(CKR_KEY_HANDLE_INVALID))?;
                if plaintext.len() > k.max_plaintext_size(alg) {
                    return Err(Error::Ck(CKR_DATA_LEN_RANGE));
                }
                let label = (!label.0.is_empty()).then_some(label.0.as_slice());
                k.encrypt(alg, plaintext, &mut out, label)
                    .map_err(|_| Error::Ck(CKR_DATA_INVALID))?
                    .len()
            }
            (CKM_RSA_PKCS | CKM_RSA_PKCS_OAEP, _) => {
                return Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID))
            }
            _ => return Err(Error::Ck(CKR_MECHANISM_INVALID)),
        };
        out.truncate(n);
        Ok(out)
    }
}

/// The OAEP variants kmsd and the module support: MGF1 with the same hash as the label hash.
pub fn oaep_alg(hash: u64, mgf: u64) -> Result<&'static aws_lc_rs::rsa::OaepAlgorithm> {
    let h = Hash::from_ckm(hash).ok_or(Error::Ck(CKR_MECHANISM_PARAM_INVALID))?;
    if mgf != h.mgf1() {
        return Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID));
    }
    Ok(match h {
        Hash::Sha1 => &OAEP_SHA1_MGF1SHA1,
        Hash::Sha256 => &OAEP_SHA256_MGF1SHA256,
        Hash::Sha384 => &OAEP_SHA384_MGF1SHA384,
        Hash::Sha512 => &OAEP_SHA512_MGF1SHA512,
        Hash::Sha224 => return Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID)),
    })
}

fn rsa_pkcs1_params(hash: Hash) -> Result<&'static dyn VerificationAlgorithm> {
    Ok(match hash {
        Hash::Sha1 => &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        Hash::Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Hash::Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Hash::Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Hash::Sha224 => return Err(Error::Ck(CKR_DATA_INVALID)),
    })
}

fn rsa_pss_params(hash: Hash) -> Result<&'static dyn VerificationAlgorithm> {
    Ok(match hash {
        Hash::Sha256 => &signature::RSA_PSS_2048_8192_SHA256,
        Hash::Sha384 => &signature::RSA_PSS_2048_8192_SHA384,
        Hash::Sha512 => &signature::RSA_PSS_2048_8192_SHA512,
        _ => return Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair};

    #[test]
    fn ecdsa_digest_padding() {
        assert_eq!(ecdsa_digest_for_field(&[1, 2], 4), vec![0, 0, 1, 2]);
        assert_eq!(
            ecdsa_digest_for_field(&[1, 2, 3, 4, 5], 4),
            vec![1, 2, 3, 4]
        );
    }

    #[test]
    fn verifies_ecdsa_and_refuses_a_changed_signature() {
        let kp = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let sig = kp
            .sign(&aws_lc_rs::rand::SystemRandom::new(), b"hello")
            .unwrap();
        let spki = kp.public_key().as_der().unwrap().as_ref().to_vec();
        let key = PublicKey::new(KeyFamily::Ec, spki, 64);
        let scheme = SigScheme::new(CKM_ECDSA_SHA256, &MechParams::None).unwrap();
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"hello");
        key.verify(&scheme, d.as_ref(), sig.as_ref()).unwrap();
        let mut bad = sig.as_ref().to_vec();
        bad[5] ^= 1;
        assert_eq!(
            key.verify(&scheme, d.as_ref(), &bad),
            Err(Error::Ck(CKR_SIGNATURE_INVALID))
        );
        assert_eq!(
            key.verify(&scheme, d.as_ref(), &bad[1..]),
            Err(Error::Ck(CKR_SIGNATURE_LEN_RANGE))
        );
    }

    #[test]
    fn unsigned_length() {
        assert_eq!(unsigned_len(&[0, 0, 1, 2]), 2);
        assert_eq!(unsigned_len(&[]), 0);
    }
}
