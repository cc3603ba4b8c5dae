//! The audit head: the latest `(seq, hash)` of the chain, kept in a file next to the store
//! (`<store>.audit-head`), so that cutting records off the *tail* of the chain — which a plain
//! hash chain cannot reveal, since what is left still links up — is detected by
//! `kmsd audit verify`.
//!
//! Before every commit the store checks that the chain still reaches the stored head
//! ([`HeadFile::check_continuity`]; a cut refuses the batch), and once a commit is synced to disk
//! it writes the new head ([`HeadFile::record`]); `kmsd audit verify` checks the chain against it
//! (`crate::audit::verify`). A crash between the two leaves the head behind
//! — still reached by the chain, so never a false alarm; a head that cannot be written is
//! logged, and the next sync writes it again.
//!
//! What it protects against: someone with write access to the database (but not to the head
//! file) deleting the last records, or restoring an older copy of the database. What it cannot
//! protect against: someone who can write both files (they can truncate and rewrite the head
//! consistently). Against that, copy the head off the machine (`kmsd audit verify` prints it; a
//! SIEM that ingests `kmsd audit export` holds the same hashes) and compare.

use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension};
use std::fs::File;
use std::path::{Path, PathBuf};

/// The latest record of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// Its sequence number.
    pub seq: i64,
    /// Its hash.
    pub hash: Vec<u8>,
}

/// Where the head of the store at `store` lives.
pub fn path_for(store: &Path) -> PathBuf {
    let mut p = store.as_os_str().to_owned();
    p.push(".audit-head");
    PathBuf::from(p)
}

/// The last record in `conn`, if any.
pub fn current(conn: &Connection) -> Result<Option<Head>> {
    Ok(conn
        .prepare_cached("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| {
            Ok(Head {
                seq: r.get(0)?,
                hash: r.get(1)?,
            })
        })
        .optional()?)
}

/// The head file of one store, kept open by the store's writer: every commit reads it (replicas
/// on one SQLite file each write it) and writes it, with no `open` or `stat` of the path.
#[derive(Debug)]
pub struct HeadFile {
    path: PathBuf,
    file: Option<File>,
}

impl HeadFile {
    /// The head file of the store at `store`; opened at its first use.
    pub fn new(store: &Path) -> HeadFile {
        HeadFile {
            path: path_for(store),
            file: None,
        }
    }

    /// The open file, if it exists (opened now if needed).
    fn existing(&mut self) -> Result<Option<&File>> {
        if self.file.is_none() {
            match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&self.path)
            {
                Ok(f) => self.file = Some(f),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(Error::io("audit head", e)),
            }
        }
        Ok(self.file.as_ref())
    }

    /// The stored head, `None` when there is none yet.
    fn load(&mut self) -> Result<Option<Head>> {
        use std::os::unix::fs::FileExt;
        let Some(f) = self.existing()? else {
            return Ok(None);
        };
        let mut buf = [0u8; 2 * LINE];
        let mut n = 0;
        while n < buf.len() {
            match f.read_at(&mut buf[n..], n as u64) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io("audit head", e)),
            }
        }
        let text = std::str::from_utf8(&buf[..n]).map_err(|_| unreadable())?;
        parse(text.lines().next().unwrap_or("")).map(Some)
    }

    /// Refuses (`audit_unavailable`) when the chain in `conn` no longer reaches the head
    /// written before: records were cut off the tail (or changed) since. The store checks this
    /// before every commit, so the batch is rolled back and nothing more happens until an
    /// operator looks — a write cannot quietly cover a truncation with a fresh head.
    pub fn check_continuity(&mut self, conn: &Connection) -> Result<()> {
        let Some(previous) = self.load()? else {
            return Ok(());
        };
        let stored: Option<Vec<u8>> = conn
            .prepare_cached("SELECT hash FROM audit WHERE seq = ?1")?
            .query_row([previous.seq], |r| r.get(0))
            .optional()?;
        if stored.as_deref() == Some(previous.hash.as_slice()) {
            Ok(())
        } else {
            Err(Error::AuditUnavailable(format!(
                "the audit chain no longer reaches its head (seq {}): records were removed or \
                 changed; run `kmsd audit verify`",
                previous.seq
            )))
        }
    }

    /// Writes `head` (after a sync that covers its record). A head file removed meanwhile is
    /// made again.
    pub fn record(&mut self, head: &Head) -> Result<()> {
        use std::os::unix::fs::MetadataExt;
        let gone = match &self.file {
            Some(f) => {
                f.metadata()
                    .map_err(|e| Error::io("audit head", e))?
                    .nlink()
                    == 0
            }
            None => true,
        };
        match &self.file {
            Some(f) if !gone => write_line(f, head),
            _ => {
                self.file = Some(open_with(&self.path, head)?);
                Ok(())
            }
        }
    }
}

fn unreadable() -> Error {
    Error::IntegrityFailure("the audit head file is unreadable".into())
}

/// Makes the head of `store` the last record of `conn`, whatever the file said: for
/// `kmsd restore`, which brings an older chain back on purpose. Returns the replaced head.
pub fn reset(conn: &Connection, store: &Path) -> Result<Option<Head>> {
    let previous = load(store).ok().flatten();
    let path = path_for(store);
    match current(conn)? {
        Some(head) => {
            // A restore is rare and deliberate: make its head durable at once.
            let f = open_with(&path, &head)?;
            f.sync_all().map_err(|e| Error::io("audit head", e))?;
        }
        None => {
            let _ = std::fs::remove_file(path);
        }
    }
    Ok(previous)
}

/// Width of the head line, padded with spaces: every write covers the whole previous line (a
/// head written by an older kmsd, unpadded, is shorter).
const LINE: usize = 96;

/// Opens the head file at `path` with `head` written in it: in place when the file exists; a new
/// one (owner-only) is written whole under a temporary name, made durable and renamed, with its
/// directory, so that no reader ever finds it empty.
fn open_with(path: &Path, head: &Head) -> Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |e| Error::io("audit head", e);
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
    {
        Ok(f) => return write_line(&f, head).map(|()| f),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
        Err(_) => {}
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io)?;
    write_line(&f, head)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
    }
    Ok(f)
}

/// Writes `head` over the first bytes of `f`, in place: one write of [`LINE`] bytes at offset 0
/// (within one sector, so a reader or a crash sees the old line or the new one, and concurrent
/// writers — replicas on one store — each leave a whole line). No fsync of its own: the store
/// has synced the record it names before this runs, so after a power loss the head can only be
/// *behind* the chain, which is allowed. This keeps the head off the critical path (a temporary file,
/// fsync and rename cost ~350 µs per commit here).
fn write_line(f: &File, head: &Head) -> Result<()> {
    use std::os::unix::fs::FileExt;
    let line = format!("{} {}", head.seq, hex::encode(&head.hash));
    let line = format!("{line:<width$}\n", width = LINE - 1);
    f.write_all_at(line.as_bytes(), 0)
        .map_err(|e| Error::io("audit head", e))
}

/// The stored head of `store`, `None` when there is none yet.
pub fn load(store: &Path) -> Result<Option<Head>> {
    let text = match std::fs::read_to_string(path_for(store)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("audit head", e)),
    };
    parse(text.trim()).map(Some)
}

/// A head line: `seq hash-in-hex`, padding aside.
fn parse(line: &str) -> Result<Head> {
    let (seq, hash) = line.trim().split_once(' ').ok_or_else(unreadable)?;
    Ok(Head {
        seq: seq.parse().map_err(|_| unreadable())?,
        hash: hex::decode(hash).map_err(|_| unreadable())?,
    })
}
