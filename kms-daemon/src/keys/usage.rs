//! Key use: sign, verify (secret-key MACs only), decrypt, encrypt, and the key checks of wrap,
//! unwrap and derive. The mechanism
//! table below says which operation, object class and key type each mechanism takes
//! (spec-checklist S19): key class/type is checked before the usage flag, then
//! `CKA_ALLOWED_MECHANISMS`, then the parameters — all before the key is opened. A mechanism
//! used for an operation it has no row for is `mechanism_invalid` (security R9: no
//! `CKM_RSA_PKCS`, ECB, CTR or CBC-PAD key transport, no key-wrap mechanism as a cipher).
//! For hash-and-sign mechanisms the request's data is the digest: kmsd never hashes. EdDSA and
//! HMAC take the whole message (neither is hash-then-sign).
//!
//! Every key operation then checks the key's life cycle and policy (`keys::lifecycle`: state,
//! principal, usage count) before the key is opened, and again — counting the use — in the
//! transaction of the audit record; a refusal there drops the result.

use super::roles;
use super::service::{count_use, load_visible, require_user};
use super::versions;
use crate::audit;
use crate::auth::Caller;
use crate::ck::*;
use crate::clock::now_ms;
use crate::config::store::Durability;
use crate::config::PolicyConfig;
use crate::crypto::keycache::{self, Parsed};
use crate::crypto::{aes, der, ec, eddsa, mac, rsa, rsa_raw, HashAlg};
use crate::error::{Error, Result};
use crate::model::object::StoredObject;
use crate::model::op::Op;
use crate::state::Services;
use kms_api::msg::{CryptoRequest, CryptoResponse, Empty, VerifyRequest};
use kms_api::Mechanism;
use kms_api::{AttrValue, MechParams, SecretBytes};
use zeroize::Zeroizing;

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
enum Plan {
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

fn plan(mech: u64, op: Op, params: &MechParams) -> Result<Plan> {
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
fn authorize(obj: &StoredObject, mech: u64, op: Op, params: &MechParams) -> Result<Plan> {
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

fn curve_of(obj: &StoredObject) -> Result<ec::Curve> {
    obj.bytes(CKA_EC_PARAMS)
        .and_then(ec::Curve::from_params)
        .ok_or_else(|| Error::IntegrityFailure("EC key without a known curve".into()))
}

/// The data of an operation, and the MAC to check for [`Op::Verify`].
#[derive(Clone, Copy)]
struct Input<'a> {
    data: &'a [u8],
    mac: Option<&'a [u8]>,
}

/// The parsed form a plan's private operation can run on, if it has one: RSA signatures over a
/// SHA-2 digest, RSA-OAEP decryption and ECDSA. (PKCS#1 v1.5 decryption needs the key's bytes
/// for its implicit rejection, legacy raw RSA signatures too; they open the key each time.)
fn cached_kind(plan: &Plan, obj: &StoredObject, data: &[u8]) -> Result<Option<keycache::Kind>> {
    Ok(match plan {
        Plan::RsaDigestInfo if der::parse_digest_info(data).is_some() => {
            Some(keycache::Kind::RsaSign)
        }
        Plan::RsaSign(..) => Some(keycache::Kind::RsaSign),
        Plan::RsaOaepDecrypt(..) => Some(keycache::Kind::RsaOaep),
        Plan::Ecdsa(_) => Some(keycache::Kind::Ecdsa(curve_of(obj)?)),
        _ => None,
    })
}

/// The private operation of `plan` with a parsed key (see [`cached_kind`]).
fn execute_parsed(
    plan: &Plan,
    key: &Parsed,
    obj: &StoredObject,
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let z = |v: Vec<u8>| Ok(Zeroizing::new(v));
    match (plan, key) {
        (Plan::RsaDigestInfo, Parsed::RsaSign(kp)) => {
            let (hash, digest) = der::parse_digest_info(data).ok_or(Error::DataInvalid)?;
            z(rsa::sign_digest_with(
                kp,
                rsa::Padding::Pkcs1,
                hash,
                digest,
            )?)
        }
        (Plan::RsaSign(padding, hash), Parsed::RsaSign(kp)) => {
            if data.len() != hash.len() {
                return Err(Error::DataLenRange);
            }
            z(rsa::sign_digest_with(kp, *padding, *hash, data)?)
        }
        (Plan::RsaOaepDecrypt(hash, label), Parsed::RsaOaep(k)) => {
            rsa::decrypt_oaep_with(k, *hash, label, data)
        }
        (Plan::Ecdsa(hash), Parsed::Ecdsa(kp)) => {
            if hash.is_some_and(|h| h.len() != data.len()) {
                return Err(Error::DataLenRange);
            }
            z(ec::sign_digest_with(curve_of(obj)?, kp, data)?)
        }
        _ => Err(Error::Internal("parsed key of another kind".into())),
    }
}

fn execute(
    plan: Plan,
    op: Op,
    key: &[u8],
    input: Input<'_>,
    policy: &PolicyConfig,
) -> Result<Zeroizing<Vec<u8>>> {
    let z = |v: Vec<u8>| Ok(Zeroizing::new(v));
    let data = input.data;
    let dir = match op {
        Op::Encrypt => aes::Direction::Encrypt,
        _ => aes::Direction::Decrypt,
    };
    match plan {
        // A SHA-2 DigestInfo runs on the parsed key; anything else (a SHA-1 or MD5 DigestInfo,
        // TLS 1.0's MD5+SHA-1) only for old clients, when the operator turned it on (R9).
        Plan::RsaDigestInfo if policy.legacy_rsa_signatures => {
            z(rsa_raw::sign_pkcs1v15(key, data)?)
        }
        Plan::RsaDigestInfo => Err(Error::DataInvalid),
        Plan::RsaSign(..) | Plan::Ecdsa(_) | Plan::RsaOaepDecrypt(..) => {
            Err(Error::Internal("a parsed-key plan without its key".into()))
        }
        Plan::Eddsa => z(eddsa::sign(key, data)?),
        Plan::Hmac(hash) => match input.mac {
            Some(m) => mac::verify(hash, key, data, m).map(|()| Zeroizing::new(Vec::new())),
            None => z(mac::sign(hash, key, data)?),
        },
        Plan::AesEcb => aes::ecb(key, dir, data),
        Plan::AesCtr { counter_bits, cb } => aes::ctr(key, counter_bits, &cb, data),
        Plan::RsaPkcs1Decrypt => rsa::decrypt_pkcs1(key, data),
        Plan::AesCbcPad(iv) => match op {
            Op::Encrypt => z(aes::cbc_pad_encrypt(key, &iv, data)?),
            _ => aes::cbc_pad_decrypt(key, &iv, data),
        },
        Plan::AesGcm { iv, aad, tag_bits } => match op {
            Op::Encrypt => z(aes::gcm_encrypt(key, &iv, &aad, tag_bits, data)?),
            _ => aes::gcm_decrypt(key, &iv, &aad, tag_bits, data),
        },
    }
}

/// `POST …/objects/{id}/sign|decrypt|encrypt`.
pub fn run(
    svc: &Services,
    caller: &Caller,
    token: &str,
    id: &str,
    op: Op,
    req: &CryptoRequest,
) -> Result<CryptoResponse> {
    let input = Input {
        data: req.data.as_ref(),
        mac: None,
    };
    if op == Op::Verify {
        return Err(Error::MechanismInvalid(req.mechanism.mechanism));
    }
    let out = use_key(svc, caller, token, id, op, &req.mechanism, input)?;
    Ok(CryptoResponse {
        data: SecretBytes(out),
    })
}

/// `POST …/objects/{id}/verify`: a MAC checked with a secret key. A mismatch is
/// `signature_invalid`, audited like every other refusal.
pub fn verify(
    svc: &Services,
    caller: &Caller,
    token: &str,
    id: &str,
    req: &VerifyRequest,
) -> Result<Empty> {
    let input = Input {
        data: req.data.as_ref(),
        mac: Some(req.signature.as_ref()),
    };
    use_key(svc, caller, token, id, Op::Verify, &req.mechanism, input)?;
    Ok(Empty {})
}

/// One use of a key. The audit record of a success is written before the result is returned; if
/// it cannot be written, the result is dropped and the request fails.
fn use_key(
    svc: &Services,
    caller: &Caller,
    token: &str,
    id: &str,
    op: Op,
    mechanism: &Mechanism,
    input: Input<'_>,
) -> Result<Zeroizing<Vec<u8>>> {
    let mech = mechanism.mechanism;
    let mut ev = caller.event(Some(token), op.action());
    ev.object_id = Some(id.to_owned());
    ev.mechanism = Some(mechanism_name(mech));
    audit::audited(&svc.store, ev, |ev| {
        if !op.is_data() {
            return Err(Error::MechanismInvalid(mech));
        }
        // One read: the login, the key, its checks and the role separation across its pair.
        let (obj, plan) = svc.store.read(|conn| {
            require_user(svc, conn, caller, token)?;
            let obj = load_visible(conn, caller, token, id, true)?;
            let plan = authorize(&obj, mech, op, &mechanism.params)?;
            roles::check_separated(conn, &obj, op.flag())?;
            Ok((obj, plan))
        })?;
        obj.life.check_use(op, &caller.identity, now_ms())?;
        let blob = obj
            .sealed
            .as_deref()
            .ok_or_else(|| Error::IntegrityFailure("key without material".into()))?;
        let aad = obj.aad();
        let out = match cached_kind(&plan, &obj, input.data)? {
            // RSA and EC private operations: the key parsed once (crypto::keycache).
            Some(kind) => {
                let parsed = svc
                    .key_cache
                    .get_or_open(kind, &obj.id, &aad, blob, || svc.vault.open(&aad, blob))?;
                execute_parsed(&plan, &parsed, &obj, input.data)?
            }
            None => {
                let key = svc.vault.open(&aad, blob)?;
                // GCM decryption and MAC verification prove which version they need
                // (keys::versions).
                let authenticated = matches!(
                    (&plan, op),
                    (Plan::AesGcm { .. }, Op::Decrypt) | (Plan::Hmac(_), Op::Verify)
                );
                versions::with_versions(svc, &obj, &key, authenticated, |k| {
                    execute(plan.clone(), op, k, input, &svc.policy)
                })?
            }
        };
        // A key with a usage limit counts every use on disk before its result leaves: a power
        // loss must not hand out uses beyond the limit.
        let durability = match obj.life.max_uses {
            Some(_) => Durability::Immediate,
            None => svc.audit.key_use_durability,
        };
        svc.store.tx_with(durability, |tx| {
            count_use(tx, caller, &obj, op)?;
            audit::append(tx, ev)
        })?;
        Ok(out)
    })
}
