//! Stable error codes: the one error vocabulary between kmsd and the module.
//!
//! kmsd picks the HTTP status from the code (never from message text); the module maps the code
//! to a `CK_RV` in exactly one place. Codes are `snake_case` strings on the wire and never change
//! meaning; new ones may be added (the module treats an unknown code as a device error).

use serde::{Deserialize, Serialize};

/// A stable error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The request was malformed (JSON, sizes, counts). 400.
    BadRequest,
    /// No valid client certificate, or the login session is unknown/expired. 401.
    Unauthenticated,
    /// The operation needs a logged-in user. 401.
    UserNotLoggedIn,
    /// Wrong PIN. 401.
    PinIncorrect,
    /// The PIN is locked after too many failures. 423.
    PinLocked,
    /// PIN length outside the token's range. 400.
    PinLenRange,
    /// The user type is not accepted on this path (e.g. SO without an admin certificate). 403.
    UserTypeInvalid,
    /// The user PIN was never set. 409.
    UserPinNotInitialized,
    /// No such token for this client. 404.
    TokenNotFound,
    /// No such object, or not visible to this caller. 404.
    ObjectNotFound,
    /// The key does not allow this operation (usage flag, policy: usage count, principal). 403.
    KeyFunctionNotPermitted,
    /// The key's life-cycle state forbids this operation: pre-active (before its activation date
    /// or never activated), or deactivated/compromised for an operation that protects new data
    /// (sign, encrypt, wrap, derive). 403; the module maps it to
    /// `CKR_KEY_FUNCTION_NOT_PERMITTED`.
    KeyNotActive,
    /// The key type does not fit the mechanism. 400.
    KeyTypeInconsistent,
    /// The key size is not supported. 400.
    KeySizeRange,
    /// Unknown, disabled or not-allowed mechanism. 400.
    MechanismInvalid,
    /// A mechanism parameter is malformed. 400.
    MechanismParamInvalid,
    /// Unknown attribute type. 400.
    AttributeTypeInvalid,
    /// Invalid attribute value. 400.
    AttributeValueInvalid,
    /// Attribute cannot be set or changed. 403.
    AttributeReadOnly,
    /// The attribute may not be revealed. 403.
    AttributeSensitive,
    /// A required attribute is missing. 400.
    TemplateIncomplete,
    /// The template contradicts itself or the policy. 400.
    TemplateInconsistent,
    /// The action is prohibited on this object (not modifiable/destroyable/copyable). 403.
    ActionProhibited,
    /// Input data length is wrong for the mechanism. 400.
    DataLenRange,
    /// Input data is invalid for the mechanism. 400.
    DataInvalid,
    /// Ciphertext is invalid (uniform, no detail). 400.
    EncryptedDataInvalid,
    /// Ciphertext length is wrong (a public fact). 400.
    EncryptedDataLenRange,
    /// A MAC verified in kmsd did not match (`CKR_SIGNATURE_INVALID`).
    SignatureInvalid,
    /// A MAC to verify has the wrong length (`CKR_SIGNATURE_LEN_RANGE`).
    SignatureLenRange,
    /// The key cannot be revealed or wrapped. 403.
    KeyUnextractable,
    /// Too many requests in flight for this client identity (`[limits]
    /// max_inflight_per_identity`): refused before any work, with `Retry-After`. 429; the module
    /// maps it to `CKR_FUNCTION_FAILED` (legal for every function) with `ulDeviceError` set.
    TooManyRequests,
    /// The client identity already holds `[limits] max_sessions_per_identity` live login
    /// sessions: the login is refused (the PIN is not checked, its failure counter untouched).
    /// 429; the module maps it to `CKR_DEVICE_MEMORY`, the code `C_Login` may return that is
    /// nearest to `CKR_SESSION_COUNT` (which `C_Login` may not return).
    SessionLimit,
    /// kmsd is sealed: no key can be used. 503.
    Sealed,
    /// A stored object failed its integrity check; it is not used. 500.
    IntegrityFailure,
    /// Anything else; details only in kmsd's log. 500.
    Internal,
    /// The audit record of the operation could not be written, so the operation did not happen
    /// ("no audit, no operation"). 503; the module maps it to `CKR_DEVICE_ERROR`.
    AuditUnavailable,
    /// The `Idempotency-Key` of this creation was already used by this client for a different
    /// request (another route, body or login session). 409; the module, which makes a fresh key
    /// per call, maps it to `CKR_FUNCTION_FAILED`.
    IdempotencyConflict,
    /// `CKA_EC_PARAMS` names a curve (a well-formed OID) this token does not offer. 400;
    /// `CKR_CURVE_NOT_SUPPORTED`.
    CurveNotSupported,
}

