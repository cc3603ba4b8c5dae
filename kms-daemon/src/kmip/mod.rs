//! The KMIP front end: one KMIP connection's requests, translated into the same core calls the
//! `/v1` API makes (`keys::…`, `auth::login`), on the objects of one token (`[kmip] token`).
//!
//! **Who acts.** The client certificate's canonical identity (`auth::identity`) is the
//! principal, exactly as on `/v1`: token admission, key principals and every key policy apply to
//! it unchanged. A request whose header carries a Username and Password Credential logs in as
//! the token's user with that password as the user PIN (`auth::login::login`: the same PIN
//! length rule, failure counter, lockout and session cap as `C_Login`; the username must be the
//! token's label). The login session lives as long as the connection (logged out when it
//! closes) and is reused by later requests of the connection that carry the same credential; a
//! different credential logs in again. A request without a Credential acts without a login, as
//! a PKCS#11 session that has not logged in: Query and Discover Versions, and Locate / Get
//! Attributes / Get of public objects (public keys); everything that needs the user PIN is
//! refused with Permission Denied.
//!
//! **Audit.** Each batch item runs as its own core call with the request id
//! `kmip-<connection>-<n>-<Operation>` (`…-Credential` for the login a Credential makes,
//! `…-Close` for the logout when the connection ends), so every record it writes to the one
//! audit chain (creation, use, export, life-cycle change, destruction, login, and each refusal)
//! names the KMIP operation; reads (Locate, Get Attributes, Query) write none, as on `/v1`.
//!
//! **Bad input.** A message whose header decodes but whose body does not is answered with a
//! well-formed Response Message whose items fail with Invalid Message or Operation Not
//! Supported (`kms_kmip::MessageError::response`); one whose header does not decode closes the
//! connection (the server layer). Operations decoded but not served answer Operation Not
//! Supported.

mod attrs;
mod ops;

use crate::auth::Caller;
use crate::clock::now_ms;
use crate::config::KmipConfig;
use crate::error::Error;
use crate::state::Services;
use kms_api::msg::{LoginRequest, UserType};
use kms_api::SecretBytes;
use kms_kmip::enums::{BatchErrorContinuationOption, ResultReason};
use kms_kmip::message::ResponseHeader;
use kms_kmip::{
    DateTime, Limits, ProtocolVersion, RequestMessage, ResponseBatchItem, ResponseMessage,
};
use zeroize::Zeroizing;

pub use ops::{OBJECT_TYPES, OPERATIONS};

/// The version a response takes when the request's is unreadable or unsupported.
pub const FALLBACK_VERSION: ProtocolVersion = ProtocolVersion::V1_4;

/// A failed batch item: its Result Reason and a message without secrets.
#[derive(Debug)]
pub(crate) struct Failure {
    reason: ResultReason,
    message: String,
}

impl Failure {
    pub(crate) fn new(reason: ResultReason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
        }
    }

    /// The failure of a core call, in `version`'s Result Reasons.
    pub(crate) fn of(e: &Error, version: ProtocolVersion) -> Self {
        use ResultReason as R;
        let v2 = |reason: R| {
            if version.is_v2() {
                reason
            } else {
                R::PermissionDenied
            }
        };
        let reason = match e {
            Error::ObjectNotFound | Error::TokenNotFound => R::ItemNotFound,
            Error::Unauthenticated
            | Error::UserNotLoggedIn
            | Error::KeyFunctionNotPermitted(_)
            | Error::ActionProhibited(_)
            | Error::KeyUnextractable(_)
            | Error::AttributeReadOnly(_) => R::PermissionDenied,
            Error::PinIncorrect | Error::PinLocked | Error::PinLenRange => {
                R::AuthenticationNotSuccessful
            }
            Error::KeyNotActive(_) => v2(R::WrongKeyLifecycleState),
            Error::MechanismInvalid(_)
            | Error::MechanismParamInvalid(_)
            | Error::KeyTypeInconsistent
            | Error::DataLenRange
            | Error::DataInvalid
            | Error::EncryptedDataInvalid
            | Error::EncryptedDataLenRange
            | Error::SignatureInvalid
            | Error::SignatureLenRange => R::CryptographicFailure,
            Error::KeySizeRange(_)
            | Error::CurveNotSupported
            | Error::AttributeTypeInvalid(_)
            | Error::AttributeValueInvalid(_)
            | Error::TemplateIncomplete(_)
            | Error::TemplateInconsistent(_)
            | Error::BadRequest(_) => R::InvalidField,
            _ => R::GeneralFailure,
        };
        Self::new(reason, e.code_str())
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::of(&e, FALLBACK_VERSION)
    }
}

/// The login a connection holds: the bearer secret of its login session, and a digest of the
/// credential that opened it.
struct Login {
    bearer: Zeroizing<String>,
    credential: [u8; 32],
}

/// One KMIP connection of one client identity.
pub struct Session {
    identity: String,
    token: String,
    connection: String,
    requests: u64,
    limits: Limits,
    login: Option<Login>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("identity", &self.identity)
            .field("token", &self.token)
            .field("connection", &self.connection)
            .field("logged_in", &self.login.is_some())
            .finish()
    }
}

fn now() -> DateTime {
    DateTime(now_ms() / 1000)
}

impl Session {
    /// A connection of `identity` (canonical) under `cfg`.
    pub fn new(identity: String, cfg: &KmipConfig) -> Self {
        Self {
            identity,
            token: cfg.token.clone(),
            connection: crate::crypto::rng::hex_id(4).unwrap_or_else(|_| "0".into()),
            requests: 0,
            limits: Limits {
                max_message: cfg.max_message_bytes,
                ..Limits::DEFAULT
            },
            login: None,
        }
    }

