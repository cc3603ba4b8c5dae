//! Answers from a malicious or broken kmsd: any body for any answer type is decoded or refused,
//! never a panic; an object that decodes can be queried for any attributes with any buffer
//! sizes (the C_GetAttributeValue algorithm) without a panic, and the answers obey the
//! output-length rule.
#![no_main]

use cryptoki_sys::{CKF_ARRAY_ATTRIBUTE, CK_ATTRIBUTE_TYPE, CK_UNAVAILABLE_INFORMATION};
use kms_api::msg::{
    CryptoResponse, Health, KeyPairInfo, LoginResponse, ObjectInfo, ObjectList, PartResponse,
    TokenList, WrapResponse,
};
use kms_api::ErrorBody;
use kms_pkcs11::attr::{get_values, AttrQuery};
use libfuzzer_sys::fuzz_target;

/// Attribute queries, 3 bytes each: the type's low byte; bits 0..2 of the second byte are type
/// bits 8..10 and bit 3 sets `CKF_ARRAY_ATTRIBUTE` (so `CKA_WRAP_TEMPLATE` and
/// `CKA_ALLOWED_MECHANISMS` can be asked for); the buffer size (255: a NULL `pValue`).
fn queries(seed: &[u8]) -> Vec<AttrQuery> {
    seed.chunks(3)
        .map(|c| AttrQuery {
            ty: *c.first().unwrap_or(&0) as CK_ATTRIBUTE_TYPE
                | c.get(1).map_or(0, |b| {
                    CK_ATTRIBUTE_TYPE::from(b & 0x7) << 8
                        | if b & 0x8 != 0 { CKF_ARRAY_ATTRIBUTE } else { 0 }
                }),
            capacity: c.get(2).map(|n| *n as usize).filter(|n| *n != 255),
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let (selector, body) = match data.split_first() {
        Some((s, b)) => (*s, b),
        None => return,
    };
    match selector % 10 {
        0 => drop(serde_json::from_slice::<ObjectList>(body)),
        1 => drop(serde_json::from_slice::<TokenList>(body)),
        2 => drop(serde_json::from_slice::<CryptoResponse>(body)),
        3 => drop(serde_json::from_slice::<WrapResponse>(body)),
        4 => drop(serde_json::from_slice::<LoginResponse>(body)),
        5 => drop(serde_json::from_slice::<KeyPairInfo>(body)),
        6 => drop(serde_json::from_slice::<ErrorBody>(body)),
        7 => drop(serde_json::from_slice::<Health>(body)),
        9 => drop(serde_json::from_slice::<PartResponse>(body)),
        _ => {
            // An object, then queries of its attributes from the tail of the input.
            let split = body.iter().position(|b| *b == 0).unwrap_or(body.len());
            let Ok(info) = serde_json::from_slice::<ObjectInfo>(&body[..split]) else {
                return;
            };
            let qs = queries(body.get(split + 1..).unwrap_or_default());
            let (_, answers) = get_values(&info, &qs);
            assert_eq!(answers.len(), qs.len());
            for (a, q) in answers.iter().zip(&qs) {
                if let Some(v) = &a.value {
                    assert_eq!(v.len() as u64, a.len as u64);
                    assert!(q.capacity.is_some_and(|c| c >= v.len()));
                } else {
                    assert!(a.len == CK_UNAVAILABLE_INFORMATION || q.capacity.is_none_or(|c| c < a.len as usize) || q.capacity.is_none());
                }
            }
        }
    }
});
