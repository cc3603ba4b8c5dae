//! Requests that never finish arriving (issue 20, item 9), against a real kmsd: a client that
//! sends headers and then stalls its body holds no in-flight slot of its identity — another
//! process of that identity is served — and each stalled request is answered 408
//! `request_timeout` once `[limits] request_body_timeout_secs` has passed; headers that never
//! finish end the connection after `request_header_timeout_secs`. Both are configurable.

mod common;

use common::*;
use std::time::{Duration, Instant};

/// A request whose headers announce 100 bytes of body, of which it sends 8.
const STALLED: &[u8] = b"POST /v1/tokens/kms-default/objects/find HTTP/1.1\r\nHost: 127.0.0.1\r\n\
Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"templa";

#[test]
fn stalled_bodies_hold_no_in_flight_slot_and_time_out() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    d.set_option("max_inflight_per_identity", "4");
    let c = d.client();
    let mut stalled: Vec<Conn> = (0..8)
        .map(|_| {
            let mut conn = c.connect().unwrap();
            conn.write_raw(STALLED).unwrap();
            conn
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // Twice the in-flight cap is stalled; the same identity is still served.
    let r = c.call("GET", "/v1/tokens", None);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    let start = Instant::now();
    for conn in &mut stalled {
        let r = conn
            .read_response()
            .expect("an answer to the stalled request");
        assert_eq!((r.status, r.code().as_str()), (408, "request_timeout"));
    }
    let waited = start.elapsed();
    assert!(
        waited < Duration::from_secs(20),
        "{waited:?} (default 10 s)"
    );
    assert_eq!(d.client().call("GET", "/v1/tokens", None).status, 200);
    d.stop();
}

#[test]
fn header_and_body_timeouts_are_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = Kmsd::start_in(dir.path());
    d.set_option("request_body_timeout_secs", "1");
    d.set_option("request_header_timeout_secs", "2");
    let c = d.client();

    let start = Instant::now();
    let mut conn = c.connect().unwrap();
    conn.write_raw(STALLED).unwrap();
    let r = conn.read_response().unwrap();
    assert_eq!((r.status, r.code().as_str()), (408, "request_timeout"));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );

    let start = Instant::now();
    let mut conn = c.connect().unwrap();
    conn.write_raw(b"GET /v1/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    // Closed, with a 408 or without an answer.
    if let Ok(r) = conn.read_response() {
        assert_eq!(r.status, 408, "{}", String::from_utf8_lossy(&r.body));
    }
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(8),
        "closed after {waited:?}"
    );
    d.stop();
}
