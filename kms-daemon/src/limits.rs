//! Caps per client identity (`[limits]`, security R19): requests in flight, counted here and
//! enforced by the API middleware before any work; live login sessions, checked at login
//! (`auth::session`); session objects, checked in the transaction that makes one
//! (`keys::new_object`); and logins or PIN changes aimed at a token the identity cannot see (no
//! such token, or one that does not admit it), a token bucket per identity
//! ([`Limits::refused_token_attempt`]). A refusal is counted in
//! `kmsd_limit_refusals_total{limit}`; identities never become metric labels.

use crate::config::LimitsConfig;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Requests in flight, by identity; an identity leaves the map when its last request ends, so
/// the map holds only identities with work under way.
#[derive(Debug, Default)]
pub struct Inflight {
    counts: Mutex<HashMap<String, u32>>,
    total: AtomicU64,
}

/// The limits of a running kmsd: the configuration and the in-flight counts.
#[derive(Debug, Default)]
pub struct Limits {
    /// `[limits]`.
    pub config: LimitsConfig,
    /// Requests in flight now.
    pub inflight: Arc<Inflight>,
    /// Attempts on tokens the identity cannot see: (attempts left, when last counted).
    unknown_tokens: Mutex<HashMap<String, (f64, Instant)>>,
}

/// Identities kept in the unknown-token buckets before the full ones are forgotten.
const BUCKETS_MAX: usize = 4096;

impl Limits {
    /// Limits as configured, nothing in flight.
    pub fn new(config: LimitsConfig) -> Limits {
        Limits {
            config,
            inflight: Arc::default(),
            unknown_tokens: Mutex::default(),
        }
    }

    /// Counts one login or PIN change of `identity` aimed at a token it cannot see; `false`
    /// (counted as a refusal) once it made more than `unknown_token_logins_per_minute` of them
    /// in the last minute — a token bucket of that size, refilled at that rate.
    pub fn refused_token_attempt(&self, identity: &str) -> bool {
        let per_minute = f64::from(self.config.unknown_token_logins_per_minute);
        let now = Instant::now();
        let mut buckets = self.unknown_tokens.lock();
        if buckets.len() >= BUCKETS_MAX {
            buckets.retain(|_, (left, at)| {
                *left + now.duration_since(*at).as_secs_f64() * per_minute / 60.0 < per_minute
            });
        }
        let (left, at) = buckets
            .entry(identity.to_owned())
            .or_insert((per_minute, now));
        *left = (*left + now.duration_since(*at).as_secs_f64() * per_minute / 60.0).min(per_minute);
        *at = now;
        if *left >= 1.0 {
            *left -= 1.0;
            true
        } else {
            drop(buckets);
            refused(Limit::UnknownToken);
            false
        }
    }

    /// A permit for one more request of `identity`, or `None` (counted as a refusal) when it
    /// already has `max_inflight_per_identity` in flight. The request counts until the permit
    /// is dropped.
    pub fn admit(&self, identity: &str) -> Option<Permit> {
        let max = self.config.max_inflight_per_identity;
        let mut counts = self.inflight.counts.lock();
        let n = counts.entry(identity.to_owned()).or_insert(0);
        if *n >= max {
            if *n == 0 {
                counts.remove(identity);
            }
            drop(counts);
            refused(Limit::Inflight);
            return None;
        }
        *n += 1;
        self.inflight.total.fetch_add(1, Ordering::Relaxed);
        Some(Permit {
            inflight: self.inflight.clone(),
            identity: identity.to_owned(),
        })
    }

    /// Whether `live` login sessions leave room for one more; if not, the refusal is counted.
    pub fn session_room(&self, live: u64) -> bool {
        let room = live < u64::from(self.config.max_sessions_per_identity);
        if !room {
            refused(Limit::Sessions);
        }
        room
    }

    /// Whether `held` session objects leave room for `more`; if not, the refusal is counted.
    pub fn session_object_room(&self, held: u64, more: u64) -> bool {
        let max = u64::from(self.config.max_session_objects_per_identity);
        let room = held.saturating_add(more) <= max;
        if !room {
            refused(Limit::SessionObjects);
        }
        room
    }
}

impl Inflight {
    /// Requests in flight now, all identities together (the `kmsd_requests_in_flight` gauge).
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}

/// One admitted request; dropping it ends the request's count.
#[derive(Debug)]
pub struct Permit {
    inflight: Arc<Inflight>,
    identity: String,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self.inflight.counts.lock();
        if let Some(n) = counts.get_mut(&self.identity) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.identity);
            }
        }
        self.inflight.total.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Which limit refused a request (the `limit` label).
#[derive(Debug, Clone, Copy)]
enum Limit {
    Inflight,
    Sessions,
    SessionObjects,
    UnknownToken,
}

fn refused(limit: Limit) {
    let label = match limit {
        Limit::Inflight => "inflight",
        Limit::Sessions => "sessions",
        Limit::SessionObjects => "session_objects",
        Limit::UnknownToken => "unknown_token",
    };
    crate::metrics::LIMIT_REFUSALS.inc(&[label]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(inflight: u32, sessions: u32) -> Limits {
        Limits::new(LimitsConfig {
            max_inflight_per_identity: inflight,
            max_sessions_per_identity: sessions,
            ..LimitsConfig::default()
        })
    }

    #[test]
    fn inflight_is_per_identity_and_released_on_drop() {
        let l = limits(2, 1);
        let a1 = l.admit("CN=a").unwrap();
        let a2 = l.admit("CN=a").unwrap();
        assert!(l.admit("CN=a").is_none(), "a third request of CN=a");
        let b = l.admit("CN=b").expect("another identity is not affected");
        assert_eq!(l.inflight.total(), 3);
        drop(a1);
        let a3 = l.admit("CN=a").expect("served again once one ended");
        drop((a2, a3, b));
        assert_eq!(l.inflight.total(), 0);
        assert!(
            l.inflight.counts.lock().is_empty(),
            "no identity left behind"
        );
    }

    #[test]
    fn zero_inflight_refuses_without_keeping_an_entry() {
        let l = limits(0, 1);
        assert!(l.admit("CN=a").is_none());
        assert!(l.inflight.counts.lock().is_empty());
    }

    #[test]
    fn attempts_on_unseen_tokens_are_a_bucket_per_identity() {
        let l = Limits::new(LimitsConfig {
            unknown_token_logins_per_minute: 3,
            ..LimitsConfig::default()
        });
        for _ in 0..3 {
            assert!(l.refused_token_attempt("CN=a"));
        }
        assert!(
            !l.refused_token_attempt("CN=a"),
            "the fourth within a minute"
        );
        assert!(
            l.refused_token_attempt("CN=b"),
            "another identity has its own"
        );
    }

    #[test]
    fn session_room() {
        let l = limits(1, 2);
        assert!(l.session_room(0));
        assert!(l.session_room(1));
        assert!(!l.session_room(2));
    }
}
