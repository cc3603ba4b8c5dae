//! How the SQLite store's commits reach the disk.
//!
//! The writer connection commits with `synchronous=NORMAL`: a commit appends its frames to the
//! write-ahead log, in the page cache (kept through a kmsd crash, not through a power loss), and
//! does not wait for the disk. [`Disk`] then makes commits durable by syncing the WAL file
//! (`fdatasync`), which is what `synchronous=FULL` does inside every commit:
//! - a batch holding a change that must be on disk before its answer
//!   ([`Durability::Immediate`]) is synced by its leader right after the commit, outside the
//!   writer lock, so that the next batch gathers meanwhile; one sync covers every commit made
//!   before it started;
//! - a batch of key uses recorded with [`Durability::Deferred`] is synced by the flusher thread
//!   within the flush interval.
//!
//! The audit head ([`crate::store::audit_head`]) moves only after a sync, to the last record that sync
//! covered: after a power loss it can be behind the chain, never ahead of it.
//!
//! Checkpoints stay SQLite's own (the writer copies the WAL into the database file every 1,000
//! pages, syncing both): a checkpointer on another thread races the commits, never finds every
//! frame copied, and the WAL then grows without end — measured slower, not faster.
//!
//! A failed sync poisons the store: the kernel may have dropped the pages it could not write, so
//! no later commit could be trusted to reach the disk (PostgreSQL stops for the same reason).
//! Every transaction then fails with `audit_unavailable` until kmsd restarts.

use super::audit_head::{Head, HeadFile};
use crate::config::store::Durability;
use crate::error::{Error, Result};
use parking_lot::{Condvar, Mutex};
use rusqlite::Connection;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The commits of one store and their way to the disk.
#[derive(Debug)]
pub(super) struct Disk {
    wal_path: PathBuf,
    /// The WAL file, opened at the first sync; locked for the length of a sync, so syncs run
    /// one at a time.
    wal: Mutex<Option<File>>,
    state: Mutex<State>,
    /// Wakes the flusher.
    work: Condvar,
    head: Mutex<HeadFile>,
    flush_interval: Duration,
}

#[derive(Debug, Default)]
struct State {
    /// The last batch committed, and the audit head it left.
    committed: u64,
    committed_head: Option<Head>,
    /// Every batch up to this one is on disk.
    synced: u64,
    /// A deferred batch is waiting for the flusher.
    deferred: bool,
    /// Why the store is poisoned, if it is.
    poisoned: Option<String>,
    stop: bool,
}

impl Disk {
    /// The disk side of the store at `store`; deferred commits are synced within
    /// `flush_interval`.
    pub(super) fn new(store: &Path, flush_interval: Duration) -> Disk {
        let mut wal = store.as_os_str().to_owned();
        wal.push("-wal");
        Disk {
            wal_path: PathBuf::from(wal),
            wal: Mutex::new(None),
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            head: Mutex::new(HeadFile::new(store)),
            flush_interval,
        }
    }

    /// Refuses every transaction once a sync has failed.
    pub(super) fn usable(&self) -> Result<()> {
        match &self.state.lock().poisoned {
            None => Ok(()),
            Some(why) => Err(Error::AuditUnavailable(format!(
                "a sync of the store to disk failed ({why}); restart kmsd"
            ))),
        }
    }

    /// Refuses a commit when the chain no longer reaches the stored audit head (see
    /// [`HeadFile::check_continuity`]).
    pub(super) fn check_continuity(&self, conn: &Connection) -> Result<()> {
        self.head.lock().check_continuity(conn)
    }

    /// Batch `batch` has just committed (called under the writer lock, so in commit order),
    /// leaving `head` as the end of the audit chain.
    pub(super) fn committed(&self, batch: u64, head: Option<Head>, durability: Durability) {
        let mut st = self.state.lock();
        st.committed = batch;
        if head.is_some() {
            st.committed_head = head;
        }
        if durability == Durability::Deferred && !st.deferred {
            st.deferred = true;
            self.work.notify_one();
        }
    }

    /// Makes every commit up to `batch` durable: syncs the WAL unless a sync that started after
    /// that commit already has. Syncs run one at a time, each writing the head it covered before
    /// the next looks.
    pub(super) fn sync_upto(&self, batch: u64) -> Result<()> {
        let mut wal = self.wal.lock();
        let (upto, head) = {
            let st = self.state.lock();
            if st.synced >= batch {
                return Ok(());
            }
            (st.committed, st.committed_head.clone())
        };
        if let Err(e) = self.sync_wal(&mut wal) {
            let why = e.to_string();
            tracing::error!(error = %why, "syncing the store's WAL failed; refusing every change until kmsd restarts");
            self.state.lock().poisoned = Some(why);
            return Err(Error::AuditUnavailable(
                "the store could not be synced to disk".into(),
            ));
        }
        if let Some(head) = head {
            if let Err(e) = self.head.lock().record(&head) {
                tracing::error!(error = %e, "audit head not written; the next sync retries");
            }
        }
        let mut st = self.state.lock();
        st.synced = st.synced.max(upto);
        Ok(())
    }

