//! ECDSA and ECDH on P-256, P-384 and P-521 (aws-lc-rs): generation, import of a private scalar,
//! signing a digest, public attributes, and `CKM_ECDH1_DERIVE` with the ANSI X9.63 KDF.

use super::der;
use crate::error::{Error, Result};
use aws_lc_rs::agreement::{self, UnparsedPublicKey};
use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, ParsedPublicKey};
use kms_api::mech::Hash;
use zeroize::Zeroizing;

pub use kms_api::curve::Curve;

/// The curve `CKA_EC_PARAMS` names: `curve_not_supported` for a well-formed OID of another
/// curve, `attribute_value_invalid` for anything that is no OID (or for a missing value).
pub fn curve_of_params(params: Option<&[u8]>) -> Result<Curve> {
    let params = params.ok_or(Error::AttributeValueInvalid(crate::ck::CKA_EC_PARAMS))?;
    Curve::from_params(params).ok_or_else(|| match super::der::split_tlv(params) {
        Some((0x06, oid, [])) if !oid.is_empty() => Error::CurveNotSupported,
        _ => Error::AttributeValueInvalid(crate::ck::CKA_EC_PARAMS),
    })
}

/// aws-lc-rs's algorithms for a curve.
trait Algorithms {
    fn signing(self) -> &'static signature::EcdsaSigningAlgorithm;
    fn verifying(self) -> &'static signature::EcdsaVerificationAlgorithm;
    fn verifying_fixed(self) -> &'static signature::EcdsaVerificationAlgorithm;
    fn agreement(self) -> &'static agreement::Algorithm;
    fn digest_alg(self) -> &'static digest::Algorithm;
}

impl Algorithms for Curve {
    fn signing(self) -> &'static signature::EcdsaSigningAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
        }
    }

    fn verifying(self) -> &'static signature::EcdsaVerificationAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_ASN1,
            Curve::P384 => &signature::ECDSA_P384_SHA384_ASN1,
            Curve::P521 => &signature::ECDSA_P521_SHA512_ASN1,
        }
    }

    fn verifying_fixed(self) -> &'static signature::EcdsaVerificationAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
            Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
            Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED,
        }
    }

    fn agreement(self) -> &'static agreement::Algorithm {
        match self {
            Curve::P256 => &agreement::ECDH_P256,
            Curve::P384 => &agreement::ECDH_P384,
            Curve::P521 => &agreement::ECDH_P521,
        }
    }

    fn digest_alg(self) -> &'static digest::Algorithm {
        super::digest_alg(self.hash())
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

