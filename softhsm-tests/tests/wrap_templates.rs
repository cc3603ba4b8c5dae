//! `CKA_WRAP_TEMPLATE` and `CKA_UNWRAP_TEMPLATE` through the C API, as a C application passes
//! them: attribute arrays given at generation, read back by the per-attribute rule one level
//! down (length, then types and lengths, then values), enforced by kmsd at `C_WrapKey` and
//! `C_UnwrapKey`; an array inside an array and a length that is no whole number of attributes
//! are refused (security T24).

// This test is an application: it calls the C API through raw pointers, as C clients do.
#![allow(unsafe_code)]

use cryptoki_sys::*;
use kms_testkit::{capi::Module, Kmsd, TOKEN};
use std::ffi::c_void;
use std::ptr::{null, null_mut};

const SIZE: usize = std::mem::size_of::<CK_ATTRIBUTE>();

fn attr<T>(ty: CK_ATTRIBUTE_TYPE, v: &T) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_: ty,
        pValue: v as *const T as *mut c_void,
        ulValueLen: std::mem::size_of::<T>() as CK_ULONG,
    }
}

fn bytes_attr(ty: CK_ATTRIBUTE_TYPE, v: &[u8]) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_: ty,
        pValue: v.as_ptr() as *mut c_void,
        ulValueLen: v.len() as CK_ULONG,
    }
}

fn array_attr(ty: CK_ATTRIBUTE_TYPE, inner: &[CK_ATTRIBUTE]) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_: ty,
        pValue: inner.as_ptr() as *mut c_void,
        ulValueLen: (inner.len() * SIZE) as CK_ULONG,
    }
}

const TRUE: CK_BBOOL = CK_TRUE;
const FALSE: CK_BBOOL = CK_FALSE;

struct Token {
    m: Module,
    s: CK_SESSION_HANDLE,
    _kmsd: Kmsd,
}

impl Token {
    fn open() -> Token {
        let kmsd = Kmsd::start();
        std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config_for(&[TOKEN]));
        let m = Module::load();
        assert_eq!(m.initialize(), CKR_OK);
        let s = m.session(true).unwrap();
        Token { m, s, _kmsd: kmsd }
    }

    /// C_GenerateKey(CKM_AES_KEY_GEN, 32 bytes, session object, `extra`).
    fn aes(&self, extra: &[CK_ATTRIBUTE]) -> Result<CK_OBJECT_HANDLE, CK_RV> {
        let len: CK_ULONG = 32;
        let mut t = vec![attr(CKA_VALUE_LEN, &len), attr(CKA_TOKEN, &FALSE)];
        t.extend_from_slice(extra);
        let mut mech = CK_MECHANISM {
            mechanism: CKM_AES_KEY_GEN,
            pParameter: null_mut(),
            ulParameterLen: 0,
        };
        let mut h = 0;
        // SAFETY: every pointer refers to a live local of the right size.
        let rv = unsafe {
            self.m.f.C_GenerateKey.unwrap()(
                self.s,
                &mut mech,
                t.as_mut_ptr(),
                t.len() as CK_ULONG,
                &mut h,
            )
        };
        if rv == CKR_OK {
            Ok(h)
        } else {
            Err(rv)
        }
    }

    fn get(&self, h: CK_OBJECT_HANDLE, a: &mut CK_ATTRIBUTE) -> CK_RV {
        // SAFETY: `a` and the buffers it points to are live and as long as it says.
        unsafe { self.m.f.C_GetAttributeValue.unwrap()(self.s, h, a, 1) }
    }

    fn wrap(&self, kek: CK_OBJECT_HANDLE, key: CK_OBJECT_HANDLE) -> Result<Vec<u8>, CK_RV> {
        let mut mech = CK_MECHANISM {
            mechanism: CKM_AES_KEY_WRAP_KWP,
            pParameter: null_mut(),
            ulParameterLen: 0,
        };
        let mut out = vec![0u8; 512];
        let mut len = out.len() as CK_ULONG;
        // SAFETY: `out` holds `len` bytes.
        let rv = unsafe {
            self.m.f.C_WrapKey.unwrap()(self.s, &mut mech, kek, key, out.as_mut_ptr(), &mut len)
        };
        if rv != CKR_OK {
            return Err(rv);
        }
        out.truncate(len as usize);
        Ok(out)
    }

    fn unwrap(
        &self,
        kek: CK_OBJECT_HANDLE,
        blob: &[u8],
        extra: &[CK_ATTRIBUTE],
    ) -> Result<CK_OBJECT_HANDLE, CK_RV> {
        let (class, ty) = (CKO_SECRET_KEY, CKK_AES);
        let mut t = vec![
            attr(CKA_CLASS, &class),
            attr(CKA_KEY_TYPE, &ty),
            attr(CKA_TOKEN, &FALSE),
        ];
        t.extend_from_slice(extra);
        let mut mech = CK_MECHANISM {
            mechanism: CKM_AES_KEY_WRAP_KWP,
            pParameter: null_mut(),
            ulParameterLen: 0,
        };
        let mut h = 0;
        // SAFETY: as above.
        let rv = unsafe {
            self.m.f.C_UnwrapKey.unwrap()(
                self.s,
                &mut mech,
                kek,
                blob.as_ptr() as *mut u8,
                blob.len() as CK_ULONG,
                t.as_mut_ptr(),
                t.len() as CK_ULONG,
                &mut h,
            )
        };
        if rv == CKR_OK {
            Ok(h)
        } else {
            Err(rv)
        }
    }

    fn label(&self, h: CK_OBJECT_HANDLE) -> Vec<u8> {
        let mut buf = vec![0u8; 64];
        let mut a = bytes_attr(CKA_LABEL, &buf);
        assert_eq!(self.get(h, &mut a), CKR_OK);
        buf.truncate(a.ulValueLen as usize);
        buf
    }
}

