//! The audit verifier on a chain an attacker edited: a valid chain is built from the input,
//! then the input decides one edit (change a field, drop, swap or insert a record). The verifier
//! never panics, accepts the untouched chain, and rejects every edit that changes anything.
#![no_main]

use kms_daemon::audit::{record_hash, verify_records, Event, Record, Verdict};
use libfuzzer_sys::fuzz_target;

fn event(seed: &[u8], i: usize) -> Event {
    let s = |k: usize| String::from_utf8_lossy(&seed[..(k + i) % (seed.len() + 1)]).to_string();
    Event {
        request_id: s(1),
        actor: s(2),
        token: (i % 2 == 0).then(|| s(3)),
        action: s(4),
        object_id: (i % 3 == 0).then(|| s(5)),
        mechanism: None,
        outcome: s(6),
        detail: (i % 5 == 0).then(|| s(7)),
    }
}

fn chain(seed: &[u8], n: usize) -> Vec<Record> {
    let mut prev = vec![0u8; 32];
    (0..n)
        .map(|i| {
            let e = event(seed, i);
            let seq = i as i64 + 1;
            let ts = 1_700_000_000_000 + i as i64;
            let hash = record_hash(&prev, seq, ts, &e).to_vec();
            let r = Record {
                seq,
                ts_ms: ts,
                event: e,
                prev_hash: prev.clone(),
                hash: hash.clone(),
            };
            prev = hash;
            r
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let n = 2 + data[0] as usize % 8;
    let mut records = chain(&data[3..], n);
    assert!(matches!(verify_records(&records), Verdict::Ok { .. }));
    let at = data[1] as usize % n;
    let before = records.clone();
    match data[2] % 6 {
        0 => records[at].event.outcome.push('!'),
        1 => records[at].ts_ms += 1,
        2 => drop(records.remove(at)),
        3 => records.swap(at, (at + 1) % n),
        4 => {
            let copy = records[at].clone();
            records.insert(at, copy);
        }
        _ => records[at].event.actor = String::from_utf8_lossy(&data[3..]).to_string() + "x",
    }
    let changed = records.len() != before.len()
        || records
            .iter()
            .zip(&before)
            .any(|(a, b)| a.hash != b.hash || a.ts_ms != b.ts_ms || a.event.outcome != b.event.outcome || a.event.actor != b.event.actor);
    let dropped_last = data[2] % 6 == 2 && at == n - 1;
    if changed && !dropped_last {
        assert!(
            matches!(verify_records(&records), Verdict::Broken { .. }),
            "an edit went unnoticed"
        );
    }
});
