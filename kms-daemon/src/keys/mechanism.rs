//! Which mechanism serves which operation on which key (spec-checklist S19), and the checks made
//! before a key is opened: the key's class and type, then its usage flag, then
//! `CKA_ALLOWED_MECHANISMS`, then the mechanism's parameters. A mechanism used for an operation
//! it has no row for is `mechanism_invalid` (security R9: no `CKM_RSA_PKCS`, ECB, CTR or CBC-PAD
//! key transport, no key-wrap mechanism as a cipher). The result is a [`Plan`]: what to run once
//! the key is opened.

use crate::ck::*;
use crate::crypto::{rsa, HashAlg};
use crate::error::{Error, Result};
use crate::model::object::StoredObject;
use crate::model::op::Op;
use kms_api::{AttrValue, MechParams};

/// Which mechanism serves which operation on which key.
#[rustfmt::skip]
const MECHANISMS: &[(u64, Op, u64, u64)] = &[
    (CKM_RSA_PKCS, Op::Sign, CKO_PRIVATE_KEY, CKK_RSA),
    (CKM_SHA256_RSA_PKCS, Op::Sign, CKO_PRIVATE_KEY, CKK_RSA),
    (CKM_SHA384_RSA_PKCS, Op::Sign, CKO_PRIVATE_KEY, CKK_RSA),
    (CKM_SHA512_RSA_PKCS, Op::Sign, CKO_PRIVATE_KEY, CKK_RSA),
    (CKM_RSA_PKCS_PSS, Op::Sign, CKO_PRIVATE_KEY, CKK_RSA),
    (CKM_SHA256_RSA_PKCS_PSS, Op::Sign, CKO_PRIVATE_KEY, CKK_RSA),
    (CKM_SHA384_RSA_PKCS_PSS, Op::Sign, CKO_PRIVATE_KEY, CKK_RSA),
    (CKM_SHA512_RSA_PKCS_PSS, Op::Sign, CKO_PRIVATE_KEY, CKK_RSA),
    (CKM_ECDSA, Op::Sign, CKO_PRIVATE_KEY, CKK_EC),
    (CKM_ECDSA_SHA256, Op::Sign, CKO_PRIVATE_KEY, CKK_EC),
    (CKM_ECDSA_SHA384, Op::Sign, CKO_PRIVATE_KEY, CKK_EC),
    (CKM_ECDSA_SHA512, Op::Sign, CKO_PRIVATE_KEY, CKK_EC),
    (CKM_EDDSA, Op::Sign, CKO_PRIVATE_KEY, CKK_EC_EDWARDS),
    (CKM_SHA256_HMAC, Op::Sign, CKO_SECRET_KEY, CKK_GENERIC_SECRET),
    (CKM_SHA384_HMAC, Op::Sign, CKO_SECRET_KEY, CKK_GENERIC_SECRET),
    (CKM_SHA512_HMAC, Op::Sign, CKO_SECRET_KEY, CKK_GENERIC_SECRET),
    (CKM_SHA256_HMAC, Op::Verify, CKO_SECRET_KEY, CKK_GENERIC_SECRET),
    (CKM_SHA384_HMAC, Op::Verify, CKO_SECRET_KEY, CKK_GENERIC_SECRET),
    (CKM_SHA512_HMAC, Op::Verify, CKO_SECRET_KEY, CKK_GENERIC_SECRET),
    (CKM_RSA_PKCS, Op::Decrypt, CKO_PRIVATE_KEY, CKK_RSA),
    (CKM_RSA_PKCS_OAEP, Op::Decrypt, CKO_PRIVATE_KEY, CKK_RSA),
    (CKM_AES_CBC_PAD, Op::Decrypt, CKO_SECRET_KEY, CKK_AES),
    (CKM_AES_GCM, Op::Decrypt, CKO_SECRET_KEY, CKK_AES),
    (CKM_AES_CTR, Op::Decrypt, CKO_SECRET_KEY, CKK_AES),
    (CKM_AES_ECB, Op::Decrypt, CKO_SECRET_KEY, CKK_AES),
    (CKM_AES_CBC_PAD, Op::Encrypt, CKO_SECRET_KEY, CKK_AES),
    (CKM_AES_GCM, Op::Encrypt, CKO_SECRET_KEY, CKK_AES),
    (CKM_AES_CTR, Op::Encrypt, CKO_SECRET_KEY, CKK_AES),
    (CKM_AES_ECB, Op::Encrypt, CKO_SECRET_KEY, CKK_AES),
    // Key transport (security R9): AES-KW/KWP and RSA-OAEP only.
    (CKM_AES_KEY_WRAP, Op::Wrap, CKO_SECRET_KEY, CKK_AES),
    (CKM_AES_KEY_WRAP_KWP, Op::Wrap, CKO_SECRET_KEY, CKK_AES),
    (CKM_RSA_PKCS_OAEP, Op::Wrap, CKO_PUBLIC_KEY, CKK_RSA),
    (CKM_AES_KEY_WRAP, Op::Unwrap, CKO_SECRET_KEY, CKK_AES),
    (CKM_AES_KEY_WRAP_KWP, Op::Unwrap, CKO_SECRET_KEY, CKK_AES),
    (CKM_RSA_PKCS_OAEP, Op::Unwrap, CKO_PRIVATE_KEY, CKK_RSA),
    // Derivation (security R13).
    (CKM_ECDH1_DERIVE, Op::Derive, CKO_PRIVATE_KEY, CKK_EC),
];

