//! `C_GenerateKey` (AES, generic secret) and `C_GenerateKeyPair` (RSA, EC P-256/P-384/P-521,
//! Ed25519).

use super::access::{check_public, user_logged_in};
use super::create::secret_len_ok;
use super::new_object::insert_created;
use super::new_object::{build, required};
use crate::audit;
use crate::auth::Caller;
use crate::ck::*;
use crate::crypto::{ec, eddsa, rng, rsa};
use crate::error::{Error, Result};
use crate::model::object::AttrMap;
use crate::model::template::{self, Mode};
use crate::model::usage;
use crate::state::Services;
use kms_api::msg::{GenerateKeyPairRequest, GenerateKeyRequest, KeyPairInfo, ObjectInfo};
use kms_api::{AttrValue, Bytes};
use zeroize::Zeroizing;

/// `C_GenerateKey`.
pub fn generate_key(
    svc: &Services,
    caller: &Caller,
    token: &str,
    req: &GenerateKeyRequest,
) -> Result<ObjectInfo> {
    let mech = req.mechanism.mechanism;
    let mut ev = caller.event(Some(token), "key.generate");
    ev.mechanism = Some(kms_api::mech::table::name(mech));
    audit::audited(&svc.store, ev, |ev| {
        let user = svc
            .store
            .read(|conn| user_logged_in(svc, conn, caller, token))?;
        let key_type = match mech {
            CKM_AES_KEY_GEN => CKK_AES,
            CKM_GENERIC_SECRET_KEY_GEN => CKK_GENERIC_SECRET,
            _ => return Err(Error::MechanismInvalid(mech)),
        };
        let map = template::normalize(&req.template)?;
        template::check(Mode::Generate, CKO_SECRET_KEY, Some(key_type), &map)?;
        let len = required(&map, CKA_VALUE_LEN, "CKA_VALUE_LEN")?
            .as_ulong()
            .unwrap_or(0);
        if !usize::try_from(len).is_ok_and(|l| secret_len_ok(key_type, l)) {
            return Err(Error::KeySizeRange(format!("secret key of {len} bytes")));
        }
        let mut obj = build(
            caller,
            token,
            CKO_SECRET_KEY,
            Some(key_type),
            map,
            Some(mech),
        )?;
        check_public(svc, user, &[&obj])?;
        let key = Zeroizing::new(rng::bytes(len as usize)?);
        obj.sealed = Some(svc.vault.seal(&obj.aad(), &key)?);
        ev.object_id = Some(obj.id.clone());
        svc.store
            .tx(|tx| insert_created(svc, tx, caller, ev, &[&obj], None))?;
        Ok(obj.info())
    })
}

/// The public attributes an RSA private key shows, like its public key.
pub fn rsa_public_attrs(p: &rsa::RsaPublic) -> Vec<(u64, AttrValue)> {
    let b = |v: &[u8]| AttrValue::Bytes(Bytes(v.to_vec()));
    vec![
        (CKA_MODULUS, b(&p.modulus)),
        (CKA_PUBLIC_EXPONENT, b(&p.exponent)),
        (CKA_MODULUS_BITS, AttrValue::Ulong(p.bits)),
        (CKA_PUBLIC_KEY_INFO, b(&p.spki)),
    ]
}

/// The public attributes an EC private key shows, like its public key.
pub fn ec_public_attrs(p: &ec::EcPublic) -> Vec<(u64, AttrValue)> {
    let b = |v: &[u8]| AttrValue::Bytes(Bytes(v.to_vec()));
    vec![
        (CKA_EC_PARAMS, b(p.curve.params())),
        (CKA_EC_POINT, b(&p.point)),
        (CKA_PUBLIC_KEY_INFO, b(&p.spki)),
    ]
}

/// The public attributes an Ed25519 key shows (`CKA_EC_PARAMS` stays as the application gave
/// it: it has three spellings).
pub fn ed_public_attrs(p: &eddsa::EdPublic) -> Vec<(u64, AttrValue)> {
    let b = |v: &[u8]| AttrValue::Bytes(Bytes(v.to_vec()));
    vec![
        (CKA_EC_POINT, b(&p.point)),
        (CKA_PUBLIC_KEY_INFO, b(&p.spki)),
    ]
}

/// The public attributes both keys of a pair show.
fn public_attrs(pair: &Pair) -> Vec<(u64, AttrValue)> {
    match pair {
        Pair::Rsa(p) => rsa_public_attrs(p),
        Pair::Ec(p) => ec_public_attrs(p),
        Pair::Ed(params, p) => {
            let mut attrs = ed_public_attrs(p);
            attrs.push((CKA_EC_PARAMS, params.clone()));
            attrs
        }
    }
}

enum Pair {
    Rsa(rsa::RsaPublic),
    Ec(ec::EcPublic),
    Ed(AttrValue, eddsa::EdPublic),
}

enum Spec {
    Rsa(u64),
    Ec(ec::Curve),
    Ed(AttrValue),
}

