//! `objects` rows.

use crate::error::Result;
use crate::keys::object::{attrs_from_json, attrs_to_json, StoredObject};
use rusqlite::{params, Connection, OptionalExtension, Row};

const COLUMNS: &str =
    "id, token, class, key_type, is_private, ephemeral_owner, attrs, sealed, created_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<(StoredObject, String)> {
    let class: i64 = r.get(2)?;
    let key_type: Option<i64> = r.get(3)?;
    Ok((
        StoredObject {
            id: r.get(0)?,
            token: r.get(1)?,
            class: class as u64,
            key_type: key_type.map(|k| k as u64),
            is_private: r.get(4)?,
            ephemeral_owner: r.get(5)?,
            attrs: Default::default(),
            sealed: r.get(7)?,
            created_at: r.get(8)?,
        },
        r.get(6)?,
    ))
}

fn finish((mut o, json): (StoredObject, String)) -> Result<StoredObject> {
    o.attrs = attrs_from_json(&json)?;
    Ok(o)
}

/// Inserts a new object.
pub fn insert(conn: &Connection, o: &StoredObject) -> Result<()> {
    conn.execute(
        &format!("INSERT INTO objects ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        params![
            o.id,
            o.token,
            o.class as i64,
            o.key_type.map(|k| k as i64),
            o.is_private,
            o.ephemeral_owner,
            attrs_to_json(&o.attrs)?,
            o.sealed,
            o.created_at
        ],
    )?;
    Ok(())
}

/// The object `id` of `token`.
pub fn get(conn: &Connection, token: &str, id: &str) -> Result<Option<StoredObject>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM objects WHERE token = ?1 AND id = ?2"),
        [token, id],
        from_row,
    )
    .optional()?
    .map(finish)
    .transpose()
}

/// Every object of `token`, oldest first.
pub fn list(conn: &Connection, token: &str) -> Result<Vec<StoredObject>> {
    let mut st = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM objects WHERE token = ?1 ORDER BY created_at, rowid"
    ))?;
    let rows = st
        .query_map([token], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(finish).collect()
}

/// Rewrites the attributes and sealed material of an object.
pub fn update(conn: &Connection, o: &StoredObject) -> Result<()> {
    conn.execute(
        "UPDATE objects SET attrs = ?2, sealed = ?3, is_private = ?4 WHERE id = ?1",
        params![o.id, attrs_to_json(&o.attrs)?, o.sealed, o.is_private],
    )?;
    Ok(())
}

/// Deletes an object.
pub fn delete(conn: &Connection, id: &str) -> Result<()> {
    conn.execute("DELETE FROM objects WHERE id = ?1", [id])?;
    Ok(())
}

/// Deletes session objects created before `cutoff_ms`; returns how many.
pub fn purge_ephemeral(conn: &Connection, cutoff_ms: i64) -> Result<usize> {
    Ok(conn.execute(
        "DELETE FROM objects WHERE ephemeral_owner IS NOT NULL AND created_at < ?1",
        [cutoff_ms],
    )?)
}
