//! Fork (spec-checklist S6): after `fork()` the child sees `CKR_CRYPTOKI_NOT_INITIALIZED` until
//! its own `C_Initialize`, is not logged in, and then works on its own connections; the parent
//! keeps working. Pre-forking servers (nginx, apache2) do exactly this.

// This test is an application: it calls the C API through raw pointers and forks.
#![allow(unsafe_code)]

use cryptoki_sys::*;
use softhsm_tests::{module_path, Kmsd, TOKEN, USER_PIN};
use std::ptr::null_mut;

unsafe fn sign_once(f: &CK_FUNCTION_LIST, login: bool) -> CK_RV {
    let mut s = 0;
    let rv = f.C_OpenSession.unwrap()(
        0,
        CKF_SERIAL_SESSION | CKF_RW_SESSION,
        null_mut(),
        None,
        &mut s,
    );
    if rv != CKR_OK {
        return rv;
    }
    if login {
        let rv = f.C_Login.unwrap()(
            s,
            CKU_USER,
            USER_PIN.as_ptr() as *mut u8,
            USER_PIN.len() as CK_ULONG,
        );
        if rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN {
            return rv;
        }
    }
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
    let rv = f.C_GenerateKeyPair.unwrap()(
        s,
        &mut gen,
        t.as_mut_ptr(),
        1,
        null_mut(),
        0,
        &mut public,
        &mut private,
    );
    if rv != CKR_OK {
        return rv;
    }
    let mut m = CK_MECHANISM {
        mechanism: CKM_ECDSA_SHA256,
        pParameter: null_mut(),
        ulParameterLen: 0,
    };
    let mut sig = [0u8; 64];
    let mut len: CK_ULONG = 64;
    let rv = f.C_SignInit.unwrap()(s, &mut m, private);
    if rv != CKR_OK {
        return rv;
    }
    f.C_Sign.unwrap()(
        s,
        b"fork".as_ptr() as *mut u8,
        4,
        sig.as_mut_ptr(),
        &mut len,
    )
}

#[test]
fn a_forked_child_initializes_again_and_the_parent_goes_on() {
    let kmsd = Kmsd::start();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config_for(&[TOKEN]));
    // SAFETY: loading our own module; the function list has the standard layout.
    let (lib, f) = unsafe {
        let lib = libloading::Library::new(module_path()).unwrap();
        let get: libloading::Symbol<unsafe extern "C" fn(CK_FUNCTION_LIST_PTR_PTR) -> CK_RV> =
            lib.get(b"C_GetFunctionList").unwrap();
        let mut list: CK_FUNCTION_LIST_PTR = null_mut();
        assert_eq!(get(&mut list), CKR_OK);
        (lib, *list)
    };
    // SAFETY: C calls with valid arguments; the child only calls the module and `_exit`s.
    unsafe {
        assert_eq!(f.C_Initialize.unwrap()(null_mut()), CKR_OK);
        assert_eq!(sign_once(&f, true), CKR_OK, "parent before fork");
        for round in 0..3 {
            let pid = libc::fork();
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                let mut info: CK_INFO = std::mem::zeroed();
                let code = if f.C_GetInfo.unwrap()(&mut info) != CKR_CRYPTOKI_NOT_INITIALIZED {
                    10
                } else if f.C_Initialize.unwrap()(null_mut()) != CKR_OK {
                    11
                } else if f.C_GetInfo.unwrap()(&mut info) != CKR_OK {
                    12
                } else if sign_once(&f, false) != CKR_USER_NOT_LOGGED_IN {
                    13 // the child is not logged in
                } else if sign_once(&f, true) != CKR_OK {
                    14
                } else if f.C_Finalize.unwrap()(null_mut()) != CKR_OK {
                    15
                } else {
                    0
                };
                libc::_exit(code);
            }
            let mut status = 0;
            assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
            assert!(
                libc::WIFEXITED(status),
                "child {round} crashed: status {status}"
            );
            assert_eq!(
                libc::WEXITSTATUS(status),
                0,
                "child {round} failed at step {}",
                libc::WEXITSTATUS(status)
            );
            assert_eq!(sign_once(&f, true), CKR_OK, "parent after fork {round}");
        }
        assert_eq!(f.C_Finalize.unwrap()(null_mut()), CKR_OK);
    }
    drop(lib);
}
