//! Key life cycle and use policy at the service level (no network): what each KMIP state
//! allows, the administrative transitions, the validity window from CKA_START_DATE and
//! CKA_END_DATE, the usage count under concurrency, principals, allowed mechanisms, scheduled
//! destruction, and that every refusal is audited.

mod common;
use common::RawStore;

use common::service::{aes, attr, b, code, last_audit, new_caller, setup_with_master_key, u};
use common::service::{ec_pair, user_login};
use kms_api::msg::{CryptoRequest, FindRequest};
use kms_api::vendor::{CKA_KMS_STATE, CK_KMS_STATE_ACTIVE, CK_KMS_STATE_PRE_ACTIVE};
use kms_api::{Attr, AttrValue, Bytes, MechParams, Mechanism, SecretBytes};
use kms_daemon::audit;
use kms_daemon::auth::Caller;
use kms_daemon::ck::*;
use kms_daemon::clock::now_ms;
use kms_daemon::crypto::ec::Curve;
use kms_daemon::keys::admin::{self, PolicyChange};
use kms_daemon::keys::usage;
use kms_daemon::keys::{copy, destroy, manage};
use kms_daemon::model::dates;
use kms_daemon::model::lifecycle::{State, Transition};
use kms_daemon::model::op::Op;
use kms_daemon::state::Services;
use kms_daemon::store::objects;

/// This file's tests run on their own vault master key.
fn setup() -> (tempfile::TempDir, Services, Caller) {
    setup_with_master_key(&[9u8; 32])
}

fn gcm(data: &[u8]) -> CryptoRequest {
    common::service::gcm(1, data)
}

fn date(ty: u64, d: &str) -> Attr {
    attr(ty, AttrValue::Date(d.into()))
}

fn token_aes(svc: &Services, c: &Caller, extra: Vec<Attr>) -> String {
    let mut t = vec![b(CKA_TOKEN, true)];
    t.extend(extra);
    aes(svc, c, 32, t).unwrap().id
}

fn encrypt(svc: &Services, c: &Caller, id: &str) -> Result<Vec<u8>, kms_daemon::Error> {
    usage::run(svc, c, "t", id, Op::Encrypt, &gcm(b"protected data")).map(|r| r.data.0.to_vec())
}

fn decrypt(svc: &Services, c: &Caller, id: &str, ct: &[u8]) -> Result<Vec<u8>, kms_daemon::Error> {
    usage::run(svc, c, "t", id, Op::Decrypt, &gcm(ct)).map(|r| r.data.0.to_vec())
}

fn state_attr(svc: &Services, c: &Caller, id: &str) -> Option<u64> {
    let info = manage::get(svc, c, "t", id).unwrap();
    kms_api::attr::find(&info.attrs, CKA_KMS_STATE).and_then(AttrValue::as_ulong)
}

fn stored(svc: &Services, id: &str) -> kms_daemon::model::object::StoredObject {
    svc.store
        .read(|c| objects::get_any(c, id))
        .unwrap()
        .unwrap()
}

/// The (action, outcome) of the last audit record.
fn last(svc: &Services) -> (String, String) {
    let e = last_audit(svc);
    (e.action, e.outcome)
}

