//! Who reaches which object: the caller's login on the token, and the objects it may see.

use crate::auth::session::resolve;
use crate::auth::tokens::admitted;
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::model::object::StoredObject;
use crate::state::Services;
use crate::store::objects;
use crate::store::Db;
use kms_api::msg::UserType;

/// Checks the token exists and admits the caller, and resolves the caller's login; true when a
/// user is logged in. A live session of the caller on the token proves both (the token is a
/// foreign key of the session row, and narrowing a token's admission ends the sessions of the
/// identities it drops), so the token is read only when there is none — and then first, so
/// that an unknown or closed token is `token_not_found` whatever the bearer.
pub fn user_logged_in(svc: &Services, conn: &Db<'_>, caller: &Caller, token: &str) -> Result<bool> {
    match resolve(conn, &svc.auth, caller, token) {
        Ok(Some(UserType::User)) => Ok(true),
        other => {
            admitted(conn, token, &caller.identity)?;
            Ok(other? == Some(UserType::User))
        }
    }
}

/// Like [`user_logged_in`], but a user login is required (`user_not_logged_in`).
pub fn require_user(svc: &Services, conn: &Db<'_>, caller: &Caller, token: &str) -> Result<()> {
    if user_logged_in(svc, conn, caller, token)? {
        Ok(())
    } else {
        Err(Error::UserNotLoggedIn)
    }
}

/// The object, if it exists and the caller may see it; else `object_not_found`.
pub fn load_visible(
    conn: &Db<'_>,
    caller: &Caller,
    token: &str,
    id: &str,
    user: bool,
) -> Result<StoredObject> {
    let owner = caller.owner_tag();
    objects::get(conn, token, id)?
        .filter(|o| o.visible(user, owner.as_deref()))
        .ok_or(Error::ObjectNotFound)
}

/// Checks an object id from a request body before it goes into an audit record: at most 64
/// ASCII letters and digits (kmsd's ids are 32 hex digits); anything else cannot name an object.
pub fn check_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::ObjectNotFound);
    }
    Ok(())
}
