//! Administration of keys and tokens from the local command line (`kmsd key …`, `kmsd token
//! delete`): life-cycle transitions, scheduled destruction and its cancellation, use policy.
//!
//! These run in the `kmsd` CLI process against the store file, next to a running `kmsd serve`
//! on the same store (SQLite WAL, IMMEDIATE write transactions, a busy timeout): each change is
//! read, computed (resealing the material for its new AAD), and written only if the row is still
//! as read, in one transaction with its audit record (actor [`audit::ADMIN_ACTOR`]); a refusal is
//! audited too, with its error code as outcome. A serving daemon sees a change on its next
//! request: it reads every key from the store on every use.

use super::access::check_id;
use super::change::update_checked;
use super::destroy;
use crate::audit::{self, Event};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::model::lifecycle::{has_lifecycle, Lifecycle, Transition};
use crate::model::object::StoredObject;
use crate::state::Services;
use crate::store::Db;
use crate::store::{objects, sessions, tokens};

/// The most bytes a revocation reason may have.
pub const MAX_REASON_LEN: usize = 256;

/// An administrative audit event for `action` on object `id`.
fn event(action: &str, id: Option<&str>) -> Event {
    Event {
        request_id: format!("cli-{}", now_ms()),
        actor: audit::ADMIN_ACTOR.to_owned(),
        token: None,
        action: action.to_owned(),
        object_id: id.map(str::to_owned),
        mechanism: None,
        outcome: "ok".to_owned(),
        detail: None,
    }
}

/// A token key by id, whatever its state (`object_not_found` for anything else: session
/// objects, certificates, data objects).
pub fn load_key(conn: &Db<'_>, id: &str) -> Result<StoredObject> {
    check_id(id)?;
    objects::get_any(conn, id)?
        .filter(|o| has_lifecycle(o.class) && o.ephemeral_owner.is_none())
        .ok_or(Error::ObjectNotFound)
}

/// Every token key, of one token or all, oldest first.
pub fn list_keys(conn: &Db<'_>, token: Option<&str>) -> Result<Vec<StoredObject>> {
    Ok(objects::list_all(conn)?
        .into_iter()
        .filter(|o| has_lifecycle(o.class) && token.is_none_or(|t| o.token == t))
        .collect())
}

/// Runs one audited change of key `id`: `change` computes the new row from the stored one
/// (resealing as needed); the record names the token and gets `detail` of the new row.
fn change_key(
    svc: &Services,
    action: &str,
    id: &str,
    change: impl Fn(&StoredObject) -> Result<StoredObject>,
    detail: impl Fn(&StoredObject, &StoredObject) -> String,
) -> Result<StoredObject> {
    audit::audited(&svc.store, event(action, Some(id)), |ev| {
        ev.token = Some(svc.store.read(|conn| load_key(conn, id))?.token);
        update_checked(
            svc,
            |conn| load_key(conn, id),
            &change,
            |tx, old, new| {
                objects::update(tx, new)?;
                let mut done = ev.clone();
                done.detail = Some(detail(old, new));
                audit::append(tx, &done)?;
                Ok(())
            },
        )
    })
}

/// The audit detail of a state change.
fn state_change(old: &StoredObject, new: &StoredObject) -> String {
    let now = now_ms();
    let mut d = format!(
        "from={} to={}",
        old.life.effective(now).as_str(),
        new.life.effective(now).as_str()
    );
    if let Some(r) = new
        .life
        .reason
        .as_deref()
        .filter(|_| old.life.reason != new.life.reason)
    {
        d.push_str(&format!(" reason={r:?}"));
    }
    d
}

/// Checks a revocation reason: 1..=256 bytes of printable text.
fn check_reason(reason: &str) -> Result<()> {
    if reason.trim().is_empty()
        || reason.len() > MAX_REASON_LEN
        || reason.chars().any(char::is_control)
    {
        return Err(Error::BadRequest(format!(
            "a reason is 1 to {MAX_REASON_LEN} bytes of printable text"
        )));
    }
    Ok(())
}

/// `kmsd key activate|deactivate|revoke`: a KMIP transition (`keys::lifecycle`).
pub fn transition(
    svc: &Services,
    id: &str,
    t: Transition,
    reason: Option<&str>,
) -> Result<StoredObject> {
    change_key(
        svc,
        t.action(),
        id,
        |key| {
            if t == Transition::Revoke {
                check_reason(reason.unwrap_or_default())?;
            }
            let mut new = key.clone();
            new.life.apply(t, now_ms(), reason)?;
            new.life.window_to(&mut new.attrs);
            super::change::reseal(svc, key, &mut new)?;
            Ok(new)
        },
        state_change,
    )
}

