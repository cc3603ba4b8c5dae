//! Key routes: generate, generate a pair, wrap, unwrap, derive, and the key operations.

use super::{blocking, create_once, Creation};
use crate::api::extract::{Ctx, Json, Path};
use crate::error::Result;
use crate::keys::usage;
use crate::keys::{derive, generate, stream, wrap};
use crate::model::op::Op;
use crate::state::AppState;
use axum::extract::State;
use axum::http::Uri;
use kms_api::msg::{
    CryptoRequest, CryptoResponse, DeriveRequest, Empty, GenerateKeyPairRequest,
    GenerateKeyRequest, KeyPairInfo, ObjectInfo, PartRequest, PartResponse, UnwrapRequest,
    VerifyRequest, WrapRequest, WrapResponse,
};

/// [`kms_api::Route::GenerateKey`].
pub async fn generate(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    uri: Uri,
    Path(token): Path<String>,
    Json(req): Json<GenerateKeyRequest>,
) -> Result<axum::Json<ObjectInfo>> {
    let c = Creation {
        caller,
        uri,
        token,
        action: "key.generate",
        req,
    };
    create_once(&s, c, generate::generate_key)
        .await
        .map(axum::Json)
}

/// [`kms_api::Route::GenerateKeyPair`].
pub async fn generate_pair(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    uri: Uri,
    Path(token): Path<String>,
    Json(req): Json<GenerateKeyPairRequest>,
) -> Result<axum::Json<KeyPairInfo>> {
    let c = Creation {
        caller,
        uri,
        token,
        action: "key.generate_pair",
        req,
    };
    create_once(&s, c, generate::generate_pair)
        .await
        .map(axum::Json)
}

/// [`kms_api::Route::WrapKey`].
pub async fn wrap_key(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    Path(token): Path<String>,
    Json(req): Json<WrapRequest>,
) -> Result<axum::Json<WrapResponse>> {
    blocking(&s, move |svc| wrap::wrap_key(svc, &caller, &token, &req))
        .await
        .map(axum::Json)
}

/// [`kms_api::Route::UnwrapKey`].
pub async fn unwrap_key(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    uri: Uri,
    Path(token): Path<String>,
    Json(req): Json<UnwrapRequest>,
) -> Result<axum::Json<ObjectInfo>> {
    let c = Creation {
        caller,
        uri,
        token,
        action: Op::Unwrap.action(),
        req,
    };
    create_once(&s, c, wrap::unwrap_key).await.map(axum::Json)
}

/// [`kms_api::Route::DeriveKey`].
pub async fn derive_key(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    uri: Uri,
    Path(token): Path<String>,
    Json(req): Json<DeriveRequest>,
) -> Result<axum::Json<ObjectInfo>> {
    let c = Creation {
        caller,
        uri,
        token,
        action: Op::Derive.action(),
        req,
    };
    create_once(&s, c, derive::derive_key).await.map(axum::Json)
}

async fn run(
    s: AppState,
    caller: crate::auth::Caller,
    token: String,
    id: String,
    op: Op,
    req: CryptoRequest,
) -> Result<axum::Json<CryptoResponse>> {
    blocking(&s, move |svc| {
        usage::run(svc, &caller, &token, &id, op, &req)
    })
    .await
    .map(axum::Json)
}

/// [`kms_api::Route::Sign`].
pub async fn sign(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    Path((token, id)): Path<(String, String)>,
    Json(req): Json<CryptoRequest>,
) -> Result<axum::Json<CryptoResponse>> {
    run(s, caller, token, id, Op::Sign, req).await
}

/// [`kms_api::Route::Verify`] (secret-key MACs).
pub async fn verify(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    Path((token, id)): Path<(String, String)>,
    Json(req): Json<VerifyRequest>,
) -> Result<axum::Json<Empty>> {
    blocking(&s, move |svc| {
        usage::verify(svc, &caller, &token, &id, &req)
    })
    .await
    .map(axum::Json)
}

/// [`kms_api::Route::Decrypt`].
pub async fn decrypt(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    Path((token, id)): Path<(String, String)>,
    Json(req): Json<CryptoRequest>,
) -> Result<axum::Json<CryptoResponse>> {
    run(s, caller, token, id, Op::Decrypt, req).await
}

/// [`kms_api::Route::Encrypt`].
pub async fn encrypt(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    Path((token, id)): Path<(String, String)>,
    Json(req): Json<CryptoRequest>,
) -> Result<axum::Json<CryptoResponse>> {
    run(s, caller, token, id, Op::Encrypt, req).await
}

async fn part(
    s: AppState,
    caller: crate::auth::Caller,
    (token, id): (String, String),
    op: Op,
    req: PartRequest,
) -> Result<axum::Json<PartResponse>> {
    blocking(&s, move |svc| {
        stream::part(svc, &caller, &token, &id, op, &req)
    })
    .await
    .map(axum::Json)
}

/// [`kms_api::Route::EncryptPart`].
pub async fn encrypt_part(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    Path(path): Path<(String, String)>,
    Json(req): Json<PartRequest>,
) -> Result<axum::Json<PartResponse>> {
    part(s, caller, path, Op::Encrypt, req).await
}

/// [`kms_api::Route::DecryptPart`].
pub async fn decrypt_part(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    Path(path): Path<(String, String)>,
    Json(req): Json<PartRequest>,
) -> Result<axum::Json<PartResponse>> {
    part(s, caller, path, Op::Decrypt, req).await
}