/// A stored private key, parsed for signing.
pub fn parse(curve: Curve, pkcs8: &[u8]) -> Result<EcdsaKeyPair> {
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

/// Signs a fixed message and verifies the signature with the public half (security R12).
fn pairwise_check(curve: Curve, kp: &EcdsaKeyPair) -> Result<()> {
    let msg = b"kmsd pairwise consistency test";
    let sig = kp
        .sign(&aws_lc_rs::rand::SystemRandom::new(), msg)
        .map_err(|_| Error::Internal("pairwise test: signing".into()))?;
    ParsedPublicKey::new(curve.verifying_fixed(), kp.public_key().as_ref())
        .map_err(|_| Error::Internal("pairwise test: public key".into()))?
        .verify_sig(msg, sig.as_ref())
        .map_err(|_| Error::Internal("pairwise test: verification".into()))
}

fn checked(curve: Curve, kp: &EcdsaKeyPair) -> Result<(Zeroizing<Vec<u8>>, EcPublic)> {
    pairwise_check(curve, kp)?;
    let doc = kp
        .to_pkcs8v1()
        .map_err(|_| Error::Internal("EC PKCS#8 encoding".into()))?;
    Ok((Zeroizing::new(doc.as_ref().to_vec()), public_of(curve, kp)?))
}

/// Imports a private key from its scalar (`CKA_VALUE`, big-endian; leading zeros may be left
/// out or added). The public point is computed by aws-lc, and the key passes a pairwise test.
/// Returns PKCS#8 DER and the public half; a scalar that is not a valid key → `ty` invalid.
pub fn from_scalar(curve: Curve, scalar: &[u8], ty: u64) -> Result<(Zeroizing<Vec<u8>>, EcPublic)> {
    let n = curve.field_len();
    let start = scalar.iter().position(|b| *b != 0).unwrap_or(scalar.len());
    let digits = &scalar[start..];
    if digits.is_empty() || digits.len() > n {
        return Err(Error::AttributeValueInvalid(ty));
    }
    let mut padded = Zeroizing::new(vec![0u8; n]);
    padded[n - digits.len()..].copy_from_slice(digits);
    let sk = agreement::PrivateKey::from_private_key(curve.agreement(), &padded)
        .map_err(|_| Error::AttributeValueInvalid(ty))?;
    let der: aws_lc_rs::encoding::Pkcs8V1Der<'static> = sk
        .as_der()
        .map_err(|_| Error::Internal("EC PKCS#8 encoding".into()))?;
    let kp = EcdsaKeyPair::from_pkcs8(curve.signing(), der.as_ref())
        .map_err(|_| Error::AttributeValueInvalid(ty))?;
    checked(curve, &kp).map_err(|_| Error::AttributeValueInvalid(ty))
}

/// Parses a PKCS#8 EC private key from outside (an unwrapped blob) on a supported curve and runs the
/// pairwise test. Returns the key re-encoded by aws-lc and its public half; any failure is
/// `None`, so that the caller reports one uniform error.
pub fn from_foreign_pkcs8(pkcs8: &[u8]) -> Option<(Zeroizing<Vec<u8>>, EcPublic)> {
    Curve::ALL.into_iter().find_map(|curve| {
        let kp = EcdsaKeyPair::from_pkcs8(curve.signing(), pkcs8).ok()?;
        checked(curve, &kp).ok()
    })
}

/// The key derivation function of `CK_ECDH1_DERIVE_PARAMS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EcdhKdf {
    /// `CKD_NULL`: the leftmost bytes of the shared secret Z.
    Null,
    /// `CKD_SHA*_KDF`: ANSI X9.63, `Hash(Z ‖ counter ‖ shared data)` from counter 1.
    X963(Hash),
}

/// The other party's public point from `CK_ECDH1_DERIVE_PARAMS.pPublicData`: the uncompressed
/// point, raw or inside a DER OCTET STRING, on `curve` (`mechanism_param_invalid` otherwise).
pub fn peer_point(curve: Curve, public_data: &[u8]) -> Result<Vec<u8>> {
    let bad = Error::MechanismParamInvalid(
        "the public data is not an uncompressed point on the key's curve",
    );
    let want = 2 * curve.field_len() + 1;
    let raw = der::parse_octet_string(public_data)
        .filter(|p| p.len() == want)
        .unwrap_or(public_data);
    if raw.len() != want || raw[0] != 0x04 {
        return Err(bad);
    }
    agreement::ParsedPublicKey::try_from(&UnparsedPublicKey::new(curve.agreement(), raw))
        .map_err(|_| bad)?;
    Ok(raw.to_vec())
}

/// `CKM_ECDH1_DERIVE`: ECDH between the stored private key and `peer` (from [`peer_point`]),
/// then the KDF; returns `out_len` bytes of key material. With `CKD_NULL`, `out_len` may not
/// exceed the length of Z (`key_size_range`).
pub fn ecdh_derive(
    curve: Curve,
    pkcs8: &[u8],
    peer: &[u8],
    kdf: EcdhKdf,
    shared_data: &[u8],
    out_len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    let sk = agreement::PrivateKey::from_private_key_der(curve.agreement(), pkcs8)
        .map_err(|_| Error::IntegrityFailure("stored EC key unusable".into()))?;
    agreement::agree(
        &sk,
        UnparsedPublicKey::new(curve.agreement(), peer),
        Error::MechanismParamInvalid("the public data is not a point on the key's curve"),
        |z| x963_kdf(z, kdf, shared_data, out_len),
    )
}

