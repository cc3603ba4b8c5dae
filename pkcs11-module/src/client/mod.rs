//! Typed client of the kmsd `/v1` API: one per slot, pooled HTTPS connections (rustls, mutual
//! TLS, TCP keepalive, no thread of its own: [`http`]), load spread over the slot's endpoints
//! and failed ones rested ([`endpoints`]). Every failure becomes an [`Error`]: kmsd's stable
//! code when it answered, `Error::Device` when no endpoint did.
//!
//! **Retries.** One C call has one budget, `[timeouts] request_ms`, over all its attempts; a
//! connect takes at most `connect_ms` of it. A call moves on to the next endpoint when:
//! - the request was surely not acted on: no connection or TLS session, or a 503 `sealed` /
//!   `audit_unavailable` answer (kmsd refused before acting, or rolled back) — any call;
//! - the request may have been acted on (cut mid-request, timeout, 502/504, a 503 without a
//!   kmsd code) — only calls that are safe to repeat ([`Retry`]): reads; creations, which
//!   carry an `Idempotency-Key` so that kmsd answers a repeat with the objects of the first
//!   (one key per C call); destroy (a repeat that finds the object gone succeeded); and key
//!   operations (sign, decrypt, encrypt, MAC verify, wrap), which are *at least once*: a key
//!   with a usage limit may count one use more than the application saw, and the audit trail
//!   shows both uses. Logins, logouts, PIN and attribute changes are not repeated then: they
//!   fail with `CKR_DEVICE_ERROR` and the application decides.
//!
//! Nothing here holds a lock of the token layer; callers release theirs before a round trip.

pub(crate) mod endpoints;
pub(crate) mod http;
pub(crate) mod tls;

use crate::config::{SlotConfig, Timeouts};
use crate::error::{Error, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use endpoints::Endpoints;
use http::{HttpError, Pool, Response};
use kms_api::msg::*;
use kms_api::route::{Method, Route};
use kms_api::{ErrorBody, SecretBytes};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// Client of one kmsd token.
pub struct DaemonClient {
    pool: Pool,
    endpoints: Endpoints,
    request_timeout: Duration,
    token: String,
    instance: String,
}

/// Whether a call may be sent again after a failure that leaves unknown whether kmsd acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Yes: it changes nothing, or repeating it is harmless (see the module documentation).
    Safe,
    /// Yes, with an `Idempotency-Key` (fresh per call) so that kmsd creates once.
    Create,
    /// No: only when the request surely was not acted on.
    NotSent,
}

/// Why an attempt that got an HTTP answer counts as a failed endpoint.
struct Unavailable {
    why: &'static str,
    /// kmsd may have acted on the request.
    acted: bool,
    /// kmsd's code, when it gave one.
    code: Option<kms_api::ErrorCode>,
}

/// Credentials of a call: the login session's bearer token, if any.
pub type Bearer<'a> = Option<&'a SecretBytes>;

impl DaemonClient {
    /// Builds the client; connections are opened lazily.
    pub fn new(
        slot: &SlotConfig,
        timeouts: Timeouts,
        instance: &str,
    ) -> std::result::Result<Self, String> {
        let tls = tls::client_config(slot)?;
        let endpoints = Endpoints::parse(&slot.endpoints)?;
        let pool = Pool::new(tls, Duration::from_millis(timeouts.connect_ms));
        Ok(DaemonClient {
            pool,
            endpoints,
            request_timeout: Duration::from_millis(timeouts.request_ms),
            token: slot.token.clone(),
            instance: instance.to_string(),
        })
    }

