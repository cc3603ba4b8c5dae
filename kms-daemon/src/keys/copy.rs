//! `C_CopyObject` (PKCS#11 §4.1.3, §5.7.2; spec-checklist S13, S15; security R2, attack T5c).
//!
//! The copy is a new object with a fresh random id and the source's attributes, provenance
//! included (`CKA_LOCAL`, `CKA_KEY_GEN_MECHANISM`, `CKA_ALWAYS_SENSITIVE`,
//! `CKA_NEVER_EXTRACTABLE`), changed only by the template:
//!
//! - `CKA_TOKEN`, `CKA_PRIVATE`, `CKA_MODIFIABLE`, `CKA_DESTROYABLE`, `CKA_LABEL`, `CKA_ID`,
//!   `CKA_SUBJECT`, `CKA_START_DATE`, `CKA_END_DATE` may take any valid value;
//! - `CKA_SENSITIVE` only false → true, `CKA_EXTRACTABLE` only true → false (a copy may only
//!   strengthen the key, so ALWAYS_SENSITIVE and NEVER_EXTRACTABLE stay the source's);
//! - anything else the object has → `attribute_read_only`, even with the same value; a type it
//!   does not have → `attribute_type_invalid`.
//!
//! Only a key's principals (when it lists any) may copy it (`action_prohibited`). A key's copy
//! inherits its life cycle and policy (state, validity window, principals); dates
//! in the template may only narrow the window (`attribute_read_only` otherwise), and a key with
//! a usage limit cannot be copied at all (`action_prohibited`), or each copy would bring a fresh
//! count.
//!
//! The key material is opened under the source's AAD and sealed again under the copy's id and
//! attributes: a sealed blob is never copied. A copy with `CKA_TOKEN=false` is a session object
//! of the caller's module instance. The audit record `object.copy` names the new object and, in
//! `detail`, the source (`source=<id>`); a refusal names the source as its object.

use super::access::{check_public, load_for_change, user_logged_in};
use super::change::{reseal, update_checked};
use super::new_object::insert_created;
use crate::audit;
use crate::auth::Caller;
use crate::ck::*;
use crate::clock::now_ms;
use crate::crypto::rng;
use crate::error::{Error, Result};
use crate::model::lifecycle::{has_lifecycle, Lifecycle};
use crate::model::object::{AttrMap, StoredObject};
use crate::model::template::{self, Change};
use crate::state::Services;
use kms_api::msg::ObjectInfo;
use kms_api::Attr;

/// Attributes a copy template may set to any valid value.
const FREE_ON_COPY: [u64; 9] = [
    CKA_TOKEN,
    CKA_PRIVATE,
    CKA_MODIFIABLE,
    CKA_DESTROYABLE,
    CKA_LABEL,
    CKA_ID,
    CKA_SUBJECT,
    CKA_START_DATE,
    CKA_END_DATE,
];

/// How a copy template may change `ty`.
fn copy_rule(ty: u64) -> Change {
    match ty {
        CKA_SENSITIVE => Change::OnlyToTrue,
        CKA_EXTRACTABLE => Change::OnlyToFalse,
        _ if FREE_ON_COPY.contains(&ty) => Change::Yes,
        _ => Change::No,
    }
}

/// The attributes of a copy of `src` changed by `changes` (already normalised).
pub fn copied_attrs(src: &StoredObject, changes: &AttrMap) -> Result<AttrMap> {
    let mut attrs = src.attrs.clone();
    for (&ty, value) in changes {
        template::change_rule(ty, src.class, src.key_type)
            .ok_or(Error::AttributeTypeInvalid(ty))?;
        let unchanged = src.attrs.get(&ty) == Some(value);
        let ok = match copy_rule(ty) {
            Change::Yes => true,
            Change::No => false,
            Change::OnlyToTrue => unchanged || value.as_bool() == Some(true),
            Change::OnlyToFalse => unchanged || value.as_bool() == Some(false),
        };
        if !ok {
            return Err(Error::AttributeReadOnly(ty));
        }
        attrs.insert(ty, value.clone());
    }
    Ok(attrs)
}

/// Builds the copy: checks, new id, owner, and the material sealed again under the new AAD.
fn make_copy(
    svc: &Services,
    caller: &Caller,
    src: &StoredObject,
    template: &[Attr],
) -> Result<StoredObject> {
    src.life.check_principal(&caller.identity)?;
    if !src.flag(CKA_COPYABLE) {
        return Err(Error::ActionProhibited("CKA_COPYABLE is false"));
    }
    if src.life.max_uses.is_some() {
        return Err(Error::ActionProhibited(
            "a key with a usage limit cannot be copied",
        ));
    }
    let changes = template::normalize(template)?;
    let attrs = copied_attrs(src, &changes)?;
    let mut copy = StoredObject {
        id: rng::hex_id(16)?,
        token: src.token.clone(),
        class: src.class,
        key_type: src.key_type,
        is_private: false,
        ephemeral_owner: None,
        attrs,
        sealed: None,
        created_at: now_ms(),
        version: 1,
        life: Lifecycle {
            uses: 0,
            ..src.life.clone()
        },
    };
    if has_lifecycle(copy.class) {
        copy.life.narrow_to(&copy.attrs)?;
        copy.life
            .check_extractable_window(copy.class, &copy.attrs)?;
    }
    copy.is_private = copy.flag(CKA_PRIVATE);
    if !copy.flag(CKA_TOKEN) {
        copy.ephemeral_owner = Some(caller.owner_tag().ok_or_else(|| {
            Error::BadRequest(format!(
                "session objects (CKA_TOKEN=false) need the {} header",
                kms_api::INSTANCE_HEADER
            ))
        })?);
    }
    reseal(svc, src, &mut copy)?;
    Ok(copy)
}

/// `C_CopyObject`.
pub fn copy_object(
    svc: &Services,
    caller: &Caller,
    token: &str,
    id: &str,
    template: &[Attr],
) -> Result<ObjectInfo> {
    let mut ev = caller.event(Some(token), "object.copy");
    ev.object_id = Some(id.to_owned());
    audit::audited(&svc.store, ev, |ev| {
        let copy = update_checked(
            svc,
            |conn| load_for_change(svc, conn, caller, token, id),
            |src| make_copy(svc, caller, src, template),
            |tx, _, copy| {
                // The login again, in the transaction; without one, the copy must be public too.
                check_public(svc, user_logged_in(svc, tx, caller, token)?, &[copy])?;
                insert_created(svc, tx, caller, ev, &[copy], Some(format!("source={id}")))
            },
        )?;
        Ok(copy.info())
    })
}
