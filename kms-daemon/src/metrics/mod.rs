//! kmsd's metrics: the families it counts as it works, and [`render`], which adds the gauges
//! computed at scrape time from the store (objects by token, class and key type) and the build
//! info.
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

use crate::ck::*;
use crate::store::db::{params, Db};
use crate::store::Store;
use registry::{Counter, Histogram, LATENCY_BUCKETS};
use std::collections::BTreeSet;
use std::fmt::Write as _;
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
     too_many_requests) or sessions (max_sessions_per_identity, HTTP 429 session_limit).",
    &["limit"],
);

/// `kmsd_tls_handshake_failures_total`.
pub static TLS_HANDSHAKE_FAILURES: Counter = Counter::new(
    "kmsd_tls_handshake_failures_total",
    "TLS handshakes that failed or timed out (no or untrusted client certificate ...).",
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

/// Seconds elapsed since `start`, for a histogram.
pub fn seconds_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// Token labels found in the token table, so that the audit writer asks the store once per
/// token rather than once per record. Bounded: past [`KNOWN_TOKENS_MAX`] labels it asks again.
static KNOWN_TOKENS: parking_lot::RwLock<BTreeSet<String>> =
    parking_lot::RwLock::new(BTreeSet::new());
const KNOWN_TOKENS_MAX: usize = 1024;

/// The token label to use for `token`: itself if the token table has (or had) it, else
/// `unknown`.
pub fn token_label(conn: &Db<'_>, token: Option<&str>) -> String {
    let Some(t) = token else {
        return "none".to_owned();
    };
    if KNOWN_TOKENS.read().contains(t) {
        return t.to_owned();
    }
    match crate::store::tokens::get(conn, t) {
        Ok(Some(_)) => {
            let mut known = KNOWN_TOKENS.write();
            if known.len() < KNOWN_TOKENS_MAX {
                known.insert(t.to_owned());
            }
            t.to_owned()
        }
        _ => "unknown".to_owned(),
    }
}

/// The mechanism label: a name kmsd knows, `none`, or `other` (an unknown number).
pub fn mechanism_label(mechanism: Option<&str>) -> &str {
    match mechanism {
        None => "none",
        Some(m) if m.starts_with("CKM_0x") => "other",
        Some(m) => m,
    }
}

/// Records an audited operation (called by the audit writer, inside the store transaction).
pub fn record_operation(conn: &Db<'_>, e: &crate::audit::Event) {
    let token = token_label(conn, e.token.as_deref());
    let mechanism = mechanism_label(e.mechanism.as_deref());
    OPERATIONS.inc(&[&e.action, mechanism, &e.outcome, &token]);
    if e.action == "login" && e.outcome != "ok" {
        LOGIN_FAILURES.inc(&[&token, &e.outcome]);
    }
}

fn class_name(class: u64) -> &'static str {
    match class {
        CKO_DATA => "data",
        CKO_CERTIFICATE => "certificate",
        CKO_PUBLIC_KEY => "public_key",
        CKO_PRIVATE_KEY => "private_key",
        CKO_SECRET_KEY => "secret_key",
        _ => "other",
    }
}

fn key_type_name(key_type: Option<u64>) -> &'static str {
    match key_type {
        None => "none",
        Some(CKK_RSA) => "rsa",
        Some(CKK_EC) => "ec",
        Some(CKK_AES) => "aes",
        Some(CKK_GENERIC_SECRET) => "generic_secret",
        Some(_) => "other",
    }
}

