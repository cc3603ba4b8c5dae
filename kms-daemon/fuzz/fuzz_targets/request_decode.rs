//! Request bodies as an attacker sends them: every request type decodes or is refused, never a
//! panic; templates that decode go through the attribute rules (normalize, then the checks of
//! each object class) without a panic.
#![no_main]

use kms_api::msg::{
    CopyObjectRequest, CreateObjectRequest, CryptoRequest, DeriveRequest, FindRequest,
    GenerateKeyPairRequest, GenerateKeyRequest, InitPinRequest, LoginRequest, PartRequest,
    RandomRequest, SetAttributesRequest, SetPinRequest, UnwrapRequest, VerifyRequest, WrapRequest,
};
use kms_api::Attr;
use kms_daemon::model::template::{check, normalize, Mode};
use libfuzzer_sys::fuzz_target;

fn rules(template: &[Attr]) {
    if let Ok(map) = normalize(template) {
        for class in [0u64, 1, 2, 3, 4] {
            for key_type in [None, Some(0u64), Some(3), Some(0x10), Some(0x1f), Some(0x40)] {
                let _ = check(Mode::Create, class, key_type, &map);
                let _ = check(Mode::Generate, class, key_type, &map);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, body)) = data.split_first() else {
        return;
    };
    match selector % 16 {
        0 => drop(serde_json::from_slice::<LoginRequest>(body)),
        1 => drop(serde_json::from_slice::<SetPinRequest>(body)),
        2 => drop(serde_json::from_slice::<InitPinRequest>(body)),
        3 => {
            if let Ok(r) = serde_json::from_slice::<FindRequest>(body) {
                rules(&r.template);
            }
        }
        4 => {
            if let Ok(r) = serde_json::from_slice::<CreateObjectRequest>(body) {
                rules(&r.template);
            }
        }
        5 => {
            if let Ok(r) = serde_json::from_slice::<CopyObjectRequest>(body) {
                rules(&r.template);
            }
        }
        6 => {
            if let Ok(r) = serde_json::from_slice::<SetAttributesRequest>(body) {
                rules(&r.template);
            }
        }
        7 => {
            if let Ok(r) = serde_json::from_slice::<GenerateKeyRequest>(body) {
                rules(&r.template);
            }
        }
        8 => {
            if let Ok(r) = serde_json::from_slice::<GenerateKeyPairRequest>(body) {
                rules(&r.public_template);
                rules(&r.private_template);
            }
        }
        9 => drop(serde_json::from_slice::<WrapRequest>(body)),
        10 => {
            if let Ok(r) = serde_json::from_slice::<UnwrapRequest>(body) {
                rules(&r.template);
            }
        }
        11 => drop(serde_json::from_slice::<DeriveRequest>(body)),
        12 => drop(serde_json::from_slice::<CryptoRequest>(body)),
        13 => drop(serde_json::from_slice::<VerifyRequest>(body)),
        14 => drop(serde_json::from_slice::<RandomRequest>(body)),
        _ => drop(serde_json::from_slice::<PartRequest>(body)),
    }
});
