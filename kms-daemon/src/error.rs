//! The daemon's one error type.
//!
//! Each variant names one failure; [`Error::code`] maps it to the stable wire code, and the HTTP
//! status follows from the code ([`ErrorCode::http_status`]) — never from message text. Messages
//! never contain a secret (PIN, key byte, plaintext, bearer token). For 5xx variants the message
//! goes only to kmsd's log; the client gets a generic text.

use kms_api::ErrorCode;

/// `Result` with the daemon's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every failure kmsd can report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed request: JSON, sizes, counts, a missing header.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The bearer session is unknown, expired, or belongs to another identity or token.
    #[error("login session unknown or expired")]
    Unauthenticated,
    /// The operation needs a user login on this token.
    #[error("user not logged in")]
    UserNotLoggedIn,
    /// Wrong PIN (the failure was counted).
    #[error("incorrect PIN")]
    PinIncorrect,
    /// Too many wrong PINs: the PIN is locked.
    #[error("PIN locked")]
    PinLocked,
    /// PIN length outside 4..=64 bytes.
    #[error("PIN length out of range")]
    PinLenRange,
    /// The user type is not allowed for this client.
    #[error("user type not allowed for this client")]
    UserTypeInvalid,
    /// The user PIN was never set.
    #[error("user PIN not initialized")]
    UserPinNotInitialized,
    /// No token with that label.
    #[error("token not found")]
    TokenNotFound,
    /// No such object, or it is not visible to the caller.
    #[error("object not found")]
    ObjectNotFound,
    /// The key's usage flags or allowed mechanisms forbid the operation.
    #[error("key function not permitted: {0}")]
    KeyFunctionNotPermitted(&'static str),
    /// The key's life-cycle state forbids the operation (pre-active, destroyed; deactivated or
    /// compromised for an operation that protects new data).
    #[error("key not active: {0}")]
    KeyNotActive(&'static str),
    /// The key's class or type does not fit the mechanism.
    #[error("key type inconsistent with the mechanism")]
    KeyTypeInconsistent,
    /// Unsupported key size.
    #[error("key size out of range: {0}")]
    KeySizeRange(String),
    /// Unknown mechanism, or not offered for this operation.
    #[error("mechanism 0x{0:08X} invalid for this operation")]
    MechanismInvalid(u64),
    /// A mechanism parameter is malformed or unsupported.
    #[error("mechanism parameter invalid: {0}")]
    MechanismParamInvalid(&'static str),
    /// Unknown attribute type, or one the object class does not have.
    #[error("attribute type 0x{0:08X} invalid")]
    AttributeTypeInvalid(u64),
    /// Attribute value of the wrong kind or out of range.
    #[error("attribute 0x{0:08X} has an invalid value")]
    AttributeValueInvalid(u64),
    /// `CKA_EC_PARAMS` is a well-formed curve OID this token does not offer.
    #[error("curve not supported")]
    CurveNotSupported,
    /// The attribute may not be given or changed.
    #[error("attribute 0x{0:08X} is read-only")]
    AttributeReadOnly(u64),
    /// A required attribute is missing.
    #[error("template incomplete: {0}")]
    TemplateIncomplete(String),
    /// The template contradicts itself, the mechanism or the policy.
    #[error("template inconsistent: {0}")]
    TemplateInconsistent(String),
    /// The object forbids the action (not modifiable, not destroyable).
    #[error("action prohibited: {0}")]
    ActionProhibited(&'static str),
    /// The key may not be wrapped: not extractable, or refused by the wrap policy (security R1,
    /// R7, R8; PKCS#11's `CKR_KEY_UNEXTRACTABLE` and `CKR_KEY_NOT_WRAPPABLE`).
    #[error("key cannot be wrapped: {0}")]
    KeyUnextractable(&'static str),
    /// Input length wrong for the mechanism.
    #[error("data length out of range")]
    DataLenRange,
    /// Input invalid for the mechanism.
    #[error("data invalid")]
    DataInvalid,
    /// A MAC did not verify.
    #[error("signature invalid")]
    SignatureInvalid,
    /// A MAC to verify has the wrong length.
    #[error("signature length out of range")]
    SignatureLenRange,
    /// Ciphertext invalid (uniform, no detail).
    #[error("encrypted data invalid")]
    EncryptedDataInvalid,
    /// Ciphertext length wrong (a public fact).
    #[error("encrypted data length out of range")]
    EncryptedDataLenRange,
    /// A stored row failed its integrity check; it is not used.
    #[error("integrity failure: {0}")]
    IntegrityFailure(String),
    /// kmsd is sealed: the master key has not been given yet (`kmsd unseal`); nothing can be
    /// sealed or opened.
    #[error("kmsd is sealed; unseal it with kmsd unseal")]
    Sealed,
    /// The caller's identity has `[limits] max_inflight_per_identity` requests in flight.
    #[error("too many requests in flight for this client identity; retry later")]
    TooManyRequests,
    /// The caller's identity holds `[limits] max_sessions_per_identity` live login sessions.
    #[error("too many login sessions for this client identity; log out of one first")]
    SessionLimit,
    /// The caller's identity has `[limits] max_session_objects_per_identity` session objects.
    #[error("too many session objects for this client identity; destroy some first")]
    ObjectLimit,
    /// `C_InitToken` while a login session is open on the token.
    #[error("a login session is open on the token; every session must end first")]
    SessionExists,
    /// The request's headers or body did not arrive in time; nothing was done.
    #[error("the request did not arrive in time")]
    RequestTimeout,
    /// A part of a streamed operation whose ticket this process did not issue, or that lapsed.
    #[error("unknown or lapsed streamed operation; start it again")]
    OperationUnknown,
    /// Store failure (SQLite).
    #[error("store: {0}")]
    Store(#[from] rusqlite::Error),
    /// Store failure (PostgreSQL).
    #[error("store: {}", pg_message(.0))]
    StorePg(#[from] postgres::Error),
    /// File or socket failure.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the file.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Configuration is invalid or unsafe (bad file modes, missing fields).
    #[error("configuration: {0}")]
    Config(String),
    /// Anything else; details only in kmsd's log.
    #[error("internal: {0}")]
    Internal(String),
    /// The audit record could not be written; the operation's transaction is rolled back.
    #[error("audit unavailable: {0}")]
    AuditUnavailable(String),
    /// The idempotency key was already used for a different request by this client.
    #[error("idempotency key already used for a different request")]
    IdempotencyConflict,
}

impl From<kms_api::mech::params::ParamError> for Error {
    fn from(e: kms_api::mech::params::ParamError) -> Self {
        Error::MechanismParamInvalid(e.0)
    }
}

impl Error {
    /// The stable wire code of this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::BadRequest(_) => ErrorCode::BadRequest,
            Error::Unauthenticated => ErrorCode::Unauthenticated,
            Error::UserNotLoggedIn => ErrorCode::UserNotLoggedIn,
            Error::PinIncorrect => ErrorCode::PinIncorrect,
            Error::PinLocked => ErrorCode::PinLocked,
            Error::PinLenRange => ErrorCode::PinLenRange,
            Error::UserTypeInvalid => ErrorCode::UserTypeInvalid,
            Error::UserPinNotInitialized => ErrorCode::UserPinNotInitialized,
            Error::TokenNotFound => ErrorCode::TokenNotFound,
            Error::ObjectNotFound => ErrorCode::ObjectNotFound,
            Error::KeyFunctionNotPermitted(_) => ErrorCode::KeyFunctionNotPermitted,
            Error::KeyNotActive(_) => ErrorCode::KeyNotActive,
            Error::KeyTypeInconsistent => ErrorCode::KeyTypeInconsistent,
            Error::KeySizeRange(_) => ErrorCode::KeySizeRange,
            Error::MechanismInvalid(_) => ErrorCode::MechanismInvalid,
            Error::MechanismParamInvalid(_) => ErrorCode::MechanismParamInvalid,
            Error::AttributeTypeInvalid(_) => ErrorCode::AttributeTypeInvalid,
            Error::AttributeValueInvalid(_) => ErrorCode::AttributeValueInvalid,
            Error::CurveNotSupported => ErrorCode::CurveNotSupported,
            Error::AttributeReadOnly(_) => ErrorCode::AttributeReadOnly,
            Error::TemplateIncomplete(_) => ErrorCode::TemplateIncomplete,
            Error::TemplateInconsistent(_) => ErrorCode::TemplateInconsistent,
            Error::ActionProhibited(_) => ErrorCode::ActionProhibited,
            Error::KeyUnextractable(_) => ErrorCode::KeyUnextractable,
            Error::DataLenRange => ErrorCode::DataLenRange,
            Error::DataInvalid => ErrorCode::DataInvalid,
            Error::EncryptedDataInvalid => ErrorCode::EncryptedDataInvalid,
            Error::SignatureInvalid => ErrorCode::SignatureInvalid,
            Error::SignatureLenRange => ErrorCode::SignatureLenRange,
            Error::EncryptedDataLenRange => ErrorCode::EncryptedDataLenRange,
            Error::IntegrityFailure(_) => ErrorCode::IntegrityFailure,
            Error::Sealed => ErrorCode::Sealed,
            Error::TooManyRequests => ErrorCode::TooManyRequests,
            Error::SessionLimit => ErrorCode::SessionLimit,
            Error::ObjectLimit => ErrorCode::ObjectLimit,
            Error::SessionExists => ErrorCode::SessionExists,
            Error::RequestTimeout => ErrorCode::RequestTimeout,
            Error::OperationUnknown => ErrorCode::OperationUnknown,
            Error::AuditUnavailable(_) => ErrorCode::AuditUnavailable,
            Error::IdempotencyConflict => ErrorCode::IdempotencyConflict,
            Error::Store(_)
            | Error::StorePg(_)
            | Error::Io { .. }
            | Error::Config(_)
            | Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The stable code as its wire string (`pin_incorrect` …), used as an audit outcome.
    pub fn code_str(&self) -> String {
        self.code().wire().to_owned()
    }

    /// Shorthand for an [`Error::Io`] naming what failed.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// A PostgreSQL error for a message: a server error as its SQLSTATE and message (never its
/// detail, which may quote row values), any other with its cause (a TLS handshake's reason, a
/// refused connection).
fn pg_message(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_comes_from_the_variant() {
        assert_eq!(Error::PinLocked.code().http_status(), 423);
        assert_eq!(Error::ObjectNotFound.code().http_status(), 404);
        assert_eq!(Error::Internal("x".into()).code().http_status(), 500);
        assert_eq!(Error::Sealed.code().http_status(), 503);
        assert_eq!(Error::Sealed.code_str(), "sealed");
        assert_eq!(Error::TooManyRequests.code().http_status(), 429);
        assert_eq!(Error::SessionLimit.code_str(), "session_limit");
        assert_eq!(
            Error::IntegrityFailure("x".into()).code_str(),
            "integrity_failure"
        );
        assert_eq!(
            Error::KeyTypeInconsistent.code_str(),
            "key_type_inconsistent"
        );
    }
}