/// The KDF step of [`ecdh_derive`].
pub fn x963_kdf(
    z: &[u8],
    kdf: EcdhKdf,
    shared_data: &[u8],
    out_len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    match kdf {
        EcdhKdf::Null => {
            if out_len > z.len() {
                return Err(Error::KeySizeRange(
                    "CKD_NULL gives at most the length of the shared secret".into(),
                ));
            }
            Ok(Zeroizing::new(z[..out_len].to_vec()))
        }
        EcdhKdf::X963(hash) => {
            let mut out = Zeroizing::new(Vec::with_capacity(out_len + hash.len()));
            let mut counter: u32 = 1;
            while out.len() < out_len {
                let mut ctx = digest::Context::new(super::digest_alg(hash));
                ctx.update(z);
                ctx.update(&counter.to_be_bytes());
                ctx.update(shared_data);
                out.extend_from_slice(ctx.finish().as_ref());
                counter += 1;
            }
            out.truncate(out_len);
            Ok(out)
        }
    }
}

/// Fits a digest of any length to the input aws-lc signs (as long as the curve's own hash):
/// truncated to its leftmost bytes when longer, left-padded with zeros when shorter — the same
/// integer, since ECDSA uses the leftmost bits of the hash (FIPS 186-5 §6.4.1). For P-521 no
/// digest (at most 64 bytes) is longer than the field, so nothing is ever cut there.
pub fn fit_digest(curve: Curve, digest_bytes: &[u8]) -> Vec<u8> {
    let n = curve.digest_alg().output_len();
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
    sign_digest_with(curve, &parse(curve, pkcs8)?, digest_bytes)
}

