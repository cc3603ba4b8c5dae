//! Changing a stored object safely: the read–compute–write cycle that re-reads the row before it
//! writes, resealing material when what the AAD binds changes, and counting a key's uses in the
//! transaction of their audit records.

use crate::auth::Caller;
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::model::object::StoredObject;
use crate::model::op::Op;
use crate::state::Services;
use crate::store::objects;
use crate::store::Db;

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
