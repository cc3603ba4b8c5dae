//! The SQLite store: one connection behind a mutex (enough for now), WAL, `synchronous=FULL`,
//! foreign keys on. Callers never hold the lock during crypto: they read, release, compute, then
//! write in one transaction with its audit record.

pub mod objects;
pub mod schema;
pub mod sessions;
pub mod tokens;

use crate::error::{Error, Result};
use parking_lot::Mutex;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The store.
pub struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.path.display())
    }
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

impl Store {
    /// Creates a new store file (refuses an existing one) and runs the migrations.
    pub fn create(path: &Path) -> Result<Store> {
        if path.exists() {
            return Err(Error::Config(format!(
                "store {} already exists",
                path.display()
            )));
        }
        // The store holds PIN hashes and sealed material: owner-only from the first byte
        // (SQLite gives the -wal and -shm files the same mode).
        crate::config::write_secret_file(path, b"")?;
        Store::open_inner(path, true)
    }

    /// Opens an existing store and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(Error::Config(format!(
                "store {} does not exist (run `kmsd init` first)",
                path.display()
            )));
        }
        Store::open_inner(path, false)
    }

    fn open_inner(path: &Path, create: bool) -> Result<Store> {
        use rusqlite::OpenFlags;
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let mut conn = Connection::open_with_flags(path, flags)?;
        configure(&conn)?;
        schema::migrate(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    /// Runs `f` on the connection (reads, or single statements).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.conn.lock();
        f(&conn)
    }

    /// Runs `f` in one IMMEDIATE transaction, committed only if `f` succeeds.
    pub fn tx<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let start = std::time::Instant::now();
        let result = self.tx_inner(f);
        crate::metrics::STORE_TX_DURATION.observe(&[], crate::metrics::seconds_since(start));
        result
    }

    fn tx_inner<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_then_open_keeps_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("kms.db");
        drop(Store::create(&p).unwrap());
        assert!(Store::create(&p).is_err());
        let s = Store::open(&p).unwrap();
        s.tx(|tx| Ok(tx.execute("INSERT INTO schema_version (version) VALUES (0)", [])?))
            .unwrap();
        use std::os::unix::fs::PermissionsExt;
        for f in ["kms.db", "kms.db-wal", "kms.db-shm"] {
            let mode = std::fs::metadata(dir.path().join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{f} mode {mode:o}");
        }
        let v = s.read(schema::version).unwrap();
        assert_eq!(v, schema::LATEST);
        let mode: String = s
            .read(|c| Ok(c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
