//! The checks made before a key is opened, in order (spec-checklist S19): the mechanism serves
//! the operation in kmsd and the key's class and type fit it ([`kms_api::mech::table`]: a
//! mechanism used for an operation it has no row for is `mechanism_invalid` — security R9: no
//! `CKM_RSA_PKCS`, ECB, CTR or CBC-PAD key transport, no key-wrap mechanism as a cipher), then
//! the key's usage flag, then `CKA_ALLOWED_MECHANISMS`, then the mechanism's parameters
//! ([`kms_api::mech::params`], the same checks the module runs). The result is a [`Plan`]: what
//! to run once the key is opened.

use crate::ck::*;
use crate::crypto::rsa;
use crate::error::{Error, Result};
use crate::model::object::StoredObject;
use crate::model::op::Op;
use kms_api::mech::table::{self, Kind, MechInfo};
use kms_api::mech::{params, Hash};
use kms_api::{AttrValue, MechParams};

/// A checked data operation, ready to run once the key is opened.
#[derive(Clone, Debug)]
pub enum Plan {
    /// `CKM_RSA_PKCS` sign: the data is a DER DigestInfo.
    RsaDigestInfo,
    /// RSA hash-and-sign over a digest.
    RsaSign(rsa::Padding, Hash),
    /// ECDSA over a digest of any length (`CKM_ECDSA`) or of one hash.
    Ecdsa(Option<Hash>),
    /// Pure Ed25519 over the message.
    Eddsa,
    /// HMAC over the message.
    Hmac(Hash),
    /// PKCS#1 v1.5 decryption.
    RsaPkcs1Decrypt,
    /// RSA-OAEP decryption with this hash and label.
    RsaOaepDecrypt(Hash, Vec<u8>),
    /// AES-CBC on whole blocks with this IV.
    AesCbc(Vec<u8>),
    /// AES-CBC with PKCS#7 padding and this IV.
    AesCbcPad(Vec<u8>),
    /// AES-GCM.
    AesGcm {
        /// The IV.
        iv: Vec<u8>,
        /// Additional authenticated data.
        aad: Vec<u8>,
        /// Tag length in bits.
        tag_bits: u64,
    },
    /// AES-CTR.
    AesCtr {
        /// How many low-order bits of the block count.
        counter_bits: u64,
        /// The initial counter block.
        cb: Vec<u8>,
    },
    /// AES-ECB.
    AesEcb,
}

/// The table row of `mech` when kmsd performs `op` with it, else `mechanism_invalid`.
fn served(mech: u64, op: Op) -> Result<&'static MechInfo> {
    table::info(mech)
        .filter(|m| m.kmsd.contains(op.contract()))
        .ok_or(Error::MechanismInvalid(mech))
}

/// The hash a row names (every HMAC and hash-and-sign row names one).
fn named_hash(m: &MechInfo) -> Result<Hash> {
    m.hash
        .ok_or_else(|| Error::Internal(format!("{} names no hash", m.name)))
}

/// Checks the parameters of a data operation and plans it.
pub fn plan(mech: u64, op: Op, params: &MechParams) -> Result<Plan> {
    use rsa::Padding::{Pkcs1, Pss};
    let m = served(mech, op)?;
    params::check(m, params)?;
    Ok(match (m.kind, op) {
        (Kind::RsaPkcs1, Op::Sign) => match m.hash {
            None => Plan::RsaDigestInfo,
            Some(hash) => Plan::RsaSign(Pkcs1, hash),
        },
        (Kind::RsaPkcs1, Op::Decrypt) => Plan::RsaPkcs1Decrypt,
        (Kind::RsaPss, Op::Sign) => Plan::RsaSign(Pss, params::pss(params, m.hash)?),
        (Kind::Ecdsa, Op::Sign) => Plan::Ecdsa(m.hash),
        (Kind::Eddsa, Op::Sign) => Plan::Eddsa,
        (Kind::Hmac, Op::Sign | Op::Verify) => Plan::Hmac(named_hash(m)?),
        (Kind::RsaOaep, Op::Decrypt) => {
            let (hash, label) = params::oaep(params)?;
            Plan::RsaOaepDecrypt(hash, label.to_vec())
        }
        (Kind::AesCbc, _) => Plan::AesCbc(params::iv(params)?.to_vec()),
        (Kind::AesCbcPad, _) => Plan::AesCbcPad(params::iv(params)?.to_vec()),
        (Kind::AesGcm, _) => {
            let (iv, aad, tag_bits) = params::gcm(params)?;
            Plan::AesGcm {
                iv: iv.to_vec(),
                aad: aad.to_vec(),
                tag_bits,
            }
        }
        (Kind::AesCtr, _) => {
            let (counter_bits, cb) = params::ctr(params)?;
            Plan::AesCtr {
                counter_bits,
                cb: cb.to_vec(),
            }
        }
        (Kind::AesEcb, _) => Plan::AesEcb,
        _ => return Err(Error::MechanismInvalid(mech)),
    })
}

/// Checks the key against the mechanism and plans the operation (nothing opened yet).
pub fn authorize(obj: &StoredObject, mech: u64, op: Op, params: &MechParams) -> Result<Plan> {
    check_key(obj, mech, op)?;
    plan(mech, op, params)
}

/// The key checks of every operation, in order: kmsd performs `op` with the mechanism
/// (`mechanism_invalid`), the key's class and type fit it (`key_type_inconsistent`), the usage
/// flag is set (`key_function_not_permitted`), `CKA_ALLOWED_MECHANISMS` lists it
/// (`mechanism_invalid`).
pub fn check_key(obj: &StoredObject, mech: u64, op: Op) -> Result<()> {
    let (class, key_type) = served(mech, op)?
        .kmsd_key(op.contract())
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
