//! `objects` rows, with their life cycle (schema v3).

use crate::ck::{CKA_CLASS, CKA_ID, CKA_LABEL};
use crate::error::{Error, Result};
use crate::model::lifecycle::{Lifecycle, State};
use crate::model::object::{attrs_from_json, attrs_to_json, StoredObject};
use crate::store::db::{params, Db, Params, Row};
use kms_api::{Attr, AttrValue};

/// The life-cycle columns, in the order [`life_from_row`] reads them.
macro_rules! life_columns {
    () => {
        "state, not_before, not_after, max_uses, uses, principals, destroy_at, state_reason"
    };
}

const COLUMNS: &str = concat!(
    "id, token, class, key_type, is_private, ephemeral_owner, attrs, sealed, created_at, ",
    life_columns!(),
    ", version, label, ckid"
);
/// Where the life-cycle columns start in [`COLUMNS`].
const LIFE_AT: usize = 9;

/// A row as read, before its JSON columns are decoded.
struct Raw {
    obj: StoredObject,
    attrs: String,
}

/// The life cycle in the columns of [`life_columns`] from `at` on.
fn life_from_row(r: &Row<'_>, at: usize) -> Result<Lifecycle> {
    let state: String = r.get(at)?;
    let max_uses: Option<i64> = r.get(at + 3)?;
    let uses: i64 = r.get(at + 4)?;
    let principals: Option<String> = r.get(at + 5)?;
    Ok(Lifecycle {
        state: State::parse(&state)?,
        not_before: r.get(at + 1)?,
        not_after: r.get(at + 2)?,
        max_uses: max_uses.map(|m| m.max(0) as u64),
        uses: uses.max(0) as u64,
        principals: principals
            .map(|p| serde_json::from_str(&p))
            .transpose()
            .map_err(|_| Error::IntegrityFailure("stored principals unreadable".into()))?,
        destroy_at: r.get(at + 6)?,
        reason: r.get(at + 7)?,
    })
}

fn from_row(r: &Row<'_>) -> Result<Raw> {
    let class: i64 = r.get(2)?;
    let key_type: Option<i64> = r.get(3)?;
    let version: i64 = r.get(LIFE_AT + 8)?;
    Ok(Raw {
        obj: StoredObject {
            id: r.get(0)?,
            token: r.get(1)?,
            class: class as u64,
            key_type: key_type.map(|k| k as u64),
            is_private: r.get(4)?,
            ephemeral_owner: r.get(5)?,
            attrs: Default::default(),
            sealed: r.get(7)?,
            created_at: r.get(8)?,
            version: u32::try_from(version).unwrap_or(0),
            life: life_from_row(r, LIFE_AT)?,
        },
        attrs: r.get(6)?,
    })
}

fn finish(raw: Raw) -> Result<StoredObject> {
    let mut o = raw.obj;
    o.attrs = attrs_from_json(&raw.attrs)?;
    Ok(o)
}

fn principals_json(life: &Lifecycle) -> Result<Option<String>> {
    life.principals
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| Error::Internal(format!("encoding principals: {e}")))
}

/// The search key of a byte attribute: its value as the attribute JSON spells it (base64).
pub fn search_key(value: Option<&AttrValue>) -> Option<String> {
    match value {
        Some(AttrValue::Bytes(b)) => serde_json::to_value(b)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned)),
        _ => None,
    }
}

fn opt_u64(v: Option<u64>) -> Option<i64> {
    v.map(|m| i64::try_from(m).unwrap_or(i64::MAX))
}

/// Inserts a new object.
pub fn insert(db: &Db<'_>, o: &StoredObject) -> Result<()> {
    db.execute(
        &format!(
            "INSERT INTO objects ({COLUMNS}) VALUES \
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
             ?19, ?20)"
        ),
        params![
            o.id,
            o.token,
            o.class as i64,
            o.key_type.map(|k| k as i64),
            o.is_private,
            o.ephemeral_owner,
            attrs_to_json(&o.attrs)?,
            o.sealed,
            o.created_at,
            o.life.state.as_str(),
            o.life.not_before,
            o.life.not_after,
            opt_u64(o.life.max_uses),
            opt_u64(Some(o.life.uses)),
            principals_json(&o.life)?,
            o.life.destroy_at,
            o.life.reason,
            o.version,
            search_key(o.attrs.get(&CKA_LABEL)),
            search_key(o.attrs.get(&CKA_ID)),
        ],
    )?;
    Ok(())
}

/// The object `id` of `token`.
pub fn get(db: &Db<'_>, token: &str, id: &str) -> Result<Option<StoredObject>> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM objects WHERE token = ?1 AND id = ?2"),
        params![token, id],
        from_row,
    )?
    .map(finish)
    .transpose()
}

/// The object `id` of `token`, its row locked until the transaction ends ([`Db::for_update`]):
/// for a read–check–write of it (use limits, unchanged-since-read) that other replicas must not
/// interleave with.
pub fn get_locked(db: &Db<'_>, token: &str, id: &str) -> Result<Option<StoredObject>> {
    db.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM objects WHERE token = ?1 AND id = ?2{}",
            db.for_update()
        ),
        params![token, id],
        from_row,
    )?
    .map(finish)
    .transpose()
}

/// The life cycle of object `id` of `token`, its row locked until the transaction ends: the
/// use check of every key operation, which needs neither the attributes nor the material.
pub fn life_locked(db: &Db<'_>, token: &str, id: &str) -> Result<Option<Lifecycle>> {
    db.query_opt(
        &format!(
            concat!(
                "SELECT ",
                life_columns!(),
                " FROM objects WHERE token = ?1 AND id = ?2{}"
            ),
            db.for_update()
        ),
        params![token, id],
        |r| life_from_row(r, 0),
    )
}

