//! PIN login, logout and bearer-session resolution (security R15, R16, R17).
//!
//! Login order: PIN length; SO only for identities in `so_identities`; then, in its own committed
//! transaction, the failure counter is checked (already at the limit → `pin_locked` without
//! looking at the PIN) and incremented; only then is the PIN compared (argon2id, no lock held).
//! Success resets the counter and creates the session in one transaction with its audit record.
//! `C_SetPIN` checks the old PIN the same way; `C_InitPIN` needs an SO session.
//!
//! An identity holds at most `[limits] max_sessions_per_identity` live login sessions: a login
//! beyond that is refused with `session_limit` before the PIN is looked at (so it neither costs
//! an argon2 run nor counts as a PIN failure), and checked again in the transaction that creates
//! the session, so that concurrent logins cannot exceed it.

use super::{pin, Caller};
use crate::audit;
use crate::clock::now_ms;
use crate::config::AuthConfig;
use crate::crypto::{rng, sha256};
use crate::error::{Error, Result};
use crate::state::Services;
use crate::store::Db;
use crate::store::{sessions, tokens};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kms_api::msg::{
    InitPinRequest, LoginRequest, LoginResponse, SetPinRequest, TokenInfo, UserType,
};
use kms_api::SecretBytes;
use zeroize::Zeroizing;

/// `POST /v1/tokens/{token}/login`.
pub fn login(
    svc: &Services,
    caller: &Caller,
    token: &str,
    req: &LoginRequest,
) -> Result<LoginResponse> {
    let ev = caller.event(Some(token), "login");
    audit::audited(&svc.store, ev, |ev| {
        login_inner(svc, caller, token, req.user_type, req.pin.as_ref(), ev)
    })
}

/// Checks `pin_bytes` against the PIN of `user_type` exactly as a login does: SO only for
/// identities in `so_identities`; then, in its own committed transaction, the durable failure
/// counter is checked (already at the limit → `pin_locked` without looking at the PIN) and
/// incremented; only then is the PIN compared (argon2id, no lock held). An unknown token costs
/// one argon2 run too. On success the counter is still incremented: the caller resets it in the
/// transaction of its change.
pub(crate) fn check_pin(
    svc: &Services,
    caller: &Caller,
    token: &str,
    user_type: UserType,
    pin_bytes: &[u8],
) -> Result<()> {
    if user_type == UserType::So && !svc.auth.so_identities.contains(&caller.identity) {
        return Err(Error::UserTypeInvalid);
    }
    let max = svc.auth.max_pin_failures;
    let counted = svc.store.tx(|tx| {
        let Some(row) = tokens::get_locked(tx, token)? else {
            return Ok(None);
        };
        if row.failures(user_type) >= max {
            return Ok(Some(Err(Error::PinLocked)));
        }
        let Some(hash) = row.pin_hash(user_type).map(str::to_owned) else {
            return Ok(Some(Err(Error::UserPinNotInitialized)));
        };
        let n = tokens::add_failure(tx, token, user_type)?;
        Ok(Some(Ok((hash, n))))
    })?;
    let (hash, failures) = match counted {
        None => {
            pin::burn(pin_bytes);
            return Err(Error::TokenNotFound);
        }
        Some(r) => r?,
    };
    if !pin::verify(pin_bytes, &hash) {
        if failures == max {
            let who = match user_type {
                UserType::User => "user",
                UserType::So => "so",
            };
            crate::metrics::PIN_LOCKOUTS.inc(&[token, who]);
        }
        return Err(if failures >= max {
            Error::PinLocked
        } else {
            Error::PinIncorrect
        });
    }
    Ok(())
}

fn login_inner(
    svc: &Services,
    caller: &Caller,
    token: &str,
    user_type: UserType,
    pin_bytes: &[u8],
    ev: &audit::Event,
) -> Result<LoginResponse> {
    pin::check_len(pin_bytes)?;
    svc.store
        .read(|conn| session_room(svc, conn, &caller.identity))?;
    check_pin(svc, caller, token, user_type, pin_bytes)?;
    let secret = rng::secret::<32>()?;
    let id_hash = sha256(secret.as_ref());
    let row = sessions::SessionRow {
        token: token.to_owned(),
        identity: caller.identity.clone(),
        user_type,
        last_seen: now_ms(),
    };
    // The PIN was right: its failure counter is reset even when the limit refuses the session.
    let created = svc.store.tx(|tx| {
        tokens::reset_failures(tx, token, user_type)?;
        match session_room(svc, tx, &caller.identity) {
            Err(Error::SessionLimit) => return Ok(false),
            other => other?,
        }
        sessions::insert(tx, &id_hash, &row)?;
        audit::append(tx, ev)?;
        Ok(true)
    })?;
    if !created {
        return Err(Error::SessionLimit);
    }
    Ok(LoginResponse {
        session: SecretBytes(Zeroizing::new(secret.to_vec())),
        idle_timeout_secs: svc.auth.session_idle_timeout_secs,
    })
}

