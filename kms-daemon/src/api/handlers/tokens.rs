//! The token list, login, logout, PIN changes and token initialisation.

use super::blocking;
use crate::api::extract::{Ctx, Json, Path};
use crate::auth::{login, pin_change, tokens};
use crate::error::Result;
use crate::keys::reinit;
use crate::state::AppState;
use axum::extract::State;
use kms_api::msg::{
    Empty, InitPinRequest, InitTokenRequest, LoginRequest, LoginResponse, SetPinRequest, TokenList,
};

/// [`kms_api::Route::Tokens`].
pub async fn list(State(s): State<AppState>, Ctx(caller): Ctx) -> Result<axum::Json<TokenList>> {
    let tokens = blocking(&s, move |svc| tokens::list_tokens(svc, &caller.identity)).await?;
    Ok(axum::Json(TokenList { tokens }))
}

/// [`kms_api::Route::Login`].
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

/// [`kms_api::Route::Logout`].
pub async fn logout(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    Path(token): Path<String>,
) -> Result<axum::Json<Empty>> {
    blocking(&s, move |svc| login::logout(svc, &caller, &token)).await?;
    Ok(axum::Json(Empty {}))
}

/// [`kms_api::Route::SetPin`].
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

/// [`kms_api::Route::InitPin`].
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

/// [`kms_api::Route::InitToken`].
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
