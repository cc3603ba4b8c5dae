//! Attributes at the C edge: decoding the bytes of a `CK_ATTRIBUTE` into a typed
//! [`AttrValue`], encoding a value back, and the per-attribute algorithm of
//! `C_GetAttributeValue` (PKCS#11 v3.0 §5.7.5, spec-checklist S14).

use crate::error::{Error, Result};
use cryptoki_sys::*;
use kms_api::attr::{kind_of, AttrKind, MAX_TEMPLATE_ATTRS, MAX_VALUE_LEN};
use kms_api::msg::ObjectInfo;
use kms_api::{Attr, AttrValue, Bytes, Template};

const ULONG: usize = std::mem::size_of::<CK_ULONG>();

/// An attribute as the application gave it: type and raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAttr {
    /// `CKA_*`.
    pub ty: CK_ATTRIBUTE_TYPE,
    /// The bytes of `pValue[0..ulValueLen]` (empty for an attribute array).
    pub bytes: Vec<u8>,
    /// The attributes of an attribute-array value (`CKA_*_TEMPLATE`), as the C edge copied
    /// them in; `None` for every other attribute.
    pub nested: Option<Vec<RawAttr>>,
}

impl RawAttr {
    /// A plain attribute.
    pub fn new(ty: CK_ATTRIBUTE_TYPE, bytes: Vec<u8>) -> RawAttr {
        RawAttr {
            ty,
            bytes,
            nested: None,
        }
    }
}

/// Whether values of attribute `ty` are arrays of `CK_ATTRIBUTE` (the C edge copies them in
/// one level deep; a template inside one is refused by [`decode`]).
pub fn is_array(ty: CK_ATTRIBUTE_TYPE) -> bool {
    kind_of(ty as u64) == Some(AttrKind::Template)
}

/// Decodes one attribute by the kind table.
pub fn decode(raw: &RawAttr) -> Result<Attr> {
    let kind = kind_of(raw.ty as u64).ok_or(Error::Ck(CKR_ATTRIBUTE_TYPE_INVALID))?;
    let b = &raw.bytes;
    let bad = Error::Ck(CKR_ATTRIBUTE_VALUE_INVALID);
    let value = match kind {
        AttrKind::Bool => match b.as_slice() {
            [v] => AttrValue::Bool(*v != 0),
            _ => return Err(bad),
        },
        AttrKind::Ulong => AttrValue::Ulong(ulong_from(b).ok_or(bad)?),
        AttrKind::Date => match b.len() {
            0 => AttrValue::Date(String::new()),
            8 if b.iter().all(u8::is_ascii_digit) => {
                AttrValue::Date(String::from_utf8_lossy(b).into_owned())
            }
            _ => return Err(bad),
        },
        AttrKind::UlongList => {
            if !b.len().is_multiple_of(ULONG) {
                return Err(bad);
            }
            AttrValue::UlongList(b.chunks(ULONG).filter_map(ulong_from).collect())
        }
        AttrKind::Bytes => {
            if b.len() > MAX_VALUE_LEN {
                return Err(bad);
            }
            AttrValue::Bytes(Bytes(b.clone()))
        }
        // One level: the attributes inside are plain values (security T24).
        AttrKind::Template => {
            let inner = raw
                .nested
                .as_deref()
                .ok_or(Error::Ck(CKR_ATTRIBUTE_VALUE_INVALID))?;
            if inner.len() > MAX_TEMPLATE_ATTRS || inner.iter().any(|a| a.nested.is_some()) {
                return Err(bad);
            }
            let attrs = inner.iter().map(decode).collect::<Result<Vec<_>>>();
            AttrValue::Template(attrs.map_err(|_| Error::Ck(CKR_ATTRIBUTE_VALUE_INVALID))?)
        }
    };
    Ok(Attr {
        ty: raw.ty as u64,
        value,
    })
}

/// Decodes a whole template (`CKR_TEMPLATE_INCONSISTENT` for more than 256 attributes).
pub fn decode_template(raw: &[RawAttr]) -> Result<Template> {
    if raw.len() > MAX_TEMPLATE_ATTRS {
        return Err(Error::Ck(CKR_TEMPLATE_INCONSISTENT));
    }
    raw.iter().map(decode).collect()
}

