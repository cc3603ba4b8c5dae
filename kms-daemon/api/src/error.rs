//! Stable error codes: the one error vocabulary between kmsd and the module, and everything each
//! code means on both sides, stated once in [`ERRORS`]: its wire string, the HTTP status kmsd
//! answers with, the `ulDeviceError` number the module reports (`KMS_DEVICE_ERROR_*` in
//! `include/kms_pkcs11.h`), and the `CK_RV` an application sees.
//!
//! kmsd picks the HTTP status from the code (never from message text); the module maps the code
//! to a `CK_RV` from this table. Codes never change meaning and device-error numbers are never
//! reused; a new code takes the next free number. The module treats an unknown code as a device
//! error.

use cryptoki_sys::*;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What one code means on each side.
#[derive(Clone, Copy, Debug)]
pub struct ErrorFacts {
    /// The code.
    pub code: ErrorCode,
    /// Its string on the wire (`pin_incorrect`) and in audit records.
    pub wire: &'static str,
    /// The HTTP status kmsd answers with.
    pub http_status: u16,
    /// `ulDeviceError` in `CK_SESSION_INFO` after a call on the session that kmsd refused with it.
    pub device_error: u64,
    /// The `CK_RV` the module returns for it.
    pub ck_rv: u64,
}

/// Declares [`ErrorCode`] and [`ERRORS`] from one list.
macro_rules! error_codes {
    ($(
        $(#[doc = $doc:expr])*
        $code:ident = ($wire:literal, $status:literal, $device:literal, $rv:ident);
    )*) => {
        /// A stable error code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $code, )*
        }

        /// Every code and what it means, in device-error order.
        pub const ERRORS: &[ErrorFacts] = &[
            $( ErrorFacts {
                code: ErrorCode::$code,
                wire: $wire,
                http_status: $status,
                device_error: $device,
                ck_rv: $rv as u64,
            }, )*
        ];
    };
}

