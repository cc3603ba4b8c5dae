//! The operations listener of a real kmsd: `/healthz`, `/readyz`, and `/metrics` scraped after a
//! known workload, whose counters must match it exactly.

mod common;

use common::*;
use kms_daemon::ck::*;
use serde_json::json;

#[test]
fn health_endpoints_answer_on_the_plain_listener() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    assert!(!d.metrics_addr.is_empty(), "{:?}", d.stdout_lines);
    assert_ne!(d.metrics_addr, d.addr);
    assert_eq!(d.ops_get("/healthz"), (200, "ok\n".to_owned()));
    assert_eq!(
        d.ops_get("/readyz"),
        (200, "master_key: ok\nstore: ok\naudit: ok\n".to_owned())
    );
    assert_eq!(d.ops_get("/nope").0, 404);
    d.stop();
}

#[test]
fn the_request_id_is_kmsd_s_own() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let c = d.client();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = c
            .connect()
            .unwrap()
            .send_with_headers(
                "GET",
                "/v1/tokens",
                b"",
                false,
                &[("x-request-id", "chosen-by-the-client")],
            )
            .unwrap();
        assert_eq!(r.status, 200);
        let id = r.header("x-request-id").unwrap().to_owned();
        assert_ne!(id, "chosen-by-the-client");
        assert_eq!(id.len(), 16, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1], "one id per request");
    d.stop();
}

#[test]
fn counters_follow_a_known_workload() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    let mut c = d.client();

    // Logins: one wrong PIN, one for a token that does not exist, then the right PIN.
    assert_eq!(c.login("000000").status, 401);
    let r = c.call(
        "POST",
        "/v1/tokens/made-up-token/login",
        Some(login_body(USER_PIN)),
    );
    assert_eq!(r.code(), "token_not_found");
    assert_eq!(c.login(USER_PIN).status, 200);

    // One key pair, two signatures, one refused mechanism.
    let id = generate_signing_pair(&c);
    let sign = format!("/v1/tokens/{TOKEN}/objects/{id}/sign");
    for _ in 0..2 {
        let r = c.call(
            "POST",
            &sign,
            Some(json!({"mechanism": {"mechanism": CKM_ECDSA}, "data": b64(&[7u8; 32])})),
        );
        assert_eq!(r.status, 200);
    }
    let r = c.call(
        "POST",
        &sign,
        Some(json!({"mechanism": {"mechanism": 0x8000_1234u64}, "data": b64(&[7u8; 32])})),
    );
    assert_eq!(r.code(), "mechanism_invalid");

    // Ten wrong SO PINs lock the SO PIN (auth.max_pin_failures = 10): one lockout.
    let mut admin = d.admin_client();
    for _ in 0..10 {
        admin.login_as("so", "00000000");
    }
    assert_eq!(admin.login_as("so", SO_PIN).code(), "pin_locked");

    let (status, text) = d.ops_get("/metrics");
    assert_eq!(status, 200);
    let m = |series: &str| metric_value(&text, series);
    let t = TOKEN;
    assert_eq!(
        m(&format!(
            "kmsd_operations_total{{op=\"key.sign\",mechanism=\"CKM_ECDSA\",result=\"ok\",token=\"{t}\"}}"
        )),
        2.0,
        "{text}"
    );
    assert_eq!(
        m(&format!(
            "kmsd_operations_total{{op=\"key.sign\",mechanism=\"other\",result=\"mechanism_invalid\",token=\"{t}\"}}"
        )),
        1.0
    );
    // One audit record, so one count, per object created: a pair counts twice.
    assert_eq!(
        m(&format!(
            "kmsd_operations_total{{op=\"key.generate_pair\",mechanism=\"CKM_EC_KEY_PAIR_GEN\",result=\"ok\",token=\"{t}\"}}"
        )),
        2.0
    );
    assert_eq!(
        m(&format!(
            "kmsd_operations_total{{op=\"login\",mechanism=\"none\",result=\"ok\",token=\"{t}\"}}"
        )),
        1.0
    );
    // The user's wrong PIN and nine wrong SO PINs are pin_incorrect; the tenth locks the PIN
    // (pin_locked), and so is the right SO PIN after it.
    assert_eq!(
        m(&format!(
            "kmsd_login_failures_total{{token=\"{t}\",result=\"pin_incorrect\"}}"
        )),
        10.0
    );
    assert_eq!(
        m(&format!(
            "kmsd_login_failures_total{{token=\"{t}\",result=\"pin_locked\"}}"
        )),
        2.0
    );
    // A token name a client made up is not a label value.
    assert_eq!(
        m("kmsd_login_failures_total{token=\"unknown\",result=\"token_not_found\"}"),
        1.0
    );
    assert!(!text.contains("made-up-token"), "{text}");
    assert_eq!(
        m(&format!(
            "kmsd_pin_lockouts_total{{token=\"{t}\",user_type=\"so\"}}"
        )),
        1.0
    );
    // Requests by route template (never the raw path with its object id).
    let sign_route = "/v1/tokens/{token}/objects/{id}/sign";
    assert_eq!(
        m(&format!(
            "kmsd_http_requests_total{{route=\"{sign_route}\",method=\"POST\",status=\"200\"}}"
        )),
        2.0
    );
    assert_eq!(
        m(&format!(
            "kmsd_http_requests_total{{route=\"{sign_route}\",method=\"POST\",status=\"400\"}}"
        )),
        1.0
    );
    assert!(!text.contains(&id), "object ids are not label values");
    assert_eq!(
        m(&format!(
            "kmsd_request_duration_seconds_count{{route=\"{sign_route}\"}}"
        )),
        3.0
    );
    assert_eq!(
        m(&format!(
            "kmsd_request_duration_seconds_bucket{{route=\"{sign_route}\",le=\"+Inf\"}}"
        )),
        3.0
    );
    // Objects by class, counted from the store at scrape time.
    for class in ["private_key", "public_key"] {
        assert_eq!(
            m(&format!(
                "kmsd_objects{{token=\"{t}\",class=\"{class}\",key_type=\"ec\",lifetime=\"token\",state=\"active\"}}"
            )),
            1.0,
            "{text}"
        );
    }
    assert!(m("kmsd_store_transaction_duration_seconds_count") >= 4.0);
    assert!(m("kmsd_audit_write_duration_seconds_count") >= 16.0);
    assert_eq!(m("kmsd_store_up"), 1.0);
    assert_eq!(
        m(&format!(
            "kmsd_build_info{{version=\"{}\"}}",
            env!("CARGO_PKG_VERSION")
        )),
        1.0
    );
    for family in [
        "# TYPE kmsd_operations_total counter",
        "# TYPE kmsd_request_duration_seconds histogram",
        "# TYPE kmsd_objects gauge",
    ] {
        assert!(text.contains(family), "{family}");
    }
    d.stop();
}
