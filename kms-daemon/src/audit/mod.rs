//! Append-only, hash-chained audit records ("no audit, no operation").
//!
//! `hash = SHA-256(prev_hash ‖ canonical(seq, ts_ms, request_id, actor, token, action, object_id,
//! mechanism, outcome[, detail]))`; the first record's `prev_hash` is 32 zero bytes. The canonical
//! encoding is: `seq` and `ts_ms` as 8-byte big-endian, then each text field as a 4-byte big-endian
//! length and its UTF-8 bytes (an absent field is the length `0xFFFF_FFFF` alone). `detail` (schema
//! v2) is encoded only when present, so records written before it existed keep their hashes; when
//! present it is covered like every other field. Records hold no PIN,
//! key byte, plaintext, ciphertext or bearer token: only who did what to which object, and how it
//! ended.

pub mod metrics;
pub mod verify;

pub use verify::{verify, verify_records, ChainWatch, Verdict};

use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::store::db::{params, Db, Dialect};
use crate::store::Store;

/// One event to record.
#[derive(Clone, Debug, Default)]
pub struct Event {
    /// The request id (also in the response header and the log line).
    pub request_id: String,
    /// Client identity (subject DN of the client certificate).
    pub actor: String,
    /// Token label, if the event concerns one.
    pub token: Option<String>,
    /// What happened: `login`, `key.sign`, `object.create` …
    pub action: String,
    /// The object concerned.
    pub object_id: Option<String>,
    /// The mechanism used (`CKM_…`).
    pub mechanism: Option<String>,
    /// `ok`, or the stable error code.
    pub outcome: String,
    /// Extra non-secret context, e.g. `source=<id>` for `object.copy` (schema v2).
    pub detail: Option<String>,
}

/// A stored record.
#[derive(Clone, Debug)]
pub struct Record {
    /// Sequence number, from 1.
    pub seq: i64,
    /// Time, ms since the epoch.
    pub ts_ms: i64,
    /// The event.
    pub event: Event,
    /// Hash of the previous record (zeros for the first).
    pub prev_hash: Vec<u8>,
    /// This record's hash.
    pub hash: Vec<u8>,
}

fn push_field(buf: &mut Vec<u8>, v: Option<&str>) {
    match v {
        Some(s) => {
            buf.extend_from_slice(&(s.len() as u32).to_be_bytes());
            buf.extend_from_slice(s.as_bytes());
        }
        None => buf.extend_from_slice(&u32::MAX.to_be_bytes()),
    }
}

/// The chained hash of a record.
pub fn record_hash(prev_hash: &[u8], seq: i64, ts_ms: i64, e: &Event) -> [u8; 32] {
    let mut buf = Vec::with_capacity(256);
    buf.extend_from_slice(prev_hash);
    buf.extend_from_slice(&seq.to_be_bytes());
    buf.extend_from_slice(&ts_ms.to_be_bytes());
    for f in [
        Some(e.request_id.as_str()),
        Some(e.actor.as_str()),
        e.token.as_deref(),
        Some(e.action.as_str()),
        e.object_id.as_deref(),
        e.mechanism.as_deref(),
        Some(e.outcome.as_str()),
    ] {
        push_field(&mut buf, f);
    }
    if let Some(d) = &e.detail {
        push_field(&mut buf, Some(d));
    }
    crate::crypto::sha256(&buf)
}

/// The actor of administrative audit records (the `kmsd` admin commands, run by whoever can
/// reach the store and its configuration).
pub const ADMIN_ACTOR: &str = "local-admin";

/// Writes the audit record of a refused request in its own transaction. A refusal returns its
/// own error even when this fails; the failure is logged.
pub fn record_refusal(store: &Store, mut ev: Event, e: &Error) {
    ev.outcome = e.code_str();
    if let Err(err) = store.tx(|tx| append(tx, &ev)) {
        tracing::error!(request_id = %ev.request_id, error = %err, "audit record of a refusal not written");
    }
}

/// Runs `f`; if it fails, audits the refusal with `ev` (as `f` left it). On success `f` has
/// written its own record in the transaction of its change.
pub fn audited<T>(
    store: &Store,
    mut ev: Event,
    f: impl FnOnce(&mut Event) -> Result<T>,
) -> Result<T> {
    let result = f(&mut ev);
    if let Err(e) = &result {
        record_refusal(store, ev, e);
    }
    result
}

