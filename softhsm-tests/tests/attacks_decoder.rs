//! T24 of `docs/security-model.md` through the module's C API with raw pointers, as a hostile C
//! application sends them (p11-kit RPC CVE-2020-29361/29362/29363, CVE-2026-2100, CVE-2026-13757):
//! an absurd template count, a value length that does not match the bytes, a CKA_WRAP_TEMPLATE
//! that contains itself (unbounded nesting), and a NULL `C_DeriveKey` parameter. Each gets a
//! refusal code and the process keeps running.

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

fn load() -> Lib {
    let kmsd = Kmsd::start();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config_for(&[TOKEN]));
    let Module { lib, f } = Module::load();
    // SAFETY: NULL arguments are allowed.
    unsafe {
        assert_eq!(f.C_Initialize.unwrap()(null_mut()), CKR_OK);
    }
    Lib {
        _kmsd: kmsd,
        f,
        _lib: lib,
    }
}

fn attr<T>(type_: CK_ATTRIBUTE_TYPE, v: &mut T) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_,
        pValue: (v as *mut T).cast(),
        ulValueLen: std::mem::size_of::<T>() as CK_ULONG,
    }
}

/// The codes the rules allow for T24: `CKR_ARGUMENTS_BAD` or `CKR_TEMPLATE_INCONSISTENT`.
fn refused(rv: CK_RV, what: &str) {
    assert!(
        rv == CKR_ARGUMENTS_BAD || rv == CKR_TEMPLATE_INCONSISTENT,
        "{what}: {rv:#x}"
    );
}

/// `CKA_VALUE` pointing at `v`.
fn value_attr(v: &mut [u8; 32]) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_: CKA_VALUE,
        pValue: v.as_mut_ptr().cast(),
        ulValueLen: 32,
    }
}

#[test]
fn hostile_templates_and_parameters_are_refused_t24() {
    let l = load();
    let f = l.f;
    let mut s = 0;
    let (mut class, mut key_type, mut yes) = (CKO_SECRET_KEY, CKK_AES, CK_TRUE);
    let mut value = [0xe5u8; 32];
    // SAFETY: every pointer passed is valid for what the module may legitimately read; the
    // hostile part is the counts, lengths and the self-referential template.
    unsafe {
        assert_eq!(
            f.C_OpenSession.unwrap()(
                0,
                CKF_SERIAL_SESSION | CKF_RW_SESSION,
                null_mut(),
                None,
                &mut s
            ),
            CKR_OK
        );
        let pin = USER_PIN.as_bytes();
        assert_eq!(
            f.C_Login.unwrap()(s, CKU_USER, pin.as_ptr() as *mut u8, pin.len() as CK_ULONG),
            CKR_OK
        );
        let mut one = [attr(CKA_CLASS, &mut class)];
        let mut h = 0;

        // ulCount = 2^32-1 over a one-element array: refused before anything is read past it.
        let rv = f.C_CreateObject.unwrap()(s, one.as_mut_ptr(), 0xffff_ffff, &mut h);
        refused(rv, "count");
        let rv = f.C_FindObjectsInit.unwrap()(s, one.as_mut_ptr(), 0xffff_ffff);
        refused(rv, "find count");

        // ulValueLen larger than the bytes behind a NULL pointer.
        let mut lying = [
            attr(CKA_CLASS, &mut class),
            attr(CKA_KEY_TYPE, &mut key_type),
            CK_ATTRIBUTE {
                type_: CKA_VALUE,
                pValue: null_mut(),
                ulValueLen: 32,
            },
        ];
        let rv = f.C_CreateObject.unwrap()(s, lying.as_mut_ptr(), 3, &mut h);
        refused(rv, "length");

        // A CKA_WRAP_TEMPLATE that contains itself: nesting without end.
        let mut nested: [CK_ATTRIBUTE; 2] = [attr(CKA_WRAP, &mut yes), attr(CKA_WRAP, &mut yes)];
        let self_ptr = nested.as_mut_ptr();
        let wrap_template = CK_ATTRIBUTE {
            type_: CKA_WRAP_TEMPLATE,
            pValue: self_ptr.cast(),
            ulValueLen: (2 * std::mem::size_of::<CK_ATTRIBUTE>()) as CK_ULONG,
        };
        self_ptr.add(1).write(wrap_template);
        let mut outer = [
            attr(CKA_CLASS, &mut class),
            attr(CKA_KEY_TYPE, &mut key_type),
            value_attr(&mut value),
            wrap_template,
        ];
        let rv = f.C_CreateObject.unwrap()(s, outer.as_mut_ptr(), 4, &mut h);
        // The module copies an attribute array one level deep and does not follow an array
        // inside it: CKR_ATTRIBUTE_VALUE_INVALID, no recursion at all.
        assert_eq!(rv, CKR_ATTRIBUTE_VALUE_INVALID, "nesting: {rv:#x}");

        // C_DeriveKey with a NULL mechanism parameter and a non-zero length.
        let mut base_t = [
            attr(CKA_CLASS, &mut class),
            attr(CKA_KEY_TYPE, &mut key_type),
            value_attr(&mut value),
            attr(CKA_DERIVE, &mut yes),
        ];
        let mut base = 0;
        assert_eq!(
            f.C_CreateObject.unwrap()(s, base_t.as_mut_ptr(), 4, &mut base),
            CKR_OK
        );
        let mut m = CK_MECHANISM {
            mechanism: CKM_ECDH1_DERIVE,
            pParameter: null_mut(),
            ulParameterLen: 40,
        };
        let rv = f.C_DeriveKey.unwrap()(s, &mut m, base, one.as_mut_ptr(), 1, &mut h);
        // The mechanism's own code for a parameter it cannot parse (CVE-2026-2100 crashed here).
        assert_eq!(rv, CKR_MECHANISM_PARAM_INVALID, "NULL parameter: {rv:#x}");

        // Still alive and serving.
        let mut info: CK_TOKEN_INFO = std::mem::zeroed();
        assert_eq!(f.C_GetTokenInfo.unwrap()(0, &mut info), CKR_OK);
    }
}
