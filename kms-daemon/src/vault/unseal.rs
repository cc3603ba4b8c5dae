//! Unsealing a running kmsd: the requests `kmsd unseal` sends over the local unseal socket
//! (`server::unseal_socket`), and the progress of a shares unseal. One request per connection,
//! one line each way (text, so the secret is read into one wiped buffer and parsed in place):
//!
//! | request | answer |
//! |---|---|
//! | `status` | `unsealed` or `sealed HAVE NEED` |
//! | `passphrase TEXT` | `unsealed`, or `error MESSAGE` |
//! | `share TEXT` | `unsealed`, `sealed HAVE NEED`, or `error MESSAGE` |
//!
//! Shares are held in `Zeroizing` buffers until enough have arrived; a combination that fails the
//! record's check is refused and the progress cleared, and so is progress older than
//! `[master_key] unseal_timeout_secs`.

use super::shamir::Share;
use super::slot::VaultSlot;
use super::source::Record;
use crate::error::{Error, Result};
use parking_lot::Mutex;
use std::time::{Duration, Instant};

/// Longest request line accepted.
pub const MAX_LINE: u64 = 4096;

/// Where an unseal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The vault is open.
    Unsealed,
    /// Still sealed: `have` of `need` shares given.
    Sealed {
        /// Shares held.
        have: usize,
        /// Shares needed.
        need: usize,
    },
}

#[derive(Default)]
struct Progress {
    shares: Vec<Share>,
    since: Option<Instant>,
}

/// The unseal state machine of one kmsd.
pub struct Unsealer {
    record: Record,
    progress: Mutex<Progress>,
    timeout: Duration,
}

impl std::fmt::Debug for Unsealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Unsealer(need {})", self.record.threshold())
    }
}

impl Unsealer {
    /// An unsealer for `record`; partial progress is dropped after `timeout`.
    pub fn new(record: Record, timeout: Duration) -> Unsealer {
        Unsealer {
            record,
            progress: Mutex::new(Progress::default()),
            timeout,
        }
    }

    /// Drops partial progress older than the timeout.
    pub fn expire(&self) {
        let mut p = self.progress.lock();
        if p.since.is_some_and(|s| s.elapsed() >= self.timeout) {
            tracing::warn!(
                shares = p.shares.len(),
                "unseal timed out; the shares given so far were discarded"
            );
            *p = Progress::default();
        }
    }

    fn status(&self, slot: &VaultSlot) -> Status {
        if slot.is_sealed() {
            Status::Sealed {
                have: self.progress.lock().shares.len(),
                need: self.record.threshold(),
            }
        } else {
            Status::Unsealed
        }
    }

    fn install(slot: &VaultSlot, master_key: &[u8]) -> Result<Status> {
        slot.install_root(master_key)?;
        tracing::info!("kmsd unsealed");
        Ok(Status::Unsealed)
    }

    /// Handles one request line (see the module doc). Blocking (argon2).
    pub fn submit(&self, slot: &VaultSlot, line: &[u8]) -> Result<Status> {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let (verb, rest) = match line.iter().position(|&b| b == b' ') {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, &[][..]),
        };
        if !slot.is_sealed() || verb == b"status" {
            return Ok(self.status(slot));
        }
        match verb {
            b"passphrase" => {
                let mk = self.record.unwrap_with_passphrase(rest)?;
                Unsealer::install(slot, &mk)
            }
            b"share" => self.add_share(slot, rest),
            _ => Err(Error::BadRequest(
                "unknown request (status, passphrase or share)".into(),
            )),
        }
    }

    fn add_share(&self, slot: &VaultSlot, text: &[u8]) -> Result<Status> {
        self.expire();
        let text = std::str::from_utf8(text)
            .map_err(|_| Error::BadRequest("not a valid kmsd share: not UTF-8".into()))?;
        let share = Share::parse(text)?;
        let mut p = self.progress.lock();
        if p.shares.iter().any(|s| s.x == share.x) {
            return Err(Error::BadRequest(format!(
                "share {} was already given",
                share.x
            )));
        }
        p.shares.push(share);
        p.since.get_or_insert_with(Instant::now);
        let need = self.record.threshold();
        if p.shares.len() < need {
            tracing::info!(have = p.shares.len(), need, "unseal share accepted");
            return Ok(Status::Sealed {
                have: p.shares.len(),
                need,
            });
        }
        let combined = self.record.combine_shares(&p.shares);
        *p = Progress::default();
        Unsealer::install(slot, &combined?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_unseal_refuse_a_wrong_one_and_time_out() {
        let (record, shares) = Record::split_into_shares(&[4u8; 32], 2, 3).unwrap();
        let (_, other) = Record::split_into_shares(&[8u8; 32], 2, 3).unwrap();
        let line = |s: &Share| format!("share {}\n", s.to_text().as_str()).into_bytes();
        let slot = VaultSlot::sealed();
        let u = Unsealer::new(record.clone(), Duration::from_secs(600));
        assert_eq!(
            u.submit(&slot, b"status").unwrap(),
            Status::Sealed { have: 0, need: 2 }
        );
        assert_eq!(
            u.submit(&slot, &line(&shares[0])).unwrap(),
            Status::Sealed { have: 1, need: 2 }
        );
        assert!(u.submit(&slot, &line(&shares[0])).is_err(), "twice");
        assert!(u.submit(&slot, &line(&other[1])).is_err());
        assert!(slot.is_sealed());
        // The refusal cleared the progress.
        assert_eq!(
            u.submit(&slot, b"status").unwrap(),
            Status::Sealed { have: 0, need: 2 }
        );
        assert!(u.submit(&slot, b"passphrase whatever it is").is_err());
        u.submit(&slot, &line(&shares[2])).unwrap();
        assert_eq!(
            u.submit(&slot, &line(&shares[1])).unwrap(),
            Status::Unsealed
        );
        assert!(!slot.is_sealed());

        // A zero timeout drops a partial unseal at the next expiry.
        let slot = VaultSlot::sealed();
        let u = Unsealer::new(record, Duration::ZERO);
        u.submit(&slot, &line(&shares[0])).unwrap();
        u.expire();
        assert_eq!(
            u.submit(&slot, b"status").unwrap(),
            Status::Sealed { have: 0, need: 2 }
        );
    }
}
