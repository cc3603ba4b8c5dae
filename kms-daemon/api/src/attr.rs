//! Attributes on the wire: a typed value per `CKA_*` type, and the table that says which type
//! each standard attribute has (PKCS#11 v3.0 §4, the "Data type" column of each object table).

use crate::bytes::Bytes;
use cryptoki_sys::*;
use serde::{Deserialize, Serialize};

/// A typed attribute value. `CK_ULONG` values travel as `u64` whatever the C size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttrValue {
    /// `CK_BBOOL`.
    Bool(bool),
    /// `CK_ULONG` and the `CK_*_TYPE` aliases (class, key type, certificate type …).
    Ulong(u64),
    /// Byte arrays, UTF-8 strings, big integers, DER values.
    Bytes(Bytes),
    /// `CK_DATE`: eight ASCII digits `YYYYMMDD`, or empty.
    Date(String),
    /// `CK_MECHANISM_TYPE_PTR` arrays (`CKA_ALLOWED_MECHANISMS`).
    UlongList(Vec<u64>),
    /// Attribute arrays (`CKA_WRAP_TEMPLATE`, `CKA_UNWRAP_TEMPLATE`, `CKA_DERIVE_TEMPLATE`): one
    /// level only, a template never holds another ([`MAX_TEMPLATE_DEPTH`]).
    Template(Vec<Attr>),
}

impl AttrValue {
    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            AttrValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The unsigned long, if this is one.
    pub fn as_ulong(&self) -> Option<u64> {
        match self {
            AttrValue::Ulong(v) => Some(*v),
            _ => None,
        }
    }

    /// The bytes, if this is a byte array.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            AttrValue::Bytes(b) => Some(&b.0),
            _ => None,
        }
    }

    /// The kind of this value.
    pub fn kind(&self) -> AttrKind {
        match self {
            AttrValue::Bool(_) => AttrKind::Bool,
            AttrValue::Ulong(_) => AttrKind::Ulong,
            AttrValue::Bytes(_) => AttrKind::Bytes,
            AttrValue::Date(_) => AttrKind::Date,
            AttrValue::UlongList(_) => AttrKind::UlongList,
            AttrValue::Template(_) => AttrKind::Template,
        }
    }

    /// The attributes, if this is a template.
    pub fn as_template(&self) -> Option<&[Attr]> {
        match self {
            AttrValue::Template(t) => Some(t),
            _ => None,
        }
    }
}

/// One attribute: type and value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attr {
    /// The `CKA_*` type.
    #[serde(rename = "t")]
    pub ty: u64,
    /// The value.
    #[serde(rename = "v")]
    pub value: AttrValue,
}

/// A template: attributes in the order the application gave them.
pub type Template = Vec<Attr>;

/// Looks up an attribute in a template (the first occurrence).
pub fn find(template: &[Attr], ty: u64) -> Option<&AttrValue> {
    template.iter().find(|a| a.ty == ty).map(|a| &a.value)
}

/// The data type of an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrKind {
    /// `CK_BBOOL`.
    Bool,
    /// `CK_ULONG`.
    Ulong,
    /// Byte array.
    Bytes,
    /// `CK_DATE`.
    Date,
    /// Array of `CK_ULONG`.
    UlongList,
    /// Array of attributes.
    Template,
}

/// Templates nest one level: the attributes of a `CKA_*_TEMPLATE` are plain values (a nested
/// template is `CKR_ATTRIBUTE_VALUE_INVALID`, security T24).
pub const MAX_TEMPLATE_DEPTH: usize = 1;

/// Maximum number of attributes in one template (security rule R19).
pub const MAX_TEMPLATE_ATTRS: usize = 256;

/// Maximum length of one attribute value (security rule R19).
pub const MAX_VALUE_LEN: usize = 64 * 1024;