    /// The bound on one message (the server layer frames by it).
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The client identity.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// Whether the connection holds a login session.
    pub fn logged_in(&self) -> bool {
        self.login.is_some()
    }

    /// The caller of one core call, its request id naming `what` (a KMIP operation,
    /// `Credential` for the login, `Close` for the logout).
    fn caller(&mut self, what: &str) -> Caller {
        self.requests += 1;
        let name: String = what.chars().filter(char::is_ascii_alphanumeric).collect();
        Caller {
            identity: self.identity.clone(),
            request_id: format!("kmip-{}-{}-{name}", self.connection, self.requests),
            instance: None,
            bearer: self.login.as_ref().map(|l| l.bearer.clone()),
            idempotency: None,
        }
    }

    /// Logs in with the request's credential unless the connection's login came from the same
    /// one.
    fn authenticate(
        &mut self,
        svc: &Services,
        request: &RequestMessage,
    ) -> std::result::Result<(), Failure> {
        let Some(up) = request.header.username_password() else {
            return Ok(());
        };
        let password = Zeroizing::new(up.password.clone().unwrap_or_default());
        let mut material =
            Zeroizing::new(Vec::with_capacity(up.username.len() + 1 + password.len()));
        material.extend_from_slice(up.username.as_bytes());
        material.push(0);
        material.extend_from_slice(password.as_bytes());
        let credential = crate::crypto::sha256(&material);
        if self
            .login
            .as_ref()
            .is_some_and(|l| crate::crypto::ct_eq(&l.credential, &credential))
        {
            return Ok(());
        }
        self.end(svc);
        let version = request.header.protocol_version;
        if up.username != self.token {
            return Err(Failure::new(
                ResultReason::AuthenticationNotSuccessful,
                "the username must be the label of the KMIP token",
            ));
        }
        let caller = self.caller("Credential");
        let req = LoginRequest {
            user_type: UserType::User,
            pin: SecretBytes::from(password.as_bytes()),
        };
        let resp = crate::auth::login::login(svc, &caller, &self.token, &req).map_err(|e| {
            let mut f = Failure::of(&e, version);
            if f.reason == ResultReason::ItemNotFound || f.reason == ResultReason::PermissionDenied
            {
                f.reason = ResultReason::AuthenticationNotSuccessful;
            }
            f
        })?;
        use base64::Engine as _;
        let bearer =
            Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(resp.session.as_ref()));
        self.login = Some(Login { bearer, credential });
        Ok(())
    }

    /// Ends the connection's login session, if any (when the connection closes, or before a
    /// login with another credential).
    pub fn end(&mut self, svc: &Services) {
        if let Some(login) = self.login.take() {
            let caller = Caller {
                bearer: Some(login.bearer),
                ..self.caller("Close")
            };
            if let Err(e) = crate::auth::login::logout(svc, &caller, &self.token) {
                tracing::debug!(error = %e.code_str(), "KMIP logout");
            }
        }
    }

    /// The answer to one message: `None` when its header does not decode (the server closes
    /// the connection). `admitted` is false when the identity has too many requests in flight:
    /// every item then fails without running.
    pub fn handle(&mut self, svc: &Services, message: &[u8], admitted: bool) -> Option<Vec<u8>> {
        let request = match RequestMessage::decode_with(message, &self.limits) {
            Ok(request) => request,
            Err(e) => {
                tracing::debug!(identity = %self.identity, error = %e, "KMIP request refused");
                let response = e.response(FALLBACK_VERSION, now(), &e.kind.to_string())?;
                return response.encode().ok();
            }
        };
        let version = request.header.protocol_version;
        let refused = if !admitted {
            Some(Failure::new(
                ResultReason::GeneralFailure,
                Error::TooManyRequests.code_str(),
            ))
        } else if svc.vault.is_sealed() {
            Some(Failure::new(
                ResultReason::GeneralFailure,
                Error::Sealed.code_str(),
            ))
        } else {
            self.authenticate(svc, &request).err()
        };
        let stop = request.header.batch_error_continuation_option
            != Some(BatchErrorContinuationOption::Continue);
        let mut placeholder: Option<String> = None;
        let mut failed = false;
        let mut items = Vec::with_capacity(request.items.len());
        for item in &request.items {
            let operation = item.operation();
            let outcome = match &refused {
                Some(f) => Err(Failure::new(f.reason, f.message.clone())),
                None if failed && stop => Err(Failure::new(
                    ResultReason::GeneralFailure,
                    "not run: an earlier batch item failed",
                )),
                None => {
                    let caller = self.caller(operation.name().unwrap_or("Other"));
                    let ctx = ops::Ctx {
                        svc,
                        caller: &caller,
                        token: &self.token,
                        version,
                    };
                    ops::run(&ctx, &item.payload, &mut placeholder)
                }
            };
            items.push(match outcome {
                Ok(payload) => ResponseBatchItem::success(item.id.clone(), payload),
                Err(f) => {
                    failed = true;
                    ResponseBatchItem::failure(
                        Some(operation),
                        item.id.clone(),
                        f.reason,
                        &f.message,
                    )
                }
            });
        }
        let response = ResponseMessage::new(ResponseHeader::new(version, now()), items);
        match response.encode() {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                tracing::error!(error = %e, "KMIP response could not be encoded");
                None
            }
        }
    }
}
