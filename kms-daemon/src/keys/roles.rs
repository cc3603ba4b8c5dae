//! R1 role separation at use: a key (or an RSA key pair) that holds both WRAP and DECRYPT, or
//! both UNWRAP and ENCRYPT, decrypts and encrypts nothing. Creation paths refuse such templates
//! (`keys::template`); generation accepts them in default mode, so the check at use is what
//! stops T1/T2/T6 for all-purpose keys and for objects stored before the policy existed.

use crate::ck::*;
use crate::error::{Error, Result};
use crate::model::object::StoredObject;
use crate::store::objects;
use crate::store::Db;

/// Whether another object of the token is the other half of RSA key `obj` (same modulus) and
/// has the usage flag `ty` (R1 across a key pair).
pub fn other_half_has(conn: &Db<'_>, obj: &StoredObject, class: u64, ty: u64) -> Result<bool> {
    if obj.key_type != Some(CKK_RSA) {
        return Ok(false);
    }
    let modulus = obj.bytes(CKA_MODULUS);
    // Only keys of the other class are read (through the class index), not the whole token.
    let of_class = [kms_api::Attr {
        ty: CKA_CLASS,
        value: kms_api::AttrValue::Ulong(class),
    }];
    Ok(objects::candidates(conn, &obj.token, &of_class)?
        .iter()
        .any(|o| {
            o.class == class
                && o.key_type == Some(CKK_RSA)
                && o.bytes(CKA_MODULUS) == modulus
                && o.flag(ty)
        }))
}

/// The role `flag` must not be combined with, on the key or across its pair.
fn conflicting(flag: u64) -> Option<u64> {
    match flag {
        CKA_DECRYPT => Some(CKA_WRAP),
        CKA_ENCRYPT => Some(CKA_UNWRAP),
        _ => None,
    }
}

/// Refuses the use of `obj` for `flag` (CKA_DECRYPT, CKA_ENCRYPT …) when the key or the other
/// half of its pair also holds the conflicting role: `key_function_not_permitted`.
pub fn check_separated(conn: &Db<'_>, obj: &StoredObject, flag: u64) -> Result<()> {
    let Some(other) = conflicting(flag) else {
        return Ok(());
    };
    let half = if obj.class == CKO_PRIVATE_KEY {
        CKO_PUBLIC_KEY
    } else {
        CKO_PRIVATE_KEY
    };
    if obj.flag(other) || other_half_has(conn, obj, half, other)? {
        return Err(Error::KeyFunctionNotPermitted(
            "the key (or its pair) also wraps or unwraps (R1 role separation)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decrypt_conflicts_with_wrap_and_encrypt_with_unwrap() {
        assert_eq!(conflicting(CKA_DECRYPT), Some(CKA_WRAP));
        assert_eq!(conflicting(CKA_ENCRYPT), Some(CKA_UNWRAP));
        assert_eq!(conflicting(CKA_SIGN), None);
    }
}