error_codes! {
    /// The request was malformed (JSON, sizes, counts).
    BadRequest = ("bad_request", 400, 1, CKR_ARGUMENTS_BAD);
    /// No valid client certificate, or the login session is unknown or expired.
    Unauthenticated = ("unauthenticated", 401, 2, CKR_USER_NOT_LOGGED_IN);
    /// The operation needs a logged-in user.
    UserNotLoggedIn = ("user_not_logged_in", 401, 3, CKR_USER_NOT_LOGGED_IN);
    /// Wrong PIN.
    PinIncorrect = ("pin_incorrect", 401, 4, CKR_PIN_INCORRECT);
    /// The PIN is locked after too many failures.
    PinLocked = ("pin_locked", 423, 5, CKR_PIN_LOCKED);
    /// PIN length outside the token's range ([`crate::MIN_PIN_LEN`]..=[`crate::MAX_PIN_LEN`]).
    PinLenRange = ("pin_len_range", 400, 6, CKR_PIN_LEN_RANGE);
    /// The user type is not accepted on this path (e.g. SO without an admin certificate).
    UserTypeInvalid = ("user_type_invalid", 403, 7, CKR_USER_TYPE_INVALID);
    /// The user PIN was never set.
    UserPinNotInitialized = ("user_pin_not_initialized", 409, 8, CKR_USER_PIN_NOT_INITIALIZED);
    /// No such token for this client.
    TokenNotFound = ("token_not_found", 404, 9, CKR_TOKEN_NOT_PRESENT);
    /// No such object, or not visible to this caller.
    ObjectNotFound = ("object_not_found", 404, 10, CKR_OBJECT_HANDLE_INVALID);
    /// The key does not allow this operation (usage flag, policy: usage count, principal).
    KeyFunctionNotPermitted = ("key_function_not_permitted", 403, 11, CKR_KEY_FUNCTION_NOT_PERMITTED);
    /// The key type does not fit the mechanism.
    KeyTypeInconsistent = ("key_type_inconsistent", 400, 12, CKR_KEY_TYPE_INCONSISTENT);
    /// The key size is not supported.
    KeySizeRange = ("key_size_range", 400, 13, CKR_KEY_SIZE_RANGE);
    /// Unknown, disabled or not-allowed mechanism.
    MechanismInvalid = ("mechanism_invalid", 400, 14, CKR_MECHANISM_INVALID);
    /// A mechanism parameter is malformed or not supported.
    MechanismParamInvalid = ("mechanism_param_invalid", 400, 15, CKR_MECHANISM_PARAM_INVALID);
    /// Unknown attribute type.
    AttributeTypeInvalid = ("attribute_type_invalid", 400, 16, CKR_ATTRIBUTE_TYPE_INVALID);
    /// Invalid attribute value.
    AttributeValueInvalid = ("attribute_value_invalid", 400, 17, CKR_ATTRIBUTE_VALUE_INVALID);
    /// Attribute cannot be set or changed.
    AttributeReadOnly = ("attribute_read_only", 403, 18, CKR_ATTRIBUTE_READ_ONLY);
    /// The attribute may not be revealed.
    AttributeSensitive = ("attribute_sensitive", 403, 19, CKR_ATTRIBUTE_SENSITIVE);
    /// A required attribute is missing.
    TemplateIncomplete = ("template_incomplete", 400, 20, CKR_TEMPLATE_INCOMPLETE);
    /// The template contradicts itself or the policy.
    TemplateInconsistent = ("template_inconsistent", 400, 21, CKR_TEMPLATE_INCONSISTENT);
    /// The action is prohibited on this object (not modifiable, destroyable or copyable).
    ActionProhibited = ("action_prohibited", 403, 22, CKR_ACTION_PROHIBITED);
    /// Input data length is wrong for the mechanism.
    DataLenRange = ("data_len_range", 400, 23, CKR_DATA_LEN_RANGE);
    /// Input data is invalid for the mechanism.
    DataInvalid = ("data_invalid", 400, 24, CKR_DATA_INVALID);
    /// Ciphertext is invalid (uniform, no detail).
    EncryptedDataInvalid = ("encrypted_data_invalid", 400, 25, CKR_ENCRYPTED_DATA_INVALID);
    /// Ciphertext length is wrong (a public fact).
    EncryptedDataLenRange = ("encrypted_data_len_range", 400, 26, CKR_ENCRYPTED_DATA_LEN_RANGE);
    /// A MAC verified in kmsd did not match.
    SignatureInvalid = ("signature_invalid", 400, 27, CKR_SIGNATURE_INVALID);
    /// A MAC to verify has the wrong length.
    SignatureLenRange = ("signature_len_range", 400, 28, CKR_SIGNATURE_LEN_RANGE);
    /// The key cannot be revealed or wrapped.
    KeyUnextractable = ("key_unextractable", 403, 29, CKR_KEY_UNEXTRACTABLE);
    /// Too many requests in flight for this client identity (`[limits]
    /// max_inflight_per_identity`): refused before any work, with `Retry-After`. For the module
    /// `CKR_FUNCTION_FAILED`: legal for every function and "not necessarily hopeless";
    /// `ulDeviceError` says why.
    TooManyRequests = ("too_many_requests", 429, 30, CKR_FUNCTION_FAILED);
    /// kmsd is sealed: no key can be used.
    Sealed = ("sealed", 503, 31, CKR_DEVICE_ERROR);
    /// A stored object failed its integrity check; it is not used.
    IntegrityFailure = ("integrity_failure", 500, 32, CKR_DEVICE_ERROR);
    /// Anything else; details only in kmsd's log.
    Internal = ("internal", 500, 33, CKR_DEVICE_ERROR);
    /// The key's life-cycle state forbids this operation: pre-active (before its activation date
    /// or never activated), or deactivated/compromised for an operation that protects new data
    /// (sign, encrypt, wrap, derive).
    KeyNotActive = ("key_not_active", 403, 34, CKR_KEY_FUNCTION_NOT_PERMITTED);
    /// The audit record of the operation could not be written, so the operation did not happen
    /// ("no audit, no operation").
    AuditUnavailable = ("audit_unavailable", 503, 35, CKR_DEVICE_ERROR);
    /// The `Idempotency-Key` of this creation was already used by this client for a different
    /// request (another route, body or login session). The module makes a fresh key per call,
    /// so for it the call could not be done: `CKR_FUNCTION_FAILED`.
    IdempotencyConflict = ("idempotency_conflict", 409, 36, CKR_FUNCTION_FAILED);
    /// `CKA_EC_PARAMS` names a curve (a well-formed OID) this token does not offer.
    CurveNotSupported = ("curve_not_supported", 400, 37, CKR_CURVE_NOT_SUPPORTED);
    /// The client identity already holds `[limits] max_sessions_per_identity` live login
    /// sessions: the login is refused (the PIN is not checked, its failure counter untouched).
    /// Only `C_Login` meets it, and it may not return `CKR_SESSION_COUNT`: the nearest code it
    /// may return is `CKR_DEVICE_MEMORY` (no room on the token for another login).
    SessionLimit = ("session_limit", 429, 38, CKR_DEVICE_MEMORY);
    /// `C_InitToken` while a login session of any identity is open on the token: every
    /// session must end first (PKCS#11's `CKR_SESSION_EXISTS`).
    SessionExists = ("session_exists", 409, 39, CKR_SESSION_EXISTS);
    /// The request's headers or body did not arrive within `[limits]
    /// request_header_timeout_secs` / `request_body_timeout_secs`; the request was not acted
    /// on. For the module a transport failure: `CKR_DEVICE_ERROR`.
    RequestTimeout = ("request_timeout", 408, 40, CKR_DEVICE_ERROR);
    /// A later part of a streamed operation (`PartRequest`) whose ticket this kmsd does not
    /// know: issued by another kmsd process (a restart, another replica), lapsed after
    /// [`crate::msg::STREAM_IDLE_SECS`] idle, or not kmsd's. The operation cannot go on; the
    /// module ends it with `CKR_DEVICE_ERROR`.
    OperationUnknown = ("operation_unknown", 410, 41, CKR_DEVICE_ERROR);
    /// The client identity already has `[limits] max_session_objects_per_identity` session
    /// objects on the token: no more are made until some are destroyed (or their sessions
    /// close). `CKR_DEVICE_MEMORY`: no room on the token for the object.
    ObjectLimit = ("object_limit", 429, 42, CKR_DEVICE_MEMORY);
}

