//! template_decode: attributes as the C edge copies them in. Each attribute is 2 bytes of type
//! selector (little-endian) and 1 byte of length, then that many value bytes; an attribute array
//! (selector bit 0x4000, type `[WRAP, UNWRAP, DERIVE]_TEMPLATE[selector % 3]`) has the number of
//! attributes inside as its length, and they follow, read the same way, two levels deep at most.

use cryptoki_sys::*;
use kms_pkcs11::attr::{decode_template, RawAttr};
use kms_testkit::seeds::Seeds;

/// A template as a seed describes it.
enum A {
    /// A plain attribute: its `CKA_*` type and value bytes.
    Plain(CK_ATTRIBUTE_TYPE, Vec<u8>),
    /// An attribute array (`CKA_WRAP_TEMPLATE` …) and the attributes inside.
    Array(CK_ATTRIBUTE_TYPE, Vec<A>),
}

const ARRAYS: [CK_ATTRIBUTE_TYPE; 3] =
    [CKA_WRAP_TEMPLATE, CKA_UNWRAP_TEMPLATE, CKA_DERIVE_TEMPLATE];

fn selector(ty: CK_ATTRIBUTE_TYPE) -> u16 {
    if ty < 0x800 {
        ty as u16
    } else if ty & !0xF == 0x8000_0000 | 0x4B4D_0000 {
        0x8000 | (ty & 0xF) as u16
    } else if ty & CKF_ARRAY_ATTRIBUTE != 0 && ty & !CKF_ARRAY_ATTRIBUTE < 0x800 {
        0x2000 | (ty & !CKF_ARRAY_ATTRIBUTE) as u16
    } else {
        panic!("type {ty:#x} cannot be written in template_decode's format")
    }
}

fn encode_template(attrs: &[A], out: &mut Vec<u8>) {
    for a in attrs {
        match a {
            A::Plain(ty, bytes) => {
                out.extend_from_slice(&selector(*ty).to_le_bytes());
                out.push(u8::try_from(bytes.len()).unwrap());
                out.extend_from_slice(bytes);
            }
            A::Array(ty, inner) => {
                let i = ARRAYS.iter().position(|t| t == ty).unwrap();
                let sel = (0x4000u16..).find(|s| *s as usize % 3 == i).unwrap();
                out.extend_from_slice(&sel.to_le_bytes());
                out.push(u8::try_from(inner.len()).unwrap());
                encode_template(inner, out);
            }
        }
    }
}

