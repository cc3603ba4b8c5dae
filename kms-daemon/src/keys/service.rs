//! Shared steps of every key operation (access, visibility, building new objects) and the
//! object routes that need no crypto: find, get, set attributes, destroy.

use crate::audit;
use crate::auth::session::resolve;
use crate::auth::Caller;
use crate::ck::*;
use crate::clock::now_ms;
use crate::crypto::rng;
use crate::error::{Error, Result};
use crate::model::lifecycle::{has_lifecycle, Lifecycle};
use crate::model::object::{AttrMap, StoredObject};
use crate::model::op::Op;
use crate::model::template::{self, Change};
use crate::state::Services;
use crate::store::Db;
use crate::store::{objects, tokens};
use kms_api::msg::{FindRequest, ObjectInfo, ObjectList, UserType};
use kms_api::{Attr, AttrValue};

/// Checks the token exists and resolves the caller's login; true when a user is logged in.
/// A live session of the token proves the token exists (it is a foreign key of the session
/// row), so the token is read only when there is none — and then first, so that an unknown
/// token is `token_not_found` whatever the bearer.
pub fn user_logged_in(svc: &Services, conn: &Db<'_>, caller: &Caller, token: &str) -> Result<bool> {
    match resolve(conn, &svc.auth, caller, token) {
        Ok(Some(UserType::User)) => Ok(true),
        other => {
            tokens::get(conn, token)?.ok_or(Error::TokenNotFound)?;
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

/// Completes a checked template into a new object: defaults (R3), provenance (`local` is the
/// generation mechanism, `None` for imported objects), session-object owner, a fresh id.
pub fn build(
    caller: &Caller,
    token: &str,
    class: u64,
    key_type: Option<u64>,
    mut attrs: AttrMap,
    local: Option<u64>,
) -> Result<StoredObject> {
    template::apply_defaults(class, key_type, &mut attrs);
    let flag = |m: &AttrMap, ty| m.get(&ty).and_then(AttrValue::as_bool).unwrap_or(false);
    if key_type.is_some() {
        attrs.insert(CKA_LOCAL, AttrValue::Bool(local.is_some()));
        if let Some(mech) = local {
            attrs.insert(CKA_KEY_GEN_MECHANISM, AttrValue::Ulong(mech));
        }
    }
    if matches!(class, CKO_PRIVATE_KEY | CKO_SECRET_KEY) {
        let (always_sensitive, never_extractable) = match local {
            Some(_) => (flag(&attrs, CKA_SENSITIVE), !flag(&attrs, CKA_EXTRACTABLE)),
            None => (false, false),
        };
        attrs.insert(CKA_ALWAYS_SENSITIVE, AttrValue::Bool(always_sensitive));
        attrs.insert(CKA_NEVER_EXTRACTABLE, AttrValue::Bool(never_extractable));
    }
    // Keys are active from creation unless CKA_START_DATE is in the future (keys::lifecycle).
    let mut life = Lifecycle::default();
    if has_lifecycle(class) {
        (life.not_before, life.not_after) = Lifecycle::window_from(&attrs)?;
    }
    let ephemeral_owner = if flag(&attrs, CKA_TOKEN) {
        None
    } else {
        Some(caller.owner_tag().ok_or_else(|| {
            Error::BadRequest(format!(
                "session objects (CKA_TOKEN=false) need the {} header",
                kms_api::INSTANCE_HEADER
            ))
        })?)
    };
    Ok(StoredObject {
        id: rng::hex_id(16)?,
        token: token.to_owned(),
        class,
        key_type,
        is_private: flag(&attrs, CKA_PRIVATE),
        ephemeral_owner,
        attrs,
        sealed: None,
        created_at: now_ms(),
        version: 1,
        life,
    })
}

/// Security R1 and R5 for a key made from material that did not come from kmsd's generator
/// (created, unwrapped, derived): no WRAP with DECRYPT or UNWRAP with ENCRYPT, and no WRAP or
/// UNWRAP at all, since it will have CKA_LOCAL=F (`template_inconsistent`).
pub fn check_non_local_roles(map: &AttrMap) -> Result<()> {
    let flag = |ty| map.get(&ty).and_then(AttrValue::as_bool).unwrap_or(false);
    if (flag(CKA_WRAP) && flag(CKA_DECRYPT)) || (flag(CKA_UNWRAP) && flag(CKA_ENCRYPT)) {
        return Err(Error::TemplateInconsistent(
            "a key may not both wrap and decrypt, or unwrap and encrypt".into(),
        ));
    }
    if flag(CKA_WRAP) || flag(CKA_UNWRAP) {
        return Err(Error::TemplateInconsistent(
            "only keys generated in kmsd may wrap or unwrap".into(),
        ));
    }
    Ok(())
}

/// Security R6 and R13: the template of an unwrapped key, or of a key derived from a sensitive
/// base, may only strengthen it: SENSITIVE=F or EXTRACTABLE=T → `template_inconsistent`.
pub fn check_only_strengthens(map: &AttrMap) -> Result<()> {
    let get = |ty| map.get(&ty).and_then(AttrValue::as_bool);
    if get(CKA_SENSITIVE) == Some(false) || get(CKA_EXTRACTABLE) == Some(true) {
        return Err(Error::TemplateInconsistent(
            "this key must stay sensitive and unextractable".into(),
        ));
    }
    Ok(())
}

/// Checks an object id from a request body before it goes into an audit record: at most 64
/// ASCII letters and digits (kmsd's ids are 32 hex digits); anything else cannot name an object.
pub fn check_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::ObjectNotFound);
    }
    Ok(())
}

