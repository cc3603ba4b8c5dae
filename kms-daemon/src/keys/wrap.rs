//! `C_WrapKey` and `C_UnwrapKey` (spec-checklist S16, S17; security R1, R5–R11).
//!
//! Mechanisms (R9): `CKM_AES_KEY_WRAP` (RFC 3394), `CKM_AES_KEY_WRAP_KWP` (RFC 5649) under an
//! AES-128 or AES-256 key, and `CKM_RSA_PKCS_OAEP` (SHA-1 or SHA-256) under an RSA key pair, which
//! carries secret keys only. Anything else is `mechanism_invalid`. The wrapped form of a secret
//! key is its value; of an RSA or EC private key, its PKCS#8 DER.
//!
//! Wrap checks, in order: login; both keys visible (`object_not_found`); the mechanism, the
//! wrapping key's class and type, CKA_WRAP and CKA_ALLOWED_MECHANISMS ([`mechanism::check_key`]);
//! the parameters; then the policy: the wrapping key was generated here (R5,
//! `key_function_not_permitted`); it cannot decrypt, nor can its private half (R1); it is not the
//! target and has not the target's value (R7); the target is a secret or private key with
//! CKA_EXTRACTABLE; a CKA_WRAP_WITH_TRUSTED target needs a CKA_TRUSTED wrapping key (R8) — all
//! `key_unextractable`, the code kmsd uses for PKCS#11's `CKR_KEY_NOT_WRAPPABLE`; the wrapping
//! key is at least as strong as the target (R10, `key_size_range`).
//!
//! Both then check the life cycle and policy (`keys::lifecycle`) of the wrapping or unwrapping
//! key — and the export rule of the key to wrap ([`Lifecycle::check_export`]: only an active
//! key with no principals, usage limit or validity window leaves kmsd, since the wrapped copy
//! would carry none of them) — before any key is opened, and again, counting the use, in the
//! transaction of the audit record.
//!
//! [`Lifecycle::check_export`]: crate::model::lifecycle::Lifecycle::check_export
//!
//! Unwrap checks the unwrapping key the same way (CKA_UNWRAP; R1: neither it nor its public half
//! may encrypt, `key_function_not_permitted`), then the template: class and key type are required
//! (AES secret keys, and RSA/EC private keys under AES-KW/KWP); it may not weaken the key
//! (SENSITIVE=F, EXTRACTABLE=T: R6) nor give WRAP or UNWRAP (R5, R1) — `template_inconsistent`.
//! A blob length the mechanism cannot produce is `encrypted_data_len_range` (a public fact).
//! Every other failure of the blob — authentication, padding, a value of the wrong length, a
//! PKCS#8 that does not parse as the template's key type, a failed pairwise test (R12) — is
//! `encrypted_data_invalid`, from one code path (R11). The new key has LOCAL=F,
//! ALWAYS_SENSITIVE=F, NEVER_EXTRACTABLE=F, and SENSITIVE=T, EXTRACTABLE=F unless the template
//! says SENSITIVE=T/EXTRACTABLE=F anyway.

use super::access::{check_id, load_visible, require_user};
use super::change::count_use;
use super::generate::{ec_public_attrs, rsa_public_attrs};
use super::mechanism;
use super::new_object::insert_created;
use super::new_object::{build, check_non_local_roles, check_only_strengthens, required};
use super::roles::other_half_has;
use crate::audit;
use crate::auth::Caller;
use crate::ck::*;
use crate::clock::now_ms;
use crate::crypto::wrap::{self, AesWrap};
use crate::crypto::{ct_eq, ec, rsa};
use crate::error::{Error, Result};
use crate::model::object::StoredObject;
use crate::model::op::Op;
use crate::model::template::{self, Mode};
use crate::state::Services;
use crate::store::objects;
use kms_api::mech::Hash;
use kms_api::msg::{ObjectInfo, UnwrapRequest, WrapRequest, WrapResponse};
use kms_api::{AttrValue, MechParams};
use zeroize::Zeroizing;

/// A checked key-transport mechanism.
#[derive(Debug)]
enum Transport {
    Aes(AesWrap),
    Oaep(Hash, Vec<u8>),
}

