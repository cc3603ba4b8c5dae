//! PIN changes: `C_SetPIN` (the old PIN checked and counted exactly as a login) and
//! `C_InitPIN` (by the SO, which is also how a locked user is unlocked).

use super::login::{check_pin, unseen_token};
use super::session::resolve;
use super::tokens::admitted;
use super::{pin, Caller};
use crate::audit;
use crate::error::{Error, Result};
use crate::state::Services;
use crate::store::tokens;
use crate::store::Db;
use kms_api::msg::{InitPinRequest, SetPinRequest, UserType};

/// `C_SetPIN`: with a bearer session, changes the PIN of that
/// session's user type; without one, the user PIN. The old PIN is checked like a login (counted
/// first, same lockout and codes); on success the new hash is stored and the counter reset in
/// one transaction with the audit record `pin.set`.
pub fn set_pin(svc: &Services, caller: &Caller, token: &str, req: &SetPinRequest) -> Result<()> {
    let ev = caller.event(Some(token), "pin.set");
    audit::audited(&svc.store, ev, |ev| {
        set_pin_inner(svc, caller, token, req, ev)
    })
}

fn user_type_name(u: UserType) -> &'static str {
    match u {
        UserType::User => "user_type=user",
        UserType::So => "user_type=so",
    }
}

fn set_pin_inner(
    svc: &Services,
    caller: &Caller,
    token: &str,
    req: &SetPinRequest,
    ev: &mut audit::Event,
) -> Result<()> {
    let (old, new) = (req.old_pin.as_ref(), req.new_pin.as_ref());
    pin::check_len(old)?;
    pin::check_len(new)?;
    let session = match svc.store.read(|conn| {
        if admitted(conn, token, &caller.identity).is_err() {
            return Ok(None);
        }
        resolve(conn, &svc.auth, caller, token).map(Some)
    })? {
        Some(s) => s,
        None => return Err(unseen_token(svc, caller, old)),
    };
    let user_type = session.unwrap_or(UserType::User);
    ev.detail = Some(user_type_name(user_type).to_owned());
    check_pin(svc, caller, token, user_type, old)?;
    let hash = pin::hash(new)?;
    svc.store.tx(|tx| {
        // The session used to pick the user type must still be the caller's.
        if session.is_some() && resolve(tx, &svc.auth, caller, token)? != session {
            return Err(Error::Unauthenticated);
        }
        tokens::set_pin_hash(tx, token, user_type, &hash)?;
        audit::append(tx, ev)?;
        Ok(())
    })
}

/// `C_InitPIN`: the SO (a bearer session of user type SO on
/// this token) sets the user PIN; this also resets the user's failure counter, which is how a
/// locked user is unlocked. Existing user sessions stay valid. Audit record `pin.init`.
pub fn init_pin(svc: &Services, caller: &Caller, token: &str, req: &InitPinRequest) -> Result<()> {
    let ev = caller.event(Some(token), "pin.init");
    audit::audited(&svc.store, ev, |ev| {
        init_pin_inner(svc, caller, token, req, ev)
    })
}

/// Whether the caller holds an SO session on `token` (token not found → `token_not_found`).
fn so_logged_in(svc: &Services, conn: &Db<'_>, caller: &Caller, token: &str) -> Result<bool> {
    admitted(conn, token, &caller.identity)?;
    Ok(
        resolve(conn, &svc.auth, caller, token)? == Some(UserType::So)
            && crate::auth::identity::is_listed(&svc.auth.so_identities, &caller.identity),
    )
}

fn init_pin_inner(
    svc: &Services,
    caller: &Caller,
    token: &str,
    req: &InitPinRequest,
    ev: &audit::Event,
) -> Result<()> {
    if !svc
        .store
        .read(|conn| so_logged_in(svc, conn, caller, token))?
    {
        return Err(Error::UserNotLoggedIn);
    }
    let new = req.pin.as_ref();
    pin::check_len(new)?;
    let hash = pin::hash(new)?;
    svc.store.tx(|tx| {
        if !so_logged_in(svc, tx, caller, token)? {
            return Err(Error::UserNotLoggedIn);
        }
        tokens::set_pin_hash(tx, token, UserType::User, &hash)?;
        audit::append(tx, ev)?;
        Ok(())
    })
}
