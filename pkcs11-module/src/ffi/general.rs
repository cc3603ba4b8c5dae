//! General-purpose, slot and token functions (PKCS#11 v3.0 §5.4–5.5).

use super::guard::{bytes, guard, non_null, ok, padded, put, Call};
use crate::error::{Error, Result};
use crate::token::{self, library};
use cryptoki_sys::*;
use kms_api::mech::table::MECHANISMS;
use kms_api::{MAX_PIN_LEN, MIN_PIN_LEN};

/// Version of this library (`libraryVersion`, token firmware version).
pub(crate) const LIBRARY_VERSION: CK_VERSION = CK_VERSION { major: 0, minor: 1 };
const MANUFACTURER: &str = "kms-pkcs11";

/// Checks `CK_C_INITIALIZE_ARGS` against the locking rules of C_Initialize (spec-checklist S1–S3).
fn check_init_args(args: &CK_C_INITIALIZE_ARGS) -> Result<()> {
    if !args.pReserved.is_null() {
        return Err(Error::Ck(CKR_ARGUMENTS_BAD));
    }
    let given = [
        args.CreateMutex.is_some(),
        args.DestroyMutex.is_some(),
        args.LockMutex.is_some(),
        args.UnlockMutex.is_some(),
    ];
    let count = given.iter().filter(|g| **g).count();
    if count != 0 && count != 4 {
        return Err(Error::Ck(CKR_ARGUMENTS_BAD));
    }
    // The module locks with the OS's primitives; it cannot use the application's mutexes.
    if count == 4 && args.flags & CKF_OS_LOCKING_OK == 0 {
        return Err(Error::Ck(CKR_CANT_LOCK));
    }
    // CKF_LIBRARY_CANT_CREATE_OS_THREADS needs nothing: the module never starts a thread (its
    // HTTPS client runs in the calling thread), so p11-kit and GnuTLS can load it.
    Ok(())
}

/// C_Initialize.
///
/// # Safety
/// `p_init_args` must be NULL or point to a `CK_C_INITIALIZE_ARGS`.
#[no_mangle]
pub unsafe extern "C" fn C_Initialize(p_init_args: CK_VOID_PTR) -> CK_RV {
    guard(Call::new("C_Initialize", None), || {
        if !p_init_args.is_null() {
            // SAFETY: non-NULL, a CK_C_INITIALIZE_ARGS by the caller's contract.
            let args = unsafe { (p_init_args as *const CK_C_INITIALIZE_ARGS).read_unaligned() };
            check_init_args(&args)?;
        }
        token::initialize()?;
        ok()
    })
}

/// C_Finalize.
///
/// # Safety
/// Callable with any argument; a non-NULL `p_reserved` is refused.
#[no_mangle]
pub unsafe extern "C" fn C_Finalize(p_reserved: CK_VOID_PTR) -> CK_RV {
    guard(Call::new("C_Finalize", None), || {
        library()?;
        if !p_reserved.is_null() {
            return Err(Error::Ck(CKR_ARGUMENTS_BAD));
        }
        token::finalize()?;
        ok()
    })
}

/// C_GetInfo.
///
/// # Safety
/// `p_info` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn C_GetInfo(p_info: CK_INFO_PTR) -> CK_RV {
    guard(Call::new("C_GetInfo", None), || {
        library()?;
        let info = CK_INFO {
            cryptokiVersion: CK_VERSION { major: 3, minor: 0 },
            manufacturerID: padded(MANUFACTURER),
            flags: 0,
            libraryDescription: padded("PKCS#11 module backed by kmsd"),
            libraryVersion: LIBRARY_VERSION,
        };
        // SAFETY: checked for NULL inside; writable by contract.
        unsafe { put(p_info, info)? };
        ok()
    })
}

/// Writes a list under the variable-length output rule (S7) and returns its `CK_RV`.
///
/// # Safety
/// `list` must be NULL or hold `*count` elements; `count` readable and writable.
pub(crate) unsafe fn write_list<T: Copy>(
    items: &[T],
    list: *mut T,
    count: *mut CK_ULONG,
) -> Result<CK_RV> {
    non_null(count)?;
    if list.is_null() {
        // SAFETY: non-NULL.
        unsafe { count.write(items.len() as CK_ULONG) };
        return ok();
    }
    // SAFETY: non-NULL.
    let cap = unsafe { count.read() } as usize;
    // SAFETY: non-NULL.
    unsafe { count.write(items.len() as CK_ULONG) };
    if cap < items.len() {
        return Ok(CKR_BUFFER_TOO_SMALL);
    }
    // SAFETY: `list` holds at least `cap >= items.len()` elements.
    unsafe { std::ptr::copy_nonoverlapping(items.as_ptr(), list, items.len()) };
    ok()
}

