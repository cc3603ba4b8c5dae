//! Attribute rules as data: which attributes each object class has, whether a template may give
//! them on `C_CreateObject` and on `C_GenerateKey(Pair)`, and how `C_SetAttributeValue` may change
//! them (PKCS#11 v3.0 §4.4–4.10 "Common … attributes" tables and footnotes; spec-checklist S13,
//! S15; security rules R2, R3).
//!
//! Checks run in this order: unknown type (`attribute_type_invalid`), wrong kind or bad value
//! (`attribute_value_invalid`), the same attribute twice with different values
//! (`template_inconsistent`), CKA_CLASS/CKA_KEY_TYPE contradicting the operation
//! (`template_inconsistent`), an attribute the class does not have (`attribute_type_invalid`),
//! a read-only attribute (`attribute_read_only`). Required attributes are checked by the caller
//! (`template_incomplete`), since they depend on the operation.

use super::object::AttrMap;
use super::usage;
use crate::ck::*;
use crate::error::{Error, Result};
use kms_api::attr::{kind_of, MAX_TEMPLATE_ATTRS, MAX_VALUE_LEN};
use kms_api::{Attr, AttrValue};

/// Object classes as a bit set, for the table.
const D: u8 = 1;
const C: u8 = 2;
const PU: u8 = 4;
const PR: u8 = 8;
const S: u8 = 16;
const KEY: u8 = PU | PR | S;
const ALL: u8 = D | C | KEY;

/// Key types as a bit set (0 = any).
const ANY: u8 = 0;
const RSA: u8 = 1;
const EC: u8 = 2;
const AES: u8 = 4;
const GENERIC: u8 = 8;
const EDWARDS: u8 = 16;

/// Whether a template may give the attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Give {
    /// May be given.
    Yes,
    /// Set by the token only (`attribute_read_only`).
    No,
}

/// How `C_SetAttributeValue` may change the attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Freely (label, id, subject, dates).
    Yes,
    /// Never (`attribute_read_only`).
    No,
    /// Only false → true (CKA_SENSITIVE, footnote 11).
    OnlyToTrue,
    /// Only true → false (CKA_EXTRACTABLE, footnote 12).
    OnlyToFalse,
}

struct Rule {
    ty: u64,
    classes: u8,
    key_types: u8,
    create: Give,
    generate: Give,
    change: Change,
}

const fn r(
    ty: u64,
    classes: u8,
    key_types: u8,
    create: Give,
    generate: Give,
    change: Change,
) -> Rule {
    Rule {
        ty,
        classes,
        key_types,
        create,
        generate,
        change,
    }
}

use Change as Ch;
use Give::{No, Yes};