fn rsa_spec(public: &AttrMap) -> Result<Spec> {
    let bits = required(public, CKA_MODULUS_BITS, "CKA_MODULUS_BITS")?
        .as_ulong()
        .unwrap_or(0);
    if !matches!(bits, 2048 | 3072 | 4096) {
        return Err(Error::KeySizeRange(format!("RSA modulus of {bits} bits")));
    }
    if let Some(e) = public
        .get(&CKA_PUBLIC_EXPONENT)
        .and_then(AttrValue::as_bytes)
    {
        let start = e.iter().position(|b| *b != 0).unwrap_or(e.len());
        if e[start..] != [1, 0, 1] {
            return Err(Error::AttributeValueInvalid(CKA_PUBLIC_EXPONENT));
        }
    }
    Ok(Spec::Rsa(bits))
}

/// `CKA_EC_PARAMS` from either template (the same if both give it).
fn ec_params(public: &AttrMap, private: &AttrMap) -> Result<AttrValue> {
    Ok(
        match (public.get(&CKA_EC_PARAMS), private.get(&CKA_EC_PARAMS)) {
            (Some(a), Some(b)) if a != b => {
                return Err(Error::TemplateInconsistent(
                    "CKA_EC_PARAMS differ between the templates".into(),
                ))
            }
            (Some(p), _) | (None, Some(p)) => p.clone(),
            (None, None) => {
                return Err(Error::TemplateIncomplete(
                    "CKA_EC_PARAMS is required".into(),
                ))
            }
        },
    )
}

fn ec_spec(public: &AttrMap, private: &AttrMap) -> Result<Spec> {
    let curve = ec::curve_of_params(ec_params(public, private)?.as_bytes())?;
    Ok(Spec::Ec(curve))
}

fn ed_spec(public: &AttrMap, private: &AttrMap) -> Result<Spec> {
    let params = ec_params(public, private)?;
    if params.as_bytes().is_some_and(eddsa::is_ed25519) {
        Ok(Spec::Ed(params))
    } else {
        Err(Error::AttributeValueInvalid(CKA_EC_PARAMS))
    }
}

/// `C_GenerateKeyPair`.
pub fn generate_pair(
    svc: &Services,
    caller: &Caller,
    token: &str,
    req: &GenerateKeyPairRequest,
) -> Result<KeyPairInfo> {
    let mech = req.mechanism.mechanism;
    let mut ev = caller.event(Some(token), "key.generate_pair");
    ev.mechanism = Some(kms_api::mech::table::name(mech));
    audit::audited(&svc.store, ev, |ev| {
        let user = svc
            .store
            .read(|conn| user_logged_in(svc, conn, caller, token))?;
        let key_type = match mech {
            CKM_RSA_PKCS_KEY_PAIR_GEN => CKK_RSA,
            CKM_EC_KEY_PAIR_GEN => CKK_EC,
            CKM_EC_EDWARDS_KEY_PAIR_GEN => CKK_EC_EDWARDS,
            _ => return Err(Error::MechanismInvalid(mech)),
        };
        let mut pub_map = template::normalize(&req.public_template)?;
        let mut priv_map = template::normalize(&req.private_template)?;
        template::check(Mode::Generate, CKO_PUBLIC_KEY, Some(key_type), &pub_map)?;
        template::check(Mode::Generate, CKO_PRIVATE_KEY, Some(key_type), &priv_map)?;
        // The usage flags neither half names follow the roles either half asks for, and the
        // pair may not wrap with one half and decrypt with the other (model::usage).
        let roles = usage::requested(&[&pub_map, &priv_map], key_type);
        for (class, map) in [
            (CKO_PUBLIC_KEY, &mut pub_map),
            (CKO_PRIVATE_KEY, &mut priv_map),
        ] {
            usage::fill(
                |ty| template::change_rule(ty, class, Some(key_type)).is_some(),
                roles,
                map,
            );
        }
        usage::check_separated(&[&pub_map, &priv_map])?;
        let spec = match key_type {
            CKK_RSA => rsa_spec(&pub_map)?,
            CKK_EC => ec_spec(&pub_map, &priv_map)?,
            _ => ed_spec(&pub_map, &priv_map)?,
        };
        let mut public = build(
            caller,
            token,
            CKO_PUBLIC_KEY,
            Some(key_type),
            pub_map,
            Some(mech),
        )?;
        let mut private = build(
            caller,
            token,
            CKO_PRIVATE_KEY,
            Some(key_type),
            priv_map,
            Some(mech),
        )?;
        check_public(svc, user, &[&public, &private])?;
        let (pkcs8, pair) = match spec {
            Spec::Rsa(bits) => {
                let (k, p) = rsa::generate(bits)?;
                (k, Pair::Rsa(p))
            }
            Spec::Ec(curve) => {
                let (k, p) = ec::generate(curve)?;
                (k, Pair::Ec(p))
            }
            Spec::Ed(params) => {
                let (k, p) = eddsa::generate()?;
                (k, Pair::Ed(params, p))
            }
        };
        for (ty, v) in public_attrs(&pair) {
            public.attrs.insert(ty, v.clone());
            private.attrs.insert(ty, v);
        }
        private.sealed = Some(svc.vault.seal(&private.aad(), &pkcs8)?);
        drop(pkcs8);
        svc.store
            .tx(|tx| insert_created(svc, tx, caller, ev, &[&public, &private], None))?;
        Ok(KeyPairInfo {
            public: public.info(),
            private: private.info(),
        })
    })
}
