//! A key's policy holds on every path, not only on use (issue 20, items 1–3 and 12), as raw
//! HTTPS requests to a real kmsd: another logged-in identity of the token can neither change,
//! copy, wrap nor destroy a principal-bound key; wrap then unwrap cannot launder a key out of its
//! principals, usage limit, validity window or state; `C_InitToken` waits for every login
//! session to end and sends the keys through the destruction window; and replaying a creation
//! whose object was destroyed answers as for a gone object.
//!
//! Alice is the quick-start client (`CN=kms-client`), Bob its admin certificate logged in as a
//! plain user (`CN=kms-admin`): both are admitted to the token.

mod common;

use common::attacker::{flag, id, mech, ok, refused};
use common::*;
use kms_daemon::ck::*;
use serde_json::{json, Value};

fn path(rest: &str) -> String {
    format!("/v1/tokens/{TOKEN}/{rest}")
}

fn logged_in(mut c: Client) -> Client {
    assert_eq!(c.login(USER_PIN).status, 200);
    c
}

/// A token AES-256 key of `c` with the attributes of `t` too; its id.
fn generate(c: &Client, mut t: Vec<Value>) -> String {
    t.extend([a_ulong(CKA_VALUE_LEN, 32), a_bool(CKA_TOKEN, true)]);
    let r = c.call(
        "POST",
        &path("keys/generate"),
        Some(json!({"mechanism": mech(CKM_AES_KEY_GEN), "template": t})),
    );
    id(&ok(&r))
}

/// A token AES-256 key that encrypts and decrypts, `extra` added; its id.
fn aes(c: &Client, extra: Vec<Value>) -> String {
    let mut t = vec![flag(CKA_ENCRYPT, true), flag(CKA_DECRYPT, true)];
    t.extend(extra);
    generate(c, t)
}

/// A token transport key of `c`: AES-256, WRAP and UNWRAP only.
fn transport(c: &Client) -> String {
    generate(
        c,
        vec![
            flag(CKA_WRAP, true),
            flag(CKA_UNWRAP, true),
            flag(CKA_ENCRYPT, false),
            flag(CKA_DECRYPT, false),
        ],
    )
}

/// Asserts that a wrap was refused by the export rule: `code`, and `why` in the message.
fn not_exported(r: &Response, code: &str, why: &str) {
    refused(r, 403, code, why);
    let message = r.json()["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains(why), "{why}: {message}");
}

fn wrap(c: &Client, wrapping: &str, key: &str) -> Response {
    c.call(
        "POST",
        &path("keys/wrap"),
        Some(
            json!({"mechanism": mech(CKM_AES_KEY_WRAP_KWP), "wrapping_key": wrapping,
                    "key": key}),
        ),
    )
}

fn set(c: &Client, key: &str, template: Vec<Value>) -> Response {
    c.call(
        "POST",
        &path(&format!("objects/{key}/attributes")),
        Some(json!({ "template": template })),
    )
}

fn admin(d: &Kmsd, args: &[&str]) {
    let (ok, out) = d.admin(args);
    assert!(ok, "kmsd {args:?}: {out}");
}

#[test]
fn only_a_principal_changes_copies_wraps_or_destroys_a_bound_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let alice = logged_in(d.client());
    let bob = logged_in(d.admin_client());
    let key = aes(&alice, vec![flag(CKA_EXTRACTABLE, true)]);
    admin(
        &d,
        &[
            "key",
            "set-policy",
            "--id",
            &key,
            "--principal",
            "CN=kms-client",
        ],
    );
    let bobs_kek = transport(&bob);

    let r = set(&bob, &key, vec![a_bytes(CKA_LABEL, b"bob's now")]);
    refused(&r, 403, "action_prohibited", "relabel");
    let r = set(
        &bob,
        &key,
        vec![json!({"t": CKA_END_DATE, "v": {"date": "20000101"}})],
    );
    refused(&r, 403, "action_prohibited", "an end date in the past");
    let r = bob.call(
        "POST",
        &path(&format!("objects/{key}/copy")),
        Some(json!({"template": []})),
    );
    refused(&r, 403, "action_prohibited", "copy");
    not_exported(
        &wrap(&bob, &bobs_kek, &key),
        "key_unextractable",
        "principals",
    );
    let r = bob.call("DELETE", &path(&format!("objects/{key}")), None);
    refused(&r, 403, "action_prohibited", "destroy");

    // Alice's key is as it was, and hers to change.
    assert_eq!(gcm(&alice, &key, "encrypt", b"still mine").status, 200);
    assert_eq!(
        set(&alice, &key, vec![a_bytes(CKA_LABEL, b"mine")]).status,
        200
    );
    let (_, audit) = d.admin(&[
        "audit",
        "export",
        "--key",
        &key,
        "--principal",
        "CN=kms-admin",
    ]);
    assert_eq!(
        audit.matches("action_prohibited").count(),
        4,
        "each refusal audited: {audit}"
    );
    d.stop();
}

