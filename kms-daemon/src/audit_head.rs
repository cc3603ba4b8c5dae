//! The audit head: the latest `(seq, hash)` of the chain, kept in a file next to the store
//! (`<store>.audit-head`), so that cutting records off the *tail* of the chain — which a plain
//! hash chain cannot reveal, since what is left still links up — is detected by
//! `kmsd audit verify`.
//!
//! Before every commit the store checks that the chain still reaches the stored head
//! ([`check_continuity`]; a cut refuses the batch), and after it writes the new head
//! ([`record`]). A crash between the two leaves the head one batch behind — still reached by the
//! chain, so never a false alarm; a head that cannot be written is logged, and the next commit
//! writes it again.
//!
//! What it protects against: someone with write access to the database (but not to the head
//! file) deleting the last records, or restoring an older copy of the database. What it cannot
//! protect against: someone who can write both files (they can truncate and rewrite the head
//! consistently). Against that, copy the head off the machine (`kmsd audit verify` prints it; a
//! SIEM that ingests `kmsd audit export` holds the same hashes) and compare.

use crate::audit::Record;
use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The latest record of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// Its sequence number.
    pub seq: i64,
    /// Its hash.
    pub hash: Vec<u8>,
}

/// Where the head of the store at `store` lives.
pub fn path_for(store: &Path) -> PathBuf {
    let mut p = store.as_os_str().to_owned();
    p.push(".audit-head");
    PathBuf::from(p)
}

/// The last record in `conn`, if any.
pub fn current(conn: &Connection) -> Result<Option<Head>> {
    Ok(conn
        .query_row(
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| {
                Ok(Head {
                    seq: r.get(0)?,
                    hash: r.get(1)?,
                })
            },
        )
        .optional()?)
}

/// Refuses (`audit_unavailable`) when the chain in `conn` no longer reaches the head written
/// before: records were cut off the tail (or changed) since. The store checks this before every
/// commit, so the batch is rolled back and nothing more happens until an operator looks — a
/// write cannot quietly cover a truncation with a fresh head.
pub fn check_continuity(conn: &Connection, store: &Path) -> Result<()> {
    let Some(previous) = load(store)? else {
        return Ok(());
    };
    let stored: Option<Vec<u8>> = conn
        .query_row(
            "SELECT hash FROM audit WHERE seq = ?1",
            [previous.seq],
            |r| r.get(0),
        )
        .optional()?;
    if stored.as_deref() == Some(previous.hash.as_slice()) {
        Ok(())
    } else {
        Err(Error::AuditUnavailable(format!(
            "the audit chain no longer reaches its head (seq {}): records were removed or \
             changed; run `kmsd audit verify`",
            previous.seq
        )))
    }
}

/// Writes the head of `conn`'s chain next to `store`, durably (temporary file, fsync, rename).
/// The store calls it after each commit: a crash in between leaves the head one batch behind,
/// which the chain still reaches (never a false alarm).
pub fn record(conn: &Connection, store: &Path) -> Result<()> {
    match current(conn)? {
        Some(head) => write(&path_for(store), &head),
        None => Ok(()),
    }
}

/// Makes the head of `store` the last record of `conn`, whatever the file said: for
/// `kmsd restore`, which brings an older chain back on purpose. Returns the replaced head.
pub fn reset(conn: &Connection, store: &Path) -> Result<Option<Head>> {
    let previous = load(store).ok().flatten();
    match current(conn)? {
        Some(head) => write(&path_for(store), &head)?,
        None => {
            let _ = std::fs::remove_file(path_for(store));
        }
    }
    Ok(previous)
}

fn write(path: &Path, head: &Head) -> Result<()> {
    // One temporary file per process: replicas sharing a store each write the head (within a
    // process the store's writer lock orders them), and a shared name would let one rename
    // away the file another is still writing.
    let tmp = path.with_extension(format!("audit-head.{}.tmp", std::process::id()));
    let io = |e| Error::io("audit head", e);
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    writeln!(f, "{} {}", head.seq, hex::encode(&head.hash)).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// The stored head of `store`, `None` when there is none yet.
pub fn load(store: &Path) -> Result<Option<Head>> {
    let text = match std::fs::read_to_string(path_for(store)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("audit head", e)),
    };
    let bad = || Error::IntegrityFailure("the audit head file is unreadable".into());
    let (seq, hash) = text.trim().split_once(' ').ok_or_else(bad)?;
    Ok(Some(Head {
        seq: seq.parse().map_err(|_| bad())?,
        hash: hex::decode(hash).map_err(|_| bad())?,
    }))
}

/// Why the chain (`records`, in order) does not reach `head`, if it does not: it must hold the
/// head's record, with the head's hash.
pub fn check(records: &[Record], head: &Head) -> Option<String> {
    match records.iter().find(|r| r.seq == head.seq) {
        Some(r) if r.hash == head.hash => None,
        Some(_) => Some(format!(
            "record seq={} differs from the stored audit head",
            head.seq
        )),
        None => Some(format!(
            "truncated: the chain ends at seq={}, the stored audit head is seq={}",
            records.last().map_or(0, |r| r.seq),
            head.seq
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::audit::Event;

    fn rec(seq: i64, b: u8) -> Record {
        Record {
            seq,
            ts_ms: 0,
            event: Event::default(),
            prev_hash: vec![],
            hash: vec![b; 32],
        }
    }

    fn h(seq: i64, b: u8) -> Head {
        Head {
            seq,
            hash: vec![b; 32],
        }
    }

    #[test]
    fn a_chain_that_stops_short_of_the_head_is_truncated() {
        let chain: Vec<Record> = (1..=5).map(|i| rec(i, i as u8)).collect();
        assert_eq!(check(&chain, &h(5, 5)), None);
        assert_eq!(check(&chain, &h(4, 4)), None);
        assert!(check(&chain[..3], &h(5, 5)).unwrap().contains("seq=3"));
        assert!(check(&[], &h(5, 5)).unwrap().contains("truncated"));
        assert!(check(&chain, &h(5, 9)).unwrap().contains("differs"));
    }
}