/// The required attribute `ty` of a template, or `template_incomplete`.
pub fn required(map: &AttrMap, ty: u64, name: &str) -> Result<AttrValue> {
    map.get(&ty)
        .cloned()
        .ok_or_else(|| Error::TemplateIncomplete(format!("{name} is required")))
}

/// `POST …/objects/find`.
pub fn find(svc: &Services, caller: &Caller, token: &str, req: &FindRequest) -> Result<ObjectList> {
    crate::model::template::check_limits(&req.template)?;
    svc.store.read(|conn| {
        let user = user_logged_in(svc, conn, caller, token)?;
        let owner = caller.owner_tag();
        let objects = objects::candidates(conn, token, &req.template)?
            .into_iter()
            .filter(|o| o.visible(user, owner.as_deref()) && o.matches(&req.template))
            .map(|o| o.info())
            .collect();
        Ok(ObjectList { objects })
    })
}

/// `GET …/objects/{id}`.
pub fn get(svc: &Services, caller: &Caller, token: &str, id: &str) -> Result<ObjectInfo> {
    svc.store.read(|conn| {
        let user = user_logged_in(svc, conn, caller, token)?;
        Ok(load_visible(conn, caller, token, id, user)?.info())
    })
}

/// `DELETE …/objects/{id}` (`C_DestroyObject`). A token key (secret, private or public) is not
/// deleted but scheduled for destruction ([`super::destroy`]): from now on invisible and
/// unusable, its material erased after the configured waiting period, restorable until then by
/// `kmsd key cancel-destroy`. Session objects, certificates and data objects are deleted.
pub fn destroy(svc: &Services, caller: &Caller, token: &str, id: &str) -> Result<()> {
    let mut ev = caller.event(Some(token), "object.destroy");
    ev.object_id = Some(id.to_owned());
    audit::audited(&svc.store, ev, |ev| {
        let load = |conn: &Db<'_>| {
            require_user(svc, conn, caller, token)?;
            let obj = load_visible(conn, caller, token, id, true)?;
            if !obj.flag(CKA_DESTROYABLE) {
                return Err(Error::ActionProhibited("CKA_DESTROYABLE is false"));
            }
            Ok(obj)
        };
        let compute =
            |obj: &StoredObject| match has_lifecycle(obj.class) && obj.ephemeral_owner.is_none() {
                true => super::destroy::schedule(svc, obj, now_ms()).map(Some),
                false => Ok(None),
            };
        update_checked(svc, load, compute, |tx, _, scheduled| {
            match scheduled {
                Some(new) => {
                    objects::update(tx, new)?;
                    ev.detail = Some(super::destroy::detail(new));
                }
                None => objects::delete(tx, id)?,
            }
            audit::append(tx, ev)?;
            Ok(())
        })?;
        Ok(())
    })
}

/// Whether `obj` is still stored as it was read, its use counter aside.
fn unchanged(conn: &Db<'_>, obj: &StoredObject) -> Result<bool> {
    Ok(
        objects::get_locked(conn, &obj.token, &obj.id)?.is_some_and(|mut now| {
            now.life.uses = obj.life.uses;
            now == *obj
        }),
    )
}

