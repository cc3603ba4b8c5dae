//! The SQLite backend: WAL, foreign keys on, erased rows overwritten.
//!
//! Reads run on a small pool of connections, in parallel with each other and with the writer
//! (WAL readers see committed data only). Writes run on the one writer connection with **group
//! commit**: each [`SqliteStore::tx`] runs inside a savepoint of a shared transaction, and the
//! first writer of a batch commits it for everyone once no other writer is waiting (bounded by
//! [`GROUP_WINDOW`]). A failing closure rolls back its own savepoint only; a failing commit fails
//! the whole batch. How a commit then reaches the disk — synced before the answer, or by the
//! flusher within its interval for deferred key uses — is [`flush`]'s business: no
//! caller returns before its batch is committed, nor before it is on disk when it asked for
//! [`Durability::Immediate`], so "no audit, no operation" holds as with one transaction each.

pub mod audit_head;
pub(super) mod conn;
mod flush;
pub mod schema;

use super::db::Db;
use crate::config::store::Durability;
use crate::error::{Error, Result};
use conn::STATEMENT_CACHE;
use flush::{Disk, Flusher};

use parking_lot::{Condvar, Mutex};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest a batch leader waits for more writers before committing.
pub(super) const GROUP_WINDOW: Duration = Duration::from_millis(2);
/// Read connections kept open when idle.
const MAX_IDLE_READERS: usize = 8;

/// The writer connection and the batch it has open, if any.
struct Writer {
    conn: Connection,
    open: Option<Batch>,
    next: u64,
}

/// A batch: one transaction shared by the writers that joined it.
struct Batch {
    id: u64,
    /// How soon the batch must be on disk: `Immediate` if any member asked for it.
    durability: Durability,
    outcome: Arc<Outcome>,
}

/// How a batch ended, for its members.
#[derive(Default)]
struct Outcome {
    result: Mutex<Option<std::result::Result<(), Failure>>>,
    done: Condvar,
}

/// A batch's failure as each member reports it.
#[derive(Clone)]
enum Failure {
    AuditUnavailable(String),
    Internal(String),
}

impl Failure {
    fn of(e: &Error) -> Failure {
        match e {
            Error::AuditUnavailable(m) => Failure::AuditUnavailable(m.clone()),
            other => Failure::Internal(format!("the store could not commit: {other}")),
        }
    }

    fn error(self) -> Error {
        match self {
            Failure::AuditUnavailable(m) => Error::AuditUnavailable(m),
            Failure::Internal(m) => Error::Internal(m),
        }
    }
}

impl Outcome {
    /// Settles the batch (the first verdict stands) and wakes its members.
    fn finish(&self, result: std::result::Result<(), Failure>) {
        let mut r = self.result.lock();
        if r.is_none() {
            *r = Some(result);
        }
        self.done.notify_all();
    }

    /// Waits until the batch is settled.
    fn wait(&self) -> Result<()> {
        let mut r = self.result.lock();
        loop {
            match &*r {
                Some(result) => return result.clone().map_err(Failure::error),
                None => self.done.wait(&mut r),
            }
        }
    }
}

/// A SQLite store.
pub(super) struct SqliteStore {
    /// Declared first: dropped while the connections are still open (SQLite removes the WAL
    /// when the last one closes), it syncs what is left.
    _flusher: Flusher,
    writer: Mutex<Writer>,
    /// Writers queued for the writer lock; a batch leader commits when none are.
    waiting: AtomicUsize,
    /// Guards nothing: the leader waits on `joined` with it while writers join.
    gathering: Mutex<()>,
    /// Signals the batch leader that a queued writer has joined.
    joined: Condvar,
    readers: Mutex<Vec<Connection>>,
    path: PathBuf,
    disk: Arc<Disk>,
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
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    configure(&conn)?;
    Ok(conn)
}

impl SqliteStore {
    /// Creates a new store file (refuses an existing one) and runs the migrations.
    pub(super) fn create(path: &Path, flush_interval: Duration) -> Result<SqliteStore> {
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
        crate::secret_file::write_secret_file(path, b"")?;
        SqliteStore::open_inner(path, true, flush_interval)
    }

    /// Opens an existing store and brings its schema up to date.
    pub(super) fn open(path: &Path, flush_interval: Duration) -> Result<SqliteStore> {
        if !path.exists() {
            return Err(Error::Config(format!(
                "store {} does not exist (run `kmsd init` first)",
                path.display()
            )));
        }
        SqliteStore::open_inner(path, false, flush_interval)
    }