fn transport(mech: u64, params: &MechParams) -> Result<Transport> {
    match mech {
        CKM_AES_KEY_WRAP | CKM_AES_KEY_WRAP_KWP => {
            let default_iv = match params {
                MechParams::None => true,
                MechParams::Iv(iv) => iv.0.is_empty(),
                _ => false,
            };
            if !default_iv {
                return Err(Error::MechanismParamInvalid(
                    "AES key wrap takes no parameter (the RFC's default IV)",
                ));
            }
            Ok(Transport::Aes(if mech == CKM_AES_KEY_WRAP {
                AesWrap::Kw
            } else {
                AesWrap::Kwp
            }))
        }
        CKM_RSA_PKCS_OAEP => {
            let (hash, label) = kms_api::mech::params::oaep(params)?;
            Ok(Transport::Oaep(hash, label.to_vec()))
        }
        _ => Err(Error::MechanismInvalid(mech)),
    }
}

/// Security strength in bits (NIST SP 800-57 part 1, table 2) of a key, for R10.
pub fn strength_bits(obj: &StoredObject) -> Result<u64> {
    let missing = |what: &str| Error::IntegrityFailure(format!("key without {what}"));
    match (obj.class, obj.key_type) {
        (CKO_SECRET_KEY, Some(CKK_AES)) => obj
            .attrs
            .get(&CKA_VALUE_LEN)
            .and_then(AttrValue::as_ulong)
            .map(|len| len * 8)
            .ok_or_else(|| missing("CKA_VALUE_LEN")),
        (_, Some(CKK_RSA)) => {
            let bits = obj
                .attrs
                .get(&CKA_MODULUS_BITS)
                .and_then(AttrValue::as_ulong)
                .ok_or_else(|| missing("CKA_MODULUS_BITS"))?;
            Ok(match bits {
                0..3072 => 112,
                3072..4096 => 128,
                4096..7680 => 152,
                7680..15360 => 192,
                _ => 256,
            })
        }
        (_, Some(CKK_EC)) => match obj.bytes(CKA_EC_PARAMS).and_then(ec::Curve::from_params) {
            Some(curve) => Ok(curve.strength_bits()),
            None => Err(missing("a known curve")),
        },
        _ => Err(Error::KeyUnextractable("kmsd cannot wrap this kind of key")),
    }
}

fn material(obj: &StoredObject) -> Result<&[u8]> {
    obj.sealed
        .as_deref()
        .ok_or_else(|| Error::IntegrityFailure("key without material".into()))
}

/// The policy checks of `C_WrapKey` once both keys are loaded (module doc).
fn check_wrap(
    wrapping: &StoredObject,
    target: &StoredObject,
    transport: &Transport,
    private_half_decrypts: bool,
) -> Result<()> {
    if !wrapping.flag(CKA_LOCAL) {
        return Err(Error::KeyFunctionNotPermitted(
            "only keys generated in kmsd may wrap",
        ));
    }
    if wrapping.flag(CKA_DECRYPT) || private_half_decrypts {
        return Err(Error::KeyUnextractable(
            "the wrapping key (or its private half) can also decrypt",
        ));
    }
    if wrapping.id == target.id {
        return Err(Error::KeyUnextractable("a key cannot wrap itself"));
    }
    if !matches!(target.class, CKO_SECRET_KEY | CKO_PRIVATE_KEY) {
        return Err(Error::KeyUnextractable(
            "only secret and private keys can be wrapped",
        ));
    }
    if !target.flag(CKA_EXTRACTABLE) {
        return Err(Error::KeyUnextractable("CKA_EXTRACTABLE is false"));
    }
    if target.flag(CKA_WRAP_WITH_TRUSTED) && !wrapping.flag(CKA_TRUSTED) {
        return Err(Error::KeyUnextractable(
            "CKA_WRAP_WITH_TRUSTED needs a CKA_TRUSTED wrapping key",
        ));
    }
    if !template::satisfies(&target.attrs, wrapping.template(CKA_WRAP_TEMPLATE)) {
        return Err(Error::KeyUnextractable(
            "the key does not match the wrapping key's CKA_WRAP_TEMPLATE",
        ));
    }
    if matches!(transport, Transport::Oaep(..)) && target.class != CKO_SECRET_KEY {
        return Err(Error::KeyUnextractable("RSA-OAEP wraps secret keys only"));
    }
    if strength_bits(wrapping)? < strength_bits(target)? {
        return Err(Error::KeySizeRange(
            "the wrapping key is weaker than the key to wrap".into(),
        ));
    }
    if matches!(transport, Transport::Aes(_)) {
        let len = strength_bits(wrapping)? / 8;
        wrap::check_kek_len(len as usize)?;
    }
    Ok(())
}

