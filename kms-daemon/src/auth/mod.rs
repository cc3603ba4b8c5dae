//! Who is calling: the client-certificate identity, and PIN logins bound to it.

pub mod pin;
pub mod reinit;
pub mod session;

use crate::audit::Event;
use zeroize::Zeroizing;

/// The caller of one request, as the extractors found it.
#[derive(Clone)]
pub struct Caller {
    /// Subject DN of the client certificate (RFC 4514 form), normalised once at the TLS edge.
    pub identity: String,
    /// This request's id.
    pub request_id: String,
    /// The `x-kms-instance` header (module instance), if sent.
    pub instance: Option<String>,
    /// The bearer token of `Authorization: Bearer …`, if sent (still base64).
    pub bearer: Option<Zeroizing<String>>,
    /// The `Idempotency-Key` header of a creation, if sent (`keys::idempotent`).
    pub idempotency: Option<crate::keys::idempotent::Idempotency>,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("identity", &self.identity)
            .field("request_id", &self.request_id)
            .field("instance", &self.instance)
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .field("idempotency", &self.idempotency)
            .finish()
    }
}

impl Caller {
    /// The owner tag for session objects this caller creates or sees.
    pub fn owner_tag(&self) -> Option<String> {
        self.instance
            .as_deref()
            .map(|i| crate::keys::object::owner_tag(&self.identity, i))
    }

    /// An audit event by this caller, with outcome `ok` until told otherwise.
    pub fn event(&self, token: Option<&str>, action: &str) -> Event {
        Event {
            request_id: self.request_id.clone(),
            actor: self.identity.clone(),
            token: token.map(str::to_owned),
            action: action.to_owned(),
            object_id: None,
            mechanism: None,
            outcome: "ok".to_owned(),
            detail: None,
        }
    }
}
