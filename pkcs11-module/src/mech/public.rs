//! Public-key operations done in the module, without a round trip: signature verification and
//! RSA encryption with a public key. All on aws-lc-rs (the `rsa` crate is not used anywhere).

use super::digest::Compute;
use super::scheme::SigScheme;
use crate::error::{Error, Result};
use aws_lc_rs::digest::Digest;
use aws_lc_rs::rsa::{
    OaepAlgorithm, OaepPublicEncryptingKey, Pkcs1PublicEncryptingKey, PublicEncryptingKey,
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OAEP_SHA384_MGF1SHA384, OAEP_SHA512_MGF1SHA512,
};
use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use cryptoki_sys::*;
use kms_api::curve::Curve;
use kms_api::mech::table::Kind;
use kms_api::mech::{params, Hash, MechInfo};
use kms_api::MechParams;

/// A public key ready for local use.
#[derive(Debug, Clone)]
pub struct PublicKey {
    /// The key type (`CKK_RSA`, `CKK_EC`, `CKK_EC_EDWARDS`).
    pub key_type: u64,
    /// X.509 SubjectPublicKeyInfo DER.
    pub spki: Vec<u8>,
    /// Signature length: the modulus length (RSA), twice the field length (EC), 64 (Ed25519).
    pub sig_len: usize,
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
    /// Builds a key from its type, its SPKI and the signature length.
    pub fn new(key_type: u64, spki: Vec<u8>, sig_len: usize) -> Self {
        PublicKey {
            key_type,
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
        if scheme.kind == Kind::Eddsa {
            return UnparsedPublicKey::new(&signature::ED25519, self.ed25519_raw()?)
                .verify(input, sig)
                .map_err(|_| Error::Ck(CKR_SIGNATURE_INVALID));
        }
        let (alg, hash, digest): (&'static dyn VerificationAlgorithm, Hash, Vec<u8>) = match scheme
            .kind
        {
            Kind::RsaPkcs1 => {
                let (hash, digest) = match scheme.hash {
                    Some(h) => (h, input),
                    None => Hash::parse_digest_info(input).ok_or(Error::Ck(CKR_DATA_INVALID))?,
                };
                (rsa_pkcs1_params(hash)?, hash, digest.to_vec())
            }
            Kind::RsaPss => {
                let hash = scheme.hash.ok_or(Error::Ck(CKR_MECHANISM_PARAM_INVALID))?;
                (rsa_pss_params(hash)?, hash, input.to_vec())
            }
            Kind::Ecdsa => {
                let curve = Curve::ALL
                    .into_iter()
                    .find(|c| c.field_len() == self.field_len())
                    .ok_or(Error::Ck(CKR_KEY_TYPE_INCONSISTENT))?;
                let alg: &'static dyn VerificationAlgorithm = match curve {
                    Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
                    Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
                    Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED,
                };
                let hash = curve.hash();
                (alg, hash, ecdsa_digest(input, curve.field_len(), hash)?)
            }
            _ => return Err(Error::Ck(CKR_MECHANISM_INVALID)),
        };
        let digest = Digest::import_less_safe(&digest, hash.algorithm())
            .map_err(|_| Error::Ck(CKR_DATA_LEN_RANGE))?;
        UnparsedPublicKey::new(alg, &self.spki)
            .verify_digest(&digest, sig)
            .map_err(|_| Error::Ck(CKR_SIGNATURE_INVALID))
    }

    /// RSA encryption with the row of `CKM_RSA_PKCS` or `CKM_RSA_PKCS_OAEP`.
    pub fn encrypt(
        &self,
        row: &MechInfo,
        params: &MechParams,
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        if self.key_type != CKK_RSA as u64 {
            return Err(Error::Ck(CKR_KEY_TYPE_INCONSISTENT));
        }
        let key = PublicEncryptingKey::from_der(&self.spki)
            .map_err(|_| Error::Ck(CKR_KEY_HANDLE_INVALID))?;
        let mut out = vec![0u8; self.sig_len];
        let n = match row.kind {
            Kind::RsaPkcs1 => {
                params::none(params)?;
                let k = Pkcs1PublicEncryptingKey::new(key)
                    .map_err(|_| Error::Ck(CKR_KEY_HANDLE_INVALID))?;
                if plaintext.len() > k.max_plaintext_size() {
                    return Err(Error::Ck(CKR_DATA_LEN_RANGE));
                }
                k.encrypt(plaintext, &mut out)
                    .map_err(|_| Error::Ck(CKR_DATA_INVALID))?
                    .len()
            }
            Kind::RsaOaep => {
                let (alg, label) = oaep_alg(params)?;
                let k = OaepPublicEncryptingKey::new(key)
                    .map_err(|_| Error::Ck(CKR_KEY_HANDLE_INVALID))?;
                if plaintext.len() > k.max_plaintext_size(alg) {
                    return Err(Error::Ck(CKR_DATA_LEN_RANGE));
                }
                let label = (!label.is_empty()).then_some(label);
                k.encrypt(alg, plaintext, &mut out, label)
                    .map_err(|_| Error::Ck(CKR_DATA_INVALID))?
                    .len()
            }
            _ => return Err(Error::Ck(CKR_MECHANISM_INVALID)),
        };
        out.truncate(n);
        Ok(out)
    }
}

/// The aws-lc-rs algorithm and the label of OAEP parameters: exactly those kms-api's
/// [`params::oaep`] accepts (the ones kmsd decrypts and unwraps with), so that nothing is
/// encrypted here that kmsd could not decrypt.
fn oaep_alg(params: &MechParams) -> Result<(&'static OaepAlgorithm, &[u8])> {
    let (hash, label) = params::oaep(params)?;
    let alg = match hash {
        Hash::Sha1 => &OAEP_SHA1_MGF1SHA1,
        Hash::Sha256 => &OAEP_SHA256_MGF1SHA256,
        Hash::Sha384 => &OAEP_SHA384_MGF1SHA384,
        Hash::Sha512 => &OAEP_SHA512_MGF1SHA512,
        // Refused by params::oaep already; an arm in case it ever accepts more.
        Hash::Sha224 => return Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID)),
    };
    Ok((alg, label))
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
        let key = PublicKey::new(CKK_EC as u64, spki, 64);
        let row = kms_api::mech::info(CKM_ECDSA_SHA256 as u64).unwrap();
        let scheme = SigScheme::new(row, &MechParams::None).unwrap();
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

    fn oaep(hash: Hash, mgf: Hash) -> MechParams {
        MechParams::Oaep {
            hash: hash.ckm(),
            mgf: mgf.mgf1(),
            label: kms_api::Bytes(b"label".to_vec()),
        }
    }

    #[test]
    fn oaep_is_exactly_what_kms_api_accepts() {
        for hash in Hash::ALL {
            for mgf in Hash::ALL {
                let p = oaep(hash, mgf);
                assert_eq!(
                    oaep_alg(&p).is_ok(),
                    params::oaep(&p).is_ok(),
                    "{hash:?} with MGF1-{mgf:?}"
                );
            }
        }
    }

    #[test]
    fn encrypts_oaep_sha2_and_refuses_sha224() {
        use aws_lc_rs::rsa::{KeySize, OaepPrivateDecryptingKey, PrivateDecryptingKey};
        let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap();
        let spki = private.public_key().as_der().unwrap().as_ref().to_vec();
        let key = PublicKey::new(CKK_RSA as u64, spki, 256);
        let row = kms_api::mech::info(CKM_RSA_PKCS_OAEP as u64).unwrap();
        let sealed = key
            .encrypt(row, &oaep(Hash::Sha256, Hash::Sha256), b"hello")
            .unwrap();
        let mut out = [0u8; 256];
        let opened = OaepPrivateDecryptingKey::new(private)
            .unwrap()
            .decrypt(&OAEP_SHA256_MGF1SHA256, &sealed, &mut out, Some(b"label"))
            .unwrap();
        assert_eq!(opened, b"hello");
        assert!(key
            .encrypt(row, &oaep(Hash::Sha512, Hash::Sha512), b"hello")
            .is_ok());
        assert_eq!(
            key.encrypt(row, &oaep(Hash::Sha224, Hash::Sha224), b"hello"),
            Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID)),
            "kmsd could not decrypt it"
        );
    }

    #[test]
    fn unsigned_length() {
        assert_eq!(unsigned_len(&[0, 0, 1, 2]), 2);
        assert_eq!(unsigned_len(&[]), 0);
    }
}
