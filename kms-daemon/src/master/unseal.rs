//! Unsealing a running kmsd: the local socket `kmsd unseal` talks to, and the progress of a
//! shares unseal.
//!
//! The socket is `<store>.unseal.sock`, mode 0600, and kmsd also refuses a peer whose uid is not
//! the socket owner's (peer credentials), so only kmsd's own user (or root) can unseal. One
//! request per connection, one line each way (text, so the secret is read into one wiped buffer
//! and parsed in place):
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
use super::source::Record;
use super::VaultSlot;
use crate::error::{Error, Result};
use parking_lot::Mutex;
use std::future::Future;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{UnixListener, UnixStream};
use zeroize::Zeroizing;

/// Longest request line accepted.
pub const MAX_LINE: u64 = 4096;
/// How long a client may take to send its line.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

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

/// Binds the unseal socket at `path` (mode 0600), replacing a stale socket left by a previous
/// run but never another kind of file.
pub fn bind(path: &Path) -> Result<UnixListener> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(Error::Config(format!(
                "{} exists and is not a socket; move it away",
                path.display()
            )));
        }
        std::fs::remove_file(path)
            .map_err(|e| Error::io(format!("removing stale {}", path.display()), e))?;
    }
    let listener = UnixListener::bind(path)
        .map_err(|e| Error::io(format!("binding {}", path.display()), e))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io(format!("chmod {}", path.display()), e))?;
    Ok(listener)
}

/// Serves the unseal socket until `shutdown`, then removes it.
pub async fn serve(
    listener: UnixListener,
    path: PathBuf,
    unsealer: Arc<Unsealer>,
    slot: Arc<crate::state::Services>,
    shutdown: impl Future<Output = ()>,
) {
    let owner = std::fs::metadata(&path).map(|m| m.uid()).ok();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(connection(stream, owner, unsealer.clone(), slot.clone()));
                }
                Err(e) => tracing::warn!(error = %e, "unseal socket: accept failed"),
            },
            _ = tick.tick() => unsealer.expire(),
            () = &mut shutdown => break,
        }
    }
    let _ = std::fs::remove_file(&path);
}

async fn connection(
    stream: UnixStream,
    owner: Option<u32>,
    unsealer: Arc<Unsealer>,
    svc: Arc<crate::state::Services>,
) {
    let peer = stream.peer_cred().ok().map(|c| c.uid());
    if owner.is_none() || (peer != owner && peer != Some(0)) {
        tracing::warn!(peer_uid = ?peer, "unseal socket: peer is not kmsd's user; refused");
        return;
    }
    // One short exchange; argon2 blocks anyway, so the whole of it runs on a blocking thread.
    let std_stream = stream
        .into_std()
        .and_then(|s| s.set_nonblocking(false).map(|()| s));
    let Ok(std_stream) = std_stream else {
        tracing::warn!("unseal socket: could not take the connection");
        return;
    };
    let done = tokio::task::spawn_blocking(move || exchange(std_stream, &unsealer, &svc.vault));
    if done.await.is_err() {
        tracing::error!("unseal request task failed");
    }
}

/// Reads one request line (wiped after use), answers it.
fn exchange(mut stream: std::os::unix::net::UnixStream, unsealer: &Unsealer, slot: &VaultSlot) {
    let mut line = Zeroizing::new(Vec::with_capacity(256));
    let read = stream.set_read_timeout(Some(READ_TIMEOUT)).and_then(|()| {
        BufReader::new(&mut stream)
            .take(MAX_LINE)
            .read_until(b'\n', &mut line)
    });
    let answer = match read {
        Ok(_) => unsealer.submit(slot, &line),
        Err(e) => Err(Error::io("reading the unseal request", e)),
    };
    let text = match answer {
        Ok(Status::Unsealed) => "unsealed\n".to_owned(),
        Ok(Status::Sealed { have, need }) => format!("sealed {have} {need}\n"),
        Err(e) => {
            tracing::warn!(error = %e, "unseal request refused");
            format!("error {}\n", e.to_string().replace('\n', " "))
        }
    };
    let _ = stream.write_all(text.as_bytes());
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
