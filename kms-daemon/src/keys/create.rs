//! `C_CreateObject`: AES and generic secret keys, RSA/EC/Ed25519 private keys, X.509
//! certificates, RSA/EC/Ed25519 public keys, data objects.
//!
//! An RSA private key is given by all of its components (`CKA_MODULUS` … `CKA_COEFFICIENT`), an
//! EC private key by `CKA_EC_PARAMS` and its scalar `CKA_VALUE`, an Ed25519 one by its seed. aws-lc-rs builds and validates
//! the key, a pairwise sign/verify test runs (security R12), and the PKCS#8 form is sealed; the
//! private components are never stored in the attributes. The public attributes (modulus and
//! exponent, or EC point; `CKA_PUBLIC_KEY_INFO`) are filled in as for generated keys. Imported
//! keys get LOCAL=F, ALWAYS_SENSITIVE=F, NEVER_EXTRACTABLE=F and may not wrap or unwrap (R5).

use super::access::{check_public, user_logged_in};
use super::generate::{ec_public_attrs, ed_public_attrs, rsa_public_attrs};
use super::new_object::insert_created;
use super::new_object::{build, check_non_local_roles, required};
use crate::audit;
use crate::auth::Caller;
use crate::ck::*;
use crate::crypto::{ec, eddsa, mac, rsa};
use crate::error::{Error, Result};
use crate::model::object::AttrMap;
use crate::model::template::{self, Mode};
use crate::state::Services;
use kms_api::msg::ObjectInfo;
use kms_api::{Attr, AttrValue, Bytes};
use zeroize::Zeroizing;

fn bytes(v: &[u8]) -> AttrValue {
    AttrValue::Bytes(Bytes(v.to_vec()))
}

/// `C_CreateObject`.
pub fn create_object(
    svc: &Services,
    caller: &Caller,
    token: &str,
    template: &[Attr],
) -> Result<ObjectInfo> {
    let ev = caller.event(Some(token), "object.create");
    audit::audited(&svc.store, ev, |ev| {
        let user = svc
            .store
            .read(|conn| user_logged_in(svc, conn, caller, token))?;
        let mut map = template::normalize(template)?;
        let class = required(&map, CKA_CLASS, "CKA_CLASS")?
            .as_ulong()
            .unwrap_or(u64::MAX);
        let key_type = match class {
            CKO_SECRET_KEY | CKO_PUBLIC_KEY | CKO_PRIVATE_KEY => Some(
                required(&map, CKA_KEY_TYPE, "CKA_KEY_TYPE")?
                    .as_ulong()
                    .unwrap_or(u64::MAX),
            ),
            CKO_DATA | CKO_CERTIFICATE => None,
            _ => {
                return Err(Error::TemplateInconsistent(
                    "kmsd cannot create objects of this class".into(),
                ))
            }
        };
        match (class, key_type) {
            (CKO_SECRET_KEY, Some(CKK_AES | CKK_GENERIC_SECRET))
            | (CKO_PUBLIC_KEY | CKO_PRIVATE_KEY, Some(CKK_RSA | CKK_EC | CKK_EC_EDWARDS))
            | (_, None) => {}
            _ => {
                return Err(Error::TemplateInconsistent(
                    "kmsd cannot create keys of this type".into(),
                ))
            }
        }
        if class == CKO_SECRET_KEY {
            drop_consistent_value_len(&mut map)?;
        }
        template::check(Mode::Create, class, key_type, &map)?;
        // R1 (no wrap-and-decrypt key) and R5 (only keys generated here may wrap or unwrap).
        check_non_local_roles(&map)?;
        let secret = match (class, key_type) {
            (CKO_SECRET_KEY, Some(kt)) => Some(take_secret_value(&mut map, kt)?),
            (CKO_PRIVATE_KEY, Some(CKK_RSA)) => Some(import_rsa_private(&mut map)?),
            (CKO_PRIVATE_KEY, Some(CKK_EC_EDWARDS)) => Some(import_ed_private(&mut map)?),
            (CKO_PRIVATE_KEY, _) => Some(import_ec_private(&mut map)?),
            (CKO_CERTIFICATE, _) => {
                fill_certificate(&mut map)?;
                None
            }
            (CKO_PUBLIC_KEY, Some(CKK_RSA)) => {
                fill_rsa_public(&mut map)?;
                None
            }
            (CKO_PUBLIC_KEY, Some(CKK_EC_EDWARDS)) => {
                fill_ed_public(&mut map)?;
                None
            }
            (CKO_PUBLIC_KEY, _) => {
                fill_ec_public(&mut map)?;
                None
            }
            _ => None,
        };
        let mut obj = build(caller, token, class, key_type, map, None)?;
        check_public(svc, user, &[&obj])?;
        if let Some(value) = secret {
            obj.sealed = Some(svc.vault.seal(&obj.aad(), &value)?);
        }
        ev.object_id = Some(obj.id.clone());
        svc.store
            .tx(|tx| insert_created(svc, tx, caller, ev, &[&obj], None))?;
        Ok(obj.info())
    })
}

