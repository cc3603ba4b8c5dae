//! Key transport and derivation functions (PKCS#11 v3.0 §5.18.3–5).

use super::guard::{
    bytes, capacity, guard_session, mechanism, non_null, ok, put, template, write_outcome,
};
use cryptoki_sys::*;

/// C_WrapKey.
///
/// # Safety
/// Pointers as C_WrapKey requires.
#[no_mangle]
pub unsafe extern "C" fn C_WrapKey(
    h: CK_SESSION_HANDLE,
    p_mech: CK_MECHANISM_PTR,
    wrapping: CK_OBJECT_HANDLE,
    key: CK_OBJECT_HANDLE,
    p_out: CK_BYTE_PTR,
    pul_out: CK_ULONG_PTR,
) -> CK_RV {
    guard_session("C_WrapKey", h, |scope| {
        let session = scope.session()?;
        // SAFETY: forwarded contract.
        let (m, cap) = unsafe { (mechanism(p_mech)?, capacity(p_out, pul_out)?) };
        let outcome = session.wrap_key(m, wrapping, key, cap)?;
        // SAFETY: forwarded contract.
        unsafe { write_outcome(outcome, p_out, pul_out) }
    })
}

/// C_UnwrapKey.
///
/// # Safety
/// Pointers as C_UnwrapKey requires.
#[no_mangle]
pub unsafe extern "C" fn C_UnwrapKey(
    h: CK_SESSION_HANDLE,
    p_mech: CK_MECHANISM_PTR,
    unwrapping: CK_OBJECT_HANDLE,
    p_wrapped: CK_BYTE_PTR,
    wrapped_len: CK_ULONG,
    p_template: CK_ATTRIBUTE_PTR,
    count: CK_ULONG,
    ph_key: CK_OBJECT_HANDLE_PTR,
) -> CK_RV {
    guard_session("C_UnwrapKey", h, |scope| {
        let session = scope.session()?;
        non_null(ph_key)?;
        // SAFETY: forwarded contract.
        let (m, wrapped, raw) = unsafe {
            (
                mechanism(p_mech)?,
                bytes(p_wrapped, wrapped_len)?,
                template(p_template, count)?,
            )
        };
        let new = session.unwrap_key(m, unwrapping, wrapped, &raw)?;
        // SAFETY: checked for NULL above.
        unsafe { put(ph_key, new)? };
        ok()
    })
}

/// C_DeriveKey.
///
/// # Safety
/// Pointers as C_DeriveKey requires; a NULL or short mechanism parameter is refused, never
/// read (p11-kit CVE-2026-2100).
#[no_mangle]
pub unsafe extern "C" fn C_DeriveKey(
    h: CK_SESSION_HANDLE,
    p_mech: CK_MECHANISM_PTR,
    base: CK_OBJECT_HANDLE,
    p_template: CK_ATTRIBUTE_PTR,
    count: CK_ULONG,
    ph_key: CK_OBJECT_HANDLE_PTR,
) -> CK_RV {
    guard_session("C_DeriveKey", h, |scope| {
        let session = scope.session()?;
        non_null(ph_key)?;
        // SAFETY: forwarded contract.
        let (m, raw) = unsafe { (mechanism(p_mech)?, template(p_template, count)?) };
        let new = session.derive_key(m, base, &raw)?;
        // SAFETY: checked for NULL above.
        unsafe { put(ph_key, new)? };
        ok()
    })
}
