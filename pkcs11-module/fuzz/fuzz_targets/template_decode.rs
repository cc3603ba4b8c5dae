//! Attribute templates as applications pass them (type + raw bytes, and attribute arrays such as
//! `CKA_WRAP_TEMPLATE` one level deep with arbitrary content inside, arrays included): decoding
//! never panics, an array inside an array is refused, and whatever decodes encodes back to the
//! same bytes.
#![no_main]

use cryptoki_sys::{
    CK_ATTRIBUTE_TYPE, CKA_DERIVE_TEMPLATE, CKA_UNWRAP_TEMPLATE, CKA_WRAP_TEMPLATE,
    CKF_ARRAY_ATTRIBUTE,
};
use kms_api::AttrValue;
use kms_pkcs11::attr::{decode_template, encode, RawAttr};
use libfuzzer_sys::fuzz_target;

const ARRAYS: [CK_ATTRIBUTE_TYPE; 3] = [CKA_WRAP_TEMPLATE, CKA_UNWRAP_TEMPLATE, CKA_DERIVE_TEMPLATE];

/// Splits the input into attributes: 2 bytes of type selector (little-endian; bit 0x4000: an
/// attribute array, bit 0x8000: a vendor type, bit 0x2000: an array type given as plain bytes,
/// else the standard type `sel & 0x7FF`), 1 byte of length (for an array: the number of
/// attributes inside, read the same way, `depth` levels down). The seed test
/// `pkcs11-module/tests/fuzz_seeds.rs` writes inputs in this format.
fn raw_template(data: &mut &[u8], depth: usize, max: usize) -> Vec<RawAttr> {
    let mut out = Vec::new();
    while data.len() >= 3 && out.len() < max {
        let sel = u16::from_le_bytes([data[0], data[1]]) as CK_ATTRIBUTE_TYPE;
        let n = data[2] as usize;
        *data = &data[3..];
        if sel & 0x4000 != 0 {
            let ty = ARRAYS[(sel as usize) % ARRAYS.len()];
            let nested = if depth > 0 { raw_template(data, depth - 1, n) } else { Vec::new() };
            out.push(RawAttr { ty, bytes: Vec::new(), nested: Some(nested) });
            continue;
        }
        // Types worth hitting: the standard ones (0..0x7FF), the vendor range, and array-typed
        // ones given as plain bytes (CKA_ALLOWED_MECHANISMS, a CK_ULONG array; or a
        // CKA_*_TEMPLATE whose pValue holds no attribute array, which must be refused).
        let ty = if sel & 0x8000 != 0 {
            0x8000_0000 | 0x4B4D_0000 | (sel & 0xF)
        } else if sel & 0x2000 != 0 {
            CKF_ARRAY_ATTRIBUTE | (sel & 0x7FF)
        } else {
            sel & 0x7FF
        };
        let len = n.min(data.len());
        out.push(RawAttr::new(ty, data[..len].to_vec()));
        *data = &data[len..];
    }
    out
}

/// Every plain attribute encodes back to what the application gave.
fn round_trips(value: &AttrValue, r: &RawAttr) {
    if let AttrValue::Template(inner) = value {
        let nested = r.nested.as_ref().expect("an array decodes from an array");
        assert_eq!(inner.len(), nested.len());
        for (a, n) in inner.iter().zip(nested) {
            assert!(!matches!(a.value, AttrValue::Template(_)), "array inside an array");
            round_trips(&a.value, n);
        }
        return;
    }
    let again = encode(value);
    // Booleans accept any non-zero byte; everything else round-trips exactly.
    if again.len() != 1 || r.bytes.len() != 1 {
        assert_eq!(again, r.bytes, "type {:#x}", r.ty);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut data = data;
    let raw = raw_template(&mut data, 2, usize::MAX);
    if let Ok(template) = decode_template(&raw) {
        assert_eq!(template.len(), raw.len());
        for (attr, r) in template.iter().zip(&raw) {
            assert_eq!(attr.ty, r.ty as u64);
            round_trips(&attr.value, r);
        }
    }
});