/// [`sign_digest`] with a parsed key ([`super::keycache`]).
pub fn sign_digest_with(curve: Curve, key: &EcdsaKeyPair, digest_bytes: &[u8]) -> Result<Vec<u8>> {
    if digest_bytes.is_empty() || digest_bytes.len() > 64 {
        return Err(Error::DataLenRange);
    }
    let fitted = fit_digest(curve, digest_bytes);
    let d = digest::Digest::import_less_safe(&fitted, curve.digest_alg())
        .map_err(|_| Error::Internal("digest import".into()))?;
    let sig = key
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
        assert_eq!(fit_digest(Curve::P521, &long), long);
        assert_eq!(
            fit_digest(Curve::P521, &[1, 2]),
            [vec![0u8; 62], vec![1, 2]].concat()
        );
    }

    #[test]
    fn sign_verifies_with_public_point() {
        for curve in Curve::ALL {
            let (pkcs8, public) = generate(curve).unwrap();
            let n = curve.field_len();
            let raw = der::parse_octet_string(&public.point).unwrap();
            assert_eq!(raw[0], 0x04);
            assert_eq!(raw.len(), 2 * n + 1);
            let msg = b"message";
            let d = digest::digest(curve.digest_alg(), msg);
            let sig = sign_digest(curve, &pkcs8, d.as_ref()).unwrap();
            assert_eq!(sig.len(), 2 * n);
            ParsedPublicKey::new(curve.verifying_fixed(), &public.spki)
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

    #[test]
    fn scalar_import_gives_the_generated_public_key() {
        use aws_lc_rs::encoding::AsBigEndian as _;
        for curve in Curve::ALL {
            let (pkcs8, public) = generate(curve).unwrap();
            let kp = parse(curve, &pkcs8).unwrap();
            let scalar = kp.private_key().as_be_bytes().unwrap();
            let (imported, p2) = from_scalar(curve, scalar.as_ref(), 7).unwrap();
            assert_eq!(p2, public);
            assert_eq!(public_from_pkcs8(curve, &imported).unwrap(), public);
            // With an extra leading zero, as a DER INTEGER would carry it.
            let mut longer = vec![0u8];
            longer.extend_from_slice(scalar.as_ref());
            assert_eq!(from_scalar(curve, &longer, 7).unwrap().1, public);
            let (again, p3) = from_foreign_pkcs8(&pkcs8).unwrap();
            assert_eq!(p3, public);
            assert_eq!(public_from_pkcs8(curve, &again).unwrap(), public);
        }
        assert!(matches!(
            from_scalar(Curve::P256, &[0u8; 32], 7),
            Err(Error::AttributeValueInvalid(7))
        ));
        assert!(matches!(
            from_scalar(Curve::P256, &[0xffu8; 32], 7),
            Err(Error::AttributeValueInvalid(7))
        ));
        assert!(matches!(
            from_scalar(Curve::P256, &[1u8; 33], 7),
            Err(Error::AttributeValueInvalid(7))
        ));
        assert!(from_foreign_pkcs8(b"not a key").is_none());
    }

    #[test]
    fn ecdh_agrees_and_checks_the_peer_point() {
        for curve in [Curve::P256, Curve::P384] {
            let (a, pa) = generate(curve).unwrap();
            let (b, pb) = generate(curve).unwrap();
            let raw_a = der::parse_octet_string(&pa.point).unwrap().to_vec();
            // Raw and DER-wrapped forms are both accepted.
            let peer_b = peer_point(curve, &pb.point).unwrap();
            assert_eq!(peer_point(curve, &peer_b).unwrap(), peer_b);
            let peer_a = peer_point(curve, &raw_a).unwrap();
            for kdf in [
                EcdhKdf::Null,
                EcdhKdf::X963(Hash::Sha256),
                EcdhKdf::X963(Hash::Sha512),
            ] {
                let shared = if kdf == EcdhKdf::Null {
                    &b""[..]
                } else {
                    b"info"
                };
                let k1 = ecdh_derive(curve, &a, &peer_b, kdf, shared, 32).unwrap();
                let k2 = ecdh_derive(curve, &b, &peer_a, kdf, shared, 32).unwrap();
                assert_eq!(*k1, *k2);
                assert_eq!(k1.len(), 32);
            }
            let z = ecdh_derive(curve, &a, &peer_b, EcdhKdf::Null, b"", curve.field_len()).unwrap();
            assert!(matches!(
                ecdh_derive(
                    curve,
                    &a,
                    &peer_b,
                    EcdhKdf::Null,
                    b"",
                    curve.field_len() + 1
                ),
                Err(Error::KeySizeRange(_))
            ));
            // X9.63 by hand: SHA-256(Z ‖ 00000001 ‖ info) ‖ SHA-256(Z ‖ 00000002 ‖ info).
            let long =
                ecdh_derive(curve, &a, &peer_b, EcdhKdf::X963(Hash::Sha256), b"info", 40).unwrap();
            let block = |i: u32| {
                let mut c = digest::Context::new(&digest::SHA256);
                c.update(&z);
                c.update(&i.to_be_bytes());
                c.update(b"info");
                c.finish().as_ref().to_vec()
            };
            assert_eq!(long.as_slice(), &[block(1), block(2)].concat()[..40]);
            // Off the curve, compressed, wrong length, other curve.
            let mut off = peer_b.clone();
            off[10] ^= 1;
            assert!(matches!(
                peer_point(curve, &off),
                Err(Error::MechanismParamInvalid(_))
            ));
            let mut compressed = peer_b[..curve.field_len() + 1].to_vec();
            compressed[0] = 0x02;
            assert!(peer_point(curve, &compressed).is_err());
            assert!(peer_point(curve, &peer_b[1..]).is_err());
        }
        let (_, p384) = generate(Curve::P384).unwrap();
        assert!(peer_point(Curve::P256, &p384.point).is_err());
    }
}
