//! ECDSA on P-256 and P-384 (aws-lc-rs): generation, signing a digest, public attributes.

use super::der;
use crate::error::{Error, Result};
use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, ParsedPublicKey};
use zeroize::Zeroizing;

/// The curves kmsd offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    /// NIST P-256 (secp256r1).
    P256,
    /// NIST P-384 (secp384r1).
    P384,
}

const P256_OID: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384_OID: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];

impl Curve {
    /// The curve named by `CKA_EC_PARAMS` (DER OID of a named curve).
    pub fn from_params(params: &[u8]) -> Option<Curve> {
        match params {
            P256_OID => Some(Curve::P256),
            P384_OID => Some(Curve::P384),
            _ => None,
        }
    }

    /// `CKA_EC_PARAMS` of this curve.
    pub fn params(self) -> &'static [u8] {
        match self {
            Curve::P256 => P256_OID,
            Curve::P384 => P384_OID,
        }
    }

    /// Field (and digest) length in bytes.
    pub fn field_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
        }
    }

    fn signing(self) -> &'static signature::EcdsaSigningAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        }
    }

    fn verifying(self) -> &'static signature::EcdsaVerificationAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_ASN1,
            Curve::P384 => &signature::ECDSA_P384_SHA384_ASN1,
        }
    }

    fn digest_alg(self) -> &'static digest::Algorithm {
        match self {
            Curve::P256 => &digest::SHA256,
            Curve::P384 => &digest::SHA384,
        }
    }
}

/// The public half of an EC key, as the `CKA_*` attributes show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcPublic {
    /// The curve (`CKA_EC_PARAMS`).
    pub curve: Curve,
    /// `CKA_EC_POINT`: DER OCTET STRING around the uncompressed point.
    pub point: Vec<u8>,
    /// `CKA_PUBLIC_KEY_INFO` (SubjectPublicKeyInfo DER).
    pub spki: Vec<u8>,
}

/// Generates a key; returns PKCS#8 DER and the public half.
pub fn generate(curve: Curve) -> Result<(Zeroizing<Vec<u8>>, EcPublic)> {
    let kp = EcdsaKeyPair::generate(curve.signing())
        .map_err(|_| Error::Internal("EC generation".into()))?;
    let doc = kp
        .to_pkcs8v1()
        .map_err(|_| Error::Internal("EC PKCS#8 encoding".into()))?;
    Ok((
        Zeroizing::new(doc.as_ref().to_vec()),
        public_of(curve, &kp)?,
    ))
}

fn public_of(curve: Curve, kp: &EcdsaKeyPair) -> Result<EcPublic> {
    let pk = kp.public_key();
    let spki = pk
        .as_der()
        .map_err(|_| Error::Internal("EC SPKI encoding".into()))?;
    Ok(EcPublic {
        curve,
        point: der::octet_string(pk.as_ref()),
        spki: spki.as_ref().to_vec(),
    })
}

fn parse(curve: Curve, pkcs8: &[u8]) -> Result<EcdsaKeyPair> {
    EcdsaKeyPair::from_pkcs8(curve.signing(), pkcs8)
        .map_err(|_| Error::IntegrityFailure("stored EC key unusable".into()))
}

/// The public half of a stored private key.
pub fn public_from_pkcs8(curve: Curve, pkcs8: &[u8]) -> Result<EcPublic> {
    public_of(curve, &parse(curve, pkcs8)?)
}

/// Validates an imported `CKA_EC_POINT` (DER OCTET STRING, or — as some clients send — the bare
/// uncompressed point) on `curve`, and derives the SPKI. `ty` names the attribute for errors.
pub fn public_from_point(curve: Curve, ec_point: &[u8], ty: u64) -> Result<EcPublic> {
    let raw = der::parse_octet_string(ec_point)
        .filter(|p| p.len() == 2 * curve.field_len() + 1)
        .unwrap_or(ec_point);
    if raw.len() != 2 * curve.field_len() + 1 || raw[0] != 0x04 {
        return Err(Error::AttributeValueInvalid(ty));
    }
    let parsed = ParsedPublicKey::new(curve.verifying(), raw)
        .map_err(|_| Error::AttributeValueInvalid(ty))?;
    let spki = parsed
        .as_der()
        .map_err(|_| Error::AttributeValueInvalid(ty))?;
    Ok(EcPublic {
        curve,
        point: der::octet_string(raw),
        spki: spki.as_ref().to_vec(),
    })
}

/// Fits a digest of any length to the curve: truncated to its leftmost bytes when longer,
/// left-padded with zeros when shorter (ECDSA uses the leftmost bits of the hash).
pub fn fit_digest(curve: Curve, digest_bytes: &[u8]) -> Vec<u8> {
    let n = curve.field_len();
    if digest_bytes.len() >= n {
        digest_bytes[..n].to_vec()
    } else {
        let mut out = vec![0u8; n - digest_bytes.len()];
        out.extend_from_slice(digest_bytes);
        out
    }
}

/// Signs a digest of 1..=64 bytes; returns raw `r ‖ s` of fixed length.
pub fn sign_digest(curve: Curve, pkcs8: &[u8], digest_bytes: &[u8]) -> Result<Vec<u8>> {
    if digest_bytes.is_empty() || digest_bytes.len() > 64 {
        return Err(Error::DataLenRange);
    }
    let fitted = fit_digest(curve, digest_bytes);
    let d = digest::Digest::import_less_safe(&fitted, curve.digest_alg())
        .map_err(|_| Error::Internal("digest import".into()))?;
    let sig = parse(curve, pkcs8)?
        .sign_digest(&d)
        .map_err(|_| Error::Internal("ECDSA signing".into()))?;
    Ok(sig.as_ref().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_padding_and_truncation() {
        assert_eq!(
            fit_digest(Curve::P256, &[1, 2]),
            [vec![0u8; 30], vec![1, 2]].concat()
        );
        let long: Vec<u8> = (0..64).collect();
        assert_eq!(fit_digest(Curve::P256, &long), long[..32].to_vec());
        assert_eq!(fit_digest(Curve::P384, &long), long[..48].to_vec());
    }

    #[test]
    fn sign_verifies_with_public_point() {
        for curve in [Curve::P256, Curve::P384] {
            let (pkcs8, public) = generate(curve).unwrap();
            let n = curve.field_len();
            assert_eq!(public.point[0], 0x04);
            assert_eq!(public.point.len(), 2 * n + 3);
            let msg = b"message";
            let d = digest::digest(curve.digest_alg(), msg);
            let sig = sign_digest(curve, &pkcs8, d.as_ref()).unwrap();
            assert_eq!(sig.len(), 2 * n);
            let fixed = match curve {
                Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
                Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
            };
            ParsedPublicKey::new(fixed, &public.spki)
                .unwrap()
                .verify_sig(msg, &sig)
                .unwrap();
            assert_eq!(public_from_point(curve, &public.point, 0).unwrap(), public);
            assert_eq!(public_from_pkcs8(curve, &pkcs8).unwrap(), public);
            assert!(matches!(
                sign_digest(curve, &pkcs8, &[]),
                Err(Error::DataLenRange)
            ));
        }
        assert_eq!(Curve::from_params(Curve::P256.params()), Some(Curve::P256));
        assert!(public_from_point(Curve::P256, &[4u8; 65], 7).is_err());
    }
}