/// The read–compute–write cycle of a change that needs the vault: `load` reads the object,
/// `compute` works on it with no lock held (opening and sealing material), and `write` runs in
/// one transaction only if the row is still as read (its use counter aside); when another
/// request changed it meanwhile, the cycle runs again, a few times at most.
pub fn update_checked<T>(
    svc: &Services,
    load: impl Fn(&Db<'_>) -> Result<StoredObject>,
    compute: impl Fn(&StoredObject) -> Result<T>,
    mut write: impl FnMut(&Db<'_>, &StoredObject, &T) -> Result<()>,
) -> Result<T> {
    for _ in 0..3 {
        let obj = svc.store.read(&load)?;
        let out = compute(&obj)?;
        let written = svc.store.tx(|tx| {
            if !unchanged(tx, &obj)? {
                return Ok(false);
            }
            write(tx, &obj, &out)?;
            Ok(true)
        })?;
        if written {
            return Ok(out);
        }
    }
    Err(Error::Internal("object changed concurrently".into()))
}

/// Seals the material of `old` for `new` when what the AAD binds differs between them (a
/// changed flag, life cycle, or another object altogether); `new` keeps its blob otherwise.
pub fn reseal(svc: &Services, old: &StoredObject, new: &mut StoredObject) -> Result<()> {
    if let Some(blob) = &old.sealed {
        let (old_aad, new_aad) = (old.aad(), new.aad());
        if old_aad != new_aad {
            let material = svc.vault.open(&old_aad, blob)?;
            new.sealed = Some(svc.vault.seal(&new_aad, &material)?);
        }
    }
    Ok(())
}

/// Checks one use of `obj` for `op` again on the row as it is now, and counts it. Call it in
/// the transaction of the use's audit record: a state change or another use since `obj` was
/// read is seen, so a usage limit holds exactly under concurrency.
pub fn count_use(conn: &Db<'_>, caller: &Caller, obj: &StoredObject, op: Op) -> Result<()> {
    let life = objects::life_locked(conn, &obj.token, &obj.id)?.ok_or(Error::ObjectNotFound)?;
    life.check_use(op, &caller.identity, now_ms())?;
    objects::count_use(conn, &obj.id)
}

/// Applies `C_SetAttributeValue` rules (S15) to a copy of `obj`; changed dates may only narrow
/// the validity window ([`Lifecycle::narrow_to`]); reseals the material when the AAD changed.
fn apply_changes(svc: &Services, obj: &StoredObject, changes: &AttrMap) -> Result<StoredObject> {
    if !obj.flag(CKA_MODIFIABLE) {
        return Err(Error::ActionProhibited("CKA_MODIFIABLE is false"));
    }
    let mut new = obj.clone();
    for (&ty, value) in changes {
        let rule = template::change_rule(ty, obj.class, obj.key_type)
            .ok_or(Error::AttributeTypeInvalid(ty))?;
        let old = obj.attrs.get(&ty).and_then(AttrValue::as_bool);
        let ok = match rule {
            Change::Yes => true,
            Change::No => false,
            Change::OnlyToTrue => value.as_bool() == Some(true) || old == value.as_bool(),
            Change::OnlyToFalse => value.as_bool() == Some(false) || old == value.as_bool(),
        };
        if !ok {
            return Err(Error::AttributeReadOnly(ty));
        }
        new.attrs.insert(ty, value.clone());
    }
    if has_lifecycle(obj.class) {
        new.life.narrow_to(&new.attrs)?;
    }
    reseal(svc, obj, &mut new)?;
    Ok(new)
}

/// `POST …/objects/{id}/attributes`.
pub fn set_attributes(
    svc: &Services,
    caller: &Caller,
    token: &str,
    id: &str,
    template: &[Attr],
) -> Result<ObjectInfo> {
    let mut ev = caller.event(Some(token), "object.set_attributes");
    ev.object_id = Some(id.to_owned());
    audit::audited(&svc.store, ev, |ev| {
        let changes = template::normalize(template)?;
        let new = update_checked(
            svc,
            |conn| {
                require_user(svc, conn, caller, token)?;
                load_visible(conn, caller, token, id, true)
            },
            |obj| apply_changes(svc, obj, &changes),
            |tx, _, new| {
                objects::update(tx, new)?;
                audit::append(tx, ev)?;
                Ok(())
            },
        )?;
        Ok(new.info())
    })
}
