//! Extractors: the caller ([`Ctx`]: client identity, request id, instance header, bearer token),
//! JSON bodies and path parameters whose rejections become `bad_request`.

use crate::auth::Caller;
use crate::error::Error;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

/// The subject DN of the client certificate, put in each request's extensions by the server.
#[derive(Clone, Debug)]
pub struct ClientIdentity(pub String);

/// The request id, put in the extensions by the request-context middleware.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The caller of a request.
#[derive(Debug)]
pub struct Ctx(pub Caller);

const MAX_INSTANCE_LEN: usize = 128;

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        let identity = parts
            .extensions
            .get::<ClientIdentity>()
            .ok_or(Error::Unauthenticated)?
            .0
            .clone();
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        let instance = match parts.headers.get(kms_api::INSTANCE_HEADER) {
            None => None,
            Some(v) => {
                let s = v
                    .to_str()
                    .map_err(|_| Error::BadRequest("invalid instance header".into()))?;
                if s.is_empty()
                    || s.len() > MAX_INSTANCE_LEN
                    || !s.bytes().all(|b| b.is_ascii_graphic())
                {
                    return Err(Error::BadRequest("invalid instance header".into()));
                }
                Some(s.to_owned())
            }
        };
        let bearer = match parts.headers.get(kms_api::AUTHORIZATION) {
            None => None,
            Some(v) => {
                let s = v.to_str().map_err(|_| Error::Unauthenticated)?;
                let token = s.strip_prefix("Bearer ").ok_or(Error::Unauthenticated)?;
                Some(Zeroizing::new(token.trim().to_owned()))
            }
        };
        let idempotency = match parts.headers.get(kms_api::IDEMPOTENCY_KEY_HEADER) {
            None => None,
            Some(v) => {
                let s = v
                    .to_str()
                    .map_err(|_| Error::BadRequest("invalid idempotency key".into()))?;
                Some(crate::auth::parse_idempotency_key(s)?)
            }
        };
        Ok(Ctx(Caller {
            identity,
            request_id,
            instance,
            bearer,
            idempotency,
        }))
    }
}

/// A JSON body; any rejection (syntax, types, size) is `bad_request`.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(v)| Json(v))
            .map_err(|e| Error::BadRequest(e.body_text()))
    }
}

/// Path parameters; a rejection is `bad_request`.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|e| Error::BadRequest(e.body_text()))
    }
}
