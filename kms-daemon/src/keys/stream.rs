//! Streamed encryption and decryption with `CKM_AES_ECB`, `CKM_AES_CBC`, `CKM_AES_CBC_PAD` and
//! `CKM_AES_CTR` (`kms_api::msg::PartRequest`), without state in kmsd: the module carries the
//! chaining value or the counter and sends the operation in parts.
//!
//! The first part is one key use ([`super::usage`]): policy (life cycle, validity, principals,
//! usage limit) checked, one audit record, one usage count — the operation's record is written
//! at its start. Its answer carries a ticket, an HMAC under a key that lives only in this
//! process, over who may go on (identity, login session, token, key, operation, mechanism) and
//! until when. Each later part presents the last ticket: the login, the key and the mechanism
//! are checked again, nothing is recorded or counted, and the answer carries a fresh ticket.
//! A ticket from another process (a restart, another replica) or past its idle limit is
//! `operation_unknown`.

use super::mechanism::Plan;
use super::usage::{use_part, Target};
use crate::auth::Caller;
use crate::clock::now_ms;
use crate::crypto::mac::{ticket_tag, ticket_tag_ok};
use crate::error::{Error, Result};
use crate::model::op::Op;
use crate::state::Services;
use kms_api::mech::params::AES_BLOCK_LEN;
use kms_api::mech::table::{info, Kind};
use kms_api::msg::{PartRequest, PartResponse, MAX_PART_LEN, STREAM_IDLE_SECS, STREAM_TICKET_LEN};
use kms_api::Bytes;

/// One part of a streamed encryption (`op` = Encrypt) or decryption.
pub fn part(
    svc: &Services,
    caller: &Caller,
    token: &str,
    id: &str,
    op: Op,
    req: &PartRequest,
) -> Result<PartResponse> {
    let mech = req.mechanism.mechanism;
    let kind = info(mech)
        .map(|row| row.kind)
        .ok_or(Error::MechanismInvalid(mech))?;
    if !matches!(
        kind,
        Kind::AesEcb | Kind::AesCbc | Kind::AesCbcPad | Kind::AesCtr
    ) || !matches!(op, Op::Encrypt | Op::Decrypt)
    {
        return Err(Error::MechanismInvalid(mech));
    }
    let data: &[u8] = req.data.as_ref();
    if data.len() > MAX_PART_LEN {
        return Err(Error::BadRequest(format!(
            "a part carries at most {MAX_PART_LEN} bytes"
        )));
    }
    // Only whole blocks before the last part, so the chaining value or counter stays in step.
    if !req.last && !data.len().is_multiple_of(AES_BLOCK_LEN) {
        return Err(Error::BadRequest(
            "a part before the last carries whole blocks".into(),
        ));
    }
    let last = req.last;
    // A CBC-PAD part before the last is plain CBC: the padding belongs to the last block.
    let adjust = move |plan: Plan| match plan {
        Plan::AesCbcPad(iv) if !last => Plan::AesCbc(iv),
        other => other,
    };
    let scope = scope(caller, token, id, op, mech);
    if let Some(ticket) = &req.ticket {
        if !valid(ticket.as_ref(), &scope, now()) {
            return Err(Error::OperationUnknown);
        }
    }
    let first = req.ticket.is_none();
    let mechanism = &req.mechanism;
    let target = Target {
        token,
        id,
        op,
        mechanism,
    };
    let out = use_part(svc, caller, &target, data, first, adjust)?;
    let expires = now().saturating_add(STREAM_IDLE_SECS * 1000);
    Ok(PartResponse {
        data: kms_api::SecretBytes(out),
        ticket: Bytes(issue(&scope, expires)),
    })
}

/// Milliseconds since the epoch, as tickets count them.
fn now() -> u64 {
    u64::try_from(now_ms()).unwrap_or(0)
}

/// What a ticket binds: the caller's identity and login session, the key and the operation.
fn scope(caller: &Caller, token: &str, id: &str, op: Op, mech: u64) -> Vec<u8> {
    let mut s = Vec::new();
    let bearer = caller.bearer.as_ref().map_or("", |b| b.as_str());
    for field in [caller.identity.as_str(), bearer, token, id] {
        s.extend_from_slice(&(field.len() as u64).to_be_bytes());
        s.extend_from_slice(field.as_bytes());
    }
    s.push(u8::from(op == Op::Encrypt));
    s.extend_from_slice(&mech.to_be_bytes());
    s
}

/// A ticket for `scope` valid until `expires_ms`: the expiry, then the tag over both.
fn issue(scope: &[u8], expires_ms: u64) -> Vec<u8> {
    let mut t = expires_ms.to_be_bytes().to_vec();
    t.extend_from_slice(&ticket_tag(&signed(scope, expires_ms)));
    t
}

/// Whether `ticket` is this process's for `scope` and not lapsed at `now`.
fn valid(ticket: &[u8], scope: &[u8], now: u64) -> bool {
    if ticket.len() != STREAM_TICKET_LEN {
        return false;
    }
    let (expiry, tag) = ticket.split_at(8);
    let expires_ms = u64::from_be_bytes(expiry.try_into().unwrap_or_default());
    now <= expires_ms && ticket_tag_ok(&signed(scope, expires_ms), tag)
}

fn signed(scope: &[u8], expires_ms: u64) -> Vec<u8> {
    let mut m = expires_ms.to_be_bytes().to_vec();
    m.extend_from_slice(scope);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_hold_for_their_scope_until_they_lapse() {
        let scope = b"identity session token key encrypt CKM_AES_CBC".to_vec();
        let t = issue(&scope, 1_000);
        assert_eq!(t.len(), STREAM_TICKET_LEN);
        assert!(valid(&t, &scope, 1_000));
        assert!(!valid(&t, &scope, 1_001), "lapsed");
        assert!(!valid(&t, b"another scope", 10), "another key or caller");
        let mut later = t.clone();
        later[7] ^= 1;
        assert!(!valid(&later, &scope, 10), "an expiry moved by the client");
        let mut forged = t.clone();
        forged[39] ^= 1;
        assert!(!valid(&forged, &scope, 10));
        assert!(!valid(&t[..39], &scope, 10));
    }
}
