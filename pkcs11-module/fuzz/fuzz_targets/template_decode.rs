//! Attribute templates as applications pass them (type + raw bytes): decoding never panics, and
//! whatever decodes encodes back to the same bytes.
#![no_main]

use cryptoki_sys::CK_ATTRIBUTE_TYPE;
use kms_pkcs11::attr::{decode_template, encode, RawAttr};
use libfuzzer_sys::fuzz_target;

/// Splits the input into (type, bytes) pairs: 2 bytes of type index, 1 byte of length.
fn raw_template(mut data: &[u8]) -> Vec<RawAttr> {
    // Types worth hitting: the standard ones (0..0x700) and the vendor range.
    let mut out = Vec::new();
    while data.len() >= 3 {
        let sel = u16::from_le_bytes([data[0], data[1]]) as CK_ATTRIBUTE_TYPE;
        let ty = if sel & 0x8000 != 0 {
            0x8000_0000 | 0x4B4D_0000 | (sel & 0xF)
        } else {
            sel & 0x7FF
        };
        let len = (data[2] as usize).min(data.len() - 3);
        out.push(RawAttr {
            ty,
            bytes: data[3..3 + len].to_vec(),
        });
        data = &data[3 + len..];
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let raw = raw_template(data);
    if let Ok(template) = decode_template(&raw) {
        assert_eq!(template.len(), raw.len());
        for (attr, r) in template.iter().zip(&raw) {
            assert_eq!(attr.ty, r.ty as u64);
            let again = encode(&attr.value);
            // Booleans accept any non-zero byte; everything else round-trips exactly.
            if again.len() != 1 || r.bytes.len() != 1 {
                assert_eq!(again, r.bytes, "type {:#x}", r.ty);
            }
        }
    }
});