    /// The token label this client serves.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// One call: encodes the body, sends it as [`DaemonClient::exchange`] does, decodes.
    fn send<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        bearer: Bearer<'_>,
        body: Option<&Req>,
        retry: Retry,
    ) -> Result<Resp> {
        let body = match body {
            Some(b) => Zeroizing::new(
                serde_json::to_vec(b).map_err(|_| Error::Device("request encoding".into()))?,
            ),
            None => Zeroizing::new(Vec::new()),
        };
        let (resp, _) = self.exchange(method, path, bearer, &body, retry)?;
        decode(resp)
    }

    /// Tries the endpoints in [`Endpoints::order`] as `retry` allows, all within one budget;
    /// creations carry a fresh `Idempotency-Key`. Returns kmsd's answer and whether an earlier
    /// attempt may have been acted on. When no endpoint answered: `Error::Device` naming each
    /// failure, or kmsd's code when every endpoint tried refused with that same code (all
    /// sealed, say), so that `ulDeviceError` says so.
    fn exchange(
        &self,
        method: &str,
        path: &str,
        bearer: Bearer<'_>,
        body: &[u8],
        retry: Retry,
    ) -> Result<(Response, bool)> {
        let auth =
            bearer.map(|b| Zeroizing::new(format!("Bearer {}", STANDARD.encode(b.as_ref()))));
        let mut headers = vec![(kms_api::INSTANCE_HEADER, self.instance.as_str())];
        if let Some(auth) = &auth {
            headers.push((kms_api::AUTHORIZATION, auth.as_str()));
        }
        let key = match retry {
            Retry::Create => Some(idempotency_key()?),
            Retry::Safe | Retry::NotSent => None,
        };
        if let Some(key) = &key {
            headers.push((kms_api::IDEMPOTENCY_KEY_HEADER, key.as_str()));
        }
        let deadline = Instant::now() + self.request_timeout;
        let mut failures = Vec::new();
        let mut acted_before = false;
        // The code, when every endpoint tried refused with the same one (all sealed …).
        let mut refusal = Some(None);
        for index in self.endpoints.order() {
            if Instant::now() >= deadline {
                break;
            }
            let ep = self.endpoints.endpoint(index);
            let sent = self
                .pool
                .request(index, ep, method, path, &headers, body, deadline);
            let failed = |why, acted| Unavailable {
                why,
                acted,
                code: None,
            };
            let Unavailable { why, acted, code } = match sent.map(judge) {
                Ok(Ok(resp)) => {
                    self.endpoints.succeeded(index);
                    return Ok((resp, acted_before));
                }
                Ok(Err(unavailable)) => unavailable,
                Err(HttpError::Connect) => failed("cannot connect", false),
                Err(HttpError::Timeout) => failed("timed out", true),
                Err(HttpError::Failed) => failed("request failed", true),
            };
            refusal = match (refusal, code) {
                (Some(None), Some(c)) => Some(Some(c)),
                (Some(Some(a)), Some(b)) if a == b => Some(Some(a)),
                _ => None,
            };
            failures.push(self.mark_down(index, why));
            acted_before |= acted;
            if acted && retry == Retry::NotSent {
                break;
            }
        }
        if let Some(Some(code)) = refusal {
            return Err(Error::Daemon(code));
        }
        if failures.is_empty() {
            failures.push("no endpoint tried within the request timeout".into());
        }
        Err(Error::Device(failures.join("; ")))
    }

    /// Endpoint `index` failed: it rests, its pooled connections go, and its first failure in a
    /// row is logged. Returns the failure as text for the call's error.
    fn mark_down(&self, index: usize, why: &str) -> String {
        let url = self.endpoints.url(index);
        if self.endpoints.failed(index) {
            crate::log::message(
                crate::log::Level::Error,
                &format!("kmsd endpoint {url} marked down: {why}"),
            );
        }
        self.pool.forget(index);
        format!("{url}: {why}")
    }

    /// Calls `route` of this slot's token (on object `id`, for the object routes) with `body`.
    fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        route: Route,
        id: &str,
        bearer: Bearer<'_>,
        body: &Req,
        retry: Retry,
    ) -> Result<Resp> {
        let body = (route.method() != Method::Get).then_some(body);
        self.send(
            route.method().as_str(),
            &route.path(&self.token, id),
            bearer,
            body,
            retry,
        )
    }

    /// The token's information, or `CKR_TOKEN_NOT_PRESENT` if kmsd does not have it.
    pub fn token_info(&self) -> Result<TokenInfo> {
        let list: TokenList = self.call(Route::Tokens, "", None, &Empty {}, Retry::Safe)?;
        list.tokens
            .into_iter()
            .find(|t| t.label == self.token)
            .ok_or(Error::Ck(cryptoki_sys::CKR_TOKEN_NOT_PRESENT))
    }

    /// `C_Login` → a login session.
    pub fn login(&self, user_type: UserType, pin: SecretBytes) -> Result<LoginResponse> {
        self.call(
            Route::Login,
            "",
            None,
            &LoginRequest { user_type, pin },
            Retry::NotSent,
        )
    }

    /// Ends a login session.
    pub fn logout(&self, bearer: &SecretBytes) -> Result<()> {
        self.call::<_, Empty>(Route::Logout, "", Some(bearer), &Empty {}, Retry::NotSent)
            .map(|_| ())
    }

    /// `C_InitToken`: re-initialises the token with the SO PIN.
    pub fn init_token(&self, so_pin: SecretBytes) -> Result<()> {
        self.call::<_, Empty>(
            Route::InitToken,
            "",
            None,
            &InitTokenRequest { so_pin },
            Retry::NotSent,
        )
        .map(|_| ())
    }

    /// Objects matching a template.
    pub fn find(&self, bearer: Bearer<'_>, template: kms_api::Template) -> Result<Vec<ObjectInfo>> {
        let list: ObjectList = self.call(
            Route::FindObjects,
            "",
            bearer,
            &FindRequest { template },
            Retry::Safe,
        )?;
        Ok(list.objects)
    }

    /// An object as kmsd holds it now (`C_GetAttributeValue`).
    pub fn get_object(&self, bearer: Bearer<'_>, id: &str) -> Result<ObjectInfo> {
        self.call(Route::GetObject, id, bearer, &Empty {}, Retry::Safe)
    }

    /// `C_CreateObject`.
    pub fn create_object(
        &self,
        bearer: Bearer<'_>,
        template: kms_api::Template,
    ) -> Result<ObjectInfo> {
        self.call(
            Route::CreateObject,
            "",
            bearer,
            &CreateObjectRequest { template },
            Retry::Create,
        )
    }

    /// `C_CopyObject`.
    pub fn copy_object(
        &self,
        bearer: Bearer<'_>,
        id: &str,
        template: kms_api::Template,
    ) -> Result<ObjectInfo> {
        self.call(
            Route::CopyObject,
            id,
            bearer,
            &CopyObjectRequest { template },
            Retry::Create,
        )
    }

    /// `C_SetPIN`: the logged-in user type's PIN (the user's without a login).
    pub fn set_pin(
        &self,
        bearer: Bearer<'_>,
        old_pin: SecretBytes,
        new_pin: SecretBytes,
    ) -> Result<()> {
        let req = SetPinRequest { old_pin, new_pin };
        self.call::<_, Empty>(Route::SetPin, "", bearer, &req, Retry::NotSent)
            .map(|_| ())
    }

    /// `C_InitPIN`: the SO sets the user PIN.
    pub fn init_pin(&self, bearer: &SecretBytes, pin: SecretBytes) -> Result<()> {
        self.call::<_, Empty>(
            Route::InitPin,
            "",
            Some(bearer),
            &InitPinRequest { pin },
            Retry::NotSent,
        )
        .map(|_| ())
    }

    /// `C_SetAttributeValue`.
    pub fn set_attributes(
        &self,
        bearer: Bearer<'_>,
        id: &str,
        template: kms_api::Template,
    ) -> Result<ObjectInfo> {
        self.call(
            Route::SetAttributes,
            id,
            bearer,
            &SetAttributesRequest { template },
            Retry::NotSent,
        )
    }

    /// `C_DestroyObject`. Repeated after a failure mid-request; a repeat that finds the object
    /// gone reports success.
    pub fn destroy(&self, bearer: Bearer<'_>, id: &str) -> Result<()> {
        let route = Route::DestroyObject;
        let path = route.path(&self.token, id);
        let (resp, acted_before) =
            self.exchange(route.method().as_str(), &path, bearer, &[], Retry::Safe)?;
        match decode::<Empty>(resp) {
            // A repeat after an attempt that may have destroyed it: it is gone, as asked.
            Err(Error::Daemon(kms_api::ErrorCode::ObjectNotFound)) if acted_before => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// `C_GenerateKey`.
    pub fn generate_key(&self, bearer: Bearer<'_>, req: &GenerateKeyRequest) -> Result<ObjectInfo> {
        self.call(Route::GenerateKey, "", bearer, req, Retry::Create)
    }

    /// `C_GenerateKeyPair`.
    pub fn generate_key_pair(
        &self,
        bearer: Bearer<'_>,
        req: &GenerateKeyPairRequest,
    ) -> Result<KeyPairInfo> {
        self.call(Route::GenerateKeyPair, "", bearer, req, Retry::Create)
    }

    /// `C_WrapKey`.
    pub fn wrap(&self, bearer: Bearer<'_>, req: &WrapRequest) -> Result<Vec<u8>> {
        let resp: WrapResponse = self.call(Route::WrapKey, "", bearer, req, Retry::Safe)?;
        Ok(resp.data.0)
    }

    /// `C_UnwrapKey`.
    pub fn unwrap(&self, bearer: Bearer<'_>, req: &UnwrapRequest) -> Result<ObjectInfo> {
        self.call(Route::UnwrapKey, "", bearer, req, Retry::Create)
    }

    /// `C_DeriveKey`.
    pub fn derive(&self, bearer: Bearer<'_>, req: &DeriveRequest) -> Result<ObjectInfo> {
        self.call(Route::DeriveKey, "", bearer, req, Retry::Create)
    }

    /// One private/secret key operation: `op` is `sign`, `decrypt` or `encrypt`.
    pub fn key_op(
        &self,
        bearer: Bearer<'_>,
        id: &str,
        op: KeyOp,
        req: &CryptoRequest,
    ) -> Result<SecretBytes> {
        let resp: CryptoResponse = self.call(op.route(), id, bearer, req, Retry::Safe)?;
        Ok(resp.data)
    }

    /// One part of a streamed encryption or decryption (`op` is `encrypt` or `decrypt`). A
    /// repeat is harmless: kmsd keeps no state and a part's output depends only on its input.
    pub fn key_part(
        &self,
        bearer: Bearer<'_>,
        id: &str,
        op: KeyOp,
        req: &PartRequest,
    ) -> Result<PartResponse> {
        let route = match op {
            KeyOp::Encrypt => Route::EncryptPart,
            _ => Route::DecryptPart,
        };
        self.call(route, id, bearer, req, Retry::Safe)
    }

    /// `C_Verify` with a secret key: kmsd recomputes and compares the MAC.
    pub fn verify_mac(&self, bearer: Bearer<'_>, id: &str, req: &VerifyRequest) -> Result<()> {
        let _: Empty = self.call(Route::Verify, id, bearer, req, Retry::Safe)?;
        Ok(())
    }

    /// Random bytes from kmsd.
    pub fn random(&self, len: usize) -> Result<Vec<u8>> {
        let resp: RandomResponse = self.call(
            Route::Random,
            "",
            None,
            &RandomRequest { len: len as u64 },
            Retry::Safe,
        )?;
        if resp.data.0.len() != len {
            return Err(Error::Device("random: wrong length from kmsd".into()));
        }
        Ok(resp.data.0)
    }
}

/// Key operations performed by kmsd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOp {
    /// `C_Sign`.
    Sign,
    /// `C_Decrypt`.
    Decrypt,
    /// `C_Encrypt` with a secret key.
    Encrypt,
}

