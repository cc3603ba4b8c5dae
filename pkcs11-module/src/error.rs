//! The module's one error type and its one mapping to `CK_RV`.
//!
//! Local checks produce [`Error::Ck`] with the code the specification names. Failures reported
//! by kmsd arrive as [`Error::Daemon`] with a stable [`ErrorCode`] and are mapped in
//! [`Error::rv`]. Anything that stops the module from getting an answer (network, TLS, a
//! malformed response) is [`Error::Device`] and becomes `CKR_DEVICE_ERROR`.

use cryptoki_sys::*;
use kms_api::ErrorCode;

/// Result with the module's error.
pub type Result<T> = std::result::Result<T, Error>;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A PKCS#11 return code decided locally.
    Ck(CK_RV),
    /// kmsd refused the request with this stable code.
    Daemon(ErrorCode),
    /// kmsd could not be reached or answered nonsense; the text is for logs (no secrets).
    Device(String),
}

impl Error {
    /// The `CK_RV` an application sees.
    pub fn rv(&self) -> CK_RV {
        match self {
            Error::Ck(rv) => *rv,
            Error::Device(_) => CKR_DEVICE_ERROR,
            Error::Daemon(code) => daemon_rv(*code),
        }
    }

    /// What `ulDeviceError` reports after this failure: kmsd's code as a number
    /// (`KMS_DEVICE_ERROR_*`), the transport number when kmsd gave no usable answer, 0 when the
    /// module decided alone.
    pub fn device_error(&self) -> CK_ULONG {
        match self {
            Error::Ck(_) => 0,
            Error::Daemon(code) => code.device_error() as CK_ULONG,
            Error::Device(_) => kms_api::error::DEVICE_ERROR_TRANSPORT as CK_ULONG,
        }
    }

    /// Inside `*Init` and key operations a vanished object is a bad *key* handle
    /// (PKCS#11 v3.0 §5.1.8: `CKR_KEY_HANDLE_INVALID`, not `CKR_OBJECT_HANDLE_INVALID`).
    pub fn for_key(self) -> Error {
        if self.rv() == CKR_OBJECT_HANDLE_INVALID {
            Error::Ck(CKR_KEY_HANDLE_INVALID)
        } else {
            self
        }
    }
}

/// Where a key handle or key bytes appear in `C_WrapKey`/`C_UnwrapKey`: the specification has a
/// code of its own for each role (PKCS#11 v3.0 §5.18.3–4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrapRole {
    /// The wrapping key of `C_WrapKey`.
    Wrapping,
    /// The unwrapping key of `C_UnwrapKey`, and the wrapped bytes.
    Unwrapping,
}

impl Error {
    /// The code for this error when it concerns the key in `role`.
    pub fn in_role(self, role: WrapRole) -> Error {
        let rv = match (role, self.rv()) {
            (WrapRole::Wrapping, CKR_OBJECT_HANDLE_INVALID | CKR_KEY_HANDLE_INVALID) => {
                CKR_WRAPPING_KEY_HANDLE_INVALID
            }
            (WrapRole::Wrapping, CKR_KEY_TYPE_INCONSISTENT) => CKR_WRAPPING_KEY_TYPE_INCONSISTENT,
            (WrapRole::Wrapping, CKR_KEY_SIZE_RANGE) => CKR_WRAPPING_KEY_SIZE_RANGE,
            (WrapRole::Unwrapping, CKR_OBJECT_HANDLE_INVALID | CKR_KEY_HANDLE_INVALID) => {
                CKR_UNWRAPPING_KEY_HANDLE_INVALID
            }
            (WrapRole::Unwrapping, CKR_KEY_TYPE_INCONSISTENT) => {
                CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT
            }
            (WrapRole::Unwrapping, CKR_KEY_SIZE_RANGE) => CKR_UNWRAPPING_KEY_SIZE_RANGE,
            (WrapRole::Unwrapping, CKR_ENCRYPTED_DATA_INVALID | CKR_DATA_INVALID) => {
                CKR_WRAPPED_KEY_INVALID
            }
            (WrapRole::Unwrapping, CKR_ENCRYPTED_DATA_LEN_RANGE | CKR_DATA_LEN_RANGE) => {
                CKR_WRAPPED_KEY_LEN_RANGE
            }
            _ => return self,
        };
        Error::Ck(rv)
    }
}

impl From<CK_RV> for Error {
    fn from(rv: CK_RV) -> Self {
        Error::Ck(rv)
    }
}