/// The object `id`, whatever its token (administration).
pub fn get_any(db: &Db<'_>, id: &str) -> Result<Option<StoredObject>> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM objects WHERE id = ?1"),
        params![id],
        from_row,
    )?
    .map(finish)
    .transpose()
}

fn select(db: &Db<'_>, filter: &str, args: Params<'_>) -> Result<Vec<StoredObject>> {
    // `rowid` is SQLite's implicit column and a column of its own on PostgreSQL.
    db.query_all(
        &format!("SELECT {COLUMNS} FROM objects WHERE {filter} ORDER BY created_at, rowid"),
        args,
        |r| from_row(r).and_then(finish),
    )
}

/// Every object of `token`, oldest first.
pub fn list(db: &Db<'_>, token: &str) -> Result<Vec<StoredObject>> {
    select(db, "token = ?1", params![token])
}

/// The objects of `token` a search template can match, read through an index when the template
/// names a label, an id or a class (the caller still matches the whole template); else every
/// object of the token.
pub fn candidates(db: &Db<'_>, token: &str, template: &[Attr]) -> Result<Vec<StoredObject>> {
    let find = |ty| kms_api::attr::find(template, ty);
    if let Some(label) = find(CKA_LABEL) {
        let Some(key) = search_key(Some(label)) else {
            return Ok(Vec::new());
        };
        return select(db, "token = ?1 AND label = ?2", params![token, key]);
    }
    if let Some(id) = find(CKA_ID) {
        let Some(key) = search_key(Some(id)) else {
            return Ok(Vec::new());
        };
        return select(db, "token = ?1 AND ckid = ?2", params![token, key]);
    }
    if let Some(class) = find(CKA_CLASS).and_then(AttrValue::as_ulong) {
        let class = i64::try_from(class).unwrap_or(-1);
        return select(db, "token = ?1 AND class = ?2", params![token, class]);
    }
    list(db, token)
}

/// Every token object (no session objects) of every token, oldest first (administration).
pub fn list_all(db: &Db<'_>) -> Result<Vec<StoredObject>> {
    select(db, "ephemeral_owner IS NULL", params![])
}

/// Objects whose scheduled destruction is due at `now` and not done yet.
pub fn due_for_destruction(db: &Db<'_>, now: i64) -> Result<Vec<StoredObject>> {
    select(
        db,
        "destroy_at IS NOT NULL AND state != 'destroyed' AND destroy_at <= ?1",
        params![now],
    )
}

/// Rewrites the attributes, sealed material, version and life cycle of an object; the use
/// counter is left as it is (only [`count_use`] changes it). An object left without material
/// keeps none in its retired versions either.
pub fn update(db: &Db<'_>, o: &StoredObject) -> Result<()> {
    db.execute(
        "UPDATE objects SET attrs = ?2, sealed = ?3, is_private = ?4, state = ?5, \
         not_before = ?6, not_after = ?7, max_uses = ?8, principals = ?9, destroy_at = ?10, \
         state_reason = ?11, version = ?12, label = ?13, ckid = ?14 WHERE id = ?1",
        params![
            o.id,
            attrs_to_json(&o.attrs)?,
            o.sealed,
            o.is_private,
            o.life.state.as_str(),
            o.life.not_before,
            o.life.not_after,
            opt_u64(o.life.max_uses),
            principals_json(&o.life)?,
            o.life.destroy_at,
            o.life.reason,
            o.version,
            search_key(o.attrs.get(&CKA_LABEL)),
            search_key(o.attrs.get(&CKA_ID)),
        ],
    )?;
    if o.sealed.is_none() {
        db.execute(
            "UPDATE key_versions SET sealed = NULL WHERE object_id = ?1",
            params![o.id],
        )?;
    }
    Ok(())
}

/// Records who made session object `id` (for [`session_objects_of`]).
pub fn set_creator(db: &Db<'_>, id: &str, identity: &str) -> Result<()> {
    db.execute(
        "UPDATE objects SET creator = ?2 WHERE id = ?1",
        params![id, identity],
    )?;
    Ok(())
}

/// How many session objects `identity` made on `token` that are still there.
pub fn session_objects_of(db: &Db<'_>, token: &str, identity: &str) -> Result<u64> {
    let n: i64 = db.query_one(
        "SELECT count(*) FROM objects WHERE token = ?1 AND creator = ?2 \
         AND ephemeral_owner IS NOT NULL",
        params![token, identity],
        |r| r.get(0),
    )?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Counts one use of an object.
pub fn count_use(db: &Db<'_>, id: &str) -> Result<()> {
    db.execute(
        "UPDATE objects SET uses = uses + 1 WHERE id = ?1",
        params![id],
    )?;
    Ok(())
}

/// Deletes an object.
pub fn delete(db: &Db<'_>, id: &str) -> Result<()> {
    db.execute("DELETE FROM objects WHERE id = ?1", params![id])?;
    Ok(())
}

/// Deletes session objects created before `cutoff_ms`; returns how many.
pub fn purge_ephemeral(db: &Db<'_>, cutoff_ms: i64) -> Result<usize> {
    db.execute(
        "DELETE FROM objects WHERE ephemeral_owner IS NOT NULL AND created_at < ?1",
        params![cutoff_ms],
    )
}
