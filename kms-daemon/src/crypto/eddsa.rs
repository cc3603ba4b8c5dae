//! Ed25519 (`CKK_EC_EDWARDS`, `CKM_EDDSA` without parameters: pure Ed25519, RFC 8032) on
//! aws-lc-rs: generation, import of a private seed or a public key, signing.

use super::der;
use crate::error::{Error, Result};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use zeroize::Zeroizing;

/// The `CKA_EC_PARAMS` spellings of Curve25519 in Edwards form that applications send: the
/// RFC 8410 OID id-Ed25519, the PKCS#11 v3.0 PrintableString, and the older GnuPG OID that
/// OpenSC uses.
const PARAMS: &[&[u8]] = &[
    &[0x06, 0x03, 0x2b, 0x65, 0x70],
    b"\x13\x0cedwards25519",
    &[
        0x06, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01,
    ],
];

/// Public key length (and private seed length) in bytes.
pub const KEY_LEN: usize = 32;

/// Whether `CKA_EC_PARAMS` names Ed25519.
pub fn is_ed25519(params: &[u8]) -> bool {
    PARAMS.contains(&params)
}

/// The public half of an Ed25519 key, as the `CKA_*` attributes show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdPublic {
    /// `CKA_EC_POINT`: DER OCTET STRING around the 32-byte public key.
    pub point: Vec<u8>,
    /// `CKA_PUBLIC_KEY_INFO` (SubjectPublicKeyInfo DER).
    pub spki: Vec<u8>,
}

fn public_of(kp: &Ed25519KeyPair) -> Result<EdPublic> {
    let pk = kp.public_key();
    let spki = pk
        .as_der()
        .map_err(|_| Error::Internal("Ed25519 SPKI encoding".into()))?;
    Ok(EdPublic {
        point: der::octet_string(pk.as_ref()),
        spki: spki.as_ref().to_vec(),
    })
}

/// Signs a fixed message and verifies it with the public half (security R12).
fn checked(kp: &Ed25519KeyPair) -> Result<(Zeroizing<Vec<u8>>, EdPublic)> {
    let msg = b"kmsd pairwise consistency test";
    let sig = kp.sign(msg);
    UnparsedPublicKey::new(&signature::ED25519, kp.public_key().as_ref())
        .verify(msg, sig.as_ref())
        .map_err(|_| Error::Internal("pairwise test: verification".into()))?;
    let doc = kp
        .to_pkcs8v1()
        .map_err(|_| Error::Internal("Ed25519 PKCS#8 encoding".into()))?;
    Ok((Zeroizing::new(doc.as_ref().to_vec()), public_of(kp)?))
}

/// Generates a key; returns PKCS#8 DER and the public half.
pub fn generate() -> Result<(Zeroizing<Vec<u8>>, EdPublic)> {
    let kp =
        Ed25519KeyPair::generate().map_err(|_| Error::Internal("Ed25519 generation".into()))?;
    checked(&kp)
}

/// Imports a private key from its 32-byte seed (`CKA_VALUE`); `ty` names the attribute for
/// errors.
pub fn from_seed(seed: &[u8], ty: u64) -> Result<(Zeroizing<Vec<u8>>, EdPublic)> {
    if seed.len() != KEY_LEN {
        return Err(Error::AttributeValueInvalid(ty));
    }
    let kp =
        Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| Error::AttributeValueInvalid(ty))?;
    checked(&kp)
}

/// Validates an imported `CKA_EC_POINT` (DER OCTET STRING or the bare 32 bytes).
pub fn public_from_point(ec_point: &[u8], ty: u64) -> Result<EdPublic> {
    let raw = der::parse_octet_string(ec_point)
        .filter(|p| p.len() == KEY_LEN)
        .unwrap_or(ec_point);
    if raw.len() != KEY_LEN {
        return Err(Error::AttributeValueInvalid(ty));
    }
    let parsed = signature::ParsedPublicKey::new(&signature::ED25519, raw)
        .map_err(|_| Error::AttributeValueInvalid(ty))?;
    let spki = parsed
        .as_der()
        .map_err(|_| Error::AttributeValueInvalid(ty))?;
    Ok(EdPublic {
        point: der::octet_string(raw),
        spki: spki.as_ref().to_vec(),
    })
}

/// Parses a PKCS#8 Ed25519 key from outside (an unwrapped blob) and runs the pairwise test.
pub fn from_foreign_pkcs8(pkcs8: &[u8]) -> Option<(Zeroizing<Vec<u8>>, EdPublic)> {
    let kp = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).ok()?;
    checked(&kp).ok()
}

/// Signs `msg` (the whole message: pure EdDSA hashes inside the signature).
pub fn sign(pkcs8: &[u8], msg: &[u8]) -> Result<Vec<u8>> {
    let kp = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
        .map_err(|_| Error::IntegrityFailure("stored Ed25519 key unusable".into()))?;
    Ok(kp.sign(msg).as_ref().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_8032_test_1_and_round_trips() {
        // RFC 8032 §7.1 TEST 1: the empty message.
        let seed = [
            0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec,
            0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03,
            0x1c, 0xae, 0x7f, 0x60,
        ];
        let (pkcs8, public) = from_seed(&seed, 0).unwrap();
        assert_eq!(
            public.point[2..6],
            [0xd7, 0x5a, 0x98, 0x01],
            "public key of RFC 8032 TEST 1"
        );
        let sig = sign(&pkcs8, b"").unwrap();
        assert_eq!(sig[..4], [0xe5, 0x56, 0x43, 0x00]);
        assert_eq!(public_from_point(&public.point, 0).unwrap(), public);
        assert!(from_foreign_pkcs8(&pkcs8).is_some());
        assert!(matches!(
            from_seed(&seed[1..], 7),
            Err(Error::AttributeValueInvalid(7))
        ));
        let (_, other) = generate().unwrap();
        assert_ne!(other, public);
        assert!(is_ed25519(b"\x13\x0cedwards25519"));
        assert!(!is_ed25519(&[0x06, 0x03, 0x2b, 0x65, 0x71]));
    }
}