/// Appends a record. Call it inside the transaction of the change it records.
pub fn append(conn: &Db<'_>, e: &Event) -> Result<i64> {
    let start = std::time::Instant::now();
    let storable;
    let e = if conn.dialect() == Dialect::Postgres {
        storable = without_nul(e);
        &storable
    } else {
        e
    };
    let seq = insert(conn, e).map_err(|err| Error::AuditUnavailable(err.to_string()))?;
    crate::metrics::AUDIT_WRITE_DURATION.observe(&[], crate::metrics::seconds_since(start));
    metrics::record_operation(conn, e);
    Ok(seq)
}

/// `e` with each NUL character (which a hostile client can put in a token label or object id
/// of a path) as U+FFFD: PostgreSQL text cannot hold NUL, and the refusal must still be
/// recorded. The record is hashed as stored.
fn without_nul(e: &Event) -> Event {
    let clean = |s: &str| s.replace('\0', "\u{FFFD}");
    let clean_opt = |s: &Option<String>| s.as_deref().map(clean);
    Event {
        request_id: clean(&e.request_id),
        actor: clean(&e.actor),
        token: clean_opt(&e.token),
        action: clean(&e.action),
        object_id: clean_opt(&e.object_id),
        mechanism: clean_opt(&e.mechanism),
        outcome: clean(&e.outcome),
        detail: clean_opt(&e.detail),
    }
}

/// The transaction-scoped advisory lock that serializes audit appends of all replicas on
/// PostgreSQL ("kmsd" + 2); SQLite has one writer.
const APPEND_LOCK: i64 = 0x6b6d_7364_0002;

fn insert(conn: &Db<'_>, e: &Event) -> Result<i64> {
    if conn.dialect() == Dialect::Postgres {
        // Held until the transaction ends: the next replica reads the end of the chain only
        // after this record is committed (READ COMMITTED takes a new snapshot per statement),
        // so the chain never forks and `seq` has no gap.
        conn.execute(
            &format!("SELECT pg_advisory_xact_lock({APPEND_LOCK})"),
            params![],
        )?;
    }
    let last: Option<(i64, Vec<u8>)> = conn.query_opt(
        "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
        params![],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (seq, prev) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, vec![0u8; 32]),
    };
    let ts = now_ms();
    let hash = record_hash(&prev, seq, ts, e);
    conn.execute(
        "INSERT INTO audit (seq, ts_ms, request_id, actor, token, action, object_id, mechanism, \
         outcome, prev_hash, hash, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            seq,
            ts,
            e.request_id,
            e.actor,
            e.token,
            e.action,
            e.object_id,
            e.mechanism,
            e.outcome,
            prev,
            hash.as_slice(),
            e.detail
        ],
    )?;
    Ok(seq)
}

/// Which records to export; `None` = any.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// About this object.
    pub object_id: Option<String>,
    /// By this actor.
    pub actor: Option<String>,
    /// Of this token.
    pub token: Option<String>,
    /// At or after this time (ms).
    pub since: Option<i64>,
    /// Before this time (ms).
    pub until: Option<i64>,
}

/// Every record, in sequence order.
pub fn records(conn: &Db<'_>) -> Result<Vec<Record>> {
    records_matching(conn, &Filter::default())
}

/// The columns of a record, as [`record_of`] reads them.
const RECORD_COLUMNS: &str = "SELECT seq, ts_ms, request_id, actor, token, action, object_id, \
     mechanism, outcome, prev_hash, hash, detail FROM audit";

fn record_of(r: &crate::store::db::Row<'_>) -> Result<Record> {
    Ok(Record {
        seq: r.get(0)?,
        ts_ms: r.get(1)?,
        event: Event {
            request_id: r.get(2)?,
            actor: r.get(3)?,
            token: r.get(4)?,
            action: r.get(5)?,
            object_id: r.get(6)?,
            mechanism: r.get(7)?,
            outcome: r.get(8)?,
            detail: r.get(11)?,
        },
        prev_hash: r.get(9)?,
        hash: r.get(10)?,
    })
}

