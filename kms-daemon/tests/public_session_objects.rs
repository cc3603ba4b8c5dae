//! Public session objects without a login (issue 22; README "Security rules", row AC14 of the
//! refused attacks), as raw HTTPS requests that bypass the module: a public session object
//! belongs to its creator's identity (and instance) only; private objects, public token objects
//! and key use need a login; an unadmitted identity reaches nothing. The module's twin is
//! `softhsm-tests/tests/public_session_objects.rs`.

mod common;

use common::attacker::{id, ok, refused};
use common::*;
use kms_daemon::ck::*;
use kms_testkit::pki::{issue_client_cert, CertSpec};
use serde_json::{json, Value};

fn path(rest: &str) -> String {
    format!("/v1/tokens/{TOKEN}/{rest}")
}

fn data(token: bool, private: bool, label: &str) -> Value {
    json!({"template": [a_ulong(CKA_CLASS, CKO_DATA), a_bool(CKA_TOKEN, token),
                        a_bool(CKA_PRIVATE, private), a_bytes(CKA_LABEL, label.as_bytes())]})
}

fn found(c: &Client, label: &str) -> usize {
    let r = c.call(
        "POST",
        &path("objects/find"),
        Some(json!({"template": [a_bytes(CKA_LABEL, label.as_bytes())]})),
    );
    ok(&r)["objects"].as_array().unwrap().len()
}

#[test]
fn public_session_objects_belong_to_their_identity_and_need_no_login() {
    let d = Kmsd::start();
    issue_client_cert(d.dir(), "outsider", &CertSpec::cn("outsider"));
    let mut alice = d.client();
    alice.instance = Some("instance-1".into());
    let create = |c: &Client, body: Value| c.call("POST", &path("objects"), Some(body));

    // Without a login: a public session object, not a private one nor a token object.
    let obj = id(&ok(&create(&alice, data(false, false, "mine"))));
    let r = create(&alice, data(false, true, "private"));
    refused(&r, 401, "user_not_logged_in", "a private session object");
    let r = create(&alice, data(true, false, "token"));
    refused(&r, 401, "user_not_logged_in", "a public token object");
    let secret = alice.call(
        "POST",
        &path("keys/generate"),
        Some(
            json!({"mechanism": {"mechanism": CKM_GENERIC_SECRET_KEY_GEN},
                    "template": [a_ulong(CKA_VALUE_LEN, 32), a_bool(CKA_TOKEN, false),
                                 a_bool(CKA_PRIVATE, false), a_bool(CKA_SIGN, true)]}),
        ),
    );
    let secret = id(&ok(&secret));
    let r = alice.call(
        "POST",
        &path(&format!("objects/{secret}/sign")),
        Some(json!({"mechanism": {"mechanism": CKM_SHA256_HMAC}, "data": "AAAA"})),
    );
    refused(&r, 401, "user_not_logged_in", "a key use without a login");
    assert_eq!(found(&alice, "mine"), 1);

    // Another identity, with the same instance header and logged in, sees none of it.
    let mut bob = d.admin_client();
    bob.instance = Some("instance-1".into());
    assert_eq!(bob.login(USER_PIN).status, 200);
    assert_eq!(found(&bob, "mine"), 0);
    let r = bob.call("GET", &path(&format!("objects/{obj}")), None);
    refused(
        &r,
        404,
        "object_not_found",
        "another identity's session object",
    );
    let r = bob.call("DELETE", &path(&format!("objects/{obj}")), None);
    refused(&r, 404, "object_not_found", "destroying it");
    // Nor does the same identity through another instance.
    let mut elsewhere = d.client();
    elsewhere.instance = Some("instance-2".into());
    assert_eq!(found(&elsewhere, "mine"), 0);

    // Not admitted: no token at all.
    let mut outsider = d.client_as("outsider");
    outsider.instance = Some("instance-1".into());
    let r = create(&outsider, data(false, false, "outside"));
    refused(&r, 404, "token_not_found", "an unadmitted identity");

    // Destroyed by its owner without a login.
    let r = alice.call("DELETE", &path(&format!("objects/{obj}")), None);
    ok(&r);
    assert_eq!(found(&alice, "mine"), 0);
}
