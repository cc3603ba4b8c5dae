//! Object routes: find, create, get, set attributes, copy, destroy.

use super::{blocking, create_once, Creation};
use crate::api::extract::{Ctx, Json, Path};
use crate::error::Result;
use crate::keys::{copy, create, manage};
use crate::state::AppState;
use axum::extract::State;
use axum::http::Uri;
use kms_api::msg::{
    CopyObjectRequest, CreateObjectRequest, Empty, FindRequest, ObjectInfo, ObjectList,
    SetAttributesRequest,
};

/// [`kms_api::Route::FindObjects`].
pub async fn find(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    Path(token): Path<String>,
    Json(req): Json<FindRequest>,
) -> Result<axum::Json<ObjectList>> {
    blocking(&s, move |svc| manage::find(svc, &caller, &token, &req))
        .await
        .map(axum::Json)
}

/// [`kms_api::Route::CreateObject`].
pub async fn create(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    uri: Uri,
    Path(token): Path<String>,
    Json(req): Json<CreateObjectRequest>,
) -> Result<axum::Json<ObjectInfo>> {
    let c = Creation {
        caller,
        uri,
        token,
        action: "object.create",
        req,
    };
    create_once(&s, c, |svc, caller, token, req| {
        create::create_object(svc, caller, token, &req.template)
    })
    .await
    .map(axum::Json)
}

/// [`kms_api::Route::GetObject`].
pub async fn get(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    Path((token, id)): Path<(String, String)>,
) -> Result<axum::Json<ObjectInfo>> {
    blocking(&s, move |svc| manage::get(svc, &caller, &token, &id))
        .await
        .map(axum::Json)
}

/// [`kms_api::Route::SetAttributes`].
pub async fn set_attributes(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    Path((token, id)): Path<(String, String)>,
    Json(req): Json<SetAttributesRequest>,
) -> Result<axum::Json<ObjectInfo>> {
    blocking(&s, move |svc| {
        manage::set_attributes(svc, &caller, &token, &id, &req.template)
    })
    .await
    .map(axum::Json)
}

/// [`kms_api::Route::CopyObject`].
pub async fn copy(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    uri: Uri,
    Path((token, id)): Path<(String, String)>,
    Json(req): Json<CopyObjectRequest>,
) -> Result<axum::Json<ObjectInfo>> {
    let c = Creation {
        caller,
        uri,
        token,
        action: "object.copy",
        req,
    };
    create_once(&s, c, move |svc, caller, token, req| {
        copy::copy_object(svc, caller, token, &id, &req.template)
    })
    .await
    .map(axum::Json)
}

/// [`kms_api::Route::DestroyObject`].
pub async fn destroy(
    State(s): State<AppState>,
    Ctx(caller): Ctx,
    Path((token, id)): Path<(String, String)>,
) -> Result<axum::Json<Empty>> {
    blocking(&s, move |svc| manage::destroy(svc, &caller, &token, &id)).await?;
    Ok(axum::Json(Empty {}))
}
