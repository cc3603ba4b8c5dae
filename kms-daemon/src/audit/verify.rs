//! Verification of the chain: every record's hash and link recomputed, and — on a SQLite store —
//! the chain checked against the head file the store keeps ([`crate::store::audit_head`]), which
//! reveals records cut off the tail.

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
    let mut prev = vec![0u8; 32];
    for (i, r) in records.iter().enumerate() {
        let broken = |reason: &str| Verdict::Broken {
            seq: r.seq,
            reason: reason.to_owned(),
        };
        if r.seq != i as i64 + 1 {
            return broken(&format!("sequence gap: expected seq={}", i + 1));
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

/// The verdict on the store at `store` (its `store` setting): the chain's, then the stored
/// head's (tail truncation), and the head to copy away. A PostgreSQL store has no head file.
pub fn verify_store(store: &Path) -> Result<(Verdict, Option<Head>)> {
    let records = Store::open(store)?.read(records)?;
    let head = match Location::of(store) {
        Location::Sqlite(file) => audit_head::load(file)?,
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
