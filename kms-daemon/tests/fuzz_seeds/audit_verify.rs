//! audit_verify: byte 0 → chain length `2 + b % 8`, byte 1 → the record edited (`b % n`),
//! byte 2 → the edit (`b % 6`), the rest → the seed the records' text fields are cut from.

use kms_testkit::seeds::Seeds;

#[derive(Clone, Copy)]
enum Edit {
    Outcome = 0,
    Timestamp = 1,
    Drop = 2,
    SwapWithNext = 3,
    InsertCopy = 4,
    Actor = 5,
}

fn audit_case(records: usize, at: usize, edit: Edit, seed: &[u8]) -> Vec<u8> {
    assert!((2..=9).contains(&records) && at < records);
    [
        vec![(records - 2) as u8, at as u8, edit as u8],
        seed.to_vec(),
    ]
    .concat()
}

pub(crate) fn audit_verify(s: &mut Seeds) {
    let text = b"CN=kms-client,O=example key.sign ok CKM_ECDSA_SHA256 token=kms-default";
    let edits = [
        ("outcome", Edit::Outcome),
        ("timestamp", Edit::Timestamp),
        ("drop", Edit::Drop),
        ("swap-with-next", Edit::SwapWithNext),
        ("insert-copy", Edit::InsertCopy),
        ("actor", Edit::Actor),
    ];
    for (name, edit) in edits {
        s.add(&format!("{name}-first-of-2"), audit_case(2, 0, edit, text));
        s.add(&format!("{name}-middle-of-5"), audit_case(5, 2, edit, text));
        s.add(&format!("{name}-last-of-9"), audit_case(9, 8, edit, text));
    }
    // Dropping the last record is the one edit a chain alone cannot show (the head file does).
    s.add(
        "drop-last-of-2-empty-seed",
        audit_case(2, 1, Edit::Drop, b""),
    );
    s.add("too-short-for-a-chain", vec![7, 1]);
    s.add(
        "actor-invalid-utf8",
        audit_case(4, 1, Edit::Actor, &[0xff, 0xfe, b'C', b'N', 0xc3]),
    );
    s.add(
        "outcome-multibyte-seed",
        audit_case(3, 1, Edit::Outcome, "Jürgen Ωmega 鍵 🔑".as_bytes()),
    );
    s.add(
        "swap-last-with-first-of-3",
        audit_case(3, 2, Edit::SwapWithNext, text),
    );
    s.add(
        "insert-copy-long-seed",
        audit_case(6, 3, Edit::InsertCopy, &[b'x'; 600]),
    );
}
