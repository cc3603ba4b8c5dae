//! The mechanism parameters this token accepts, checked by one function per structure. The
//! module runs [`check`] at `*Init` and kmsd runs the same functions before it uses a key, so a
//! parameter is accepted by both or refused by both (`CKR_MECHANISM_PARAM_INVALID`).

use super::hash::Hash;
use super::table::{MechInfo, ParamKind};
use super::MechParams;

/// Why a parameter is refused (a fixed text: parameters are public, but the message names only
/// the rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamError(pub &'static str);

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// The length of the GCM tag this token produces and accepts, in bytes.
pub const GCM_TAG_LEN: usize = 16;
/// The GCM IV length this token accepts, in bytes.
pub const GCM_IV_LEN: usize = 12;
/// The AES block (and CBC IV, CTR counter block) length, in bytes.
pub const AES_BLOCK_LEN: usize = 16;

/// Checks the parameters of a mechanism against its row: the structure the row names, with the
/// values this token supports.
pub fn check(m: &MechInfo, params: &MechParams) -> Result<(), ParamError> {
    match m.params {
        ParamKind::None => none(params),
        ParamKind::Iv16 => iv(params).map(drop),
        ParamKind::Gcm => gcm(params).map(drop),
        ParamKind::Ctr => ctr(params).map(drop),
        ParamKind::Oaep => oaep(params).map(drop),
        ParamKind::Pss => pss(params, m.hash).map(drop),
        ParamKind::Ecdh => match params {
            MechParams::Ecdh { .. } => Ok(()),
            _ => Err(ParamError("ECDH needs CK_ECDH1_DERIVE_PARAMS")),
        },
    }
}

/// No parameter.
pub fn none(params: &MechParams) -> Result<(), ParamError> {
    match params {
        MechParams::None => Ok(()),
        _ => Err(ParamError("the mechanism takes no parameter")),
    }
}

/// The 16-byte IV of AES-CBC (with or without padding).
pub fn iv(params: &MechParams) -> Result<&[u8], ParamError> {
    match params {
        MechParams::Iv(iv) if iv.0.len() == AES_BLOCK_LEN => Ok(&iv.0),
        _ => Err(ParamError("CBC needs a 16-byte IV")),
    }
}

/// `CK_GCM_PARAMS` as accepted: a 12-byte IV and 128-bit tags; returns (IV, AAD, tag bits).
pub fn gcm(params: &MechParams) -> Result<(&[u8], &[u8], u64), ParamError> {
    match params {
        MechParams::Gcm { iv, aad, tag_bits }
            if iv.0.len() == GCM_IV_LEN && *tag_bits == 8 * GCM_TAG_LEN as u64 =>
        {
            Ok((&iv.0, &aad.0, *tag_bits))
        }
        _ => Err(ParamError("GCM needs a 12-byte IV and 128-bit tags")),
    }
}

/// `CK_AES_CTR_PARAMS`: a 16-byte counter block and 1..=128 counter bits; returns (counter bits,
/// counter block).
pub fn ctr(params: &MechParams) -> Result<(u64, &[u8]), ParamError> {
    match params {
        MechParams::Ctr { counter_bits, cb }
            if cb.0.len() == AES_BLOCK_LEN && (1..=128).contains(counter_bits) =>
        {
            Ok((*counter_bits, &cb.0))
        }
        _ => Err(ParamError(
            "CTR needs a 16-byte counter block and 1..=128 counter bits",
        )),
    }
}

/// `CK_RSA_PKCS_OAEP_PARAMS`: SHA-1, SHA-256, SHA-384 or SHA-512 with MGF1 of the same hash (what
/// kmsd's decryption and key transport and the module's encryption implement); returns the hash
/// and the label.
pub fn oaep(params: &MechParams) -> Result<(Hash, &[u8]), ParamError> {
    match params {
        MechParams::Oaep { hash, mgf, label } => match Hash::from_ckm(*hash) {
            Some(h @ (Hash::Sha1 | Hash::Sha256 | Hash::Sha384 | Hash::Sha512))
                if *mgf == h.mgf1() =>
            {
                Ok((h, &label.0))
            }
            _ => Err(ParamError(
                "OAEP needs SHA-1, SHA-256, SHA-384 or SHA-512 with MGF1 of the same hash",
            )),
        },
        _ => Err(ParamError("OAEP needs CK_RSA_PKCS_OAEP_PARAMS")),
    }
}