fn ulong_from(b: &[u8]) -> Option<u64> {
    let arr: [u8; ULONG] = b.try_into().ok()?;
    Some(CK_ULONG::from_ne_bytes(arr) as u64)
}

/// Encodes a value as the bytes an application expects in `pValue` (an attribute array has
/// no bytes of its own: [`get_values`] answers it with [`Fill::Array`]).
pub fn encode(value: &AttrValue) -> Vec<u8> {
    match value {
        AttrValue::Bool(b) => vec![u8::from(*b)],
        AttrValue::Ulong(v) => (*v as CK_ULONG).to_ne_bytes().to_vec(),
        AttrValue::Bytes(b) => b.0.clone(),
        AttrValue::Date(d) => d.as_bytes().to_vec(),
        AttrValue::UlongList(l) => l
            .iter()
            .flat_map(|v| (*v as CK_ULONG).to_ne_bytes())
            .collect(),
        AttrValue::Template(_) => Vec::new(),
    }
}

/// One requested attribute of `C_GetAttributeValue`: its type and the caller's buffer size
/// (`None` when `pValue` is NULL).
#[derive(Debug, Clone, Copy)]
pub struct AttrQuery {
    /// `CKA_*`.
    pub ty: CK_ATTRIBUTE_TYPE,
    /// `ulValueLen` when `pValue` is not NULL.
    pub capacity: Option<usize>,
}

/// What to write into an application's `pValue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fill {
    /// These bytes.
    Bytes(Vec<u8>),
    /// An attribute array: into the application's `CK_ATTRIBUTE`s, each one's type, and its
    /// value by the same per-attribute rule (length when `pValue` is NULL, the bytes when they
    /// fit, else `CK_UNAVAILABLE_INFORMATION` and `CKR_BUFFER_TOO_SMALL`).
    Array(Vec<(CK_ATTRIBUTE_TYPE, Vec<u8>)>),
}

impl Fill {
    /// The bytes it takes in `pValue`: the value, or the application's `CK_ATTRIBUTE`s.
    pub fn len(&self) -> usize {
        match self {
            Fill::Bytes(b) => b.len(),
            Fill::Array(items) => items.len() * std::mem::size_of::<CK_ATTRIBUTE>(),
        }
    }

    /// Whether it takes no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The answer for one attribute: the length to report and, when it fits, the value to copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrAnswer {
    /// Value for `ulValueLen` (`CK_UNAVAILABLE_INFORMATION` when not available).
    pub len: CK_ULONG,
    /// What to copy into `pValue`.
    pub value: Option<Fill>,
}

/// Runs the per-attribute algorithm of S14 over an object. Every attribute is processed; the
/// return code says what went wrong if anything did (sensitive, then invalid type, then too small).
pub fn get_values(info: &ObjectInfo, queries: &[AttrQuery]) -> (CK_RV, Vec<AttrAnswer>) {
    let (mut sensitive, mut invalid, mut small) = (false, false, false);
    let answers = queries
        .iter()
        .map(|q| {
            let unavailable = AttrAnswer {
                len: CK_UNAVAILABLE_INFORMATION,
                value: None,
            };
            if info.sensitive.contains(&(q.ty as u64)) {
                sensitive = true;
                return unavailable;
            }
            let Some(attr) = info.attrs.iter().find(|a| a.ty == q.ty as u64) else {
                invalid = true;
                return unavailable;
            };
            let (needed, fill) = match &attr.value {
                AttrValue::Template(t) => (
                    t.len() * std::mem::size_of::<CK_ATTRIBUTE>(),
                    Fill::Array(
                        t.iter()
                            .map(|a| (a.ty as CK_ATTRIBUTE_TYPE, encode(&a.value)))
                            .collect(),
                    ),
                ),
                v => {
                    let bytes = encode(v);
                    (bytes.len(), Fill::Bytes(bytes))
                }
            };
            match q.capacity {
                None => AttrAnswer {
                    len: needed as CK_ULONG,
                    value: None,
                },
                Some(cap) if cap >= needed => AttrAnswer {
                    len: needed as CK_ULONG,
                    value: Some(fill),
                },
                Some(_) => {
                    small = true;
                    unavailable
                }
            }
        })
        .collect();
    let rv = if sensitive {
        CKR_ATTRIBUTE_SENSITIVE
    } else if invalid {
        CKR_ATTRIBUTE_TYPE_INVALID
    } else if small {
        CKR_BUFFER_TOO_SMALL
    } else {
        CKR_OK
    };
    (rv, answers)
}

