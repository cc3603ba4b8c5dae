//! What the KMIP front end needs beyond the module's calls, on the same objects and rules: a
//! key's material in clear (KMIP Get) and a logged-in user's life-cycle transitions (KMIP
//! Activate and Revoke).
//!
//! **The clear-export rule.** A secret or private key leaves kmsd in clear only when all hold:
//! a user is logged in on the token, the key is visible to the caller, `CKA_SENSITIVE` is false
//! and `CKA_EXTRACTABLE` true (so a key generated through the module with its defaults, or made
//! sensitive since, never leaves), and the export rule of wrapping holds
//! ([`Lifecycle::check_export`](crate::model::lifecycle::Lifecycle::check_export): active, no
//! principals, usage limit or validity window). A refusal is `key_unextractable`. Each export,
//! and each refusal, is audited as `key.export`. Public keys are public: their SubjectPublicKeyInfo
//! is read like any attribute.

use super::access::{load_visible, require_user};
use super::change::{reseal, update_checked};
use crate::audit;
use crate::auth::Caller;
use crate::ck::*;
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::model::lifecycle::{has_lifecycle, Transition};
use crate::model::object::StoredObject;
use crate::state::Services;
use crate::store::objects;
use zeroize::Zeroizing;

/// A key's material in clear: raw bytes of a secret key, PKCS#8 DER of a private key.
pub struct Clear {
    /// The object (its attributes, for the Key Block).
    pub object: StoredObject,
    /// The material.
    pub material: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Clear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clear")
            .field("object", &self.object.id)
            .field("material", &"<redacted>")
            .finish()
    }
}

/// Checks the clear-export rule (module doc) on `obj` at `now`.
pub fn check_clear_export(obj: &StoredObject, now: i64) -> Result<()> {
    if !matches!(obj.class, CKO_SECRET_KEY | CKO_PRIVATE_KEY) {
        return Err(Error::KeyUnextractable(
            "only secret and private keys have material to export",
        ));
    }
    if obj.flag(CKA_SENSITIVE) {
        return Err(Error::KeyUnextractable(
            "a sensitive key is never returned in clear",
        ));
    }
    if !obj.flag(CKA_EXTRACTABLE) {
        return Err(Error::KeyUnextractable(
            "a non-extractable key is never returned in clear",
        ));
    }
    obj.life.check_export(now)
}

/// The clear material of secret or private key `id` of `token`, under the clear-export rule.
pub fn export_clear(svc: &Services, caller: &Caller, token: &str, id: &str) -> Result<Clear> {
    let mut ev = caller.event(Some(token), "key.export");
    ev.object_id = Some(id.to_owned());
    audit::audited(&svc.store, ev, |ev| {
        let object = svc.store.read(|conn| {
            require_user(svc, conn, caller, token)?;
            load_visible(conn, caller, token, id, true)
        })?;
        check_clear_export(&object, now_ms())?;
        let blob = object
            .sealed
            .as_deref()
            .ok_or_else(|| Error::IntegrityFailure("key without material".into()))?;
        let material = svc.vault.open(&object.aad(), blob)?;
        svc.store.tx(|tx| audit::append(tx, ev).map(drop))?;
        Ok(Clear { object, material })
    })
}

/// A life-cycle transition of key `id` by a logged-in user of `token` who may change it
/// (`check_principal`), as `kmsd key activate|revoke` does for the administrator; audited with
/// the transition's action. Activating a key that is already active is no change and succeeds.
pub fn transition(
    svc: &Services,
    caller: &Caller,
    token: &str,
    id: &str,
    t: Transition,
    reason: Option<&str>,
) -> Result<StoredObject> {
    let mut ev = caller.event(Some(token), t.action());
    ev.object_id = Some(id.to_owned());
    audit::audited(&svc.store, ev, |ev| {
        let load = |conn: &crate::store::Db<'_>| {
            require_user(svc, conn, caller, token)?;
            let obj = load_visible(conn, caller, token, id, true)?;
            obj.life.check_principal(&caller.identity)?;
            if !has_lifecycle(obj.class) {
                return Err(Error::ActionProhibited("the object has no life cycle"));
            }
            Ok(obj)
        };
        let compute = |obj: &StoredObject| {
            let now = now_ms();
            let mut new = obj.clone();
            let already = t == Transition::Activate
                && !obj.life.is_gone()
                && obj.life.effective(now) == crate::model::lifecycle::State::Active;
            if !already {
                new.life.apply(t, now, reason)?;
                new.life.window_to(&mut new.attrs);
                reseal(svc, obj, &mut new)?;
            }
            Ok(new)
        };
        update_checked(svc, load, compute, |tx, _, new| {
            objects::update(tx, new)?;
            audit::append(tx, ev).map(drop)
        })
    })
}
