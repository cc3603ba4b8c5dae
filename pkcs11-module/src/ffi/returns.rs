//! The return values PKCS#11 v3.0 (§5.8–§5.11) lists for the functions that use a key after its
//! `*Init`: encryption, decryption, signing and verification, single-part and multi-part.
//!
//! The module decides at `*Init` what it can (mechanism, key type, usage attributes, parameters,
//! the key's life-cycle state as last seen); kmsd still decides at use (a key deactivated,
//! destroyed or used up since, a principal list, a usage limit), and its refusal codes
//! (`CKR_KEY_FUNCTION_NOT_PERMITTED`, `CKR_KEY_HANDLE_INVALID` …) are not on these functions'
//! lists. Such a code leaves the call as `CKR_FUNCTION_FAILED`, which every function may return
//! and whose detail the spec puts in `C_GetSessionInfo().ulDeviceError` — where kmsd's code is
//! (`KMS_DEVICE_ERROR_*`); the log line keeps the original code and its cause.

use cryptoki_sys::*;

/// What every one of these functions may return (`CKR_FUNCTION_NOT_SUPPORTED` as §5.1.6
/// describes it: `C_SignUpdate` on a single-part mechanism, for one).
const COMMON: &[CK_RV] = &[
    CKR_OK,
    CKR_ARGUMENTS_BAD,
    CKR_CRYPTOKI_NOT_INITIALIZED,
    CKR_DEVICE_ERROR,
    CKR_DEVICE_MEMORY,
    CKR_DEVICE_REMOVED,
    CKR_FUNCTION_CANCELED,
    CKR_FUNCTION_FAILED,
    CKR_FUNCTION_NOT_SUPPORTED,
    CKR_GENERAL_ERROR,
    CKR_HOST_MEMORY,
    CKR_OPERATION_NOT_INITIALIZED,
    CKR_SESSION_CLOSED,
    CKR_SESSION_HANDLE_INVALID,
];

/// Each function's codes beyond [`COMMON`], and whether it is a single-part call — which,
/// after `*Update` started a multi-part operation, is `CKR_OPERATION_ACTIVE` (as SoftHSM2
/// answers too).
const LISTS: &[(&str, bool, &[CK_RV])] = &[
    ("C_Encrypt", true, ENCRYPT),
    ("C_EncryptUpdate", false, ENCRYPT_PART),
    ("C_EncryptFinal", false, ENCRYPT_PART),
    ("C_Decrypt", true, DECRYPT),
    ("C_DecryptUpdate", false, DECRYPT),
    ("C_DecryptFinal", false, DECRYPT),
    ("C_Sign", true, SIGN),
    ("C_SignUpdate", false, SIGN_UPDATE),
    ("C_SignFinal", false, SIGN),
    ("C_Verify", true, VERIFY),
    ("C_VerifyUpdate", false, &[CKR_DATA_LEN_RANGE]),
    ("C_VerifyFinal", false, VERIFY_FINAL),
];

const ENCRYPT: &[CK_RV] = &[CKR_BUFFER_TOO_SMALL, CKR_DATA_INVALID, CKR_DATA_LEN_RANGE];
const ENCRYPT_PART: &[CK_RV] = &[CKR_BUFFER_TOO_SMALL, CKR_DATA_LEN_RANGE];
const DECRYPT: &[CK_RV] = &[
    CKR_BUFFER_TOO_SMALL,
    CKR_ENCRYPTED_DATA_INVALID,
    CKR_ENCRYPTED_DATA_LEN_RANGE,
    CKR_USER_NOT_LOGGED_IN,
];
const SIGN: &[CK_RV] = &[
    CKR_BUFFER_TOO_SMALL,
    CKR_DATA_INVALID,
    CKR_DATA_LEN_RANGE,
    CKR_USER_NOT_LOGGED_IN,
    CKR_FUNCTION_REJECTED,
];
const SIGN_UPDATE: &[CK_RV] = &[CKR_DATA_LEN_RANGE, CKR_USER_NOT_LOGGED_IN];
const VERIFY: &[CK_RV] = &[
    CKR_DATA_INVALID,
    CKR_DATA_LEN_RANGE,
    CKR_SIGNATURE_INVALID,
    CKR_SIGNATURE_LEN_RANGE,
];
const VERIFY_FINAL: &[CK_RV] = &[
    CKR_DATA_LEN_RANGE,
    CKR_SIGNATURE_INVALID,
    CKR_SIGNATURE_LEN_RANGE,
];

/// `rv` as function `name` may return it: a code off the function's list becomes
/// `CKR_FUNCTION_FAILED`; functions without a list here return what they return.
pub(crate) fn within_spec(name: &str, rv: CK_RV) -> CK_RV {
    let Some((_, single_part, own)) = LISTS.iter().find(|(f, _, _)| *f == name) else {
        return rv;
    };
    let listed =
        COMMON.contains(&rv) || own.contains(&rv) || (*single_part && rv == CKR_OPERATION_ACTIVE);
    if listed {
        rv
    } else {
        CKR_FUNCTION_FAILED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_off_the_list_becomes_function_failed() {
        assert_eq!(
            within_spec("C_Encrypt", CKR_KEY_FUNCTION_NOT_PERMITTED),
            CKR_FUNCTION_FAILED
        );
        assert_eq!(
            within_spec("C_Sign", CKR_KEY_HANDLE_INVALID),
            CKR_FUNCTION_FAILED
        );
        assert_eq!(
            within_spec("C_VerifyUpdate", CKR_SIGNATURE_INVALID),
            CKR_FUNCTION_FAILED
        );
        assert_eq!(
            within_spec("C_Decrypt", CKR_ENCRYPTED_DATA_INVALID),
            CKR_ENCRYPTED_DATA_INVALID
        );
        assert_eq!(
            within_spec("C_Sign", CKR_USER_NOT_LOGGED_IN),
            CKR_USER_NOT_LOGGED_IN
        );
        assert_eq!(
            within_spec("C_Encrypt", CKR_BUFFER_TOO_SMALL),
            CKR_BUFFER_TOO_SMALL
        );
        // *Init may refuse a key: no list here.
        assert_eq!(
            within_spec("C_EncryptInit", CKR_KEY_FUNCTION_NOT_PERMITTED),
            CKR_KEY_FUNCTION_NOT_PERMITTED
        );
    }
}