    fn open_inner(path: &Path, create: bool, flush_interval: Duration) -> Result<SqliteStore> {
        let mut conn = connect(path, create)?;
        schema::migrate(&mut conn)?;
        // From here on the store syncs the WAL itself (flush).
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let disk = Arc::new(Disk::new(path, flush_interval));
        let flusher = Flusher::start(disk.clone())?;
        Ok(SqliteStore {
            _flusher: flusher,
            writer: Mutex::new(Writer {
                conn,
                open: None,
                next: 1,
            }),
            waiting: AtomicUsize::new(0),
            gathering: Mutex::new(()),
            joined: Condvar::new(),
            readers: Mutex::new(Vec::new()),
            path: path.to_path_buf(),
            disk,
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

    /// Runs `f` atomically: its changes are committed only if it succeeds, and this returns
    /// only once they are — and once they are on disk, for [`Durability::Immediate`]. See the
    /// module documentation for the group commit.
    pub(super) fn tx<T>(
        &self,
        durability: Durability,
        f: impl FnOnce(&Db<'_>) -> Result<T>,
    ) -> Result<T> {
        self.disk.usable()?;
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut w = self.writer.lock();
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let leader = w.open.is_none();
        if leader {
            exec(&w.conn, "BEGIN IMMEDIATE")?;
            let id = w.next;
            w.next += 1;
            w.open = Some(Batch {
                id,
                durability,
                outcome: Arc::default(),
            });
        }
        let (id, outcome) = match w.open.as_mut() {
            Some(b) => {
                if durability == Durability::Immediate {
                    b.durability = Durability::Immediate;
                }
                (b.id, b.outcome.clone())
            }
            None => return Err(Error::Internal("no batch open".into())),
        };
        let out = run_in_savepoint(&w.conn, f);
        if w.conn.is_autocommit() {
            // An error made SQLite roll the whole transaction back: the batch is lost. No one
            // may join it any more, and its members must not be told it committed.
            if let Some(lost) = w.open.take() {
                lost.outcome.finish(Err(Failure::Internal(
                    "the store rolled the batch back".into(),
                )));
            }
        }
        drop(w);
        if !leader {
            self.joined();
            return match out {
                // Nothing of ours is in the batch: no need to wait for its commit.
                Err(e) => Err(e),
                Ok(v) => outcome.wait().map(|()| v),
            };
        }
        self.gather(Instant::now() + GROUP_WINDOW);
        let committed = self.commit(id);
        match (out, committed) {
            (Err(e), _) | (Ok(_), Err(e)) => Err(e),
            (Ok(v), Ok(())) => Ok(v),
        }
    }

    /// The leader's wait: while writers queue for the lock, let them join the batch (each
    /// wakes the leader when it is in), until `deadline`. No spinning.
    fn gather(&self, deadline: Instant) {
        let mut g = self.gathering.lock();
        while self.waiting.load(Ordering::SeqCst) > 0 {
            if self.joined.wait_until(&mut g, deadline).timed_out() {
                break;
            }
        }
    }

    /// A member has joined the open batch (its savepoint is released).
    fn joined(&self) {
        let _g = self.gathering.lock();
        self.joined.notify_all();
    }

    /// Commits batch `id` (the leader's job), makes it durable as its members asked, and
    /// settles it for them.
    fn commit(&self, id: u64) -> Result<()> {
        let mut w = self.writer.lock();
        let Some(batch) = w.open.take_if(|b| b.id == id) else {
            return Err(Error::Internal("the store rolled the batch back".into()));
        };
        // A chain cut since the last head refuses the batch (crate::store::audit_head).
        let committed = self
            .disk
            .check_continuity(&w.conn)
            .and_then(|()| exec(&w.conn, "COMMIT"));
        match &committed {
            Err(_) => {
                // Leave the connection usable; the batch is lost for every member.
                let _ = exec(&w.conn, "ROLLBACK");
            }
            Ok(()) => {
                let head = audit_head::current(&w.conn).unwrap_or_else(|e| {
                    tracing::error!(error = %e, "reading the audit head after a commit");
                    None
                });
                self.disk.committed(id, head, batch.durability);
            }
        }
        drop(w);
        let result = committed.and_then(|()| match batch.durability {
            Durability::Immediate => self.disk.sync_upto(id),
            Durability::Deferred => Ok(()),
        });
        batch
            .outcome
            .finish(result.as_ref().map(|_| ()).map_err(Failure::of));
        result
    }

    /// The store file.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }
}

/// Runs `f` in a savepoint: released when it succeeds, rolled back when it fails.
fn run_in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
    exec(conn, "SAVEPOINT op")?;
    let out = f(&Db::sqlite(conn));
    let end = match &out {
        Ok(_) => exec(conn, "RELEASE op"),
        Err(_) => exec(conn, "ROLLBACK TO op").and_then(|()| exec(conn, "RELEASE op")),
    };
    match (out, end) {
        (Ok(v), Ok(())) => Ok(v),
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => Err(e),
    }
}

/// Runs one statement without parameters or rows (transaction control), prepared once per
/// connection: `execute_batch` would parse it on every call.
fn exec(conn: &Connection, sql: &str) -> Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}
