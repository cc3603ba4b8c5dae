//! Tokens as the PKCS#11 side sees them: their listing with the PIN flags (`C_GetTokenInfo`), and
//! their creation by the administrator.

use super::pin;
use crate::audit;
use crate::clock::now_ms;
use crate::crypto::rng;
use crate::error::{Error, Result};
use crate::state::Services;
use crate::store::tokens;
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

/// Every token.
pub fn list_tokens(svc: &Services) -> Result<Vec<TokenInfo>> {
    let rows = svc.store.read(tokens::list)?;
    Ok(rows
        .iter()
        .map(|r| token_info(r, svc.auth.max_pin_failures))
        .collect())
}

/// Creates a token with both PINs (CLI: `kmsd token create`, `kmsd quickstart`).
pub fn create_token(
    store: &crate::store::Store,
    label: &str,
    user_pin: &[u8],
    so_pin: &[u8],
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
    };
    store.tx(|tx| {
        if tokens::get(tx, label)?.is_some() {
            return Err(Error::BadRequest(format!("token {label:?} already exists")));
        }
        tokens::insert(tx, &row, now_ms())?;
        let ev = audit::Event {
            request_id: "cli".into(),
            actor: crate::audit::ADMIN_ACTOR.into(),
            token: Some(label.to_owned()),
            action: "token.create".into(),
            outcome: "ok".into(),
            ..Default::default()
        };
        audit::append(tx, &ev)?;
        Ok(())
    })?;
    Ok(row)
}
