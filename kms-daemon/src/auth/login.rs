//! PIN login and logout (security R15, R16).
//!
//! Login order: PIN length; SO only for identities in `so_identities`; then, in its own committed
//! transaction, the failure counter is checked (already at the limit → `pin_locked` without
//! looking at the PIN) and incremented; only then is the PIN compared (argon2id, no lock held).
//! Success resets the counter and creates the session ([`super::session`]) in one transaction
//! with its audit record. `C_SetPIN` and `C_InitToken` check a PIN the same way
//! ([`check_pin`]).
//!
//! An identity holds at most `[limits] max_sessions_per_identity` live login sessions: a login
//! beyond that is refused with `session_limit` before the PIN is looked at (so it neither costs
//! an argon2 run nor counts as a PIN failure), and checked again in the transaction that creates
//! the session, so that concurrent logins cannot exceed it.

use super::session::{bearer_hash, resolve, session_room};
use super::{pin, Caller};
use crate::audit;
use crate::clock::now_ms;
use crate::crypto::{rng, sha256};
use crate::error::{Error, Result};
use crate::state::Services;
use crate::store::{sessions, tokens};
use kms_api::msg::{LoginRequest, LoginResponse, UserType};
use kms_api::SecretBytes;
use zeroize::Zeroizing;

/// `C_Login`: checks the PIN (module doc) and opens a login session of the caller's identity on
/// `token`; the answer carries its bearer secret.
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
pub fn check_pin(
    svc: &Services,
    caller: &Caller,
    token: &str,
    user_type: UserType,
    pin_bytes: &[u8],
) -> Result<()> {
    if user_type == UserType::So
        && !crate::auth::identity::is_listed(&svc.auth.so_identities, &caller.identity)
    {
        return Err(Error::UserTypeInvalid);
    }
    let max = svc.auth.max_pin_failures;
    let counted = svc.store.tx(|tx| {
        let Some(row) = tokens::get_locked(tx, token)?.filter(|t| t.admits(&caller.identity))
        else {
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
        None => return Err(unseen_token(svc, caller, pin_bytes)),
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

/// The refusal of a PIN aimed at a token the caller cannot see (none, or not admitted): after
/// the argon2 run a known token would cost, `token_not_found`; past the caller's budget of such
/// attempts, `too_many_requests` without it (`auth::tokens` module doc).
pub(crate) fn unseen_token(svc: &Services, caller: &Caller, pin_bytes: &[u8]) -> Error {
    if !svc.limits.refused_token_attempt(&caller.identity) {
        return Error::TooManyRequests;
    }
    pin::burn(pin_bytes);
    Error::TokenNotFound
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

/// `C_Logout`: ends the caller's login session on `token`.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tokens::{create_token, list_tokens};
    use crate::config::AuthConfig;
    use crate::vault::Vault;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;

    fn services(max: u32) -> (crate::store::testing::Scratch, Services) {
        let (dir, store) = crate::store::testing::fresh();
        create_token(&store, "t", b"1234", b"87654321", None).unwrap();
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
        let info = &list_tokens(&svc, "CN=a").unwrap()[0];
        assert!(info.user_pin_count_low && !info.user_pin_final_try && !info.user_pin_locked);
        assert!(matches!(
            login(&svc, &c, "t", &req(b"0000")),
            Err(Error::PinIncorrect)
        ));
        assert!(list_tokens(&svc, "CN=a").unwrap()[0].user_pin_final_try);
        assert!(matches!(
            login(&svc, &c, "t", &req(b"0000")),
            Err(Error::PinLocked)
        ));
        assert!(list_tokens(&svc, "CN=a").unwrap()[0].user_pin_locked);
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
        let info = &list_tokens(&svc, "CN=a").unwrap()[0];
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