#[test]
fn a_new_key_is_active_unless_its_start_date_is_in_the_future() {
    let (_dir, svc, c) = setup();
    let now = token_aes(&svc, &c, vec![]);
    assert_eq!(state_attr(&svc, &c, &now), Some(CK_KMS_STATE_ACTIVE));
    encrypt(&svc, &c, &now).unwrap();

    let later = token_aes(&svc, &c, vec![date(CKA_START_DATE, "29991231")]);
    assert_eq!(state_attr(&svc, &c, &later), Some(CK_KMS_STATE_PRE_ACTIVE));
    assert_eq!(code(encrypt(&svc, &c, &later)), "key_not_active");
    assert_eq!(last(&svc), ("key.encrypt".into(), "key_not_active".into()));
    assert_eq!(code(decrypt(&svc, &c, &later, &[0; 32])), "key_not_active");

    // The state is kmsd's to set.
    let given = aes(&svc, &c, 32, vec![u(CKA_KMS_STATE, CK_KMS_STATE_ACTIVE)]);
    assert_eq!(code(given), "attribute_read_only");
    let changed = manage::set_attributes(&svc, &c, "t", &later, &[u(CKA_KMS_STATE, 2)]);
    assert_eq!(code(changed), "attribute_read_only");

    // The window is shown as dates and can be searched by state.
    let info = manage::get(&svc, &c, "t", &later).unwrap();
    assert_eq!(
        kms_api::attr::find(&info.attrs, CKA_START_DATE),
        Some(&AttrValue::Date("29991231".into()))
    );
    let found = manage::find(
        &svc,
        &c,
        "t",
        &FindRequest {
            template: vec![u(CKA_KMS_STATE, CK_KMS_STATE_PRE_ACTIVE)],
        },
    )
    .unwrap();
    assert_eq!(
        found.objects.iter().map(|o| &o.id).collect::<Vec<_>>(),
        [&later]
    );

    // Past its end date a key is deactivated: no new encryption, no signature.
    let expired = [
        date(CKA_START_DATE, "20000101"),
        date(CKA_END_DATE, "20001231"),
    ];
    let old = token_aes(&svc, &c, expired.to_vec());
    assert_eq!(code(encrypt(&svc, &c, &old)), "key_not_active");
    let pair = ec_pair(&svc, &c, Curve::P256, expired.to_vec());
    let sign = CryptoRequest {
        mechanism: Mechanism::new(CKM_ECDSA),
        data: SecretBytes::from(&[7u8; 32][..]),
    };
    assert_eq!(
        code(usage::run(&svc, &c, "t", &pair.private.id, Op::Sign, &sign)),
        "key_not_active"
    );

    // An end before the start, or an impossible day, is refused at creation.
    let bad = aes(
        &svc,
        &c,
        32,
        vec![
            date(CKA_START_DATE, "20260102"),
            date(CKA_END_DATE, "20260101"),
        ],
    );
    assert_eq!(code(bad), "template_inconsistent");
    let bad = aes(&svc, &c, 32, vec![date(CKA_END_DATE, "20260230")]);
    assert_eq!(code(bad), "attribute_value_invalid");
}

#[test]
fn each_transition_changes_what_the_key_may_do_and_is_audited() {
    let (_dir, svc, c) = setup();
    let id = token_aes(&svc, &c, vec![]);
    let ct = encrypt(&svc, &c, &id).unwrap();

    let key = admin::transition(&svc, &id, Transition::Deactivate, None).unwrap();
    assert_eq!(key.life.state, State::Deactivated);
    let rec = last_audit(&svc);
    assert_eq!(
        (
            rec.action.as_str(),
            rec.actor.as_str(),
            rec.detail.as_deref()
        ),
        (
            "key.deactivate",
            audit::ADMIN_ACTOR,
            Some("from=active to=deactivated")
        )
    );
    assert_eq!(rec.token.as_deref(), Some("t"));
    assert_eq!(code(encrypt(&svc, &c, &id)), "key_not_active");
    assert_eq!(decrypt(&svc, &c, &id, &ct).unwrap(), b"protected data");
    // The deactivation date shows as CKA_END_DATE.
    let info = manage::get(&svc, &c, "t", &id).unwrap();
    assert_eq!(
        kms_api::attr::find(&info.attrs, CKA_END_DATE),
        Some(&AttrValue::Date(dates::ck_date(now_ms())))
    );

    // No way back to active; revoking is allowed, with a reason.
    let again = admin::transition(&svc, &id, Transition::Activate, None);
    assert_eq!(code(again), "action_prohibited");
    assert_eq!(
        last(&svc),
        ("key.activate".into(), "action_prohibited".into())
    );
    assert_eq!(
        code(admin::transition(&svc, &id, Transition::Revoke, Some(""))),
        "bad_request"
    );
    admin::transition(&svc, &id, Transition::Revoke, Some("laptop stolen")).unwrap();
    assert_eq!(
        last_audit(&svc).detail.as_deref(),
        Some("from=deactivated to=compromised reason=\"laptop stolen\"")
    );
    assert_eq!(code(encrypt(&svc, &c, &id)), "key_not_active");
    assert_eq!(decrypt(&svc, &c, &id, &ct).unwrap(), b"protected data");
    assert_eq!(
        code(admin::transition(
            &svc,
            &id,
            Transition::Revoke,
            Some("again")
        )),
        "action_prohibited"
    );

    // A pre-active key becomes active by activation only.
    let later = token_aes(&svc, &c, vec![date(CKA_START_DATE, "29991231")]);
    assert_eq!(
        code(admin::transition(
            &svc,
            &later,
            Transition::Deactivate,
            None
        )),
        "action_prohibited"
    );
    admin::transition(&svc, &later, Transition::Activate, None).unwrap();
    encrypt(&svc, &c, &later).unwrap();
    assert_eq!(
        svc.store.read(audit::verify).unwrap(),
        audit::Verdict::Ok {
            records: svc.store.read(audit::records).unwrap().len()
        }
    );
}

