//! `C_DeriveKey` with `CKM_ECDH1_DERIVE` (spec-checklist S18; security R13, R5, R1).
//!
//! Checks, in order: login; the base key visible (`object_not_found`); the mechanism, the base
//! key's class and type (an EC private key), CKA_DERIVE and CKA_ALLOWED_MECHANISMS
//! ([`mechanism::check_key`]); the parameters (`mechanism_param_invalid`): `CK_ECDH1_DERIVE_PARAMS`
//! with `CKD_NULL` (no shared data) or `CKD_SHA256_KDF`/`CKD_SHA384_KDF`/`CKD_SHA512_KDF` (ANSI
//! X9.63), and the other party's uncompressed point on the base key's curve, raw or in a DER
//! OCTET STRING; then the template: an AES secret key (`CKK_GENERIC_SECRET` is refused with
//! `template_inconsistent`: kmsd's attribute table has no generic secrets) with CKA_VALUE_LEN 16,
//! 24 or 32 (`template_incomplete` when absent, `key_size_range` otherwise), no WRAP/UNWRAP (R5),
//! and — when the base key is sensitive — no SENSITIVE=F or EXTRACTABLE=T (R13); all
//! `template_inconsistent`.
//!
//! The base key's life cycle and policy (`keys::lifecycle`) are checked before it is opened and
//! again, counting the use, in the transaction that stores the derived key.
//!
//! The derived key has LOCAL=F, ALWAYS_SENSITIVE = base ALWAYS_SENSITIVE ∧ SENSITIVE and
//! NEVER_EXTRACTABLE = base NEVER_EXTRACTABLE ∧ ¬EXTRACTABLE.

use super::access::{check_id, load_visible, require_user};
use super::change::count_use;
use super::mechanism;
use super::new_object::insert_created;
use super::new_object::{build, check_non_local_roles, check_only_strengthens, required};
use crate::audit;
use crate::auth::Caller;
use crate::ck::*;
use crate::clock::now_ms;
use crate::crypto::ec::{self, EcdhKdf};
use crate::error::{Error, Result};
use crate::model::op::Op;
use crate::model::template::{self, Mode};
use crate::state::Services;
use kms_api::attr::MAX_VALUE_LEN;
use kms_api::mech::Hash;
use kms_api::msg::{DeriveRequest, ObjectInfo};
use kms_api::{AttrValue, MechParams};

/// The checked ECDH parameters: KDF, shared data, the peer's raw point.
fn ecdh_params(curve: ec::Curve, params: &MechParams) -> Result<(EcdhKdf, Vec<u8>, Vec<u8>)> {
    let MechParams::Ecdh {
        kdf,
        shared_data,
        public_data,
    } = params
    else {
        return Err(Error::MechanismParamInvalid(
            "ECDH needs CK_ECDH1_DERIVE_PARAMS",
        ));
    };
    let kdf = match *kdf {
        CKD_NULL => EcdhKdf::Null,
        CKD_SHA256_KDF => EcdhKdf::X963(Hash::Sha256),
        CKD_SHA384_KDF => EcdhKdf::X963(Hash::Sha384),
        CKD_SHA512_KDF => EcdhKdf::X963(Hash::Sha512),
        _ => {
            return Err(Error::MechanismParamInvalid(
                "the KDF must be CKD_NULL or CKD_SHA256/384/512_KDF",
            ))
        }
    };
    if kdf == EcdhKdf::Null && !shared_data.0.is_empty() {
        return Err(Error::MechanismParamInvalid(
            "CKD_NULL takes no shared data",
        ));
    }
    if shared_data.0.len() > MAX_VALUE_LEN {
        return Err(Error::MechanismParamInvalid("shared data too long"));
    }
    let peer = ec::peer_point(curve, &public_data.0)?;
    Ok((kdf, shared_data.0.clone(), peer))
}