impl KeyOp {
    /// The operation as kms-api's mechanism table names it.
    pub fn contract(self) -> kms_api::mech::Op {
        use kms_api::mech::Op;
        match self {
            KeyOp::Sign => Op::Sign,
            KeyOp::Decrypt => Op::Decrypt,
            KeyOp::Encrypt => Op::Encrypt,
        }
    }

    fn route(self) -> Route {
        match self {
            KeyOp::Sign => Route::Sign,
            KeyOp::Decrypt => Route::Decrypt,
            KeyOp::Encrypt => Route::Encrypt,
        }
    }
}

/// An answer that means "this replica cannot serve now": 503 (sealed, audit unavailable, or a
/// proxy's), 502 and 504 (a proxy with no replica behind it). Only kmsd's own 503 codes say
/// for sure that nothing was done.
fn judge(resp: Response) -> std::result::Result<Response, Unavailable> {
    if !matches!(resp.status, 502..=504) {
        return Ok(resp);
    }
    let code = serde_json::from_slice::<ErrorBody>(&resp.body)
        .ok()
        .map(|b| b.code);
    let not_done = matches!(
        code,
        Some(kms_api::ErrorCode::Sealed | kms_api::ErrorCode::AuditUnavailable)
    );
    Err(Unavailable {
        why: match resp.status {
            502 => "bad gateway (502)",
            503 => "unavailable (503)",
            _ => "gateway timeout (504)",
        },
        acted: !not_done,
        code,
    })
}