/// `kmsd_objects{token,class,key_type,lifetime}`: counted from the store at scrape time.
fn render_objects(out: &mut String, store: &Store) -> crate::Result<()> {
    let rows = store.read(|conn| {
        conn.query_all(
            "SELECT token, class, key_type, ephemeral_owner IS NOT NULL, state, count(*) \
             FROM objects GROUP BY token, class, key_type, ephemeral_owner IS NOT NULL, state \
             ORDER BY 1, 2, 3, 4, 5",
            params![],
            |r| {
                Ok((
                    r.get::<String>(0)?,
                    r.get::<i64>(1)?,
                    r.get::<Option<i64>>(2)?,
                    r.get::<bool>(3)?,
                    r.get::<String>(4)?,
                    r.get::<i64>(5)?,
                ))
            },
        )
    })?;
    let name = "kmsd_objects";
    registry::header(
        out,
        name,
        "Objects in the store, by token, class, key type, lifetime (token or session object) and \
         life-cycle state.",
        "gauge",
    );
    let mut totals = std::collections::BTreeMap::<Vec<String>, i64>::new();
    for (token, class, key_type, session, state, n) in rows {
        let state = crate::keys::lifecycle::State::parse(&state)
            .map_or("unknown", |s| s.as_str())
            .to_owned();
        let values = vec![
            token,
            class_name(class as u64).to_owned(),
            key_type_name(key_type.map(|k| k as u64)).to_owned(),
            if session { "session" } else { "token" }.to_owned(),
            state,
        ];
        *totals.entry(values).or_insert(0) += n;
    }
    for (values, n) in totals {
        let labels = registry::label_text(
            &["token", "class", "key_type", "lifetime", "state"],
            &values,
            None,
        );
        let _ = writeln!(out, "{name}{labels} {n}");
    }
    Ok(())
}

/// The whole exposition: counters and histograms, `kmsd_build_info`, `kmsd_sealed`, and the
/// store gauges (omitted, with `kmsd_store_up 0`, when the store cannot be read).
pub fn render(store: &Store, sealed: bool, in_flight: u64) -> String {
    let mut out = String::new();
    registry::header(
        &mut out,
        "kmsd_build_info",
        "Build information; the value is always 1.",
        "gauge",
    );
    let _ = writeln!(
        out,
        "kmsd_build_info{} 1",
        registry::label_text(&["version"], &[env!("CARGO_PKG_VERSION").to_owned()], None)
    );
    registry::header(
        &mut out,
        "kmsd_sealed",
        "1 while kmsd is sealed (the master key not given yet: kmsd unseal), else 0.",
        "gauge",
    );
    let _ = writeln!(out, "kmsd_sealed {}", u8::from(sealed));
    registry::header(
        &mut out,
        "kmsd_requests_in_flight",
        "API requests admitted and not finished yet, all identities together.",
        "gauge",
    );
    let _ = writeln!(out, "kmsd_requests_in_flight {in_flight}");
    HTTP_REQUESTS.render(&mut out);
    REQUEST_DURATION.render(&mut out);
    OPERATIONS.render(&mut out);
    LOGIN_FAILURES.render(&mut out);
    PIN_LOCKOUTS.render(&mut out);
    LIMIT_REFUSALS.render(&mut out);
    TLS_HANDSHAKE_FAILURES.render(&mut out);
    STORE_TX_DURATION.render(&mut out);
    AUDIT_WRITE_DURATION.render(&mut out);
    let mut objects = String::new();
    let up = match render_objects(&mut objects, store) {
        Ok(()) => 1,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the store could not be read");
            0
        }
    };
    registry::header(
        &mut out,
        "kmsd_store_up",
        "1 if the store answered the scrape's queries, else 0.",
        "gauge",
    );
    let _ = writeln!(out, "kmsd_store_up {up}");
    out.push_str(&objects);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded() {
        assert_eq!(mechanism_label(Some("CKM_0x80001234")), "other");
        assert_eq!(mechanism_label(Some("CKM_ECDSA")), "CKM_ECDSA");
        assert_eq!(mechanism_label(None), "none");
        let (_scratch, store) = crate::store::testing::fresh();
        crate::auth::session::create_token(&store, "known", b"123456", b"12345678").unwrap();
        store
            .read(|c| {
                assert_eq!(token_label(c, Some("known")), "known");
                assert_eq!(token_label(c, Some("made-up-by-a-client")), "unknown");
                assert_eq!(token_label(c, None), "none");
                Ok(())
            })
            .unwrap();
        let text = render(&store, false, 3);
        assert!(text.contains("kmsd_requests_in_flight 3\n"), "{text}");
        assert!(text.contains("kmsd_store_up 1\n"), "{text}");
        assert!(text.contains("kmsd_sealed 0\n"), "{text}");
        assert!(render(&store, true, 0).contains("kmsd_sealed 1\n"));
        assert!(text.contains("# TYPE kmsd_objects gauge\n"), "{text}");
        assert!(
            text.contains(&format!(
                "kmsd_build_info{{version=\"{}\"}} 1\n",
                env!("CARGO_PKG_VERSION")
            )),
            "{text}"
        );
    }
}
