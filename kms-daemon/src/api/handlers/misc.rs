//! Health and random bytes.

use crate::api::extract::{Ctx, Json};
use crate::error::{Error, Result};
use kms_api::msg::{Health, RandomRequest, RandomResponse, MAX_RANDOM_LEN};

/// [`kms_api::Route::Health`].
pub async fn health() -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// [`kms_api::Route::Random`]: at most 64 KiB from aws-lc-rs's generator.
pub async fn random(
    _caller: Ctx,
    Json(req): Json<RandomRequest>,
) -> Result<axum::Json<RandomResponse>> {
    if req.len > MAX_RANDOM_LEN {
        return Err(Error::BadRequest(format!(
            "at most {MAX_RANDOM_LEN} random bytes per request"
        )));
    }
    let data = crate::crypto::rng::bytes(req.len as usize)?;
    Ok(axum::Json(RandomResponse { data: data.into() }))
}
