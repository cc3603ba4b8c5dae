//! The HTTP API: the router ([`app`]), the request-context middleware (request id, error bodies,
//! one log line per request), extractors and handlers.
//!
//! Handlers are thin: extract → one service call on a blocking thread → response.

pub mod error;
pub mod extract;
pub mod handlers;

use crate::error::Error;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use error::PendingError;
use extract::{ClientIdentity, RequestId};
use handlers::{keys, misc, objects, tokens};
use kms_api::route::{Method, Route};
use kms_api::{ErrorBody, ErrorCode};
use std::time::{Duration, Instant};

/// Largest request body accepted (security R19).
pub const MAX_BODY: usize = 1 << 20;

/// The router with every `/v1` route ([`Route`]), the body limit and the request-context
/// middleware.
pub fn app(state: AppState) -> Router {
    Route::all()
        .fold(Router::new(), |router, r| {
            router.route(r.template(), handler(r))
        })
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            refuse_while_sealed,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limit_inflight,
        ))
        .layer(middleware::from_fn(request_context))
        .with_state(state)
}

/// The handler of each route, for the route's method.
fn handler(r: Route) -> MethodRouter<AppState> {
    let m = match r.method() {
        Method::Get => MethodFilter::GET,
        Method::Post => MethodFilter::POST,
        Method::Delete => MethodFilter::DELETE,
    };
    match r {
        Route::Health => on(m, misc::health),
        Route::Tokens => on(m, tokens::list),
        Route::Random => on(m, misc::random),
        Route::Login => on(m, tokens::login),
        Route::Logout => on(m, tokens::logout),
        Route::SetPin => on(m, tokens::set_pin),
        Route::InitPin => on(m, tokens::init_pin),
        Route::InitToken => on(m, tokens::init_token),
        Route::FindObjects => on(m, objects::find),
        Route::CreateObject => on(m, objects::create),
        Route::GetObject => on(m, objects::get),
        Route::DestroyObject => on(m, objects::destroy),
        Route::SetAttributes => on(m, objects::set_attributes),
        Route::CopyObject => on(m, objects::copy),
        Route::Sign => on(m, keys::sign),
        Route::Verify => on(m, keys::verify),
        Route::Decrypt => on(m, keys::decrypt),
        Route::Encrypt => on(m, keys::encrypt),
        Route::GenerateKey => on(m, keys::generate),
        Route::GenerateKeyPair => on(m, keys::generate_pair),
        Route::WrapKey => on(m, keys::wrap_key),
        Route::UnwrapKey => on(m, keys::unwrap_key),
        Route::DeriveKey => on(m, keys::derive_key),
        Route::EncryptPart => on(m, keys::encrypt_part),
        Route::DecryptPart => on(m, keys::decrypt_part),
    }
}

/// While kmsd is sealed, every route but health answers 503 `sealed` before any handler runs.
async fn refuse_while_sealed(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.vault.is_sealed() && req.uri().path() != Route::Health.template() {
        return Error::Sealed.into_response();
    }
    next.run(req).await
}

/// Seconds a client refused with `too_many_requests` is told to wait (`Retry-After`).
pub const RETRY_AFTER_SECS: u64 = 1;

/// At most `[limits] max_inflight_per_identity` requests per client identity: the next one is
/// refused at once with 429 `too_many_requests` and `Retry-After` (never queued). A request
/// counts only once its whole body has arrived — within `request_body_timeout_secs`, or it is
/// answered 408 `request_timeout` — so that a client stalling its bodies holds no slot (and no
/// work waits on it). An admitted request runs in a task of its own that holds the permit until
/// the handler has finished, so a client that hangs up does not free its slot while its work
/// still runs.
async fn limit_inflight(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(identity) = req
        .extensions()
        .get::<ClientIdentity>()
        .map(|i| i.0.clone())
    else {
        return next.run(req).await;
    };
    let wait = Duration::from_secs(state.limits.config.request_body_timeout_secs);
    let (parts, body) = req.into_parts();
    let body = match tokio::time::timeout(wait, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            return Error::BadRequest("request body larger than 1 MiB or cut off".into())
                .into_response()
        }
        Err(_) => return Error::RequestTimeout.into_response(),
    };
    let req = Request::from_parts(parts, axum::body::Body::from(body));
    let Some(permit) = state.limits.admit(&identity) else {
        let mut resp = Error::TooManyRequests.into_response();
        resp.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        return resp;
    };
    let handled = tokio::spawn(async move {
        let resp = next.run(req).await;
        drop(permit);
        resp
    });
    handled
        .await
        .unwrap_or_else(|_| Error::Internal("request task failed".into()).into_response())
}

async fn fallback() -> Error {
    Error::BadRequest("no such route".into())
}

/// The methods kmsd serves, as metric label values; anything else is `other`.
fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        _ => "other",
    }
}

/// Gives each request an id, turns error markers into [`ErrorBody`] JSON carrying that id, adds
/// `x-request-id`, counts the request in the metrics by route template, and logs one line per
/// request (never a body or header value).
async fn request_context(mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let request_id = crate::crypto::rng::hex_id(8).unwrap_or_else(|_| "unavailable".into());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let identity = req
        .extensions()
        .get::<ClientIdentity>()
        .map(|i| i.0.clone())
        .unwrap_or_default();

    let mut resp = next.run(req).await;
    let pending = resp.extensions_mut().remove::<PendingError>();
    if let Some(p) = &pending {
        if let Some(detail) = &p.detail {
            tracing::error!(request_id = %request_id, error = %detail, "request failed");
        }
    }
    let status = resp.status();
    let body = match pending {
        Some(p) => Some(p.body),
        // Errors axum produced itself (405 …): the same body shape, code bad_request.
        None if status.is_client_error() || status.is_server_error() => Some(ErrorBody {
            code: ErrorCode::BadRequest,
            message: status.canonical_reason().unwrap_or("error").to_lowercase(),
            request_id: None,
        }),
        None => None,
    };
    let error_code = body.as_ref().map_or("", |b| b.code.wire());
    if let Some(mut body) = body {
        body.request_id = Some(request_id.clone());
        let code = StatusCode::from_u16(body.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = resp.headers().get(RETRY_AFTER).cloned();
        resp = (code, axum::Json(body)).into_response();
        if let Some(v) = retry_after {
            resp.headers_mut().insert(RETRY_AFTER, v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert(kms_api::REQUEST_ID_HEADER, v);
    }
    let elapsed = start.elapsed();
    let status = resp.status().as_u16();
    crate::metrics::HTTP_REQUESTS.inc(&[&route, method_label(&method), &status.to_string()]);
    crate::metrics::REQUEST_DURATION.observe(&[&route], elapsed.as_secs_f64());
    tracing::info!(
        request_id = %request_id,
        method = %method,
        route = %route,
        status,
        error_code = %error_code,
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        identity = %identity,
        "request"
    );
    resp
}