#[test]
fn wrap_and_unwrap_templates_through_the_c_api() {
    let t = Token::open();
    let wrap_only = [
        attr(CKA_WRAP, &TRUE),
        attr(CKA_UNWRAP, &TRUE),
        attr(CKA_ENCRYPT, &FALSE),
        attr(CKA_DECRYPT, &FALSE),
    ];
    let wrap_tmpl = [bytes_attr(CKA_ID, b"exportable")];
    let unwrap_tmpl = [
        bytes_attr(CKA_LABEL, b"from-kek"),
        attr(CKA_EXTRACTABLE, &TRUE),
    ];
    let mut kek_t = wrap_only.to_vec();
    kek_t.push(array_attr(CKA_WRAP_TEMPLATE, &wrap_tmpl));
    kek_t.push(array_attr(CKA_UNWRAP_TEMPLATE, &unwrap_tmpl));
    let kek = t.aes(&kek_t).unwrap();

    // Read back by the per-attribute rule, one level down.
    let mut a = CK_ATTRIBUTE {
        type_: CKA_UNWRAP_TEMPLATE,
        pValue: null_mut(),
        ulValueLen: 0,
    };
    assert_eq!(t.get(kek, &mut a), CKR_OK);
    assert_eq!(a.ulValueLen as usize, 2 * SIZE);
    let mut inner = [CK_ATTRIBUTE {
        type_: 0,
        pValue: null_mut(),
        ulValueLen: 0,
    }; 2];
    a.pValue = inner.as_mut_ptr() as *mut c_void;
    a.ulValueLen = (SIZE + 1) as CK_ULONG;
    assert_eq!(t.get(kek, &mut a), CKR_BUFFER_TOO_SMALL);
    assert_eq!(a.ulValueLen, CK_UNAVAILABLE_INFORMATION);
    a.ulValueLen = (2 * SIZE) as CK_ULONG;
    assert_eq!(t.get(kek, &mut a), CKR_OK);
    let mut got: Vec<(CK_ATTRIBUTE_TYPE, CK_ULONG)> =
        inner.iter().map(|i| (i.type_, i.ulValueLen)).collect();
    got.sort();
    assert_eq!(got, vec![(CKA_LABEL, 8), (CKA_EXTRACTABLE, 1)]);
    let mut label = [0u8; 8];
    let mut flag = [0u8; 1];
    for i in inner.iter_mut() {
        i.pValue = match i.type_ {
            CKA_LABEL => label.as_mut_ptr(),
            _ => flag.as_mut_ptr(),
        } as *mut c_void;
    }
    inner[0].ulValueLen -= 1; // one of them is too small now
    assert_eq!(t.get(kek, &mut a), CKR_BUFFER_TOO_SMALL);
    assert!(inner
        .iter()
        .any(|i| i.ulValueLen == CK_UNAVAILABLE_INFORMATION));
    for i in inner.iter_mut() {
        i.ulValueLen = if i.type_ == CKA_LABEL { 8 } else { 1 };
    }
    assert_eq!(t.get(kek, &mut a), CKR_OK);
    assert_eq!((&label, flag), (b"from-kek", [CK_TRUE]));

    // kmsd enforces them.
    let ok = t
        .aes(&[
            attr(CKA_EXTRACTABLE, &TRUE),
            bytes_attr(CKA_ID, b"exportable"),
        ])
        .unwrap();
    let other = t
        .aes(&[attr(CKA_EXTRACTABLE, &TRUE), bytes_attr(CKA_ID, b"other")])
        .unwrap();
    let blob = t.wrap(kek, ok).unwrap();
    assert_eq!(t.wrap(kek, other), Err(CKR_KEY_UNEXTRACTABLE));
    let new = t.unwrap(kek, &blob, &[]).unwrap();
    assert_eq!(t.label(new), b"from-kek");
    assert_eq!(
        t.unwrap(kek, &blob, &[bytes_attr(CKA_LABEL, b"mine")]),
        Err(CKR_TEMPLATE_INCONSISTENT)
    );

    // An array inside an array; a length that is no whole number of attributes.
    let deep_inner = [array_attr(CKA_WRAP_TEMPLATE, &wrap_tmpl)];
    let mut deep = wrap_only.to_vec();
    deep.push(array_attr(CKA_UNWRAP_TEMPLATE, &deep_inner));
    assert_eq!(t.aes(&deep), Err(CKR_ATTRIBUTE_VALUE_INVALID));
    let mut ragged = wrap_only.to_vec();
    let mut bad = array_attr(CKA_WRAP_TEMPLATE, &wrap_tmpl);
    bad.ulValueLen -= 1;
    ragged.push(bad);
    assert_eq!(t.aes(&ragged), Err(CKR_ATTRIBUTE_VALUE_INVALID));
    let mut null_array = wrap_only.to_vec();
    null_array.push(CK_ATTRIBUTE {
        type_: CKA_WRAP_TEMPLATE,
        pValue: null::<c_void>() as *mut c_void,
        ulValueLen: SIZE as CK_ULONG,
    });
    assert_eq!(t.aes(&null_array), Err(CKR_ARGUMENTS_BAD));
}
