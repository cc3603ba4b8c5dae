//! request_decode: one selector byte (which request type, `% 16`), then the JSON body.

use cryptoki_sys::*;
use kms_api::msg::{
    CopyObjectRequest, CreateObjectRequest, CryptoRequest, DeriveRequest, FindRequest,
    GenerateKeyPairRequest, GenerateKeyRequest, InitPinRequest, LoginRequest, PartRequest,
    RandomRequest, SetAttributesRequest, SetPinRequest, UnwrapRequest, UserType, VerifyRequest,
    WrapRequest,
};
use kms_api::{Attr, AttrValue, Bytes, MechParams, Mechanism, SecretBytes};
use kms_daemon::model::template::{check, normalize, Mode};
use kms_testkit::seeds::Seeds;
use serde::Serialize;

fn attr(ty: CK_ATTRIBUTE_TYPE, value: AttrValue) -> Attr {
    Attr {
        ty: ty as u64,
        value,
    }
}

fn flag(ty: CK_ATTRIBUTE_TYPE, v: bool) -> Attr {
    attr(ty, AttrValue::Bool(v))
}

fn ulong(ty: CK_ATTRIBUTE_TYPE, v: CK_ULONG) -> Attr {
    attr(ty, AttrValue::Ulong(v as u64))
}

fn bytes(ty: CK_ATTRIBUTE_TYPE, v: &[u8]) -> Attr {
    attr(ty, AttrValue::Bytes(Bytes(v.to_vec())))
}

fn mech(m: CK_MECHANISM_TYPE, params: MechParams) -> Mechanism {
    Mechanism {
        mechanism: m as u64,
        params,
    }
}

fn secret(v: &[u8]) -> SecretBytes {
    SecretBytes::from(v)
}

/// DER of the P-256 OID, as `CKA_EC_PARAMS` holds it.
const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// An AES-256 secret-key template as an application gives it to `C_GenerateKey`.
fn aes_template() -> Vec<Attr> {
    vec![
        ulong(CKA_CLASS, CKO_SECRET_KEY),
        ulong(CKA_KEY_TYPE, CKK_AES),
        ulong(CKA_VALUE_LEN, 32),
        flag(CKA_TOKEN, true),
        flag(CKA_ENCRYPT, true),
        flag(CKA_DECRYPT, true),
        bytes(CKA_LABEL, b"aes-256"),
        bytes(CKA_ID, &[0x04]),
    ]
}

/// The selector byte of each request type, as the target reads it.
#[derive(Clone, Copy)]
enum Req {
    Login = 0,
    SetPin = 1,
    InitPin = 2,
    Find = 3,
    Create = 4,
    Copy = 5,
    SetAttributes = 6,
    Generate = 7,
    GeneratePair = 8,
    Wrap = 9,
    Unwrap = 10,
    Derive = 11,
    Crypto = 12,
    Verify = 13,
    Random = 14,
    Part = 15,
}

fn request(req: Req, body: &impl Serialize) -> Vec<u8> {
    let mut out = vec![req as u8];
    out.extend(serde_json::to_vec(body).unwrap());
    out
}

fn raw_request(req: Req, body: &str) -> Vec<u8> {
    let mut out = vec![req as u8];
    out.extend_from_slice(body.as_bytes());
    out
}

/// What a template seed must come to in `normalize` (the attribute rules are then run for every
/// class and key type by the target itself).
fn normalizes(template: &[Attr]) -> bool {
    normalize(template).is_ok()
}

