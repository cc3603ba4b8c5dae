//! `idempotency` rows: (client identity, idempotency key) → the objects one creation made, so
//! that a retried creation returns them instead of creating again (`keys::idempotent`).
//!
//! Portable SQL only (`?n` placeholders, `ON CONFLICT … DO NOTHING`, TEXT and BIGINT columns):
//! the same statements must run on PostgreSQL.

use crate::error::Result;
use crate::store::db::{params, Db};

/// One remembered creation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// SHA-256 (hex) of what was asked: route, login session and body.
    pub fingerprint: String,
    /// The token the objects are on.
    pub token: String,
    /// The objects created, in answer order.
    pub object_ids: Vec<String>,
}

/// The unexpired entry of `key` for `principal`.
pub fn get(db: &Db<'_>, principal: &str, key: &str, now_ms: i64) -> Result<Option<Entry>> {
    db.query_opt(
        "SELECT fingerprint, token, object_ids FROM idempotency \
         WHERE principal = ?1 AND idem_key = ?2 AND expires_at > ?3",
        params![principal, key, now_ms],
        |r| {
            let ids: String = r.get(2)?;
            Ok(Entry {
                fingerprint: r.get(0)?,
                token: r.get(1)?,
                object_ids: ids.split(' ').map(str::to_owned).collect(),
            })
        },
    )
}

/// Remembers `entry` until `expires_ms`. Returns false, writing nothing, when an unexpired entry
/// of this key exists already (a concurrent request with the same key got there first).
pub fn insert(
    db: &Db<'_>,
    principal: &str,
    key: &str,
    entry: &Entry,
    now_ms: i64,
    expires_ms: i64,
) -> Result<bool> {
    db.execute(
        "DELETE FROM idempotency WHERE principal = ?1 AND idem_key = ?2 AND expires_at <= ?3",
        params![principal, key, now_ms],
    )?;
    let written = db.execute(
        "INSERT INTO idempotency \
         (principal, idem_key, fingerprint, token, object_ids, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (principal, idem_key) DO NOTHING",
        params![
            principal,
            key,
            entry.fingerprint,
            entry.token,
            entry.object_ids.join(" "),
            now_ms,
            expires_ms
        ],
    )?;
    Ok(written == 1)
}

/// Deletes expired entries; returns how many.
pub fn sweep(db: &Db<'_>, now_ms: i64) -> Result<usize> {
    db.execute(
        "DELETE FROM idempotency WHERE expires_at <= ?1",
        params![now_ms],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_writer_wins_and_expired_entries_give_way() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::create(&dir.path().join("kms.db")).unwrap();
        let entry = |fp: &str| Entry {
            fingerprint: fp.into(),
            token: "t".into(),
            object_ids: vec!["a".into(), "b".into()],
        };
        store
            .tx(|c| {
                assert!(insert(c, "cn=x", "k", &entry("1"), 100, 200)?);
                assert!(!insert(c, "cn=x", "k", &entry("2"), 150, 300)?);
                assert!(insert(c, "cn=y", "k", &entry("3"), 150, 300)?);
                assert_eq!(get(c, "cn=x", "k", 150)?, Some(entry("1")));
                assert_eq!(get(c, "cn=x", "k", 200)?, None);
                assert!(insert(c, "cn=x", "k", &entry("4"), 250, 400)?);
                assert_eq!(get(c, "cn=x", "k", 260)?, Some(entry("4")));
                assert_eq!(sweep(c, 300)?, 1);
                assert_eq!(get(c, "cn=y", "k", 0)?, None);
                Ok(())
            })
            .unwrap();
    }
}