/// The records `filter` selects, in sequence order.
pub fn records_matching(conn: &Db<'_>, filter: &Filter) -> Result<Vec<Record>> {
    conn.query_all(
        &format!(
            "{RECORD_COLUMNS} WHERE (CAST(?1 AS TEXT) IS NULL OR object_id = ?1) \
             AND (CAST(?2 AS TEXT) IS NULL OR actor = ?2) \
             AND (CAST(?3 AS TEXT) IS NULL OR token = ?3) \
             AND (CAST(?4 AS BIGINT) IS NULL OR ts_ms >= ?4) \
             AND (CAST(?5 AS BIGINT) IS NULL OR ts_ms < ?5) ORDER BY seq"
        ),
        params![
            filter.object_id,
            filter.actor,
            filter.token,
            filter.since,
            filter.until
        ],
        record_of,
    )
}

/// The records of `WHERE clause`, whose two parameters are `a` and `b`.
fn records_where(conn: &Db<'_>, clause: &str, a: i64, b: i64) -> Result<Vec<Record>> {
    conn.query_all(
        &format!("{RECORD_COLUMNS} WHERE {clause}"),
        params![a, b],
        record_of,
    )
}

#[cfg(test)]
mod tests {
    use super::verify::{verify_records, Verdict};
    use super::*;

    fn ev(action: &str, outcome: &str) -> Event {
        Event {
            request_id: "r1".into(),
            actor: "CN=kms-client".into(),
            token: Some("t".into()),
            action: action.into(),
            object_id: Some("00ff".into()),
            mechanism: Some("CKM_ECDSA".into()),
            outcome: outcome.into(),
            detail: None,
        }
    }

    #[test]
    fn chain_verifies_and_detects_tamper() {
        let (_scratch, store) = crate::store::testing::fresh();
        for i in 0..5 {
            store
                .tx(|tx| {
                    append(
                        tx,
                        &ev(
                            "key.sign",
                            if i == 2 {
                                "key_function_not_permitted"
                            } else {
                                "ok"
                            },
                        ),
                    )
                })
                .unwrap();
        }
        let recs = store.read(records).unwrap();
        assert_eq!(recs[0].prev_hash, vec![0u8; 32]);
        assert_eq!(verify_records(&recs), Verdict::Ok { records: 5 });

        // Updates are refused by the trigger…
        assert!(store
            .read(|c| c.execute(
                "UPDATE audit SET outcome = 'ok' WHERE seq = 3",
                crate::store::db::params![]
            ))
            .is_err());

        // …and edits that bypass it are caught by the chain, at the edited record.
        let mut t = recs.clone();
        t[2].event.outcome = "ok".into();
        assert_eq!(
            verify_records(&t),
            Verdict::Broken {
                seq: 3,
                reason: "hash does not match the record's contents".into()
            }
        );
        let mut t = recs.clone();
        t[3].prev_hash[0] ^= 1;
        assert!(matches!(verify_records(&t), Verdict::Broken { seq: 4, .. }));
        let mut t = recs.clone();
        t.remove(1);
        assert!(matches!(verify_records(&t), Verdict::Broken { seq: 3, .. }));
        let mut t = recs;
        t[4].event.token = None;
        assert!(matches!(verify_records(&t), Verdict::Broken { seq: 5, .. }));
    }

    #[test]
    fn detail_is_stored_and_covered_by_the_chain() {
        let (_scratch, store) = crate::store::testing::fresh();
        let plain = ev("login", "ok");
        let with_detail = Event {
            detail: Some("source=00aa".into()),
            ..ev("object.copy", "ok")
        };
        // A record without detail hashes exactly as before schema v2.
        assert_eq!(
            record_hash(&[0; 32], 1, 5, &plain),
            record_hash(
                &[0; 32],
                1,
                5,
                &Event {
                    detail: None,
                    ..plain.clone()
                }
            )
        );
        assert_ne!(
            record_hash(&[0; 32], 1, 5, &plain),
            record_hash(
                &[0; 32],
                1,
                5,
                &Event {
                    detail: Some(String::new()),
                    ..plain.clone()
                }
            )
        );
        for e in [&plain, &with_detail] {
            store.tx(|tx| append(tx, e)).unwrap();
        }
        let recs = store.read(records).unwrap();
        assert_eq!(recs[1].event.detail.as_deref(), Some("source=00aa"));
        assert_eq!(verify_records(&recs), Verdict::Ok { records: 2 });
        let mut t = recs.clone();
        t[1].event.detail = Some("source=00ab".into());
        assert!(matches!(verify_records(&t), Verdict::Broken { seq: 2, .. }));
        let mut t = recs;
        t[1].event.detail = None;
        assert!(matches!(verify_records(&t), Verdict::Broken { seq: 2, .. }));
    }
}
