//! Login sessions (security R16, R17): the bearer secret a login hands out, stored only as its
//! SHA-256, resolved on every request — bound to the identity and token that logged in, ended
//! by the idle timeout — and the cap on live sessions per identity.

use super::Caller;
use crate::clock::now_ms;
use crate::config::AuthConfig;
use crate::crypto::sha256;
use crate::error::{Error, Result};
use crate::state::Services;
use crate::store::sessions;
use crate::store::Db;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kms_api::msg::UserType;
use zeroize::Zeroizing;

/// The idle timeout in milliseconds.
fn idle_ms(auth: &AuthConfig) -> i64 {
    i64::try_from(auth.session_idle_timeout_secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// `session_limit` unless `identity` holds fewer live login sessions (on any token) than
/// `[limits] max_sessions_per_identity`.
pub(super) fn session_room(svc: &Services, conn: &Db<'_>, identity: &str) -> Result<()> {
    let since = now_ms().saturating_sub(idle_ms(&svc.auth));
    let live = sessions::count_live(conn, identity, since)?;
    if svc.limits.session_room(live) {
        Ok(())
    } else {
        Err(Error::SessionLimit)
    }
}

/// The SHA-256 of the caller's bearer secret, if it sent one.
pub(super) fn bearer_hash(caller: &Caller) -> Result<Option<[u8; 32]>> {
    let Some(b) = &caller.bearer else {
        return Ok(None);
    };
    let raw = Zeroizing::new(
        STANDARD
            .decode(b.as_bytes())
            .map_err(|_| Error::Unauthenticated)?,
    );
    Ok(Some(sha256(&raw)))
}

/// The login the caller's bearer token holds on `token`: `None` without a bearer token;
/// `unauthenticated` for an unknown or expired one, or one of another identity or token.
pub fn resolve(
    conn: &Db<'_>,
    auth: &AuthConfig,
    caller: &Caller,
    token: &str,
) -> Result<Option<UserType>> {
    let Some(h) = bearer_hash(caller)? else {
        return Ok(None);
    };
    let row = sessions::get(conn, &h)?.ok_or(Error::Unauthenticated)?;
    if row.identity != caller.identity || row.token != token {
        return Err(Error::Unauthenticated);
    }
    let now = now_ms();
    let idle_ms = idle_ms(auth);
    if now.saturating_sub(row.last_seen) > idle_ms {
        sessions::delete(conn, &h)?;
        return Err(Error::Unauthenticated);
    }
    // `last_seen` moves in steps of an eighth of the idle timeout (at most 30 s): a use is not
    // worth a write, and a session expires at most that much early.
    if now.saturating_sub(row.last_seen) >= (idle_ms / 8).min(30_000) {
        sessions::touch(conn, &h, now)?;
    }
    Ok(Some(row.user_type))
}
