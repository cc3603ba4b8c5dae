//! response_decode: one selector byte (which answer type, `% 10`), then the JSON body. For
//! selector 8 the body is an ObjectInfo, a NUL byte, then 3-byte attribute queries: the type's
//! low byte; bits 0..2 of the second byte are type bits 8..10 and bit 3 sets CKF_ARRAY_ATTRIBUTE;
//! the buffer size (255: a NULL pValue).

use cryptoki_sys::*;
use kms_api::msg::{
    CryptoResponse, Health, KeyPairInfo, LoginResponse, ObjectInfo, ObjectList, TokenInfo,
    TokenList, WrapResponse,
};
use kms_api::{Attr, AttrValue, Bytes, ErrorBody, ErrorCode, SecretBytes};
use kms_pkcs11::attr::{get_values, AttrQuery};
use kms_testkit::seeds::Seeds;

#[derive(Clone, Copy)]
enum Resp {
    ObjectList = 0,
    TokenList = 1,
    Crypto = 2,
    Wrap = 3,
    Login = 4,
    KeyPair = 5,
    Error = 6,
    Health = 7,
    Object = 8,
    Part = 9,
}

fn answer(r: Resp, body: &impl serde::Serialize) -> Vec<u8> {
    [vec![r as u8], serde_json::to_vec(body).unwrap()].concat()
}

fn raw_answer(r: Resp, body: &str) -> Vec<u8> {
    [vec![r as u8], body.as_bytes().to_vec()].concat()
}

fn a(ty: CK_ATTRIBUTE_TYPE, value: AttrValue) -> Attr {
    Attr {
        ty: ty as u64,
        value,
    }
}

fn by(v: &[u8]) -> AttrValue {
    AttrValue::Bytes(Bytes(v.to_vec()))
}

/// An AES key as kmsd shows it: no value, CKA_VALUE listed as sensitive.
fn aes_object() -> ObjectInfo {
    ObjectInfo {
        id: "6f0c9d2e1a4b4c8d9e0f1a2b3c4d5e6f".into(),
        attrs: vec![
            a(CKA_CLASS, AttrValue::Ulong(CKO_SECRET_KEY as u64)),
            a(CKA_KEY_TYPE, AttrValue::Ulong(CKK_AES as u64)),
            a(CKA_VALUE_LEN, AttrValue::Ulong(32)),
            a(CKA_LABEL, by(b"wrapping key")),
            a(CKA_ID, by(&[4])),
            a(CKA_SENSITIVE, AttrValue::Bool(true)),
            a(CKA_START_DATE, AttrValue::Date("20260101".into())),
            a(
                CKA_ALLOWED_MECHANISMS,
                AttrValue::UlongList(vec![CKM_AES_KEY_WRAP as u64, CKM_AES_KEY_WRAP_KWP as u64]),
            ),
            a(
                CKA_WRAP_TEMPLATE,
                AttrValue::Template(vec![
                    a(CKA_KEY_TYPE, AttrValue::Ulong(CKK_AES as u64)),
                    a(CKA_EXTRACTABLE, AttrValue::Bool(true)),
                ]),
            ),
        ],
        sensitive: vec![CKA_VALUE as u64],
    }
}

fn rsa_public() -> ObjectInfo {
    ObjectInfo {
        id: "0a1b".into(),
        attrs: vec![
            a(CKA_CLASS, AttrValue::Ulong(CKO_PUBLIC_KEY as u64)),
            a(CKA_KEY_TYPE, AttrValue::Ulong(CKK_RSA as u64)),
            a(CKA_MODULUS, by(&[0xC5; 256])),
            a(CKA_PUBLIC_EXPONENT, by(&[1, 0, 1])),
            a(CKA_MODULUS_BITS, AttrValue::Ulong(2048)),
        ],
        sensitive: vec![],
    }
}

fn query(ty: CK_ATTRIBUTE_TYPE, capacity: Option<u8>) -> [u8; 3] {
    let array = ty & CKF_ARRAY_ATTRIBUTE != 0;
    let low = ty & !CKF_ARRAY_ATTRIBUTE;
    assert!(
        low < 0x800,
        "type {ty:#x} cannot be asked for in response_decode's format"
    );
    let cap = capacity.unwrap_or(255);
    assert_ne!(capacity, Some(255), "255 means a NULL buffer");
    [low as u8, (low >> 8) as u8 | if array { 8 } else { 0 }, cap]
}

