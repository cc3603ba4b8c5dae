//! Object operations that need no crypto: find, read, change attributes (`C_SetAttributeValue`),
//! destroy.

use super::access::{load_for_change, load_visible, user_logged_in};
use super::change::{reseal, update_checked};
use crate::audit;
use crate::auth::Caller;
use crate::ck::*;
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::model::lifecycle::has_lifecycle;
use crate::model::object::{AttrMap, StoredObject};
use crate::model::template::{self, Change};
use crate::state::Services;
use crate::store::objects;
use crate::store::Db;
use kms_api::msg::{FindRequest, ObjectInfo, ObjectList};
use kms_api::{Attr, AttrValue};

/// `C_FindObjects`: the objects of `token` the caller may see that match the template.
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

/// An object as the caller may see it (`C_GetAttributeValue` reads from it).
pub fn get(svc: &Services, caller: &Caller, token: &str, id: &str) -> Result<ObjectInfo> {
    svc.store.read(|conn| {
        let user = user_logged_in(svc, conn, caller, token)?;
        Ok(load_visible(conn, caller, token, id, user)?.info())
    })
}

/// `C_DestroyObject`. A token key (secret, private or public) is not
/// deleted but scheduled for destruction ([`super::destroy`]): from now on invisible and
/// unusable, its material erased after the configured waiting period, restorable until then by
/// `kmsd key cancel-destroy`. Session objects, certificates and data objects are deleted.
pub fn destroy(svc: &Services, caller: &Caller, token: &str, id: &str) -> Result<()> {
    let mut ev = caller.event(Some(token), "object.destroy");
    ev.object_id = Some(id.to_owned());
    audit::audited(&svc.store, ev, |ev| {
        let load = |conn: &Db<'_>| {
            let obj = load_for_change(svc, conn, caller, token, id)?;
            obj.life.check_principal(&caller.identity)?;
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
        new.life.check_extractable_window(new.class, &new.attrs)?;
    }
    reseal(svc, obj, &mut new)?;
    Ok(new)
}

/// `C_SetAttributeValue`.
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
                let obj = load_for_change(svc, conn, caller, token, id)?;
                obj.life.check_principal(&caller.identity)?;
                Ok(obj)
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
