//! The C edge's own rules, called through the raw function list: NULL pointers, bad handles,
//! operation states and the variable-length output rule.

// This test is an application: it calls the C API through raw pointers, as C clients do.
#![allow(unsafe_code)]

use cryptoki_sys::*;
use kms_testkit::{capi::Module, Kmsd, TOKEN, USER_PIN};
use std::ptr::null_mut;

struct Lib {
    _kmsd: Kmsd,
    f: CK_FUNCTION_LIST,
    _lib: libloading::Library,
}

fn lib() -> &'static Lib {
    static L: std::sync::OnceLock<Lib> = std::sync::OnceLock::new();
    L.get_or_init(|| {
        let kmsd = Kmsd::start();
        std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config_for(&[TOKEN]));
        let Module { lib, f } = Module::load();
        // SAFETY: NULL arguments are allowed.
        unsafe {
            assert_eq!(
                f.C_GetInfo.unwrap()(null_mut()),
                CKR_CRYPTOKI_NOT_INITIALIZED
            );
            assert_eq!(f.C_Initialize.unwrap()(null_mut()), CKR_OK);
            assert_eq!(
                f.C_Initialize.unwrap()(null_mut()),
                CKR_CRYPTOKI_ALREADY_INITIALIZED
            );
            Lib {
                _kmsd: kmsd,
                f,
                _lib: lib,
            }
        }
    })
}

fn open(login: bool) -> CK_SESSION_HANDLE {
    let f = lib().f;
    let mut h = 0;
    // SAFETY: valid out-pointers.
    unsafe {
        assert_eq!(
            f.C_OpenSession.unwrap()(
                0,
                CKF_SERIAL_SESSION | CKF_RW_SESSION,
                null_mut(),
                None,
                &mut h
            ),
            CKR_OK
        );
        if login {
            let rv = f.C_Login.unwrap()(
                h,
                CKU_USER,
                USER_PIN.as_ptr() as *mut u8,
                USER_PIN.len() as CK_ULONG,
            );
            assert!(
                rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN,
                "login: {rv:#x}"
            );
        }
    }
    h
}

#[test]
fn null_pointers_and_bad_handles() {
    let f = lib().f;
    // SAFETY: deliberate NULLs and bogus handles; the module must refuse them.
    unsafe {
        assert_eq!(f.C_GetInfo.unwrap()(null_mut()), CKR_ARGUMENTS_BAD);
        assert_eq!(
            f.C_GetSlotList.unwrap()(0, null_mut(), null_mut()),
            CKR_ARGUMENTS_BAD
        );
        assert_eq!(
            f.C_OpenSession.unwrap()(0, CKF_SERIAL_SESSION, null_mut(), None, null_mut()),
            CKR_ARGUMENTS_BAD
        );
        let mut h = 0;
        assert_eq!(
            f.C_OpenSession.unwrap()(99, CKF_SERIAL_SESSION, null_mut(), None, &mut h),
            CKR_SLOT_ID_INVALID
        );
        assert_eq!(
            f.C_OpenSession.unwrap()(0, 0, null_mut(), None, &mut h),
            CKR_SESSION_PARALLEL_NOT_SUPPORTED
        );
        assert_eq!(
            f.C_CloseSession.unwrap()(0xdead_beef),
            CKR_SESSION_HANDLE_INVALID
        );
        let s = open(false);
        let mut attr = CK_ATTRIBUTE {
            type_: CKA_LABEL,
            pValue: null_mut(),
            ulValueLen: 0,
        };
        assert_eq!(
            f.C_GetAttributeValue.unwrap()(s, 0x7777_7777, &mut attr, 1),
            CKR_OBJECT_HANDLE_INVALID
        );
        assert_eq!(
            f.C_FindObjectsInit.unwrap()(s, null_mut(), 1),
            CKR_ARGUMENTS_BAD
        );
        let mut m = CK_MECHANISM {
            mechanism: CKM_SHA256_RSA_PKCS,
            pParameter: null_mut(),
            ulParameterLen: 0,
        };
        assert_eq!(
            f.C_SignInit.unwrap()(s, &mut m, 0x7777_7777),
            CKR_KEY_HANDLE_INVALID
        );
        let mut wrap = CK_MECHANISM {
            mechanism: CKM_AES_KEY_WRAP,
            pParameter: null_mut(),
            ulParameterLen: 0,
        };
        let mut wrapped_len: CK_ULONG = 0;
        assert_eq!(
            f.C_WrapKey.unwrap()(
                s,
                &mut wrap,
                0x7777_7777,
                0x7777_7778,
                null_mut(),
                &mut wrapped_len
            ),
            CKR_WRAPPING_KEY_HANDLE_INVALID
        );
        assert_eq!(
            f.C_DeriveKey.unwrap()(s, null_mut(), 1, null_mut(), 0, &mut wrapped_len),
            CKR_ARGUMENTS_BAD,
            "a NULL mechanism is refused, never read"
        );
        let mut out_len: CK_ULONG = 0;
        assert_eq!(
            f.C_Sign.unwrap()(s, b"x".as_ptr() as *mut u8, 1, null_mut(), &mut out_len),
            CKR_OPERATION_NOT_INITIALIZED
        );
        let mut bogus = CK_MECHANISM {
            mechanism: 0x7fff_fff0,
            pParameter: null_mut(),
            ulParameterLen: 0,
        };
        assert_eq!(
            f.C_DigestInit.unwrap()(s, &mut bogus),
            CKR_MECHANISM_INVALID
        );
        let mut cbc = CK_MECHANISM {
            mechanism: CKM_AES_CBC_PAD,
            pParameter: [0u8; 8].as_mut_ptr() as *mut _,
            ulParameterLen: 8,
        };
        assert_eq!(
            f.C_EncryptInit.unwrap()(s, &mut cbc, 1),
            CKR_MECHANISM_PARAM_INVALID
        );
        assert_eq!(f.C_Logout.unwrap()(s), CKR_USER_NOT_LOGGED_IN);
        assert_eq!(
            f.C_Login.unwrap()(s, 7, USER_PIN.as_ptr() as *mut u8, 8),
            CKR_USER_TYPE_INVALID
        );
        assert_eq!(f.C_GetFunctionStatus.unwrap()(s), CKR_FUNCTION_NOT_PARALLEL);
        assert_eq!(f.C_CloseSession.unwrap()(s), CKR_OK);
        assert_eq!(f.C_CloseSession.unwrap()(s), CKR_SESSION_HANDLE_INVALID);
    }
}

