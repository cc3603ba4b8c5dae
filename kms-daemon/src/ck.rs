//! The PKCS#11 constants kmsd uses, as `u64` (the wire type of `CK_ULONG` values).
//!
//! `cryptoki_sys` types them as the platform's `CK_ULONG`; converting once here keeps `as` casts
//! out of the rest of the daemon and lets the constants be used in `match` patterns.

macro_rules! ck_u64 {
    ($($name:ident),* $(,)?) => {
        $(
            #[allow(clippy::unnecessary_cast, reason = "CK_ULONG is u64 only on LP64 targets")]
            #[doc = concat!("`", stringify!($name), "`")]
            pub const $name: u64 = cryptoki_sys::$name as u64;
        )*
    };
}

ck_u64!(
    // Object classes.
    CKO_DATA,
    CKO_CERTIFICATE,
    CKO_PUBLIC_KEY,
    CKO_PRIVATE_KEY,
    CKO_SECRET_KEY,
    // Key and certificate types.
    CKK_RSA,
    CKK_EC,
    CKK_AES,
    CKK_GENERIC_SECRET,
    CKK_EC_EDWARDS,
    CKC_X_509,
    // Attributes.
    CKA_CLASS,
    CKA_TOKEN,
    CKA_PRIVATE,
    CKA_LABEL,
    CKA_APPLICATION,
    CKA_VALUE,
    CKA_OBJECT_ID,
    CKA_CERTIFICATE_TYPE,
    CKA_ISSUER,
    CKA_SERIAL_NUMBER,
    CKA_TRUSTED,
    CKA_CERTIFICATE_CATEGORY,
    CKA_CHECK_VALUE,
    CKA_KEY_TYPE,
    CKA_SUBJECT,
    CKA_ID,
    CKA_SENSITIVE,
    CKA_ENCRYPT,
    CKA_DECRYPT,
    CKA_WRAP,
    CKA_UNWRAP,
    CKA_SIGN,
    CKA_SIGN_RECOVER,
    CKA_VERIFY,
    CKA_VERIFY_RECOVER,
    CKA_DERIVE,
    CKA_START_DATE,
    CKA_END_DATE,
    CKA_MODULUS,
    CKA_MODULUS_BITS,
    CKA_PUBLIC_EXPONENT,
    CKA_PRIVATE_EXPONENT,
    CKA_PRIME_1,
    CKA_PRIME_2,
    CKA_EXPONENT_1,
    CKA_EXPONENT_2,
    CKA_COEFFICIENT,
    CKA_PUBLIC_KEY_INFO,
    CKA_VALUE_LEN,
    CKA_EXTRACTABLE,
    CKA_LOCAL,
    CKA_NEVER_EXTRACTABLE,
    CKA_ALWAYS_SENSITIVE,
    CKA_KEY_GEN_MECHANISM,
    CKA_MODIFIABLE,
    CKA_COPYABLE,
    CKA_DESTROYABLE,
    CKA_EC_PARAMS,
    CKA_EC_POINT,
    CKA_ALWAYS_AUTHENTICATE,
    CKA_WRAP_WITH_TRUSTED,
    CKA_ALLOWED_MECHANISMS,
    CKA_WRAP_TEMPLATE,
    CKA_UNWRAP_TEMPLATE,
    CKA_DERIVE_TEMPLATE,
    CKA_URL,
    CKA_HASH_OF_SUBJECT_PUBLIC_KEY,
    CKA_HASH_OF_ISSUER_PUBLIC_KEY,
    CKA_NAME_HASH_ALGORITHM,
    CKA_JAVA_MIDP_SECURITY_DOMAIN,
    CKA_UNIQUE_ID,
    // Mechanisms.
    CKM_RSA_PKCS_KEY_PAIR_GEN,
    CKM_RSA_PKCS,
    CKM_RSA_PKCS_OAEP,
    CKM_RSA_PKCS_PSS,
    CKM_SHA256_RSA_PKCS,
    CKM_SHA384_RSA_PKCS,
    CKM_SHA512_RSA_PKCS,
    CKM_SHA256_RSA_PKCS_PSS,
    CKM_SHA384_RSA_PKCS_PSS,
    CKM_SHA512_RSA_PKCS_PSS,
    CKM_EC_KEY_PAIR_GEN,
    CKM_ECDSA,
    CKM_ECDSA_SHA256,
    CKM_ECDSA_SHA384,
    CKM_ECDSA_SHA512,
    CKM_AES_KEY_GEN,
    CKM_AES_CBC_PAD,
    CKM_AES_GCM,
    CKM_AES_ECB,
    CKM_AES_KEY_WRAP,
    CKM_AES_KEY_WRAP_KWP,
    CKM_ECDH1_DERIVE,
    CKM_AES_CTR,
    CKM_EC_EDWARDS_KEY_PAIR_GEN,
    CKM_EDDSA,
    CKM_GENERIC_SECRET_KEY_GEN,
    CKM_SHA_1_HMAC,
    CKM_SHA256_HMAC,
    CKM_SHA384_HMAC,
    CKM_SHA512_HMAC,
    CKM_SHA_1,
    CKM_SHA256,
    CKM_SHA384,
    CKM_SHA512,
    // Mask generation functions.
    CKG_MGF1_SHA1,
    CKG_MGF1_SHA256,
    CKG_MGF1_SHA384,
    CKG_MGF1_SHA512,
    // Key derivation functions of CK_ECDH1_DERIVE_PARAMS.
    CKD_NULL,
    CKD_SHA1_KDF,
    CKD_SHA256_KDF,
    CKD_SHA384_KDF,
    CKD_SHA512_KDF,
);

/// Names the mechanisms listed: `CKM_…` for a known one, its number in hex otherwise.
macro_rules! mechanism_names {
    ($m:expr; $($name:ident),* $(,)?) => {
        match $m {
            $($name => stringify!($name).to_owned(),)*
            other => format!("CKM_0x{other:08X}"),
        }
    };
}

/// A mechanism's name for logs and audit records (`CKM_…`), or its number in hex.
pub fn mechanism_name(m: u64) -> String {
    mechanism_names!(m;
        CKM_RSA_PKCS_KEY_PAIR_GEN,
        CKM_RSA_PKCS,
        CKM_RSA_PKCS_OAEP,
        CKM_RSA_PKCS_PSS,
        CKM_SHA256_RSA_PKCS,
        CKM_SHA384_RSA_PKCS,
        CKM_SHA512_RSA_PKCS,
        CKM_SHA256_RSA_PKCS_PSS,
        CKM_SHA384_RSA_PKCS_PSS,
        CKM_SHA512_RSA_PKCS_PSS,
        CKM_EC_KEY_PAIR_GEN,
        CKM_ECDSA,
        CKM_ECDSA_SHA256,
        CKM_ECDSA_SHA384,
        CKM_ECDSA_SHA512,
        CKM_EC_EDWARDS_KEY_PAIR_GEN,
        CKM_EDDSA,
        CKM_AES_KEY_GEN,
        CKM_AES_CBC_PAD,
        CKM_AES_GCM,
        CKM_AES_ECB,
        CKM_AES_CTR,
        CKM_AES_KEY_WRAP,
        CKM_AES_KEY_WRAP_KWP,
        CKM_ECDH1_DERIVE,
        CKM_GENERIC_SECRET_KEY_GEN,
        CKM_SHA_1_HMAC,
        CKM_SHA256_HMAC,
        CKM_SHA384_HMAC,
        CKM_SHA512_HMAC,
    )
}
