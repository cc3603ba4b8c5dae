//! The `store` setting and the durability settings of the store: where it lives (a SQLite file or
//! a PostgreSQL URL) and when a commit must be on disk.

use crate::error::{Error, Result};
use std::path::Path;
use std::time::Duration;

/// When a transaction's changes must be on disk (`[audit] key_use_durability` for key uses).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// Before the transaction returns: every change, and by default every key use.
    #[default]
    Immediate,
    /// Committed before the transaction returns (every reader sees it, a kmsd crash keeps it)
    /// and on disk soon after: within the flush interval on SQLite, within PostgreSQL's
    /// `wal_writer_delay` (×3 at worst) there. A power loss or an operating-system crash can
    /// lose that window's commits — always whole transactions, never a part of one.
    Deferred,
}

/// How long a SQLite store may keep deferred commits off the disk, unless configured.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_millis(10);

/// Where a store lives, as the `store` setting says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location<'a> {
    /// A SQLite file.
    Sqlite(&'a Path),
    /// A PostgreSQL URL (`postgres://user@host:port/db`).
    Postgres(&'a str),
}

impl<'a> Location<'a> {
    /// Reads the `store` setting.
    pub fn of(store: &'a Path) -> Location<'a> {
        match store.to_str() {
            Some(url) if is_postgres_url(url) => Location::Postgres(url),
            _ => Location::Sqlite(store),
        }
    }

    /// The store for messages: the file, or the URL without its password.
    pub fn describe(self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(url) => without_password(url),
        }
    }

    /// The SQLite file, or an error naming `what` as a SQLite-only operation and pg_dump as the
    /// way on PostgreSQL.
    pub fn sqlite_file(self, what: &str) -> Result<&'a Path> {
        match self {
            Location::Sqlite(p) => Ok(p),
            Location::Postgres(_) => Err(Error::Config(format!(
                "{what} works on a SQLite store only; on PostgreSQL use the database's own \
                 tools (pg_dump / pg_restore, or continuous archiving)"
            ))),
        }
    }
}

/// `postgres://user:secret@host/db` as `postgres://user:***@host/db`.
fn without_password(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[start..].find('/').map_or(url.len(), |i| start + i);
    match url[start..authority_end].rfind('@') {
        Some(at) => match url[start..start + at].find(':') {
            Some(colon) => format!("{}:***{}", &url[..start + colon], &url[start + at..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Whether a `store` setting is a PostgreSQL URL.
pub fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls_are_described_without_password() {
        let d = |s: &str| Location::of(Path::new(s)).describe();
        assert_eq!(
            d("postgres://kms:s3cret@h:5/db"),
            "postgres://kms:***@h:5/db"
        );
        assert_eq!(d("postgres://kms@h/db"), "postgres://kms@h/db");
        assert_eq!(d("/var/lib/kms/kms.db"), "/var/lib/kms/kms.db");
    }
}
