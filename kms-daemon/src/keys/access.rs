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

/// Without a user login (a public session: no login, or the SO's), only public objects may be
/// made, copied, changed or destroyed (the PKCS#11 v3.0 session table, §5.2): session objects
/// (`CKA_TOKEN=false`, bound to the caller's identity and instance), and token objects when
/// `[policy] public_token_objects_without_login` allows. Anything else is
/// `user_not_logged_in`. `user` is what [`user_logged_in`] said.
pub fn check_public(svc: &Services, user: bool, objects: &[&StoredObject]) -> Result<()> {
    let public = |o: &&StoredObject| {
        !o.is_private
            && (o.ephemeral_owner.is_some() || svc.policy.public_token_objects_without_login)
    };
    if user || objects.iter().all(public) {
        Ok(())
    } else {
        Err(Error::UserNotLoggedIn)
    }
}

/// The object `id` for a change (attributes, copy, destruction): with a user login, any object
/// the caller may see; without one, only an object [`check_public`] allows. Anything else —
/// a private object, or no such object — is `user_not_logged_in`, as before any object is
/// read, so that a caller without the PIN learns nothing of the private ones.
pub fn load_for_change(
    svc: &Services,
    conn: &Db<'_>,
    caller: &Caller,
    token: &str,
    id: &str,
) -> Result<StoredObject> {
    let user = user_logged_in(svc, conn, caller, token)?;
    match load_visible(conn, caller, token, id, user) {
        Ok(obj) => check_public(svc, user, &[&obj]).map(|()| obj),
        Err(Error::ObjectNotFound) if !user => Err(Error::UserNotLoggedIn),
        Err(e) => Err(e),
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