/// Longest generic secret kmsd holds, in bytes (a MAC key longer than the hash block is hashed
/// down anyway).
pub const MAX_GENERIC_SECRET_LEN: usize = 512;

/// Whether a secret key of `key_type` may be `len` bytes long: AES 16, 24 or 32; a generic
/// secret (HMAC key) from 14 bytes (112 bits) to [`MAX_GENERIC_SECRET_LEN`].
pub fn secret_len_ok(key_type: u64, len: usize) -> bool {
    match key_type {
        CKK_AES => matches!(len, 16 | 24 | 32),
        CKK_GENERIC_SECRET => (mac::MIN_KEY_LEN..=MAX_GENERIC_SECRET_LEN).contains(&len),
        _ => false,
    }
}

/// A secret key's `CKA_VALUE_LEN` is the token's to set (from `CKA_VALUE`); a template may still
/// give it when it agrees with the value, as OpenSC's `pkcs11-tool --test` does: it is dropped
/// (and set again from the value), while one that contradicts the value is
/// `template_inconsistent`.
fn drop_consistent_value_len(map: &mut AttrMap) -> Result<()> {
    let Some(given) = map.get(&CKA_VALUE_LEN) else {
        return Ok(());
    };
    let value_len = map
        .get(&CKA_VALUE)
        .and_then(AttrValue::as_bytes)
        .map(<[u8]>::len);
    match (given.as_ulong(), value_len) {
        (Some(n), Some(len)) if n == len as u64 => {
            map.remove(&CKA_VALUE_LEN);
            Ok(())
        }
        (Some(_), Some(_)) => Err(Error::TemplateInconsistent(
            "CKA_VALUE_LEN differs from the length of CKA_VALUE".into(),
        )),
        // Without a value the template check refuses it as read-only, as before.
        _ => Ok(()),
    }
}

/// Removes a secret key's value from the attributes (it is sealed, never stored in clear).
fn take_secret_value(map: &mut AttrMap, key_type: u64) -> Result<Zeroizing<Vec<u8>>> {
    let value = match map.remove(&CKA_VALUE) {
        Some(AttrValue::Bytes(b)) => Zeroizing::new(b.0),
        _ => return Err(Error::TemplateIncomplete("CKA_VALUE is required".into())),
    };
    if !secret_len_ok(key_type, value.len()) {
        return Err(Error::AttributeValueInvalid(CKA_VALUE));
    }
    map.insert(CKA_VALUE_LEN, AttrValue::Ulong(value.len() as u64));
    Ok(value)
}

/// Removes a secret component from the attributes into a wiped buffer.
fn take_secret(map: &mut AttrMap, ty: u64, name: &str) -> Result<Zeroizing<Vec<u8>>> {
    match map.remove(&ty) {
        Some(AttrValue::Bytes(b)) => Ok(Zeroizing::new(b.0)),
        _ => Err(Error::TemplateIncomplete(format!("{name} is required"))),
    }
}

/// Builds, checks and returns (as PKCS#8) an RSA private key from its components, which leave
/// the attributes; the public attributes take their place.
fn import_rsa_private(map: &mut AttrMap) -> Result<Zeroizing<Vec<u8>>> {
    // Every private component leaves the map first, whatever fails next.
    let d = take_secret(map, CKA_PRIVATE_EXPONENT, "CKA_PRIVATE_EXPONENT");
    let p = take_secret(map, CKA_PRIME_1, "CKA_PRIME_1");
    let q = take_secret(map, CKA_PRIME_2, "CKA_PRIME_2");
    let dp = take_secret(map, CKA_EXPONENT_1, "CKA_EXPONENT_1");
    let dq = take_secret(map, CKA_EXPONENT_2, "CKA_EXPONENT_2");
    let qinv = take_secret(map, CKA_COEFFICIENT, "CKA_COEFFICIENT");
    let n = required(map, CKA_MODULUS, "CKA_MODULUS")?;
    let e = required(map, CKA_PUBLIC_EXPONENT, "CKA_PUBLIC_EXPONENT")?;
    let components = rsa::RsaComponents {
        n: n.as_bytes().unwrap_or_default().to_vec(),
        e: e.as_bytes().unwrap_or_default().to_vec(),
        d: d?,
        p: p?,
        q: q?,
        dp: dp?,
        dq: dq?,
        qinv: qinv?,
    };
    let (pkcs8, public) = rsa::from_components(&components)?;
    map.extend(rsa_public_attrs(&public));
    Ok(pkcs8)
}