/// `C_WrapKey`. Audited as `key.wrap` with the wrapped key as object and the wrapping key
/// in `detail`; the record is written before the blob is returned.
pub fn wrap_key(
    svc: &Services,
    caller: &Caller,
    token: &str,
    req: &WrapRequest,
) -> Result<WrapResponse> {
    let mech = req.mechanism.mechanism;
    let mut ev = caller.event(Some(token), Op::Wrap.action());
    ev.mechanism = Some(kms_api::mech::table::name(mech));
    audit::audited(&svc.store, ev, |ev| {
        check_id(&req.key)?;
        check_id(&req.wrapping_key)?;
        ev.object_id = Some(req.key.clone());
        ev.detail = Some(format!("wrapping_key={}", req.wrapping_key));
        let (wrapping, target, private_half_decrypts) = svc.store.read(|conn| {
            require_user(svc, conn, caller, token)?;
            let wrapping = load_visible(conn, caller, token, &req.wrapping_key, true)?;
            let target = load_visible(conn, caller, token, &req.key, true)?;
            let decrypts = wrapping.class == CKO_PUBLIC_KEY
                && other_half_has(conn, &wrapping, CKO_PRIVATE_KEY, CKA_DECRYPT)?;
            Ok((wrapping, target, decrypts))
        })?;
        mechanism::check_key(&wrapping, mech, Op::Wrap)?;
        let transport = transport(mech, &req.mechanism.params)?;
        check_wrap(&wrapping, &target, &transport, private_half_decrypts)?;
        wrapping
            .life
            .check_use(Op::Wrap, &caller.identity, now_ms())?;
        target.life.check_export(now_ms())?;
        let key = svc.vault.open(&target.aad(), material(&target)?)?;
        let data = match &transport {
            Transport::Aes(kind) => {
                let kek = svc.vault.open(&wrapping.aad(), material(&wrapping)?)?;
                // R7: a copy of the wrapping key has its value under another id.
                if ct_eq(&kek, &key) {
                    return Err(Error::KeyUnextractable("a key cannot wrap its own value"));
                }
                wrap::aes_wrap(*kind, &kek, &key)?
            }
            Transport::Oaep(hash, label) => {
                let spki = wrapping
                    .bytes(CKA_PUBLIC_KEY_INFO)
                    .ok_or_else(|| Error::IntegrityFailure("RSA key without SPKI".into()))?;
                wrap::oaep_wrap(spki, *hash, label, &key)?
            }
        };
        drop(key);
        svc.store.tx(|tx| {
            count_use(tx, caller, &wrapping, Op::Wrap)?;
            objects::get(tx, token, &target.id)?
                .ok_or(Error::ObjectNotFound)?
                .life
                .check_export(now_ms())?;
            audit::append(tx, ev)
        })?;
        Ok(WrapResponse { data: data.into() })
    })
}

/// An unwrapped key, checked.
enum Unwrapped {
    Secret(Zeroizing<Vec<u8>>),
    Rsa(Zeroizing<Vec<u8>>, rsa::RsaPublic),
    Ec(Zeroizing<Vec<u8>>, ec::EcPublic),
}

impl Unwrapped {
    fn material(&self) -> &[u8] {
        match self {
            Unwrapped::Secret(k) | Unwrapped::Rsa(k, _) | Unwrapped::Ec(k, _) => k,
        }
    }
}

/// What the template says the blob holds.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Aes(Option<u64>),
    Rsa,
    Ec(Option<ec::Curve>),
}

/// Decrypts and parses a blob. Every failure that depends on the blob is the same
/// `encrypted_data_invalid` (R11); lengths were checked before.
fn open_blob(
    transport: &Transport,
    unwrapping_key: &[u8],
    blob: &[u8],
    expect: Expect,
) -> Result<Unwrapped> {
    let plain = match transport {
        Transport::Aes(kind) => wrap::aes_unwrap(*kind, unwrapping_key, blob),
        Transport::Oaep(hash, label) => rsa::decrypt_oaep(unwrapping_key, *hash, label, blob),
    };
    let parsed = plain.ok().and_then(|plain| match expect {
        Expect::Aes(len) => (matches!(plain.len(), 16 | 24 | 32)
            && len.is_none_or(|l| l == plain.len() as u64))
        .then_some(Unwrapped::Secret(plain)),
        Expect::Rsa => rsa::from_foreign_pkcs8(&plain).map(|(k, p)| Unwrapped::Rsa(k, p)),
        Expect::Ec(curve) => ec::from_foreign_pkcs8(&plain)
            .filter(|(_, p)| curve.is_none_or(|c| c == p.curve))
            .map(|(k, p)| Unwrapped::Ec(k, p)),
    });
    parsed.ok_or(Error::EncryptedDataInvalid)
}

