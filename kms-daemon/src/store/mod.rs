//! The store: SQLite (embedded default, [`sqlite`]) or PostgreSQL (several replicas,
//! [`postgres`]), each backend in its folder with its schema, connections and commit path,
//! chosen by the `store` setting: a `postgres://` URL selects PostgreSQL, anything else is a
//! SQLite file. Callers never hold a connection during crypto: they read, release, compute, then
//! write in one transaction with its audit record. Store code is written once against
//! [`db::Db`].

pub mod db;
pub mod idempotency;
pub mod objects;
pub mod postgres;
pub mod sessions;
pub mod sqlite;
pub mod tokens;
pub mod versions;

pub use db::{Db, Dialect};
pub use sqlite::audit_head;

/// The schema version this kmsd writes (both backends migrate to it step for step).
pub const LATEST_SCHEMA: u32 = sqlite::schema::LATEST;

use crate::config::store::{Durability, Location, DEFAULT_FLUSH_INTERVAL};
use crate::error::Result;
use postgres::PgStore;
use sqlite::SqliteStore;
use std::path::Path;
use std::time::{Duration, Instant};

enum Backend {
    Sqlite(SqliteStore),
    Pg(PgStore),
}

/// The store.
pub struct Store {
    backend: Backend,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.backend {
            Backend::Sqlite(s) => s.fmt(f),
            Backend::Pg(s) => s.fmt(f),
        }
    }
}

impl Store {
    /// Creates a new store (refuses an existing one) and runs the migrations.
    pub fn create(store: &Path) -> Result<Store> {
        Ok(Store {
            backend: match Location::of(store) {
                Location::Sqlite(p) => {
                    Backend::Sqlite(SqliteStore::create(p, DEFAULT_FLUSH_INTERVAL)?)
                }
                Location::Postgres(url) => Backend::Pg(PgStore::open(url, true)?),
            },
        })
    }

    /// Opens an existing store and brings its schema up to date.
    pub fn open(store: &Path) -> Result<Store> {
        Store::open_with(store, DEFAULT_FLUSH_INTERVAL)
    }

    /// Like [`Store::open`]; a SQLite store syncs deferred commits within `flush_interval`.
    pub fn open_with(store: &Path, flush_interval: Duration) -> Result<Store> {
        Ok(Store {
            backend: match Location::of(store) {
                Location::Sqlite(p) => Backend::Sqlite(SqliteStore::open(p, flush_interval)?),
                Location::Postgres(url) => Backend::Pg(PgStore::open(url, false)?),
            },
        })
    }

    /// Runs `f` on a read connection (it sees committed data; a single statement that writes
    /// commits on its own).
    pub fn read<T>(&self, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite(s) => s.read(f),
            Backend::Pg(s) => s.read(f),
        }
    }

    /// Runs `f` atomically: its changes are committed (durably) only if it succeeds, and this
    /// returns only once they are.
    pub fn tx<T>(&self, f: impl FnMut(&Db<'_>) -> Result<T>) -> Result<T> {
        self.tx_with(Durability::Immediate, f)
    }

    /// Like [`Store::tx`], with the changes on disk as `durability` says.
    pub fn tx_with<T>(
        &self,
        durability: Durability,
        f: impl FnMut(&Db<'_>) -> Result<T>,
    ) -> Result<T> {
        let start = Instant::now();
        let result = match &self.backend {
            Backend::Sqlite(s) => s.tx(durability, f),
            Backend::Pg(s) => s.tx(durability, f),
        };
        crate::metrics::STORE_TX_DURATION.observe(&[], crate::metrics::seconds_since(start));
        result
    }

    /// The schema version.
    pub fn schema_version(&self) -> Result<u32> {
        match &self.backend {
            Backend::Sqlite(s) => {
                s.read(|db| db.as_sqlite().map_or(Ok(0), sqlite::schema::version))
            }
            Backend::Pg(s) => s.schema_version(),
        }
    }

    /// The SQL dialect of the store.
    pub fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Pg(_) => Dialect::Postgres,
        }
    }

    /// The store file, for a SQLite store.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Sqlite(s) => Some(s.path()),
            Backend::Pg(_) => None,
        }
    }
}

/// A read-only connection to a store, outside any [`Store`] (the vault follows the keyring
/// through one: it must not wait behind the writer).
pub struct Reader(ReaderConn);

enum ReaderConn {
    Sqlite(rusqlite::Connection),
    Pg(Box<db::PgPool>),
}

impl Reader {
    /// Opens a reader on the store at `store`.
    pub fn open(store: &Path) -> Result<Reader> {
        Ok(Reader(match Location::of(store) {
            Location::Sqlite(path) => {
                let c = rusqlite::Connection::open_with_flags(
                    path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )?;
                c.busy_timeout(std::time::Duration::from_secs(5))?;
                ReaderConn::Sqlite(c)
            }
            Location::Postgres(url) => ReaderConn::Pg(Box::new(db::PgPool::new(url)?)),
        }))
    }

    /// The store's schema version (0 for an empty file or database).
    pub fn schema_version(&self) -> Result<u32> {
        match &self.0 {
            ReaderConn::Sqlite(c) => sqlite::schema::version(c),
            ReaderConn::Pg(pool) => pool.with(|c| postgres::schema::version(&Db::postgres(c))),
        }
    }

