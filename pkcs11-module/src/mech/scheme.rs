//! Signature schemes: which key family a signing mechanism needs, whether the module hashes the
//! input first (hash-and-sign: only the digest goes to kmsd), whether the mechanism is
//! single-part only, and the checks on PSS parameters.

use crate::error::{Error, Result};
use cryptoki_sys::*;
use kms_api::mech::Hash;
use kms_api::MechParams;

/// Key families the signing mechanisms apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    /// `CKK_RSA`.
    Rsa,
    /// `CKK_EC`.
    Ec,
    /// `CKK_EC_EDWARDS` (Ed25519).
    Edwards,
    /// `CKK_GENERIC_SECRET` (HMAC): signed and verified in kmsd.
    Secret,
}

/// The padding or algorithm of a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigKind {
    /// RSASSA-PKCS1-v1_5.
    RsaPkcs1,
    /// RSASSA-PSS.
    RsaPss,
    /// ECDSA, raw `r ‖ s`.
    Ecdsa,
    /// Pure EdDSA (Ed25519) over the whole message.
    Eddsa,
    /// HMAC over the whole message.
    Hmac,
}

/// A signing mechanism, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigScheme {
    /// Key family.
    pub family: KeyFamily,
    /// Signature kind.
    pub kind: SigKind,
    /// The hash the module applies to the input (hash-and-sign), or `None` when the input is
    /// already a digest (`CKM_ECDSA`, `CKM_RSA_PKCS_PSS`) or a `DigestInfo` (`CKM_RSA_PKCS`).
    pub prehash: Option<Hash>,
    /// The hash the signature commits to, when known before seeing the data.
    pub hash: Option<Hash>,
}

/// Mechanisms whose sign and verify are single-part only (PKCS#11 v3.0 §2.1 mechanism tables,
/// footnote "single-part operations only"): `*Update` on them is `CKR_FUNCTION_NOT_SUPPORTED`.
const SINGLE_PART: &[CK_MECHANISM_TYPE] = &[CKM_RSA_PKCS, CKM_RSA_PKCS_PSS, CKM_ECDSA, CKM_EDDSA];

/// Whether `C_SignUpdate`/`C_VerifyUpdate` are refused for `mechanism`.
pub fn single_part_only(mechanism: CK_MECHANISM_TYPE) -> bool {
    SINGLE_PART.contains(&mechanism)
}

impl SigScheme {
    /// Classifies a mechanism and checks its parameters.
    pub fn new(mechanism: CK_MECHANISM_TYPE, params: &MechParams) -> Result<SigScheme> {
        use Hash::*;
        let (family, kind, prehash) = match mechanism {
            CKM_RSA_PKCS => (KeyFamily::Rsa, SigKind::RsaPkcs1, None),
            CKM_SHA256_RSA_PKCS => (KeyFamily::Rsa, SigKind::RsaPkcs1, Some(Sha256)),
            CKM_SHA384_RSA_PKCS => (KeyFamily::Rsa, SigKind::RsaPkcs1, Some(Sha384)),
            CKM_SHA512_RSA_PKCS => (KeyFamily::Rsa, SigKind::RsaPkcs1, Some(Sha512)),
            CKM_RSA_PKCS_PSS => (KeyFamily::Rsa, SigKind::RsaPss, None),
            CKM_SHA256_RSA_PKCS_PSS => (KeyFamily::Rsa, SigKind::RsaPss, Some(Sha256)),
            CKM_SHA384_RSA_PKCS_PSS => (KeyFamily::Rsa, SigKind::RsaPss, Some(Sha384)),
            CKM_SHA512_RSA_PKCS_PSS => (KeyFamily::Rsa, SigKind::RsaPss, Some(Sha512)),
            CKM_ECDSA => (KeyFamily::Ec, SigKind::Ecdsa, None),
            CKM_ECDSA_SHA256 => (KeyFamily::Ec, SigKind::Ecdsa, Some(Sha256)),
            CKM_ECDSA_SHA384 => (KeyFamily::Ec, SigKind::Ecdsa, Some(Sha384)),
            CKM_ECDSA_SHA512 => (KeyFamily::Ec, SigKind::Ecdsa, Some(Sha512)),
            CKM_EDDSA => (KeyFamily::Edwards, SigKind::Eddsa, None),
            CKM_SHA256_HMAC => (KeyFamily::Secret, SigKind::Hmac, None),
            CKM_SHA384_HMAC => (KeyFamily::Secret, SigKind::Hmac, None),
            CKM_SHA512_HMAC => (KeyFamily::Secret, SigKind::Hmac, None),
            _ => return Err(Error::Ck(CKR_MECHANISM_INVALID)),
        };
        let hash = match (kind, mechanism) {
            (SigKind::RsaPss, _) => Some(pss_hash(params, prehash)?),
            (SigKind::Hmac, CKM_SHA256_HMAC) => Some(Sha256),
            (SigKind::Hmac, CKM_SHA384_HMAC) => Some(Sha384),
            (SigKind::Hmac, _) => Some(Sha512),
            _ => prehash,
        };
        Ok(SigScheme {
            family,
            kind,
            prehash,
            hash,
        })
    }
}