#[test]
fn wrap_then_unwrap_cannot_launder_a_key_out_of_its_policy() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let alice = logged_in(d.client());
    let kek = transport(&alice);
    let extractable = || aes(&alice, vec![flag(CKA_EXTRACTABLE, true)]);

    // Each policy the wrapped copy would lose, and a state that protects no new data: the
    // administrator's command that gives it, the code and the reason of the refusal.
    let cases: [(&[&str], &str, &str); 4] = [
        // Not even the principal may wrap: the copy would be anyone's.
        (
            &["set-policy", "--principal", "CN=kms-client"],
            "key_unextractable",
            "principals",
        ),
        // A copy would bring a fresh count.
        (
            &["set-policy", "--max-uses", "1"],
            "key_unextractable",
            "usage limit",
        ),
        // The copy would have no window.
        (
            &["set-policy", "--not-after", "2099-01-01"],
            "key_unextractable",
            "validity window",
        ),
        (&["deactivate"], "key_not_active", "only an active key"),
    ];
    for (command, code, why) in cases {
        let key = extractable();
        let mut args = vec!["key", command[0], "--id", &key];
        args.extend_from_slice(&command[1..]);
        admin(&d, &args);
        not_exported(&wrap(&alice, &kek, &key), code, why);
    }

    // The refusal comes at creation where it can: an extractable key with a window.
    let r = alice.call(
        "POST",
        &path("keys/generate"),
        Some(json!({"mechanism": mech(CKM_AES_KEY_GEN), "template": [
            a_ulong(CKA_VALUE_LEN, 32), a_bool(CKA_TOKEN, true), flag(CKA_EXTRACTABLE, true),
            {"t": CKA_END_DATE, "v": {"date": "20991231"}}]})),
    );
    refused(
        &r,
        400,
        "template_inconsistent",
        "extractable with an end date",
    );

    // A plain active extractable key still travels, and arrives.
    let plain = extractable();
    let blob = ok(&wrap(&alice, &kek, &plain))["data"].clone();
    let r = alice.call(
        "POST",
        &path("keys/unwrap"),
        Some(
            json!({"mechanism": mech(CKM_AES_KEY_WRAP_KWP), "unwrapping_key": kek,
                    "wrapped": blob, "template": [a_ulong(CKA_CLASS, CKO_SECRET_KEY),
                    a_ulong(CKA_KEY_TYPE, CKK_AES), a_bool(CKA_TOKEN, true), flag(CKA_ENCRYPT, true)]}),
        ),
    );
    ok(&r);
    d.stop();
}

#[test]
fn init_token_waits_for_every_session_and_keys_go_through_the_destruction_window() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let mut alice = logged_in(d.client());
    let key = aes(&alice, vec![]);
    let so = d.admin_client();
    let init = |so: &Client| {
        so.call(
            "POST",
            &path("init-token"),
            Some(json!({"so_pin": b64(SO_PIN.as_bytes())})),
        )
    };
    refused(&init(&so), 409, "session_exists", "alice is logged in");
    assert_eq!(gcm(&alice, &key, "encrypt", b"undisturbed").status, 200);

    let r = alice.call("POST", &path("logout"), None);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    alice.bearer = None;
    ok(&init(&so));
    // The key is scheduled, not gone: the administrator can bring it back.
    let (shown, text) = d.admin(&["key", "show", "--id", &key]);
    assert!(shown && text.contains("destroy"), "{text}");
    admin(&d, &["key", "cancel-destroy", "--id", &key]);
    // The SO sets a user PIN again; Alice finds her key.
    let mut so = d.admin_client();
    assert_eq!(so.login_as("so", SO_PIN).status, 200);
    let r = so.call(
        "POST",
        &path("init-pin"),
        Some(json!({"pin": b64(USER_PIN.as_bytes())})),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let alice = logged_in(d.client());
    assert_eq!(gcm(&alice, &key, "encrypt", b"back").status, 200);
    assert_audit_verifies(dir.path());
    d.stop();
}

#[test]
fn replaying_the_creation_of_a_destroyed_object_answers_as_for_a_gone_object() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let alice = logged_in(d.client());
    let body = serde_json::to_vec(&json!({"mechanism": mech(CKM_AES_KEY_GEN),
        "template": [a_ulong(CKA_VALUE_LEN, 32), a_bool(CKA_TOKEN, true)]}))
    .unwrap();
    let create = || {
        alice
            .connect()
            .unwrap()
            .send_with_headers(
                "POST",
                &path("keys/generate"),
                &body,
                false,
                &[("Idempotency-Key", "fedcba9876543210fedcba9876543210")],
            )
            .unwrap()
    };
    let key = id(&ok(&create()));
    assert_eq!(id(&ok(&create())), key, "a replay before destruction");
    let r = alice.call("DELETE", &path(&format!("objects/{key}")), None);
    assert_eq!(r.status, 200);
    refused(
        &create(),
        404,
        "object_not_found",
        "a replay after destruction",
    );
    d.stop();
}
