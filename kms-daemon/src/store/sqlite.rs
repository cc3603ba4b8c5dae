//! The SQLite backend: WAL, `synchronous=FULL`, foreign keys on.
//!
//! Reads run on a small pool of connections, in parallel with each other and with the writer
//! (WAL readers see committed data only). Writes run on the one writer connection with **group
//! commit**: each [`SqliteStore::tx`] runs inside a savepoint of a shared transaction, and the
//! first writer of a batch commits it for everyone once no other writer is waiting (bounded by
//! [`GROUP_WINDOW`]). One fsync then makes a whole batch durable; no caller returns before its
//! batch is committed, so "no audit, no operation" holds exactly as with one transaction each.
//! A failing closure rolls back its own savepoint only; a failing commit fails the whole batch.

use super::db::Db;
use super::schema;
use crate::audit_head;
use crate::error::{Error, Result};
use parking_lot::{Condvar, Mutex};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Longest a batch leader waits for more writers before committing.
pub(super) const GROUP_WINDOW: Duration = Duration::from_millis(2);
/// Read connections kept open when idle.
const MAX_IDLE_READERS: usize = 8;

/// The writer connection and the batch it has open, if any.
struct Writer {
    conn: Connection,
    open: Option<u64>,
    next: u64,
}

/// The fate of committed batches, for the writers waiting on them.
#[derive(Default)]
struct Committed {
    /// Every batch up to this one is finished.
    upto: u64,
    /// Finished batches whose commit failed (kept until their members have looked).
    failed: Vec<u64>,
}

/// A SQLite store.
pub(super) struct SqliteStore {
    writer: Mutex<Writer>,
    /// Writers queued for the writer lock; a batch leader commits when none are.
    waiting: AtomicUsize,
    committed: Mutex<Committed>,
    batch_done: Condvar,
    /// Signals the batch leader that a queued writer has joined.
    joined: Condvar,
    readers: Mutex<Vec<Connection>>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SqliteStore({})", self.path.display())
    }
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Erased material (destroyed keys, deleted rows) is overwritten, not left in free pages.
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(())
}

fn connect(path: &Path, create: bool) -> Result<Connection> {
    use rusqlite::OpenFlags;
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    conn.set_prepared_statement_cache_capacity(super::db::STATEMENT_CACHE);
    configure(&conn)?;
    Ok(conn)
}

impl SqliteStore {
    /// Creates a new store file (refuses an existing one) and runs the migrations.
    pub(super) fn create(path: &Path) -> Result<SqliteStore> {
        if path.exists() {
            return Err(Error::Config(format!(
                "store {} already exists",
                path.display()
            )));
        }
        // A head left by a store that is gone means its audit trail went with it: refuse to
        // start a new chain over it silently.
        let head = audit_head::path_for(path);
        if head.exists() {
            return Err(Error::Config(format!(
                "{} holds the audit head of a store that is gone; if {} was removed on \
                 purpose, remove the head file too",
                head.display(),
                path.display()
            )));
        }
        // The store holds PIN hashes and sealed material: owner-only from the first byte
        // (SQLite gives the -wal and -shm files the same mode).
        crate::config::write_secret_file(path, b"")?;
        SqliteStore::open_inner(path, true)
    }

    /// Opens an existing store and brings its schema up to date.
    pub(super) fn open(path: &Path) -> Result<SqliteStore> {
        if !path.exists() {
            return Err(Error::Config(format!(
                "store {} does not exist (run `kmsd init` first)",
                path.display()
            )));
        }
        SqliteStore::open_inner(path, false)
    }

    fn open_inner(path: &Path, create: bool) -> Result<SqliteStore> {
        let mut conn = connect(path, create)?;
        schema::migrate(&mut conn)?;
        Ok(SqliteStore {
            writer: Mutex::new(Writer {
                conn,
                open: None,
                next: 1,
            }),
            waiting: AtomicUsize::new(0),
            committed: Mutex::new(Committed::default()),
            batch_done: Condvar::new(),
            joined: Condvar::new(),
            readers: Mutex::new(Vec::new()),
            path: path.to_path_buf(),
        })
    }

