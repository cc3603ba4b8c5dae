//! The C API as an application sees it: a module loaded with dlopen, its function list, and
//! the few calls the process-level tests (fork, reload, finalize races) need.

#![allow(
    unsafe_code,
    reason = "calls through a PKCS#11 function list; each block says why it is sound"
)]

use crate::{module_path, USER_PIN};
use cryptoki_sys::*;
use std::path::Path;
use std::ptr::null_mut;

/// A loaded module and its function list (not initialised).
pub struct Module {
    /// The library; the function list is valid while it is loaded.
    pub lib: libloading::Library,
    /// The list `C_GetFunctionList` returned.
    pub f: CK_FUNCTION_LIST,
}

impl Module {
    /// Our module ([`module_path`]): dlopen + C_GetFunctionList.
    pub fn load() -> Module {
        Module::load_from(&module_path())
    }

    /// The PKCS#11 module at `path` (ours or another, SoftHSM2): dlopen + C_GetFunctionList.
    pub fn load_from(path: &Path) -> Module {
        // SAFETY: loading a PKCS#11 module; C_GetFunctionList has the standard signature and the
        // list it returns lives as long as the library.
        unsafe {
            let lib = libloading::Library::new(path).expect("dlopen");
            let get: libloading::Symbol<unsafe extern "C" fn(CK_FUNCTION_LIST_PTR_PTR) -> CK_RV> =
                lib.get(b"C_GetFunctionList").expect("C_GetFunctionList");
            let mut list: CK_FUNCTION_LIST_PTR = null_mut();
            assert_eq!(get(&mut list), CKR_OK);
            let f = *list;
            Module { lib, f }
        }
    }

    /// C_Initialize(NULL).
    pub fn initialize(&self) -> CK_RV {
        // SAFETY: NULL arguments are allowed.
        unsafe { self.f.C_Initialize.expect("C_Initialize")(null_mut()) }
    }

    /// C_Finalize(NULL).
    pub fn finalize(&self) -> CK_RV {
        // SAFETY: NULL is the only allowed argument.
        unsafe { self.f.C_Finalize.expect("C_Finalize")(null_mut()) }
    }

    /// C_GetInfo into a local.
    pub fn get_info(&self) -> CK_RV {
        // SAFETY: a writable CK_INFO.
        unsafe {
            let mut info: CK_INFO = std::mem::zeroed();
            self.f.C_GetInfo.expect("C_GetInfo")(&mut info)
        }
    }

    /// Opens a read/write session on slot 0 and logs in with [`USER_PIN`] (if asked); the
    /// session's handle.
    pub fn session(&self, login: bool) -> Result<CK_SESSION_HANDLE, CK_RV> {
        let mut s = 0;
        // SAFETY: valid pointers to locals.
        let rv = unsafe {
            self.f.C_OpenSession.expect("C_OpenSession")(
                0,
                CKF_SERIAL_SESSION | CKF_RW_SESSION,
                null_mut(),
                None,
                &mut s,
            )
        };
        if rv != CKR_OK {
            return Err(rv);
        }
        if login {
            // SAFETY: the PIN outlives the call.
            let rv = unsafe {
                self.f.C_Login.expect("C_Login")(
                    s,
                    CKU_USER,
                    USER_PIN.as_ptr() as *mut u8,
                    USER_PIN.len() as CK_ULONG,
                )
            };
            if rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN {
                return Err(rv);
            }
        }
        Ok(s)
    }

    /// A P-256 session key pair; the private key.
    pub fn ec_key(&self, s: CK_SESSION_HANDLE) -> Result<CK_OBJECT_HANDLE, CK_RV> {
        let ec = [0x06u8, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        let mut t = [CK_ATTRIBUTE {
            type_: CKA_EC_PARAMS,
            pValue: ec.as_ptr() as *mut _,
            ulValueLen: ec.len() as CK_ULONG,
        }];
        let (mut public, mut private) = (0, 0);
        let mut gen = CK_MECHANISM {
            mechanism: CKM_EC_KEY_PAIR_GEN,
            pParameter: null_mut(),
            ulParameterLen: 0,
        };
        // SAFETY: valid pointers to locals.
        let rv = unsafe {
            self.f.C_GenerateKeyPair.expect("C_GenerateKeyPair")(
                s,
                &mut gen,
                t.as_mut_ptr(),
                1,
                null_mut(),
                0,
                &mut public,
                &mut private,
            )
        };
        if rv == CKR_OK {
            Ok(private)
        } else {
            Err(rv)
        }
    }

    /// One ECDSA-SHA256 signature with `key`.
    pub fn sign(&self, s: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE) -> CK_RV {
        let mut m = CK_MECHANISM {
            mechanism: CKM_ECDSA_SHA256,
            pParameter: null_mut(),
            ulParameterLen: 0,
        };
        let mut sig = [0u8; 64];
        let mut len: CK_ULONG = 64;
        // SAFETY: valid pointers to locals.
        unsafe {
            let rv = self.f.C_SignInit.expect("C_SignInit")(s, &mut m, key);
            if rv != CKR_OK {
                return rv;
            }
            self.f.C_Sign.expect("C_Sign")(
                s,
                b"data".as_ptr() as *mut u8,
                4,
                sig.as_mut_ptr(),
                &mut len,
            )
        }
    }

    /// A SHA-256 digest (no round trip).
    pub fn digest(&self, s: CK_SESSION_HANDLE) -> CK_RV {
        let mut m = CK_MECHANISM {
            mechanism: CKM_SHA256,
            pParameter: null_mut(),
            ulParameterLen: 0,
        };
        let mut out = [0u8; 32];
        let mut len: CK_ULONG = 32;
        // SAFETY: valid pointers to locals.
        unsafe {
            let rv = self.f.C_DigestInit.expect("C_DigestInit")(s, &mut m);
            if rv != CKR_OK {
                return rv;
            }
            self.f.C_Digest.expect("C_Digest")(
                s,
                b"data".as_ptr() as *mut u8,
                4,
                out.as_mut_ptr(),
                &mut len,
            )
        }
    }

    /// A session, a login, a key and a signature: `CKR_OK` or the first failure.
    pub fn sign_once(&self, login: bool) -> CK_RV {
        let run = || -> Result<(), CK_RV> {
            let s = self.session(login)?;
            let key = self.ec_key(s)?;
            match self.sign(s, key) {
                CKR_OK => Ok(()),
                rv => Err(rv),
            }
        };
        run().err().unwrap_or(CKR_OK)
    }
}
