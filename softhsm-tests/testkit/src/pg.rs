//! Stores in PostgreSQL for tests: when `KMS_TEST_PG` ([`PG_ENV`]) holds a PostgreSQL URL (a
//! role allowed to create databases, e.g. `postgres://kms@127.0.0.1:55432/postgres` as `.ci/run`
//! sets it), each store a test asks for is a database of its own there, `kms_test_<random>`;
//! without it (or with it empty), stores are SQLite files.

use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The variable naming the PostgreSQL server for tests' stores.
pub const PG_ENV: &str = "KMS_TEST_PG";

/// The server URL of [`PG_ENV`], when set and not empty.
fn server() -> Option<String> {
    std::env::var(PG_ENV).ok().filter(|v| !v.is_empty())
}

/// Whether stores are in PostgreSQL in this run ([`PG_ENV`]).
pub fn on_postgres() -> bool {
    server().is_some()
}

/// [`on_postgres`] for a test that is SQLite by nature (the store file itself): prints that
/// `test` skips, and `why`, when it is.
pub fn skip_on_postgres(test: &str, why: &str) -> bool {
    let pg = on_postgres();
    if pg {
        crate::skipped(&format!("{test}: on PostgreSQL: {why}"));
    }
    pg
}

/// A database that lives as long as this value (dropped with `DROP DATABASE … WITH (FORCE)`).
#[derive(Debug)]
pub struct ScratchDb {
    admin: String,
    name: String,
    /// The URL of the new database.
    pub url: String,
}

impl ScratchDb {
    /// A fresh database when [`PG_ENV`] is set, else `None`; panics when it cannot be made.
    pub fn from_env() -> Option<ScratchDb> {
        let admin = server()?;
        Some(ScratchDb::create(&admin).unwrap_or_else(|e| panic!("{PG_ENV}: {e}")))
    }

    /// Creates a fresh database on the server of `admin` (a URL whose role may create
    /// databases).
    pub fn create(admin: &str) -> Result<ScratchDb, postgres::Error> {
        // A random name: the process's randomly keyed hasher, fresh for each call.
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let name = format!("kms_test_{:012x}", random & 0xffff_ffff_ffff);
        postgres::Client::connect(admin, postgres::NoTls)?
            .batch_execute(&format!("CREATE DATABASE {name}"))?;
        Ok(ScratchDb {
            admin: admin.to_owned(),
            url: with_dbname(admin, &name),
            name,
        })
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        let drop_db = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = postgres::Client::connect(&self.admin, postgres::NoTls)
            .and_then(|mut c| c.batch_execute(&drop_db))
        {
            eprintln!("dropping test database {}: {e}", self.name);
        }
    }
}

/// `url` with its database name replaced by `db`.
fn with_dbname(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{db}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// The store (kmsd's `store` setting) of a test's quick-start directory `dir`: `dir/kms.db`, or,
/// on PostgreSQL, a [`ScratchDb`] of its own, the same for every call with that `dir` (a
/// restarted kmsd, a tool run beside it, find it again). Those databases outlive the test: CI's
/// cluster is thrown away after the run.
pub fn store_location(dir: &Path) -> PathBuf {
    static DATABASES: Mutex<Vec<(PathBuf, ScratchDb)>> = Mutex::new(Vec::new());
    if !on_postgres() {
        return dir.join("kms.db");
    }
    let mut dbs = DATABASES.lock().expect("scratch databases");
    if let Some((_, db)) = dbs.iter().find(|(d, _)| d == dir) {
        return PathBuf::from(&db.url);
    }
    let db = ScratchDb::from_env().expect("KMS_TEST_PG");
    let url = PathBuf::from(&db.url);
    dbs.push((dir.to_path_buf(), db));
    url
}

/// Holds the store of a quick-start directory (`store_location(dir)`) so that a request that
/// writes to it — a login, say — waits inside kmsd until the returned value is dropped: the
/// SQLite write lock (kmsd waits up to its 5 s busy timeout), or on PostgreSQL the row of token
/// `token`. For tests that need requests in flight.
pub fn hold_store(dir: &Path, token: &str) -> Box<dyn std::any::Any> {
    let at = store_location(dir);
    match at.to_str().filter(|s| s.starts_with("postgres://")) {
        Some(url) => {
            let mut c = postgres::Client::connect(url, postgres::NoTls).expect("connect");
            c.batch_execute(&format!(
                "BEGIN; SELECT 1 FROM tokens WHERE label = '{token}' FOR UPDATE;"
            ))
            .expect("lock the token row");
            Box::new(c)
        }
        None => {
            let c = rusqlite::Connection::open(&at).expect("open the store");
            c.execute_batch("BEGIN IMMEDIATE;")
                .expect("take the write lock");
            Box::new(c)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_dbname;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_dbname("postgres://kms@127.0.0.1:5432/postgres", "x"),
            "postgres://kms@127.0.0.1:5432/x"
        );
        assert_eq!(with_dbname("postgres://kms@h", "x"), "postgres://kms@h/x");
        assert_eq!(
            with_dbname("postgresql://kms@h/db?host=/run/postgresql", "x"),
            "postgresql://kms@h/x?host=/run/postgresql"
        );
    }
}
