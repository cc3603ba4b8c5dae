//! Limits per client identity (`[limits]`) on a real kmsd: beyond `max_sessions_per_identity`
//! a login gets 429 `session_limit` (whatever the PIN, and without counting a PIN failure);
//! beyond `max_inflight_per_identity` a request gets 429 `too_many_requests` with `Retry-After`
//! at once. Another identity is served meanwhile, the refusals are counted in `/metrics`, and
//! once the burst is over the identity is served again. Beyond `max_connections`, a new
//! connection waits until one ends.

mod common;

use common::*;
use kms_daemon::config::{Config, LimitsConfig};
use serde_json::json;
use std::path::Path;

/// Quick start on `dir`, then again with `limits` in its `kmsd.toml`.
fn start_with(dir: &Path, limits: LimitsConfig) -> Kmsd {
    Kmsd::start_in(dir).stop();
    let path = dir.join("kmsd.toml");
    let mut cfg = Config::load(&path).unwrap();
    cfg.limits = limits;
    std::fs::write(&path, cfg.to_toml().unwrap()).unwrap();
    Kmsd::start_in(dir)
}

fn login_path() -> String {
    format!("/v1/tokens/{TOKEN}/login")
}

#[test]
fn logins_beyond_the_session_limit_are_refused_until_one_ends() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = start_with(
        dir.path(),
        LimitsConfig {
            max_sessions_per_identity: 3,
            ..LimitsConfig::default()
        },
    );
    let mut sessions = Vec::new();
    for _ in 0..3 {
        let mut c = d.client();
        assert_eq!(c.login(USER_PIN).status, 200);
        sessions.push(c);
    }
    for pin in [USER_PIN, "000000"] {
        let r = d
            .client()
            .call("POST", &login_path(), Some(login_body(pin)));
        assert_eq!((r.status, r.code().as_str()), (429, "session_limit"));
    }
    // The refusals looked at no PIN: the wrong one was not counted.
    let tokens = d.client().call("GET", "/v1/tokens", None).json();
    assert_eq!(tokens["tokens"][0]["user_pin_count_low"], json!(false));
    // Another identity (the admin certificate) still logs in.
    let r = d
        .admin_client()
        .call("POST", &login_path(), Some(login_body(USER_PIN)));
    assert_eq!(r.status, 200);
    assert_eq!(
        d.metric("kmsd_limit_refusals_total{limit=\"sessions\"}"),
        2.0
    );
    assert_eq!(
        d.metric("kmsd_login_failures_total{token=\"kms-default\",result=\"session_limit\"}"),
        2.0
    );
    // A logout makes room again.
    let one = sessions.pop().unwrap();
    assert_eq!(
        one.call("POST", &format!("/v1/tokens/{TOKEN}/logout"), None)
            .status,
        200
    );
    assert_eq!(d.client().login(USER_PIN).status, 200);
    d.stop();
}

/// A login that waits inside kmsd while the store is held (`kms_testkit::hold_store`):
/// admitted, in flight until the store is let go. (A request counts in flight only once its
/// body has arrived, so a body still on its way holds nothing.)
fn held_request(d: &Kmsd) -> std::thread::JoinHandle<Response> {
    let mut c = d.client();
    std::thread::spawn(move || c.login(USER_PIN))
}

/// Waits (at most a minute) until `n` requests are in flight in `d`.
fn wait_in_flight(d: &Kmsd, n: u32) {
    let mut waited = 0;
    while d.metric("kmsd_requests_in_flight") < f64::from(n) {
        waited += 1;
        assert!(waited < 6000, "the held requests were never admitted");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

fn finish(held: std::thread::JoinHandle<Response>) -> Response {
    held.join().unwrap()
}

fn random(c: &Client) -> Response {
    c.call("POST", "/v1/random", Some(json!({"len": 8})))
}

#[test]
fn requests_beyond_the_inflight_limit_get_429_at_once_and_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = start_with(
        dir.path(),
        LimitsConfig {
            max_inflight_per_identity: 2,
            ..LimitsConfig::default()
        },
    );
    let client = d.client();
    let lock = kms_testkit::hold_store(dir.path(), TOKEN);
    let held = [held_request(&d), held_request(&d)];
    // Both are admitted once kmsd has read them, and wait for the store.
    wait_in_flight(&d, 2);
    for _ in 0..3 {
        let r = random(&client);
        assert_eq!((r.status, r.code().as_str()), (429, "too_many_requests"));
        assert_eq!(r.header("retry-after"), Some("1"));
        assert!(r.json()["request_id"].is_string());
    }
    // Another identity is not affected.
    assert_eq!(random(&d.admin_client()).status, 200);
    assert_eq!(
        d.metric("kmsd_limit_refusals_total{limit=\"inflight\"}"),
        3.0
    );
    // The held requests complete normally, and the identity is served again.
    drop(lock);
    for conn in held {
        assert_eq!(finish(conn).status, 200);
    }
    assert_eq!(random(&client).status, 200);

    // A burst of 16 threads: every answer is 200 or 429 too_many_requests (never a 5xx), and
    // the identity is served after it.
    let answers: Vec<(u16, String)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..16)
            .map(|_| {
                let c = d.client();
                s.spawn(move || {
                    (0..20)
                        .map(|_| {
                            let r = random(&c);
                            let code = if r.status == 200 {
                                String::new()
                            } else {
                                r.code()
                            };
                            (r.status, code)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    for (status, code) in &answers {
        assert!(
            *status == 200 || (*status == 429 && code == "too_many_requests"),
            "{status} {code}"
        );
    }
    let refused = answers.iter().filter(|(s, _)| *s == 429).count();
    println!(
        "burst: 16 threads × 20 requests with max_inflight_per_identity = 2: {} served, {refused} refused with 429",
        answers.len() - refused
    );
    assert_eq!(d.metric("kmsd_requests_in_flight"), 0.0);
    assert_eq!(random(&client).status, 200);
    d.stop();
}

#[test]
fn connections_beyond_max_connections_wait_until_one_ends() {
    let dir = tempfile::tempdir().unwrap();
    let d = start_with(
        dir.path(),
        LimitsConfig {
            max_connections: 2,
            ..LimitsConfig::default()
        },
    );
    let client = d.client();
    let lock = kms_testkit::hold_store(dir.path(), TOKEN);
    let held = [held_request(&d), held_request(&d)];
    wait_in_flight(&d, 2);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| tx.send(random(&client).status).unwrap());
        // The third connection is not taken while two are open …
        let waited = rx.recv_timeout(std::time::Duration::from_millis(1500));
        assert!(waited.is_err(), "served beyond the cap: {waited:?}");
        // … and is served once one of them ends.
        let [first, second] = held;
        drop(lock);
        assert_eq!(finish(first).status, 200);
        let status = rx.recv_timeout(std::time::Duration::from_secs(20));
        assert_eq!(status, Ok(200));
        assert_eq!(finish(second).status, 200);
    });
}