/// Checks `CK_RSA_PKCS_PSS_PARAMS`: a SHA-2 hash (the one of the mechanism, if it names one),
/// MGF1 with the same hash, and a salt as long as the hash (what kmsd's RSA-PSS produces).
fn pss_hash(params: &MechParams, fixed: Option<Hash>) -> Result<Hash> {
    let MechParams::Pss {
        hash,
        mgf,
        salt_len,
    } = params
    else {
        return Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID));
    };
    let h = Hash::from_ckm(*hash)
        .filter(|h| matches!(h, Hash::Sha256 | Hash::Sha384 | Hash::Sha512))
        .ok_or(Error::Ck(CKR_MECHANISM_PARAM_INVALID))?;
    let consistent =
        fixed.is_none_or(|f| f == h) && *mgf == h.mgf1() && *salt_len == h.len() as u64;
    if consistent {
        Ok(h)
    } else {
        Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pss(hash: CK_MECHANISM_TYPE, mgf: CK_ULONG, salt: u64) -> MechParams {
        MechParams::Pss {
            hash: hash as u64,
            mgf: mgf as u64,
            salt_len: salt,
        }
    }

    #[test]
    fn classification() {
        let s = SigScheme::new(CKM_SHA256_RSA_PKCS, &MechParams::None).unwrap();
        assert_eq!(
            (s.family, s.kind, s.prehash),
            (KeyFamily::Rsa, SigKind::RsaPkcs1, Some(Hash::Sha256))
        );
        let s = SigScheme::new(CKM_ECDSA, &MechParams::None).unwrap();
        assert_eq!((s.family, s.prehash), (KeyFamily::Ec, None));
        assert_eq!(
            SigScheme::new(CKM_AES_GCM, &MechParams::None),
            Err(Error::Ck(CKR_MECHANISM_INVALID))
        );
    }

    #[test]
    fn pss_parameters_are_checked() {
        let ok = SigScheme::new(CKM_RSA_PKCS_PSS, &pss(CKM_SHA256, CKG_MGF1_SHA256, 32)).unwrap();
        assert_eq!(ok.hash, Some(Hash::Sha256));
        let bad = Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID));
        assert_eq!(SigScheme::new(CKM_RSA_PKCS_PSS, &MechParams::None), bad);
        assert_eq!(
            SigScheme::new(CKM_RSA_PKCS_PSS, &pss(CKM_SHA256, CKG_MGF1_SHA1, 32)),
            bad
        );
        assert_eq!(
            SigScheme::new(CKM_RSA_PKCS_PSS, &pss(CKM_SHA256, CKG_MGF1_SHA256, 20)),
            bad
        );
        assert_eq!(
            SigScheme::new(
                CKM_SHA384_RSA_PKCS_PSS,
                &pss(CKM_SHA256, CKG_MGF1_SHA256, 32)
            ),
            bad
        );
    }
}