    /// Runs `f` on a read connection (it sees committed data; a single statement that writes
    /// commits on its own).
    pub(super) fn read<T>(&self, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
        let pooled = self.readers.lock().pop();
        let conn = match pooled {
            Some(c) => c,
            None => connect(&self.path, false)?,
        };
        let out = f(&Db::sqlite(&conn));
        let mut idle = self.readers.lock();
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        out
    }

    /// Runs `f` atomically: its changes are committed (durably) only if it succeeds, and this
    /// returns only once they are. See the module documentation for the group commit.
    pub(super) fn tx<T>(&self, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut w = self.writer.lock();
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let leader = w.open.is_none();
        if leader {
            w.conn.execute_batch("BEGIN IMMEDIATE")?;
            w.open = Some(w.next);
            w.next += 1;
        }
        let batch = w.open.unwrap_or_default();
        let out = run_in_savepoint(&w.conn, f);
        if w.conn.is_autocommit() {
            // An error made SQLite roll the whole transaction back: the batch is lost. No one
            // may join it any more, and its members must not be told it committed.
            self.committed.lock().failed.push(batch);
            w.open = None;
        }
        if !leader {
            drop(w);
            self.joined();
            return match out {
                // Nothing of ours is in the batch: no need to wait for its commit.
                Err(e) => Err(e),
                Ok(v) => self.wait_for(batch).map(|()| v),
            };
        }
        drop(w);
        self.gather(Instant::now() + GROUP_WINDOW);
        let committed = self.commit(batch);
        match (out, committed) {
            (Err(e), _) | (Ok(_), Err(e)) => Err(e),
            (Ok(v), Ok(())) => Ok(v),
        }
    }

    /// The leader's wait: while writers queue for the lock, let them join the batch (each
    /// wakes the leader when it is in), until `deadline`. No spinning.
    fn gather(&self, deadline: Instant) {
        let mut c = self.committed.lock();
        while self.waiting.load(Ordering::SeqCst) > 0 {
            if self.joined.wait_until(&mut c, deadline).timed_out() {
                break;
            }
        }
    }

    /// A member has joined the open batch (its savepoint is released).
    fn joined(&self) {
        let _c = self.committed.lock();
        self.joined.notify_all();
    }

    /// Commits the open batch (the leader's job) and wakes its members.
    fn commit(&self, batch: u64) -> Result<()> {
        let mut w = self.writer.lock();
        let result = if w.open == Some(batch) {
            w.open = None;
            // A chain cut since the last head refuses the batch (crate::audit_head); after the
            // commit the head moves to the new end of the chain.
            let r = audit_head::check_continuity(&w.conn, &self.path)
                .and_then(|()| w.conn.execute_batch("COMMIT").map_err(Error::from));
            match &r {
                Err(_) => {
                    // Leave the connection usable; the batch is lost for every member.
                    let _ = w.conn.execute_batch("ROLLBACK");
                }
                Ok(()) => {
                    if let Err(e) = audit_head::record(&w.conn, &self.path) {
                        tracing::error!(error = %e, "audit head not written; the next commit retries");
                    }
                }
            }
            r
        } else {
            Err(Error::Internal("the store rolled the batch back".into()))
        };
        drop(w);
        let mut c = self.committed.lock();
        c.upto = c.upto.max(batch);
        if result.is_err() && !c.failed.contains(&batch) {
            c.failed.push(batch);
        }
        self.batch_done.notify_all();
        result
    }

    /// Waits until `batch` is committed; its failure is this member's failure.
    fn wait_for(&self, batch: u64) -> Result<()> {
        let mut c = self.committed.lock();
        while c.upto < batch {
            self.batch_done.wait(&mut c);
        }
        if c.failed.contains(&batch) {
            // The last member to look could remove it; keeping a few ids is harmless.
            if c.failed.len() > 64 {
                c.failed.remove(0);
            }
            return Err(Error::Internal("the store could not commit".into()));
        }
        Ok(())
    }

    /// The store file.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }
}

/// Runs `f` in a savepoint: released when it succeeds, rolled back when it fails.
fn run_in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
    conn.execute_batch("SAVEPOINT op")?;
    let out = f(&Db::sqlite(conn));
    let end = match &out {
        Ok(_) => conn.execute_batch("RELEASE op"),
        Err(_) => conn.execute_batch("ROLLBACK TO op; RELEASE op"),
    };
    match (out, end) {
        (Ok(v), Ok(())) => Ok(v),
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => Err(e.into()),
    }
}
