//! `kmsd master-key rotate`: a new master key version, every sealed blob rewrapped to it online,
//! then the older versions erased.
//!
//! Each blob's header names the version that sealed it (`vault::blob_version`), so the work
//! left is a query: blobs (objects.sealed, key_versions.sealed) whose version is not the
//! newest. They are rewrapped in batches, each batch one store transaction (a row changed by
//! kmsd meanwhile is re-read inside it, and written only if unchanged). A crash loses at most
//! the batch in flight: run the command again and it continues with the same new version.
//! The older versions are erased in the transaction that finds no blob left under them.

use super::keyring;
use super::slot::VaultSlot;
use crate::error::{Error, Result};
use crate::store::db::{params, Db};
use crate::store::objects;
use crate::store::Store;
use std::time::Duration;

/// How to rotate.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Blobs per transaction.
    pub batch: usize,
    /// Pause between batches (to spare a busy store).
    pub pause: Duration,
}

/// What a rotation did.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The master key version in use at the end.
    pub version: u32,
    /// Whether an unfinished rotation was continued rather than a new version made.
    pub resumed: bool,
    /// Blobs rewrapped by this run.
    pub rewrapped: u64,
}

/// One sealed blob not yet under the newest version.
enum Item {
    Primary(String),
    Retired(String, u32),
}

fn version_bytes(v: u32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

/// Blobs sealed under another version than `version`.
pub fn count_other(conn: &Db<'_>, version: u32) -> Result<u64> {
    let v = version_bytes(version);
    let n: i64 = conn.query_one(
        "SELECT (SELECT COUNT(*) FROM objects WHERE sealed IS NOT NULL AND substr(sealed, 3, 4) != ?1)
              + (SELECT COUNT(*) FROM key_versions WHERE sealed IS NOT NULL AND substr(sealed, 3, 4) != ?1)",
        params![v],
        |r| r.get(0),
    )?;
    Ok(u64::try_from(n).unwrap_or_default())
}

fn next_batch(conn: &Db<'_>, version: u32, limit: usize) -> Result<Vec<Item>> {
    let v = version_bytes(version);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut out: Vec<Item> = conn.query_all(
        "SELECT id FROM objects WHERE sealed IS NOT NULL AND substr(sealed, 3, 4) != ?1 LIMIT ?2",
        params![v, limit],
        |r| Ok(Item::Primary(r.get(0)?)),
    )?;
    let left = limit - out.len() as i64;
    if left > 0 {
        let retired = conn.query_all(
            "SELECT object_id, version FROM key_versions \
             WHERE sealed IS NOT NULL AND substr(sealed, 3, 4) != ?1 LIMIT ?2",
            params![v, left],
            |r| Ok(Item::Retired(r.get(0)?, r.get(1)?)),
        )?;
        out.extend(retired);
    }
    Ok(out)
}

/// Rewraps one blob inside the batch's transaction; false when it was already done.
fn rewrap(vault: &VaultSlot, conn: &Db<'_>, item: &Item, version: u32) -> Result<bool> {
    let id = match item {
        Item::Primary(id) | Item::Retired(id, _) => id,
    };
    let obj = objects::get_any(conn, id)?.ok_or(Error::ObjectNotFound)?;
    let (aad, blob) = match item {
        Item::Primary(_) => (obj.aad(), obj.sealed.clone()),
        Item::Retired(_, v) => (
            obj.retired_aad(*v),
            conn.query_one(
                "SELECT sealed FROM key_versions WHERE object_id = ?1 AND version = ?2",
                params![id, v],
                |r| r.get::<Option<Vec<u8>>>(0),
            )?,
        ),
    };
    let Some(blob) = blob else { return Ok(false) };
    if crate::vault::blob_version(&blob) == Some(version) {
        return Ok(false);
    }
    let material = vault.open(&aad, &blob).map_err(|e| {
        Error::IntegrityFailure(format!(
            "object {id}: its material does not open ({e}); the rotation stops here"
        ))
    })?;
    let fresh = vault.seal(&aad, &material)?;
    match item {
        Item::Primary(_) => conn.execute(
            "UPDATE objects SET sealed = ?1 WHERE id = ?2 AND sealed = ?3",
            params![fresh, id, blob],
        )?,
        Item::Retired(_, v) => conn.execute(
            "UPDATE key_versions SET sealed = ?1 WHERE object_id = ?2 AND version = ?3 AND sealed = ?4",
            params![fresh, id, v, blob],
        )?,
    };
    Ok(true)
}

/// Rotates (or continues an unfinished rotation), calling `progress(done, total)` after each
/// batch.
pub fn rotate(
    store: &Store,
    vault: &VaultSlot,
    opts: Options,
    mut progress: impl FnMut(u64, u64),
) -> Result<Outcome> {
    if vault.is_sealed() {
        return Err(Error::Sealed);
    }
    let batch = opts.batch.max(1);
    let ring = store.read(keyring::read)?;
    let resumed = ring.erased_below < ring.newest();
    let version = if resumed {
        ring.newest()
    } else {
        let next = ring.newest() + 1;
        vault.with_root(|root| store.tx(|c| keyring::add_version(c, root, next)))?;
        next
    };
    vault.refresh(true)?;
    let total = store.read(|c| count_other(c, version))?;
    let mut done = 0u64;
    progress(0, total);
    loop {
        let finished = store.tx(|c| {
            let items = next_batch(c, version, batch)?;
            if items.is_empty() {
                keyring::erase_below(c, version)?;
                return Ok(None);
            }
            let mut n = 0u64;
            for item in &items {
                n += u64::from(rewrap(vault, c, item, version)?);
            }
            Ok(Some(n))
        })?;
        let Some(n) = finished else { break };
        done += n;
        progress(done, total.max(done));
        if !opts.pause.is_zero() {
            std::thread::sleep(opts.pause);
        }
    }
    vault.refresh(true)?;
    Ok(Outcome {
        version,
        resumed,
        rewrapped: done,
    })
}
