//! `GET /v1/tokens`, login, logout, set-pin, init-pin and init-token.

use super::blocking;
use crate::api::extract::{Ctx, Json, Path};
use crate::auth::{login, pin_change, reinit, tokens};
use crate::error::Result;
use crate::state::AppState;
use axum::extract::State;
use kms_api::msg::{
    Empty, InitPinRequest, InitTokenRequest, LoginRequest, LoginResponse, SetPinRequest, TokenList,
};

/// `GET /v1/tokens`.
pub async fn list(State(s): State<AppState>, _caller: Ctx) -> Result<axum::Json<TokenList>> {
    let tokens = blocking(&s, tokens::list_tokens).await?;
    Ok(axum::Json(TokenList { tokens }))
}

/// `POST /v1/tokens/{token}/login`.
pub async fn login(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    Path(token): Path<String>,
    Json(req): Json<LoginRequest>,
) -> Result<axum::Json<LoginResponse>> {
    blocking(&s, move |svc| login::login(svc, &caller, &token, &req))
        .await
        .map(axum::Json)
}

/// `POST /v1/tokens/{token}/logout`.
pub async fn logout(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    Path(token): Path<String>,
) -> Result<axum::Json<Empty>> {
    blocking(&s, move |svc| login::logout(svc, &caller, &token)).await?;
    Ok(axum::Json(Empty {}))
}

/// `POST /v1/tokens/{token}/set-pin`.
pub async fn set_pin(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    Path(token): Path<String>,
    Json(req): Json<SetPinRequest>,
) -> Result<axum::Json<Empty>> {
    blocking(&s, move |svc| {
        pin_change::set_pin(svc, &caller, &token, &req)
    })
    .await?;
    Ok(axum::Json(Empty {}))
}

/// `POST /v1/tokens/{token}/init-pin`.
pub async fn init_pin(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    Path(token): Path<String>,
    Json(req): Json<InitPinRequest>,
) -> Result<axum::Json<Empty>> {
    blocking(&s, move |svc| {
        pin_change::init_pin(svc, &caller, &token, &req)
    })
    .await?;
    Ok(axum::Json(Empty {}))
}

/// `POST /v1/tokens/{token}/init-token`.
pub async fn init_token(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    Path(token): Path<String>,
    Json(req): Json<InitTokenRequest>,
) -> Result<axum::Json<Empty>> {
    blocking(&s, move |svc| {
        reinit::init_token(svc, &caller, &token, &req)
    })
    .await?;
    Ok(axum::Json(Empty {}))
}