/// The value of an attribute of an object, if it is revealed.
pub fn value_of(info: &ObjectInfo, ty: CK_ATTRIBUTE_TYPE) -> Option<&AttrValue> {
    kms_api::attr::find(&info.attrs, ty as u64)
}

/// A boolean attribute of an object (`false` when absent).
pub fn flag(info: &ObjectInfo, ty: CK_ATTRIBUTE_TYPE) -> bool {
    value_of(info, ty)
        .and_then(AttrValue::as_bool)
        .unwrap_or(false)
}

/// An unsigned-long attribute of an object.
pub fn ulong(info: &ObjectInfo, ty: CK_ATTRIBUTE_TYPE) -> Option<CK_ULONG> {
    value_of(info, ty)
        .and_then(AttrValue::as_ulong)
        .map(|v| v as CK_ULONG)
}

/// A byte-array attribute of an object.
pub fn bytes(info: &ObjectInfo, ty: CK_ATTRIBUTE_TYPE) -> Option<&[u8]> {
    value_of(info, ty).and_then(AttrValue::as_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(ty: CK_ATTRIBUTE_TYPE, bytes: &[u8]) -> RawAttr {
        RawAttr::new(ty, bytes.to_vec())
    }

    #[test]
    fn decode_checks_sizes_and_types() {
        assert_eq!(
            decode(&raw(CKA_TOKEN, &[1])).unwrap().value,
            AttrValue::Bool(true)
        );
        assert_eq!(
            decode(&raw(CKA_TOKEN, &[1, 0])),
            Err(Error::Ck(CKR_ATTRIBUTE_VALUE_INVALID))
        );
        let class = CKO_SECRET_KEY.to_ne_bytes();
        assert_eq!(
            decode(&raw(CKA_CLASS, &class)).unwrap().value,
            AttrValue::Ulong(CKO_SECRET_KEY as u64)
        );
        assert_eq!(
            decode(&raw(CKA_CLASS, &[4])),
            Err(Error::Ck(CKR_ATTRIBUTE_VALUE_INVALID))
        );
        assert_eq!(
            decode(&raw(0x8765_4321, &[])),
            Err(Error::Ck(CKR_ATTRIBUTE_TYPE_INVALID))
        );
        assert_eq!(
            decode(&raw(CKA_START_DATE, b"2026x101")),
            Err(Error::Ck(CKR_ATTRIBUTE_VALUE_INVALID))
        );
    }

    #[test]
    fn get_values_processes_every_attribute() {
        let info = ObjectInfo {
            id: "1".into(),
            attrs: vec![Attr {
                ty: CKA_LABEL as u64,
                value: AttrValue::Bytes(Bytes(b"abc".to_vec())),
            }],
            sensitive: vec![CKA_VALUE as u64],
        };
        let q = |ty, capacity| AttrQuery { ty, capacity };
        let (rv, a) = get_values(
            &info,
            &[
                q(CKA_VALUE, Some(32)),
                q(CKA_LABEL, Some(3)),
                q(CKA_MODULUS, None),
            ],
        );
        assert_eq!(rv, CKR_ATTRIBUTE_SENSITIVE);
        assert_eq!(a[0].len, CK_UNAVAILABLE_INFORMATION);
        assert_eq!(a[1].value, Some(Fill::Bytes(b"abc".to_vec())));
        assert_eq!(a[2].len, CK_UNAVAILABLE_INFORMATION);
        let (rv, a) = get_values(&info, &[q(CKA_LABEL, Some(2))]);
        assert_eq!(
            (rv, a[0].len),
            (CKR_BUFFER_TOO_SMALL, CK_UNAVAILABLE_INFORMATION)
        );
        let (rv, a) = get_values(&info, &[q(CKA_LABEL, None)]);
        assert_eq!((rv, a[0].len), (CKR_OK, 3));
    }
}