/// A checked operation, ready to run once the key is opened.
#[derive(Clone, Debug)]
pub enum Plan {
    /// `CKM_RSA_PKCS` sign: the data is a DER DigestInfo.
    RsaDigestInfo,
    /// RSA hash-and-sign over a digest.
    RsaSign(rsa::Padding, HashAlg),
    /// ECDSA over a digest of any length (`CKM_ECDSA`) or of one hash.
    Ecdsa(Option<HashAlg>),
    /// Pure Ed25519 over the message.
    Eddsa,
    /// HMAC over the message.
    Hmac(HashAlg),
    RsaPkcs1Decrypt,
    RsaOaepDecrypt(HashAlg, Vec<u8>),
    AesCbcPad(Vec<u8>),
    AesGcm {
        iv: Vec<u8>,
        aad: Vec<u8>,
        tag_bits: u64,
    },
    AesCtr {
        counter_bits: u64,
        cb: Vec<u8>,
    },
    AesEcb,
}

fn no_params(params: &MechParams, plan: Plan) -> Result<Plan> {
    match params {
        MechParams::None => Ok(plan),
        _ => Err(Error::MechanismParamInvalid(
            "the mechanism takes no parameter",
        )),
    }
}

fn pss_params(params: &MechParams, fixed: Option<HashAlg>) -> Result<HashAlg> {
    let MechParams::Pss {
        hash,
        mgf,
        salt_len,
    } = params
    else {
        return Err(Error::MechanismParamInvalid(
            "PSS needs CK_RSA_PKCS_PSS_PARAMS",
        ));
    };
    let hash = HashAlg::from_ckm(*hash)
        .filter(|h| *h != HashAlg::Sha1)
        .ok_or(Error::MechanismParamInvalid(
            "PSS hash must be SHA-256, SHA-384 or SHA-512",
        ))?;
    if fixed.is_some_and(|f| f != hash) {
        return Err(Error::MechanismParamInvalid(
            "PSS hash differs from the mechanism's",
        ));
    }
    if *mgf != hash.mgf1() {
        return Err(Error::MechanismParamInvalid(
            "PSS MGF must be MGF1 with the same hash",
        ));
    }
    if *salt_len != hash.len() as u64 {
        return Err(Error::MechanismParamInvalid(
            "PSS salt length must equal the hash length",
        ));
    }
    Ok(hash)
}

/// The hash and label of `CK_RSA_PKCS_OAEP_PARAMS`: SHA-1 or SHA-256 with MGF1 of the same hash.
pub fn oaep_params(params: &MechParams) -> Result<(HashAlg, Vec<u8>)> {
    match params {
        MechParams::Oaep { hash, mgf, label } => match (HashAlg::from_ckm(*hash), *mgf) {
            (Some(h @ (HashAlg::Sha1 | HashAlg::Sha256)), m) if m == h.mgf1() => {
                Ok((h, label.0.clone()))
            }
            _ => Err(Error::MechanismParamInvalid(
                "OAEP needs SHA-1/MGF1-SHA1 or SHA-256/MGF1-SHA256",
            )),
        },
        _ => Err(Error::MechanismParamInvalid(
            "OAEP needs CK_RSA_PKCS_OAEP_PARAMS",
        )),
    }
}