/// `ulDeviceError` when the module got no answer from kmsd it could use: unreachable, TLS
/// refused, timed out, or a malformed answer.
pub const DEVICE_ERROR_TRANSPORT: u64 = 0x100;

impl ErrorCode {
    /// What this code means.
    pub fn facts(self) -> &'static ErrorFacts {
        // `error_codes!` declares the variants and the rows in one order.
        &ERRORS[self as usize]
    }

    /// The string on the wire (`pin_incorrect` …).
    pub fn wire(self) -> &'static str {
        self.facts().wire
    }

    /// The code of a wire string.
    pub fn from_wire(s: &str) -> Option<ErrorCode> {
        ERRORS.iter().find(|f| f.wire == s).map(|f| f.code)
    }

    /// The HTTP status kmsd answers with for this code.
    pub fn http_status(self) -> u16 {
        self.facts().http_status
    }

    /// This code's `ulDeviceError` number.
    pub fn device_error(self) -> u64 {
        self.facts().device_error
    }

    /// The `CK_RV` of this code.
    pub fn ck_rv(self) -> u64 {
        self.facts().ck_rv
    }

    /// The C name of this code's device-error number (`KMS_DEVICE_ERROR_PIN_INCORRECT`).
    pub fn device_error_name(self) -> String {
        format!("KMS_DEVICE_ERROR_{}", self.wire().to_uppercase())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.wire())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ErrorCode, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        ErrorCode::from_wire(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown error code {s:?}")))
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
    fn device_error_numbers_and_wire_strings_are_unique() {
        for (i, f) in ERRORS.iter().enumerate() {
            assert_eq!(
                f.device_error,
                i as u64 + 1,
                "numbered in order, none reused"
            );
            assert!(f.device_error < DEVICE_ERROR_TRANSPORT);
            assert!(ERRORS[i + 1..]
                .iter()
                .all(|o| o.code != f.code && o.wire != f.wire));
            assert_eq!(f.code as usize, i);
            assert_eq!(f.code.facts().wire, f.wire);
            let json = serde_json::to_string(&f.code).unwrap();
            assert_eq!(json, format!("\"{}\"", f.wire));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), f.code);
            assert!(f.wire.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
        assert!(serde_json::from_str::<ErrorCode>("\"no_such_code\"").is_err());
        assert_eq!(
            ErrorCode::SessionLimit.device_error_name(),
            "KMS_DEVICE_ERROR_SESSION_LIMIT"
        );
    }
}