pub(crate) fn request_decode(s: &mut Seeds) {
    let user = LoginRequest {
        user_type: UserType::User,
        pin: secret(b"123456"),
    };
    s.add("login-user", request(Req::Login, &user));
    let so = LoginRequest {
        user_type: UserType::So,
        pin: secret(b"87654321"),
    };
    s.add("login-so", request(Req::Login, &so));
    s.add(
        "login-unknown-user-type",
        raw_request(
            Req::Login,
            r#"{"user_type":"context_specific","pin":"MTIzNDU2"}"#,
        ),
    );
    s.add(
        "login-pin-not-base64",
        raw_request(Req::Login, r#"{"user_type":"user","pin":"***"}"#),
    );
    s.add(
        "login-unknown-field",
        raw_request(
            Req::Login,
            r#"{"user_type":"user","pin":"MTIzNDU2","remember":true}"#,
        ),
    );
    let set_pin = SetPinRequest {
        old_pin: secret(b"123456"),
        new_pin: secret(b"654321"),
    };
    s.add("set-pin", request(Req::SetPin, &set_pin));
    let init_pin = InitPinRequest {
        pin: secret(b"123456"),
    };
    s.add("init-pin", request(Req::InitPin, &init_pin));

    let find = |template: Vec<Attr>| FindRequest { template };
    s.add("find-empty-template", request(Req::Find, &find(vec![])));
    let by_label = vec![
        ulong(CKA_CLASS, CKO_PRIVATE_KEY),
        bytes(CKA_LABEL, b"rsa01"),
        bytes(CKA_ID, &[1]),
    ];
    assert!(normalizes(&by_label));
    s.add("find-class-label-id", request(Req::Find, &find(by_label)));
    let vendor = vec![
        bytes(kms_api::vendor::CKA_KMS_OBJECT_ID as CK_ULONG, b"6f0c"),
        ulong(
            kms_api::vendor::CKA_KMS_STATE as CK_ULONG,
            kms_api::vendor::CK_KMS_STATE_ACTIVE as CK_ULONG,
        ),
    ];
    assert!(normalizes(&vendor));
    s.add("find-vendor-attributes", request(Req::Find, &find(vendor)));
    let unknown = vec![bytes(0x8765_4321, b"x")];
    assert!(!normalizes(&unknown));
    s.add(
        "find-unknown-attribute-type",
        request(Req::Find, &find(unknown)),
    );
    let wrong_kind = vec![attr(CKA_CLASS, AttrValue::Bool(true))];
    assert!(!normalizes(&wrong_kind));
    s.add(
        "find-class-given-as-bool",
        request(Req::Find, &find(wrong_kind)),
    );
    let twice = vec![bytes(CKA_LABEL, b"a"), bytes(CKA_LABEL, b"b")];
    assert!(!normalizes(&twice));
    s.add(
        "find-label-twice-differing",
        request(Req::Find, &find(twice)),
    );
    let bad_date = vec![attr(CKA_END_DATE, AttrValue::Date("2026x101".into()))];
    assert!(!normalizes(&bad_date));
    s.add("find-date-not-digits", request(Req::Find, &find(bad_date)));
    let class_range = vec![ulong(CKA_CLASS, 10)];
    assert!(!normalizes(&class_range));
    s.add(
        "find-class-out-of-range",
        request(Req::Find, &find(class_range)),
    );
    let too_many: Vec<Attr> = (0..257).map(|i| bytes(CKA_LABEL, &[i as u8])).collect();
    assert!(!normalizes(&too_many));
    s.add("find-257-attributes", request(Req::Find, &find(too_many)));

    let create = |template: Vec<Attr>| CreateObjectRequest { template };
    let aes_value = vec![
        ulong(CKA_CLASS, CKO_SECRET_KEY),
        ulong(CKA_KEY_TYPE, CKK_AES),
        bytes(CKA_VALUE, &[0x11; 32]),
        flag(CKA_SENSITIVE, true),
        flag(CKA_EXTRACTABLE, false),
        attr(CKA_START_DATE, AttrValue::Date("20260101".into())),
        attr(CKA_END_DATE, AttrValue::Date(String::new())),
    ];
    let map = normalize(&aes_value).unwrap();
    assert!(check(
        Mode::Create,
        CKO_SECRET_KEY as u64,
        Some(CKK_AES as u64),
        &map
    )
    .is_ok());
    s.add(
        "create-aes-key-with-value",
        request(Req::Create, &create(aes_value)),
    );
    let rsa_public = vec![
        ulong(CKA_CLASS, CKO_PUBLIC_KEY),
        ulong(CKA_KEY_TYPE, CKK_RSA),
        bytes(CKA_MODULUS, &[0xC5; 256]),
        bytes(CKA_PUBLIC_EXPONENT, &[1, 0, 1]),
        flag(CKA_VERIFY, true),
    ];
    s.add(
        "create-rsa-public-key",
        request(Req::Create, &create(rsa_public)),
    );
    let certificate = vec![
        ulong(CKA_CLASS, CKO_CERTIFICATE),
        ulong(CKA_CERTIFICATE_TYPE, CKC_X_509),
        bytes(
            CKA_SUBJECT,
            b"0\x121\x100\x0e\x06\x03U\x04\x03\x0c\x07example",
        ),
        bytes(CKA_VALUE, b"0\x82\x01\x00"),
        bytes(CKA_ID, &[1]),
    ];
    s.add(
        "create-certificate",
        request(Req::Create, &create(certificate)),
    );
    let data = vec![
        ulong(CKA_CLASS, CKO_DATA),
        bytes(CKA_APPLICATION, b"app"),
        bytes(CKA_VALUE, b"payload"),
        flag(CKA_PRIVATE, false),
    ];
    s.add("create-data-object", request(Req::Create, &create(data)));
    let trusted = vec![
        ulong(CKA_CLASS, CKO_SECRET_KEY),
        ulong(CKA_KEY_TYPE, CKK_AES),
        flag(CKA_TRUSTED, true),
    ];
    let map = normalize(&trusted).unwrap();
    assert!(check(
        Mode::Create,
        CKO_SECRET_KEY as u64,
        Some(CKK_AES as u64),
        &map
    )
    .is_err());
    s.add("create-trusted-key", request(Req::Create, &create(trusted)));
    let local = vec![ulong(CKA_CLASS, CKO_SECRET_KEY), flag(CKA_LOCAL, true)];
    s.add(
        "create-local-read-only",
        request(Req::Create, &create(local)),
    );
    let wrap_template = vec![
        ulong(CKA_CLASS, CKO_SECRET_KEY),
        ulong(CKA_KEY_TYPE, CKK_AES),
        flag(CKA_WRAP, true),
        attr(
            CKA_WRAP_TEMPLATE,
            AttrValue::Template(vec![
                ulong(CKA_KEY_TYPE, CKK_AES),
                flag(CKA_EXTRACTABLE, true),
            ]),
        ),
        attr(
            CKA_ALLOWED_MECHANISMS,
            AttrValue::UlongList(vec![CKM_AES_KEY_WRAP as u64, CKM_AES_KEY_WRAP_KWP as u64]),
        ),
    ];
    assert!(normalizes(&wrap_template));
    s.add(
        "create-with-wrap-template",
        request(Req::Create, &create(wrap_template)),
    );
    let nested = vec![attr(
        CKA_UNWRAP_TEMPLATE,
        AttrValue::Template(vec![attr(
            CKA_WRAP_TEMPLATE,
            AttrValue::Template(vec![flag(CKA_SENSITIVE, true)]),
        )]),
    )];
    assert!(!normalizes(&nested));
    s.add(
        "create-template-inside-template",
        request(Req::Create, &create(nested)),
    );
    let repeated_inner = vec![attr(
        CKA_DERIVE_TEMPLATE,
        AttrValue::Template(vec![flag(CKA_SENSITIVE, true), flag(CKA_SENSITIVE, true)]),
    )];
    assert!(!normalizes(&repeated_inner));
    s.add(
        "create-derive-template-repeats-a-type",
        request(Req::Create, &create(repeated_inner)),
    );

    let copy = CopyObjectRequest {
        template: vec![
            flag(CKA_TOKEN, true),
            bytes(CKA_ID, b"alias"),
            flag(CKA_SENSITIVE, true),
        ],
    };
    s.add("copy-onto-token-with-id", request(Req::Copy, &copy));
    let set = SetAttributesRequest {
        template: vec![bytes(CKA_LABEL, b"renamed"), flag(CKA_EXTRACTABLE, false)],
    };
    s.add(
        "set-label-and-extractable",
        request(Req::SetAttributes, &set),
    );

    let generate = GenerateKeyRequest {
        mechanism: Mechanism::new(CKM_AES_KEY_GEN as u64),
        template: aes_template(),
    };
    s.add("generate-aes-256", request(Req::Generate, &generate));
    let hmac = GenerateKeyRequest {
        mechanism: Mechanism::new(CKM_GENERIC_SECRET_KEY_GEN as u64),
        template: vec![
            ulong(CKA_KEY_TYPE, CKK_GENERIC_SECRET),
            ulong(CKA_VALUE_LEN, 32),
            flag(CKA_SIGN, true),
            flag(CKA_VERIFY, true),
        ],
    };
    s.add("generate-generic-secret", request(Req::Generate, &hmac));
    let rsa = GenerateKeyPairRequest {
        mechanism: Mechanism::new(CKM_RSA_PKCS_KEY_PAIR_GEN as u64),
        public_template: vec![
            ulong(CKA_MODULUS_BITS, 2048),
            bytes(CKA_PUBLIC_EXPONENT, &[1, 0, 1]),
            flag(CKA_VERIFY, true),
            flag(CKA_ENCRYPT, true),
        ],
        private_template: vec![
            flag(CKA_SIGN, true),
            flag(CKA_DECRYPT, true),
            flag(CKA_SENSITIVE, true),
            bytes(CKA_ID, &[1]),
        ],
    };
    s.add("generate-pair-rsa-2048", request(Req::GeneratePair, &rsa));
    let ec = GenerateKeyPairRequest {
        mechanism: Mechanism::new(CKM_EC_KEY_PAIR_GEN as u64),
        public_template: vec![bytes(CKA_EC_PARAMS, P256), flag(CKA_TOKEN, true)],
        private_template: vec![],
    };
    s.add(
        "generate-pair-ec-p256-empty-private",
        request(Req::GeneratePair, &ec),
    );

    let wrap = WrapRequest {
        mechanism: Mechanism::new(CKM_AES_KEY_WRAP_KWP as u64),
        wrapping_key: "0a1b2c3d".into(),
        key: "4e5f6a7b".into(),
    };
    s.add("wrap-aes-kwp", request(Req::Wrap, &wrap));
    let oaep = MechParams::Oaep {
        hash: CKM_SHA256 as u64,
        mgf: CKG_MGF1_SHA256 as u64,
        label: Bytes(b"label".to_vec()),
    };
    let unwrap = UnwrapRequest {
        mechanism: mech(CKM_RSA_PKCS_OAEP, oaep),
        unwrapping_key: "0a1b2c3d".into(),
        wrapped: Bytes(vec![0x5A; 256]),
        template: vec![
            ulong(CKA_CLASS, CKO_SECRET_KEY),
            ulong(CKA_KEY_TYPE, CKK_AES),
            flag(CKA_DECRYPT, true),
        ],
    };
    s.add(
        "unwrap-rsa-oaep-sha256-label",
        request(Req::Unwrap, &unwrap),
    );
    let derive = DeriveRequest {
        mechanism: mech(
            CKM_ECDH1_DERIVE,
            MechParams::Ecdh {
                kdf: CKD_SHA256_KDF as u64,
                shared_data: Bytes(b"info".to_vec()),
                public_data: Bytes([&[4u8][..], &[0x42; 64]].concat()),
            },
        ),
        base_key: "0a1b2c3d".into(),
        template: vec![ulong(CKA_KEY_TYPE, CKK_AES), ulong(CKA_VALUE_LEN, 32)],
    };
    s.add("derive-ecdh-sha256-kdf", request(Req::Derive, &derive));

    let crypto = |m: Mechanism, data: &[u8]| CryptoRequest {
        mechanism: m,
        data: secret(data),
    };
    let pss = MechParams::Pss {
        hash: CKM_SHA256 as u64,
        mgf: CKG_MGF1_SHA256 as u64,
        salt_len: 32,
    };
    s.add(
        "sign-rsa-pss-digest",
        request(
            Req::Crypto,
            &crypto(mech(CKM_RSA_PKCS_PSS, pss), &[0xAB; 32]),
        ),
    );
    let gcm = MechParams::Gcm {
        iv: Bytes(vec![0; 12]),
        aad: Bytes(b"header".to_vec()),
        tag_bits: 128,
    };
    s.add(
        "encrypt-aes-gcm",
        request(Req::Crypto, &crypto(mech(CKM_AES_GCM, gcm), b"plaintext")),
    );
    s.add(
        "decrypt-aes-cbc-pad-iv",
        request(
            Req::Crypto,
            &crypto(
                mech(CKM_AES_CBC_PAD, MechParams::Iv(Bytes(vec![7; 16]))),
                &[0; 32],
            ),
        ),
    );
    let verify = VerifyRequest {
        mechanism: Mechanism::new(CKM_SHA256_HMAC as u64),
        data: secret(b"message"),
        signature: Bytes(vec![0x33; 32]),
    };
    s.add("verify-hmac-sha256", request(Req::Verify, &verify));
    let part = |m: Mechanism, data: &[u8], ticket: Option<Bytes>, last: bool| PartRequest {
        mechanism: m,
        data: secret(data),
        ticket,
        last,
    };
    // CTR parameters in a streamed part (a later one, with a ticket; the seeds are capped at 50).
    let ctr_later = MechParams::Ctr {
        counter_bits: 32,
        cb: Bytes(vec![0xFF; 16]),
    };
    s.add(
        "part-last-aes-ctr-with-ticket",
        request(
            Req::Part,
            &part(
                mech(CKM_AES_CTR, ctr_later),
                b"tail",
                Some(Bytes(vec![0x5A; 40])),
                true,
            ),
        ),
    );
    s.add(
        "random-32",
        request(Req::Random, &RandomRequest { len: 32 }),
    );
    s.add(
        "random-negative-length",
        raw_request(Req::Random, r#"{"len":-1}"#),
    );
    s.add(
        "truncated-json",
        raw_request(Req::Generate, r#"{"mechanism":{"mechanism":4224},"templ"#),
    );
    s.add(
        "attribute-value-of-unknown-kind",
        raw_request(Req::Find, r#"{"template":[{"t":3,"v":{"float":1.5}}]}"#),
    );
    // JSON syntax the typed values above never produce: whitespace everywhere, a struct given as
    // an array, escapes and number forms, JSON types where others are expected.
    let pretty = serde_json::to_vec_pretty(&GenerateKeyRequest {
        mechanism: Mechanism::new(CKM_AES_KEY_GEN as u64),
        template: aes_template(),
    })
    .unwrap();
    s.add(
        "generate-aes-256-pretty-printed",
        [vec![Req::Generate as u8], pretty].concat(),
    );
    s.add(
        "login-as-array-with-escapes",
        raw_request(Req::Login, r#"["user", "\u004d\u0054\u0049\/NDU2"]"#),
    );
    s.add(
        "random-length-in-other-number-forms",
        raw_request(Req::Random, r#"{"len":3.2e1}"#),
    );
    s.add(
        "find-attributes-of-wrong-json-types",
        raw_request(
            Req::Find,
            concat!(
                r#"{"template":[{"t":"1","v":{"bool":1}},{"t":1.0,"v":null},"#,
                r#"{"t":-3,"v":{"bytes":7}},{"t":1,"v":{"ulong_list":[1,"2"]}},"#,
                r#"{"t":272,"v":{"date":20260101}}]}"#,
            ),
        ),
    );
}
