//! `C_InitToken` on an existing token: the SO, from an SO identity and with the SO PIN (checked
//! and counted exactly as an SO login), re-initialises the token. In one transaction every
//! object of the token is destroyed — its sealed material with it, each destruction audited —
//! the user PIN is forgotten (the user cannot log in until the SO runs `C_InitPIN`), and every
//! login session of the token ends. Audit record `token.init`.

use super::login::check_pin;
use super::{pin, Caller};
use crate::audit;
use crate::error::Result;
use crate::state::Services;
use crate::store::{objects, sessions, tokens};
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

fn reinit(
    svc: &Services,
    caller: &Caller,
    token: &str,
    req: &InitTokenRequest,
    ev: &audit::Event,
) -> Result<()> {
    let so_pin = req.so_pin.as_ref();
    pin::check_len(so_pin)?;
    check_pin(svc, caller, token, UserType::So, so_pin)?;
    svc.store.tx(|tx| {
        tokens::reset_failures(tx, token, UserType::So)?;
        for obj in objects::list(tx, token)? {
            objects::delete(tx, &obj.id)?;
            let mut destroyed = caller.event(Some(token), "object.destroy");
            destroyed.object_id = Some(obj.id);
            destroyed.detail = Some("token.init".into());
            audit::append(tx, &destroyed)?;
        }
        tokens::clear_user_pin(tx, token)?;
        sessions::delete_for_token(tx, token)?;
        audit::append(tx, ev)?;
        Ok(())
    })
}