#[test]
fn output_length_rule_and_operation_states() {
    let f = lib().f;
    let s = open(true);
    // SAFETY: buffers sized as passed.
    unsafe {
        let mut m = CK_MECHANISM {
            mechanism: CKM_SHA256,
            pParameter: null_mut(),
            ulParameterLen: 0,
        };
        assert_eq!(f.C_DigestInit.unwrap()(s, &mut m), CKR_OK);
        assert_eq!(f.C_DigestInit.unwrap()(s, &mut m), CKR_OPERATION_ACTIVE);
        let mut len: CK_ULONG = 0;
        assert_eq!(
            f.C_Digest.unwrap()(s, b"abc".as_ptr() as *mut u8, 3, null_mut(), &mut len),
            CKR_OK
        );
        assert_eq!(len, 32, "size query");
        let mut small = [0u8; 31];
        len = 31;
        assert_eq!(
            f.C_Digest.unwrap()(
                s,
                b"abc".as_ptr() as *mut u8,
                3,
                small.as_mut_ptr(),
                &mut len
            ),
            CKR_BUFFER_TOO_SMALL
        );
        assert_eq!(len, 32);
        assert_eq!(
            f.C_DigestUpdate.unwrap()(s, b"abc".as_ptr() as *mut u8, 3),
            CKR_OPERATION_ACTIVE,
            "single-part already begun"
        );
        let mut out = [0u8; 64];
        len = 64;
        assert_eq!(
            f.C_Digest.unwrap()(s, b"abc".as_ptr() as *mut u8, 3, out.as_mut_ptr(), &mut len),
            CKR_OK
        );
        assert_eq!((len, out[0]), (32, 0xba));
        assert_eq!(
            f.C_Digest.unwrap()(s, b"abc".as_ptr() as *mut u8, 3, out.as_mut_ptr(), &mut len),
            CKR_OPERATION_NOT_INITIALIZED
        );
        assert_eq!(
            f.C_Digest.unwrap()(s, null_mut(), 0, null_mut(), null_mut()),
            CKR_ARGUMENTS_BAD
        );

        // Generate an EC key and sign with a size query and a short buffer first.
        let ec_params = [0x06u8, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        let mut pub_t = [CK_ATTRIBUTE {
            type_: CKA_EC_PARAMS,
            pValue: ec_params.as_ptr() as *mut _,
            ulValueLen: ec_params.len() as CK_ULONG,
        }];
        let (mut hpub, mut hpriv) = (0, 0);
        let mut gen = CK_MECHANISM {
            mechanism: CKM_EC_KEY_PAIR_GEN,
            pParameter: null_mut(),
            ulParameterLen: 0,
        };
        assert_eq!(
            f.C_GenerateKeyPair.unwrap()(
                s,
                &mut gen,
                pub_t.as_mut_ptr(),
                1,
                null_mut(),
                0,
                &mut hpub,
                &mut hpriv
            ),
            CKR_OK
        );
        let mut sign = CK_MECHANISM {
            mechanism: CKM_ECDSA_SHA256,
            pParameter: null_mut(),
            ulParameterLen: 0,
        };
        assert_eq!(f.C_SignInit.unwrap()(s, &mut sign, hpriv), CKR_OK);
        len = 0;
        assert_eq!(
            f.C_Sign.unwrap()(s, b"m".as_ptr() as *mut u8, 1, null_mut(), &mut len),
            CKR_OK
        );
        assert_eq!(len, 64);
        let mut sig = [0u8; 64];
        len = 10;
        assert_eq!(
            f.C_Sign.unwrap()(s, b"m".as_ptr() as *mut u8, 1, sig.as_mut_ptr(), &mut len),
            CKR_BUFFER_TOO_SMALL
        );
        len = 64;
        assert_eq!(
            f.C_Sign.unwrap()(s, b"m".as_ptr() as *mut u8, 1, sig.as_mut_ptr(), &mut len),
            CKR_OK,
            "operation survived"
        );
        assert_eq!(f.C_VerifyInit.unwrap()(s, &mut sign, hpub), CKR_OK);
        assert_eq!(
            f.C_VerifyUpdate.unwrap()(s, b"m".as_ptr() as *mut u8, 1),
            CKR_OK
        );
        assert_eq!(f.C_VerifyFinal.unwrap()(s, sig.as_mut_ptr(), 64), CKR_OK);
        // A wrong signature ends the operation.
        assert_eq!(f.C_VerifyInit.unwrap()(s, &mut sign, hpub), CKR_OK);
        assert_eq!(
            f.C_Verify.unwrap()(s, b"n".as_ptr() as *mut u8, 1, sig.as_mut_ptr(), 64),
            CKR_SIGNATURE_INVALID
        );
        assert_eq!(
            f.C_VerifyFinal.unwrap()(s, sig.as_mut_ptr(), 64),
            CKR_OPERATION_NOT_INITIALIZED
        );
        // v3.0: a NULL mechanism cancels.
        assert_eq!(f.C_SignInit.unwrap()(s, &mut sign, hpriv), CKR_OK);
        assert_eq!(f.C_SignInit.unwrap()(s, null_mut(), 0), CKR_OK);
        assert_eq!(
            f.C_SignFinal.unwrap()(s, null_mut(), &mut len),
            CKR_OPERATION_NOT_INITIALIZED
        );
        // Attributes: every one is processed, the worst outcome is returned.
        let mut label = [0u8; 1];
        let mut attrs = [
            CK_ATTRIBUTE {
                type_: CKA_VALUE,
                pValue: null_mut(),
                ulValueLen: 0,
            },
            CK_ATTRIBUTE {
                type_: CKA_KEY_TYPE,
                pValue: null_mut(),
                ulValueLen: 0,
            },
            CK_ATTRIBUTE {
                type_: CKA_MODULUS,
                pValue: label.as_mut_ptr() as *mut _,
                ulValueLen: 1,
            },
        ];
        assert_eq!(
            f.C_GetAttributeValue.unwrap()(s, hpriv, attrs.as_mut_ptr(), 3),
            CKR_ATTRIBUTE_SENSITIVE
        );
        assert_eq!(attrs[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
        assert_eq!(
            attrs[1].ulValueLen,
            std::mem::size_of::<CK_ULONG>() as CK_ULONG
        );
        assert_eq!(attrs[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    }
}

#[test]
fn initialize_arguments_follow_the_locking_table() {
    let f = lib().f;
    // SAFETY: a well-formed CK_C_INITIALIZE_ARGS with a reserved pointer set.
    unsafe {
        let mut args = CK_C_INITIALIZE_ARGS {
            CreateMutex: None,
            DestroyMutex: None,
            LockMutex: None,
            UnlockMutex: None,
            flags: 0,
            pReserved: std::ptr::dangling_mut(),
        };
        assert_eq!(
            f.C_Initialize.unwrap()(&mut args as *mut _ as *mut _),
            CKR_ARGUMENTS_BAD
        );
        assert_eq!(
            f.C_Finalize.unwrap()(std::ptr::dangling_mut()),
            CKR_ARGUMENTS_BAD
        );
    }
}
