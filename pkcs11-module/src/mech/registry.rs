//! The mechanism registry: one row per mechanism this token offers, with the key-size range and
//! flags of `CK_MECHANISM_INFO` (PKCS#11 v3.0 §5.5.5 C_GetMechanismInfo) and the parameter
//! structure it takes. Operations performed by kmsd carry `CKF_HW` so that stock tools treat
//! them as token mechanisms; the key-transport policy of security rule R9 shows here (no
//! `CKF_WRAP`/`CKF_UNWRAP` on `CKM_RSA_PKCS`, ECB or CTR: those are for data only).
//!
//! Key sizes are in bits for RSA, EC, Edwards curves and generic secrets, in bytes for AES (as
//! SoftHSM2 and most tokens report).

use cryptoki_sys::*;

/// The parameter structure a mechanism takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// No parameter (`pParameter` NULL, length 0).
    None,
    /// A 16-byte IV.
    Iv16,
    /// `CK_GCM_PARAMS`.
    Gcm,
    /// `CK_RSA_PKCS_OAEP_PARAMS`.
    Oaep,
    /// `CK_RSA_PKCS_PSS_PARAMS`.
    Pss,
    /// `CK_ECDH1_DERIVE_PARAMS`.
    Ecdh,
    /// `CK_AES_CTR_PARAMS`.
    Ctr,
}

/// One registry row.
#[derive(Debug, Clone, Copy)]
pub struct MechSpec {
    /// `CKM_*`.
    pub ty: CK_MECHANISM_TYPE,
    /// Smallest key size.
    pub min_key: CK_ULONG,
    /// Largest key size.
    pub max_key: CK_ULONG,
    /// `CKF_*` flags.
    pub flags: CK_FLAGS,
    /// Parameter structure.
    pub params: ParamKind,
}

const EC: CK_FLAGS = CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
const SIGN: CK_FLAGS = CKF_HW | CKF_SIGN | CKF_VERIFY;
const CRYPT: CK_FLAGS = CKF_HW | CKF_ENCRYPT | CKF_DECRYPT;

const fn row(
    ty: CK_MECHANISM_TYPE,
    min_key: CK_ULONG,
    max_key: CK_ULONG,
    flags: CK_FLAGS,
    params: ParamKind,
) -> MechSpec {
    MechSpec {
        ty,
        min_key,
        max_key,
        flags,
        params,
    }
}