/// `C_DeriveKey`. A refusal is audited as `key.derive` on the base key; a success names
/// the new key, with the base key in `detail`, in the transaction that stores it.
pub fn derive_key(
    svc: &Services,
    caller: &Caller,
    token: &str,
    req: &DeriveRequest,
) -> Result<ObjectInfo> {
    let mech = req.mechanism.mechanism;
    let mut ev = caller.event(Some(token), Op::Derive.action());
    ev.mechanism = Some(kms_api::mech::table::name(mech));
    audit::audited(&svc.store, ev, |ev| {
        check_id(&req.base_key)?;
        ev.object_id = Some(req.base_key.clone());
        let base = svc.store.read(|conn| {
            require_user(svc, conn, caller, token)?;
            load_visible(conn, caller, token, &req.base_key, true)
        })?;
        mechanism::check_key(&base, mech, Op::Derive)?;
        base.life
            .check_use(Op::Derive, &caller.identity, now_ms())?;
        let curve = base
            .bytes(CKA_EC_PARAMS)
            .and_then(ec::Curve::from_params)
            .ok_or_else(|| Error::IntegrityFailure("EC key without a known curve".into()))?;
        let (kdf, shared_data, peer) = ecdh_params(curve, &req.mechanism.params)?;

        let mut map = template::normalize(&req.template)?;
        // The base key's CKA_DERIVE_TEMPLATE: what every key derived from it gets (a sensitive
        // base still makes only sensitive keys, security R13).
        template::merge(
            &mut map,
            base.template(CKA_DERIVE_TEMPLATE),
            "CKA_DERIVE_TEMPLATE",
        )?;
        match map.get(&CKA_KEY_TYPE).and_then(AttrValue::as_ulong) {
            None => return Err(Error::TemplateIncomplete("CKA_KEY_TYPE is required".into())),
            Some(CKK_AES) => {}
            Some(CKK_GENERIC_SECRET) => {
                return Err(Error::TemplateInconsistent(
                    "kmsd has no generic secret keys".into(),
                ))
            }
            Some(_) => {
                return Err(Error::TemplateInconsistent(
                    "ECDH derives AES secret keys only".into(),
                ))
            }
        }
        template::check(Mode::Generate, CKO_SECRET_KEY, Some(CKK_AES), &map)?;
        check_non_local_roles(&map)?;
        if base.flag(CKA_SENSITIVE) {
            check_only_strengthens(&map)?;
        }
        let len = required(&map, CKA_VALUE_LEN, "CKA_VALUE_LEN")?
            .as_ulong()
            .unwrap_or(0);
        if !matches!(len, 16 | 24 | 32) {
            return Err(Error::KeySizeRange(format!("AES key of {len} bytes")));
        }

        let blob = base
            .sealed
            .as_deref()
            .ok_or_else(|| Error::IntegrityFailure("key without material".into()))?;
        let pkcs8 = svc.vault.open(&base.aad(), blob)?;
        let value = ec::ecdh_derive(curve, &pkcs8, &peer, kdf, &shared_data, len as usize)?;
        drop(pkcs8);

        let mut obj = build(caller, token, CKO_SECRET_KEY, Some(CKK_AES), map, None)?;
        let always_sensitive = base.flag(CKA_ALWAYS_SENSITIVE) && obj.flag(CKA_SENSITIVE);
        let never_extractable = base.flag(CKA_NEVER_EXTRACTABLE) && !obj.flag(CKA_EXTRACTABLE);
        obj.attrs
            .insert(CKA_ALWAYS_SENSITIVE, AttrValue::Bool(always_sensitive));
        obj.attrs
            .insert(CKA_NEVER_EXTRACTABLE, AttrValue::Bool(never_extractable));
        obj.sealed = Some(svc.vault.seal(&obj.aad(), &value)?);
        drop(value);
        svc.store.tx(|tx| {
            count_use(tx, caller, &base, Op::Derive)?;
            let detail = format!("base_key={}", base.id);
            insert_created(svc, tx, caller, ev, &[&obj], Some(detail))
        })?;
        Ok(obj.info())
    })
}
