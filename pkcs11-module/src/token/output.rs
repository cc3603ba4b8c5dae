//! The variable-length output rule of PKCS#11 v3.0 §5.2 (spec-checklist S7), written once.
//!
//! `pBuf` NULL → report the size and keep the operation; a buffer too small →
//! `CKR_BUFFER_TOO_SMALL` with the size and keep the operation; otherwise the exact length.
//! When the size is known before the work (signatures, encryptions) nothing is computed for a
//! size query. When it is only bounded (decryptions), the result of the round trip is kept so a
//! retry with a bigger buffer returns it without a second use of the key (one audit record,
//! one usage count).

use crate::error::Result;
use zeroize::Zeroizing;

/// Output bytes (may be secret: plaintexts).
pub type Out = Zeroizing<Vec<u8>>;

/// How big the output will be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// Exactly this many bytes.
    Exact(usize),
    /// At most this many bytes.
    AtMost(usize),
}

/// What a call with an output buffer comes to.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A size query: report this length, `CKR_OK`, the operation goes on.
    Len(usize),
    /// The buffer is too small: report this length, `CKR_BUFFER_TOO_SMALL`, the operation goes on.
    TooSmall(usize),
    /// Copy these bytes out: the call is complete.
    Done(Out),
}

impl Outcome {
    /// Whether the operation stays active after this outcome.
    pub fn keeps_operation(&self) -> bool {
        !matches!(self, Outcome::Done(_))
    }
}

/// Applies the rule. `capacity` is `None` for a NULL buffer; `pending` keeps a computed result
/// that did not fit; `compute` does the work (a round trip, maybe).
pub fn produce(
    pending: &mut Option<Out>,
    capacity: Option<usize>,
    size: Size,
    compute: impl FnOnce() -> Result<Out>,
) -> Result<Outcome> {
    if let Some(done) = pending.take() {
        return Ok(fit(done, capacity, pending));
    }
    match (capacity, size) {
        (None, Size::Exact(n) | Size::AtMost(n)) => return Ok(Outcome::Len(n)),
        (Some(cap), Size::Exact(n)) if cap < n => return Ok(Outcome::TooSmall(n)),
        _ => {}
    }
    let out = compute()?;
    Ok(fit(out, capacity, pending))
}

fn fit(out: Out, capacity: Option<usize>, pending: &mut Option<Out>) -> Outcome {
    let n = out.len();
    match capacity {
        Some(cap) if cap >= n => Outcome::Done(out),
        Some(_) => {
            *pending = Some(out);
            Outcome::TooSmall(n)
        }
        None => {
            *pending = Some(out);
            Outcome::Len(n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(n: usize) -> Result<Out> {
        Ok(Zeroizing::new(vec![7u8; n]))
    }

    #[test]
    fn exact_sizes_never_compute_for_queries() {
        let mut p = None;
        let never = || -> Result<Out> { panic!("computed for a size query") };
        assert_eq!(
            produce(&mut p, None, Size::Exact(256), never).unwrap(),
            Outcome::Len(256)
        );
        assert_eq!(
            produce(&mut p, Some(10), Size::Exact(256), never).unwrap(),
            Outcome::TooSmall(256)
        );
        assert!(
            matches!(produce(&mut p, Some(256), Size::Exact(256), || out(256)).unwrap(), Outcome::Done(v) if v.len() == 256)
        );
    }

    #[test]
    fn bounded_results_are_kept_for_the_retry() {
        let mut p = None;
        let mut calls = 0;
        let r = produce(&mut p, Some(5), Size::AtMost(256), || {
            calls += 1;
            out(11)
        });
        assert_eq!(r.unwrap(), Outcome::TooSmall(11));
        let r = produce(&mut p, Some(11), Size::AtMost(256), || {
            calls += 1;
            out(11)
        });
        assert!(matches!(r.unwrap(), Outcome::Done(v) if v.len() == 11));
        assert_eq!(calls, 1, "the key was used once");
        assert!(p.is_none());
    }
}