/// Every mechanism offered, in the order `C_GetMechanismList` reports them.
pub static MECHANISMS: &[MechSpec] = &[
    row(
        CKM_RSA_PKCS_KEY_PAIR_GEN,
        2048,
        4096,
        CKF_HW | CKF_GENERATE_KEY_PAIR,
        ParamKind::None,
    ),
    row(CKM_RSA_PKCS, 2048, 4096, SIGN | CRYPT, ParamKind::None),
    row(CKM_SHA256_RSA_PKCS, 2048, 4096, SIGN, ParamKind::None),
    row(CKM_SHA384_RSA_PKCS, 2048, 4096, SIGN, ParamKind::None),
    row(CKM_SHA512_RSA_PKCS, 2048, 4096, SIGN, ParamKind::None),
    row(CKM_RSA_PKCS_PSS, 2048, 4096, SIGN, ParamKind::Pss),
    row(CKM_SHA256_RSA_PKCS_PSS, 2048, 4096, SIGN, ParamKind::Pss),
    row(CKM_SHA384_RSA_PKCS_PSS, 2048, 4096, SIGN, ParamKind::Pss),
    row(CKM_SHA512_RSA_PKCS_PSS, 2048, 4096, SIGN, ParamKind::Pss),
    row(
        CKM_RSA_PKCS_OAEP,
        2048,
        4096,
        CRYPT | CKF_WRAP | CKF_UNWRAP,
        ParamKind::Oaep,
    ),
    row(
        CKM_EC_KEY_PAIR_GEN,
        256,
        521,
        CKF_HW | CKF_GENERATE_KEY_PAIR | EC,
        ParamKind::None,
    ),
    row(CKM_ECDSA, 256, 521, SIGN | EC, ParamKind::None),
    row(CKM_ECDSA_SHA256, 256, 521, SIGN | EC, ParamKind::None),
    row(CKM_ECDSA_SHA384, 256, 521, SIGN | EC, ParamKind::None),
    row(CKM_ECDSA_SHA512, 256, 521, SIGN | EC, ParamKind::None),
    row(
        CKM_ECDH1_DERIVE,
        256,
        521,
        CKF_HW | CKF_DERIVE | EC,
        ParamKind::Ecdh,
    ),
    row(
        CKM_EC_EDWARDS_KEY_PAIR_GEN,
        255,
        255,
        CKF_HW | CKF_GENERATE_KEY_PAIR,
        ParamKind::None,
    ),
    row(CKM_EDDSA, 255, 255, SIGN, ParamKind::None),
    row(
        CKM_GENERIC_SECRET_KEY_GEN,
        112,
        4096,
        CKF_HW | CKF_GENERATE,
        ParamKind::None,
    ),
    row(CKM_SHA256_HMAC, 112, 4096, SIGN, ParamKind::None),
    row(CKM_SHA384_HMAC, 112, 4096, SIGN, ParamKind::None),
    row(CKM_SHA512_HMAC, 112, 4096, SIGN, ParamKind::None),
    row(
        CKM_AES_KEY_GEN,
        16,
        32,
        CKF_HW | CKF_GENERATE,
        ParamKind::None,
    ),
    row(CKM_AES_CBC_PAD, 16, 32, CRYPT, ParamKind::Iv16),
    row(CKM_AES_GCM, 16, 32, CRYPT, ParamKind::Gcm),
    row(CKM_AES_CTR, 16, 32, CRYPT, ParamKind::Ctr),
    row(CKM_AES_ECB, 16, 32, CRYPT, ParamKind::None),
    row(
        CKM_AES_KEY_WRAP,
        16,
        32,
        CKF_HW | CKF_WRAP | CKF_UNWRAP,
        ParamKind::None,
    ),
    row(
        CKM_AES_KEY_WRAP_KWP,
        16,
        32,
        CKF_HW | CKF_WRAP | CKF_UNWRAP,
        ParamKind::None,
    ),
    row(CKM_SHA_1, 0, 0, CKF_DIGEST, ParamKind::None),
    row(CKM_SHA224, 0, 0, CKF_DIGEST, ParamKind::None),
    row(CKM_SHA256, 0, 0, CKF_DIGEST, ParamKind::None),
    row(CKM_SHA384, 0, 0, CKF_DIGEST, ParamKind::None),
    row(CKM_SHA512, 0, 0, CKF_DIGEST, ParamKind::None),
];

/// The registry row of a mechanism, if offered.
pub fn spec(ty: CK_MECHANISM_TYPE) -> Option<&'static MechSpec> {
    MECHANISMS.iter().find(|m| m.ty == ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_duplicates_and_no_legacy_transport() {
        for (i, m) in MECHANISMS.iter().enumerate() {
            assert!(
                MECHANISMS[i + 1..].iter().all(|o| o.ty != m.ty),
                "duplicate {:#x}",
                m.ty
            );
        }
        let rsa = spec(CKM_RSA_PKCS).unwrap();
        assert_eq!(
            rsa.flags & (CKF_WRAP | CKF_UNWRAP),
            0,
            "R9: no PKCS#1 v1.5 key transport"
        );
        for data_only in [CKM_AES_ECB, CKM_AES_CTR] {
            assert_eq!(
                spec(data_only).unwrap().flags & (CKF_WRAP | CKF_UNWRAP),
                0,
                "R9: ECB and CTR are for data only"
            );
        }
    }
}