/// The template of `C_UnwrapKey`, checked: the class, key type and what the blob must hold.
fn unwrap_template(
    req: &UnwrapRequest,
    transport: &Transport,
    unwrapping: &StoredObject,
) -> Result<(u64, u64, crate::model::object::AttrMap, Expect)> {
    let mut map = template::normalize(&req.template)?;
    let imposed = unwrapping.template(CKA_UNWRAP_TEMPLATE);
    template::merge(&mut map, imposed, "CKA_UNWRAP_TEMPLATE")?;
    let class = required(&map, CKA_CLASS, "CKA_CLASS")?
        .as_ulong()
        .unwrap_or(u64::MAX);
    let key_type = required(&map, CKA_KEY_TYPE, "CKA_KEY_TYPE")?
        .as_ulong()
        .unwrap_or(u64::MAX);
    match (class, key_type, transport) {
        (CKO_SECRET_KEY, CKK_AES, _) | (CKO_PRIVATE_KEY, CKK_RSA | CKK_EC, Transport::Aes(_)) => {}
        (CKO_SECRET_KEY, CKK_GENERIC_SECRET, _) => {
            return Err(Error::TemplateInconsistent(
                "kmsd does not unwrap generic secret keys".into(),
            ))
        }
        (CKO_PRIVATE_KEY, _, Transport::Oaep(..)) => {
            return Err(Error::TemplateInconsistent(
                "RSA-OAEP carries secret keys only".into(),
            ))
        }
        _ => {
            return Err(Error::TemplateInconsistent(
                "kmsd cannot unwrap keys of this class or type".into(),
            ))
        }
    }
    template::check(Mode::Generate, class, Some(key_type), &map)?;
    // A standard blob carries no attributes: the new key may be weaker (SENSITIVE=F,
    // EXTRACTABLE=T) only where the unwrapping key's own template says so (security R6).
    let mut asked = map.clone();
    asked.retain(|ty, v| !imposed.iter().any(|a| a.ty == *ty && a.value == *v));
    check_only_strengthens(&asked)?;
    check_non_local_roles(&map)?;
    let expect = match key_type {
        CKK_AES => {
            let len = map.get(&CKA_VALUE_LEN).and_then(AttrValue::as_ulong);
            if len.is_some_and(|l| !matches!(l, 16 | 24 | 32)) {
                return Err(Error::KeySizeRange(
                    "AES keys are 16, 24 or 32 bytes".into(),
                ));
            }
            Expect::Aes(len)
        }
        CKK_RSA => Expect::Rsa,
        _ => Expect::Ec(match map.get(&CKA_EC_PARAMS) {
            None => None,
            Some(p) => Some(
                p.as_bytes()
                    .and_then(ec::Curve::from_params)
                    .ok_or(Error::AttributeValueInvalid(CKA_EC_PARAMS))?,
            ),
        }),
    };
    Ok((class, key_type, map, expect))
}

