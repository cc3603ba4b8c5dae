//! Verification of the chain: every record's hash and link recomputed, and — on a SQLite store —
//! the chain checked against the head file the store keeps ([`crate::store::audit_head`]), which
//! reveals records cut off the tail. On a SQLite store with records, a missing head file is
//! itself a failure (deleting it is how a tail cut would be hidden), unless the caller says it
//! knows ([`Head::Optional`]).
//!
//! A serving kmsd watches the chain too ([`ChainWatch`]): all of it at start, then, every
//! sweep, the records added since the last verified one (and that one again, unchanged). A
//! break is logged and shown by the `kmsd_audit_chain_broken` gauge.

use super::{record_hash, records, Record};
use crate::config::store::Location;
use crate::error::Result;
use crate::store::audit_head::{self, Head};
use crate::store::db::Db;
use crate::store::Store;
use std::path::Path;

/// The result of checking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every record checks out.
    Ok {
        /// Number of records.
        records: usize,
    },
    /// The first bad record.
    Broken {
        /// Its sequence number.
        seq: i64,
        /// What is wrong.
        reason: String,
    },
}

/// Recomputes the chain over `records` (in order).
pub fn verify_records(records: &[Record]) -> Verdict {
    verify_from(records, &[0u8; 32], 1)
}

/// Recomputes the chain over `records` (in order), which continue a chain whose last record
/// had hash `prev` and was followed by `first_seq`.
fn verify_from(records: &[Record], prev: &[u8], first_seq: i64) -> Verdict {
    let mut prev = prev.to_vec();
    for (i, r) in records.iter().enumerate() {
        let broken = |reason: &str| Verdict::Broken {
            seq: r.seq,
            reason: reason.to_owned(),
        };
        let expected = first_seq + i as i64;
        if r.seq != expected {
            return broken(&format!("sequence gap: expected seq={expected}"));
        }
        if r.prev_hash != prev {
            return broken("prev_hash does not match the previous record's hash");
        }
        if record_hash(&r.prev_hash, r.seq, r.ts_ms, &r.event).as_slice() != r.hash.as_slice() {
            return broken("hash does not match the record's contents");
        }
        prev = r.hash.clone();
    }
    Verdict::Ok {
        records: records.len(),
    }
}

/// Checks the chain stored in `conn`.
pub fn verify(conn: &Db<'_>) -> Result<Verdict> {
    Ok(verify_records(&records(conn)?))
}

/// Why the chain (`records`, in order) does not reach `head`, if it does not: it must hold the
/// head's record, with the head's hash.
pub fn check_head(records: &[Record], head: &Head) -> Option<String> {
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

/// Whether `kmsd audit verify` insists on the head file of a SQLite store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadRule {
    /// A store with records and no head file fails (the default).
    Required,
    /// The operator knows the head file is gone (`--without-head`): the chain alone is checked.
    Optional,
}

/// The verdict on the store at `store` (its `store` setting): the chain's, then the stored
/// head's (tail truncation), and the head to copy away. A PostgreSQL store has no head file.
pub fn verify_store(store: &Path, rule: HeadRule) -> Result<(Verdict, Option<Head>)> {
    let records = Store::open(store)?.read(records)?;
    let head = match Location::of(store) {
        Location::Sqlite(file) => {
            let head = audit_head::load(file)?;
            if head.is_none() && !records.is_empty() && rule == HeadRule::Required {
                let verdict = Verdict::Broken {
                    seq: records.last().map_or(1, |r| r.seq),
                    reason: format!(
                        "the audit head file {} is missing, so a cut tail would go unseen \
                         (restore the file, or run with --without-head to check the chain alone)",
                        audit_head::path_for(file).display()
                    ),
                };
                return Ok((verdict, None));
            }
            head
        }
        Location::Postgres(_) => None,
    };
    let verdict = match (verify_records(&records), &head) {
        (Verdict::Ok { records: n }, Some(h)) => match check_head(&records, h) {
            // The first record that should be there and is not (or differs).
            Some(reason) => Verdict::Broken {
                seq: records.last().map_or(1, |r| (r.seq + 1).min(h.seq)),
                reason,
            },
            None => Verdict::Ok { records: n },
        },
        (v, _) => v,
    };
    Ok((verdict, head))
}

/// Records read per store read while watching the chain.
const WATCH_BATCH: i64 = 10_000;

/// The chain as a serving kmsd watches it (module doc): the last record verified, in memory, so
/// that each check reads only what was added since — and a restart checks everything again.
#[derive(Debug, Default)]
pub struct ChainWatch {
    verified: parking_lot::Mutex<Option<Head>>,
}

impl ChainWatch {
    /// Checks the records added since the last verified one (all of them the first time), that
    /// one still unchanged; returns the verdict (`records`: how many were checked now).
    pub fn check(&self, store: &Store) -> Result<Verdict> {
        let mut verified = self.verified.lock();
        let mut checked = 0;
        loop {
            let (after, prev) = match &*verified {
                None => (0, vec![0u8; 32]),
                Some(h) => (h.seq, h.hash.clone()),
            };
            if after > 0 {
                let now = store.read(|c| records_between(c, after - 1, 1))?;
                if now.first().is_none_or(|r| r.seq != after || r.hash != prev) {
                    return Ok(Verdict::Broken {
                        seq: after,
                        reason: "the record was changed or removed after it was verified".into(),
                    });
                }
            }
            let batch = store.read(|c| records_between(c, after, WATCH_BATCH))?;
            let Some(last) = batch.last() else { break };
            if let broken @ Verdict::Broken { .. } = verify_from(&batch, &prev, after + 1) {
                return Ok(broken);
            }
            checked += batch.len();
            *verified = Some(Head {
                seq: last.seq,
                hash: last.hash.clone(),
            });
            if (batch.len() as i64) < WATCH_BATCH {
                break;
            }
        }
        Ok(Verdict::Ok { records: checked })
    }
}

/// At most `limit` records with `seq` above `after`, in order.
fn records_between(conn: &Db<'_>, after: i64, limit: i64) -> Result<Vec<Record>> {
    super::records_where(conn, "seq > ?1 ORDER BY seq LIMIT ?2", after, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::audit::Event;
    use crate::store::audit_head::Head;

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
        assert_eq!(check_head(&chain, &h(5, 5)), None);
        assert_eq!(check_head(&chain, &h(4, 4)), None);
        assert!(check_head(&chain[..3], &h(5, 5)).unwrap().contains("seq=3"));
        assert!(check_head(&[], &h(5, 5)).unwrap().contains("truncated"));
        assert!(check_head(&chain, &h(5, 9)).unwrap().contains("differs"));
    }
}
