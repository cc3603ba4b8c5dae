//! Scheduled destruction (security rules §3.3): a key is first *scheduled* — invisible to
//! PKCS#11 and unusable at once, restorable by an administrator — and its material is erased
//! when the waiting period (`[lifecycle] destroy_wait_secs`, default 7 days, 0 = at once) has
//! passed. The row stays, in state `destroyed`, with its public attributes and no material, so
//! that the audit trail keeps naming a known key.
//!
//! `kmsd serve` runs [`sweep`] at start and then every minute; a use in between is refused
//! anyway, since the key is scheduled. The scheduled flag is bound in the AAD, so clearing
//! `destroy_at` in the database does not bring a key back: only [`cancel`], which reseals, does.

use super::change::reseal;
use crate::audit::{self, Event};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::model::lifecycle::State;
use crate::model::object::StoredObject;
use crate::state::Services;
use crate::store::objects;

/// The actor of records kmsd writes on its own (erasure at the end of the waiting period).
pub const SYSTEM_ACTOR: &str = "kmsd";

/// `obj` scheduled for destruction at `now` plus the waiting period, resealed for its new AAD;
/// erased at once when the period is 0.
pub fn schedule(svc: &Services, obj: &StoredObject, now: i64) -> Result<StoredObject> {
    if obj.life.is_gone() {
        return Err(Error::ActionProhibited(
            "the key is already destroyed or scheduled for destruction",
        ));
    }
    let wait_ms =
        i64::try_from(svc.lifecycle.destroy_wait_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let mut new = obj.clone();
    // Scheduled or erased, the key is unusable from now on: no parsed form of it stays.
    svc.key_cache.forget(&obj.id);
    if wait_ms == 0 {
        erase(&mut new, now);
        return Ok(new);
    }
    new.life.destroy_at = Some(now.saturating_add(wait_ms));
    reseal(svc, obj, &mut new)?;
    Ok(new)
}

/// `obj` with its scheduled destruction cancelled, resealed; refused (`action_prohibited`)
/// when nothing is scheduled or the material is already erased.
pub fn cancel(svc: &Services, obj: &StoredObject) -> Result<StoredObject> {
    if obj.life.state == State::Destroyed {
        return Err(Error::ActionProhibited("the key is already destroyed"));
    }
    if obj.life.destroy_at.is_none() {
        return Err(Error::ActionProhibited(
            "the key is not scheduled for destruction",
        ));
    }
    let mut new = obj.clone();
    new.life.destroy_at = None;
    reseal(svc, obj, &mut new)?;
    Ok(new)
}

/// Erases the material: state `destroyed`, `destroy_at` = when it happened.
fn erase(obj: &mut StoredObject, now: i64) {
    obj.sealed = None;
    obj.life.state = State::Destroyed;
    obj.life.destroy_at = Some(now);
}

/// The audit detail of a scheduling or erasure.
pub fn detail(obj: &StoredObject) -> String {
    match (obj.life.state, obj.life.destroy_at) {
        (State::Destroyed, _) => "destroyed".to_owned(),
        (_, Some(at)) => format!("destroy_at={}", crate::model::dates::rfc3339(at)),
        _ => "restored".to_owned(),
    }
}

/// Erases every key whose waiting period is over, each in one transaction with its audit
/// record (`key.destroyed`, actor `kmsd`, detail: the state it had). Returns how many.
pub fn sweep(svc: &Services) -> Result<usize> {
    let now = now_ms();
    let due = svc.store.read(|c| objects::due_for_destruction(c, now))?;
    let mut done = 0;
    for obj in due {
        let erased = svc.store.tx(|tx| {
            let Some(mut current) = objects::get_locked(tx, &obj.token, &obj.id)? else {
                return Ok(false);
            };
            if current.life.state == State::Destroyed
                || current.life.destroy_at.is_none_or(|t| t > now)
            {
                return Ok(false);
            }
            let from = current.life.effective(now);
            erase(&mut current, now);
            objects::update(tx, &current)?;
            audit::append(
                tx,
                &Event {
                    request_id: format!("sweep-{now}"),
                    actor: SYSTEM_ACTOR.to_owned(),
                    token: Some(obj.token.clone()),
                    action: "key.destroyed".to_owned(),
                    object_id: Some(obj.id.clone()),
                    mechanism: None,
                    outcome: "ok".to_owned(),
                    detail: Some(format!("from={}", from.as_str())),
                },
            )?;
            Ok(true)
        })?;
        svc.key_cache.forget(&obj.id);
        done += usize::from(erased);
    }
    Ok(done)
}
