//! Throwaway PostgreSQL databases for tests: when `KMS_TEST_PG` holds a PostgreSQL URL (a role
//! allowed to create databases), each test that asks gets a database of its own,
//! `kms_test_<random>`, dropped again when it ends.

use super::db::PgPool;
use crate::error::Result;

/// The variable naming the PostgreSQL server for tests.
pub const ENV: &str = "KMS_TEST_PG";

/// A database that lives as long as this value.
#[derive(Debug)]
pub struct ScratchDb {
    admin: String,
    name: String,
    /// The URL of the new database.
    pub url: String,
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

impl ScratchDb {
    /// A fresh database when `KMS_TEST_PG` is set, else `None`.
    pub fn from_env() -> Option<ScratchDb> {
        let admin = std::env::var(ENV).ok().filter(|v| !v.is_empty())?;
        Some(ScratchDb::create(&admin).unwrap_or_else(|e| panic!("{ENV}: {e}")))
    }

    /// Creates a fresh database on the server of `admin` (a URL).
    pub fn create(admin: &str) -> Result<ScratchDb> {
        let name = format!(
            "kms_test_{}",
            hex::encode(crate::crypto::rng::secret::<6>()?.as_ref())
        );
        PgPool::new(admin)?.with(|c| c.execute_batch(&format!("CREATE DATABASE {name}")))?;
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
        if let Err(e) = PgPool::new(&self.admin).and_then(|p| p.with(|c| c.execute_batch(&drop_db)))
        {
            eprintln!("dropping test database {}: {e}", self.name);
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