/// The kind of each attribute this product knows, or `None` for an unknown type
/// (`CKR_ATTRIBUTE_TYPE_INVALID`).
pub fn kind_of(ty: u64) -> Option<AttrKind> {
    let ty = ty as CK_ATTRIBUTE_TYPE;
    Some(match ty {
        CKA_TOKEN
        | CKA_PRIVATE
        | CKA_MODIFIABLE
        | CKA_COPYABLE
        | CKA_DESTROYABLE
        | CKA_TRUSTED
        | CKA_SENSITIVE
        | CKA_ENCRYPT
        | CKA_DECRYPT
        | CKA_WRAP
        | CKA_UNWRAP
        | CKA_SIGN
        | CKA_SIGN_RECOVER
        | CKA_VERIFY
        | CKA_VERIFY_RECOVER
        | CKA_DERIVE
        | CKA_EXTRACTABLE
        | CKA_LOCAL
        | CKA_NEVER_EXTRACTABLE
        | CKA_ALWAYS_SENSITIVE
        | CKA_WRAP_WITH_TRUSTED
        | CKA_ALWAYS_AUTHENTICATE => AttrKind::Bool,
        CKA_CLASS
        | CKA_KEY_TYPE
        | CKA_CERTIFICATE_TYPE
        | CKA_CERTIFICATE_CATEGORY
        | CKA_JAVA_MIDP_SECURITY_DOMAIN
        | CKA_NAME_HASH_ALGORITHM
        | CKA_MODULUS_BITS
        | CKA_VALUE_LEN
        | CKA_KEY_GEN_MECHANISM
        | CKA_VALUE_BITS => AttrKind::Ulong,
        CKA_START_DATE | CKA_END_DATE => AttrKind::Date,
        CKA_ALLOWED_MECHANISMS => AttrKind::UlongList,
        CKA_WRAP_TEMPLATE | CKA_UNWRAP_TEMPLATE | CKA_DERIVE_TEMPLATE => AttrKind::Template,
        CKA_LABEL
        | CKA_APPLICATION
        | CKA_VALUE
        | CKA_OBJECT_ID
        | CKA_ISSUER
        | CKA_SERIAL_NUMBER
        | CKA_AC_ISSUER
        | CKA_OWNER
        | CKA_ATTR_TYPES
        | CKA_URL
        | CKA_HASH_OF_SUBJECT_PUBLIC_KEY
        | CKA_HASH_OF_ISSUER_PUBLIC_KEY
        | CKA_CHECK_VALUE
        | CKA_SUBJECT
        | CKA_ID
        | CKA_MODULUS
        | CKA_PUBLIC_EXPONENT
        | CKA_PRIVATE_EXPONENT
        | CKA_PRIME_1
        | CKA_PRIME_2
        | CKA_EXPONENT_1
        | CKA_EXPONENT_2
        | CKA_COEFFICIENT
        | CKA_PUBLIC_KEY_INFO
        | CKA_PRIME
        | CKA_SUBPRIME
        | CKA_BASE
        | CKA_EC_PARAMS
        | CKA_EC_POINT
        | CKA_UNIQUE_ID => AttrKind::Bytes,
        _ if ty as u64 == crate::vendor::CKA_KMS_OBJECT_ID => AttrKind::Bytes,
        _ if ty as u64 == crate::vendor::CKA_KMS_STATE => AttrKind::Ulong,
        _ if ty as u64 == crate::vendor::CKA_KMS_KEY_VERSION => AttrKind::Ulong,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_kinds() {
        assert_eq!(kind_of(CKA_SIGN as u64), Some(AttrKind::Bool));
        assert_eq!(kind_of(CKA_CLASS as u64), Some(AttrKind::Ulong));
        assert_eq!(kind_of(CKA_ID as u64), Some(AttrKind::Bytes));
        assert_eq!(kind_of(0x8000_1234), None);
    }

    #[test]
    fn wire_form_is_compact_and_typed() {
        let a = Attr {
            ty: CKA_TOKEN as u64,
            value: AttrValue::Bool(true),
        };
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"t":1,"v":{"bool":true}}"#
        );
    }
}