/// What the target makes of the bytes: its own splitting, repeated here so that the test can
/// say what each seed decodes to.
fn split_template(data: &mut &[u8], depth: usize, max: usize) -> Vec<RawAttr> {
    let mut out = Vec::new();
    while data.len() >= 3 && out.len() < max {
        let sel = u16::from_le_bytes([data[0], data[1]]) as CK_ATTRIBUTE_TYPE;
        let n = data[2] as usize;
        *data = &data[3..];
        if sel & 0x4000 != 0 {
            let ty = ARRAYS[(sel as usize) % ARRAYS.len()];
            let nested = if depth > 0 {
                split_template(data, depth - 1, n)
            } else {
                Vec::new()
            };
            out.push(RawAttr {
                ty,
                bytes: Vec::new(),
                nested: Some(nested),
            });
            continue;
        }
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

fn ul(v: CK_ULONG) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}

pub(crate) fn template_decode(s: &mut Seeds) {
    use A::{Array, Plain};
    let mut add = |name: &str, attrs: Vec<A>, expect: Result<(), CK_RV>| {
        let mut bytes = Vec::new();
        encode_template(&attrs, &mut bytes);
        let raw = split_template(&mut bytes.as_slice(), 2, usize::MAX);
        let got = decode_template(&raw).map(|_| ()).map_err(|e| e.rv());
        assert_eq!(got, expect, "{name}");
        s.add(name, bytes);
    };
    let t = || Plain(CKA_TOKEN, vec![1]);
    add("empty", vec![], Ok(()));
    add(
        "aes-key-generation-template",
        vec![
            Plain(CKA_CLASS, ul(CKO_SECRET_KEY)),
            Plain(CKA_KEY_TYPE, ul(CKK_AES)),
            Plain(CKA_VALUE_LEN, ul(32)),
            t(),
            Plain(CKA_SENSITIVE, vec![1]),
            Plain(CKA_EXTRACTABLE, vec![0]),
            Plain(CKA_LABEL, b"aes-256".to_vec()),
            Plain(CKA_ID, vec![4]),
        ],
        Ok(()),
    );
    add(
        "bool-any-non-zero-byte",
        vec![Plain(CKA_SIGN, vec![0x80])],
        Ok(()),
    );
    add(
        "bool-two-bytes",
        vec![Plain(CKA_SIGN, vec![1, 0])],
        Err(CKR_ATTRIBUTE_VALUE_INVALID),
    );
    add(
        "bool-empty",
        vec![Plain(CKA_PRIVATE, vec![])],
        Err(CKR_ATTRIBUTE_VALUE_INVALID),
    );
    add(
        "ulong-four-bytes",
        vec![Plain(CKA_CLASS, vec![4, 0, 0, 0])],
        Err(CKR_ATTRIBUTE_VALUE_INVALID),
    );
    add(
        "ulong-max",
        vec![Plain(CKA_MODULUS_BITS, ul(CK_ULONG::MAX))],
        Ok(()),
    );
    add(
        "date-yyyymmdd",
        vec![Plain(CKA_START_DATE, b"20261231".to_vec())],
        Ok(()),
    );
    add("date-empty", vec![Plain(CKA_END_DATE, vec![])], Ok(()));
    add(
        "date-not-digits",
        vec![Plain(CKA_END_DATE, b"2026-1-1".to_vec())],
        Err(CKR_ATTRIBUTE_VALUE_INVALID),
    );
    add(
        "date-seven-digits",
        vec![Plain(CKA_START_DATE, b"2026123".to_vec())],
        Err(CKR_ATTRIBUTE_VALUE_INVALID),
    );
    add(
        "bytes-255-long",
        vec![Plain(CKA_MODULUS, vec![0xC3; 255])],
        Ok(()),
    );
    add("bytes-empty-label", vec![Plain(CKA_LABEL, vec![])], Ok(()));
    add(
        "ec-params-p256",
        vec![Plain(
            CKA_EC_PARAMS,
            b"\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07".to_vec(),
        )],
        Ok(()),
    );
    add(
        "unknown-standard-type",
        vec![t(), Plain(0x7FF, vec![1])],
        Err(CKR_ATTRIBUTE_TYPE_INVALID),
    );
    add(
        "vendor-object-id-and-state",
        vec![
            Plain(
                kms_api::vendor::CKA_KMS_OBJECT_ID as CK_ULONG,
                b"6f0c".to_vec(),
            ),
            Plain(kms_api::vendor::CKA_KMS_STATE as CK_ULONG, ul(2)),
        ],
        Ok(()),
    );
    add(
        "vendor-unknown-type",
        vec![Plain(0xCB4D_000F, vec![])],
        Err(CKR_ATTRIBUTE_TYPE_INVALID),
    );
    add(
        "allowed-mechanisms-two",
        vec![Plain(
            CKA_ALLOWED_MECHANISMS,
            [ul(CKM_AES_KEY_WRAP), ul(CKM_AES_KEY_WRAP_KWP)].concat(),
        )],
        Ok(()),
    );
    add(
        "allowed-mechanisms-empty",
        vec![Plain(CKA_ALLOWED_MECHANISMS, vec![])],
        Ok(()),
    );
    add(
        "allowed-mechanisms-ragged",
        vec![Plain(CKA_ALLOWED_MECHANISMS, vec![1, 2, 3])],
        Err(CKR_ATTRIBUTE_VALUE_INVALID),
    );
    add(
        "wrap-template-as-plain-bytes",
        vec![Plain(CKA_WRAP_TEMPLATE, vec![0; 24])],
        Err(CKR_ATTRIBUTE_VALUE_INVALID),
    );
    add(
        "wrap-template-two-attributes",
        vec![
            Plain(CKA_WRAP, vec![1]),
            Array(
                CKA_WRAP_TEMPLATE,
                vec![
                    Plain(CKA_KEY_TYPE, ul(CKK_AES)),
                    Plain(CKA_EXTRACTABLE, vec![1]),
                ],
            ),
        ],
        Ok(()),
    );
    add(
        "unwrap-template-empty",
        vec![Array(CKA_UNWRAP_TEMPLATE, vec![])],
        Ok(()),
    );
    add(
        "derive-template-bad-value-inside",
        vec![Array(
            CKA_DERIVE_TEMPLATE,
            vec![Plain(CKA_SENSITIVE, vec![1, 1])],
        )],
        Err(CKR_ATTRIBUTE_VALUE_INVALID),
    );
    add(
        "array-inside-array",
        vec![Array(
            CKA_WRAP_TEMPLATE,
            vec![Array(CKA_UNWRAP_TEMPLATE, vec![t()])],
        )],
        Err(CKR_ATTRIBUTE_VALUE_INVALID),
    );
    add(
        "array-three-deep",
        vec![Array(
            CKA_WRAP_TEMPLATE,
            vec![Array(
                CKA_UNWRAP_TEMPLATE,
                vec![Array(CKA_DERIVE_TEMPLATE, vec![])],
            )],
        )],
        Err(CKR_ATTRIBUTE_VALUE_INVALID),
    );
    add(
        "257-attributes",
        (0..257).map(|_| t()).collect(),
        Err(CKR_TEMPLATE_INCONSISTENT),
    );
    // Inputs the encoder cannot make: a value cut short by the end of the input, a header cut
    // short, and a count of nested attributes larger than what follows.
    let mut short = Vec::new();
    encode_template(&[Plain(CKA_LABEL, b"abcdef".to_vec())], &mut short);
    short.truncate(6);
    s.add("value-cut-by-end-of-input", short);
    s.add("header-cut-short", vec![0x03, 0x00]);
    s.add(
        "array-count-past-end",
        vec![0x02, 0x40, 0xFF, 0x01, 0x00, 0x01, 0x01],
    );
}
