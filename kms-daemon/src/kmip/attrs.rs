//! The object mapping: a PKCS#11 object of the token as KMIP attributes, and the KMIP attributes
//! of a new object as what the core's templates need.
//!
//! | KMIP | PKCS#11 object |
//! |---|---|
//! | Unique Identifier | kmsd's object id (`CKA_KMS_OBJECT_ID` in the module) |
//! | Object Type | `CKA_CLASS` |
//! | Name | `CKA_LABEL` |
//! | Cryptographic Algorithm | `CKA_KEY_TYPE` (HMAC-SHA*: a generic secret whose `CKA_ALLOWED_MECHANISMS` is that HMAC) |
//! | Cryptographic Length | `CKA_VALUE_LEN` × 8, `CKA_MODULUS_BITS`, the curve's size |
//! | Cryptographic Usage Mask | `CKA_ENCRYPT`, `CKA_DECRYPT`, `CKA_SIGN`, `CKA_VERIFY`, `CKA_WRAP`, `CKA_UNWRAP`, `CKA_DERIVE` |
//! | State | the life cycle (`CKA_KMS_STATE`) |
//! | Activation / Deactivation Date | the validity window (`CKA_START_DATE` / `CKA_END_DATE`) |
//! | Sensitive, Extractable (2.0) | `CKA_SENSITIVE`, `CKA_EXTRACTABLE` |

use crate::ck::*;
use kms_api::curve::Curve;
use kms_api::vendor;
use kms_api::{Attr, AttrValue};
use kms_kmip::attr::{Attribute, AttributeValue, Name};
use kms_kmip::enums::{CryptographicAlgorithm as Alg, NameType, ObjectType, State, UsageMask};
use kms_kmip::{DateTime, ProtocolVersion};

/// A shown attribute of `attrs`.
fn find(attrs: &[Attr], ty: u64) -> Option<&AttrValue> {
    kms_api::attr::find(attrs, ty)
}

fn ulong(attrs: &[Attr], ty: u64) -> Option<u64> {
    find(attrs, ty).and_then(AttrValue::as_ulong)
}

fn flag(attrs: &[Attr], ty: u64) -> bool {
    find(attrs, ty).and_then(AttrValue::as_bool) == Some(true)
}

/// The HMAC mechanisms and the KMIP algorithm each is.
pub(crate) const HMACS: [(u64, Alg); 3] = [
    (CKM_SHA256_HMAC, Alg::HmacSha256),
    (CKM_SHA384_HMAC, Alg::HmacSha384),
    (CKM_SHA512_HMAC, Alg::HmacSha512),
];

/// The KMIP Object Type of a `CKA_CLASS`.
pub(crate) fn object_type(class: u64) -> Option<ObjectType> {
    Some(match class {
        CKO_SECRET_KEY => ObjectType::SymmetricKey,
        CKO_PUBLIC_KEY => ObjectType::PublicKey,
        CKO_PRIVATE_KEY => ObjectType::PrivateKey,
        CKO_CERTIFICATE => ObjectType::Certificate,
        CKO_DATA => ObjectType::OpaqueObject,
        _ => return None,
    })
}

/// The `CKA_CLASS` of a KMIP Object Type.
pub(crate) fn class_of(t: ObjectType) -> Option<u64> {
    Some(match t {
        ObjectType::SymmetricKey => CKO_SECRET_KEY,
        ObjectType::PublicKey => CKO_PUBLIC_KEY,
        ObjectType::PrivateKey => CKO_PRIVATE_KEY,
        ObjectType::Certificate => CKO_CERTIFICATE,
        _ => return None,
    })
}

/// The curve of an EC key's `CKA_EC_PARAMS`.
pub(crate) fn curve(attrs: &[Attr]) -> Option<Curve> {
    find(attrs, CKA_EC_PARAMS)
        .and_then(AttrValue::as_bytes)
        .and_then(Curve::from_params)
}

/// The curve of a KMIP EC key length.
pub(crate) fn curve_of_bits(bits: i32) -> Option<Curve> {
    Some(match bits {
        256 => Curve::P256,
        384 => Curve::P384,
        521 => Curve::P521,
        _ => return None,
    })
}

fn curve_bits(c: Curve) -> i32 {
    match c {
        Curve::P256 => 256,
        Curve::P384 => 384,
        Curve::P521 => 521,
    }
}

/// The KMIP algorithm of an object.
pub(crate) fn algorithm(attrs: &[Attr]) -> Option<Alg> {
    Some(match ulong(attrs, CKA_KEY_TYPE)? {
        CKK_AES => Alg::Aes,
        CKK_RSA => Alg::Rsa,
        CKK_EC => Alg::Ec,
        CKK_GENERIC_SECRET => {
            let allowed = match find(attrs, CKA_ALLOWED_MECHANISMS) {
                Some(AttrValue::UlongList(list)) => list.as_slice(),
                _ => &[],
            };
            HMACS
                .iter()
                .find(|(m, _)| allowed.contains(m))
                .map_or(Alg::HmacSha256, |(_, a)| *a)
        }
        _ => return None,
    })
}

