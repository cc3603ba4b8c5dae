//! Streamed parts at the service level (no network, `keys::stream`): a streamed operation is
//! one key use — one audit record and one usage count at its first part, policy checked there —
//! however many parts follow; a later part needs the ticket of the one before, bound to the
//! caller, key, operation and mechanism; a CBC-PAD part before the last is plain CBC.

mod common;

use common::service::{aes, b, code, setup};
use kms_api::msg::{PartRequest, PartResponse};
use kms_api::{Bytes, MechParams, Mechanism, SecretBytes};
use kms_daemon::audit;
use kms_daemon::auth::Caller;
use kms_daemon::ck::*;
use kms_daemon::keys::admin::{self, PolicyChange};
use kms_daemon::keys::{stream, usage};
use kms_daemon::model::op::Op;
use kms_daemon::state::Services;
use kms_daemon::store::objects;

fn cbc_pad(iv: &[u8]) -> Mechanism {
    Mechanism {
        mechanism: CKM_AES_CBC_PAD,
        params: MechParams::Iv(Bytes(iv.to_vec())),
    }
}

fn part(
    mechanism: Mechanism,
    data: &[u8],
    ticket: Option<&PartResponse>,
    last: bool,
) -> PartRequest {
    PartRequest {
        mechanism,
        data: SecretBytes::from(data),
        ticket: ticket.map(|t| t.ticket.clone()),
        last,
    }
}

/// `stream::part` on token "t".
fn send(
    svc: &Services,
    c: &Caller,
    id: &str,
    op: Op,
    req: &PartRequest,
) -> Result<PartResponse, kms_daemon::Error> {
    stream::part(svc, c, "t", id, op, req)
}

/// An ECB encryption of `id` after its first part: the mechanism and the first answer.
fn ecb_started(svc: &Services, c: &Caller, id: &str) -> (Mechanism, PartResponse) {
    let ecb = Mechanism::new(CKM_AES_ECB);
    let first = part(ecb.clone(), &[1; 16], None, false);
    let answer = send(svc, c, id, Op::Encrypt, &first).unwrap();
    (ecb, answer)
}

fn records(svc: &Services) -> usize {
    svc.store.read(audit::records).unwrap().len()
}

fn uses(svc: &Services, id: &str) -> u64 {
    let obj = svc
        .store
        .read(|c| objects::get_any(c, id))
        .unwrap()
        .unwrap();
    obj.life.uses
}

#[test]
fn a_streamed_operation_is_one_audited_and_counted_use() {
    let (_dir, svc, c) = setup();
    let id = aes(&svc, &c, 32, vec![b(CKA_TOKEN, true)]).unwrap().id;
    let before = records(&svc);
    let uses_before = uses(&svc, &id);
    let iv = [7u8; 16];
    let pt: Vec<u8> = (0..100u8).collect();

    let first = send(
        &svc,
        &c,
        &id,
        Op::Encrypt,
        &part(cbc_pad(&iv), &pt[..32], None, false),
    )
    .unwrap();
    assert_eq!(
        first.data.0.len(),
        32,
        "a CBC-PAD part before the last is not padded"
    );
    let chain = first.data.0[16..32].to_vec();
    let second = send(
        &svc,
        &c,
        &id,
        Op::Encrypt,
        &part(cbc_pad(&chain), &pt[32..96], Some(&first), false),
    )
    .unwrap();
    let chain = second.data.0[48..64].to_vec();
    let last = send(
        &svc,
        &c,
        &id,
        Op::Encrypt,
        &part(cbc_pad(&chain), &pt[96..], Some(&second), true),
    )
    .unwrap();
    assert_eq!(last.data.0.len(), 16, "the last part is padded");

    let streamed = [
        first.data.0.to_vec(),
        second.data.0.to_vec(),
        last.data.0.to_vec(),
    ]
    .concat();
    let single = kms_api::msg::CryptoRequest {
        mechanism: cbc_pad(&iv),
        data: SecretBytes::from(&pt[..]),
    };
    let whole = usage::run(&svc, &c, "t", &id, Op::Encrypt, &single).unwrap();
    assert_eq!(
        streamed,
        whole.data.0.to_vec(),
        "the parts make the single-part ciphertext"
    );

    // The stream: one record and one use; the single-part call: one more of each.
    let new = &svc.store.read(audit::records).unwrap()[before..];
    assert_eq!(
        new.len(),
        2,
        "one record for the three parts, one for the single-part call"
    );
    assert!(new
        .iter()
        .all(|r| r.event.action == "key.encrypt" && r.event.outcome == "ok"));
    assert_eq!(uses(&svc, &id) - uses_before, 2);
}