/// `kmsd key destroy`: schedules destruction after the configured waiting period.
pub fn schedule_destroy(svc: &Services, id: &str) -> Result<StoredObject> {
    change_key(
        svc,
        "key.destroy",
        id,
        |key| destroy::schedule(svc, key, now_ms()),
        |_, new| destroy::detail(new),
    )
}

/// `kmsd key cancel-destroy`: the key comes back, in the state it had.
pub fn cancel_destroy(svc: &Services, id: &str) -> Result<StoredObject> {
    change_key(
        svc,
        "key.cancel_destroy",
        id,
        |key| destroy::cancel(svc, key),
        |_, new| destroy::detail(new),
    )
}

/// `kmsd key rotate`: new primary material for a secret key (`keys::versions`).
pub fn rotate(svc: &Services, id: &str) -> Result<StoredObject> {
    audit::audited(&svc.store, event("key.rotate", Some(id)), |ev| {
        ev.token = Some(svc.store.read(|conn| load_key(conn, id))?.token);
        super::versions::rotate(
            svc,
            |conn| load_key(conn, id),
            |tx, key| {
                let mut done = ev.clone();
                done.detail = Some(format!("version={}", key.version));
                audit::append(tx, &done)?;
                Ok(())
            },
        )
    })
}

/// A change of use policy; `None` leaves a field as it is, `Some(None)` removes the limit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyChange {
    /// Most uses allowed.
    pub max_uses: Option<Option<u64>>,
    /// Activation date (ms).
    pub not_before: Option<Option<i64>>,
    /// Deactivation date (ms, exclusive).
    pub not_after: Option<Option<i64>>,
    /// Client identities allowed to use the key.
    pub principals: Option<Option<Vec<String>>>,
}

impl PolicyChange {
    /// `life` with this change applied; a window that ends before it starts, or an empty or
    /// oversized principal, is `bad_request`.
    pub fn apply(&self, life: &Lifecycle) -> Result<Lifecycle> {
        let mut new = life.clone();
        if let Some(v) = self.max_uses {
            new.max_uses = v;
        }
        if let Some(v) = self.not_before {
            new.not_before = v;
        }
        if let Some(v) = self.not_after {
            new.not_after = v;
        }
        if let Some(v) = &self.principals {
            // Stored in the canonical form the TLS edge gives identities (auth::identity).
            new.principals = v
                .as_ref()
                .map(|list| {
                    list.iter()
                        .map(|p| {
                            let canon = crate::auth::identity::canonical(p)
                                .map_err(|e| Error::BadRequest(format!("principal: {e}")))?;
                            if canon.len() > 1024 {
                                return Err(Error::BadRequest(
                                    "a principal is a client certificate subject, 1 to 1024 bytes"
                                        .into(),
                                ));
                            }
                            Ok(canon)
                        })
                        .collect::<Result<Vec<_>>>()
                })
                .transpose()?;
        }
        if let (Some(b), Some(a)) = (new.not_before, new.not_after) {
            if a <= b {
                return Err(Error::BadRequest("the window ends before it starts".into()));
            }
        }
        Ok(new)
    }

    /// The audit detail: what was set.
    fn describe(&self) -> String {
        let opt = |v: Option<String>| v.unwrap_or_else(|| "none".to_owned());
        let mut parts = Vec::new();
        if let Some(v) = self.max_uses {
            parts.push(format!("max_uses={}", opt(v.map(|n| n.to_string()))));
        }
        if let Some(v) = self.not_before {
            parts.push(format!(
                "not_before={}",
                opt(v.map(crate::model::dates::rfc3339))
            ));
        }
        if let Some(v) = self.not_after {
            parts.push(format!(
                "not_after={}",
                opt(v.map(crate::model::dates::rfc3339))
            ));
        }
        if let Some(v) = &self.principals {
            parts.push(format!(
                "principals={}",
                opt(v.as_ref().map(|p| format!("{p:?}")))
            ));
        }
        parts.join(" ")
    }
}