pub fn plan(mech: u64, op: Op, params: &MechParams) -> Result<Plan> {
    use rsa::Padding::{Pkcs1, Pss};
    Ok(match (mech, op) {
        (CKM_RSA_PKCS, Op::Sign) => Plan::RsaDigestInfo,
        (CKM_SHA256_RSA_PKCS, _) => Plan::RsaSign(Pkcs1, HashAlg::Sha256),
        (CKM_SHA384_RSA_PKCS, _) => Plan::RsaSign(Pkcs1, HashAlg::Sha384),
        (CKM_SHA512_RSA_PKCS, _) => Plan::RsaSign(Pkcs1, HashAlg::Sha512),
        (CKM_RSA_PKCS_PSS, _) => Plan::RsaSign(Pss, pss_params(params, None)?),
        (CKM_SHA256_RSA_PKCS_PSS, _) => {
            Plan::RsaSign(Pss, pss_params(params, Some(HashAlg::Sha256))?)
        }
        (CKM_SHA384_RSA_PKCS_PSS, _) => {
            Plan::RsaSign(Pss, pss_params(params, Some(HashAlg::Sha384))?)
        }
        (CKM_SHA512_RSA_PKCS_PSS, _) => {
            Plan::RsaSign(Pss, pss_params(params, Some(HashAlg::Sha512))?)
        }
        (CKM_ECDSA, _) => Plan::Ecdsa(None),
        (CKM_ECDSA_SHA256, _) => Plan::Ecdsa(Some(HashAlg::Sha256)),
        (CKM_ECDSA_SHA384, _) => Plan::Ecdsa(Some(HashAlg::Sha384)),
        (CKM_ECDSA_SHA512, _) => Plan::Ecdsa(Some(HashAlg::Sha512)),
        (CKM_EDDSA, _) => no_params(params, Plan::Eddsa)?,
        (CKM_SHA256_HMAC, _) => no_params(params, Plan::Hmac(HashAlg::Sha256))?,
        (CKM_SHA384_HMAC, _) => no_params(params, Plan::Hmac(HashAlg::Sha384))?,
        (CKM_SHA512_HMAC, _) => no_params(params, Plan::Hmac(HashAlg::Sha512))?,
        (CKM_AES_ECB, _) => no_params(params, Plan::AesEcb)?,
        (CKM_AES_CTR, _) => match params {
            MechParams::Ctr { counter_bits, cb }
                if cb.0.len() == 16 && (1..=128).contains(counter_bits) =>
            {
                Plan::AesCtr {
                    counter_bits: *counter_bits,
                    cb: cb.0.clone(),
                }
            }
            _ => {
                return Err(Error::MechanismParamInvalid(
                    "CTR needs a 16-byte counter block and 1..=128 counter bits",
                ))
            }
        },
        (CKM_RSA_PKCS, Op::Decrypt) => Plan::RsaPkcs1Decrypt,
        (CKM_RSA_PKCS_OAEP, Op::Decrypt) => {
            let (hash, label) = oaep_params(params)?;
            Plan::RsaOaepDecrypt(hash, label)
        }
        (CKM_AES_CBC_PAD, _) => match params {
            MechParams::Iv(iv) if iv.0.len() == 16 => Plan::AesCbcPad(iv.0.clone()),
            _ => return Err(Error::MechanismParamInvalid("CBC needs a 16-byte IV")),
        },
        (CKM_AES_GCM, _) => match params {
            MechParams::Gcm { iv, aad, tag_bits } if iv.0.len() == 12 && *tag_bits == 128 => {
                Plan::AesGcm {
                    iv: iv.0.clone(),
                    aad: aad.0.clone(),
                    tag_bits: *tag_bits,
                }
            }
            _ => {
                return Err(Error::MechanismParamInvalid(
                    "GCM needs a 12-byte IV and 128-bit tags",
                ))
            }
        },
        _ => return Err(Error::MechanismInvalid(mech)),
    })
}

/// Checks the key against the mechanism and plans the operation (nothing opened yet).
pub fn authorize(obj: &StoredObject, mech: u64, op: Op, params: &MechParams) -> Result<Plan> {
    check_key(obj, mech, op)?;
    plan(mech, op, params)
}

/// The key checks of every operation, in order: the mechanism has a row for `op`
/// (`mechanism_invalid`), the key's class and type fit it (`key_type_inconsistent`), the usage
/// flag is set (`key_function_not_permitted`), `CKA_ALLOWED_MECHANISMS` lists it
/// (`mechanism_invalid`).
pub fn check_key(obj: &StoredObject, mech: u64, op: Op) -> Result<()> {
    let &(_, _, class, key_type) = MECHANISMS
        .iter()
        .find(|(m, o, _, _)| *m == mech && *o == op)
        .ok_or(Error::MechanismInvalid(mech))?;
    if obj.class != class || obj.key_type != Some(key_type) {
        return Err(Error::KeyTypeInconsistent);
    }
    if !obj.flag(op.flag()) {
        return Err(Error::KeyFunctionNotPermitted(
            "the key's usage flag is not set",
        ));
    }
    if let Some(AttrValue::UlongList(allowed)) = obj.attrs.get(&CKA_ALLOWED_MECHANISMS) {
        if !allowed.contains(&mech) {
            return Err(Error::MechanismInvalid(mech));
        }
    }
    Ok(())
}
