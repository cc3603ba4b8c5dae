//! Key versions and rotation (security rules §3.3 "Key versions"; Google Cloud KMS versions,
//! Vault Transit).
//!
//! `kmsd key rotate` gives a secret key (AES, generic secret) new material as version n+1, which
//! becomes the primary: every new encryption and MAC uses it. The older versions are kept as
//! *retired*, sealed under their own AAD (`StoredObject::retired_aad`: id, token, class, key type and
//! version), and are used only where the result authenticates the key that made it — AES-GCM
//! decryption, HMAC verification and AES key-wrap (KW/KWP) unwrapping try the primary first,
//! then the retired versions newest first. AES-CBC, -ECB and -CTR decryption cannot tell a wrong
//! key from bad data, so they use the primary only: rotate a key used with them only once its
//! data has been re-encrypted. Asymmetric keys are not rotated (their public half lives in the
//! application's PKCS#11 objects; a new key pair is the way there).
//!
//! The PKCS#11 object stays the same (handle, CKA_ID, attributes); `CKA_KMS_KEY_VERSION` shows
//! the primary version. Version numbers only grow. A retired version is only tried after the
//! primary opened, so a row whose security attributes were edited (its primary no longer opens)
//! is never used through an older version either. When the key is destroyed, every version's
//! material is erased with it.

use super::change::update_checked;
use crate::ck::*;
use crate::clock::now_ms;
use crate::crypto::rng;
use crate::error::{Error, Result};
use crate::model::object::StoredObject;
use crate::state::Services;
use crate::store::versions;
use kms_api::AttrValue;
use zeroize::Zeroizing;

/// Runs `f` with each retired version of `obj`, newest first, and returns the first success;
/// `None` when there is none or every one fails.
pub fn first_retired<T>(
    svc: &Services,
    obj: &StoredObject,
    f: impl Fn(&[u8]) -> Result<T>,
) -> Result<Option<T>> {
    let retired = svc.store.read(|c| versions::retired(c, &obj.id))?;
    for (version, blob) in retired {
        let key = svc.vault.open(&obj.retired_aad(version), &blob)?;
        if let Ok(out) = f(&key) {
            return Ok(Some(out));
        }
    }
    Ok(None)
}

/// Runs `f` with the primary material `key`; when that fails and `authenticated` says the
/// operation proves which key it needs, tries the retired versions. The primary's error is the
/// answer when none fits.
pub fn with_versions<T>(
    svc: &Services,
    obj: &StoredObject,
    key: &[u8],
    authenticated: bool,
    f: impl Fn(&[u8]) -> Result<T>,
) -> Result<T> {
    match f(key) {
        Err(e) if authenticated => first_retired(svc, obj, f)?.ok_or(e),
        out => out,
    }
}

/// The rotated key: new primary material, the old one sealed as retired.
struct Rotated {
    key: StoredObject,
    retired: Vec<u8>,
}

fn rotated(svc: &Services, obj: &StoredObject) -> Result<Rotated> {
    if obj.class != CKO_SECRET_KEY || !matches!(obj.key_type, Some(CKK_AES | CKK_GENERIC_SECRET)) {
        return Err(Error::ActionProhibited(
            "only secret keys (AES, generic secret) are rotated",
        ));
    }
    if obj.life.is_gone() || obj.life.effective(now_ms()) != crate::model::lifecycle::State::Active
    {
        return Err(Error::ActionProhibited("only an active key is rotated"));
    }
    let blob = obj
        .sealed
        .as_deref()
        .ok_or_else(|| Error::IntegrityFailure("key without material".into()))?;
    let old = svc.vault.open(&obj.aad(), blob)?;
    let len = obj
        .attrs
        .get(&CKA_VALUE_LEN)
        .and_then(AttrValue::as_ulong)
        .and_then(|l| usize::try_from(l).ok())
        .ok_or_else(|| Error::IntegrityFailure("secret key without CKA_VALUE_LEN".into()))?;
    let fresh = Zeroizing::new(rng::bytes(len)?);
    let mut key = obj.clone();
    key.version = obj
        .version
        .checked_add(1)
        .ok_or(Error::ActionProhibited("no version number left"))?;
    key.sealed = Some(svc.vault.seal(&key.aad(), &fresh)?);
    let retired = svc.vault.seal(&obj.retired_aad(obj.version), &old)?;
    Ok(Rotated { key, retired })
}

/// `kmsd key rotate`: audited by the caller's `write` (`keys::admin`).
pub fn rotate(
    svc: &Services,
    load: impl Fn(&crate::store::Db<'_>) -> Result<StoredObject>,
    mut record: impl FnMut(&crate::store::Db<'_>, &StoredObject) -> Result<()>,
) -> Result<StoredObject> {
    let done = update_checked(
        svc,
        load,
        |obj| rotated(svc, obj),
        |tx, old, r| {
            versions::insert(tx, &old.id, old.version, &r.retired, now_ms())?;
            crate::store::objects::update(tx, &r.key)?;
            record(tx, &r.key)
        },
    )?;
    Ok(done.key)
}