/// The KMIP length (bits) of an object.
pub(crate) fn length(attrs: &[Attr]) -> Option<i32> {
    if let Some(bytes) = ulong(attrs, CKA_VALUE_LEN) {
        return i32::try_from(bytes.checked_mul(8)?).ok();
    }
    if let Some(bits) = ulong(attrs, CKA_MODULUS_BITS) {
        return i32::try_from(bits).ok();
    }
    curve(attrs).map(curve_bits)
}

/// The usage flags and the mask bit each stands for.
const USAGE: [(u64, UsageMask); 7] = [
    (CKA_SIGN, UsageMask::SIGN),
    (CKA_VERIFY, UsageMask::VERIFY),
    (CKA_ENCRYPT, UsageMask::ENCRYPT),
    (CKA_DECRYPT, UsageMask::DECRYPT),
    (CKA_WRAP, UsageMask::WRAP_KEY),
    (CKA_UNWRAP, UsageMask::UNWRAP_KEY),
    (CKA_DERIVE, UsageMask::DERIVE_KEY),
];

/// The usage mask of an object; an HMAC key's sign and verify are also MAC Generate and Verify.
pub(crate) fn usage_mask(attrs: &[Attr]) -> UsageMask {
    let mut mask = USAGE
        .iter()
        .filter(|(ty, _)| flag(attrs, *ty))
        .fold(0, |m, (_, bit)| m | bit.0);
    if ulong(attrs, CKA_KEY_TYPE) == Some(CKK_GENERIC_SECRET) {
        if flag(attrs, CKA_SIGN) {
            mask |= UsageMask::MAC_GENERATE.0;
        }
        if flag(attrs, CKA_VERIFY) {
            mask |= UsageMask::MAC_VERIFY.0;
        }
    }
    UsageMask(mask)
}

/// The usage flags a mask asks for, among those `class` has (`allowed`).
pub(crate) fn usage_flags(mask: UsageMask, allowed: &[u64]) -> Vec<Attr> {
    let mut m = mask.0;
    if m & (UsageMask::MAC_GENERATE.0) != 0 {
        m |= UsageMask::SIGN.0;
    }
    if m & (UsageMask::MAC_VERIFY.0) != 0 {
        m |= UsageMask::VERIFY.0;
    }
    USAGE
        .iter()
        .filter(|(ty, _)| allowed.contains(ty))
        .map(|(ty, bit)| Attr {
            ty: *ty,
            value: AttrValue::Bool(m & bit.0 != 0),
        })
        .collect()
}

/// The KMIP State of an object.
pub(crate) fn state(attrs: &[Attr]) -> Option<State> {
    let s = ulong(attrs, vendor::CKA_KMS_STATE)?;
    Some(State::from_u32(u32::try_from(s).ok()?))
}

/// A `CK_DATE` (`YYYYMMDD`) as a KMIP Date-Time (midnight UTC).
fn date(attrs: &[Attr], ty: u64) -> Option<DateTime> {
    let AttrValue::Date(d) = find(attrs, ty)? else {
        return None;
    };
    let ms = crate::model::dates::ck_date_start(d)?;
    Some(DateTime(ms / 1000))
}

/// The label of an object, if it has one.
pub(crate) fn label(attrs: &[Attr]) -> Option<String> {
    let bytes = find(attrs, CKA_LABEL)?.as_bytes()?;
    (!bytes.is_empty()).then(|| String::from_utf8_lossy(bytes).into_owned())
}

/// Every KMIP attribute of an object (see the module's table); Sensitive and Extractable only
/// in KMIP 2.0 (1.x clients may not know them).
pub(crate) fn of_object(id: &str, attrs: &[Attr], version: ProtocolVersion) -> Vec<Attribute> {
    let mut out = vec![AttributeValue::UniqueIdentifier(id.to_owned())];
    if let Some(t) = ulong(attrs, CKA_CLASS).and_then(object_type) {
        out.push(AttributeValue::ObjectType(t));
    }
    if let Some(name) = label(attrs) {
        out.push(AttributeValue::Name(Name {
            value: name,
            name_type: NameType::UninterpretedTextString,
        }));
    }
    if let Some(a) = algorithm(attrs) {
        out.push(AttributeValue::CryptographicAlgorithm(a));
    }
    if let Some(l) = length(attrs) {
        out.push(AttributeValue::CryptographicLength(l));
    }
    if ulong(attrs, CKA_KEY_TYPE).is_some() {
        out.push(AttributeValue::CryptographicUsageMask(usage_mask(attrs)));
    }
    if let Some(s) = state(attrs) {
        out.push(AttributeValue::State(s));
    }
    if let Some(d) = date(attrs, CKA_START_DATE) {
        out.push(AttributeValue::ActivationDate(d));
    }
    if let Some(d) = date(attrs, CKA_END_DATE) {
        out.push(AttributeValue::DeactivationDate(d));
    }
    if version.is_v2() && find(attrs, CKA_SENSITIVE).is_some() {
        out.push(AttributeValue::Sensitive(flag(attrs, CKA_SENSITIVE)));
        out.push(AttributeValue::Extractable(flag(attrs, CKA_EXTRACTABLE)));
    }
    out.into_iter().map(Attribute::new).collect()
}
