//! Who is calling: the client-certificate identity, and PIN logins bound to it.

pub mod identity;
pub mod login;
pub mod pin;
pub mod pin_change;
pub mod session;
pub mod tokens;

use crate::audit::Event;
use crate::error::{Error, Result};
use crate::model::object::owner_tag;
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
    pub idempotency: Option<Idempotency>,
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
            .map(|i| owner_tag(&self.identity, i))
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

/// The idempotency key of a request and the fingerprint of what it asks.
#[derive(Clone, Debug)]
pub struct Idempotency {
    /// The header value (checked: 16 to 64 of `[A-Za-z0-9_-]`).
    pub key: String,
    /// SHA-256 (hex) of route, login session and body; set by [`once`].
    pub fingerprint: String,
}

/// Checks an `Idempotency-Key` header value.
pub fn parse_idempotency_key(value: &str) -> Result<Idempotency> {
    let ok = (16..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(Error::BadRequest("invalid idempotency key".into()));
    }
    Ok(Idempotency {
        key: value.to_owned(),
        fingerprint: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        assert!(parse_idempotency_key("0123456789abcdef").is_ok());
        assert!(parse_idempotency_key(&"a".repeat(64)).is_ok());
        assert!(parse_idempotency_key("short").is_err());
        assert!(parse_idempotency_key(&"a".repeat(65)).is_err());
        assert!(parse_idempotency_key("0123456789abcdef ").is_err());
        assert!(parse_idempotency_key("0123456789abcdef\n").is_err());
    }
}