/// Builds, checks and returns (as PKCS#8) an EC private key from `CKA_EC_PARAMS` and the scalar
/// `CKA_VALUE`, which leaves the attributes; `CKA_EC_POINT` and `CKA_PUBLIC_KEY_INFO` are added.
fn import_ec_private(map: &mut AttrMap) -> Result<Zeroizing<Vec<u8>>> {
    let scalar = take_secret(map, CKA_VALUE, "CKA_VALUE");
    let params = required(map, CKA_EC_PARAMS, "CKA_EC_PARAMS")?;
    let curve = ec::curve_of_params(params.as_bytes())?;
    let (pkcs8, public) = ec::from_scalar(curve, &scalar?, CKA_VALUE)?;
    map.extend(ec_public_attrs(&public));
    Ok(pkcs8)
}

/// Checks that `CKA_EC_PARAMS` names Ed25519.
fn require_ed25519(map: &AttrMap) -> Result<()> {
    let params = required(map, CKA_EC_PARAMS, "CKA_EC_PARAMS")?;
    if params.as_bytes().is_some_and(eddsa::is_ed25519) {
        Ok(())
    } else {
        Err(Error::AttributeValueInvalid(CKA_EC_PARAMS))
    }
}

/// An Ed25519 private key from its seed `CKA_VALUE`, which leaves the attributes.
fn import_ed_private(map: &mut AttrMap) -> Result<Zeroizing<Vec<u8>>> {
    let seed = take_secret(map, CKA_VALUE, "CKA_VALUE");
    require_ed25519(map)?;
    let (pkcs8, public) = eddsa::from_seed(&seed?, CKA_VALUE)?;
    map.extend(ed_public_attrs(&public));
    Ok(pkcs8)
}

fn fill_ed_public(map: &mut AttrMap) -> Result<()> {
    require_ed25519(map)?;
    let point = required(map, CKA_EC_POINT, "CKA_EC_POINT")?;
    let p = eddsa::public_from_point(point.as_bytes().unwrap_or_default(), CKA_EC_POINT)?;
    map.extend(ed_public_attrs(&p));
    Ok(())
}

pub(crate) fn fill_certificate(map: &mut AttrMap) -> Result<()> {
    let ty = required(map, CKA_CERTIFICATE_TYPE, "CKA_CERTIFICATE_TYPE")?;
    if ty.as_ulong() != Some(CKC_X_509) {
        return Err(Error::TemplateInconsistent(
            "only X.509 certificates are supported".into(),
        ));
    }
    let der = required(map, CKA_VALUE, "CKA_VALUE")?;
    let der = der.as_bytes().unwrap_or_default();
    let (rest, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|_| Error::AttributeValueInvalid(CKA_VALUE))?;
    if !rest.is_empty() {
        return Err(Error::AttributeValueInvalid(CKA_VALUE));
    }
    let serial = cert.tbs_certificate.raw_serial();
    let mut serial_der = vec![0x02];
    serial_der.extend_from_slice(&crate::crypto::der::octet_string(serial)[1..]);
    let fill = [
        (CKA_SUBJECT, cert.subject().as_raw().to_vec()),
        (CKA_ISSUER, cert.issuer().as_raw().to_vec()),
        (CKA_SERIAL_NUMBER, serial_der),
    ];
    for (t, v) in fill {
        map.entry(t).or_insert_with(|| bytes(&v));
    }
    Ok(())
}

fn fill_rsa_public(map: &mut AttrMap) -> Result<()> {
    let n = required(map, CKA_MODULUS, "CKA_MODULUS")?;
    let e = required(map, CKA_PUBLIC_EXPONENT, "CKA_PUBLIC_EXPONENT")?;
    let p = rsa::public_from_components(
        n.as_bytes().unwrap_or_default(),
        e.as_bytes().unwrap_or_default(),
        CKA_MODULUS,
    )?;
    map.insert(CKA_MODULUS, bytes(&p.modulus));
    map.insert(CKA_PUBLIC_EXPONENT, bytes(&p.exponent));
    map.insert(CKA_MODULUS_BITS, AttrValue::Ulong(p.bits));
    map.insert(CKA_PUBLIC_KEY_INFO, bytes(&p.spki));
    Ok(())
}

fn fill_ec_public(map: &mut AttrMap) -> Result<()> {
    let params = required(map, CKA_EC_PARAMS, "CKA_EC_PARAMS")?;
    let point = required(map, CKA_EC_POINT, "CKA_EC_POINT")?;
    let curve = ec::curve_of_params(params.as_bytes())?;
    let p = ec::public_from_point(curve, point.as_bytes().unwrap_or_default(), CKA_EC_POINT)?;
    map.insert(CKA_EC_POINT, bytes(&p.point));
    map.insert(CKA_PUBLIC_KEY_INFO, bytes(&p.spki));
    Ok(())
}
