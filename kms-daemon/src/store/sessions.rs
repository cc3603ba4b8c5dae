//! `login_sessions` rows: bearer tokens stored only as SHA-256, bound to token, identity and user
//! type.

use crate::error::Result;
use crate::store::db::{params, Db};
use kms_api::msg::UserType;

/// One login session.
#[derive(Clone, Debug)]
pub struct SessionRow {
    /// Token label.
    pub token: String,
    /// Client identity that logged in.
    pub identity: String,
    /// Who logged in.
    pub user_type: UserType,
    /// Last use, ms since the epoch.
    pub last_seen: i64,
}

fn user_type_str(u: UserType) -> &'static str {
    match u {
        UserType::User => "user",
        UserType::So => "so",
    }
}

/// Inserts a session.
pub fn insert(db: &Db<'_>, id_hash: &[u8], s: &SessionRow) -> Result<()> {
    db.execute(
        "INSERT INTO login_sessions (id_hash, token, identity, user_type, created_at, last_seen) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![
            id_hash,
            s.token,
            s.identity,
            user_type_str(s.user_type),
            s.last_seen
        ],
    )?;
    Ok(())
}

/// The session with this hash.
pub fn get(db: &Db<'_>, id_hash: &[u8]) -> Result<Option<SessionRow>> {
    db.query_opt(
        "SELECT token, identity, user_type, last_seen FROM login_sessions WHERE id_hash = ?1",
        params![id_hash],
        |r| {
            let ut: String = r.get(2)?;
            Ok(SessionRow {
                token: r.get(0)?,
                identity: r.get(1)?,
                user_type: if ut == "so" {
                    UserType::So
                } else {
                    UserType::User
                },
                last_seen: r.get(3)?,
            })
        },
    )
}

/// How many login sessions whose `column` is `value` were used at or after `since_ms`.
fn count_live_where(db: &Db<'_>, column: &str, value: &str, since_ms: i64) -> Result<u64> {
    let n: i64 = db.query_one(
        &format!("SELECT count(*) FROM login_sessions WHERE {column} = ?1 AND last_seen >= ?2"),
        params![value, since_ms],
        |r| r.get(0),
    )?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// How many login sessions of `identity` (on any token) were used at or after `since_ms`.
pub fn count_live(db: &Db<'_>, identity: &str, since_ms: i64) -> Result<u64> {
    count_live_where(db, "identity", identity, since_ms)
}

/// Records a use.
pub fn touch(db: &Db<'_>, id_hash: &[u8], now_ms: i64) -> Result<()> {
    db.execute(
        "UPDATE login_sessions SET last_seen = ?2 WHERE id_hash = ?1",
        params![id_hash, now_ms],
    )?;
    Ok(())
}

/// Deletes a session; returns whether it existed.
pub fn delete(db: &Db<'_>, id_hash: &[u8]) -> Result<bool> {
    Ok(db.execute(
        "DELETE FROM login_sessions WHERE id_hash = ?1",
        params![id_hash],
    )? > 0)
}

/// Deletes sessions idle since before `cutoff_ms`.
pub fn purge_idle(db: &Db<'_>, cutoff_ms: i64) -> Result<usize> {
    db.execute(
        "DELETE FROM login_sessions WHERE last_seen < ?1",
        params![cutoff_ms],
    )
}

/// Ends every login session of a token; returns how many.
pub fn delete_for_token(db: &Db<'_>, token: &str) -> Result<usize> {
    db.execute(
        "DELETE FROM login_sessions WHERE token = ?1",
        params![token],
    )
}

/// Ends every login session of a token whose identity is not in `keep`; returns how many.
pub fn delete_for_token_except(db: &Db<'_>, token: &str, keep: &[String]) -> Result<usize> {
    let live: Vec<(Vec<u8>, String)> = db.query_all(
        "SELECT id_hash, identity FROM login_sessions WHERE token = ?1",
        params![token],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut ended = 0;
    for (id_hash, identity) in live {
        if !keep.contains(&identity) {
            ended += usize::from(delete(db, &id_hash)?);
        }
    }
    Ok(ended)
}

/// How many login sessions of `token` were used at or after `since_ms` (any identity).
pub fn count_live_on_token(db: &Db<'_>, token: &str, since_ms: i64) -> Result<u64> {
    count_live_where(db, "token", token, since_ms)
}

/// Ends every SO login session of a token; returns how many.
pub fn delete_so_for_token(db: &Db<'_>, token: &str) -> Result<usize> {
    db.execute(
        "DELETE FROM login_sessions WHERE token = ?1 AND user_type = 'so'",
        params![token],
    )
}
