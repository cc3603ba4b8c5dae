//! The C edge: every `extern "C"` entry point, the function lists of the 2.40 and 3.0
//! interfaces, and `C_GetFunctionList`/`C_GetInterfaceList`/`C_GetInterface`.
//!
//! This folder is the only place with `unsafe` code. Each entry point is a short shim: the
//! panic guard, pointer and length checks, copy in, one call into [`crate::token`], copy out.

#![allow(unsafe_code)]
#![allow(non_snake_case, clippy::missing_safety_doc)]

mod crypto;
mod general;
mod guard;
mod object;
mod returns;
mod session;
mod transport;
mod unsupported;

pub use crypto::*;
pub use general::*;
pub use object::*;
pub use session::*;
pub use transport::*;
pub use unsupported::*;

use cryptoki_sys::*;
use general::write_list;
use guard::{guard, non_null, ok, put, Call};
use std::cell::UnsafeCell;
use std::ffi::{c_void, CStr};

/// Builds a function list from the names of the functions it holds.
macro_rules! function_list {
    ($ty:ident, $version:expr, [$($f:ident),* $(,)?]) => {
        $ty { version: $version, $($f: Some($f)),* }
    };
}

/// Calls `$then!` with the names of every PKCS#11 2.40 function.
macro_rules! with_v240_functions {
    ($then:ident, $ty:ident, $version:expr, [$($extra:ident),*]) => {
        $then!($ty, $version, [
            C_Initialize, C_Finalize, C_GetInfo, C_GetFunctionList, C_GetSlotList, C_GetSlotInfo,
            C_GetTokenInfo, C_GetMechanismList, C_GetMechanismInfo, C_InitToken, C_InitPIN, C_SetPIN,
            C_OpenSession, C_CloseSession, C_CloseAllSessions, C_GetSessionInfo, C_GetOperationState,
            C_SetOperationState, C_Login, C_Logout, C_CreateObject, C_CopyObject, C_DestroyObject,
            C_GetObjectSize, C_GetAttributeValue, C_SetAttributeValue, C_FindObjectsInit, C_FindObjects,
            C_FindObjectsFinal, C_EncryptInit, C_Encrypt, C_EncryptUpdate, C_EncryptFinal, C_DecryptInit,
            C_Decrypt, C_DecryptUpdate, C_DecryptFinal, C_DigestInit, C_Digest, C_DigestUpdate, C_DigestKey,
            C_DigestFinal, C_SignInit, C_Sign, C_SignUpdate, C_SignFinal, C_SignRecoverInit, C_SignRecover,
            C_VerifyInit, C_Verify, C_VerifyUpdate, C_VerifyFinal, C_VerifyRecoverInit, C_VerifyRecover,
            C_DigestEncryptUpdate, C_DecryptDigestUpdate, C_SignEncryptUpdate, C_DecryptVerifyUpdate,
            C_GenerateKey, C_GenerateKeyPair, C_WrapKey, C_UnwrapKey, C_DeriveKey, C_SeedRandom,
            C_GenerateRandom, C_GetFunctionStatus, C_CancelFunction, C_WaitForSlotEvent
            $(, $extra)*
        ])
    };
}

const V240: CK_VERSION = CK_VERSION {
    major: 2,
    minor: 40,
};
const V300: CK_VERSION = CK_VERSION { major: 3, minor: 0 };

/// The PKCS#11 2.40 function list.
static FUNCTIONS_V240: CK_FUNCTION_LIST =
    with_v240_functions!(function_list, CK_FUNCTION_LIST, V240, []);

/// The PKCS#11 3.0 function list.
static FUNCTIONS_V300: CK_FUNCTION_LIST_3_0 = with_v240_functions!(
    function_list,
    CK_FUNCTION_LIST_3_0,
    V300,
    [
        C_GetInterfaceList,
        C_GetInterface,
        C_LoginUser,
        C_SessionCancel,
        C_MessageEncryptInit,
        C_EncryptMessage,
        C_EncryptMessageBegin,
        C_EncryptMessageNext,
        C_MessageEncryptFinal,
        C_MessageDecryptInit,
        C_DecryptMessage,
        C_DecryptMessageBegin,
        C_DecryptMessageNext,
        C_MessageDecryptFinal,
        C_MessageSignInit,
        C_SignMessage,
        C_SignMessageBegin,
        C_SignMessageNext,
        C_MessageSignFinal,
        C_MessageVerifyInit,
        C_VerifyMessage,
        C_VerifyMessageBegin,
        C_VerifyMessageNext,
        C_MessageVerifyFinal
    ]
);

const INTERFACE_NAME: &CStr = c"PKCS 11";

/// The interfaces offered, the newest first. Neither is `CKF_INTERFACE_FORK_SAFE`.
const fn interfaces() -> [CK_INTERFACE; 2] {
    [
        CK_INTERFACE {
            pInterfaceName: INTERFACE_NAME.as_ptr() as *mut CK_UTF8CHAR,
            pFunctionList: &FUNCTIONS_V300 as *const CK_FUNCTION_LIST_3_0 as *mut c_void,
            flags: 0,
        },
        CK_INTERFACE {
            pInterfaceName: INTERFACE_NAME.as_ptr() as *mut CK_UTF8CHAR,
            pFunctionList: &FUNCTIONS_V240 as *const CK_FUNCTION_LIST as *mut c_void,
            flags: 0,
        },
    ]
}