fn daemon_rv(code: ErrorCode) -> CK_RV {
    use ErrorCode::*;
    match code {
        BadRequest => CKR_ARGUMENTS_BAD,
        Unauthenticated | UserNotLoggedIn => CKR_USER_NOT_LOGGED_IN,
        PinIncorrect => CKR_PIN_INCORRECT,
        PinLocked => CKR_PIN_LOCKED,
        PinLenRange => CKR_PIN_LEN_RANGE,
        UserTypeInvalid => CKR_USER_TYPE_INVALID,
        UserPinNotInitialized => CKR_USER_PIN_NOT_INITIALIZED,
        TokenNotFound => CKR_TOKEN_NOT_PRESENT,
        ObjectNotFound => CKR_OBJECT_HANDLE_INVALID,
        KeyFunctionNotPermitted | KeyNotActive => CKR_KEY_FUNCTION_NOT_PERMITTED,
        KeyTypeInconsistent => CKR_KEY_TYPE_INCONSISTENT,
        KeySizeRange => CKR_KEY_SIZE_RANGE,
        MechanismInvalid => CKR_MECHANISM_INVALID,
        MechanismParamInvalid => CKR_MECHANISM_PARAM_INVALID,
        AttributeTypeInvalid => CKR_ATTRIBUTE_TYPE_INVALID,
        AttributeValueInvalid => CKR_ATTRIBUTE_VALUE_INVALID,
        AttributeReadOnly => CKR_ATTRIBUTE_READ_ONLY,
        AttributeSensitive => CKR_ATTRIBUTE_SENSITIVE,
        TemplateIncomplete => CKR_TEMPLATE_INCOMPLETE,
        TemplateInconsistent => CKR_TEMPLATE_INCONSISTENT,
        ActionProhibited => CKR_ACTION_PROHIBITED,
        DataLenRange => CKR_DATA_LEN_RANGE,
        DataInvalid => CKR_DATA_INVALID,
        EncryptedDataInvalid => CKR_ENCRYPTED_DATA_INVALID,
        EncryptedDataLenRange => CKR_ENCRYPTED_DATA_LEN_RANGE,
        KeyUnextractable => CKR_KEY_UNEXTRACTABLE,
        SignatureInvalid => CKR_SIGNATURE_INVALID,
        SignatureLenRange => CKR_SIGNATURE_LEN_RANGE,
        // The module makes a fresh key per call: a conflict means the call could not be done,
        // and ulDeviceError says why (KMS_DEVICE_ERROR_IDEMPOTENCY_CONFLICT).
        IdempotencyConflict => CKR_FUNCTION_FAILED,
        CurveNotSupported => CKR_CURVE_NOT_SUPPORTED,
        // Transient (too many requests in flight for this identity): CKR_FUNCTION_FAILED is
        // legal for every function, and "not necessarily hopeless"; ulDeviceError says why.
        TooManyRequests => CKR_FUNCTION_FAILED,
        // Only C_Login meets it, and C_Login may not return CKR_SESSION_COUNT: the nearest
        // code it may return is CKR_DEVICE_MEMORY (no room on the token for another login).
        SessionLimit => CKR_DEVICE_MEMORY,
        Sealed | IntegrityFailure | Internal | AuditUnavailable => CKR_DEVICE_ERROR,
        // A code newer than this module: the daemon refused, but we cannot say more.
        _ => CKR_DEVICE_ERROR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_is_by_variant() {
        assert_eq!(Error::Daemon(ErrorCode::PinLocked).rv(), CKR_PIN_LOCKED);
        assert_eq!(
            Error::Daemon(ErrorCode::Unauthenticated).rv(),
            CKR_USER_NOT_LOGGED_IN
        );
        assert_eq!(Error::Device("refused".into()).rv(), CKR_DEVICE_ERROR);
        let busy = Error::Daemon(ErrorCode::TooManyRequests);
        assert_eq!((busy.rv(), busy.device_error()), (CKR_FUNCTION_FAILED, 30));
        let full = Error::Daemon(ErrorCode::SessionLimit);
        assert_eq!((full.rv(), full.device_error()), (CKR_DEVICE_MEMORY, 38));
        assert_eq!(
            Error::Daemon(ErrorCode::ObjectNotFound).for_key().rv(),
            CKR_KEY_HANDLE_INVALID
        );
        assert_eq!(
            Error::Ck(CKR_PIN_INCORRECT).for_key().rv(),
            CKR_PIN_INCORRECT
        );
    }
}
