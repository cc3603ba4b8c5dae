//! The module's one error type and its one mapping to `CK_RV`.
//!
//! Local checks produce [`Error::Ck`] with the code the specification names. Failures reported
//! by kmsd arrive as [`Error::Daemon`] with a stable [`ErrorCode`], whose `CK_RV` the contract's
//! error table gives ([`kms_api::error::ERRORS`]). Anything that stops the module from getting an answer (network, TLS, a
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
            Error::Daemon(code) => code.ck_rv() as CK_RV,
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

/// A parameter kms-api's checks refuse (the ones kmsd runs) is `CKR_MECHANISM_PARAM_INVALID`.
impl From<kms_api::mech::params::ParamError> for Error {
    fn from(_: kms_api::mech::params::ParamError) -> Self {
        Error::Ck(CKR_MECHANISM_PARAM_INVALID)
    }
}

impl From<CK_RV> for Error {
    fn from(rv: CK_RV) -> Self {
        Error::Ck(rv)
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