impl ErrorCode {
    /// The HTTP status kmsd answers with for this code.
    pub fn http_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            BadRequest
            | PinLenRange
            | KeyTypeInconsistent
            | KeySizeRange
            | MechanismInvalid
            | MechanismParamInvalid
            | AttributeTypeInvalid
            | AttributeValueInvalid
            | TemplateIncomplete
            | TemplateInconsistent
            | DataLenRange
            | DataInvalid
            | EncryptedDataInvalid
            | EncryptedDataLenRange
            | SignatureInvalid
            | SignatureLenRange
            | CurveNotSupported => 400,
            Unauthenticated | UserNotLoggedIn | PinIncorrect => 401,
            UserTypeInvalid
            | KeyFunctionNotPermitted
            | KeyNotActive
            | AttributeReadOnly
            | AttributeSensitive
            | ActionProhibited
            | KeyUnextractable => 403,
            TokenNotFound | ObjectNotFound => 404,
            UserPinNotInitialized | IdempotencyConflict => 409,
            PinLocked => 423,
            TooManyRequests | SessionLimit => 429,
            IntegrityFailure | Internal => 500,
            Sealed | AuditUnavailable => 503,
        }
    }
}

/// `ulDeviceError` in `CK_SESSION_INFO` after a call on the session that kmsd refused: a stable
/// number per code, declared as `KMS_DEVICE_ERROR_*` in `include/kms_pkcs11.h`. A number is never
/// reused; a new code takes the next free one.
pub const DEVICE_ERRORS: &[(ErrorCode, u64, &str)] = &[
    (ErrorCode::BadRequest, 1, "KMS_DEVICE_ERROR_BAD_REQUEST"),
    (
        ErrorCode::Unauthenticated,
        2,
        "KMS_DEVICE_ERROR_UNAUTHENTICATED",
    ),
    (
        ErrorCode::UserNotLoggedIn,
        3,
        "KMS_DEVICE_ERROR_USER_NOT_LOGGED_IN",
    ),
    (ErrorCode::PinIncorrect, 4, "KMS_DEVICE_ERROR_PIN_INCORRECT"),
    (ErrorCode::PinLocked, 5, "KMS_DEVICE_ERROR_PIN_LOCKED"),
    (ErrorCode::PinLenRange, 6, "KMS_DEVICE_ERROR_PIN_LEN_RANGE"),
    (
        ErrorCode::UserTypeInvalid,
        7,
        "KMS_DEVICE_ERROR_USER_TYPE_INVALID",
    ),
    (
        ErrorCode::UserPinNotInitialized,
        8,
        "KMS_DEVICE_ERROR_USER_PIN_NOT_INITIALIZED",
    ),
    (
        ErrorCode::TokenNotFound,
        9,
        "KMS_DEVICE_ERROR_TOKEN_NOT_FOUND",
    ),
    (
        ErrorCode::ObjectNotFound,
        10,
        "KMS_DEVICE_ERROR_OBJECT_NOT_FOUND",
    ),
    (
        ErrorCode::KeyFunctionNotPermitted,
        11,
        "KMS_DEVICE_ERROR_KEY_FUNCTION_NOT_PERMITTED",
    ),
    (
        ErrorCode::KeyTypeInconsistent,
        12,
        "KMS_DEVICE_ERROR_KEY_TYPE_INCONSISTENT",
    ),
    (
        ErrorCode::KeySizeRange,
        13,
        "KMS_DEVICE_ERROR_KEY_SIZE_RANGE",
    ),
    (
        ErrorCode::MechanismInvalid,
        14,
        "KMS_DEVICE_ERROR_MECHANISM_INVALID",
    ),
    (
        ErrorCode::MechanismParamInvalid,
        15,
        "KMS_DEVICE_ERROR_MECHANISM_PARAM_INVALID",
    ),
    (
        ErrorCode::AttributeTypeInvalid,
        16,
        "KMS_DEVICE_ERROR_ATTRIBUTE_TYPE_INVALID",
    ),
    (
        ErrorCode::AttributeValueInvalid,
        17,
        "KMS_DEVICE_ERROR_ATTRIBUTE_VALUE_INVALID",
    ),
    (
        ErrorCode::AttributeReadOnly,
        18,
        "KMS_DEVICE_ERROR_ATTRIBUTE_READ_ONLY",
    ),
    (
        ErrorCode::AttributeSensitive,
        19,
        "KMS_DEVICE_ERROR_ATTRIBUTE_SENSITIVE",
    ),
    (
        ErrorCode::TemplateIncomplete,
        20,
        "KMS_DEVICE_ERROR_TEMPLATE_INCOMPLETE",
    ),
    (
        ErrorCode::TemplateInconsistent,
        21,
        "KMS_DEVICE_ERROR_TEMPLATE_INCONSISTENT",
    ),
    (
        ErrorCode::ActionProhibited,
        22,
        "KMS_DEVICE_ERROR_ACTION_PROHIBITED",
    ),
    (
        ErrorCode::DataLenRange,
        23,
        "KMS_DEVICE_ERROR_DATA_LEN_RANGE",
    ),
    (ErrorCode::DataInvalid, 24, "KMS_DEVICE_ERROR_DATA_INVALID"),
    (
        ErrorCode::EncryptedDataInvalid,
        25,
        "KMS_DEVICE_ERROR_ENCRYPTED_DATA_INVALID",
    ),
    (
        ErrorCode::EncryptedDataLenRange,
        26,
        "KMS_DEVICE_ERROR_ENCRYPTED_DATA_LEN_RANGE",
    ),
    (
        ErrorCode::SignatureInvalid,
        27,
        "KMS_DEVICE_ERROR_SIGNATURE_INVALID",
    ),
    (
        ErrorCode::SignatureLenRange,
        28,
        "KMS_DEVICE_ERROR_SIGNATURE_LEN_RANGE",
    ),
    (
        ErrorCode::KeyUnextractable,
        29,
        "KMS_DEVICE_ERROR_KEY_UNEXTRACTABLE",
    ),
    (
        ErrorCode::TooManyRequests,
        30,
        "KMS_DEVICE_ERROR_TOO_MANY_REQUESTS",
    ),
    (ErrorCode::Sealed, 31, "KMS_DEVICE_ERROR_SEALED"),
    (
        ErrorCode::IntegrityFailure,
        32,
        "KMS_DEVICE_ERROR_INTEGRITY_FAILURE",
    ),
    (ErrorCode::Internal, 33, "KMS_DEVICE_ERROR_INTERNAL"),
    (
        ErrorCode::KeyNotActive,
        34,
        "KMS_DEVICE_ERROR_KEY_NOT_ACTIVE",
    ),
    (
        ErrorCode::AuditUnavailable,
        35,
        "KMS_DEVICE_ERROR_AUDIT_UNAVAILABLE",
    ),
    (
        ErrorCode::IdempotencyConflict,
        36,
        "KMS_DEVICE_ERROR_IDEMPOTENCY_CONFLICT",
    ),
    (
        ErrorCode::CurveNotSupported,
        37,
        "KMS_DEVICE_ERROR_CURVE_NOT_SUPPORTED",
    ),
    (
        ErrorCode::SessionLimit,
        38,
        "KMS_DEVICE_ERROR_SESSION_LIMIT",
    ),
];

