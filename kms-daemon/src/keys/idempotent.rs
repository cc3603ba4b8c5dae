//! Idempotent creations: a generate, generate-pair, create, copy, unwrap or derive sent with an
//! `Idempotency-Key` header creates its objects at most once per (client identity, key).
//!
//! [`once`] looks the key up first: an entry with the same fingerprint (route, login session,
//! body) is a replay and gets the objects of the first answer, read again from the store; an
//! entry with another fingerprint is `idempotency_conflict` (409). Otherwise the creation runs
//! and [`record`] writes the entry in the creation's own transaction, next to its objects and
//! audit record — so an acknowledged creation always has its entry, and a creation that rolled
//! back has none. Two requests with one key racing (on two replicas, or in one group-commit
//! batch) cannot both commit: the second insert finds the first entry, its transaction rolls
//! back, and it answers as a replay of the first.
//!
//! A replay is audited as `request.replay` (object = the first object, detail = the original
//! action), so the trail shows one creation and the retries that returned it.
//!
//! A replay does not check the login again: it needs the same client identity, the same
//! bearer token (in the fingerprint) and the random key, and only returns what that request
//! was already answered — what it created, as those objects are now. An object destroyed since
//! (deleted, or scheduled for destruction) is gone for the replay too: `object_not_found`, as
//! any request naming it gets.

use crate::audit;
use crate::auth::Caller;
use crate::clock::now_ms;
use crate::crypto::sha256;
use crate::error::{Error, Result};
use crate::state::Services;
use crate::store::Db;
use crate::store::{idempotency, objects};
use kms_api::msg::{KeyPairInfo, ObjectInfo};
use serde::Serialize;

/// How long a key is remembered. A module retries within one call (its request timeout), so an
/// hour leaves a wide margin.
pub const TTL_MS: i64 = 3600 * 1000;

/// What a creation answers, and how to answer it again from its objects.
pub trait Created: Sized {
    /// The answer rebuilt from the objects (as they are now), in the same order.
    fn from_objects(objects: Vec<ObjectInfo>) -> Result<Self>;
}

impl Created for ObjectInfo {
    fn from_objects(objects: Vec<ObjectInfo>) -> Result<Self> {
        let [one]: [ObjectInfo; 1] = objects
            .try_into()
            .map_err(|_| Error::Internal("idempotency entry of the wrong shape".into()))?;
        Ok(one)
    }
}

impl Created for KeyPairInfo {
    fn from_objects(objects: Vec<ObjectInfo>) -> Result<Self> {
        let [public, private]: [ObjectInfo; 2] = objects
            .try_into()
            .map_err(|_| Error::Internal("idempotency entry of the wrong shape".into()))?;
        Ok(KeyPairInfo { public, private })
    }
}

/// One creation request: where it was sent and what its audit action is.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The request path (with the token and source object).
    pub path: &'a str,
    /// The token.
    pub token: &'a str,
    /// The audit action of the creation (`key.generate` …).
    pub action: &'a str,
}

fn fingerprint(caller: &Caller, path: &str, body: &impl Serialize) -> Result<String> {
    let body = serde_json::to_vec(body).map_err(|e| Error::Internal(e.to_string()))?;
    let bearer = caller.bearer.as_ref().map_or(&b""[..], |b| b.as_bytes());
    let mut data = Vec::with_capacity(path.len() + body.len() + 96);
    for part in [path.as_bytes(), &sha256(bearer)[..], &body] {
        data.extend_from_slice(&(part.len() as u64).to_be_bytes());
        data.extend_from_slice(part);
    }
    Ok(hex::encode(sha256(&data)))
}

/// Runs `create` at most once per idempotency key of `caller` (without a key: just runs it).
pub fn once<R: Created>(
    svc: &Services,
    mut caller: Caller,
    req: Request<'_>,
    body: &impl Serialize,
    create: impl FnOnce(&Caller) -> Result<R>,
) -> Result<R> {
    let fp = fingerprint(&caller, req.path, body)?;
    let Some(idem) = caller.idempotency.as_mut() else {
        return create(&caller);
    };
    idem.fingerprint = fp;
    let key = idem.key.clone();
    let earlier = svc
        .store
        .read(|c| idempotency::get(c, &caller.identity, &key, now_ms()))?;
    if let Some(entry) = earlier {
        return replay(svc, &caller, req, entry);
    }
    match create(&caller) {
        Err(Error::IdempotencyConflict) => {
            // Another request with this key committed first, maybe in this very batch: read it
            // on the writer, which returns once that batch is committed.
            let entry = svc
                .store
                .tx(|tx| idempotency::get(tx, &caller.identity, &key, now_ms()))?
                .ok_or(Error::IdempotencyConflict)?;
            replay(svc, &caller, req, entry)
        }
        other => other,
    }
}

/// The answer to a repeated key: the first answer again, or a conflict.
fn replay<R: Created>(
    svc: &Services,
    caller: &Caller,
    req: Request<'_>,
    entry: idempotency::Entry,
) -> Result<R> {
    let mut ev = caller.event(Some(req.token), "request.replay");
    ev.detail = Some(format!("action={}", req.action));
    let same = caller
        .idempotency
        .as_ref()
        .is_some_and(|i| i.fingerprint == entry.fingerprint);
    if !same || entry.token != req.token {
        let e = Error::IdempotencyConflict;
        audit::record_refusal(&svc.store, ev, &e);
        return Err(e);
    }
    let found = svc.store.read(|c| {
        entry
            .object_ids
            .iter()
            .map(|id| {
                objects::get(c, &entry.token, id)?
                    .filter(|o| !o.life.is_gone())
                    .map(|o| o.info())
                    .ok_or(Error::ObjectNotFound)
            })
            .collect::<Result<Vec<_>>>()
    });
    ev.object_id = entry.object_ids.first().cloned();
    let answer = found.and_then(R::from_objects);
    match &answer {
        Ok(_) => svc.store.tx(|tx| audit::append(tx, &ev).map(|_| ()))?,
        Err(e) => audit::record_refusal(&svc.store, ev, e),
    }
    answer
}

/// In the creation's transaction: remembers the objects `created` made for the caller's key, if
/// it sent one. A key already taken (a racing request with the same key committed first) is
/// `idempotency_conflict`, which rolls this creation back; [`once`] then answers as a replay.
pub fn record(tx: &Db<'_>, caller: &Caller, token: &str, created: &[&str]) -> Result<()> {
    let Some(idem) = &caller.idempotency else {
        return Ok(());
    };
    if idem.fingerprint.is_empty() {
        // A key on a route that is not a creation run through `once`: nothing to remember.
        return Ok(());
    }
    let entry = idempotency::Entry {
        fingerprint: idem.fingerprint.clone(),
        token: token.to_owned(),
        object_ids: created.iter().map(|s| (*s).to_owned()).collect(),
    };
    let now = now_ms();
    if idempotency::insert(tx, &caller.identity, &idem.key, &entry, now, now + TTL_MS)? {
        Ok(())
    } else {
        Err(Error::IdempotencyConflict)
    }
}