/// C_GetSlotList. Every configured slot holds its token (kmsd is asked when the token is used).
///
/// # Safety
/// Pointers as C_GetSlotList requires.
#[no_mangle]
pub unsafe extern "C" fn C_GetSlotList(
    _token_present: CK_BBOOL,
    p_slot_list: CK_SLOT_ID_PTR,
    pul_count: CK_ULONG_PTR,
) -> CK_RV {
    guard(Call::new("C_GetSlotList", None), || {
        let lib = library()?;
        let ids: Vec<CK_SLOT_ID> = lib.slots().iter().map(|s| s.id).collect();
        // SAFETY: forwarded contract.
        unsafe { write_list(&ids, p_slot_list, pul_count) }
    })
}

/// C_GetSlotInfo.
///
/// # Safety
/// `p_info` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn C_GetSlotInfo(slot_id: CK_SLOT_ID, p_info: CK_SLOT_INFO_PTR) -> CK_RV {
    guard(Call::new("C_GetSlotInfo", None), || {
        let lib = library()?;
        let slot = lib.slot(slot_id)?;
        let endpoint = slot
            .config
            .endpoints
            .first()
            .map(String::as_str)
            .unwrap_or("");
        let info = CK_SLOT_INFO {
            slotDescription: padded(&format!("kmsd {} at {endpoint}", slot.config.token)),
            manufacturerID: padded(MANUFACTURER),
            flags: CKF_TOKEN_PRESENT | CKF_HW_SLOT,
            hardwareVersion: LIBRARY_VERSION,
            firmwareVersion: LIBRARY_VERSION,
        };
        // SAFETY: checked for NULL inside.
        unsafe { put(p_info, info)? };
        ok()
    })
}

/// C_GetTokenInfo: the token's state from kmsd, with this application's session counts.
///
/// # Safety
/// `p_info` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn C_GetTokenInfo(slot_id: CK_SLOT_ID, p_info: CK_TOKEN_INFO_PTR) -> CK_RV {
    guard(Call::new("C_GetTokenInfo", None), || {
        let lib = library()?;
        let slot = lib.slot(slot_id)?;
        non_null(p_info)?;
        let t = slot.token_info()?;
        let (sessions, rw) = lib.session_counts(slot);
        let pin_flags = [
            (t.user_pin_initialized, CKF_USER_PIN_INITIALIZED),
            (t.user_pin_count_low, CKF_USER_PIN_COUNT_LOW),
            (t.user_pin_final_try, CKF_USER_PIN_FINAL_TRY),
            (t.user_pin_locked, CKF_USER_PIN_LOCKED),
            (t.so_pin_count_low, CKF_SO_PIN_COUNT_LOW),
            (t.so_pin_final_try, CKF_SO_PIN_FINAL_TRY),
            (t.so_pin_locked, CKF_SO_PIN_LOCKED),
        ];
        let flags = pin_flags.iter().filter(|(on, _)| *on).fold(
            CKF_RNG | CKF_LOGIN_REQUIRED | CKF_TOKEN_INITIALIZED,
            |f, (_, bit)| f | bit,
        );
        let info = CK_TOKEN_INFO {
            label: padded(&t.label),
            manufacturerID: padded(MANUFACTURER),
            model: padded("kmsd"),
            serialNumber: padded(&t.serial),
            flags,
            ulMaxSessionCount: CK_EFFECTIVELY_INFINITE,
            ulSessionCount: sessions as CK_ULONG,
            ulMaxRwSessionCount: CK_EFFECTIVELY_INFINITE,
            ulRwSessionCount: rw as CK_ULONG,
            ulMaxPinLen: t.max_pin_len.min(MAX_PIN_LEN as u64) as CK_ULONG,
            ulMinPinLen: t.min_pin_len.max(MIN_PIN_LEN as u64) as CK_ULONG,
            ulTotalPublicMemory: CK_UNAVAILABLE_INFORMATION,
            ulFreePublicMemory: CK_UNAVAILABLE_INFORMATION,
            ulTotalPrivateMemory: CK_UNAVAILABLE_INFORMATION,
            ulFreePrivateMemory: CK_UNAVAILABLE_INFORMATION,
            hardwareVersion: LIBRARY_VERSION,
            firmwareVersion: LIBRARY_VERSION,
            utcTime: [b' '; 16],
        };
        // SAFETY: checked for NULL above.
        unsafe { put(p_info, info)? };
        ok()
    })
}

/// C_GetMechanismList.
///
/// # Safety
/// Pointers as C_GetMechanismList requires.
#[no_mangle]
pub unsafe extern "C" fn C_GetMechanismList(
    slot_id: CK_SLOT_ID,
    p_list: CK_MECHANISM_TYPE_PTR,
    pul_count: CK_ULONG_PTR,
) -> CK_RV {
    guard(Call::new("C_GetMechanismList", None), || {
        library()?.slot(slot_id)?;
        let types: Vec<CK_MECHANISM_TYPE> = MECHANISMS
            .iter()
            .map(|m| m.ty as CK_MECHANISM_TYPE)
            .collect();
        // SAFETY: forwarded contract.
        unsafe { write_list(&types, p_list, pul_count) }
    })
}