/// `C_UnwrapKey`. A refusal is audited as `key.unwrap` on the unwrapping key; a success
/// names the new key, with the unwrapping key in `detail`, in the transaction that stores it.
pub fn unwrap_key(
    svc: &Services,
    caller: &Caller,
    token: &str,
    req: &UnwrapRequest,
) -> Result<ObjectInfo> {
    let mech = req.mechanism.mechanism;
    let mut ev = caller.event(Some(token), Op::Unwrap.action());
    ev.mechanism = Some(kms_api::mech::table::name(mech));
    audit::audited(&svc.store, ev, |ev| {
        check_id(&req.unwrapping_key)?;
        ev.object_id = Some(req.unwrapping_key.clone());
        let (unwrapping, public_half_encrypts) = svc.store.read(|conn| {
            require_user(svc, conn, caller, token)?;
            let k = load_visible(conn, caller, token, &req.unwrapping_key, true)?;
            let encrypts = k.class == CKO_PRIVATE_KEY
                && other_half_has(conn, &k, CKO_PUBLIC_KEY, CKA_ENCRYPT)?;
            Ok((k, encrypts))
        })?;
        mechanism::check_key(&unwrapping, mech, Op::Unwrap)?;
        let transport = transport(mech, &req.mechanism.params)?;
        unwrapping
            .life
            .check_use(Op::Unwrap, &caller.identity, now_ms())?;
        if !unwrapping.flag(CKA_LOCAL) {
            return Err(Error::KeyFunctionNotPermitted(
                "only keys generated in kmsd may unwrap",
            ));
        }
        if unwrapping.flag(CKA_ENCRYPT) || public_half_encrypts {
            return Err(Error::KeyFunctionNotPermitted(
                "the unwrapping key (or its public half) can also encrypt",
            ));
        }
        let (class, key_type, map, expect) = unwrap_template(req, &transport, &unwrapping)?;
        let blob = req.wrapped.as_ref();
        match &transport {
            Transport::Aes(kind) => {
                wrap::check_kek_len((strength_bits(&unwrapping)? / 8) as usize)?;
                wrap::check_wrapped_len(*kind, blob.len())?;
            }
            Transport::Oaep(..) => {
                let modulus = unwrapping.bytes(CKA_MODULUS).unwrap_or_default();
                let start = modulus.iter().position(|b| *b != 0).unwrap_or(0);
                if blob.len() != modulus.len() - start {
                    return Err(Error::EncryptedDataLenRange);
                }
            }
        }
        let key = svc.vault.open(&unwrapping.aad(), material(&unwrapping)?)?;
        // AES key wrap authenticates: a blob made under a retired version opens too.
        let kw = matches!(transport, Transport::Aes(_));
        let unwrapped = super::versions::with_versions(svc, &unwrapping, &key, kw, |k| {
            open_blob(&transport, k, blob, expect)
        })?;
        drop(key);
        let mut obj = build(caller, token, class, Some(key_type), map, None)?;
        let public = match &unwrapped {
            Unwrapped::Secret(v) => vec![(CKA_VALUE_LEN, AttrValue::Ulong(v.len() as u64))],
            Unwrapped::Rsa(_, p) => rsa_public_attrs(p),
            Unwrapped::Ec(_, p) => ec_public_attrs(p),
        };
        obj.attrs.extend(public);
        obj.sealed = Some(svc.vault.seal(&obj.aad(), unwrapped.material())?);
        drop(unwrapped);
        svc.store.tx(|tx| {
            count_use(tx, caller, &unwrapping, Op::Unwrap)?;
            let detail = format!("unwrapping_key={}", unwrapping.id);
            insert_created(svc, tx, caller, ev, &[&obj], Some(detail))
        })?;
        Ok(obj.info())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(class: u64, key_type: u64, attrs: Vec<(u64, AttrValue)>) -> StoredObject {
        StoredObject {
            id: "k".into(),
            token: "t".into(),
            class,
            key_type: Some(key_type),
            is_private: true,
            ephemeral_owner: None,
            attrs: attrs.into_iter().collect(),
            sealed: None,
            created_at: 0,
            version: 1,
            life: Default::default(),
        }
    }

    #[test]
    fn strengths_follow_sp800_57() {
        let aes = |len| {
            key(
                CKO_SECRET_KEY,
                CKK_AES,
                vec![(CKA_VALUE_LEN, AttrValue::Ulong(len))],
            )
        };
        let rsa = |bits| {
            key(
                CKO_PUBLIC_KEY,
                CKK_RSA,
                vec![(CKA_MODULUS_BITS, AttrValue::Ulong(bits))],
            )
        };
        let ec = |c: ec::Curve| {
            key(
                CKO_PRIVATE_KEY,
                CKK_EC,
                vec![(CKA_EC_PARAMS, AttrValue::Bytes(c.params().to_vec().into()))],
            )
        };
        let s = |o: StoredObject| strength_bits(&o).unwrap();
        assert_eq!([s(aes(16)), s(aes(24)), s(aes(32))], [128, 192, 256]);
        assert_eq!(
            [s(rsa(2048)), s(rsa(3072)), s(rsa(4096)), s(rsa(8192))],
            [112, 128, 152, 192]
        );
        assert_eq!([s(ec(ec::Curve::P256)), s(ec(ec::Curve::P384))], [128, 192]);
        assert!(matches!(
            strength_bits(&key(CKO_SECRET_KEY, CKK_AES, vec![])),
            Err(Error::IntegrityFailure(_))
        ));
    }

    #[test]
    fn only_kw_kwp_and_oaep_transport_keys() {
        assert!(matches!(
            transport(CKM_AES_KEY_WRAP, &MechParams::None),
            Ok(Transport::Aes(AesWrap::Kw))
        ));
        assert!(matches!(
            transport(CKM_AES_KEY_WRAP_KWP, &MechParams::Iv(Default::default())),
            Ok(Transport::Aes(AesWrap::Kwp))
        ));
        for mech in [CKM_RSA_PKCS, CKM_AES_CBC_PAD, CKM_AES_ECB, CKM_AES_GCM] {
            assert!(matches!(
                transport(mech, &MechParams::None),
                Err(Error::MechanismInvalid(_))
            ));
        }
        assert!(matches!(
            transport(CKM_RSA_PKCS_OAEP, &MechParams::None),
            Err(Error::MechanismParamInvalid(_))
        ));
    }
}