pub(crate) fn response_decode(s: &mut Seeds) {
    let mut object =
        |name: &str, info: &ObjectInfo, qs: &[(CK_ATTRIBUTE_TYPE, Option<u8>)], rv: CK_RV| {
            let queries: Vec<AttrQuery> = qs
                .iter()
                .map(|(ty, cap)| AttrQuery {
                    ty: *ty,
                    capacity: cap.map(usize::from),
                })
                .collect();
            assert_eq!(get_values(info, &queries).0, rv, "{name}");
            let mut bytes = vec![Resp::Object as u8];
            bytes.extend(serde_json::to_vec(info).unwrap());
            bytes.push(0);
            for (ty, cap) in qs {
                bytes.extend(query(*ty, *cap));
            }
            s.add(name, bytes);
        };
    let aes = aes_object();
    object(
        "object-every-attribute-exact-buffers",
        &aes,
        &[
            (CKA_CLASS, Some(8)),
            (CKA_LABEL, Some(12)),
            (CKA_SENSITIVE, Some(1)),
            (CKA_START_DATE, Some(8)),
            (CKA_ALLOWED_MECHANISMS, Some(16)),
        ],
        CKR_OK,
    );
    object(
        "object-size-queries",
        &aes,
        &[(CKA_LABEL, None), (CKA_ID, None), (CKA_WRAP_TEMPLATE, None)],
        CKR_OK,
    );
    let array_len = (2 * std::mem::size_of::<CK_ATTRIBUTE>()) as u8;
    object(
        "object-wrap-template-fits",
        &aes,
        &[(CKA_WRAP_TEMPLATE, Some(array_len))],
        CKR_OK,
    );
    object(
        "object-wrap-template-one-short",
        &aes,
        &[(CKA_WRAP_TEMPLATE, Some(array_len - 1))],
        CKR_BUFFER_TOO_SMALL,
    );
    object(
        "object-sensitive-value-asked",
        &aes,
        &[(CKA_VALUE, Some(32)), (CKA_LABEL, Some(12))],
        CKR_ATTRIBUTE_SENSITIVE,
    );
    object(
        "object-type-it-does-not-have",
        &aes,
        &[(CKA_MODULUS, Some(200)), (CKA_ID, Some(1))],
        CKR_ATTRIBUTE_TYPE_INVALID,
    );
    object(
        "object-label-buffer-too-small",
        &aes,
        &[(CKA_LABEL, Some(3)), (CKA_CLASS, Some(0))],
        CKR_BUFFER_TOO_SMALL,
    );
    object(
        "object-all-three-failures",
        &aes,
        &[(CKA_LABEL, Some(0)), (CKA_PRIME_1, None), (CKA_VALUE, None)],
        CKR_ATTRIBUTE_SENSITIVE,
    );
    object(
        "object-rsa-modulus-254-byte-buffer",
        &rsa_public(),
        &[(CKA_MODULUS, Some(254)), (CKA_PUBLIC_EXPONENT, Some(3))],
        CKR_BUFFER_TOO_SMALL,
    );
    object("object-no-queries", &rsa_public(), &[], CKR_OK);
    s.add(
        "object-not-json-before-nul",
        [
            vec![Resp::Object as u8],
            b"{\"id\":".to_vec(),
            vec![0, 1, 0, 4],
        ]
        .concat(),
    );

    let list = ObjectList {
        objects: vec![rsa_public(), aes_object()],
    };
    s.add("object-list-two-keys", answer(Resp::ObjectList, &list));
    s.add(
        "object-list-empty",
        answer(Resp::ObjectList, &ObjectList { objects: vec![] }),
    );
    s.add(
        "object-list-template-inside-template",
        raw_answer(
            Resp::ObjectList,
            concat!(
                r#"{"objects":[{"id":"1","attrs":[{"t":1073742353,"v":{"template":["#,
                r#"{"t":1073742353,"v":{"template":[]}}]}}],"sensitive":[]}]}"#,
            ),
        ),
    );
    let token = TokenInfo {
        label: "kms-default".into(),
        serial: "0123456789abcdef".into(),
        user_pin_initialized: true,
        user_pin_count_low: true,
        user_pin_final_try: true,
        user_pin_locked: false,
        so_pin_count_low: false,
        so_pin_final_try: false,
        so_pin_locked: false,
        min_pin_len: 4,
        max_pin_len: 64,
    };
    s.add(
        "token-list-pin-final-try",
        answer(
            Resp::TokenList,
            &TokenList {
                tokens: vec![token],
            },
        ),
    );
    s.add(
        "token-list-label-not-a-string",
        raw_answer(Resp::TokenList, r#"{"tokens":[{"label":7}]}"#),
    );
    s.add(
        "crypto-signature",
        answer(
            Resp::Crypto,
            &CryptoResponse {
                data: SecretBytes::from(vec![0x30; 72]),
            },
        ),
    );
    s.add(
        "part-ciphertext-and-ticket",
        answer(
            Resp::Part,
            &kms_api::msg::PartResponse {
                data: SecretBytes::from(vec![0x7E; 32]),
                ticket: Bytes(vec![0x5A; 40]),
            },
        ),
    );
    s.add(
        "crypto-data-not-base64",
        raw_answer(Resp::Crypto, r#"{"data":"not base64!"}"#),
    );
    s.add(
        "wrap-aes-kwp-blob",
        answer(
            Resp::Wrap,
            &WrapResponse {
                data: Bytes(vec![0xA6; 40]),
            },
        ),
    );
    s.add(
        "login-session",
        answer(
            Resp::Login,
            &LoginResponse {
                session: SecretBytes::from(vec![0x42; 32]),
                idle_timeout_secs: 3600,
            },
        ),
    );
    s.add(
        "key-pair",
        answer(
            Resp::KeyPair,
            &KeyPairInfo {
                public: rsa_public(),
                private: ObjectInfo {
                    id: "0a1c".into(),
                    attrs: vec![a(CKA_SIGN, AttrValue::Bool(true))],
                    sensitive: vec![CKA_PRIVATE_EXPONENT as u64, CKA_PRIME_1 as u64],
                },
            },
        ),
    );
    s.add(
        "error-pin-locked",
        answer(
            Resp::Error,
            &ErrorBody {
                code: ErrorCode::PinLocked,
                message: "the PIN is locked".into(),
                request_id: Some("r-1".into()),
            },
        ),
    );
    s.add(
        "error-unknown-code",
        raw_answer(
            Resp::Error,
            r#"{"code":"quantum_decoherence","message":"?"}"#,
        ),
    );
    s.add(
        "health",
        answer(
            Resp::Health,
            &Health {
                status: "ok".into(),
                version: "0.1.0".into(),
            },
        ),
    );
    s.add(
        "health-deeply-nested-extra-field",
        raw_answer(
            Resp::Health,
            &format!(
                r#"{{"status":"ok","version":"0","x":{}{}}}"#,
                "[".repeat(200),
                "]".repeat(200)
            ),
        ),
    );
    // JSON syntax the typed values above never produce: whitespace everywhere, a struct given as
    // an array, escapes, every number form, every JSON type where another is expected.
    s.add(
        "object-list-pretty-printed",
        [
            vec![Resp::ObjectList as u8],
            serde_json::to_vec_pretty(&ObjectList {
                objects: vec![aes_object()],
            })
            .unwrap(),
        ]
        .concat(),
    );
    s.add(
        "health-as-array",
        raw_answer(Resp::Health, r#"["ok", "0.1.0"]"#),
    );
    s.add(
        "login-escapes-and-huge-number",
        raw_answer(
            Resp::Login,
            r#"{"session":"\u0041\u0041\/A\u003d","idle_timeout_secs":18446744073709551616}"#,
        ),
    );
    s.add(
        "token-list-numbers-in-every-form",
        raw_answer(
            Resp::TokenList,
            concat!(
                r#"{"tokens":[{"label":"a\tb\n\"\\","serial":"\ud83d\udd11","#,
                r#""user_pin_initialized":true,"user_pin_count_low":false,"#,
                r#""user_pin_final_try":false,"user_pin_locked":false,"so_pin_count_low":false,"#,
                r#""so_pin_final_try":false,"so_pin_locked":false,"#,
                r#""min_pin_len":4.0,"max_pin_len":1e2}]}"#,
            ),
        ),
    );
    s.add(
        "key-pair-wrong-json-types",
        raw_answer(
            Resp::KeyPair,
            r#"{"public":null,"private":{"id":7,"attrs":{},"sensitive":[-1,0.5,"x",true,null]}}"#,
        ),
    );
}