/// C_GetMechanismInfo.
///
/// # Safety
/// `p_info` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn C_GetMechanismInfo(
    slot_id: CK_SLOT_ID,
    ty: CK_MECHANISM_TYPE,
    p_info: CK_MECHANISM_INFO_PTR,
) -> CK_RV {
    guard(Call::new("C_GetMechanismInfo", None), || {
        library()?.slot(slot_id)?;
        let m = kms_api::mech::info(ty as u64).ok_or(Error::Ck(CKR_MECHANISM_INVALID))?;
        let info = CK_MECHANISM_INFO {
            ulMinKeySize: m.key_size.0 as CK_ULONG,
            ulMaxKeySize: m.key_size.1 as CK_ULONG,
            flags: m.flags() as CK_FLAGS,
        };
        // SAFETY: checked for NULL inside.
        unsafe { put(p_info, info)? };
        ok()
    })
}

/// C_InitToken: the SO PIN re-initialises the slot's token in kmsd (its objects destroyed, the
/// user PIN forgotten). Tokens themselves are created with `kmsd token create`.
///
/// # Safety
/// `p_pin` must be valid for `pin_len` bytes, `p_label` for 32.
#[no_mangle]
pub unsafe extern "C" fn C_InitToken(
    slot_id: CK_SLOT_ID,
    p_pin: CK_UTF8CHAR_PTR,
    pin_len: CK_ULONG,
    p_label: CK_UTF8CHAR_PTR,
) -> CK_RV {
    guard(Call::new("C_InitToken", None), || {
        let lib = library()?;
        // SAFETY: forwarded contract.
        let pin = unsafe { bytes(p_pin, pin_len)? };
        non_null(p_label)?;
        // SAFETY: the label is a 32-byte field by the function's contract.
        let label = unsafe { bytes(p_label, 32)? };
        lib.init_token(slot_id, kms_api::SecretBytes::from(pin), label)?;
        ok()
    })
}

/// C_WaitForSlotEvent: slots are fixed by the configuration, so no event ever comes.
///
/// # Safety
/// Pointers as C_WaitForSlotEvent requires.
#[no_mangle]
pub unsafe extern "C" fn C_WaitForSlotEvent(
    flags: CK_FLAGS,
    p_slot: CK_SLOT_ID_PTR,
    _reserved: CK_VOID_PTR,
) -> CK_RV {
    guard(Call::new("C_WaitForSlotEvent", None), || {
        library()?;
        non_null(p_slot)?;
        if flags & CKF_DONT_BLOCK != 0 {
            Ok(CKR_NO_EVENT)
        } else {
            Err(Error::Ck(CKR_FUNCTION_NOT_SUPPORTED))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" fn create(_: *mut CK_VOID_PTR) -> CK_RV {
        CKR_OK
    }
    unsafe extern "C" fn other(_: CK_VOID_PTR) -> CK_RV {
        CKR_OK
    }

    fn args(all: bool, flags: CK_FLAGS) -> CK_C_INITIALIZE_ARGS {
        CK_C_INITIALIZE_ARGS {
            CreateMutex: Some(create),
            DestroyMutex: all.then_some(other as unsafe extern "C" fn(CK_VOID_PTR) -> CK_RV),
            LockMutex: Some(other),
            UnlockMutex: Some(other),
            flags,
            pReserved: std::ptr::null_mut(),
        }
    }

    #[test]
    fn locking_table() {
        let none = CK_C_INITIALIZE_ARGS {
            CreateMutex: None,
            DestroyMutex: None,
            LockMutex: None,
            UnlockMutex: None,
            flags: 0,
            pReserved: std::ptr::null_mut(),
        };
        assert_eq!(check_init_args(&none), Ok(()));
        assert_eq!(check_init_args(&args(true, CKF_OS_LOCKING_OK)), Ok(()));
        assert_eq!(
            check_init_args(&args(true, 0)),
            Err(Error::Ck(CKR_CANT_LOCK))
        );
        assert_eq!(
            check_init_args(&args(false, CKF_OS_LOCKING_OK)),
            Err(Error::Ck(CKR_ARGUMENTS_BAD))
        );
        let mut reserved = none;
        reserved.pReserved = std::ptr::dangling_mut();
        assert_eq!(
            check_init_args(&reserved),
            Err(Error::Ck(CKR_ARGUMENTS_BAD))
        );
        let threads = CK_C_INITIALIZE_ARGS {
            flags: CKF_LIBRARY_CANT_CREATE_OS_THREADS | CKF_OS_LOCKING_OK,
            ..none
        };
        assert_eq!(check_init_args(&threads), Ok(()), "no thread is needed");
    }
}
