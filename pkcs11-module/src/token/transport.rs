//! Key transport and derivation: `C_WrapKey`, `C_UnwrapKey`, `C_DeriveKey` (PKCS#11 v3.0
//! §5.18.3–5), performed by kmsd, which enforces the wrapping rules (security rules R1, R5–R11,
//! R13). The module checks handles and the read-only rule, and sizes the wrapped output.

use super::handles::ObjectEntry;
use super::keys::wants_token;
use super::library::SessionRef;
use super::output::{produce, Outcome, Size};
use crate::attr::{self, RawAttr};
use crate::error::{Error, Result, WrapRole};
use crate::mech::{self, public::unsigned_len};
use cryptoki_sys::*;
use kms_api::mech::table::Kind;
use kms_api::mech::{params, MechInfo, Op};
use kms_api::msg::{DeriveRequest, UnwrapRequest, WrapRequest};
use kms_api::{Bytes, Mechanism};
use zeroize::Zeroizing;

/// The longest wrapped key `C_UnwrapKey` accepts. The largest key this token wraps (an RSA-8192
/// private key as PKCS#8 under KWP) is under 8 KiB; a longer blob is out of range, and is refused
/// here rather than sent to kmsd, whose request limit (1 MiB) it could exceed.
const MAX_WRAPPED_LEN: usize = 64 * 1024;

/// An upper bound of the wrapped size, so a size query needs no round trip (S7 allows a bound).
fn wrapped_bound(row: &MechInfo, wrapping: &ObjectEntry, key: &ObjectEntry) -> usize {
    let modulus = |e: &ObjectEntry| attr::bytes(&e.info, CKA_MODULUS).map_or(512, unsigned_len);
    if row.kind == Kind::RsaOaep {
        return modulus(wrapping);
    }
    let plain = match (key.class(), key.key_type()) {
        (Some(CKO_SECRET_KEY), _) => {
            attr::ulong(&key.info, CKA_VALUE_LEN).map_or(64, |n| n as usize)
        }
        // PKCS#8 of an RSA key: n, d and five half-size CRT values, e and DER overhead.
        (_, Some(CKK_RSA)) => 5 * modulus(key) + 128,
        _ => 256,
    };
    plain.div_ceil(8) * 8 + 8
}

/// The wrapping rules the objects' own attributes and the mechanism's parameters decide, in
/// kmsd's order (key type, then usage, then the parameters — kms-api's [`params::check`], which
/// kmsd's transport check agrees with — then extractability). kmsd enforces them on every wrap;
/// a size query is answered without a round trip, so it checks them here, or it would answer
/// CKR_OK for a wrap that cannot happen.
fn check_wrap_attributes(
    row: &MechInfo,
    m: &Mechanism,
    wrapping: &ObjectEntry,
    key: &ObjectEntry,
) -> Result<()> {
    let is_false = |e: &ObjectEntry, ty| {
        attr::value_of(&e.info, ty).and_then(kms_api::AttrValue::as_bool) == Some(false)
    };
    if row
        .key_type
        .zip(wrapping.key_type())
        .is_some_and(|(need, have)| need != have as u64)
    {
        return Err(Error::Ck(CKR_WRAPPING_KEY_TYPE_INCONSISTENT));
    }
    if is_false(wrapping, CKA_WRAP) {
        return Err(Error::Ck(CKR_KEY_FUNCTION_NOT_PERMITTED));
    }
    params::check(row, &m.params)?;
    if is_false(key, CKA_EXTRACTABLE) {
        return Err(Error::Ck(CKR_KEY_UNEXTRACTABLE));
    }
    Ok(())
}

impl SessionRef<'_> {
    /// `C_WrapKey`, under the variable-length output rule: a size query gets an upper bound;
    /// a result that does not fit is kept for the retry, so kmsd wraps (and audits) once.
    pub fn wrap_key(
        &self,
        m: Mechanism,
        wrapping: CK_OBJECT_HANDLE,
        key: CK_OBJECT_HANDLE,
        capacity: Option<usize>,
    ) -> Result<Outcome> {
        let slot = self.slot();
        let row = mech::offered(&m, Op::Wrap)?;
        let wrapping = self
            .object(wrapping)
            .map_err(|e| e.in_role(WrapRole::Wrapping))?;
        let key = self.object(key).map_err(Error::for_key)?;
        check_wrap_attributes(row, &m, &wrapping, &key)?;
        let call = format!("{}|{}|{}", m.mechanism, wrapping.info.id, key.info.id);
        let mut pending = self
            .lock()
            .wrap_pending
            .take()
            .filter(|(c, _)| *c == call)
            .map(|(_, out)| out);
        let bound = wrapped_bound(row, &wrapping, &key);
        let req = WrapRequest {
            mechanism: m,
            wrapping_key: wrapping.info.id.clone(),
            key: key.info.id.clone(),
        };
        let outcome = produce(&mut pending, capacity, Size::AtMost(bound), || {
            let data = slot
                .client
                .wrap(slot.bearer().as_ref(), &req)
                .map_err(|e| e.in_role(WrapRole::Wrapping))?;
            Ok(Zeroizing::new(data))
        })?;
        if let Some(out) = pending {
            self.lock().wrap_pending = Some((call, out));
        }
        Ok(outcome)
    }

    /// `C_UnwrapKey`.
    pub fn unwrap_key(
        &self,
        m: Mechanism,
        unwrapping: CK_OBJECT_HANDLE,
        wrapped: &[u8],
        raw: &[RawAttr],
    ) -> Result<CK_OBJECT_HANDLE> {
        let slot = self.slot();
        mech::offered(&m, Op::Unwrap)?;
        let unwrapping = self
            .object(unwrapping)
            .map_err(|e| e.in_role(WrapRole::Unwrapping))?;
        let template = attr::decode_template(raw)?;
        self.check_writable(wants_token(&template))?;
        if wrapped.len() > MAX_WRAPPED_LEN {
            return Err(Error::Ck(CKR_WRAPPED_KEY_LEN_RANGE));
        }
        let req = UnwrapRequest {
            mechanism: m,
            unwrapping_key: unwrapping.info.id.clone(),
            wrapped: Bytes(wrapped.to_vec()),
            template,
        };
        let info = slot
            .client
            .unwrap(slot.bearer().as_ref(), &req)
            .map_err(|e| e.in_role(WrapRole::Unwrapping))?;
        self.adopt(info)
    }

    /// `C_DeriveKey`.
    pub fn derive_key(
        &self,
        m: Mechanism,
        base: CK_OBJECT_HANDLE,
        raw: &[RawAttr],
    ) -> Result<CK_OBJECT_HANDLE> {
        let slot = self.slot();
        mech::offered(&m, Op::Derive)?;
        let base = self.object(base).map_err(Error::for_key)?;
        let template = attr::decode_template(raw)?;
        self.check_writable(wants_token(&template))?;
        let req = DeriveRequest {
            mechanism: m,
            base_key: base.info.id.clone(),
            template,
        };
        let info = slot.client.derive(slot.bearer().as_ref(), &req)?;
        self.adopt(info)
    }
}
