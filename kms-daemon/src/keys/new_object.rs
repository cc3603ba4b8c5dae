//! New objects: a checked template completed into an object (defaults, provenance, owner, id),
//! the role rules for keys whose material came from outside kmsd's generator, and the one
//! transaction that stores what a creation made.

use crate::audit::{self, Event};
use crate::auth::Caller;
use crate::ck::*;
use crate::clock::now_ms;
use crate::crypto::rng;
use crate::error::{Error, Result};
use crate::model::lifecycle::{has_lifecycle, Lifecycle};
use crate::model::object::{AttrMap, StoredObject};
use crate::model::template;
use crate::model::usage;
use crate::state::Services;
use crate::store::objects;
use crate::store::Db;
use kms_api::AttrValue;

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
    if key_type.is_some() {
        usage::check_separated(&[&attrs])?;
    }
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
        life.check_extractable_window(class, &attrs)?;
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

/// The required attribute `ty` of a template, or `template_incomplete`.
pub fn required(map: &AttrMap, ty: u64, name: &str) -> Result<AttrValue> {
    map.get(&ty)
        .cloned()
        .ok_or_else(|| Error::TemplateIncomplete(format!("{name} is required")))
}

/// Stores what a creation made, in its transaction `tx`: each new object, the idempotency entry
/// naming them all ([`super::idempotent::record`]), and one audit record per object — `ev` with
/// the object's id, and `detail` when given (the source of a copy, the base or unwrapping key).
/// Session objects carry their creator's identity and count towards its `[limits]
/// max_session_objects_per_identity` (`object_limit` past it), counted in `tx`.
pub fn insert_created(
    svc: &Services,
    tx: &Db<'_>,
    caller: &Caller,
    ev: &Event,
    created: &[&StoredObject],
    detail: Option<String>,
) -> Result<()> {
    let Some(first) = created.first() else {
        return Err(Error::Internal("a creation without objects".into()));
    };
    let ids: Vec<&str> = created.iter().map(|o| o.id.as_str()).collect();
    let sessions = created
        .iter()
        .filter(|o| o.ephemeral_owner.is_some())
        .count() as u64;
    if sessions > 0 {
        let held = objects::session_objects_of(tx, &first.token, &caller.identity)?;
        if !svc.limits.session_object_room(held, sessions) {
            return Err(Error::ObjectLimit);
        }
    }
    super::idempotent::record(tx, caller, &first.token, &ids)?;
    for o in created {
        objects::insert(tx, o)?;
        if o.ephemeral_owner.is_some() {
            objects::set_creator(tx, &o.id, &caller.identity)?;
        }
        let mut done = ev.clone();
        done.object_id = Some(o.id.clone());
        if detail.is_some() {
            done.detail = detail.clone();
        }
        audit::append(tx, &done)?;
    }
    Ok(())
}
