//! Object management functions (PKCS#11 v3.0 §5.7).

use super::guard::{guard_session, non_null, ok, put, template};
use crate::attr::{AttrQuery, Fill};
use crate::error::{Error, Result};
use cryptoki_sys::*;

/// C_CreateObject.
///
/// # Safety
/// `p_template` must hold `count` attributes; `ph_object` must be writable.
#[no_mangle]
pub unsafe extern "C" fn C_CreateObject(
    h: CK_SESSION_HANDLE,
    p_template: CK_ATTRIBUTE_PTR,
    count: CK_ULONG,
    ph_object: CK_OBJECT_HANDLE_PTR,
) -> CK_RV {
    guard_session("C_CreateObject", h, |scope| {
        scope.library()?;
        non_null(ph_object)?;
        // SAFETY: forwarded contract.
        let raw = unsafe { template(p_template, count)? };
        let object = scope.session()?.create_object(&raw)?;
        // SAFETY: checked for NULL above.
        unsafe { put(ph_object, object)? };
        ok()
    })
}

/// C_CopyObject.
///
/// # Safety
/// Pointers as the function requires.
#[no_mangle]
pub unsafe extern "C" fn C_CopyObject(
    h: CK_SESSION_HANDLE,
    object: CK_OBJECT_HANDLE,
    p_template: CK_ATTRIBUTE_PTR,
    count: CK_ULONG,
    ph_new: CK_OBJECT_HANDLE_PTR,
) -> CK_RV {
    guard_session("C_CopyObject", h, |scope| {
        scope.library()?;
        non_null(ph_new)?;
        // SAFETY: forwarded contract.
        let raw = unsafe { template(p_template, count)? };
        let copy = scope.session()?.copy_object(object, &raw)?;
        // SAFETY: checked for NULL above.
        unsafe { put(ph_new, copy)? };
        ok()
    })
}

/// C_DestroyObject.
///
/// # Safety
/// No pointer arguments.
#[no_mangle]
pub unsafe extern "C" fn C_DestroyObject(h: CK_SESSION_HANDLE, object: CK_OBJECT_HANDLE) -> CK_RV {
    guard_session("C_DestroyObject", h, |scope| {
        scope.session()?.destroy_object(object)?;
        ok()
    })
}

/// C_GetObjectSize: the size kmsd uses is not meaningful to applications.
///
/// # Safety
/// `pul_size` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn C_GetObjectSize(
    h: CK_SESSION_HANDLE,
    object: CK_OBJECT_HANDLE,
    pul_size: CK_ULONG_PTR,
) -> CK_RV {
    guard_session("C_GetObjectSize", h, |scope| {
        scope.library()?;
        non_null(pul_size)?;
        scope.session()?.object(object)?;
        // SAFETY: checked for NULL above.
        unsafe { put(pul_size, CK_UNAVAILABLE_INFORMATION)? };
        ok()
    })
}

/// C_GetAttributeValue: every attribute is processed (spec-checklist S14).
///
/// # Safety
/// `p_template` must hold `count` writable attributes whose `pValue` are NULL or hold
/// `ulValueLen` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn C_GetAttributeValue(
    h: CK_SESSION_HANDLE,
    object: CK_OBJECT_HANDLE,
    p_template: CK_ATTRIBUTE_PTR,
    count: CK_ULONG,
) -> CK_RV {
    guard_session("C_GetAttributeValue", h, |scope| {
        scope.library()?;
        if count == 0 {
            scope.session()?.object(object)?;
            return ok();
        }
        non_null(p_template)?;
        if count as usize > kms_api::attr::MAX_TEMPLATE_ATTRS {
            return Err(Error::Ck(CKR_ARGUMENTS_BAD));
        }
        // SAFETY: `count` attributes by the caller's contract (bounded above).
        let attrs = unsafe { std::slice::from_raw_parts_mut(p_template, count as usize) };
        let queries: Vec<AttrQuery> = attrs
            .iter()
            .map(|a| AttrQuery {
                ty: a.type_,
                capacity: (!a.pValue.is_null()).then_some(a.ulValueLen as usize),
            })
            .collect();
        let (mut rv, answers) = scope.session()?.get_attributes(object, &queries)?;
        for (a, answer) in attrs.iter_mut().zip(answers) {
            match answer.value {
                Some(Fill::Bytes(value)) => {
                    // SAFETY: `pValue` is non-NULL and holds `ulValueLen >= value.len()` bytes.
                    unsafe {
                        std::ptr::copy_nonoverlapping(
                            value.as_ptr(),
                            a.pValue as *mut u8,
                            value.len(),
                        )
                    };
                }
                Some(Fill::Array(items)) => {
                    // SAFETY: `pValue` is non-NULL and holds `ulValueLen` bytes, which
                    // `get_attributes` checked cover `items.len()` attributes.
                    let inner = unsafe {
                        std::slice::from_raw_parts_mut(a.pValue as *mut CK_ATTRIBUTE, items.len())
                    };
                    // SAFETY: each inner `pValue` is NULL or holds its `ulValueLen` bytes.
                    let fits = unsafe { fill_array(inner, &items) };
                    if !fits && rv == CKR_OK {
                        rv = CKR_BUFFER_TOO_SMALL;
                    }
                }
                None => {}
            }
            a.ulValueLen = answer.len;
        }
        Ok(rv)
    })
}

