//! Tokens as the PKCS#11 side sees them: their listing with the PIN flags (`C_GetTokenInfo`),
//! their creation by the administrator, and token admission.
//!
//! **Admission.** A token admits the client identities it is configured for (`kmsd token create
//! --allow SUBJECT …`, changed with `kmsd token admit`; quick start admits its client and admin
//! certificates), or every identity of the client CA (`--allow-any`, and tokens made before
//! admission existed). To an identity it does not admit, the token does not exist: it is not
//! listed, and every request naming it — login, PIN change, find, use — answers
//! `token_not_found` exactly as for a label no token has, after the same work (one argon2 run for
//! a PIN), so the answer tells nothing. Such refusals of logins and PIN changes are also counted
//! per identity ([`crate::limits::Limits::refused_token_attempt`]): past
//! `[limits] unknown_token_logins_per_minute` an identity gets `too_many_requests` without any
//! argon2 work, so that nobody can spend kmsd's PIN-checking capacity on tokens they cannot use.
//! Narrowing a token's admission ends the login sessions of the identities it no longer admits.

use super::pin;
use crate::audit;
use crate::clock::now_ms;
use crate::crypto::rng;
use crate::error::{Error, Result};
use crate::state::Services;
use crate::store::{sessions, tokens, Db};
use kms_api::msg::TokenInfo;

/// What a token listing shows of one token (`C_GetTokenInfo`).
pub fn token_info(row: &tokens::TokenRow, max: u32) -> TokenInfo {
    let flags = |n: u32| (n > 0, n + 1 == max, n >= max);
    let (user_low, user_final, user_locked) = flags(row.user_failures);
    let (so_low, so_final, so_locked) = flags(row.so_failures);
    TokenInfo {
        label: row.label.clone(),
        serial: row.serial.clone(),
        user_pin_initialized: row.user_pin_hash.is_some(),
        user_pin_count_low: user_low,
        user_pin_final_try: user_final,
        user_pin_locked: user_locked,
        so_pin_count_low: so_low,
        so_pin_final_try: so_final,
        so_pin_locked: so_locked,
        min_pin_len: kms_api::MIN_PIN_LEN as u64,
        max_pin_len: kms_api::MAX_PIN_LEN as u64,
    }
}

/// The tokens that admit `identity`.
pub fn list_tokens(svc: &Services, identity: &str) -> Result<Vec<TokenInfo>> {
    let rows = svc.store.read(tokens::list)?;
    Ok(rows
        .iter()
        .filter(|r| r.admits(identity))
        .map(|r| token_info(r, svc.auth.max_pin_failures))
        .collect())
}

/// The token `label` if it admits `identity`; `token_not_found` otherwise, as for no token.
pub fn admitted(conn: &Db<'_>, label: &str, identity: &str) -> Result<tokens::TokenRow> {
    tokens::get(conn, label)?
        .filter(|t| t.admits(identity))
        .ok_or(Error::TokenNotFound)
}

/// Creates a token with both PINs, admitting `admit` (canonical identities; `None`: every
/// identity) (CLI: `kmsd token create`, `kmsd quickstart`).
pub fn create_token(
    store: &crate::store::Store,
    label: &str,
    user_pin: &[u8],
    so_pin: &[u8],
    admit: Option<Vec<String>>,
) -> Result<tokens::TokenRow> {
    if label.is_empty() || label.len() > 32 {
        return Err(Error::BadRequest("a token label has 1 to 32 bytes".into()));
    }
    let row = tokens::TokenRow {
        label: label.to_owned(),
        serial: rng::hex_id(8)?,
        user_pin_hash: Some(pin::hash(user_pin)?),
        so_pin_hash: pin::hash(so_pin)?,
        user_failures: 0,
        so_failures: 0,
        admitted: admit,
    };
    store.tx(|tx| {
        if tokens::get(tx, label)?.is_some() {
            return Err(Error::BadRequest(format!("token {label:?} already exists")));
        }
        tokens::insert(tx, &row, now_ms())?;
        let mut ev = admin_event(label, "token.create");
        ev.detail = Some(admission_detail(row.admitted.as_deref()));
        audit::append(tx, &ev)?;
        Ok(())
    })?;
    Ok(row)
}

fn admin_event(label: &str, action: &str) -> audit::Event {
    audit::Event {
        request_id: format!("cli-{}", now_ms()),
        actor: crate::audit::ADMIN_ACTOR.into(),
        token: Some(label.to_owned()),
        action: action.into(),
        outcome: "ok".into(),
        ..Default::default()
    }
}

/// The audit detail of an admission list.
fn admission_detail(admitted: Option<&[String]>) -> String {
    match admitted {
        None => "admits=any".to_owned(),
        Some(list) => format!("admits={list:?}"),
    }
}

/// `kmsd token admit`: replaces the identities token `label` admits (canonical; `None`: every
/// identity) and, in the same transaction, ends the login sessions of identities it no longer
/// admits. Audited as `token.admission` (actor `local-admin`). Returns how many sessions ended.
pub fn set_admission(
    store: &crate::store::Store,
    label: &str,
    admit: Option<Vec<String>>,
) -> Result<usize> {
    let mut ev = admin_event(label, "token.admission");
    ev.detail = Some(admission_detail(admit.as_deref()));
    audit::audited(store, ev, |ev| {
        store.tx(|tx| {
            tokens::get(tx, label)?.ok_or(Error::TokenNotFound)?;
            tokens::set_admitted(tx, label, admit.as_deref())?;
            let ended = match &admit {
                None => 0,
                Some(list) => sessions::delete_for_token_except(tx, label, list)?,
            };
            audit::append(tx, ev)?;
            Ok(ended)
        })
    })
}

/// `kmsd token reset-so-pin`: gives token `label` a new SO PIN and clears its SO failure
/// counter — the way back from an SO PIN lockout, which no PKCS#11 call offers — and ends the
/// token's SO login sessions, in one transaction with the audit record `pin.so_reset` (actor
/// `local-admin`). Returns how many SO sessions ended.
pub fn reset_so_pin(store: &crate::store::Store, label: &str, new_pin: &[u8]) -> Result<usize> {
    let ev = admin_event(label, "pin.so_reset");
    audit::audited(store, ev, |ev| {
        pin::check_len(new_pin)?;
        let hash = pin::hash(new_pin)?;
        store.tx(|tx| {
            tokens::get(tx, label)?.ok_or(Error::TokenNotFound)?;
            tokens::set_pin_hash(tx, label, kms_api::msg::UserType::So, &hash)?;
            let ended = sessions::delete_so_for_token(tx, label)?;
            audit::append(tx, ev)?;
            Ok(ended)
        })
    })
}
