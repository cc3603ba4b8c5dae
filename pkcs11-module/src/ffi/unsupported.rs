//! Functions this token does not offer yet, each returning the code the specification names
//! for "not offered" after the universal checks (`CKR_CRYPTOKI_NOT_INITIALIZED` first):
//!
//! - recover and dual-purpose functions (no mechanism here has `CKF_SIGN_RECOVER`/`CKF_VERIFY_RECOVER`);
//! - the v3.0 message-based functions (no mechanism here offers them).
//!
//! `C_GetMechanismInfo` never advertises a flag that would lead an application here.

use super::guard::{guard, Call};
use crate::error::Error;
use crate::token::library;
use cryptoki_sys::*;
use std::ffi::c_void;

macro_rules! not_offered {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {$(
        #[doc = concat!(stringify!($name), ": not offered (`CKR_FUNCTION_NOT_SUPPORTED`).")]
        ///
        /// # Safety
        /// No argument is dereferenced.
        #[no_mangle]
        pub unsafe extern "C" fn $name($($arg: $ty),*) -> CK_RV {
            $(let _ = $arg;)*
            guard(Call::new(stringify!($name), None), || {
                library()?;
                Err(Error::Ck(CKR_FUNCTION_NOT_SUPPORTED))
            })
        }
    )*};
}

not_offered! {
    C_SignRecoverInit(_a1: CK_SESSION_HANDLE, _a2: *mut CK_MECHANISM, _a3: CK_OBJECT_HANDLE);
    C_SignRecover(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: *mut CK_ULONG);
    C_VerifyRecoverInit(_a1: CK_SESSION_HANDLE, _a2: *mut CK_MECHANISM, _a3: CK_OBJECT_HANDLE);
    C_VerifyRecover(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: *mut CK_ULONG);
    C_DigestEncryptUpdate(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: *mut CK_ULONG);
    C_DecryptDigestUpdate(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: *mut CK_ULONG);
    C_SignEncryptUpdate(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: *mut CK_ULONG);
    C_DecryptVerifyUpdate(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: *mut CK_ULONG);
    C_MessageEncryptInit(_a1: CK_SESSION_HANDLE, _a2: *mut CK_MECHANISM, _a3: CK_OBJECT_HANDLE);
    C_EncryptMessage(_a1: CK_SESSION_HANDLE, _a2: *mut c_void, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: CK_ULONG, _a6: *mut CK_BYTE, _a7: CK_ULONG, _a8: *mut CK_BYTE, _a9: *mut CK_ULONG);
    C_EncryptMessageBegin(_a1: CK_SESSION_HANDLE, _a2: *mut c_void, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: CK_ULONG);
    C_EncryptMessageNext(_a1: CK_SESSION_HANDLE, _a2: *mut c_void, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: CK_ULONG, _a6: *mut CK_BYTE, _a7: *mut CK_ULONG, _a8: CK_FLAGS);
    C_MessageEncryptFinal(_a1: CK_SESSION_HANDLE);
    C_MessageDecryptInit(_a1: CK_SESSION_HANDLE, _a2: *mut CK_MECHANISM, _a3: CK_OBJECT_HANDLE);
    C_DecryptMessage(_a1: CK_SESSION_HANDLE, _a2: *mut c_void, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: CK_ULONG, _a6: *mut CK_BYTE, _a7: CK_ULONG, _a8: *mut CK_BYTE, _a9: *mut CK_ULONG);
    C_DecryptMessageBegin(_a1: CK_SESSION_HANDLE, _a2: *mut c_void, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: CK_ULONG);
    C_DecryptMessageNext(_a1: CK_SESSION_HANDLE, _a2: *mut c_void, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: CK_ULONG, _a6: *mut CK_BYTE, _a7: *mut CK_ULONG, _a8: CK_FLAGS);
    C_MessageDecryptFinal(_a1: CK_SESSION_HANDLE);
    C_MessageSignInit(_a1: CK_SESSION_HANDLE, _a2: *mut CK_MECHANISM, _a3: CK_OBJECT_HANDLE);
    C_SignMessage(_a1: CK_SESSION_HANDLE, _a2: *mut c_void, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: CK_ULONG, _a6: *mut CK_BYTE, _a7: *mut CK_ULONG);
    C_SignMessageBegin(_a1: CK_SESSION_HANDLE, _a2: *mut c_void, _a3: CK_ULONG);
    C_SignMessageNext(_a1: CK_SESSION_HANDLE, _a2: *mut c_void, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: CK_ULONG, _a6: *mut CK_BYTE, _a7: *mut CK_ULONG);
    C_MessageSignFinal(_a1: CK_SESSION_HANDLE);
    C_MessageVerifyInit(_a1: CK_SESSION_HANDLE, _a2: *mut CK_MECHANISM, _a3: CK_OBJECT_HANDLE);
    C_VerifyMessage(_a1: CK_SESSION_HANDLE, _a2: *mut c_void, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: CK_ULONG, _a6: *mut CK_BYTE, _a7: CK_ULONG);
    C_VerifyMessageBegin(_a1: CK_SESSION_HANDLE, _a2: *mut c_void, _a3: CK_ULONG);
    C_VerifyMessageNext(_a1: CK_SESSION_HANDLE, _a2: *mut c_void, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: CK_ULONG, _a6: *mut CK_BYTE, _a7: CK_ULONG);
    C_MessageVerifyFinal(_a1: CK_SESSION_HANDLE);
}