/// The table. The first row whose class and key type match applies.
#[rustfmt::skip]
const RULES: &[Rule] = &[
    // Common storage attributes (§4.4).
    r(CKA_CLASS, ALL, ANY, Yes, Yes, Ch::No),
    r(CKA_TOKEN, ALL, ANY, Yes, Yes, Ch::No),
    r(CKA_PRIVATE, ALL, ANY, Yes, Yes, Ch::No),
    r(CKA_MODIFIABLE, ALL, ANY, Yes, Yes, Ch::No),
    r(CKA_COPYABLE, ALL, ANY, Yes, Yes, Ch::No),
    r(CKA_DESTROYABLE, ALL, ANY, Yes, Yes, Ch::No),
    r(CKA_LABEL, ALL, ANY, Yes, Yes, Ch::Yes),
    r(CKA_UNIQUE_ID, ALL, ANY, No, No, Ch::No),
    // Data objects (§4.5).
    r(CKA_APPLICATION, D, ANY, Yes, Yes, Ch::No),
    r(CKA_OBJECT_ID, D, ANY, Yes, Yes, Ch::No),
    r(CKA_VALUE, D | C, ANY, Yes, Yes, Ch::No),
    // Certificates (§4.6).
    r(CKA_CERTIFICATE_TYPE, C, ANY, Yes, Yes, Ch::No),
    r(CKA_CERTIFICATE_CATEGORY, C, ANY, Yes, Yes, Ch::No),
    r(CKA_ISSUER, C, ANY, Yes, Yes, Ch::No),
    r(CKA_SERIAL_NUMBER, C, ANY, Yes, Yes, Ch::No),
    r(CKA_URL, C, ANY, Yes, Yes, Ch::No),
    r(CKA_HASH_OF_SUBJECT_PUBLIC_KEY, C, ANY, Yes, Yes, Ch::No),
    r(CKA_HASH_OF_ISSUER_PUBLIC_KEY, C, ANY, Yes, Yes, Ch::No),
    r(CKA_JAVA_MIDP_SECURITY_DOMAIN, C, ANY, Yes, Yes, Ch::No),
    r(CKA_NAME_HASH_ALGORITHM, C, ANY, Yes, Yes, Ch::No),
    r(CKA_CHECK_VALUE, C | S, ANY, No, No, Ch::No),
    // CKA_TRUSTED=true only by the SO (footnote 10); checked by value in `check`.
    r(CKA_TRUSTED, C | PU | S, ANY, Yes, Yes, Ch::No),
    r(CKA_SUBJECT, C | PU | PR, ANY, Yes, Yes, Ch::Yes),
    r(CKA_ID, C | KEY, ANY, Yes, Yes, Ch::Yes),
    r(CKA_START_DATE, C | KEY, ANY, Yes, Yes, Ch::Yes),
    r(CKA_END_DATE, C | KEY, ANY, Yes, Yes, Ch::Yes),
    // Common key attributes (§4.7).
    r(CKA_KEY_TYPE, KEY, ANY, Yes, Yes, Ch::No),
    r(CKA_DERIVE, KEY, ANY, Yes, Yes, Ch::No),
    r(CKA_LOCAL, KEY, ANY, No, No, Ch::No),
    r(CKA_KEY_GEN_MECHANISM, KEY, ANY, No, No, Ch::No),
    r(CKA_ALLOWED_MECHANISMS, KEY, ANY, Yes, Yes, Ch::No),
    // What a wrapping key may wrap, what an unwrapping key's keys get, what a derived key gets
    // (§4.8–4.10; security R6, R13): fixed like the usage flags they qualify.
    r(CKA_WRAP_TEMPLATE, PU | S, ANY, Yes, Yes, Ch::No),
    r(CKA_UNWRAP_TEMPLATE, PR | S, ANY, Yes, Yes, Ch::No),
    r(CKA_DERIVE_TEMPLATE, PR | S, ANY, Yes, Yes, Ch::No),
    // The life-cycle state (keys::lifecycle) is kmsd's: shown, never given or changed.
    r(kms_api::vendor::CKA_KMS_STATE, KEY, ANY, No, No, Ch::No),
    r(kms_api::vendor::CKA_KMS_KEY_VERSION, KEY, ANY, No, No, Ch::No),
    // Usage flags are fixed after creation (security R2).
    r(CKA_ENCRYPT, PU | S, ANY, Yes, Yes, Ch::No),
    r(CKA_VERIFY, PU | S, ANY, Yes, Yes, Ch::No),
    r(CKA_VERIFY_RECOVER, PU, ANY, Yes, Yes, Ch::No),
    r(CKA_WRAP, PU | S, ANY, Yes, Yes, Ch::No),
    r(CKA_DECRYPT, PR | S, ANY, Yes, Yes, Ch::No),
    r(CKA_SIGN, PR | S, ANY, Yes, Yes, Ch::No),
    r(CKA_SIGN_RECOVER, PR, ANY, Yes, Yes, Ch::No),
    r(CKA_UNWRAP, PR | S, ANY, Yes, Yes, Ch::No),
    // Private and secret keys (§4.9, §4.10).
    r(CKA_SENSITIVE, PR | S, ANY, Yes, Yes, Ch::OnlyToTrue),
    r(CKA_EXTRACTABLE, PR | S, ANY, Yes, Yes, Ch::OnlyToFalse),
    r(CKA_ALWAYS_SENSITIVE, PR | S, ANY, No, No, Ch::No),
    r(CKA_NEVER_EXTRACTABLE, PR | S, ANY, No, No, Ch::No),
    r(CKA_WRAP_WITH_TRUSTED, PR | S, ANY, Yes, Yes, Ch::No),
    r(CKA_ALWAYS_AUTHENTICATE, PR, ANY, Yes, Yes, Ch::No),
    r(CKA_PUBLIC_KEY_INFO, PU | PR, ANY, No, No, Ch::No),
    // RSA (§2.1.2, §2.1.3): MODULUS_BITS only when generating, MODULUS only when importing.
    r(CKA_MODULUS, PU, RSA, Yes, No, Ch::No),
    r(CKA_MODULUS_BITS, PU, RSA, No, Yes, Ch::No),
    r(CKA_PUBLIC_EXPONENT, PU, RSA, Yes, Yes, Ch::No),
    // An imported private key gives all of its components; they are sealed, never stored.
    r(CKA_MODULUS, PR, RSA, Yes, No, Ch::No),
    r(CKA_MODULUS_BITS, PR, RSA, No, No, Ch::No),
    r(CKA_PUBLIC_EXPONENT, PR, RSA, Yes, No, Ch::No),
    r(CKA_PRIVATE_EXPONENT, PR, RSA, Yes, No, Ch::No),
    r(CKA_PRIME_1, PR, RSA, Yes, No, Ch::No),
    r(CKA_PRIME_2, PR, RSA, Yes, No, Ch::No),
    r(CKA_EXPONENT_1, PR, RSA, Yes, No, Ch::No),
    r(CKA_EXPONENT_2, PR, RSA, Yes, No, Ch::No),
    r(CKA_COEFFICIENT, PR, RSA, Yes, No, Ch::No),
    // EC and Edwards (§2.3.3–2.3.7): EC_POINT is computed by the token; the private VALUE only
    // on import.
    r(CKA_EC_PARAMS, PU | PR, EC | EDWARDS, Yes, Yes, Ch::No),
    r(CKA_EC_POINT, PU, EC | EDWARDS, Yes, No, Ch::No),
    r(CKA_EC_POINT, PR, EC | EDWARDS, No, No, Ch::No),
    r(CKA_VALUE, PR, EC | EDWARDS, Yes, No, Ch::No),
    // AES (§2.8) and generic secrets (§2.9): VALUE only when importing, VALUE_LEN only when
    // generating.
    r(CKA_VALUE, S, AES | GENERIC, Yes, No, Ch::No),
    r(CKA_VALUE_LEN, S, AES | GENERIC, No, Yes, Ch::No),
];