/// `kmsd key set-policy`.
pub fn set_policy(svc: &Services, id: &str, change: &PolicyChange) -> Result<StoredObject> {
    change_key(
        svc,
        "key.set_policy",
        id,
        |key| {
            if key.life.is_gone() {
                return Err(Error::ActionProhibited(
                    "the key is destroyed or scheduled for destruction",
                ));
            }
            let mut new = key.clone();
            new.life = change.apply(&key.life)?;
            new.life.window_to(&mut new.attrs);
            super::change::reseal(svc, key, &mut new)?;
            Ok(new)
        },
        |_, _| change.describe(),
    )
}

/// `kmsd token delete`: removes a token, its login sessions and its objects — refused
/// (`action_prohibited`) while one of its keys still has material (destroy them first, so that
/// no key escapes the waiting period). Returns how many objects went with it.
pub fn delete_token(svc: &Services, label: &str) -> Result<usize> {
    let mut ev = event("token.delete", None);
    ev.token = Some(label.to_owned());
    audit::audited(&svc.store, ev, |ev| {
        svc.store.tx(|tx| {
            tokens::get(tx, label)?.ok_or(Error::TokenNotFound)?;
            let objects = objects::list(tx, label)?;
            if objects.iter().any(|o| o.sealed.is_some()) {
                return Err(Error::ActionProhibited(
                    "the token still holds keys with material: destroy them first",
                ));
            }
            sessions::delete_for_token(tx, label)?;
            tokens::delete(tx, label)?;
            ev.detail = Some(format!("objects={}", objects.len()));
            audit::append(tx, ev)?;
            Ok(objects.len())
        })
    })
}

/// `kmsd key attach-cert`: stores an X.509 certificate (DER) as a public token object next to
/// key `id` — same token, same `CKA_ID` — which is how Java, NSS and systemd-cryptenroll pair a
/// certificate with its key. The certificate's public key must be the key's
/// (`attribute_value_invalid` otherwise). Audited as `object.create` with the key in `detail`.
pub fn attach_cert(
    svc: &Services,
    id: &str,
    der: &[u8],
    label: Option<&str>,
) -> Result<StoredObject> {
    use crate::ck::*;
    use kms_api::{AttrValue, Bytes};
    let mut ev = event("object.create", None);
    ev.detail = Some(format!("certificate_for={id}"));
    audit::audited(&svc.store, ev, |ev| {
        let key = svc.store.read(|conn| load_key(conn, id))?;
        ev.token = Some(key.token.clone());
        let spki = key
            .bytes(CKA_PUBLIC_KEY_INFO)
            .ok_or(Error::KeyTypeInconsistent)?
            .to_vec();
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|_| Error::AttributeValueInvalid(CKA_VALUE))?;
        if cert.tbs_certificate.subject_pki.raw != spki.as_slice() {
            return Err(Error::BadRequest(
                "the certificate's public key is not this key's".into(),
            ));
        }
        let bytes = |v: &[u8]| AttrValue::Bytes(Bytes(v.to_vec()));
        let mut map = crate::model::object::AttrMap::new();
        map.insert(CKA_CLASS, AttrValue::Ulong(CKO_CERTIFICATE));
        map.insert(CKA_CERTIFICATE_TYPE, AttrValue::Ulong(CKC_X_509));
        map.insert(CKA_TOKEN, AttrValue::Bool(true));
        map.insert(CKA_PRIVATE, AttrValue::Bool(false));
        map.insert(CKA_VALUE, bytes(der));
        if let Some(ckid) = key.bytes(CKA_ID) {
            map.insert(CKA_ID, bytes(ckid));
        }
        let label = label.map(str::as_bytes).or_else(|| key.bytes(CKA_LABEL));
        map.insert(CKA_LABEL, bytes(label.unwrap_or_default()));
        super::create::fill_certificate(&mut map)?;
        let admin = crate::auth::Caller {
            identity: audit::ADMIN_ACTOR.to_owned(),
            request_id: ev.request_id.clone(),
            instance: None,
            bearer: None,
            idempotency: None,
        };
        let obj = super::new_object::build(&admin, &key.token, CKO_CERTIFICATE, None, map, None)?;
        ev.object_id = Some(obj.id.clone());
        svc.store.tx(|tx| {
            objects::insert(tx, &obj)?;
            audit::append(tx, ev)?;
            Ok(())
        })?;
        Ok(obj)
    })
}
