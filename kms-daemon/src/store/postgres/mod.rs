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
pub mod tls;

use super::db::Db;
use crate::config::store::Durability;
use crate::error::{Error, Result};
use conn::{PgConn, PgPool};
use std::time::Duration;

/// How many times a transaction runs when PostgreSQL keeps rolling it back for a conflict.
const ATTEMPTS: u32 = 5;
/// The pause before the second attempt; it doubles with each further one (plus up to as much
/// again at random, so that two conflicting transactions do not meet again).
const FIRST_PAUSE: Duration = Duration::from_millis(2);

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

    /// Runs `f` in one transaction: committed if it succeeds, rolled back if it fails. A
    /// transaction PostgreSQL rolled back for a conflict with another (serialization failure
    /// 40001, deadlock 40P01) runs again, up to [`ATTEMPTS`] times in all, after a short
    /// randomized pause; `f` must therefore change nothing but the database.
    pub(super) fn tx<T>(
        &self,
        durability: Durability,
        mut f: impl FnMut(&Db<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut pause = FIRST_PAUSE;
        let mut attempt = 1;
        loop {
            let mut conflict = false;
            let out = self.pool.with(|c| {
                c.forget_failure();
                let out = in_transaction(c, durability, &mut f);
                conflict = out.is_err() && c.lost_a_conflict();
                out
            });
            if !conflict || attempt == ATTEMPTS {
                return out;
            }
            crate::metrics::STORE_RETRIES.inc(&[]);
            std::thread::sleep(pause + pause.mul_f64(jitter()));
            pause *= 2;
            attempt += 1;
        }
    }

    /// The schema version of the database.
    pub(super) fn schema_version(&self) -> Result<u32> {
        self.pool.with(|c| schema::version(&Db::postgres(c)))
    }
}

/// A number in [0, 1), from the operating system's random source.
fn jitter() -> f64 {
    let mut b = [0u8; 2];
    match crate::crypto::rng::fill(&mut b) {
        Ok(()) => f64::from(u16::from_le_bytes(b)) / 65536.0,
        Err(_) => 0.5,
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

#[cfg(test)]
mod tests {
    use super::ATTEMPTS;
    use crate::store::{testing, Dialect, Store};
    use std::sync::Barrier;

    /// A fresh store on PostgreSQL, or None (the test is counted as skipped) on SQLite.
    fn on_postgres() -> Option<(testing::Scratch, Store)> {
        let (scratch, store) = testing::fresh();
        if store.dialect() == Dialect::Postgres {
            Some((scratch, store))
        } else {
            kms_testkit::skipped("PostgreSQL's conflict retries (set KMS_TEST_PG)");
            None
        }
    }

    fn raise(state: &str) -> String {
        format!("DO $$ BEGIN RAISE EXCEPTION 'probe' USING ERRCODE = '{state}'; END $$")
    }

    fn rows(store: &Store) -> i64 {
        store
            .read(|db| db.query_one("SELECT count(*) FROM probe", &[], |r| r.get(0)))
            .unwrap()
    }

    #[test]
    fn a_transaction_rolled_back_for_a_conflict_runs_again_a_bounded_number_of_times() {
        let Some((_scratch, store)) = on_postgres() else {
            return;
        };
        store
            .tx(|db| db.execute_batch("CREATE TABLE probe (n integer)"))
            .unwrap();
        // Two serialization failures, then success: three runs, one row (the lost runs' rows
        // were rolled back with them).
        let mut runs = 0;
        store
            .tx(|db| {
                runs += 1;
                db.execute_batch("INSERT INTO probe VALUES (1)")?;
                if runs < 3 {
                    db.execute_batch(&raise("40001"))?;
                }
                Ok(())
            })
            .unwrap();
        assert_eq!((runs, rows(&store)), (3, 1));
        // A deadlock every time: ATTEMPTS runs, then the error, nothing written.
        let mut runs = 0;
        let e = store
            .tx(|db| {
                runs += 1;
                db.execute_batch("INSERT INTO probe VALUES (2)")?;
                db.execute_batch(&raise("40P01"))
            })
            .unwrap_err();
        assert_eq!(runs, ATTEMPTS, "{e}");
        assert_eq!(rows(&store), 1);
        // Any other failure is final at once.
        let mut runs = 0;
        store
            .tx(|db| {
                runs += 1;
                db.execute_batch(&raise("23505"))
            })
            .unwrap_err();
        assert_eq!(runs, 1);
    }

    #[test]
    fn two_transactions_that_deadlock_both_commit() {
        let Some((_scratch, store)) = on_postgres() else {
            return;
        };
        store
            .tx(|db| {
                db.execute_batch(
                    "CREATE TABLE probe (id integer PRIMARY KEY, n integer);
                     INSERT INTO probe VALUES (1, 0), (2, 0)",
                )
            })
            .unwrap();
        // Each locks one row, waits for the other to hold its row, then asks for the other's:
        // PostgreSQL breaks the deadlock by rolling one back (40P01), which runs again.
        let both_hold_one = Barrier::new(2);
        let runs: Vec<u32> = std::thread::scope(|s| {
            let workers: Vec<_> = [(1, 2), (2, 1)]
                .into_iter()
                .map(|(first, second)| {
                    let (store, both_hold_one) = (&store, &both_hold_one);
                    s.spawn(move || {
                        let mut runs = 0;
                        store
                            .tx(|db| {
                                runs += 1;
                                let bump = |id: i32| {
                                    db.execute_batch(&format!(
                                        "UPDATE probe SET n = n + 1 WHERE id = {id}"
                                    ))
                                };
                                bump(first)?;
                                if runs == 1 {
                                    both_hold_one.wait();
                                }
                                bump(second)
                            })
                            .unwrap();
                        runs
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        assert_eq!(
            runs.iter().sum::<u32>(),
            3,
            "one of them ran twice: {runs:?}"
        );
        let counts: Vec<i64> = store
            .read(|db| db.query_all("SELECT n FROM probe ORDER BY id", &[], |r| r.get(0)))
            .unwrap();
        assert_eq!(counts, [2, 2]);
    }
}