/// How an object comes to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `C_CreateObject`.
    Create,
    /// `C_GenerateKey`, `C_GenerateKeyPair`, and the templates of `C_UnwrapKey` and
    /// `C_DeriveKey`: no key material or public component may be given, the token makes them.
    Generate,
}

fn class_bit(class: u64) -> u8 {
    match class {
        CKO_DATA => D,
        CKO_CERTIFICATE => C,
        CKO_PUBLIC_KEY => PU,
        CKO_PRIVATE_KEY => PR,
        CKO_SECRET_KEY => S,
        _ => 0,
    }
}

fn key_type_bit(key_type: Option<u64>) -> u8 {
    match key_type {
        Some(CKK_RSA) => RSA,
        Some(CKK_EC) => EC,
        Some(CKK_AES) => AES,
        Some(CKK_GENERIC_SECRET) => GENERIC,
        Some(CKK_EC_EDWARDS) => EDWARDS,
        _ => 0,
    }
}

fn rule(ty: u64, class: u64, key_type: Option<u64>) -> Option<&'static Rule> {
    let (cb, kb) = (class_bit(class), key_type_bit(key_type));
    RULES.iter().find(|r| {
        r.ty == ty && r.classes & cb != 0 && (r.key_types == ANY || r.key_types & kb != 0)
    })
}

/// How `ty` may change on an object of this class and key type; `None` if it has no such
/// attribute.
pub fn change_rule(ty: u64, class: u64, key_type: Option<u64>) -> Option<Change> {
    rule(ty, class, key_type).map(|r| r.change)
}

/// The size limits every template obeys, search templates included: at most
/// `MAX_TEMPLATE_ATTRS` attributes (`bad_request`), no value longer than `MAX_VALUE_LEN`
/// (`attribute_value_invalid`).
pub fn check_limits(template: &[Attr]) -> Result<()> {
    if template.len() > MAX_TEMPLATE_ATTRS {
        return Err(Error::BadRequest(format!(
            "more than {MAX_TEMPLATE_ATTRS} attributes"
        )));
    }
    for a in template {
        let too_long = match &a.value {
            AttrValue::Bytes(b) => b.0.len() > MAX_VALUE_LEN,
            AttrValue::UlongList(l) => l.len() > MAX_TEMPLATE_ATTRS,
            AttrValue::Template(t) => {
                check_limits(t)?;
                false
            }
            _ => false,
        };
        if too_long {
            return Err(Error::AttributeValueInvalid(a.ty));
        }
    }
    Ok(())
}

