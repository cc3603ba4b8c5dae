//! Signature schemes: what a signing row of kms-api's mechanism table means for the module —
//! whether the module hashes the input first (hash-and-sign: only the digest goes to kmsd), the
//! hash the signature commits to (for PSS, the one its parameters name, checked by kms-api's
//! [`params::pss`]), and whether the mechanism is single-part only.

use crate::error::{Error, Result};
use cryptoki_sys::CKR_MECHANISM_INVALID;
use kms_api::mech::table::Kind;
use kms_api::mech::{params, Hash, MechInfo};
use kms_api::MechParams;

/// A signing mechanism, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigScheme {
    /// The padding or algorithm: [`Kind::RsaPkcs1`], [`Kind::RsaPss`], [`Kind::Ecdsa`],
    /// [`Kind::Eddsa`] or [`Kind::Hmac`].
    pub kind: Kind,
    /// The hash the module applies to the input (hash-and-sign), or `None` when the input is
    /// already a digest (`CKM_ECDSA`, `CKM_RSA_PKCS_PSS`), a `DigestInfo` (`CKM_RSA_PKCS`) or the
    /// whole message (EdDSA, HMAC).
    pub prehash: Option<Hash>,
    /// The hash the signature commits to, when known before seeing the data.
    pub hash: Option<Hash>,
    /// Sign and verify are single-part only: `*Update` is `CKR_FUNCTION_NOT_SUPPORTED`.
    pub single_part_only: bool,
}

impl SigScheme {
    /// The scheme of `row` with `params`; `CKR_MECHANISM_INVALID` for a row that does not sign,
    /// `CKR_MECHANISM_PARAM_INVALID` for PSS parameters kms-api refuses.
    pub fn new(row: &MechInfo, params: &MechParams) -> Result<SigScheme> {
        let hash = match row.kind {
            Kind::RsaPss => Some(params::pss(params, row.hash)?),
            Kind::RsaPkcs1 | Kind::Ecdsa | Kind::Eddsa | Kind::Hmac => row.hash,
            _ => return Err(Error::Ck(CKR_MECHANISM_INVALID)),
        };
        Ok(SigScheme {
            kind: row.kind,
            prehash: row.hash.filter(|_| row.prehash),
            hash,
            single_part_only: row.single_part,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cryptoki_sys::*;

    fn pss(hash: CK_MECHANISM_TYPE, mgf: CK_ULONG, salt: u64) -> MechParams {
        MechParams::Pss {
            hash: hash as u64,
            mgf: mgf as u64,
            salt_len: salt,
        }
    }

    /// The scheme of a mechanism the token offers.
    fn scheme(mechanism: CK_MECHANISM_TYPE, params: &MechParams) -> Result<SigScheme> {
        SigScheme::new(kms_api::mech::info(mechanism as u64).unwrap(), params)
    }

    /// The key type the row of `mechanism` takes.
    fn key_type(mechanism: CK_MECHANISM_TYPE) -> Option<u64> {
        kms_api::mech::info(mechanism as u64).unwrap().key_type
    }

    #[test]
    fn classification() {
        let s = scheme(CKM_SHA256_RSA_PKCS, &MechParams::None).unwrap();
        assert_eq!(
            (key_type(CKM_SHA256_RSA_PKCS), s.kind, s.prehash),
            (Some(CKK_RSA as u64), Kind::RsaPkcs1, Some(Hash::Sha256))
        );
        let s = scheme(CKM_ECDSA, &MechParams::None).unwrap();
        assert_eq!(
            (key_type(CKM_ECDSA), s.prehash),
            (Some(CKK_EC as u64), None)
        );
        assert_eq!(
            scheme(CKM_AES_GCM, &MechParams::None),
            Err(Error::Ck(CKR_MECHANISM_INVALID))
        );
    }

    #[test]
    fn pss_parameters_are_checked() {
        let ok = scheme(CKM_RSA_PKCS_PSS, &pss(CKM_SHA256, CKG_MGF1_SHA256, 32)).unwrap();
        assert_eq!(ok.hash, Some(Hash::Sha256));
        let bad = Err(Error::Ck(CKR_MECHANISM_PARAM_INVALID));
        assert_eq!(scheme(CKM_RSA_PKCS_PSS, &MechParams::None), bad);
        assert_eq!(
            scheme(CKM_RSA_PKCS_PSS, &pss(CKM_SHA256, CKG_MGF1_SHA1, 32)),
            bad
        );
        assert_eq!(
            scheme(CKM_RSA_PKCS_PSS, &pss(CKM_SHA256, CKG_MGF1_SHA256, 20)),
            bad
        );
        assert_eq!(
            scheme(
                CKM_SHA384_RSA_PKCS_PSS,
                &pss(CKM_SHA256, CKG_MGF1_SHA256, 32)
            ),
            bad
        );
    }
}