    /// Runs `f` on the connection.
    pub fn read<T>(&self, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
        match &self.0 {
            ReaderConn::Sqlite(c) => f(&Db::sqlite(c)),
            ReaderConn::Pg(pool) => pool.with(|c| f(&Db::postgres(c))),
        }
    }
}

/// A store for one unit test: a SQLite file in a temporary folder, or a fresh PostgreSQL
/// database when `KMS_TEST_PG` is set (the test kit's `ScratchDb`, dropped with the test).
#[cfg(test)]
pub(crate) mod testing {
    use super::Store;
    use kms_testkit::ScratchDb;
    use std::path::PathBuf;

    /// What a test store lives in; the store is gone with it.
    pub(crate) struct Scratch {
        /// A temporary folder (the SQLite file, or other files of the test).
        pub(crate) dir: tempfile::TempDir,
        _pg: Option<ScratchDb>,
        /// The `store` setting.
        pub(crate) location: PathBuf,
    }

    /// A place for a new store; `Store::create(&s.location)` makes it.
    pub(crate) fn scratch() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let pg = ScratchDb::from_env();
        let location = match &pg {
            Some(db) => PathBuf::from(&db.url),
            None => dir.path().join("kms.db"),
        };
        Scratch {
            dir,
            _pg: pg,
            location,
        }
    }

    /// A new store.
    pub(crate) fn fresh() -> (Scratch, Store) {
        let s = scratch();
        let store = Store::create(&s.location).unwrap();
        (s, store)
    }
}

#[cfg(test)]
mod tests {
    use super::db::params;
    use super::*;
    use crate::error::Error;

    #[test]
    fn group_commit_keeps_each_writer_atomic() {
        let (_scratch, store) = testing::fresh();
        let store = std::sync::Arc::new(store);
        store
            .tx(|c| c.execute_batch("CREATE TABLE t (w BIGINT, i BIGINT)"))
            .unwrap();
        let threads: Vec<_> = (0..8)
            .map(|w: i64| {
                let store = store.clone();
                std::thread::spawn(move || {
                    let mut acknowledged = 0;
                    for i in 0..60i64 {
                        let r = store.tx(|c| {
                            c.execute("INSERT INTO t VALUES (?1, ?2)", params![w, i])?;
                            c.execute("INSERT INTO t VALUES (?1, ?2)", params![w, -i])?;
                            if i % 7 == 3 {
                                return Err(Error::DataInvalid);
                            }
                            Ok(())
                        });
                        acknowledged += usize::from(r.is_ok());
                    }
                    acknowledged
                })
            })
            .collect();
        let acknowledged: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        let count = |sql: &str| -> i64 {
            store
                .read(|c| c.query_one(sql, params![], |r| r.get(0)))
                .unwrap()
        };
        // Both rows of every acknowledged closure, none of a failed one.
        assert_eq!(acknowledged, 8 * (60 - 9));
        assert_eq!(count("SELECT COUNT(*) FROM t") as usize, 2 * acknowledged);
        assert_eq!(
            count("SELECT COUNT(*) FROM t WHERE i % 7 = 3 OR i % 7 = -3"),
            0
        );
    }

    #[test]
    fn replicas_starting_together_migrate_once() {
        let scratch = testing::scratch();
        if Location::of(&scratch.location) == Location::Sqlite(&scratch.location) {
            println!("PostgreSQL only (KMS_TEST_PG): SQLite stores are created by kmsd init");
            return;
        }
        let location = std::sync::Arc::new(scratch.location.clone());
        let starts: Vec<_> = (0..4)
            .map(|_| {
                let location = location.clone();
                std::thread::spawn(move || Store::open(&location).map(|s| s.schema_version()))
            })
            .collect();
        for s in starts {
            assert_eq!(s.join().unwrap().unwrap().unwrap(), LATEST_SCHEMA);
        }
        let s = Store::open(&scratch.location).unwrap();
        let steps: i64 = s
            .read(|c| {
                c.query_one("SELECT COUNT(*) FROM schema_version", params![], |r| {
                    r.get(0)
                })
            })
            .unwrap();
        assert_eq!(steps, i64::from(LATEST_SCHEMA));
    }

    #[test]
    fn create_then_open_keeps_schema_version() {
        let scratch = testing::scratch();
        let p = &scratch.location;
        drop(Store::create(p).unwrap());
        assert!(Store::create(p).is_err());
        let s = Store::open(p).unwrap();
        s.tx(|tx| tx.execute("INSERT INTO schema_version (version) VALUES (0)", params![]))
            .unwrap();
        assert_eq!(s.schema_version().unwrap(), LATEST_SCHEMA);
        if s.dialect() == Dialect::Postgres {
            println!("SQLite only from here: file modes and journal mode");
            return;
        }
        let dir = &scratch.dir;
        use std::os::unix::fs::PermissionsExt;
        for f in ["kms.db", "kms.db-wal", "kms.db-shm"] {
            let mode = std::fs::metadata(dir.path().join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{f} mode {mode:o}");
        }
        let mode: String = s
            .read(|c| c.query_one("PRAGMA journal_mode", params![], |r| r.get(0)))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
