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
    /// The key does not allow this operation (usage flag, policy, state). 403.
    KeyFunctionNotPermitted,
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
    /// Too many sessions or requests for this identity. 429.
    TooManyRequests,
    /// kmsd is sealed: no key can be used. 503.
    Sealed,
    /// A stored object failed its integrity check; it is not used. 500.
    IntegrityFailure,
    /// Anything else; details only in kmsd's log. 500.
    Internal,
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
            | SignatureLenRange => 400,
            Unauthenticated | UserNotLoggedIn | PinIncorrect => 401,
            UserTypeInvalid
            | KeyFunctionNotPermitted
            | AttributeReadOnly
            | AttributeSensitive
            | ActionProhibited
            | KeyUnextractable => 403,
            TokenNotFound | ObjectNotFound => 404,
            UserPinNotInitialized => 409,
            PinLocked => 423,
            TooManyRequests => 429,
            IntegrityFailure | Internal => 500,
            Sealed => 503,
        }
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