#[test]
fn a_later_part_needs_a_ticket_of_its_own_operation() {
    let (_dir, svc, c) = setup();
    let id = aes(&svc, &c, 32, vec![b(CKA_TOKEN, true)]).unwrap().id;
    let other = aes(&svc, &c, 32, vec![b(CKA_TOKEN, true)]).unwrap().id;
    let (ecb, first) = ecb_started(&svc, &c, &id);
    let next = |key: &str, op: Op, m: Mechanism, t: &PartResponse| {
        code(send(&svc, &c, key, op, &part(m, &[2; 16], Some(t), false)))
    };
    assert_eq!(next(&id, Op::Encrypt, ecb.clone(), &first), "ok");
    assert_eq!(
        next(&other, Op::Encrypt, ecb.clone(), &first),
        "operation_unknown",
        "another key"
    );
    assert_eq!(
        next(&id, Op::Decrypt, ecb.clone(), &first),
        "operation_unknown",
        "another operation"
    );
    assert_eq!(
        next(&id, Op::Encrypt, cbc_pad(&[0; 16]), &first),
        "operation_unknown",
        "another mechanism"
    );
    let mut forged = first.clone();
    forged.ticket.0[0] ^= 1;
    assert_eq!(
        next(&id, Op::Encrypt, ecb.clone(), &forged),
        "operation_unknown",
        "a moved expiry"
    );
    let mut stranger = c.clone();
    stranger.identity = "CN=b".into();
    let req = part(ecb.clone(), &[2; 16], Some(&first), false);
    assert_ne!(code(send(&svc, &stranger, &id, Op::Encrypt, &req)), "ok");

    // Whole blocks before the last part; streamed mechanisms only.
    let ragged = part(ecb.clone(), &[1; 15], None, false);
    assert_eq!(
        code(send(&svc, &c, &id, Op::Encrypt, &ragged)),
        "bad_request"
    );
    let gcm = common::service::gcm(1, b"x");
    let whole = part(gcm.mechanism, b"x", None, true);
    assert_eq!(
        code(send(&svc, &c, &id, Op::Encrypt, &whole)),
        "mechanism_invalid"
    );
}

#[test]
fn policy_is_checked_at_the_first_part_only() {
    let (_dir, svc, c) = setup();
    let id = aes(&svc, &c, 32, vec![b(CKA_TOKEN, true)]).unwrap().id;
    let limit = PolicyChange {
        max_uses: Some(Some(1)),
        ..PolicyChange::default()
    };
    admin::set_policy(&svc, &id, &limit).unwrap();
    let (ecb, first) = ecb_started(&svc, &c, &id);
    // The one use allowed was the stream's: its later parts go on, a new operation is refused.
    let second = send(
        &svc,
        &c,
        &id,
        Op::Encrypt,
        &part(ecb.clone(), &[2; 16], Some(&first), true),
    );
    assert_eq!(code(second), "ok");
    let again = send(&svc, &c, &id, Op::Encrypt, &part(ecb, &[3; 16], None, true));
    assert_eq!(code(again), "key_function_not_permitted");
    assert_eq!(uses(&svc, &id), 1);
}
