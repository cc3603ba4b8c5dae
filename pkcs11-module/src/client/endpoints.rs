//! The endpoints of one slot: which kmsd replica a call tries first, and which are resting
//! after a failure.
//!
//! Calls are spread round-robin over the endpoints that are up. An endpoint that fails
//! (connect or TLS error, timeout, a connection cut mid-request, 502/503/504) is marked down
//! with a time before which it is not tried first: 0.5 s after the first failure, doubling up
//! to 30 s. When that time has come it is simply used again (a lazy health check by a real
//! call: no thread, no timer); its first answer marks it up. A call that finds every endpoint
//! resting still tries each, soonest-due first, so the first call after a replica comes back
//! works.
//!
//! The lock guards only this bookkeeping, never a round trip.

use super::http::Endpoint;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Rest after the first failure.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Longest rest.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Health of one endpoint.
#[derive(Debug, Clone, Copy, Default)]
struct Health {
    /// Failures since its last answer.
    failures: u32,
    /// Not tried first before this.
    rest_until: Option<Instant>,
}

struct Member {
    url: String,
    endpoint: Endpoint,
    health: Mutex<Health>,
}

/// A slot's endpoints and their health.
pub(crate) struct Endpoints {
    members: Vec<Member>,
    next: AtomicUsize,
}

impl Endpoints {
    /// Parses `https://host:port` URLs.
    pub(crate) fn parse(urls: &[String]) -> Result<Endpoints, String> {
        let members = urls
            .iter()
            .map(|url| {
                Endpoint::parse(url).map(|endpoint| Member {
                    url: url.trim_end_matches('/').to_string(),
                    endpoint,
                    health: Mutex::new(Health::default()),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Endpoints {
            members,
            next: AtomicUsize::new(0),
        })
    }

    /// The URL of endpoint `i` (for messages).
    pub(crate) fn url(&self, i: usize) -> &str {
        &self.members[i].url
    }

    /// Endpoint `i`.
    pub(crate) fn endpoint(&self, i: usize) -> &Endpoint {
        &self.members[i].endpoint
    }

    /// The order in which one call tries the endpoints: those up (or whose rest is over) in
    /// round-robin order, then those resting, soonest due first.
    pub(crate) fn order(&self) -> Vec<usize> {
        self.order_at(Instant::now())
    }

    fn order_at(&self, now: Instant) -> Vec<usize> {
        let n = self.members.len();
        if n == 0 {
            return Vec::new();
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let mut ready = Vec::with_capacity(n);
        let mut resting = Vec::new();
        for i in (0..n).map(|k| (start + k) % n) {
            match self.members[i].health.lock().rest_until {
                Some(t) if t > now => resting.push((t, i)),
                _ => ready.push(i),
            }
        }
        resting.sort();
        ready.extend(resting.into_iter().map(|(_, i)| i));
        ready
    }

    /// Endpoint `i` answered: it is up.
    pub(crate) fn succeeded(&self, i: usize) {
        *self.members[i].health.lock() = Health::default();
    }

    /// Endpoint `i` failed: it rests, longer after each failure in a row. Returns whether it was
    /// up before (the first failure, worth a log line).
    pub(crate) fn failed(&self, i: usize) -> bool {
        self.failed_at(i, Instant::now())
    }

    fn failed_at(&self, i: usize, now: Instant) -> bool {
        let mut h = self.members[i].health.lock();
        let was_up = h.failures == 0;
        h.failures = h.failures.saturating_add(1);
        let rest = FIRST_BACKOFF
            .saturating_mul(1u32 << (h.failures - 1).min(16))
            .min(MAX_BACKOFF);
        h.rest_until = Some(now + rest);
        was_up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> Endpoints {
        let urls: Vec<String> = (1..=3).map(|p| format!("https://127.0.0.1:{p}")).collect();
        Endpoints::parse(&urls).unwrap()
    }

    #[test]
    fn calls_rotate_over_the_endpoints_that_are_up() {
        let e = three();
        let firsts: Vec<usize> = (0..6).map(|_| e.order()[0]).collect();
        assert_eq!(firsts, [0, 1, 2, 0, 1, 2]);
        assert_eq!(e.order().len(), 3);
    }

    #[test]
    fn a_failed_endpoint_rests_then_is_tried_again_and_recovers() {
        let e = three();
        let now = Instant::now();
        assert!(e.failed_at(1, now));
        assert!(!e.failed_at(1, now), "only the first failure in a row");
        // Resting: never first, but still tried last.
        for _ in 0..6 {
            let order = e.order_at(now);
            assert_eq!(order.len(), 3);
            assert_eq!(order[2], 1);
        }
        // Two failures in a row: 1 s of rest; after it, back in the rotation.
        let later = now + Duration::from_millis(1001);
        let firsts: Vec<usize> = (0..3).map(|_| e.order_at(later)[0]).collect();
        assert!(firsts.contains(&1));
        e.succeeded(1);
        assert!(e.failed_at(1, now), "an answer resets the count");
    }

    #[test]
    fn all_resting_are_all_tried_soonest_first_and_rest_is_bounded() {
        let e = three();
        let now = Instant::now();
        for _ in 0..40 {
            e.failed_at(0, now);
        }
        e.failed_at(2, now);
        e.failed_at(1, now);
        e.failed_at(1, now);
        assert_eq!(e.order_at(now), [2, 1, 0]);
        let soon = now + Duration::from_secs(2);
        assert_eq!(e.order_at(soon)[2], 0, "still resting after 2 s");
        let after = now + MAX_BACKOFF + Duration::from_millis(1);
        assert!((0..3).any(|_| e.order_at(after)[0] == 0), "rest ends");
    }
}