/// Writes an attribute array into the application's `CK_ATTRIBUTE`s by the per-attribute rule;
/// returns whether every value fitted.
///
/// # Safety
/// Each `pValue` in `inner` must be NULL or hold its `ulValueLen` writable bytes.
unsafe fn fill_array(inner: &mut [CK_ATTRIBUTE], items: &[(CK_ATTRIBUTE_TYPE, Vec<u8>)]) -> bool {
    let mut fits = true;
    for (slot, (ty, value)) in inner.iter_mut().zip(items) {
        slot.type_ = *ty;
        if slot.pValue.is_null() {
            slot.ulValueLen = value.len() as CK_ULONG;
        } else if slot.ulValueLen as usize >= value.len() {
            // SAFETY: non-NULL and holds `ulValueLen >= value.len()` bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(value.as_ptr(), slot.pValue as *mut u8, value.len())
            };
            slot.ulValueLen = value.len() as CK_ULONG;
        } else {
            slot.ulValueLen = CK_UNAVAILABLE_INFORMATION;
            fits = false;
        }
    }
    fits
}

/// C_SetAttributeValue.
///
/// # Safety
/// `p_template` must hold `count` attributes.
#[no_mangle]
pub unsafe extern "C" fn C_SetAttributeValue(
    h: CK_SESSION_HANDLE,
    object: CK_OBJECT_HANDLE,
    p_template: CK_ATTRIBUTE_PTR,
    count: CK_ULONG,
) -> CK_RV {
    guard_session("C_SetAttributeValue", h, |scope| {
        scope.library()?;
        // SAFETY: forwarded contract.
        let raw = unsafe { template(p_template, count)? };
        scope.session()?.set_attributes(object, &raw)?;
        ok()
    })
}

/// C_FindObjectsInit.
///
/// # Safety
/// `p_template` must hold `count` attributes.
#[no_mangle]
pub unsafe extern "C" fn C_FindObjectsInit(
    h: CK_SESSION_HANDLE,
    p_template: CK_ATTRIBUTE_PTR,
    count: CK_ULONG,
) -> CK_RV {
    guard_session("C_FindObjectsInit", h, |scope| {
        scope.library()?;
        // SAFETY: forwarded contract.
        let raw = unsafe { template(p_template, count)? };
        scope.session()?.find_init(&raw)?;
        ok()
    })
}

/// C_FindObjects.
///
/// # Safety
/// `ph_object` must hold `max` handles; `pul_count` must be writable.
#[no_mangle]
pub unsafe extern "C" fn C_FindObjects(
    h: CK_SESSION_HANDLE,
    ph_object: CK_OBJECT_HANDLE_PTR,
    max: CK_ULONG,
    pul_count: CK_ULONG_PTR,
) -> CK_RV {
    guard_session("C_FindObjects", h, |scope| -> Result<CK_RV> {
        scope.library()?;
        non_null(ph_object)?;
        non_null(pul_count)?;
        let found = scope.session()?.find_next(max as usize)?;
        // SAFETY: `ph_object` holds `max >= found.len()` handles and `pul_count` is writable.
        unsafe {
            std::ptr::copy_nonoverlapping(found.as_ptr(), ph_object, found.len());
            pul_count.write(found.len() as CK_ULONG);
        }
        ok()
    })
}

/// C_FindObjectsFinal.
///
/// # Safety
/// No pointer arguments.
#[no_mangle]
pub unsafe extern "C" fn C_FindObjectsFinal(h: CK_SESSION_HANDLE) -> CK_RV {
    guard_session("C_FindObjectsFinal", h, |scope| {
        scope.session()?.find_final()?;
        ok()
    })
}