/// Checks kinds and values, and folds repeats: the first three checks of the module doc.
pub fn normalize(template: &[Attr]) -> Result<AttrMap> {
    check_limits(template)?;
    for a in template {
        if kind_of(a.ty).is_none() {
            return Err(Error::AttributeTypeInvalid(a.ty));
        }
    }
    for a in template {
        check_value(a)?;
    }
    let mut map = AttrMap::new();
    for a in template {
        if let Some(prev) = map.insert(a.ty, a.value.clone()) {
            if prev != a.value {
                return Err(Error::TemplateInconsistent(format!(
                    "attribute 0x{:08X} given twice with different values",
                    a.ty
                )));
            }
        }
    }
    Ok(map)
}

fn check_value(a: &Attr) -> Result<()> {
    let invalid = Err(Error::AttributeValueInvalid(a.ty));
    if kind_of(a.ty) != Some(a.value.kind()) {
        return invalid;
    }
    match &a.value {
        AttrValue::Bytes(b) if b.0.len() > MAX_VALUE_LEN => invalid,
        AttrValue::Date(d)
            if !(d.is_empty() || (d.len() == 8 && d.bytes().all(|c| c.is_ascii_digit()))) =>
        {
            invalid
        }
        AttrValue::UlongList(l) if l.len() > MAX_TEMPLATE_ATTRS => invalid,
        AttrValue::Template(inner) => check_inner_template(a.ty, inner),
        // Standard classes are 0..=9; vendor classes have the top bit set.
        AttrValue::Ulong(v) if a.ty == CKA_CLASS && *v > 9 && *v & 0x8000_0000 == 0 => invalid,
        _ => Ok(()),
    }
}

/// The attributes of a `CKA_*_TEMPLATE`: known plain values (no template inside a template,
/// security T24), each type once, within the template limit.
fn check_inner_template(ty: u64, inner: &[Attr]) -> Result<()> {
    if inner.len() > MAX_TEMPLATE_ATTRS {
        return Err(Error::AttributeValueInvalid(ty));
    }
    let mut seen = std::collections::BTreeSet::new();
    for a in inner {
        if matches!(a.value, AttrValue::Template(_)) || !seen.insert(a.ty) {
            return Err(Error::AttributeValueInvalid(ty));
        }
        check_value(a).map_err(|_| Error::AttributeValueInvalid(ty))?;
    }
    Ok(())
}

/// Whether `attrs` holds every attribute of `template` with the same value (how a wrapping
/// key's `CKA_WRAP_TEMPLATE` is matched, §4.10).
pub fn satisfies(attrs: &AttrMap, template: &[Attr]) -> bool {
    template.iter().all(|a| attrs.get(&a.ty) == Some(&a.value))
}

/// Folds a key's `CKA_UNWRAP_TEMPLATE` or `CKA_DERIVE_TEMPLATE` into the template of the key
/// being made: an attribute both give must agree (`template_inconsistent`); the key's template
/// adds what the application left out.
pub fn merge(map: &mut AttrMap, imposed: &[Attr], which: &str) -> Result<()> {
    for a in imposed {
        match map.get(&a.ty) {
            Some(v) if *v != a.value => {
                return Err(Error::TemplateInconsistent(format!(
                    "attribute 0x{:08X} contradicts the key's {which}",
                    a.ty
                )))
            }
            _ => {
                map.insert(a.ty, a.value.clone());
            }
        }
    }
    Ok(())
}

/// The remaining checks for an object of `class`/`key_type` built with `mode`.
pub fn check(mode: Mode, class: u64, key_type: Option<u64>, map: &AttrMap) -> Result<()> {
    if let Some(v) = map.get(&CKA_CLASS) {
        if v.as_ulong() != Some(class) {
            return Err(Error::TemplateInconsistent(
                "CKA_CLASS contradicts the operation".into(),
            ));
        }
    }
    if let Some(v) = map.get(&CKA_KEY_TYPE) {
        if key_type.is_none() || v.as_ulong() != key_type {
            return Err(Error::TemplateInconsistent(
                "CKA_KEY_TYPE contradicts the operation".into(),
            ));
        }
    }
    for (&ty, value) in map {
        let rule = rule(ty, class, key_type).ok_or(Error::AttributeTypeInvalid(ty))?;
        let give = match mode {
            Mode::Create => rule.create,
            Mode::Generate => rule.generate,
        };
        if give == Give::No || (ty == CKA_TRUSTED && value.as_bool() == Some(true)) {
            return Err(Error::AttributeReadOnly(ty));
        }
    }
    Ok(())
}