/// `CK_RSA_PKCS_PSS_PARAMS`: SHA-256, SHA-384 or SHA-512 (the mechanism's own, if it names one),
/// MGF1 with the same hash, and a salt as long as the hash (what kmsd's RSA-PSS produces);
/// returns the hash.
pub fn pss(params: &MechParams, fixed: Option<Hash>) -> Result<Hash, ParamError> {
    let MechParams::Pss {
        hash,
        mgf,
        salt_len,
    } = params
    else {
        return Err(ParamError("PSS needs CK_RSA_PKCS_PSS_PARAMS"));
    };
    let hash = Hash::from_ckm(*hash)
        .filter(|h| matches!(h, Hash::Sha256 | Hash::Sha384 | Hash::Sha512))
        .ok_or(ParamError("PSS hash must be SHA-256, SHA-384 or SHA-512"))?;
    if fixed.is_some_and(|f| f != hash) {
        return Err(ParamError("PSS hash differs from the mechanism's"));
    }
    if *mgf != hash.mgf1() {
        return Err(ParamError("PSS MGF must be MGF1 with the same hash"));
    }
    if *salt_len != hash.len() as u64 {
        return Err(ParamError("PSS salt length must equal the hash length"));
    }
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mech::table::info;
    use crate::Bytes;
    use cryptoki_sys::*;

    fn oaep_params(hash: CK_MECHANISM_TYPE, mgf: CK_ULONG) -> MechParams {
        MechParams::Oaep {
            hash: hash as u64,
            mgf: mgf as u64,
            label: Bytes(vec![]),
        }
    }

    #[test]
    fn oaep_takes_sha1_or_sha2_with_its_own_mgf() {
        for (h, g) in [
            (CKM_SHA_1, CKG_MGF1_SHA1),
            (CKM_SHA256, CKG_MGF1_SHA256),
            (CKM_SHA384, CKG_MGF1_SHA384),
            (CKM_SHA512, CKG_MGF1_SHA512),
        ] {
            assert!(oaep(&oaep_params(h, g)).is_ok(), "{h:#x}");
        }
        for (h, g) in [
            (CKM_SHA256, CKG_MGF1_SHA1),
            (CKM_SHA512, CKG_MGF1_SHA384),
            (CKM_SHA224, CKG_MGF1_SHA224),
        ] {
            assert!(oaep(&oaep_params(h, g)).is_err(), "{h:#x}");
        }
    }

    #[test]
    fn pss_follows_the_mechanism_hash() {
        let p = |h: CK_MECHANISM_TYPE, g: CK_ULONG, s: u64| MechParams::Pss {
            hash: h as u64,
            mgf: g as u64,
            salt_len: s,
        };
        assert_eq!(
            pss(&p(CKM_SHA256, CKG_MGF1_SHA256, 32), None),
            Ok(Hash::Sha256)
        );
        assert!(pss(&p(CKM_SHA256, CKG_MGF1_SHA256, 32), Some(Hash::Sha384)).is_err());
        assert!(pss(&p(CKM_SHA256, CKG_MGF1_SHA1, 32), None).is_err());
        assert!(pss(&p(CKM_SHA256, CKG_MGF1_SHA256, 20), None).is_err());
        assert!(pss(&p(CKM_SHA_1, CKG_MGF1_SHA1, 20), None).is_err());
        assert!(pss(&MechParams::None, None).is_err());
    }

    #[test]
    fn check_dispatches_on_the_row() {
        let gcm_row = info(CKM_AES_GCM as u64).unwrap();
        let good = MechParams::Gcm {
            iv: Bytes(vec![0; 12]),
            aad: Bytes(vec![]),
            tag_bits: 128,
        };
        assert!(check(gcm_row, &good).is_ok());
        assert!(check(gcm_row, &MechParams::None).is_err());
        let ecb = info(CKM_AES_ECB as u64).unwrap();
        assert!(check(ecb, &MechParams::None).is_ok());
        assert!(check(ecb, &good).is_err());
    }
}
