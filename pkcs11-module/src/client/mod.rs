//! Typed client of the kmsd `/v1` API: one per slot, pooled HTTPS connections (rustls, mutual
//! TLS, no thread of its own: [`http`]), endpoints tried in order when one cannot be reached.
//! Every failure becomes an [`Error`]: kmsd's stable code when it answered, `Error::Device`
//! when it did not.
//!
//! Nothing here holds a lock of the token layer; callers release theirs before a round trip.

pub(crate) mod http;
pub(crate) mod tls;

use crate::config::{SlotConfig, Timeouts};
use crate::error::{Error, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::{Endpoint, HttpError, Pool, Response};
use kms_api::msg::{self, *};
use kms_api::{ErrorBody, SecretBytes};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;
use zeroize::Zeroizing;

/// Largest response body the module accepts (a malicious daemon must not exhaust memory).
const MAX_RESPONSE: u64 = 16 << 20;

/// Client of one kmsd token.
pub struct DaemonClient {
    pool: Pool,
    endpoints: Vec<(String, Endpoint)>,
    token: String,
    instance: String,
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
        let endpoints = slot
            .endpoints
            .iter()
            .map(|url| Endpoint::parse(url).map(|e| (url.trim_end_matches('/').to_string(), e)))
            .collect::<std::result::Result<_, _>>()?;
        let pool = Pool::new(
            tls,
            Duration::from_millis(timeouts.connect_ms),
            Duration::from_millis(timeouts.request_ms),
        );
        Ok(DaemonClient {
            pool,
            endpoints,
            token: slot.token.clone(),
            instance: instance.to_string(),
        })
    }

    /// The token label this client serves.
    pub fn token(&self) -> &str {
        &self.token
    }

    fn send<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        bearer: Bearer<'_>,
        body: Option<&Req>,
    ) -> Result<Resp> {
        let body = match body {
            Some(b) => Zeroizing::new(
                serde_json::to_vec(b).map_err(|_| Error::Device("request encoding".into()))?,
            ),
            None => Zeroizing::new(Vec::new()),
        };
        let auth =
            bearer.map(|b| Zeroizing::new(format!("Bearer {}", STANDARD.encode(b.as_ref()))));
        let mut headers = vec![(kms_api::INSTANCE_HEADER, self.instance.as_str())];
        if let Some(auth) = &auth {
            headers.push((kms_api::AUTHORIZATION, auth.as_str()));
        }
        let mut last = Error::Device("no endpoint configured".into());
        for (index, (url, endpoint)) in self.endpoints.iter().enumerate() {
            match self
                .pool
                .request(index, endpoint, method, path, &headers, &body)
            {
                Ok(resp) => return decode(resp),
                // Only a failed connect is safe to retry elsewhere: the request was not sent.
                Err(HttpError::Connect) => last = Error::Device(format!("{url}: cannot connect")),
                Err(HttpError::Timeout) => return Err(Error::Device(format!("{url}: timed out"))),
                Err(HttpError::Failed) => {
                    return Err(Error::Device(format!("{url}: request failed")))
                }
            }
        }
        Err(last)
    }

    fn post<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        path: &str,
        bearer: Bearer<'_>,
        body: &Req,
    ) -> Result<Resp> {
        self.send("POST", path, bearer, Some(body))
    }

    fn get<Resp: DeserializeOwned>(&self, path: &str, bearer: Bearer<'_>) -> Result<Resp> {
        self.send::<Empty, Resp>("GET", path, bearer, None)
    }

    fn path(&self, rest: &str) -> String {
        msg::token_path(&self.token, rest)
    }

    fn object(&self, id: &str, rest: &str) -> String {
        msg::object_path(&self.token, id, rest)
    }

    /// The token's information, or `CKR_TOKEN_NOT_PRESENT` if kmsd does not have it.
    pub fn token_info(&self) -> Result<TokenInfo> {
        let list: TokenList = self.get(msg::TOKENS, None)?;
        list.tokens
            .into_iter()
            .find(|t| t.label == self.token)
            .ok_or(Error::Ck(cryptoki_sys::CKR_TOKEN_NOT_PRESENT))
    }

    /// `C_Login` → a login session.
    pub fn login(&self, user_type: UserType, pin: SecretBytes) -> Result<LoginResponse> {
        self.post(&self.path("login"), None, &LoginRequest { user_type, pin })
    }

    /// Ends a login session.
    pub fn logout(&self, bearer: &SecretBytes) -> Result<()> {
        self.post::<_, Empty>(&self.path("logout"), Some(bearer), &Empty {})
            .map(|_| ())
    }

    /// `C_InitToken`: re-initialises the token with the SO PIN.
    pub fn init_token(&self, so_pin: SecretBytes) -> Result<()> {
        self.post::<_, Empty>(&self.path("init-token"), None, &InitTokenRequest { so_pin })
            .map(|_| ())
    }

    /// Objects matching a template.
    pub fn find(&self, bearer: Bearer<'_>, template: kms_api::Template) -> Result<Vec<ObjectInfo>> {
        let list: ObjectList = self.post(
            &self.path("objects/find"),
            bearer,
            &FindRequest { template },
        )?;
        Ok(list.objects)
    }

    /// One object's current attributes.
    pub fn get_object(&self, bearer: Bearer<'_>, id: &str) -> Result<ObjectInfo> {
        self.get(&self.object(id, ""), bearer)
    }

    /// `C_CreateObject`.
    pub fn create_object(
        &self,
        bearer: Bearer<'_>,
        template: kms_api::Template,
    ) -> Result<ObjectInfo> {
        self.post(
            &self.path("objects"),
            bearer,
            &CreateObjectRequest { template },
        )
    }

    /// `C_CopyObject`.
    pub fn copy_object(
        &self,
        bearer: Bearer<'_>,
        id: &str,
        template: kms_api::Template,
    ) -> Result<ObjectInfo> {
        self.post(
            &self.object(id, "copy"),
            bearer,
            &CopyObjectRequest { template },
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
        self.post::<_, Empty>(&self.path("set-pin"), bearer, &req)
            .map(|_| ())
    }

    /// `C_InitPIN`: the SO sets the user PIN.
    pub fn init_pin(&self, bearer: &SecretBytes, pin: SecretBytes) -> Result<()> {
        self.post::<_, Empty>(
            &self.path("init-pin"),
            Some(bearer),
            &InitPinRequest { pin },
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
        self.post(
            &self.object(id, "attributes"),
            bearer,
            &SetAttributesRequest { template },
        )
    }

    /// `C_DestroyObject`.
    pub fn destroy(&self, bearer: Bearer<'_>, id: &str) -> Result<()> {
        self.send::<Empty, Empty>("DELETE", &self.object(id, ""), bearer, None)
            .map(|_| ())
    }

    /// `C_GenerateKey`.
    pub fn generate_key(&self, bearer: Bearer<'_>, req: &GenerateKeyRequest) -> Result<ObjectInfo> {
        self.post(&self.path("keys/generate"), bearer, req)
    }

    /// `C_GenerateKeyPair`.
    pub fn generate_key_pair(
        &self,
        bearer: Bearer<'_>,
        req: &GenerateKeyPairRequest,
    ) -> Result<KeyPairInfo> {
        self.post(&self.path("keys/generate-pair"), bearer, req)
    }

    /// `C_WrapKey`.
    pub fn wrap(&self, bearer: Bearer<'_>, req: &WrapRequest) -> Result<Vec<u8>> {
        let resp: WrapResponse = self.post(&self.path("keys/wrap"), bearer, req)?;
        Ok(resp.data.0)
    }

    /// `C_UnwrapKey`.
    pub fn unwrap(&self, bearer: Bearer<'_>, req: &UnwrapRequest) -> Result<ObjectInfo> {
        self.post(&self.path("keys/unwrap"), bearer, req)
    }

    /// `C_DeriveKey`.
    pub fn derive(&self, bearer: Bearer<'_>, req: &DeriveRequest) -> Result<ObjectInfo> {
        self.post(&self.path("keys/derive"), bearer, req)
    }

    /// One private/secret key operation: `op` is `sign`, `decrypt` or `encrypt`.
    pub fn key_op(
        &self,
        bearer: Bearer<'_>,
        id: &str,
        op: KeyOp,
        req: &CryptoRequest,
    ) -> Result<SecretBytes> {
        let resp: CryptoResponse = self.post(&self.object(id, op.route()), bearer, req)?;
        Ok(resp.data)
    }

    /// `C_Verify` with a secret key: kmsd recomputes and compares the MAC.
    pub fn verify_mac(&self, bearer: Bearer<'_>, id: &str, req: &VerifyRequest) -> Result<()> {
        let _: Empty = self.post(&self.object(id, "verify"), bearer, req)?;
        Ok(())
    }

    /// Random bytes from kmsd.
    pub fn random(&self, len: usize) -> Result<Vec<u8>> {
        let resp: RandomResponse =
            self.post(msg::RANDOM, None, &RandomRequest { len: len as u64 })?;
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
    fn route(self) -> &'static str {
        match self {
            KeyOp::Sign => "sign",
            KeyOp::Decrypt => "decrypt",
            KeyOp::Encrypt => "encrypt",
        }
    }
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