/// Fills in the defaults of security rule R3 for attributes the template did not give, the usage
/// flags by the roles the template asks for ([`super::usage`]).
pub fn apply_defaults(class: u64, key_type: Option<u64>, map: &mut AttrMap) {
    let b = AttrValue::Bool;
    let empty = || AttrValue::Bytes(kms_api::Bytes::default());
    let mut set = |ty: u64, v: AttrValue| {
        map.entry(ty).or_insert(v);
    };
    let secret_or_private = matches!(class, CKO_PRIVATE_KEY | CKO_SECRET_KEY);
    set(CKA_CLASS, AttrValue::Ulong(class));
    set(CKA_TOKEN, b(false));
    set(CKA_PRIVATE, b(secret_or_private));
    set(CKA_MODIFIABLE, b(true));
    set(CKA_COPYABLE, b(true));
    set(CKA_DESTROYABLE, b(true));
    set(CKA_LABEL, empty());
    match class {
        CKO_DATA => {
            set(CKA_APPLICATION, empty());
            set(CKA_OBJECT_ID, empty());
            set(CKA_VALUE, empty());
        }
        CKO_CERTIFICATE => {
            set(CKA_ID, empty());
            set(CKA_CERTIFICATE_CATEGORY, AttrValue::Ulong(0));
            set(CKA_TRUSTED, b(false));
        }
        _ => {}
    }
    if let Some(kt) = key_type {
        set(CKA_KEY_TYPE, AttrValue::Ulong(kt));
        set(CKA_ID, empty());
    }
    if secret_or_private {
        set(CKA_SENSITIVE, b(true));
        set(CKA_EXTRACTABLE, b(false));
        set(CKA_WRAP_WITH_TRUSTED, b(false));
    }
    match class {
        CKO_PRIVATE_KEY => {
            set(CKA_SUBJECT, empty());
            set(CKA_SIGN_RECOVER, b(false));
            set(CKA_ALWAYS_AUTHENTICATE, b(false));
        }
        CKO_PUBLIC_KEY => {
            set(CKA_SUBJECT, empty());
            set(CKA_VERIFY_RECOVER, b(false));
            set(CKA_TRUSTED, b(false));
        }
        CKO_SECRET_KEY => set(CKA_TRUSTED, b(false)),
        _ => {}
    }
    // The usage flags the template does not name follow the roles it asks for (model::usage).
    if let Some(kt) = key_type {
        let roles = usage::requested(&[map], kt);
        usage::fill(|ty| change_rule(ty, class, key_type).is_some(), roles, map);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(ty: u64, value: AttrValue) -> Attr {
        Attr { ty, value }
    }

    #[test]
    fn kinds_values_and_repeats() {
        let e = normalize(&[attr(0x8000_1234, AttrValue::Bool(true))]).unwrap_err();
        assert!(matches!(e, Error::AttributeTypeInvalid(0x8000_1234)));
        let e = normalize(&[attr(CKA_SIGN, AttrValue::Ulong(1))]).unwrap_err();
        assert!(matches!(e, Error::AttributeValueInvalid(t) if t == CKA_SIGN));
        let e = normalize(&[attr(CKA_START_DATE, AttrValue::Date("2024-1-1".into()))]).unwrap_err();
        assert!(matches!(e, Error::AttributeValueInvalid(_)));
        let e = normalize(&[
            attr(CKA_SIGN, AttrValue::Bool(true)),
            attr(CKA_SIGN, AttrValue::Bool(false)),
        ])
        .unwrap_err();
        assert!(matches!(e, Error::TemplateInconsistent(_)));
        let same = normalize(&[
            attr(CKA_SIGN, AttrValue::Bool(true)),
            attr(CKA_SIGN, AttrValue::Bool(true)),
        ]);
        assert_eq!(same.unwrap().len(), 1);
    }

    #[test]
    fn read_only_and_inconsistent() {
        let m = |a: Vec<Attr>| normalize(&a).unwrap();
        let gen = |a| check(Mode::Generate, CKO_SECRET_KEY, Some(CKK_AES), &m(a));
        for ty in [CKA_LOCAL, CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE] {
            assert!(
                matches!(gen(vec![attr(ty, AttrValue::Bool(true))]), Err(Error::AttributeReadOnly(t)) if t == ty)
            );
        }
        assert!(matches!(
            gen(vec![attr(CKA_KEY_GEN_MECHANISM, AttrValue::Ulong(0))]),
            Err(Error::AttributeReadOnly(_))
        ));
        assert!(matches!(
            gen(vec![attr(CKA_VALUE, AttrValue::Bytes(vec![0; 16].into()))]),
            Err(Error::AttributeReadOnly(_))
        ));
        assert!(matches!(
            gen(vec![attr(CKA_TRUSTED, AttrValue::Bool(true))]),
            Err(Error::AttributeReadOnly(_))
        ));
        gen(vec![
            attr(CKA_TRUSTED, AttrValue::Bool(false)),
            attr(CKA_VALUE_LEN, AttrValue::Ulong(32)),
        ])
        .unwrap();
        assert!(matches!(
            gen(vec![attr(CKA_KEY_TYPE, AttrValue::Ulong(CKK_RSA))]),
            Err(Error::TemplateInconsistent(_))
        ));
        assert!(matches!(
            gen(vec![attr(CKA_CLASS, AttrValue::Ulong(CKO_PUBLIC_KEY))]),
            Err(Error::TemplateInconsistent(_))
        ));
        assert!(matches!(
            gen(vec![attr(CKA_MODULUS_BITS, AttrValue::Ulong(2048))]),
            Err(Error::AttributeTypeInvalid(_))
        ));
        let pubgen = |a| check(Mode::Generate, CKO_PUBLIC_KEY, Some(CKK_EC), &m(a));
        assert!(matches!(
            pubgen(vec![attr(CKA_EC_POINT, AttrValue::Bytes(vec![4].into()))]),
            Err(Error::AttributeReadOnly(_))
        ));
        let rsa_create = check(
            Mode::Create,
            CKO_PUBLIC_KEY,
            Some(CKK_RSA),
            &m(vec![attr(CKA_MODULUS_BITS, AttrValue::Ulong(2048))]),
        );
        assert!(matches!(rsa_create, Err(Error::AttributeReadOnly(_))));
    }

    #[test]
    fn defaults_are_secure() {
        let mut m = AttrMap::new();
        apply_defaults(CKO_PRIVATE_KEY, Some(CKK_EC), &mut m);
        let get = |m: &AttrMap, ty| m.get(&ty).and_then(AttrValue::as_bool);
        assert_eq!(get(&m, CKA_SENSITIVE), Some(true));
        assert_eq!(get(&m, CKA_EXTRACTABLE), Some(false));
        assert_eq!(get(&m, CKA_PRIVATE), Some(true));
        assert_eq!(get(&m, CKA_SIGN), Some(true));
        assert_eq!(get(&m, CKA_DECRYPT), Some(false));
        assert_eq!(get(&m, CKA_UNWRAP), Some(false));
        assert_eq!(get(&m, CKA_DERIVE), Some(false));
        assert_eq!(get(&m, CKA_TOKEN), Some(false));
        let mut p = AttrMap::new();
        apply_defaults(CKO_PUBLIC_KEY, Some(CKK_RSA), &mut p);
        assert_eq!(get(&p, CKA_PRIVATE), Some(false));
        assert_eq!(get(&p, CKA_VERIFY), Some(true));
        assert_eq!(get(&p, CKA_ENCRYPT), Some(true));
        assert_eq!(get(&p, CKA_WRAP), Some(false));
        // A given value wins over the default.
        let mut s: AttrMap = [(CKA_EXTRACTABLE, AttrValue::Bool(true))]
            .into_iter()
            .collect();
        apply_defaults(CKO_SECRET_KEY, Some(CKK_AES), &mut s);
        assert_eq!(get(&s, CKA_EXTRACTABLE), Some(true));
        assert_eq!(get(&s, CKA_ENCRYPT), Some(true));
        assert_eq!(
            change_rule(CKA_SENSITIVE, CKO_SECRET_KEY, Some(CKK_AES)),
            Some(Change::OnlyToTrue)
        );
        assert_eq!(
            change_rule(CKA_ID, CKO_PRIVATE_KEY, Some(CKK_RSA)),
            Some(Change::Yes)
        );
        assert_eq!(
            change_rule(CKA_SIGN, CKO_PRIVATE_KEY, Some(CKK_RSA)),
            Some(Change::No)
        );
    }
}
