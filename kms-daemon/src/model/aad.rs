//! The associated data that key material is sealed with (security R18): whatever it binds cannot
//! be edited in the store without the material failing to open. [`base`] binds the object's
//! identity and security attributes; `Lifecycle::bind` adds the life cycle and policy
//! ([`super::object::StoredObject::aad`] puts them together); [`retired`] names a retired version
//! of a rotated key.

use super::object::{AttrMap, StoredObject};
use crate::ck;
use kms_api::AttrValue;

/// The booleans the AAD binds, in this order.
pub const AAD_FLAGS: [u64; 15] = [
    ck::CKA_SENSITIVE,
    ck::CKA_EXTRACTABLE,
    ck::CKA_ENCRYPT,
    ck::CKA_DECRYPT,
    ck::CKA_SIGN,
    ck::CKA_VERIFY,
    ck::CKA_WRAP,
    ck::CKA_UNWRAP,
    ck::CKA_DERIVE,
    ck::CKA_ALWAYS_SENSITIVE,
    ck::CKA_NEVER_EXTRACTABLE,
    ck::CKA_LOCAL,
    ck::CKA_MODIFIABLE,
    ck::CKA_PRIVATE,
    ck::CKA_TOKEN,
];

/// The canonical AAD of one object: length-prefixed id and token, class and key type as u64
/// big-endian, one byte per flag of [`AAD_FLAGS`] (0 false, 1 true, 2 absent), then the allowed
/// mechanisms (count and values, u64 big-endian; absent = `u64::MAX`).
pub fn base(id: &str, token: &str, class: u64, key_type: Option<u64>, attrs: &AttrMap) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(b"kmsd-aad-v1");
    for s in [id, token] {
        out.extend_from_slice(&(s.len() as u32).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    out.extend_from_slice(&class.to_be_bytes());
    out.extend_from_slice(&key_type.unwrap_or(u64::MAX).to_be_bytes());
    for ty in AAD_FLAGS {
        out.push(match attrs.get(&ty) {
            Some(AttrValue::Bool(false)) => 0,
            Some(AttrValue::Bool(true)) => 1,
            _ => 2,
        });
    }
    match attrs.get(&ck::CKA_ALLOWED_MECHANISMS) {
        Some(AttrValue::UlongList(list)) => {
            out.extend_from_slice(&(list.len() as u64).to_be_bytes());
            for m in list {
                out.extend_from_slice(&m.to_be_bytes());
            }
        }
        _ => out.extend_from_slice(&u64::MAX.to_be_bytes()),
    }
    // The templates that bound what a key wraps, unwraps or derives are policy too. Bound only
    // when present, so the AAD of every key made before they existed stays what it was.
    for ty in [
        ck::CKA_WRAP_TEMPLATE,
        ck::CKA_UNWRAP_TEMPLATE,
        ck::CKA_DERIVE_TEMPLATE,
    ] {
        if let Some(AttrValue::Template(t)) = attrs.get(&ty) {
            let json = serde_json::to_vec(t).unwrap_or_default();
            out.extend_from_slice(&ty.to_be_bytes());
            out.extend_from_slice(&(json.len() as u64).to_be_bytes());
            out.extend_from_slice(&json);
        }
    }
    out
}

/// The AAD of retired version `version` of `obj`.
pub fn retired(obj: &StoredObject, version: u32) -> Vec<u8> {
    let mut out = b"kmsd-retired-v1".to_vec();
    for s in [obj.id.as_str(), obj.token.as_str()] {
        out.extend_from_slice(&(s.len() as u32).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    out.extend_from_slice(&obj.class.to_be_bytes());
    out.extend_from_slice(&obj.key_type.unwrap_or(u64::MAX).to_be_bytes());
    out.extend_from_slice(&version.to_be_bytes());
    out
}