/// A fresh idempotency key: 128 random bits, hex.
fn idempotency_key() -> Result<String> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| Error::Device("no randomness for an idempotency key".into()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn decode<Resp: DeserializeOwned>(resp: Response) -> Result<Resp> {
    if (200..300).contains(&resp.status) {
        return serde_json::from_slice(&resp.body)
            .map_err(|_| Error::Device("malformed response from kmsd".into()));
    }
    match serde_json::from_slice::<ErrorBody>(&resp.body) {
        Ok(err) => Err(Error::Daemon(err.code)),
        Err(_) => Err(Error::Device(format!(
            "kmsd answered HTTP {} without an error code",
            resp.status
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kms_api::ErrorCode;

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status,
            body: Zeroizing::new(body.as_bytes().to_vec()),
        }
    }

    fn unavailable(r: Response) -> Unavailable {
        match judge(r) {
            Ok(_) => panic!("judged an answer"),
            Err(u) => u,
        }
    }

    #[test]
    fn unavailable_and_gateway_answers_fail_the_endpoint() {
        assert!(judge(resp(200, "{}")).is_ok());
        let not_found = r#"{"code":"object_not_found","message":"x"}"#;
        assert!(
            judge(resp(404, not_found)).is_ok(),
            "a refusal is an answer"
        );
        let sealed = unavailable(resp(503, r#"{"code":"sealed","message":"x"}"#));
        assert!(!sealed.acted, "sealed: refused before acting");
        assert_eq!(sealed.code, Some(ErrorCode::Sealed));
        let audit = r#"{"code":"audit_unavailable","message":"x"}"#;
        assert!(!unavailable(resp(503, audit)).acted);
        let proxy = unavailable(resp(503, "<html>busy</html>"));
        assert!(proxy.acted, "a proxy's 503 says nothing about the replica");
        assert_eq!(proxy.code, None);
        assert!(unavailable(resp(502, "")).acted);
        assert!(unavailable(resp(504, "")).acted);
    }

    #[test]
    fn idempotency_keys_are_fresh_128_bit_hex() {
        let (a, b) = (idempotency_key().unwrap(), idempotency_key().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
