//! `C_InitToken` on an existing token: the SO, from an SO identity and with the SO PIN (checked
//! and counted exactly as an SO login), re-initialises the token — never while a login session
//! of any identity is open on it (`session_exists`, PKCS#11's `CKR_SESSION_EXISTS`: the
//! applications using the token must log out first, so nobody's keys vanish under them).
//!
//! In one transaction the token's keys are sent through scheduled destruction like any other
//! destroyed key (`keys::destroy`: invisible and unusable at once, erased after `[lifecycle]
//! destroy_wait_secs`, until then restorable with `kmsd key cancel-destroy`); its session
//! objects, certificates and data objects are deleted; each is audited (`object.destroy`,
//! detail `token.init …`); the user PIN is forgotten (the user cannot log in until the SO runs
//! `C_InitPIN`); expired login sessions are cleared. Audit record `token.init`.

use super::destroy;
use crate::audit;
use crate::auth::login::check_pin;
use crate::auth::tokens::admitted;
use crate::auth::{pin, Caller};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::model::lifecycle::has_lifecycle;
use crate::state::Services;
use crate::store::{objects, sessions, tokens, Db};
use kms_api::msg::{InitTokenRequest, UserType};

/// `C_InitToken` on an existing token (module doc).
pub fn init_token(
    svc: &Services,
    caller: &Caller,
    token: &str,
    req: &InitTokenRequest,
) -> Result<()> {
    let ev = caller.event(Some(token), "token.init");
    audit::audited(&svc.store, ev, |ev| reinit(svc, caller, token, req, ev))
}

/// Whether a login session (of any identity and user type) that has not idled out is open on
/// `token`; expired ones are deleted.
fn sessions_open(svc: &Services, conn: &Db<'_>, token: &str) -> Result<bool> {
    let idle_ms =
        i64::try_from(svc.auth.session_idle_timeout_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let since = now_ms().saturating_sub(idle_ms);
    Ok(sessions::count_live_on_token(conn, token, since)? > 0)
}

fn reinit(
    svc: &Services,
    caller: &Caller,
    token: &str,
    req: &InitTokenRequest,
    ev: &audit::Event,
) -> Result<()> {
    let so_pin = req.so_pin.as_ref();
    pin::check_len(so_pin)?;
    // Only an SO identity that sees the token learns whether sessions are open; anyone else
    // gets what `check_pin` answers them.
    let busy = if crate::auth::identity::is_listed(&svc.auth.so_identities, &caller.identity) {
        svc.store
            .read(|conn| match admitted(conn, token, &caller.identity) {
                Ok(_) => sessions_open(svc, conn, token),
                Err(_) => Ok(false),
            })?
    } else {
        false
    };
    if busy {
        return Err(Error::SessionExists);
    }
    check_pin(svc, caller, token, UserType::So, so_pin)?;
    let now = now_ms();
    let done = svc.store.tx(|tx| {
        // The PIN was right: its failure counter is reset even if a login came in meanwhile.
        tokens::reset_failures(tx, token, UserType::So)?;
        if sessions_open(svc, tx, token)? {
            return Ok(false);
        }
        for obj in objects::list(tx, token)? {
            let mut destroyed = caller.event(Some(token), "object.destroy");
            destroyed.object_id = Some(obj.id.clone());
            if has_lifecycle(obj.class) && obj.ephemeral_owner.is_none() {
                if obj.life.is_gone() {
                    continue;
                }
                let scheduled = destroy::schedule(svc, &obj, now)?;
                objects::update(tx, &scheduled)?;
                destroyed.detail = Some(format!("token.init {}", destroy::detail(&scheduled)));
            } else {
                objects::delete(tx, &obj.id)?;
                destroyed.detail = Some("token.init".into());
            }
            audit::append(tx, &destroyed)?;
        }
        tokens::clear_user_pin(tx, token)?;
        sessions::delete_for_token(tx, token)?;
        audit::append(tx, ev)?;
        Ok(true)
    })?;
    if !done {
        return Err(Error::SessionExists);
    }
    Ok(())
}
