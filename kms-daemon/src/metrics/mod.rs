//! kmsd's metrics: the families it counts as it works. They are rendered, with the gauges
//! computed at scrape time, by `health::metrics`; the audit writer counts operations
//! (`audit::metrics`).
//!
//! The families are process-wide statics (like the default registry of the Prometheus client
//! libraries): the store, the audit writer and the request middleware record into them without
//! threading a handle through every call.
//!
//! Label values are bounded, never user input and never secret: routes are the router's
//! templates (`/v1/tokens/{token}/login`), not raw paths; tokens are labels found in the token
//! table (anything else is `unknown`); mechanisms are names kmsd knows (anything else is
//! `other`); results are stable error codes; methods are the HTTP methods kmsd serves.

pub mod registry;

use registry::{Counter, Histogram, LATENCY_BUCKETS};
use std::time::Instant;

/// `kmsd_http_requests_total{route,method,status}`.
pub static HTTP_REQUESTS: Counter = Counter::new(
    "kmsd_http_requests_total",
    "HTTPS API requests served, by route template, method and status code.",
    &["route", "method", "status"],
);

/// `kmsd_request_duration_seconds{route}`.
pub static REQUEST_DURATION: Histogram = Histogram::new(
    "kmsd_request_duration_seconds",
    "Time from the request's arrival to its response, by route template.",
    &["route"],
    LATENCY_BUCKETS,
);

/// `kmsd_operations_total{op,mechanism,result,token}`.
pub static OPERATIONS: Counter = Counter::new(
    "kmsd_operations_total",
    "Audited operations (login, key.sign, object.create ...), by mechanism, result (ok or the \
     stable error code) and token; one per audit record written (a key pair: one per key).",
    &["op", "mechanism", "result", "token"],
);

/// `kmsd_login_failures_total{token,result}`.
pub static LOGIN_FAILURES: Counter = Counter::new(
    "kmsd_login_failures_total",
    "Refused logins, by token and stable error code (pin_incorrect, pin_locked ...).",
    &["token", "result"],
);

/// `kmsd_pin_lockouts_total{token,user_type}`.
pub static PIN_LOCKOUTS: Counter = Counter::new(
    "kmsd_pin_lockouts_total",
    "PINs that became locked: the wrong PIN that reached auth.max_pin_failures.",
    &["token", "user_type"],
);

/// `kmsd_limit_refusals_total{limit}`.
pub static LIMIT_REFUSALS: Counter = Counter::new(
    "kmsd_limit_refusals_total",
    "Requests refused by a per-identity limit: inflight (max_inflight_per_identity, HTTP 429 \
     too_many_requests), sessions (max_sessions_per_identity, HTTP 429 session_limit), \
     session_objects (max_session_objects_per_identity, HTTP 429 object_limit) or unknown_token (unknown_token_logins_per_minute, HTTP 429 too_many_requests).",
    &["limit"],
);

/// `kmsd_tls_handshake_failures_total`.
pub static TLS_HANDSHAKE_FAILURES: Counter = Counter::new(
    "kmsd_tls_handshake_failures_total",
    "TLS handshakes that failed or timed out (no or untrusted client certificate ...).",
    &[],
);

/// `kmsd_store_retries_total`.
pub static STORE_RETRIES: Counter = Counter::new(
    "kmsd_store_retries_total",
    "Store transactions run again because PostgreSQL rolled them back for a conflict with \
     another (serialization failure or deadlock).",
    &[],
);

/// `kmsd_store_transaction_duration_seconds`.
pub static STORE_TX_DURATION: Histogram = Histogram::new(
    "kmsd_store_transaction_duration_seconds",
    "Time of one store write, from the wait for the writer to the commit of its batch.",
    &[],
    LATENCY_BUCKETS,
);

/// `kmsd_audit_write_duration_seconds`.
pub static AUDIT_WRITE_DURATION: Histogram = Histogram::new(
    "kmsd_audit_write_duration_seconds",
    "Time to append one audit record (read the chain head, hash, insert).",
    &[],
    LATENCY_BUCKETS,
);

/// `kmsd_audit_chain_broken`: set by the chain watch of `kmsd serve` (`audit::ChainWatch`).
pub static AUDIT_CHAIN_BROKEN: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Seconds elapsed since `start`, for a histogram.
pub fn seconds_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}
