//! Key use: sign, verify (secret-key MACs only), decrypt, encrypt. The mechanism, the key and
//! the parameters are checked first ([`super::mechanism`]); for hash-and-sign mechanisms the
//! request's data is the digest: kmsd never hashes. EdDSA and HMAC take the whole message
//! (neither is hash-then-sign).
//!
//! Every key operation then checks the key's life cycle and policy (`model::lifecycle`: state,
//! principal, usage count) before the key is opened, and again — counting the use — in the
//! transaction of the audit record; a refusal there drops the result.

use super::access::{load_visible, require_user};
use super::change::count_use;
use super::mechanism::{authorize, Plan};
use super::roles;
use super::versions;
use crate::audit;
use crate::auth::Caller;
use crate::ck::*;
use crate::clock::now_ms;
use crate::config::store::Durability;
use crate::config::PolicyConfig;
use crate::crypto::keycache::{self, Parsed};
use crate::crypto::{aes, der, ec, eddsa, mac, rsa, rsa_raw};
use crate::error::{Error, Result};
use crate::model::object::StoredObject;
use crate::model::op::Op;
use crate::state::Services;
use kms_api::msg::{CryptoRequest, CryptoResponse, Empty, VerifyRequest};
use kms_api::Mechanism;
use kms_api::SecretBytes;
use zeroize::Zeroizing;

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
        Plan::AesEcb => aes::blocks(key, aes::Blocks::Ecb, dir, data),
        Plan::AesCbc(iv) => aes::blocks(key, aes::Blocks::Cbc(&iv), dir, data),
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

/// `C_Sign`, `C_Decrypt` or `C_Encrypt` with a key kmsd holds.
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
    let mechanism = &req.mechanism;
    let t = Target {
        token,
        id,
        op,
        mechanism,
    };
    let out = use_key(svc, caller, &t, input, |p| p)?;
    Ok(CryptoResponse {
        data: SecretBytes(out),
    })
}

/// `C_Verify` of a MAC: checked with a secret key. A mismatch is
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
    let mechanism = &req.mechanism;
    let t = Target {
        token,
        id,
        op: Op::Verify,
        mechanism,
    };
    use_key(svc, caller, &t, input, |p| p)?;
    Ok(Empty {})
}

/// What a key use names: the token, the key, the operation and the mechanism.
pub(super) struct Target<'a> {
    /// The token.
    pub token: &'a str,
    /// The key's id.
    pub id: &'a str,
    /// The operation.
    pub op: Op,
    /// The mechanism and its parameters.
    pub mechanism: &'a Mechanism,
}

/// One use of a key, its plan adjusted by `adjust` before it runs (a middle part of a streamed
/// CBC-PAD operation runs as CBC; other callers pass the identity). The audit record of a
/// success is written before the result is returned; if it cannot be written, the result is
/// dropped and the request fails.
fn use_key(
    svc: &Services,
    caller: &Caller,
    t: &Target<'_>,
    input: Input<'_>,
    adjust: impl FnOnce(Plan) -> Plan,
) -> Result<Zeroizing<Vec<u8>>> {
    let (op, mech) = (t.op, t.mechanism.mechanism);
    let mut ev = caller.event(Some(t.token), op.action());
    ev.object_id = Some(t.id.to_owned());
    ev.mechanism = Some(kms_api::mech::table::name(mech));
    audit::audited(&svc.store, ev, |ev| {
        if !op.is_data() {
            return Err(Error::MechanismInvalid(mech));
        }
        let (obj, plan) = checked(svc, caller, t)?;
        obj.life.check_use(op, &caller.identity, now_ms())?;
        let out = apply(svc, &obj, adjust(plan), op, input)?;
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

/// One part of a streamed operation (`keys::stream`). The `first` is a key use like any other
/// ([`use_key`]: policy, audit record, usage count); a later one checks the login, the key and
/// the mechanism again, and is neither recorded nor counted a second time.
pub(super) fn use_part(
    svc: &Services,
    caller: &Caller,
    t: &Target<'_>,
    data: &[u8],
    first: bool,
    adjust: impl FnOnce(Plan) -> Plan,
) -> Result<Zeroizing<Vec<u8>>> {
    let input = Input { data, mac: None };
    if first {
        return use_key(svc, caller, t, input, adjust);
    }
    let (obj, plan) = checked(svc, caller, t)?;
    apply(svc, &obj, adjust(plan), t.op, input)
}

/// One read: the login, the key, its checks and the role separation across its pair.
fn checked(svc: &Services, caller: &Caller, t: &Target<'_>) -> Result<(StoredObject, Plan)> {
    svc.store.read(|conn| {
        require_user(svc, conn, caller, t.token)?;
        let obj = load_visible(conn, caller, t.token, t.id, true)?;
        let plan = authorize(&obj, t.mechanism.mechanism, t.op, &t.mechanism.params)?;
        roles::check_separated(conn, &obj, t.op.flag())?;
        Ok((obj, plan))
    })
}

/// Opens the key of `obj` (or takes its parsed form from the cache) and runs `plan`.
fn apply(
    svc: &Services,
    obj: &StoredObject,
    plan: Plan,
    op: Op,
    input: Input<'_>,
) -> Result<Zeroizing<Vec<u8>>> {
    let blob = obj
        .sealed
        .as_deref()
        .ok_or_else(|| Error::IntegrityFailure("key without material".into()))?;
    let aad = obj.aad();
    match cached_kind(&plan, obj, input.data)? {
        // RSA and EC private operations: the key parsed once (crypto::keycache).
        Some(kind) => {
            let parsed = svc
                .key_cache
                .get_or_open(kind, &obj.id, &aad, blob, || svc.vault.open(&aad, blob))?;
            execute_parsed(&plan, &parsed, obj, input.data)
        }
        None => {
            let key = svc.vault.open(&aad, blob)?;
            // GCM decryption and MAC verification prove which version they need
            // (keys::versions).
            let authenticated = matches!(
                (&plan, op),
                (Plan::AesGcm { .. }, Op::Decrypt) | (Plan::Hmac(_), Op::Verify)
            );
            versions::with_versions(svc, obj, &key, authenticated, |k| {
                execute(plan.clone(), op, k, input, &svc.policy)
            })
        }
    }
}