/// The idle timeout in milliseconds.
fn idle_ms(auth: &AuthConfig) -> i64 {
    i64::try_from(auth.session_idle_timeout_secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// `session_limit` unless `identity` holds fewer live login sessions (on any token) than
/// `[limits] max_sessions_per_identity`.
fn session_room(svc: &Services, conn: &Db<'_>, identity: &str) -> Result<()> {
    let since = now_ms().saturating_sub(idle_ms(&svc.auth));
    let live = sessions::count_live(conn, identity, since)?;
    if svc.limits.session_room(live) {
        Ok(())
    } else {
        Err(Error::SessionLimit)
    }
}

fn bearer_hash(caller: &Caller) -> Result<Option<[u8; 32]>> {
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

/// `POST /v1/tokens/{token}/logout`.
pub fn logout(svc: &Services, caller: &Caller, token: &str) -> Result<()> {
    let ev = caller.event(Some(token), "logout");
    audit::audited(&svc.store, ev, |ev| {
        svc.store.tx(|tx| {
            if resolve(tx, &svc.auth, caller, token)?.is_none() {
                return Err(Error::UserNotLoggedIn);
            }
            if let Some(h) = bearer_hash(caller)? {
                sessions::delete(tx, &h)?;
            }
            audit::append(tx, ev)?;
            Ok(())
        })
    })
}

/// `POST /v1/tokens/{token}/set-pin` (C_SetPIN): with a bearer session, changes the PIN of that
/// session's user type; without one, the user PIN. The old PIN is checked like a login (counted
/// first, same lockout and codes); on success the new hash is stored and the counter reset in
/// one transaction with the audit record `pin.set`.
pub fn set_pin(svc: &Services, caller: &Caller, token: &str, req: &SetPinRequest) -> Result<()> {
    let ev = caller.event(Some(token), "pin.set");
    audit::audited(&svc.store, ev, |ev| {
        set_pin_inner(svc, caller, token, req, ev)
    })
}

fn user_type_name(u: UserType) -> &'static str {
    match u {
        UserType::User => "user_type=user",
        UserType::So => "user_type=so",
    }
}

fn set_pin_inner(
    svc: &Services,
    caller: &Caller,
    token: &str,
    req: &SetPinRequest,
    ev: &mut audit::Event,
) -> Result<()> {
    let (old, new) = (req.old_pin.as_ref(), req.new_pin.as_ref());
    pin::check_len(old)?;
    pin::check_len(new)?;
    let session = match svc.store.read(|conn| {
        if tokens::get(conn, token)?.is_none() {
            return Ok(None);
        }
        resolve(conn, &svc.auth, caller, token).map(Some)
    })? {
        Some(s) => s,
        None => {
            pin::burn(old);
            return Err(Error::TokenNotFound);
        }
    };
    let user_type = session.unwrap_or(UserType::User);
    ev.detail = Some(user_type_name(user_type).to_owned());
    check_pin(svc, caller, token, user_type, old)?;
    let hash = pin::hash(new)?;
    svc.store.tx(|tx| {
        // The session used to pick the user type must still be the caller's.
        if session.is_some() && resolve(tx, &svc.auth, caller, token)? != session {
            return Err(Error::Unauthenticated);
        }
        tokens::set_pin_hash(tx, token, user_type, &hash)?;
        audit::append(tx, ev)?;
        Ok(())
    })
}

/// `POST /v1/tokens/{token}/init-pin` (C_InitPIN): the SO (a bearer session of user type SO on
/// this token) sets the user PIN; this also resets the user's failure counter, which is how a
/// locked user is unlocked. Existing user sessions stay valid. Audit record `pin.init`.
pub fn init_pin(svc: &Services, caller: &Caller, token: &str, req: &InitPinRequest) -> Result<()> {
    let ev = caller.event(Some(token), "pin.init");
    audit::audited(&svc.store, ev, |ev| {
        init_pin_inner(svc, caller, token, req, ev)
    })
}

/// Whether the caller holds an SO session on `token` (token not found → `token_not_found`).
fn so_logged_in(svc: &Services, conn: &Db<'_>, caller: &Caller, token: &str) -> Result<bool> {
    tokens::get(conn, token)?.ok_or(Error::TokenNotFound)?;
    Ok(
        resolve(conn, &svc.auth, caller, token)? == Some(UserType::So)
            && svc.auth.so_identities.contains(&caller.identity),
    )
}

fn init_pin_inner(
    svc: &Services,
    caller: &Caller,
    token: &str,
    req: &InitPinRequest,
    ev: &audit::Event,
) -> Result<()> {
    if !svc
        .store
        .read(|conn| so_logged_in(svc, conn, caller, token))?
    {
        return Err(Error::UserNotLoggedIn);
    }
    let new = req.pin.as_ref();
    pin::check_len(new)?;
    let hash = pin::hash(new)?;
    svc.store.tx(|tx| {
        if !so_logged_in(svc, tx, caller, token)? {
            return Err(Error::UserNotLoggedIn);
        }
        tokens::set_pin_hash(tx, token, UserType::User, &hash)?;
        audit::append(tx, ev)?;
        Ok(())
    })
}

/// What `GET /v1/tokens` shows for one token.
pub fn token_info(row: &tokens::TokenRow, max: u32) -> TokenInfo {
    let flags = |n: u32| (n > 0, n + 1 == max, n >= max);
    let (user_low, user_final, user_locked) = flags(row.user_failures);
    let (so_low, so_final, so_locked) = flags(row.so_failures);
    TokenInfo {
        label: row.label.clone(),
        serial: row.serial.clone(),
        user_pin_initialized: row.user_pin_hash.is_some(),
        user_pin_count_low: user_low,
        user_pin_final_try: user_final,
        user_pin_locked: user_locked,
        so_pin_count_low: so_low,
        so_pin_final_try: so_final,
        so_pin_locked: so_locked,
        min_pin_len: pin::MIN_PIN_LEN as u64,
        max_pin_len: pin::MAX_PIN_LEN as u64,
    }
}

/// Every token.
pub fn list_tokens(svc: &Services) -> Result<Vec<TokenInfo>> {
    let rows = svc.store.read(tokens::list)?;
    Ok(rows
        .iter()
        .map(|r| token_info(r, svc.auth.max_pin_failures))
        .collect())
}

/// Creates a token with both PINs (CLI: `kmsd token create`, `kmsd quickstart`).
pub fn create_token(
    store: &crate::store::Store,
    label: &str,
    user_pin: &[u8],
    so_pin: &[u8],
) -> Result<tokens::TokenRow> {
    if label.is_empty() || label.len() > 32 {
        return Err(Error::BadRequest("a token label has 1 to 32 bytes".into()));
    }
    let row = tokens::TokenRow {
        label: label.to_owned(),
        serial: rng::hex_id(8)?,
        user_pin_hash: Some(pin::hash(user_pin)?),
        so_pin_hash: pin::hash(so_pin)?,
        user_failures: 0,
        so_failures: 0,
    };
    store.tx(|tx| {
        if tokens::get(tx, label)?.is_some() {
            return Err(Error::BadRequest(format!("token {label:?} already exists")));
        }
        tokens::insert(tx, &row, now_ms())?;
        let ev = audit::Event {
            request_id: "cli".into(),
            actor: crate::audit::ADMIN_ACTOR.into(),
            token: Some(label.to_owned()),
            action: "token.create".into(),
            outcome: "ok".into(),
            ..Default::default()
        };
        audit::append(tx, &ev)?;
        Ok(())
    })?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::Vault;

    fn services(max: u32) -> (crate::store::testing::Scratch, Services) {
        let (dir, store) = crate::store::testing::fresh();
        create_token(&store, "t", b"1234", b"87654321").unwrap();
        let auth = AuthConfig {
            max_pin_failures: max,
            ..Default::default()
        };
        let svc = Services {
            store,
            vault: Vault::from_master_key(&[1; 32]).unwrap().into(),
            auth,
            lifecycle: Default::default(),
            policy: Default::default(),
            key_cache: Default::default(),
            limits: Default::default(),
            audit: Default::default(),
        };
        (dir, svc)
    }

    fn caller(id: &str) -> Caller {
        Caller {
            identity: id.into(),
            request_id: "r".into(),
            instance: None,
            bearer: None,
            idempotency: None,
        }
    }

    fn req(pin: &[u8]) -> LoginRequest {
        LoginRequest {
            user_type: UserType::User,
            pin: SecretBytes::from(pin),
        }
    }

    #[test]
    fn lockout_counter_is_durable_and_locks() {
        let (_d, svc) = services(3);
        let c = caller("CN=a");
        assert!(matches!(
            login(&svc, &c, "t", &req(b"0000")),
            Err(Error::PinIncorrect)
        ));
        let info = &list_tokens(&svc).unwrap()[0];
        assert!(info.user_pin_count_low && !info.user_pin_final_try && !info.user_pin_locked);
        assert!(matches!(
            login(&svc, &c, "t", &req(b"0000")),
            Err(Error::PinIncorrect)
        ));
        assert!(list_tokens(&svc).unwrap()[0].user_pin_final_try);
        assert!(matches!(
            login(&svc, &c, "t", &req(b"0000")),
            Err(Error::PinLocked)
        ));
        assert!(list_tokens(&svc).unwrap()[0].user_pin_locked);
        assert!(matches!(
            login(&svc, &c, "t", &req(b"1234")),
            Err(Error::PinLocked)
        ));
        // Every attempt was audited.
        let outcomes: Vec<String> = svc
            .store
            .read(audit::records)
            .unwrap()
            .into_iter()
            .map(|r| r.event.outcome)
            .collect();
        assert_eq!(
            outcomes,
            [
                "ok",
                "pin_incorrect",
                "pin_incorrect",
                "pin_locked",
                "pin_locked"
            ]
        );
    }

    #[test]
    fn sessions_per_identity_are_capped_without_counting_pin_failures() {
        let (_d, mut svc) = services(2);
        svc.limits = crate::limits::Limits::new(crate::config::LimitsConfig {
            max_sessions_per_identity: 2,
            ..Default::default()
        });
        let a = caller("CN=a");
        let first = login(&svc, &a, "t", &req(b"1234")).unwrap();
        login(&svc, &a, "t", &req(b"1234")).unwrap();
        for pin in [b"1234", b"0000", b"0000"] {
            assert!(matches!(
                login(&svc, &a, "t", &req(pin)),
                Err(Error::SessionLimit)
            ));
        }
        let info = &list_tokens(&svc).unwrap()[0];
        assert!(
            !info.user_pin_count_low,
            "a refused login is no PIN failure"
        );
        login(&svc, &caller("CN=b"), "t", &req(b"1234")).expect("another identity");
        let bearer = Some(Zeroizing::new(STANDARD.encode(first.session.as_ref())));
        logout(
            &svc,
            &Caller {
                bearer,
                ..a.clone()
            },
            "t",
        )
        .unwrap();
        login(&svc, &a, "t", &req(b"1234")).expect("room again after a logout");
        let last = svc.store.read(audit::records).unwrap().pop().unwrap();
        assert_eq!(last.event.outcome, "ok");
        let refused = svc
            .store
            .read(audit::records)
            .unwrap()
            .into_iter()
            .filter(|r| r.event.outcome == "session_limit")
            .count();
        assert_eq!(refused, 3, "each refusal audited");
    }

    #[test]
    fn success_resets_and_session_is_bound() {
        let (_d, svc) = services(3);
        let c = caller("CN=a");
        assert!(login(&svc, &c, "t", &req(b"0000")).is_err());
        let resp = login(&svc, &c, "t", &req(b"1234")).unwrap();
        assert_eq!(
            svc.store
                .read(|c| tokens::get(c, "t"))
                .unwrap()
                .unwrap()
                .user_failures,
            0
        );
        let bearer = Some(Zeroizing::new(STANDARD.encode(resp.session.as_ref())));
        let same = Caller {
            bearer: bearer.clone(),
            ..c.clone()
        };
        assert_eq!(
            svc.store
                .read(|conn| resolve(conn, &svc.auth, &same, "t"))
                .unwrap(),
            Some(UserType::User)
        );
        let other = Caller {
            bearer,
            ..caller("CN=b")
        };
        assert!(matches!(
            svc.store.read(|conn| resolve(conn, &svc.auth, &other, "t")),
            Err(Error::Unauthenticated)
        ));
        assert!(matches!(
            login(&svc, &c, "nope", &req(b"1234")),
            Err(Error::TokenNotFound)
        ));
        assert!(matches!(
            login(&svc, &c, "t", &req(b"")),
            Err(Error::PinLenRange)
        ));
        let so = LoginRequest {
            user_type: UserType::So,
            pin: SecretBytes::from(&b"87654321"[..]),
        };
        assert!(matches!(
            login(&svc, &c, "t", &so),
            Err(Error::UserTypeInvalid)
        ));
        logout(&svc, &same, "t").unwrap();
        assert!(matches!(
            svc.store.read(|conn| resolve(conn, &svc.auth, &same, "t")),
            Err(Error::Unauthenticated)
        ));
    }
}
