//! Session and login functions (PKCS#11 v3.0 §5.6).

use super::guard::{bytes, guard, guard_session, non_null, ok, put, Call};
use crate::error::Error;
use crate::token::library;
use cryptoki_sys::*;
use kms_api::SecretBytes;

/// C_OpenSession.
///
/// # Safety
/// `ph_session` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn C_OpenSession(
    slot_id: CK_SLOT_ID,
    flags: CK_FLAGS,
    _app: CK_VOID_PTR,
    _notify: CK_NOTIFY,
    ph_session: CK_SESSION_HANDLE_PTR,
) -> CK_RV {
    guard(Call::new("C_OpenSession", None), || {
        let lib = library()?;
        non_null(ph_session)?;
        let h = lib.open_session(slot_id, flags)?;
        // SAFETY: checked for NULL above.
        unsafe { put(ph_session, h)? };
        ok()
    })
}

/// C_CloseSession.
///
/// # Safety
/// No pointer arguments.
#[no_mangle]
pub unsafe extern "C" fn C_CloseSession(h: CK_SESSION_HANDLE) -> CK_RV {
    guard_session("C_CloseSession", h, |scope| {
        scope.close_session()?;
        ok()
    })
}

/// C_CloseAllSessions.
///
/// # Safety
/// No pointer arguments.
#[no_mangle]
pub unsafe extern "C" fn C_CloseAllSessions(slot_id: CK_SLOT_ID) -> CK_RV {
    guard(Call::new("C_CloseAllSessions", None), || {
        let lib = library()?;
        lib.close_all(Some(lib.slot(slot_id)?));
        ok()
    })
}

/// C_GetSessionInfo.
///
/// # Safety
/// `p_info` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn C_GetSessionInfo(
    h: CK_SESSION_HANDLE,
    p_info: CK_SESSION_INFO_PTR,
) -> CK_RV {
    guard_session("C_GetSessionInfo", h, |scope| {
        scope.keep_device_error();
        let v = scope.session()?.info();
        let info = CK_SESSION_INFO {
            slotID: v.slot,
            state: v.state,
            flags: v.flags,
            ulDeviceError: v.device_error,
        };
        // SAFETY: checked for NULL inside.
        unsafe { put(p_info, info)? };
        ok()
    })
}

/// C_Login.
///
/// # Safety
/// `p_pin` must point to `pin_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn C_Login(
    h: CK_SESSION_HANDLE,
    user: CK_USER_TYPE,
    p_pin: CK_UTF8CHAR_PTR,
    pin_len: CK_ULONG,
) -> CK_RV {
    guard_session("C_Login", h, |scope| {
        scope.library()?;
        // SAFETY: forwarded contract.
        let pin = SecretBytes::from(unsafe { bytes(p_pin, pin_len)? });
        scope.session()?.login(user, pin)?;
        ok()
    })
}

/// C_LoginUser (v3.0): user names are not used by this token; the login is the PIN's.
///
/// # Safety
/// `p_pin` must point to `pin_len` bytes, `p_username` to `username_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn C_LoginUser(
    h: CK_SESSION_HANDLE,
    user: CK_USER_TYPE,
    p_pin: CK_UTF8CHAR_PTR,
    pin_len: CK_ULONG,
    p_username: CK_UTF8CHAR_PTR,
    username_len: CK_ULONG,
) -> CK_RV {
    guard_session("C_LoginUser", h, |scope| {
        scope.library()?;
        // SAFETY: forwarded contract.
        unsafe { bytes(p_username, username_len)? };
        // SAFETY: forwarded contract.
        let pin = SecretBytes::from(unsafe { bytes(p_pin, pin_len)? });
        scope.session()?.login(user, pin)?;
        ok()
    })
}

/// C_InitPIN: the SO sets the user PIN.
///
/// # Safety
/// `p_pin` must point to `pin_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn C_InitPIN(
    h: CK_SESSION_HANDLE,
    p_pin: CK_UTF8CHAR_PTR,
    pin_len: CK_ULONG,
) -> CK_RV {
    guard_session("C_InitPIN", h, |scope| {
        scope.library()?;
        // SAFETY: forwarded contract.
        let pin = SecretBytes::from(unsafe { bytes(p_pin, pin_len)? });
        scope.session()?.init_pin(pin)?;
        ok()
    })
}