/// The interfaces `C_GetInterface` hands out, in writable memory: some callers write into the
/// `CK_INTERFACE` they get (OpenSC's pkcs11-spy replaces its function list), which must not
/// crash them. The module itself reads only [`interfaces`].
struct HandedOut(UnsafeCell<[CK_INTERFACE; 2]>);

// SAFETY: the module never reads or writes the cell; it only hands out pointers into it.
unsafe impl Sync for HandedOut {}

static HANDED_OUT: HandedOut = HandedOut(UnsafeCell::new(interfaces()));

fn interface_version(i: &CK_INTERFACE) -> CK_VERSION {
    // Both lists start with their CK_VERSION.
    // SAFETY: `pFunctionList` points to one of the two statics above.
    unsafe { (i.pFunctionList as *const CK_VERSION).read() }
}

/// C_GetFunctionList: the 2.40 list. Callable before C_Initialize.
///
/// # Safety
/// `pp_list` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn C_GetFunctionList(pp_list: CK_FUNCTION_LIST_PTR_PTR) -> CK_RV {
    guard(Call::new("C_GetFunctionList", None), || {
        // SAFETY: checked for NULL inside; applications never write through the list.
        unsafe {
            put(
                pp_list,
                &FUNCTIONS_V240 as *const CK_FUNCTION_LIST as CK_FUNCTION_LIST_PTR,
            )?
        };
        ok()
    })
}

/// C_GetInterfaceList (v3.0). Callable before C_Initialize.
///
/// # Safety
/// `p_list` must be NULL or hold `*pul_count` interfaces; `pul_count` readable and writable.
#[no_mangle]
pub unsafe extern "C" fn C_GetInterfaceList(
    p_list: CK_INTERFACE_PTR,
    pul_count: CK_ULONG_PTR,
) -> CK_RV {
    // SAFETY: forwarded contract.
    guard(Call::new("C_GetInterfaceList", None), || unsafe {
        write_list(&interfaces(), p_list, pul_count)
    })
}

/// C_GetInterface (v3.0): by name ("PKCS 11" or NULL), version (or NULL: the newest) and flags.
///
/// # Safety
/// `p_name` must be NULL or a C string; `p_version` NULL or readable; `pp_interface` writable.
#[no_mangle]
pub unsafe extern "C" fn C_GetInterface(
    p_name: CK_UTF8CHAR_PTR,
    p_version: CK_VERSION_PTR,
    pp_interface: CK_INTERFACE_PTR_PTR,
    flags: CK_FLAGS,
) -> CK_RV {
    guard(Call::new("C_GetInterface", None), || {
        non_null(pp_interface)?;
        if !p_name.is_null() {
            // SAFETY: a NUL-terminated string by the caller's contract.
            let name = unsafe { CStr::from_ptr(p_name as *const std::ffi::c_char) };
            if name != INTERFACE_NAME {
                return Err(crate::error::Error::Ck(CKR_ARGUMENTS_BAD));
            }
        }
        // SAFETY: NULL or readable by the caller's contract.
        let wanted = (!p_version.is_null()).then(|| unsafe { p_version.read() });
        let found = interfaces().iter().position(|i| {
            let v = interface_version(i);
            wanted.is_none_or(|w| w.major == v.major && w.minor == v.minor)
                && i.flags & flags == flags
        });
        let index = found.ok_or(crate::error::Error::Ck(CKR_ARGUMENTS_BAD))?;
        let handed: *mut CK_INTERFACE = HANDED_OUT.0.get().cast();
        // SAFETY: checked for NULL above; `index` is within the two-element array.
        unsafe { put(pp_interface, handed.add(index))? };
        ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_interfaces() {
        let mut list: CK_FUNCTION_LIST_PTR = std::ptr::null_mut();
        // SAFETY: test-local pointers.
        unsafe {
            assert_eq!(C_GetFunctionList(&mut list), CKR_OK);
            assert_eq!((*list).version.minor, 40);
            assert!((*list).C_WaitForSlotEvent.is_some());
            assert_eq!(C_GetFunctionList(std::ptr::null_mut()), CKR_ARGUMENTS_BAD);
            let mut n: CK_ULONG = 0;
            assert_eq!(C_GetInterfaceList(std::ptr::null_mut(), &mut n), CKR_OK);
            assert_eq!(n, 2);
            let mut iface: CK_INTERFACE_PTR = std::ptr::null_mut();
            assert_eq!(
                C_GetInterface(std::ptr::null_mut(), std::ptr::null_mut(), &mut iface, 0),
                CKR_OK
            );
            assert_eq!(interface_version(&*iface).major, 3);
            let f = (*iface).pFunctionList as *const CK_FUNCTION_LIST_3_0;
            assert!((*f).C_SessionCancel.is_some());
            let v240 = CK_VERSION {
                major: 2,
                minor: 40,
            };
            assert_eq!(
                C_GetInterface(
                    std::ptr::null_mut(),
                    &v240 as *const _ as *mut _,
                    &mut iface,
                    0
                ),
                CKR_OK
            );
            assert_eq!(interface_version(&*iface).minor, 40);
            let fork_safe = C_GetInterface(
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                &mut iface,
                CKF_INTERFACE_FORK_SAFE,
            );
            assert_eq!(fork_safe, CKR_ARGUMENTS_BAD, "never advertise fork safety");
        }
    }
}
