//! `key_versions` rows: the retired versions of a key's material (schema v3). The primary
//! version stays in `objects`.

use crate::error::Result;
use crate::store::db::{params, Db};

/// Keeps `sealed` as retired version `version` of object `id`.
pub fn insert(db: &Db<'_>, id: &str, version: u32, sealed: &[u8], now: i64) -> Result<()> {
    db.execute(
        "INSERT INTO key_versions (object_id, version, sealed, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![id, version, sealed, now],
    )?;
    Ok(())
}

/// The retired versions of object `id` that still have material, newest first.
pub fn retired(db: &Db<'_>, id: &str) -> Result<Vec<(u32, Vec<u8>)>> {
    db.query_all(
        "SELECT version, sealed FROM key_versions WHERE object_id = ?1 AND sealed IS NOT NULL \
         ORDER BY version DESC",
        params![id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}