/// C_SetPIN: changes the PIN of the logged-in user type (the user's in a public session).
///
/// # Safety
/// `p_old` must point to `old_len` bytes, `p_new` to `new_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn C_SetPIN(
    h: CK_SESSION_HANDLE,
    p_old: CK_UTF8CHAR_PTR,
    old_len: CK_ULONG,
    p_new: CK_UTF8CHAR_PTR,
    new_len: CK_ULONG,
) -> CK_RV {
    guard_session("C_SetPIN", h, |scope| {
        scope.library()?;
        // SAFETY: forwarded contract.
        let (old, new) = unsafe { (bytes(p_old, old_len)?, bytes(p_new, new_len)?) };
        scope
            .session()?
            .set_pin(SecretBytes::from(old), SecretBytes::from(new))?;
        ok()
    })
}

/// C_Logout.
///
/// # Safety
/// No pointer arguments.
#[no_mangle]
pub unsafe extern "C" fn C_Logout(h: CK_SESSION_HANDLE) -> CK_RV {
    guard_session("C_Logout", h, |scope| {
        scope.session()?.logout()?;
        ok()
    })
}

/// C_SessionCancel (v3.0): ends the operations named by `flags`.
///
/// # Safety
/// No pointer arguments.
#[no_mangle]
pub unsafe extern "C" fn C_SessionCancel(h: CK_SESSION_HANDLE, flags: CK_FLAGS) -> CK_RV {
    use crate::token::operations::OpKind;
    guard_session("C_SessionCancel", h, |scope| {
        let session = scope.session()?;
        let kinds = [
            (CKF_SIGN, OpKind::Sign),
            (CKF_VERIFY, OpKind::Verify),
            (CKF_ENCRYPT, OpKind::Encrypt),
            (CKF_DECRYPT, OpKind::Decrypt),
            (CKF_DIGEST, OpKind::Digest),
        ];
        for (flag, kind) in kinds {
            if flags & flag != 0 {
                session.cancel(kind);
            }
        }
        if flags & CKF_FIND_OBJECTS != 0 {
            let _ = session.find_final();
        }
        ok()
    })
}

/// C_GetOperationState: operation state is not exported (it may hold key references):
/// `CKR_STATE_UNSAVEABLE` while an operation is active, `CKR_OPERATION_NOT_INITIALIZED` when
/// none is.
///
/// # Safety
/// Pointers as the function requires.
#[no_mangle]
pub unsafe extern "C" fn C_GetOperationState(
    h: CK_SESSION_HANDLE,
    _p_state: CK_BYTE_PTR,
    pul_len: CK_ULONG_PTR,
) -> CK_RV {
    guard_session("C_GetOperationState", h, |scope| {
        let session = scope.session()?;
        non_null(pul_len)?;
        Err(Error::Ck(match session.lock().crypto_operation_active() {
            true => CKR_STATE_UNSAVEABLE,
            false => CKR_OPERATION_NOT_INITIALIZED,
        }))
    })
}

/// C_SetOperationState: see C_GetOperationState.
///
/// # Safety
/// Pointers as the function requires.
#[no_mangle]
pub unsafe extern "C" fn C_SetOperationState(
    h: CK_SESSION_HANDLE,
    p_state: CK_BYTE_PTR,
    state_len: CK_ULONG,
    _enc_key: CK_OBJECT_HANDLE,
    _auth_key: CK_OBJECT_HANDLE,
) -> CK_RV {
    guard_session("C_SetOperationState", h, |scope| {
        scope.session()?;
        // A state is never empty: NULL is refused whatever the length.
        non_null(p_state)?;
        // SAFETY: forwarded contract.
        unsafe { bytes(p_state, state_len)? };
        Err(Error::Ck(CKR_SAVED_STATE_INVALID))
    })
}

/// C_GetFunctionStatus: legacy; always `CKR_FUNCTION_NOT_PARALLEL`.
///
/// # Safety
/// No pointer arguments.
#[no_mangle]
pub unsafe extern "C" fn C_GetFunctionStatus(h: CK_SESSION_HANDLE) -> CK_RV {
    guard_session("C_GetFunctionStatus", h, |scope| {
        scope.session()?;
        Ok(CKR_FUNCTION_NOT_PARALLEL)
    })
}

/// C_CancelFunction: legacy; always `CKR_FUNCTION_NOT_PARALLEL`.
///
/// # Safety
/// No pointer arguments.
#[no_mangle]
pub unsafe extern "C" fn C_CancelFunction(h: CK_SESSION_HANDLE) -> CK_RV {
    guard_session("C_CancelFunction", h, |scope| {
        scope.session()?;
        Ok(CKR_FUNCTION_NOT_PARALLEL)
    })
}
