//! The PostgreSQL backend: any number of kmsd replicas over one database.
//!
//! Each [`PgStore::tx`] is one PostgreSQL transaction (READ COMMITTED) on a pooled connection;
//! correctness under concurrency comes from explicit locks and constraints, not from
//! SERIALIZABLE: audit appends take a transaction-scoped advisory lock before reading the end of
//! the chain ([`crate::audit`]), counters are changed by single `UPDATE … RETURNING` statements,
//! rows are unique by their primary keys. There is no group commit here (PostgreSQL batches
//! commits itself) and no audit-head file (that guards a SQLite file against tail truncation; on
//! PostgreSQL the chain is protected by the database's own access control and the append-only
//! trigger).

pub mod conn;
pub(super) mod schema;

use super::db::Db;
use crate::config::store::Durability;
use crate::error::{Error, Result};
use conn::{PgConn, PgPool};

/// A PostgreSQL store.
#[derive(Debug)]
pub(super) struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects and brings the schema up to date. With `create`, a database that already holds
    /// a kmsd store is refused (as `kmsd init` refuses an existing SQLite file).
    pub(super) fn open(url: &str, create: bool) -> Result<PgStore> {
        let pool = PgPool::new(url)?;
        let before = pool.with(schema::migrate)?;
        if create && before > 0 {
            return Err(Error::Config(format!(
                "PostgreSQL database {} already holds a kmsd store",
                pool.dbname()
            )));
        }
        Ok(PgStore { pool })
    }

    /// Runs `f` outside a transaction (each statement commits on its own).
    pub(super) fn read<T>(&self, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
        self.pool.with(|c| f(&Db::postgres(c)))
    }

    /// Runs `f` in one transaction: committed if it succeeds, rolled back if it fails.
    pub(super) fn tx<T>(
        &self,
        durability: Durability,
        f: impl FnOnce(&Db<'_>) -> Result<T>,
    ) -> Result<T> {
        self.pool.with(|c| in_transaction(c, durability, f))
    }

    /// The schema version of the database.
    pub(super) fn schema_version(&self) -> Result<u32> {
        self.pool.with(|c| schema::version(&Db::postgres(c)))
    }
}

fn in_transaction<T>(
    c: &mut PgConn,
    durability: Durability,
    f: impl FnOnce(&Db<'_>) -> Result<T>,
) -> Result<T> {
    match durability {
        Durability::Immediate => c.execute_batch("BEGIN")?,
        // The commit returns before its WAL record is flushed; the WAL writer flushes it soon
        // after, and any later synchronous commit flushes it with its own.
        Durability::Deferred => c.execute_batch("BEGIN; SET LOCAL synchronous_commit = off")?,
    }
    let out = f(&Db::postgres(c));
    match out {
        Ok(v) => c.execute_batch("COMMIT").map(|()| v),
        Err(e) => {
            // A broken connection is dropped by the pool; the server rolls back on its own.
            let _ = c.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}