#[test]
fn a_state_edited_in_the_database_makes_the_key_unusable() {
    let (dir, svc, c) = setup();
    let id = token_aes(&svc, &c, vec![]);
    admin::transition(&svc, &id, Transition::Revoke, Some("test")).unwrap();
    let conn = RawStore::open(dir.path());
    conn.execute(
        "UPDATE objects SET state = 'active', state_reason = NULL WHERE id = ?1",
        kms_daemon::store::db::params![id],
    )
    .unwrap();
    assert_eq!(code(encrypt(&svc, &c, &id)), "integrity_failure");
    assert_eq!(
        last(&svc),
        ("key.encrypt".into(), "integrity_failure".into())
    );
}

#[test]
fn the_usage_count_is_exact_under_concurrency() {
    let (_dir, svc, c) = setup();
    let id = token_aes(&svc, &c, vec![]);
    let limit = PolicyChange {
        max_uses: Some(Some(5)),
        ..PolicyChange::default()
    };
    admin::set_policy(&svc, &id, &limit).unwrap();
    let before = svc.store.read(audit::records).unwrap().len();

    let results: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    (0..4)
                        .map(|_| code(encrypt(&svc, &c, &id)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let ok = results.iter().filter(|r| *r == "ok").count();
    let refused = results
        .iter()
        .filter(|r| *r == "key_function_not_permitted")
        .count();
    assert_eq!((ok, refused), (5, 27), "{results:?}");
    assert_eq!(stored(&svc, &id).life.uses, 5);

    // One record per attempt: five uses, 27 refusals.
    let records = svc.store.read(audit::records).unwrap();
    let new = &records[before..];
    assert_eq!(new.len(), 32);
    let oks = new.iter().filter(|r| r.event.outcome == "ok").count();
    assert_eq!(oks, 5);
    assert!(new.iter().all(|r| r.event.action == "key.encrypt"));

    // A usage-limited key cannot be copied into fresh counts; lifting the limit frees it.
    let copied = copy::copy_object(&svc, &c, "t", &id, &[]);
    assert_eq!(code(copied), "action_prohibited");
    let unlimited = PolicyChange {
        max_uses: Some(None),
        ..PolicyChange::default()
    };
    admin::set_policy(&svc, &id, &unlimited).unwrap();
    encrypt(&svc, &c, &id).unwrap();
}

#[test]
fn deferred_key_uses_wait_for_the_flusher_but_a_usage_limited_key_counts_on_disk() {
    if common::skip_on_postgres(
        "deferred_key_uses…",
        "it watches the SQLite audit head, which moves with each sync",
    ) {
        return;
    }
    let (dir, mut svc, c) = setup();
    let store = common::store_location(dir.path());
    let head = || {
        kms_daemon::store::audit_head::load(&store)
            .unwrap()
            .map(|h| h.seq)
    };
    svc.audit.key_use_durability = kms_daemon::config::store::Durability::Deferred;
    svc.store =
        kms_daemon::store::Store::open_with(&store, std::time::Duration::from_secs(30)).unwrap();
    let unlimited = token_aes(&svc, &c, vec![]);
    let limited = token_aes(&svc, &c, vec![]);
    let limit = PolicyChange {
        max_uses: Some(Some(3)),
        ..PolicyChange::default()
    };
    admin::set_policy(&svc, &limited, &limit).unwrap();
    let synced = head();
    // A use of an unlimited key is committed at once, on disk only with the next sync …
    encrypt(&svc, &c, &unlimited).unwrap();
    assert_eq!(last(&svc), ("key.encrypt".into(), "ok".into()));
    assert_eq!(head(), synced);
    // … while a counted use is synced before it returns (with the one before it).
    encrypt(&svc, &c, &limited).unwrap();
    assert_eq!(head(), synced.map(|s| s + 2));
}

#[test]
fn only_listed_principals_may_use_a_key() {
    let (_dir, svc, a) = setup();
    let id = token_aes(&svc, &a, vec![]);
    let mut other = Caller {
        identity: "CN=b".into(),
        ..new_caller()
    };
    user_login(&svc, &mut other);
    encrypt(&svc, &other, &id).unwrap();

    let only_b = PolicyChange {
        principals: Some(Some(vec!["CN=b".into()])),
        ..PolicyChange::default()
    };
    admin::set_policy(&svc, &id, &only_b).unwrap();
    assert_eq!(code(encrypt(&svc, &a, &id)), "key_function_not_permitted");
    let refusal = last_audit(&svc);
    assert_eq!(
        (refusal.actor.as_str(), refusal.outcome.as_str()),
        ("CN=a", "key_function_not_permitted")
    );
    encrypt(&svc, &other, &id).unwrap();
    let bad = PolicyChange {
        principals: Some(Some(vec![String::new()])),
        ..PolicyChange::default()
    };
    assert_eq!(code(admin::set_policy(&svc, &id, &bad)), "bad_request");
}

#[test]
fn allowed_mechanisms_are_enforced() {
    let (_dir, svc, c) = setup();
    let id = token_aes(
        &svc,
        &c,
        vec![attr(
            CKA_ALLOWED_MECHANISMS,
            AttrValue::UlongList(vec![CKM_AES_CBC_PAD]),
        )],
    );
    assert_eq!(code(encrypt(&svc, &c, &id)), "mechanism_invalid");
    assert_eq!(
        last(&svc),
        ("key.encrypt".into(), "mechanism_invalid".into())
    );
    let cbc = CryptoRequest {
        mechanism: Mechanism {
            mechanism: CKM_AES_CBC_PAD,
            params: MechParams::Iv(vec![0u8; 16].into()),
        },
        data: SecretBytes::from(&b"x"[..]),
    };
    usage::run(&svc, &c, "t", &id, Op::Encrypt, &cbc).unwrap();
}

#[test]
fn dates_may_only_narrow_the_window() {
    let (_dir, svc, c) = setup();
    let id = token_aes(&svc, &c, vec![date(CKA_END_DATE, "29991231")]);
    let set = |a: Attr| manage::set_attributes(&svc, &c, "t", &id, &[a]);
    assert_eq!(code(set(date(CKA_END_DATE, ""))), "attribute_read_only");
    assert_eq!(
        code(set(date(CKA_END_DATE, "30000101"))),
        "attribute_read_only"
    );
    set(date(CKA_END_DATE, "20001231")).unwrap();
    assert_eq!(code(encrypt(&svc, &c, &id)), "key_not_active");
    // A copy keeps the (now past) window and cannot widen it.
    let copied = copy::copy_object(&svc, &c, "t", &id, &[date(CKA_END_DATE, "29991231")]);
    assert_eq!(code(copied), "attribute_read_only");
    let copied = copy::copy_object(&svc, &c, "t", &id, &[]).unwrap();
    assert_eq!(code(encrypt(&svc, &c, &copied.id)), "key_not_active");
}

#[test]
fn destroy_object_schedules_destruction_that_can_be_cancelled() {
    let (dir, svc, c) = setup();
    assert_eq!(svc.lifecycle.destroy_wait_secs, 7 * 24 * 3600);
    let id = token_aes(&svc, &c, vec![]);
    let ct = encrypt(&svc, &c, &id).unwrap();
    manage::destroy(&svc, &c, "t", &id).unwrap();
    assert!(last_audit(&svc).detail.unwrap().starts_with("destroy_at="));

    // Gone for PKCS#11 at once, but the material is still there.
    assert_eq!(code(manage::get(&svc, &c, "t", &id)), "object_not_found");
    assert_eq!(code(decrypt(&svc, &c, &id, &ct)), "object_not_found");
    let all = manage::find(&svc, &c, "t", &FindRequest { template: vec![] }).unwrap();
    assert!(all.objects.iter().all(|o| o.id != id));
    assert!(stored(&svc, &id).sealed.is_some());
    assert_eq!(code(destroy::sweep(&svc).map(|n| assert_eq!(n, 0))), "ok");

    // An administrator brings it back, as it was.
    admin::cancel_destroy(&svc, &id).unwrap();
    assert_eq!(decrypt(&svc, &c, &id, &ct).unwrap(), b"protected data");
    assert_eq!(code(admin::cancel_destroy(&svc, &id)), "action_prohibited");

    // Clearing the schedule in the database does not bring a key back.
    admin::schedule_destroy(&svc, &id).unwrap();
    let conn = RawStore::open(dir.path());
    conn.execute(
        "UPDATE objects SET destroy_at = NULL WHERE id = ?1",
        kms_daemon::store::db::params![id],
    )
    .unwrap();
    assert_eq!(code(decrypt(&svc, &c, &id, &ct)), "integrity_failure");

    // Once the waiting period is over (moved to the past here), the sweep erases the material
    // and keeps the row, destroyed.
    conn.execute(
        "UPDATE objects SET destroy_at = 1 WHERE id = ?1",
        kms_daemon::store::db::params![id],
    )
    .unwrap();
    assert_eq!(destroy::sweep(&svc).unwrap(), 1);
    let gone = stored(&svc, &id);
    assert_eq!((gone.life.state, gone.sealed), (State::Destroyed, None));
    let rec = last_audit(&svc);
    assert_eq!(
        (
            rec.action.as_str(),
            rec.actor.as_str(),
            rec.detail.as_deref()
        ),
        ("key.destroyed", destroy::SYSTEM_ACTOR, Some("from=active"))
    );
    assert_eq!(code(admin::cancel_destroy(&svc, &id)), "action_prohibited");
    assert_eq!(destroy::sweep(&svc).unwrap(), 0);
}

#[test]
fn with_no_waiting_period_the_material_is_erased_at_once_and_the_token_can_go() {
    let (_dir, mut svc, c) = setup();
    svc.lifecycle.destroy_wait_secs = 0;
    let id = token_aes(&svc, &c, vec![]);
    let cert_like = token_aes(&svc, &c, vec![]);
    assert_eq!(code(admin::delete_token(&svc, "t")), "action_prohibited");
    assert_eq!(
        last(&svc),
        ("token.delete".into(), "action_prohibited".into())
    );

    manage::destroy(&svc, &c, "t", &id).unwrap();
    let gone = stored(&svc, &id);
    assert_eq!((gone.life.state, gone.sealed), (State::Destroyed, None));
    assert_eq!(last_audit(&svc).detail.as_deref(), Some("destroyed"));
    admin::schedule_destroy(&svc, &cert_like).unwrap();

    assert_eq!(admin::delete_token(&svc, "t").unwrap(), 2);
    let rec = last_audit(&svc);
    assert_eq!(
        (rec.action.as_str(), rec.detail.as_deref()),
        ("token.delete", Some("objects=2"))
    );
    assert_eq!(code(admin::delete_token(&svc, "t")), "token_not_found");
    assert_eq!(
        svc.store.read(audit::verify).unwrap(),
        audit::Verdict::Ok {
            records: svc.store.read(audit::records).unwrap().len()
        }
    );
}

#[test]
fn key_management_operations_follow_the_state() {
    use common::service::{aes_template, bytes, do_derive, do_unwrap, do_wrap, ecdh, m};
    use kms_api::msg::VerifyRequest;
    let (_dir, svc, c) = setup();

    // HMAC: a deactivated key still verifies, never signs.
    let mac_key = common::service::hmac_key(&svc, &c);
    let data = SecretBytes::from(&b"message"[..]);
    let sign = CryptoRequest {
        mechanism: m(CKM_SHA256_HMAC),
        data: data.clone(),
    };
    let mac = usage::run(&svc, &c, "t", &mac_key, Op::Sign, &sign)
        .unwrap()
        .data
        .0
        .to_vec();
    admin::transition(&svc, &mac_key, Transition::Deactivate, None).unwrap();
    assert_eq!(
        code(usage::run(&svc, &c, "t", &mac_key, Op::Sign, &sign)),
        "key_not_active"
    );
    let verify = VerifyRequest {
        mechanism: m(CKM_SHA256_HMAC),
        data,
        signature: Bytes(mac),
    };
    usage::verify(&svc, &c, "t", &mac_key, &verify).unwrap();

    // Wrap needs an active wrapping key and a target that is not compromised; a deactivated
    // key still unwraps.
    let wrapping = token_kek(&svc, &c);
    let target = aes(&svc, &c, 16, vec![b(CKA_EXTRACTABLE, true)])
        .unwrap()
        .id;
    let blob = do_wrap(&svc, &c, m(CKM_AES_KEY_WRAP), &wrapping, &target).unwrap();
    admin::transition(&svc, &wrapping, Transition::Deactivate, None).unwrap();
    let wrapped = do_wrap(&svc, &c, m(CKM_AES_KEY_WRAP), &wrapping, &target);
    assert_eq!(code(wrapped), "key_not_active");
    let template = vec![u(CKA_CLASS, CKO_SECRET_KEY), u(CKA_KEY_TYPE, CKK_AES)];
    do_unwrap(&svc, &c, m(CKM_AES_KEY_WRAP), &wrapping, &blob, template).unwrap();
    let fresh = token_kek(&svc, &c);
    let stolen = aes(
        &svc,
        &c,
        16,
        vec![b(CKA_EXTRACTABLE, true), b(CKA_TOKEN, true)],
    )
    .unwrap()
    .id;
    admin::transition(&svc, &stolen, Transition::Revoke, Some("leaked")).unwrap();
    let wrapped = do_wrap(&svc, &c, m(CKM_AES_KEY_WRAP), &fresh, &stolen);
    assert_eq!(code(wrapped), "key_not_active");
    assert_eq!(last(&svc), ("key.wrap".into(), "key_not_active".into()));

    // Derive protects new data: refused once the base key is deactivated.
    let base = ec_pair(
        &svc,
        &c,
        Curve::P256,
        vec![b(CKA_DERIVE, true), b(CKA_TOKEN, true)],
    );
    let peer = ec_pair(&svc, &c, Curve::P256, vec![]);
    let point = bytes(&peer.public, CKA_EC_POINT);
    let derive = |svc: &Services| {
        do_derive(
            svc,
            &c,
            ecdh(CKD_NULL, b"", &point),
            &base.private.id,
            aes_template(16),
        )
    };
    derive(&svc).unwrap();
    admin::transition(&svc, &base.private.id, Transition::Deactivate, None).unwrap();
    assert_eq!(code(derive(&svc)), "key_not_active");
}

#[test]
fn a_destroyed_key_pair_comes_back_whole() {
    let (_dir, svc, c) = setup();
    let ec_params = AttrValue::Bytes(Curve::P256.params().to_vec().into());
    let pair = common::service::pair(
        &svc,
        &c,
        vec![attr(CKA_EC_PARAMS, ec_params), b(CKA_TOKEN, true)],
        vec![b(CKA_TOKEN, true)],
    );
    for id in [&pair.public.id, &pair.private.id] {
        manage::destroy(&svc, &c, "t", id).unwrap();
        assert_eq!(code(manage::get(&svc, &c, "t", id)), "object_not_found");
        assert!(stored(&svc, id).life.destroy_at.is_some());
    }
    for id in [&pair.public.id, &pair.private.id] {
        admin::cancel_destroy(&svc, id).unwrap();
        manage::get(&svc, &c, "t", id).unwrap();
    }
    // Session objects are deleted at once, as before.
    let session = aes(&svc, &c, 16, vec![]).unwrap().id;
    manage::destroy(&svc, &c, "t", &session).unwrap();
    assert!(svc
        .store
        .read(|conn| objects::get_any(conn, &session))
        .unwrap()
        .is_none());
}

/// A token AES key that wraps and unwraps, and neither encrypts nor decrypts (R1).
fn token_kek(svc: &Services, c: &Caller) -> String {
    let roles = [CKA_WRAP, CKA_UNWRAP, CKA_ENCRYPT, CKA_DECRYPT];
    let template = roles
        .iter()
        .map(|&ty| b(ty, ty == CKA_WRAP || ty == CKA_UNWRAP));
    token_aes(svc, c, template.collect())
}