/// `ulDeviceError` when the module got no answer from kmsd it could use: unreachable, TLS
/// refused, timed out, or a malformed answer.
pub const DEVICE_ERROR_TRANSPORT: u64 = 0x100;

impl ErrorCode {
    /// This code's `ulDeviceError` number (see [`DEVICE_ERRORS`]).
    pub fn device_error(self) -> u64 {
        DEVICE_ERRORS
            .iter()
            .find(|(c, _, _)| *c == self)
            .map_or(DEVICE_ERROR_TRANSPORT, |(_, n, _)| *n)
    }
}

/// The body of every error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable code.
    pub code: ErrorCode,
    /// Human-readable explanation; never contains a secret. Generic for 5xx.
    pub message: String,
    /// The request id, also in kmsd's log and audit trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_error_numbers_are_unique_and_named_after_the_wire_code() {
        for (i, (code, n, name)) in DEVICE_ERRORS.iter().enumerate() {
            let wire = serde_json::to_value(code).unwrap();
            let wire = wire.as_str().unwrap().to_uppercase();
            assert_eq!(*name, format!("KMS_DEVICE_ERROR_{wire}"));
            assert!(*n > 0 && *n < DEVICE_ERROR_TRANSPORT);
            assert!(DEVICE_ERRORS[i + 1..]
                .iter()
                .all(|(c, m, _)| c != code && m != n));
            assert_eq!(code.device_error(), *n);
        }
    }
}