    /// Syncs the WAL file; none means none is needed (SQLite removes it when the last
    /// connection closes, after copying it into the database file and syncing that).
    fn sync_wal(&self, wal: &mut Option<File>) -> std::io::Result<()> {
        if wal.is_none() {
            match File::open(&self.wal_path) {
                Ok(f) => *wal = Some(f),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        match wal {
            Some(f) => f.sync_data(),
            None => Ok(()),
        }
    }

    /// Syncs what is committed, as the flusher does (also when the store closes).
    fn sync_all(&self) -> Result<()> {
        let batch = self.state.lock().committed;
        self.sync_upto(batch)
    }

    /// The flusher: syncs deferred commits within the flush interval, until [`Flusher::drop`]
    /// stops it.
    fn run(&self) {
        loop {
            {
                let mut st = self.state.lock();
                while !st.stop && !st.deferred {
                    self.work.wait(&mut st);
                }
                // Let the interval's uses gather into one sync.
                let deadline = Instant::now() + self.flush_interval;
                while !st.stop && !self.work.wait_until(&mut st, deadline).timed_out() {}
                if st.stop {
                    return;
                }
                st.deferred = false;
            }
            // A failure has poisoned the store and been logged; nothing more to do here.
            let _ = self.sync_all();
        }
    }
}

/// The flusher thread of a store; stopping it syncs what is left.
#[derive(Debug)]
pub(super) struct Flusher {
    disk: Arc<Disk>,
    thread: Option<JoinHandle<()>>,
}

impl Flusher {
    /// Starts the flusher of `disk`.
    pub(super) fn start(disk: Arc<Disk>) -> Result<Flusher> {
        let d = disk.clone();
        let thread = std::thread::Builder::new()
            .name("kmsd-flush".into())
            .spawn(move || d.run())
            .map_err(|e| Error::io("starting the store's flusher", e))?;
        Ok(Flusher {
            disk,
            thread: Some(thread),
        })
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.disk.state.lock().stop = true;
        self.disk.work.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = self.disk.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use crate::config::store::Durability;
    use crate::error::Result;
    use crate::store::audit_head;
    use crate::store::db::{params, Db};
    use crate::store::Store;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    /// Appends a record at the end of the `audit` table, as the audit writer does (its hash
    /// need not chain here: only the head the store keeps is looked at).
    fn append(c: &Db<'_>) -> Result<i64> {
        let seq: i64 = c.query_one(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM audit",
            params![],
            |r| r.get(0),
        )?;
        c.execute(
            "INSERT INTO audit (seq, ts_ms, request_id, actor, action, outcome, prev_hash, hash) \
             VALUES (?1, 0, 'r', 'CN=test', 'key.sign', 'ok', ?2, ?3)",
            params![seq, [0u8; 32], seq.to_be_bytes()],
        )?;
        Ok(seq)
    }

    fn head_seq(store: &Path) -> Option<i64> {
        audit_head::load(store).unwrap().map(|h| h.seq)
    }

    fn records(store: &Store) -> i64 {
        store
            .read(|c| c.query_one("SELECT COUNT(*) FROM audit", params![], |r| r.get(0)))
            .unwrap()
    }

    /// A new SQLite store that syncs deferred commits within `interval`, and its file.
    fn store_with(interval: Duration) -> (tempfile::TempDir, PathBuf, Store) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kms.db");
        drop(Store::create(&path).unwrap());
        let store = Store::open_with(&path, interval).unwrap();
        (dir, path, store)
    }

    #[test]
    fn an_immediate_commit_is_synced_and_heads_the_chain_when_it_returns() {
        let (_dir, path, store) = store_with(Duration::from_secs(5));
        for seq in 1..=3 {
            store.tx(append).unwrap();
            assert_eq!(head_seq(&path), Some(seq));
        }
    }

    #[test]
    fn a_deferred_commit_is_visible_at_once_and_synced_within_the_interval() {
        let interval = Duration::from_millis(300);
        let (_dir, path, store) = store_with(interval);
        let start = Instant::now();
        store.tx_with(Durability::Deferred, append).unwrap();
        // Committed before the answer: every reader sees the record …
        assert_eq!(records(&store), 1);
        // … and the head waits for the sync, which waits for the interval's other uses.
        assert_eq!(head_seq(&path), None);
        while head_seq(&path).is_none() {
            assert!(start.elapsed() < Duration::from_secs(10), "never synced");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(start.elapsed() >= interval);
        assert_eq!(head_seq(&path), Some(1));
        // A change after deferred uses syncs them with it, before it returns.
        store.tx_with(Durability::Deferred, append).unwrap();
        store.tx(append).unwrap();
        assert_eq!(head_seq(&path), Some(3));
    }

    #[test]
    fn closing_the_store_syncs_deferred_commits() {
        let (_dir, path, store) = store_with(Duration::from_secs(1));
        store.tx_with(Durability::Deferred, append).unwrap();
        assert_eq!(head_seq(&path), None);
        drop(store);
        assert_eq!(head_seq(&path), Some(1));
    }

    #[test]
    fn members_of_one_batch_get_their_own_durability() {
        let (_dir, _path, store) = store_with(Duration::from_secs(5));
        let store = std::sync::Arc::new(store);
        let writers: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        let durability = match i % 2 {
                            0 => Durability::Immediate,
                            _ => Durability::Deferred,
                        };
                        let seq = store.tx_with(durability, append).unwrap();
                        if durability == Durability::Immediate {
                            // Synced before the answer: the head has reached it.
                            let head = audit_head::load(store_path(&store)).unwrap();
                            assert!(head.is_some_and(|h| h.seq >= seq));
                        }
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        assert_eq!(records(&store), 160);
    }

    fn store_path(store: &Store) -> &Path {
        store.sqlite_path().unwrap()
    }
}
