//! Negative scenarios for every function of the PKCS#11 2.40 list, differential against
//! SoftHSM2: one row per (function, bad call), each run on both tokens through their raw
//! `CK_FUNCTION_LIST`. Every row asserts kms-pkcs11's exact code (the specification's, see
//! `docs/pkcs11-rules.md`); SoftHSM2 must give the same code unless the row is listed in
//! [`KNOWN_DIFFERENCES`] with SoftHSM2's code and the reason. Rows where kms-pkcs11 itself is
//! still wrong are listed in [`OUR_BUGS`] with the code it gives.
//!
//! Each row runs on a fresh R/W and R/O session (closed afterwards), in the login state it
//! names; the keys it breaks things around are session objects of a holder session that stays
//! open for the whole run. `C_Initialize`/`C_Finalize` and calls on an uninitialised library
//! change the library's state, so they run as a sequence in a child process (this binary,
//! re-executed), with the same comparison.

// This test is an application: it calls the C API through raw pointers, as C clients do.
#![allow(unsafe_code)]

use cryptoki_sys::*;
use kms_testkit::{capi::Module, module_path, Kmsd, SO_PIN, TOKEN, USER_PIN};
use softhsm_tests::softhsm::{SoftHsm, MODULE as SOFTHSM_MODULE};
use std::ffi::c_void;
use std::mem::size_of;
use std::path::Path;
use std::ptr::null_mut;

/// Rows where SoftHSM2 2.6.1 does not give the row's code: row → SoftHSM2's code → why. (No
/// row crashes SoftHSM2, so none is skipped there.)
const KNOWN_DIFFERENCES: &[(&str, CK_RV, &str)] = &[
    ("C_InitToken NULL pin", CKR_SESSION_EXISTS, "SoftHSM2 checks for open sessions before the arguments; a NULL pointer is a general argument error, checked first here (§5.1.8: general errors take precedence)"),
    ("C_InitToken NULL label", CKR_SESSION_EXISTS, "as the row above"),
    ("C_InitPIN NULL pin", CKR_USER_NOT_LOGGED_IN, "SoftHSM2 checks the session state before the arguments; the NULL pointer is refused first here"),
    ("C_GetOperationState NULL length", CKR_FUNCTION_NOT_SUPPORTED, "SoftHSM2 does not offer operation state; kms-pkcs11 offers the function, checks its arguments, and refuses to save (state holds key references)"),
    ("C_GetOperationState digest active", CKR_FUNCTION_NOT_SUPPORTED, "as above: kms-pkcs11 says CKR_STATE_UNSAVEABLE"),
    ("C_SetOperationState NULL state", CKR_FUNCTION_NOT_SUPPORTED, "as above"),
    ("C_GetOperationState nothing active", CKR_FUNCTION_NOT_SUPPORTED, "as above: kms-pkcs11 says CKR_OPERATION_NOT_INITIALIZED"),
    ("C_SetOperationState NULL state length 0", CKR_FUNCTION_NOT_SUPPORTED, "as above"),
    ("C_SetOperationState garbage", CKR_FUNCTION_NOT_SUPPORTED, "as above: kms-pkcs11 says CKR_SAVED_STATE_INVALID"),
    ("C_Login SO while user", CKR_SESSION_READ_ONLY_EXISTS, "both conditions hold (user logged in, an R/O session open); SoftHSM2 reports the R/O session, kms-pkcs11 the other user's login (either is allowed)"),
    ("C_Login pin length 0", CKR_PIN_INCORRECT, "SoftHSM2 does not check C_Login's PIN length against ulMinPinLen; spec-checklist S11 asks for CKR_PIN_LEN_RANGE"),
    ("C_Login pin huge", CKR_PIN_INCORRECT, "as the row above (ulMaxPinLen)"),
    ("C_Logout not logged in", CKR_OK, "SoftHSM2 answers CKR_OK to C_Logout without a login; v2.40 §5.6.8 / spec-checklist S11 ask for CKR_USER_NOT_LOGGED_IN"),
    ("C_CreateObject class length 1", CKR_TEMPLATE_INCOMPLETE, "SoftHSM2 ignores a CKA_CLASS of the wrong size and reports the class missing; the value is invalid (S13)"),
    ("C_CreateObject AES value 5 bytes", CKR_OK, "SoftHSM2 accepts a 5-byte AES key; AES keys are 16, 24 or 32 bytes (S13: invalid value)"),
    ("C_CreateObject class twice", CKR_TEMPLATE_INCOMPLETE, "SoftHSM2 reports a template with two different classes as incomplete; S13 names it inconsistent"),
    ("C_EncryptInit bad key", CKR_OBJECT_HANDLE_INVALID, "SoftHSM2 says OBJECT_HANDLE_INVALID for a key handle; §5.1.8 / S19 ask for CKR_KEY_HANDLE_INVALID"),
    ("C_EncryptInit destroyed key", CKR_OBJECT_HANDLE_INVALID, "as above"),
    ("C_DecryptInit bad key", CKR_OBJECT_HANDLE_INVALID, "as above"),
    ("C_SignInit bad key", CKR_OBJECT_HANDLE_INVALID, "as above"),
    ("C_SignInit destroyed key", CKR_OBJECT_HANDLE_INVALID, "as above"),
    ("C_SignInit private key after logout", CKR_OBJECT_HANDLE_INVALID, "as above (the key was destroyed by C_Logout)"),
    ("C_VerifyInit bad key", CKR_OBJECT_HANDLE_INVALID, "as above"),
    ("C_DeriveKey bad base key", CKR_OBJECT_HANDLE_INVALID, "as above"),
    ("C_EncryptInit GCM NULL param", CKR_ARGUMENTS_BAD, "SoftHSM2 reports a bad mechanism parameter as CKR_ARGUMENTS_BAD; S19 asks for CKR_MECHANISM_PARAM_INVALID"),
    ("C_EncryptInit GCM param length-1", CKR_ARGUMENTS_BAD, "as above"),
    ("C_EncryptInit GCM tag 129 bits", CKR_ARGUMENTS_BAD, "as above"),
    ("C_EncryptInit CBC NULL IV", CKR_ARGUMENTS_BAD, "as above"),
    ("C_EncryptInit GCM IV 128 bits", CKR_OK, "SoftHSM2 (OpenSSL) takes IVs of any length; kms-pkcs11 takes the 96-bit IV only: aws-lc-rs's AES-GCM has no other nonce length (another length goes through GHASH, NIST SP 800-38D §7.1), so it is refused at Init (README, What it offers)"),
    ("C_EncryptInit OAEP NULL param", CKR_ARGUMENTS_BAD, "as above"),
    ("C_EncryptInit OAEP param length 8", CKR_ARGUMENTS_BAD, "as above"),
    ("C_EncryptInit OAEP SHA-224", CKR_ARGUMENTS_BAD, "SoftHSM2 2.6 offers RSA-OAEP with SHA-1 only and reports another hash as CKR_ARGUMENTS_BAD; kms-pkcs11 offers SHA-1, SHA-256, SHA-384 and SHA-512 (kms-api's params::oaep, the same in kmsd) and refuses other parameters with CKR_MECHANISM_PARAM_INVALID, as S19 asks"),
    ("C_DecryptInit OAEP SHA-224", CKR_ARGUMENTS_BAD, "as above"),
    ("C_WrapKey OAEP SHA-224 size query", CKR_ARGUMENTS_BAD, "as above"),
    ("C_DecryptInit GCM NULL param", CKR_ARGUMENTS_BAD, "as above"),
    ("C_SignInit PSS NULL param", CKR_ARGUMENTS_BAD, "as above"),
    ("C_SignInit PSS param length-1", CKR_ARGUMENTS_BAD, "as above"),
    ("C_SignInit PSS hash mismatch", CKR_ARGUMENTS_BAD, "as above (PSS hashAlg differs from the mechanism's hash)"),
    ("C_VerifyInit PSS NULL param", CKR_ARGUMENTS_BAD, "as above"),
    ("C_EncryptInit CBC IV 8 bytes", CKR_MECHANISM_INVALID, "SoftHSM2 reports a short CBC IV as an invalid mechanism; S19 names CKR_MECHANISM_PARAM_INVALID for exactly this case"),
    ("C_DecryptInit CBC IV 17 bytes", CKR_MECHANISM_INVALID, "as above"),
    ("C_EncryptInit ECB with param", CKR_OK, "SoftHSM2 ignores a parameter given to a mechanism that takes none; kms-pkcs11 refuses it"),
    ("C_DigestInit with param", CKR_OK, "as above"),
    ("C_GenerateKey with param", CKR_OK, "as above"),
    ("C_Encrypt RSA PKCS data huge", CKR_GENERAL_ERROR, "SoftHSM2 fails with CKR_GENERAL_ERROR on input longer than the modulus allows; CKR_DATA_LEN_RANGE is the code for it"),
    ("C_Sign RSA PKCS data 246 bytes", CKR_GENERAL_ERROR, "as above (246 > k-11 = 245)"),
    ("C_Sign RSA PKCS data huge", CKR_GENERAL_ERROR, "as above"),
    ("C_Decrypt GCM tampered", CKR_GENERAL_ERROR, "SoftHSM2 fails a wrong GCM tag with CKR_GENERAL_ERROR; the ciphertext is invalid (CKR_ENCRYPTED_DATA_INVALID)"),
    ("C_Decrypt GCM shorter than tag", CKR_GENERAL_ERROR, "SoftHSM2 fails with CKR_GENERAL_ERROR; input shorter than the tag is CKR_ENCRYPTED_DATA_LEN_RANGE"),
    ("C_Decrypt RSA PKCS 255 bytes", CKR_GENERAL_ERROR, "SoftHSM2 fails with CKR_GENERAL_ERROR; a ciphertext that is not modulus-sized is CKR_ENCRYPTED_DATA_LEN_RANGE"),
    ("C_Decrypt RSA PKCS huge", CKR_GENERAL_ERROR, "as above"),
    ("C_Encrypt after update", CKR_OK, "SoftHSM2 lets a single-part C_Encrypt finish a multi-part operation; spec-checklist S9 asks for CKR_OPERATION_ACTIVE"),
    ("C_Digest after update", CKR_OK, "as above, for digests"),
    ("C_Sign after update", CKR_OPERATION_NOT_INITIALIZED, "SoftHSM2 refuses but ends the operation with CKR_OPERATION_NOT_INITIALIZED; S9 asks for CKR_OPERATION_ACTIVE"),
    ("C_SignUpdate raw ECDSA", CKR_OPERATION_NOT_INITIALIZED, "both end the operation; raw CKM_ECDSA is single-part only, so kms-pkcs11 says the function is not supported for it (the code pkcs11-tool --test expects; see softhsm_agree)"),
    ("C_SignInit RSA mechanism on EC", CKR_OK, "SoftHSM2 initialises an RSA signature with an EC key (it fails later); S19 asks for CKR_KEY_TYPE_INCONSISTENT at C_SignInit"),
    ("C_SignInit ECDSA on AES", CKR_OK, "as above, with an AES key"),
    ("C_VerifyInit RSA mechanism on EC", CKR_OK, "as above, for verification"),
    ("C_DeriveKey ECDH on AES", CKR_KEY_FUNCTION_NOT_PERMITTED, "the AES key has neither the type nor CKA_DERIVE; S19: the wrong key type takes priority"),
    ("C_GenerateKey AES 7 bytes", CKR_ATTRIBUTE_VALUE_INVALID, "SoftHSM2 reports an AES length outside 16/24/32 as an invalid value; kms-pkcs11 uses the mechanism's key-size code, CKR_KEY_SIZE_RANGE (both are in C_GenerateKey's list)"),
    ("C_GenerateKey AES huge", CKR_ATTRIBUTE_VALUE_INVALID, "as above"),
    ("C_GenerateKey class public key", CKR_ATTRIBUTE_VALUE_INVALID, "SoftHSM2 reports a CKA_CLASS contradicting the mechanism as an invalid value; S13 names contradictions CKR_TEMPLATE_INCONSISTENT"),
    ("C_GenerateKeyPair EC unknown curve", CKR_GENERAL_ERROR, "SoftHSM2 fails with CKR_GENERAL_ERROR on an OID it does not know; v2.40 names CKR_CURVE_NOT_SUPPORTED"),
    ("C_GenerateKeyPair EC params garbage", CKR_GENERAL_ERROR, "SoftHSM2 fails with CKR_GENERAL_ERROR on CKA_EC_PARAMS that are not DER"),
    ("C_GenerateKeyPair RSA 512 bits", CKR_OK, "SoftHSM2 generates 512-bit RSA keys; kms-pkcs11's policy starts at 2048 bits (its mechanism info says so)"),
    ("C_GenerateKeyPair RSA huge", CKR_GENERAL_ERROR, "SoftHSM2 fails with CKR_GENERAL_ERROR on a modulus size far outside its range"),
    ("C_UnwrapKey garbage", CKR_GENERAL_ERROR, "SoftHSM2 fails an RFC 3394 integrity check with CKR_GENERAL_ERROR; S17 asks for CKR_WRAPPED_KEY_INVALID"),
    ("C_WaitForSlotEvent NULL slot", CKR_NO_EVENT, "SoftHSM2 never reads pSlot (it has no events) and answers CKR_NO_EVENT; kms-pkcs11 refuses the NULL pointer"),
];

/// Rows where kms-pkcs11 does not give the row's (the specification's) code yet: row → the code
/// it gives → the bug. A row leaves this table when its bug is fixed (a stale entry fails).
const OUR_BUGS: &[(&str, CK_RV, &str)] = &[];

/// A fixture token: the loaded module, its function list, its slot and the handles rows use.
struct Token {
    name: &'static str,
    f: CK_FUNCTION_LIST,
    slot: CK_SLOT_ID,
    /// Keeps the session objects below alive.
    holder: CK_SESSION_HANDLE,
    aes: CK_OBJECT_HANDLE,
    /// AES key with every usage flag false.
    aes_nouse: CK_OBJECT_HANDLE,
    /// AES wrapping key (CKA_WRAP/CKA_UNWRAP only).
    aes_wrap: CK_OBJECT_HANDLE,
    /// Extractable AES key, the wrap target.
    aes_target: CK_OBJECT_HANDLE,
    /// RSA public key with CKA_VERIFY and CKA_ENCRYPT.
    rsa_pub: CK_OBJECT_HANDLE,
    rsa_priv: CK_OBJECT_HANDLE,
    /// RSA public key of a transport pair (CKA_WRAP only; its private half unwraps).
    rsa_wrap: CK_OBJECT_HANDLE,
    ec_pub: CK_OBJECT_HANDLE,
    ec_priv: CK_OBJECT_HANDLE,
    /// EC private key without CKA_SIGN and CKA_DERIVE.
    ec_nosign: CK_OBJECT_HANDLE,
    /// A session data object with label `neg-data`.
    data: CK_OBJECT_HANDLE,
    /// A session data object that is not copyable, modifiable or destroyable.
    locked: CK_OBJECT_HANDLE,
    /// A token data object (for writes from an R/O session).
    token_obj: CK_OBJECT_HANDLE,
    /// A destroyed object's handle.
    gone: CK_OBJECT_HANDLE,
    _lib: libloading::Library,
}

/// What a row gets: its token, a fresh R/W session, a fresh R/O session and a closed handle.
struct Env<'a> {
    t: &'a Token,
    s: CK_SESSION_HANDLE,
    ro: CK_SESSION_HANDLE,
    closed: CK_SESSION_HANDLE,
}

/// One bad call: its name, the login state it needs, kms-pkcs11's expected code, the call.
struct Row {
    name: &'static str,
    logged_in: bool,
    want: CK_RV,
    call: fn(&Env) -> CK_RV,
}

/// A row run while the user is logged in.
fn r(name: &'static str, want: CK_RV, call: fn(&Env) -> CK_RV) -> Row {
    Row {
        name,
        logged_in: true,
        want,
        call,
    }
}

/// A row run with no one logged in.
fn p(name: &'static str, want: CK_RV, call: fn(&Env) -> CK_RV) -> Row {
    Row {
        name,
        logged_in: false,
        want,
        call,
    }
}

/// The function `$name` of a token's list.
macro_rules! f {
    ($t:expr, $name:ident) => {
        $t.f.$name.expect(stringify!($name))
    };
}

const BAD: CK_ULONG = 0x7777_7777;
const BAD_SLOT: CK_SLOT_ID = 0x0bad_5107;
const UNKNOWN_MECH: CK_MECHANISM_TYPE = 0x7fff_fff0;
const P256: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const MSG: &[u8] = b"negative matrix";
const HUGE: usize = 1 << 20;
const TRUE: CK_BBOOL = CK_TRUE;
const FALSE: CK_BBOOL = CK_FALSE;
const KEY_LEN: CK_ULONG = 32;

fn mech(ty: CK_MECHANISM_TYPE) -> CK_MECHANISM {
    CK_MECHANISM {
        mechanism: ty,
        pParameter: null_mut(),
        ulParameterLen: 0,
    }
}

/// A mechanism with a parameter of any type (its size is the parameter's length).
fn mech_with<T>(ty: CK_MECHANISM_TYPE, param: &mut T) -> CK_MECHANISM {
    CK_MECHANISM {
        mechanism: ty,
        pParameter: param as *mut T as *mut c_void,
        ulParameterLen: size_of::<T>() as CK_ULONG,
    }
}

/// `CK_RSA_PKCS_OAEP_PARAMS` with `hash` and `mgf` and no label.
fn oaep_params(hash: CK_MECHANISM_TYPE, mgf: CK_RSA_PKCS_MGF_TYPE) -> CK_RSA_PKCS_OAEP_PARAMS {
    CK_RSA_PKCS_OAEP_PARAMS {
        hashAlg: hash,
        mgf,
        source: CKZ_DATA_SPECIFIED,
        pSourceData: null_mut(),
        ulSourceDataLen: 0,
    }
}

/// `init` (`C_EncryptInit` or `C_DecryptInit`) with RSA-OAEP SHA-224/MGF1-SHA224 (a pair the
/// contract refuses) and `key`.
fn oaep_sha224_init(
    e: &Env,
    init: unsafe extern "C" fn(CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE) -> CK_RV,
    key: CK_OBJECT_HANDLE,
) -> CK_RV {
    let mut p = oaep_params(CKM_SHA224, CKG_MGF1_SHA224);
    let mut m = mech_with(CKM_RSA_PKCS_OAEP, &mut p);
    // SAFETY: a valid mechanism and parameter on the stack.
    unsafe { init(e.s, &mut m, key) }
}

/// A mechanism with a raw parameter pointer and length (NULL and wrong lengths included).
fn mech_raw(ty: CK_MECHANISM_TYPE, ptr: *mut u8, len: usize) -> CK_MECHANISM {
    CK_MECHANISM {
        mechanism: ty,
        pParameter: ptr as *mut c_void,
        ulParameterLen: len as CK_ULONG,
    }
}

fn attr<T>(ty: CK_ATTRIBUTE_TYPE, v: &T) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_: ty,
        pValue: v as *const T as *mut c_void,
        ulValueLen: size_of::<T>() as CK_ULONG,
    }
}

fn bytes_attr(ty: CK_ATTRIBUTE_TYPE, v: &[u8]) -> CK_ATTRIBUTE {
    CK_ATTRIBUTE {
        type_: ty,
        pValue: v.as_ptr() as *mut c_void,
        ulValueLen: v.len() as CK_ULONG,
    }
}

/// Input bytes as the C API takes them (the module only reads them).
fn d(b: &[u8]) -> *mut u8 {
    b.as_ptr() as *mut u8
}

fn n(b: &[u8]) -> CK_ULONG {
    b.len() as CK_ULONG
}

/// A copy's template: a new label.
fn copy_template() -> [CK_ATTRIBUTE; 1] {
    [bytes_attr(CKA_LABEL, b"neg-copy")]
}

/// A CKO_DATA template with a label (session object unless `token`).
fn data_template(label: &[u8], token: &CK_BBOOL) -> [CK_ATTRIBUTE; 3] {
    [
        attr(CKA_CLASS, &CKO_DATA),
        attr(CKA_TOKEN, token),
        bytes_attr(CKA_LABEL, label),
    ]
}

impl Env<'_> {
    /// A setup step of a row: it must succeed.
    fn ok(&self, what: &str, rv: CK_RV) {
        self.step(what, CKR_OK, rv);
    }

    /// A setup step of a row that must give `want`.
    fn step(&self, what: &str, want: CK_RV, rv: CK_RV) {
        assert_eq!(rv, want, "{}: setup step {what}", self.t.name);
    }

    fn sign_init(&self, m: CK_MECHANISM_TYPE, key: CK_OBJECT_HANDLE) {
        // SAFETY: a valid mechanism on the stack.
        self.ok("C_SignInit", unsafe {
            f!(self.t, C_SignInit)(self.s, &mut mech(m), key)
        });
    }

    fn verify_init(&self, m: CK_MECHANISM_TYPE, key: CK_OBJECT_HANDLE) {
        // SAFETY: a valid mechanism on the stack.
        self.ok("C_VerifyInit", unsafe {
            f!(self.t, C_VerifyInit)(self.s, &mut mech(m), key)
        });
    }

    fn encrypt_init(&self, m: CK_MECHANISM_TYPE) {
        // SAFETY: a valid mechanism on the stack.
        self.ok("C_EncryptInit", unsafe {
            f!(self.t, C_EncryptInit)(self.s, &mut mech(m), self.t.aes)
        });
    }

    fn decrypt_init(&self, m: CK_MECHANISM_TYPE) {
        // SAFETY: a valid mechanism on the stack.
        self.ok("C_DecryptInit", unsafe {
            f!(self.t, C_DecryptInit)(self.s, &mut mech(m), self.t.aes)
        });
    }

    fn digest_init(&self) {
        // SAFETY: a valid mechanism on the stack.
        self.ok("C_DigestInit", unsafe {
            f!(self.t, C_DigestInit)(self.s, &mut mech(CKM_SHA256))
        });
    }

    fn find_init(&self) {
        let label = b"neg-data";
        let mut t = [bytes_attr(CKA_LABEL, label)];
        // SAFETY: a one-attribute template on the stack.
        self.ok("C_FindObjectsInit", unsafe {
            f!(self.t, C_FindObjectsInit)(self.s, t.as_mut_ptr(), 1)
        });
    }

    /// One multi-part update of `m`'s operation kind (a setup step).
    fn update(&self, what: &str, rv: CK_RV) {
        self.ok(what, rv);
    }

    /// A valid ECDSA signature of MSG's SHA-256 digest by the fixture key (64 bytes).
    fn ec_signature(&self) -> Vec<u8> {
        self.sign_init(CKM_ECDSA, self.t.ec_priv);
        let mut sig = vec![0u8; 64];
        let mut len = 64;
        let digest = [7u8; 32];
        // SAFETY: a 64-byte buffer and its length.
        self.ok("C_Sign", unsafe {
            f!(self.t, C_Sign)(self.s, d(&digest), 32, sig.as_mut_ptr(), &mut len)
        });
        sig
    }

    /// AES-GCM ciphertext (with tag) of MSG under the fixture key and a zero IV.
    fn gcm_ciphertext(&self) -> Vec<u8> {
        let mut iv = [0u8; 12];
        let mut params = gcm(&mut iv, 128);
        // SAFETY: parameter and buffers outlive the calls.
        unsafe {
            self.ok(
                "C_EncryptInit",
                f!(self.t, C_EncryptInit)(
                    self.s,
                    &mut mech_with(CKM_AES_GCM, &mut params),
                    self.t.aes,
                ),
            );
            let mut out = vec![0u8; MSG.len() + 16];
            let mut len = out.len() as CK_ULONG;
            self.ok(
                "C_Encrypt",
                f!(self.t, C_Encrypt)(self.s, d(MSG), n(MSG), out.as_mut_ptr(), &mut len),
            );
            out
        }
    }

    fn gcm_decrypt_init(&self) {
        let mut iv = [0u8; 12];
        let mut params = gcm(&mut iv, 128);
        // SAFETY: the parameter outlives the call.
        self.ok("C_DecryptInit", unsafe {
            f!(self.t, C_DecryptInit)(self.s, &mut mech_with(CKM_AES_GCM, &mut params), self.t.aes)
        });
    }
}

fn gcm(iv: &mut [u8; 12], tag_bits: CK_ULONG) -> CK_GCM_PARAMS {
    CK_GCM_PARAMS {
        pIv: iv.as_mut_ptr(),
        ulIvLen: 12,
        ulIvBits: 96,
        pAAD: null_mut(),
        ulAADLen: 0,
        ulTagBits: tag_bits,
    }
}

/// Runs a single-part output call (`C_Encrypt`-like) with a buffer of `len` bytes.
type OutCall =
    unsafe extern "C" fn(CK_SESSION_HANDLE, *mut u8, CK_ULONG, *mut u8, *mut CK_ULONG) -> CK_RV;

fn out_call(e: &Env, call: OutCall, input: &[u8], len: usize) -> CK_RV {
    let mut out = Guarded::new(len);
    let mut l = len as CK_ULONG;
    // SAFETY: `out` has at least `l` bytes.
    let rv = unsafe { call(e.s, d(input), n(input), out.ptr(), &mut l) };
    out.check(e, rv, l);
    rv
}

/// Runs a `*Final`-like call with a buffer of `len` bytes.
type FinalCall = unsafe extern "C" fn(CK_SESSION_HANDLE, *mut u8, *mut CK_ULONG) -> CK_RV;

fn final_call(e: &Env, call: FinalCall, len: usize) -> CK_RV {
    let mut out = Guarded::new(len);
    let mut l = len as CK_ULONG;
    // SAFETY: `out` has at least `l` bytes.
    let rv = unsafe { call(e.s, out.ptr(), &mut l) };
    out.check(e, rv, l);
    rv
}

/// An output buffer of `len` bytes followed by a canary: a call must not write past the
/// length it was given, nor report success with more than that.
struct Guarded {
    buf: Vec<u8>,
    len: usize,
}

impl Guarded {
    const CANARY: u8 = 0xa5;

    fn new(len: usize) -> Guarded {
        Guarded {
            buf: vec![Self::CANARY; len + 64],
            len,
        }
    }

    fn ptr(&mut self) -> *mut u8 {
        self.buf.as_mut_ptr()
    }

    fn check(&self, e: &Env, rv: CK_RV, reported: CK_ULONG) {
        assert!(
            self.buf[self.len..].iter().all(|b| *b == Self::CANARY),
            "{}: wrote past a {}-byte output buffer",
            e.t.name,
            self.len
        );
        if rv == CKR_OK {
            assert!(
                reported as usize <= self.len,
                "{}: reported {reported} bytes written into {}",
                e.t.name,
                self.len
            );
        }
    }
}

/// `C_CreateObject` with a template, on a session.
fn create(e: &Env, s: CK_SESSION_HANDLE, t: &mut [CK_ATTRIBUTE]) -> CK_RV {
    let mut h = 0;
    // SAFETY: the template and its values outlive the call.
    unsafe { f!(e.t, C_CreateObject)(s, t.as_mut_ptr(), t.len() as CK_ULONG, &mut h) }
}

/// `C_SetAttributeValue` with one attribute.
fn set_attr(e: &Env, s: CK_SESSION_HANDLE, h: CK_OBJECT_HANDLE, a: CK_ATTRIBUTE) -> CK_RV {
    let mut t = [a];
    // SAFETY: the attribute's value outlives the call.
    unsafe { f!(e.t, C_SetAttributeValue)(s, h, t.as_mut_ptr(), 1) }
}

/// `C_GetAttributeValue` of one attribute into a buffer of `len` bytes (NULL if `len` is None).
fn get_attr(e: &Env, h: CK_OBJECT_HANDLE, ty: CK_ATTRIBUTE_TYPE, len: Option<usize>) -> CK_RV {
    let mut buf = vec![0u8; len.unwrap_or(0).max(1)];
    let mut t = [CK_ATTRIBUTE {
        type_: ty,
        pValue: if len.is_some() {
            buf.as_mut_ptr() as *mut c_void
        } else {
            null_mut()
        },
        ulValueLen: len.unwrap_or(0) as CK_ULONG,
    }];
    // SAFETY: the buffer has `ulValueLen` bytes.
    unsafe { f!(e.t, C_GetAttributeValue)(e.s, h, t.as_mut_ptr(), 1) }
}

/// `C_GenerateKey` (AES) with a template.
fn gen_key(e: &Env, s: CK_SESSION_HANDLE, m: &mut CK_MECHANISM, t: &mut [CK_ATTRIBUTE]) -> CK_RV {
    let mut h = 0;
    // SAFETY: mechanism and template outlive the call.
    unsafe { f!(e.t, C_GenerateKey)(s, m, t.as_mut_ptr(), t.len() as CK_ULONG, &mut h) }
}

/// `C_GenerateKeyPair` with a public and a private template.
fn gen_pair(
    e: &Env,
    s: CK_SESSION_HANDLE,
    m: CK_MECHANISM_TYPE,
    public: &mut [CK_ATTRIBUTE],
    private: &mut [CK_ATTRIBUTE],
) -> CK_RV {
    let (mut a, mut b) = (0, 0);
    // SAFETY: templates outlive the call.
    unsafe {
        f!(e.t, C_GenerateKeyPair)(
            s,
            &mut mech(m),
            public.as_mut_ptr(),
            public.len() as CK_ULONG,
            private.as_mut_ptr(),
            private.len() as CK_ULONG,
            &mut a,
            &mut b,
        )
    }
}

/// `C_WrapKey` with CKM_AES_KEY_WRAP into a buffer of `len` bytes (NULL if None).
fn wrap(
    e: &Env,
    m: CK_MECHANISM_TYPE,
    wk: CK_OBJECT_HANDLE,
    k: CK_OBJECT_HANDLE,
    len: Option<usize>,
) -> CK_RV {
    let mut out = vec![0u8; len.unwrap_or(0).max(1)];
    let mut l = len.unwrap_or(0) as CK_ULONG;
    let p = if len.is_some() {
        out.as_mut_ptr()
    } else {
        null_mut()
    };
    // SAFETY: `out` has at least `l` bytes.
    unsafe { f!(e.t, C_WrapKey)(e.s, &mut mech(m), wk, k, p, &mut l) }
}

/// The template of an unwrapped key: a session AES key.
fn unwrap_template() -> [CK_ATTRIBUTE; 3] {
    [
        attr(CKA_CLASS, &CKO_SECRET_KEY),
        attr(CKA_KEY_TYPE, &CKK_AES),
        attr(CKA_TOKEN, &FALSE),
    ]
}

/// The template of a derived key: a 32-byte session generic secret.
fn derive_template() -> [CK_ATTRIBUTE; 4] {
    [
        attr(CKA_CLASS, &CKO_SECRET_KEY),
        attr(CKA_KEY_TYPE, &CKK_GENERIC_SECRET),
        attr(CKA_TOKEN, &FALSE),
        attr(CKA_VALUE_LEN, &KEY_LEN),
    ]
}

/// `C_UnwrapKey` (CKM_AES_KEY_WRAP) of `blob` into a session AES key.
fn unwrap(e: &Env, uk: CK_OBJECT_HANDLE, blob: &[u8]) -> CK_RV {
    let mut t = unwrap_template();
    let mut h = 0;
    // SAFETY: template and blob outlive the call.
    unsafe {
        f!(e.t, C_UnwrapKey)(
            e.s,
            &mut mech(CKM_AES_KEY_WRAP),
            uk,
            d(blob),
            n(blob),
            t.as_mut_ptr(),
            3,
            &mut h,
        )
    }
}

/// `C_DeriveKey` with a mechanism, into a session generic secret.
fn derive(e: &Env, m: &mut CK_MECHANISM, base: CK_OBJECT_HANDLE) -> CK_RV {
    let mut t = derive_template();
    let mut h = 0;
    // SAFETY: mechanism and template outlive the call.
    unsafe { f!(e.t, C_DeriveKey)(e.s, m, base, t.as_mut_ptr(), 4, &mut h) }
}

/// ECDH parameters with the fixture key's own public point (NULL KDF).
fn ecdh_params(point: &mut [u8; 65]) -> CK_ECDH1_DERIVE_PARAMS {
    CK_ECDH1_DERIVE_PARAMS {
        kdf: CKD_NULL,
        ulSharedDataLen: 0,
        pSharedData: null_mut(),
        ulPublicDataLen: 65,
        pPublicData: point.as_mut_ptr(),
    }
}

/// The rows. Each closure runs one bad call (after setup steps that must succeed).
// SAFETY (every `unsafe` block below): the calls pass pointers to locals that outlive them,
// with the lengths of those locals, or deliberately NULL pointers and bogus handles the module
// must refuse without reading.
#[allow(clippy::too_many_lines)]
fn rows() -> Vec<Row> {
    vec![
        // ---- general purpose (C_Initialize/C_Finalize: see the child process) ----
        r(
            "C_Initialize again",
            CKR_CRYPTOKI_ALREADY_INITIALIZED,
            |e| unsafe { f!(e.t, C_Initialize)(null_mut()) },
        ),
        r("C_GetInfo NULL", CKR_ARGUMENTS_BAD, |e| unsafe {
            f!(e.t, C_GetInfo)(null_mut())
        }),
        r("C_GetFunctionList NULL", CKR_ARGUMENTS_BAD, |e| unsafe {
            f!(e.t, C_GetFunctionList)(null_mut())
        }),
        // ---- slots and tokens ----
        r("C_GetSlotList both NULL", CKR_ARGUMENTS_BAD, |e| unsafe {
            f!(e.t, C_GetSlotList)(TRUE, null_mut(), null_mut())
        }),
        r("C_GetSlotList count 0", CKR_BUFFER_TOO_SMALL, |e| unsafe {
            let mut slots = [0 as CK_SLOT_ID; 1];
            let mut count = 0;
            f!(e.t, C_GetSlotList)(TRUE, slots.as_mut_ptr(), &mut count)
        }),
        r("C_GetSlotInfo bad slot", CKR_SLOT_ID_INVALID, |e| unsafe {
            let mut info = std::mem::zeroed();
            f!(e.t, C_GetSlotInfo)(BAD_SLOT, &mut info)
        }),
        r("C_GetSlotInfo NULL", CKR_ARGUMENTS_BAD, |e| unsafe {
            f!(e.t, C_GetSlotInfo)(e.t.slot, null_mut())
        }),
        r("C_GetTokenInfo bad slot", CKR_SLOT_ID_INVALID, |e| unsafe {
            let mut info = std::mem::zeroed();
            f!(e.t, C_GetTokenInfo)(BAD_SLOT, &mut info)
        }),
        r("C_GetTokenInfo NULL", CKR_ARGUMENTS_BAD, |e| unsafe {
            f!(e.t, C_GetTokenInfo)(e.t.slot, null_mut())
        }),
        r(
            "C_GetMechanismList bad slot",
            CKR_SLOT_ID_INVALID,
            |e| unsafe {
                let mut count = 0;
                f!(e.t, C_GetMechanismList)(BAD_SLOT, null_mut(), &mut count)
            },
        ),
        r(
            "C_GetMechanismList NULL count",
            CKR_ARGUMENTS_BAD,
            |e| unsafe { f!(e.t, C_GetMechanismList)(e.t.slot, null_mut(), null_mut()) },
        ),
        r(
            "C_GetMechanismList count 0",
            CKR_BUFFER_TOO_SMALL,
            |e| unsafe {
                let mut list = [0 as CK_MECHANISM_TYPE; 1];
                let mut count = 0;
                f!(e.t, C_GetMechanismList)(e.t.slot, list.as_mut_ptr(), &mut count)
            },
        ),
        r(
            "C_GetMechanismList needed-1",
            CKR_BUFFER_TOO_SMALL,
            |e| unsafe {
                let mut count = 0;
                e.ok(
                    "size query",
                    f!(e.t, C_GetMechanismList)(e.t.slot, null_mut(), &mut count),
                );
                let mut list = vec![0 as CK_MECHANISM_TYPE; count as usize];
                count -= 1;
                f!(e.t, C_GetMechanismList)(e.t.slot, list.as_mut_ptr(), &mut count)
            },
        ),
        r(
            "C_GetMechanismInfo bad slot",
            CKR_SLOT_ID_INVALID,
            |e| unsafe {
                let mut info = std::mem::zeroed();
                f!(e.t, C_GetMechanismInfo)(BAD_SLOT, CKM_SHA256, &mut info)
            },
        ),
        r(
            "C_GetMechanismInfo unknown",
            CKR_MECHANISM_INVALID,
            |e| unsafe {
                let mut info = std::mem::zeroed();
                f!(e.t, C_GetMechanismInfo)(e.t.slot, UNKNOWN_MECH, &mut info)
            },
        ),
        r("C_GetMechanismInfo NULL", CKR_ARGUMENTS_BAD, |e| unsafe {
            f!(e.t, C_GetMechanismInfo)(e.t.slot, CKM_SHA256, null_mut())
        }),
        r("C_InitToken bad slot", CKR_SLOT_ID_INVALID, |e| unsafe {
            let label = [b' '; 32];
            f!(e.t, C_InitToken)(BAD_SLOT, d(b"00000000"), 8, d(&label))
        }),
        r("C_InitToken NULL pin", CKR_ARGUMENTS_BAD, |e| unsafe {
            let label = [b' '; 32];
            f!(e.t, C_InitToken)(e.t.slot, null_mut(), 8, d(&label))
        }),
        r("C_InitToken NULL label", CKR_ARGUMENTS_BAD, |e| unsafe {
            f!(e.t, C_InitToken)(e.t.slot, d(b"00000000"), 8, null_mut())
        }),
        // A wrong SO PIN: even a token that skipped the session check must not wipe itself.
        r(
            "C_InitToken sessions open",
            CKR_SESSION_EXISTS,
            |e| unsafe {
                let label = [b' '; 32];
                f!(e.t, C_InitToken)(e.t.slot, d(b"00000000"), 8, d(&label))
            },
        ),
        // ---- PINs (the PIN given is the current one: a wrong success changes nothing) ----
        r(
            "C_InitPIN closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_InitPIN)(e.closed, d(USER_PIN.as_bytes()), 8) },
        ),
        r("C_InitPIN as user", CKR_USER_NOT_LOGGED_IN, |e| unsafe {
            f!(e.t, C_InitPIN)(e.s, d(USER_PIN.as_bytes()), 8)
        }),
        p(
            "C_InitPIN public session",
            CKR_USER_NOT_LOGGED_IN,
            |e| unsafe { f!(e.t, C_InitPIN)(e.s, d(USER_PIN.as_bytes()), 8) },
        ),
        r("C_InitPIN NULL pin", CKR_ARGUMENTS_BAD, |e| unsafe {
            f!(e.t, C_InitPIN)(e.s, null_mut(), 8)
        }),
        r(
            "C_SetPIN bad session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let pin = d(USER_PIN.as_bytes());
                f!(e.t, C_SetPIN)(BAD, pin, 8, pin, 8)
            },
        ),
        r("C_SetPIN NULL old", CKR_ARGUMENTS_BAD, |e| unsafe {
            f!(e.t, C_SetPIN)(e.s, null_mut(), 8, d(USER_PIN.as_bytes()), 8)
        }),
        r("C_SetPIN NULL new", CKR_ARGUMENTS_BAD, |e| unsafe {
            f!(e.t, C_SetPIN)(e.s, d(USER_PIN.as_bytes()), 8, null_mut(), 8)
        }),
        r("C_SetPIN R/O session", CKR_SESSION_READ_ONLY, |e| unsafe {
            let pin = d(USER_PIN.as_bytes());
            f!(e.t, C_SetPIN)(e.ro, pin, 8, pin, 8)
        }),
        r("C_SetPIN wrong old", CKR_PIN_INCORRECT, |e| unsafe {
            let pin = d(USER_PIN.as_bytes());
            f!(e.t, C_SetPIN)(e.s, d(b"99999999"), 8, pin, 8)
        }),
        r("C_SetPIN new length 1", CKR_PIN_LEN_RANGE, |e| unsafe {
            f!(e.t, C_SetPIN)(e.s, d(USER_PIN.as_bytes()), 8, d(b"1"), 1)
        }),
        r("C_SetPIN new huge", CKR_PIN_LEN_RANGE, |e| unsafe {
            let huge = vec![b'1'; HUGE];
            f!(e.t, C_SetPIN)(e.s, d(USER_PIN.as_bytes()), 8, d(&huge), n(&huge))
        }),
        // ---- sessions ----
        r("C_OpenSession bad slot", CKR_SLOT_ID_INVALID, |e| unsafe {
            let mut h = 0;
            f!(e.t, C_OpenSession)(BAD_SLOT, CKF_SERIAL_SESSION, null_mut(), None, &mut h)
        }),
        r(
            "C_OpenSession not serial",
            CKR_SESSION_PARALLEL_NOT_SUPPORTED,
            |e| unsafe {
                let mut h = 0;
                f!(e.t, C_OpenSession)(e.t.slot, CKF_RW_SESSION, null_mut(), None, &mut h)
            },
        ),
        r("C_OpenSession NULL handle", CKR_ARGUMENTS_BAD, |e| unsafe {
            f!(e.t, C_OpenSession)(e.t.slot, CKF_SERIAL_SESSION, null_mut(), None, null_mut())
        }),
        r(
            "C_CloseSession bad",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_CloseSession)(BAD) },
        ),
        r(
            "C_CloseSession closed",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_CloseSession)(e.closed) },
        ),
        r(
            "C_CloseSession twice",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                e.ok("first close", f!(e.t, C_CloseSession)(e.s));
                f!(e.t, C_CloseSession)(e.s)
            },
        ),
        r(
            "C_CloseAllSessions bad slot",
            CKR_SLOT_ID_INVALID,
            |e| unsafe { f!(e.t, C_CloseAllSessions)(BAD_SLOT) },
        ),
        r(
            "C_GetSessionInfo bad",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut info = std::mem::zeroed();
                f!(e.t, C_GetSessionInfo)(BAD, &mut info)
            },
        ),
        r(
            "C_GetSessionInfo closed",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut info = std::mem::zeroed();
                f!(e.t, C_GetSessionInfo)(e.closed, &mut info)
            },
        ),
        r("C_GetSessionInfo NULL", CKR_ARGUMENTS_BAD, |e| unsafe {
            f!(e.t, C_GetSessionInfo)(e.s, null_mut())
        }),
        r(
            "C_GetOperationState closed",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut len = 0;
                f!(e.t, C_GetOperationState)(e.closed, null_mut(), &mut len)
            },
        ),
        r(
            "C_GetOperationState NULL length",
            CKR_ARGUMENTS_BAD,
            |e| unsafe { f!(e.t, C_GetOperationState)(e.s, null_mut(), null_mut()) },
        ),
        r(
            "C_GetOperationState nothing active",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| unsafe {
                let mut len = 0;
                f!(e.t, C_GetOperationState)(e.s, null_mut(), &mut len)
            },
        ),
        r(
            "C_GetOperationState digest active",
            CKR_STATE_UNSAVEABLE,
            |e| unsafe {
                e.digest_init();
                let mut len = 0;
                f!(e.t, C_GetOperationState)(e.s, null_mut(), &mut len)
            },
        ),
        r(
            "C_SetOperationState closed",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let state = [0u8; 16];
                f!(e.t, C_SetOperationState)(e.closed, d(&state), 16, 0, 0)
            },
        ),
        r(
            "C_SetOperationState NULL state",
            CKR_ARGUMENTS_BAD,
            |e| unsafe { f!(e.t, C_SetOperationState)(e.s, null_mut(), 16, 0, 0) },
        ),
        r(
            "C_SetOperationState NULL state length 0",
            CKR_ARGUMENTS_BAD,
            |e| unsafe { f!(e.t, C_SetOperationState)(e.s, null_mut(), 0, 0, 0) },
        ),
        r(
            "C_SetOperationState garbage",
            CKR_SAVED_STATE_INVALID,
            |e| unsafe {
                let state = [0x5au8; 16];
                f!(e.t, C_SetOperationState)(e.s, d(&state), 16, 0, 0)
            },
        ),
        // ---- login ----
        r(
            "C_Login bad session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_Login)(BAD, CKU_USER, d(USER_PIN.as_bytes()), 8) },
        ),
        r(
            "C_Login closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_Login)(e.closed, CKU_USER, d(USER_PIN.as_bytes()), 8) },
        ),
        p("C_Login bad user type", CKR_USER_TYPE_INVALID, |e| unsafe {
            f!(e.t, C_Login)(e.s, 7, d(USER_PIN.as_bytes()), 8)
        }),
        r("C_Login again", CKR_USER_ALREADY_LOGGED_IN, |e| unsafe {
            f!(e.t, C_Login)(e.s, CKU_USER, d(USER_PIN.as_bytes()), 8)
        }),
        r(
            "C_Login SO while user",
            CKR_USER_ANOTHER_ALREADY_LOGGED_IN,
            |e| unsafe { f!(e.t, C_Login)(e.s, CKU_SO, d(SO_PIN.as_bytes()), 8) },
        ),
        p("C_Login wrong pin", CKR_PIN_INCORRECT, |e| unsafe {
            f!(e.t, C_Login)(e.s, CKU_USER, d(b"99999999"), 8)
        }),
        p("C_Login NULL pin", CKR_ARGUMENTS_BAD, |e| unsafe {
            f!(e.t, C_Login)(e.s, CKU_USER, null_mut(), 8)
        }),
        p("C_Login pin length 0", CKR_PIN_LEN_RANGE, |e| unsafe {
            f!(e.t, C_Login)(e.s, CKU_USER, d(USER_PIN.as_bytes()), 0)
        }),
        p("C_Login pin needed-1", CKR_PIN_INCORRECT, |e| unsafe {
            f!(e.t, C_Login)(e.s, CKU_USER, d(USER_PIN.as_bytes()), 7)
        }),
        p("C_Login pin huge", CKR_PIN_LEN_RANGE, |e| unsafe {
            let huge = vec![b'1'; HUGE];
            f!(e.t, C_Login)(e.s, CKU_USER, d(&huge), n(&huge))
        }),
        p(
            "C_Login SO with R/O session",
            CKR_SESSION_READ_ONLY_EXISTS,
            |e| unsafe { f!(e.t, C_Login)(e.s, CKU_SO, d(SO_PIN.as_bytes()), 8) },
        ),
        r(
            "C_Login context specific",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| unsafe { f!(e.t, C_Login)(e.s, CKU_CONTEXT_SPECIFIC, d(USER_PIN.as_bytes()), 8) },
        ),
        r(
            "C_Logout bad session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_Logout)(BAD) },
        ),
        r(
            "C_Logout closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_Logout)(e.closed) },
        ),
        p(
            "C_Logout not logged in",
            CKR_USER_NOT_LOGGED_IN,
            |e| unsafe { f!(e.t, C_Logout)(e.s) },
        ),
        // ---- object management ----
        r(
            "C_CreateObject NULL template",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                let mut h = 0;
                f!(e.t, C_CreateObject)(e.s, null_mut(), 1, &mut h)
            },
        ),
        r(
            "C_CreateObject NULL handle",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                let mut t = data_template(b"x", &FALSE);
                f!(e.t, C_CreateObject)(e.s, t.as_mut_ptr(), 3, null_mut())
            },
        ),
        r(
            "C_CreateObject closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| create(e, e.closed, &mut data_template(b"x", &FALSE)),
        ),
        r("C_CreateObject token in R/O", CKR_SESSION_READ_ONLY, |e| {
            create(e, e.ro, &mut data_template(b"x", &TRUE))
        }),
        p(
            "C_CreateObject private not logged in",
            CKR_USER_NOT_LOGGED_IN,
            |e| {
                let t = data_template(b"x", &FALSE);
                create(e, e.s, &mut [t[0], t[1], t[2], attr(CKA_PRIVATE, &TRUE)])
            },
        ),
        r("C_CreateObject no class", CKR_TEMPLATE_INCOMPLETE, |e| {
            create(e, e.s, &mut [bytes_attr(CKA_LABEL, b"x")])
        }),
        r(
            "C_CreateObject unknown attribute",
            CKR_ATTRIBUTE_TYPE_INVALID,
            |e| {
                let t = data_template(b"x", &FALSE);
                create(e, e.s, &mut [t[0], t[1], attr(0x7fff_0001, &TRUE)])
            },
        ),
        r(
            "C_CreateObject class length 1",
            CKR_ATTRIBUTE_VALUE_INVALID,
            |e| create(e, e.s, &mut [bytes_attr(CKA_CLASS, &[0])]),
        ),
        r(
            "C_CreateObject AES value 5 bytes",
            CKR_ATTRIBUTE_VALUE_INVALID,
            |e| {
                create(
                    e,
                    e.s,
                    &mut [
                        attr(CKA_CLASS, &CKO_SECRET_KEY),
                        attr(CKA_KEY_TYPE, &CKK_AES),
                        attr(CKA_TOKEN, &FALSE),
                        bytes_attr(CKA_VALUE, &[1; 5]),
                    ],
                )
            },
        ),
        r(
            "C_CreateObject AES no value",
            CKR_TEMPLATE_INCOMPLETE,
            |e| {
                create(
                    e,
                    e.s,
                    &mut [
                        attr(CKA_CLASS, &CKO_SECRET_KEY),
                        attr(CKA_KEY_TYPE, &CKK_AES),
                        attr(CKA_TOKEN, &FALSE),
                    ],
                )
            },
        ),
        r("C_CreateObject CKA_LOCAL", CKR_ATTRIBUTE_READ_ONLY, |e| {
            create(
                e,
                e.s,
                &mut [
                    attr(CKA_CLASS, &CKO_SECRET_KEY),
                    attr(CKA_KEY_TYPE, &CKK_AES),
                    attr(CKA_TOKEN, &FALSE),
                    bytes_attr(CKA_VALUE, &[1; 16]),
                    attr(CKA_LOCAL, &TRUE),
                ],
            )
        }),
        r(
            "C_CreateObject class twice",
            CKR_TEMPLATE_INCONSISTENT,
            |e| {
                let t = data_template(b"x", &FALSE);
                create(e, e.s, &mut [t[0], t[1], attr(CKA_CLASS, &CKO_SECRET_KEY)])
            },
        ),
        // ---- C_CopyObject ----
        r(
            "C_CopyObject closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut h = 0;
                f!(e.t, C_CopyObject)(e.closed, e.t.data, copy_template().as_mut_ptr(), 1, &mut h)
            },
        ),
        r(
            "C_CopyObject bad object",
            CKR_OBJECT_HANDLE_INVALID,
            |e| unsafe {
                let mut h = 0;
                f!(e.t, C_CopyObject)(e.s, BAD, copy_template().as_mut_ptr(), 1, &mut h)
            },
        ),
        r(
            "C_CopyObject destroyed object",
            CKR_OBJECT_HANDLE_INVALID,
            |e| unsafe {
                let mut h = 0;
                f!(e.t, C_CopyObject)(e.s, e.t.gone, copy_template().as_mut_ptr(), 1, &mut h)
            },
        ),
        r(
            "C_CopyObject NULL new handle",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                f!(e.t, C_CopyObject)(e.s, e.t.data, copy_template().as_mut_ptr(), 1, null_mut())
            },
        ),
        r(
            "C_CopyObject NULL template",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                let mut h = 0;
                f!(e.t, C_CopyObject)(e.s, e.t.data, null_mut(), 1, &mut h)
            },
        ),
        r(
            "C_CopyObject to token in R/O",
            CKR_SESSION_READ_ONLY,
            |e| unsafe {
                let mut t = [attr(CKA_TOKEN, &TRUE)];
                let mut h = 0;
                f!(e.t, C_CopyObject)(e.ro, e.t.data, t.as_mut_ptr(), 1, &mut h)
            },
        ),
        r(
            "C_CopyObject unsensitive copy",
            CKR_ATTRIBUTE_READ_ONLY,
            |e| unsafe {
                let mut t = [attr(CKA_SENSITIVE, &FALSE)];
                let mut h = 0;
                f!(e.t, C_CopyObject)(e.s, e.t.aes, t.as_mut_ptr(), 1, &mut h)
            },
        ),
        r(
            "C_CopyObject not copyable",
            CKR_ACTION_PROHIBITED,
            |e| unsafe {
                let mut h = 0;
                f!(e.t, C_CopyObject)(e.s, e.t.locked, copy_template().as_mut_ptr(), 1, &mut h)
            },
        ),
        // ---- C_DestroyObject ----
        r(
            "C_DestroyObject closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_DestroyObject)(e.closed, e.t.data) },
        ),
        r(
            "C_DestroyObject bad",
            CKR_OBJECT_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_DestroyObject)(e.s, BAD) },
        ),
        r(
            "C_DestroyObject destroyed",
            CKR_OBJECT_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_DestroyObject)(e.s, e.t.gone) },
        ),
        r(
            "C_DestroyObject token in R/O",
            CKR_SESSION_READ_ONLY,
            |e| unsafe { f!(e.t, C_DestroyObject)(e.ro, e.t.token_obj) },
        ),
        r(
            "C_DestroyObject not destroyable",
            CKR_ACTION_PROHIBITED,
            |e| unsafe { f!(e.t, C_DestroyObject)(e.s, e.t.locked) },
        ),
        p(
            "C_DestroyObject private key after logout",
            CKR_OBJECT_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_DestroyObject)(e.s, e.t.rsa_priv) },
        ),
        // ---- C_GetObjectSize ----
        r(
            "C_GetObjectSize closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut size = 0;
                f!(e.t, C_GetObjectSize)(e.closed, e.t.data, &mut size)
            },
        ),
        r(
            "C_GetObjectSize bad",
            CKR_OBJECT_HANDLE_INVALID,
            |e| unsafe {
                let mut size = 0;
                f!(e.t, C_GetObjectSize)(e.s, BAD, &mut size)
            },
        ),
        r("C_GetObjectSize NULL", CKR_ARGUMENTS_BAD, |e| unsafe {
            f!(e.t, C_GetObjectSize)(e.s, e.t.data, null_mut())
        }),
        // ---- C_GetAttributeValue ----
        r(
            "C_GetAttributeValue closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut t = [attr(CKA_CLASS, &CKO_DATA)];
                f!(e.t, C_GetAttributeValue)(e.closed, e.t.data, t.as_mut_ptr(), 1)
            },
        ),
        r("C_GetAttributeValue bad", CKR_OBJECT_HANDLE_INVALID, |e| {
            get_attr(e, BAD, CKA_CLASS, None)
        }),
        r(
            "C_GetAttributeValue destroyed",
            CKR_OBJECT_HANDLE_INVALID,
            |e| get_attr(e, e.t.gone, CKA_CLASS, None),
        ),
        r(
            "C_GetAttributeValue NULL template",
            CKR_ARGUMENTS_BAD,
            |e| unsafe { f!(e.t, C_GetAttributeValue)(e.s, e.t.data, null_mut(), 1) },
        ),
        r("C_GetAttributeValue count 0", CKR_OK, |e| unsafe {
            let mut t = [attr(CKA_CLASS, &CKO_DATA)];
            f!(e.t, C_GetAttributeValue)(e.s, e.t.data, t.as_mut_ptr(), 0)
        }),
        r(
            "C_GetAttributeValue label length 0",
            CKR_BUFFER_TOO_SMALL,
            |e| get_attr(e, e.t.data, CKA_LABEL, Some(0)),
        ),
        r(
            "C_GetAttributeValue label needed-1",
            CKR_BUFFER_TOO_SMALL,
            |e| get_attr(e, e.t.data, CKA_LABEL, Some(b"neg-data".len() - 1)),
        ),
        r(
            "C_GetAttributeValue class needed-1",
            CKR_BUFFER_TOO_SMALL,
            |e| get_attr(e, e.t.data, CKA_CLASS, Some(size_of::<CK_ULONG>() - 1)),
        ),
        r(
            "C_GetAttributeValue unknown type",
            CKR_ATTRIBUTE_TYPE_INVALID,
            |e| get_attr(e, e.t.data, 0x7fff_0001, None),
        ),
        r(
            "C_GetAttributeValue modulus of AES",
            CKR_ATTRIBUTE_TYPE_INVALID,
            |e| get_attr(e, e.t.aes, CKA_MODULUS, None),
        ),
        r(
            "C_GetAttributeValue private exponent",
            CKR_ATTRIBUTE_SENSITIVE,
            |e| get_attr(e, e.t.rsa_priv, CKA_PRIVATE_EXPONENT, None),
        ),
        r(
            "C_GetAttributeValue AES value",
            CKR_ATTRIBUTE_SENSITIVE,
            |e| get_attr(e, e.t.aes, CKA_VALUE, None),
        ),
        p(
            "C_GetAttributeValue private key after logout",
            CKR_OBJECT_HANDLE_INVALID,
            |e| get_attr(e, e.t.rsa_priv, CKA_CLASS, None),
        ),
        // ---- C_SetAttributeValue ----
        r(
            "C_SetAttributeValue closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| set_attr(e, e.closed, e.t.data, bytes_attr(CKA_LABEL, b"y")),
        ),
        r("C_SetAttributeValue bad", CKR_OBJECT_HANDLE_INVALID, |e| {
            set_attr(e, e.s, BAD, bytes_attr(CKA_LABEL, b"y"))
        }),
        r(
            "C_SetAttributeValue NULL template",
            CKR_ARGUMENTS_BAD,
            |e| unsafe { f!(e.t, C_SetAttributeValue)(e.s, e.t.data, null_mut(), 1) },
        ),
        r(
            "C_SetAttributeValue token in R/O",
            CKR_SESSION_READ_ONLY,
            |e| set_attr(e, e.ro, e.t.token_obj, bytes_attr(CKA_LABEL, b"y")),
        ),
        r("C_SetAttributeValue class", CKR_ATTRIBUTE_READ_ONLY, |e| {
            set_attr(e, e.s, e.t.data, attr(CKA_CLASS, &CKO_SECRET_KEY))
        }),
        r(
            "C_SetAttributeValue not modifiable",
            CKR_ACTION_PROHIBITED,
            |e| set_attr(e, e.s, e.t.locked, bytes_attr(CKA_LABEL, b"y")),
        ),
        r(
            "C_SetAttributeValue sensitive off",
            CKR_ATTRIBUTE_READ_ONLY,
            |e| set_attr(e, e.s, e.t.aes, attr(CKA_SENSITIVE, &FALSE)),
        ),
        r(
            "C_SetAttributeValue extractable on",
            CKR_ATTRIBUTE_READ_ONLY,
            |e| set_attr(e, e.s, e.t.aes, attr(CKA_EXTRACTABLE, &TRUE)),
        ),
        r(
            "C_SetAttributeValue unknown type",
            CKR_ATTRIBUTE_TYPE_INVALID,
            |e| set_attr(e, e.s, e.t.data, attr(0x7fff_0001, &TRUE)),
        ),
        r(
            "C_SetAttributeValue token length 0",
            CKR_ATTRIBUTE_VALUE_INVALID,
            |e| set_attr(e, e.s, e.t.data, bytes_attr(CKA_PRIVATE, &[])),
        ),
        // ---- finding objects ----
        r(
            "C_FindObjectsInit closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_FindObjectsInit)(e.closed, null_mut(), 0) },
        ),
        r(
            "C_FindObjectsInit NULL template",
            CKR_ARGUMENTS_BAD,
            |e| unsafe { f!(e.t, C_FindObjectsInit)(e.s, null_mut(), 1) },
        ),
        r(
            "C_FindObjectsInit active",
            CKR_OPERATION_ACTIVE,
            |e| unsafe {
                e.find_init();
                f!(e.t, C_FindObjectsInit)(e.s, null_mut(), 0)
            },
        ),
        r(
            "C_FindObjects not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| unsafe {
                let mut h = [0; 4];
                let mut count = 0;
                f!(e.t, C_FindObjects)(e.s, h.as_mut_ptr(), 4, &mut count)
            },
        ),
        r(
            "C_FindObjects closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut h = [0; 4];
                let mut count = 0;
                f!(e.t, C_FindObjects)(e.closed, h.as_mut_ptr(), 4, &mut count)
            },
        ),
        r(
            "C_FindObjects NULL handles",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                e.find_init();
                let mut count = 0;
                f!(e.t, C_FindObjects)(e.s, null_mut(), 4, &mut count)
            },
        ),
        r("C_FindObjects NULL count", CKR_ARGUMENTS_BAD, |e| unsafe {
            e.find_init();
            let mut h = [0; 4];
            f!(e.t, C_FindObjects)(e.s, h.as_mut_ptr(), 4, null_mut())
        }),
        r(
            "C_FindObjectsFinal not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| unsafe { f!(e.t, C_FindObjectsFinal)(e.s) },
        ),
        r(
            "C_FindObjectsFinal closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_FindObjectsFinal)(e.closed) },
        ),
        // ---- encryption ----
        r(
            "C_EncryptInit closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_EncryptInit)(e.closed, &mut mech(CKM_AES_ECB), e.t.aes) },
        ),
        r(
            "C_EncryptInit bad key",
            CKR_KEY_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_EncryptInit)(e.s, &mut mech(CKM_AES_ECB), BAD) },
        ),
        r(
            "C_EncryptInit destroyed key",
            CKR_KEY_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_EncryptInit)(e.s, &mut mech(CKM_AES_ECB), e.t.gone) },
        ),
        r(
            "C_EncryptInit unknown mechanism",
            CKR_MECHANISM_INVALID,
            |e| unsafe { f!(e.t, C_EncryptInit)(e.s, &mut mech(UNKNOWN_MECH), e.t.aes) },
        ),
        r(
            "C_EncryptInit digest mechanism",
            CKR_MECHANISM_INVALID,
            |e| unsafe { f!(e.t, C_EncryptInit)(e.s, &mut mech(CKM_SHA256), e.t.aes) },
        ),
        r(
            "C_EncryptInit GCM NULL param",
            CKR_MECHANISM_PARAM_INVALID,
            |e| unsafe {
                let mut m = mech_raw(CKM_AES_GCM, null_mut(), size_of::<CK_GCM_PARAMS>());
                f!(e.t, C_EncryptInit)(e.s, &mut m, e.t.aes)
            },
        ),
        r(
            "C_EncryptInit GCM param length-1",
            CKR_MECHANISM_PARAM_INVALID,
            |e| unsafe {
                let mut iv = [0u8; 12];
                let mut params = gcm(&mut iv, 128);
                let mut m = mech_with(CKM_AES_GCM, &mut params);
                m.ulParameterLen -= 1;
                f!(e.t, C_EncryptInit)(e.s, &mut m, e.t.aes)
            },
        ),
        r(
            "C_EncryptInit GCM tag 129 bits",
            CKR_MECHANISM_PARAM_INVALID,
            |e| unsafe {
                let mut iv = [0u8; 12];
                let mut params = gcm(&mut iv, 129);
                f!(e.t, C_EncryptInit)(e.s, &mut mech_with(CKM_AES_GCM, &mut params), e.t.aes)
            },
        ),
        r(
            "C_EncryptInit GCM IV 128 bits",
            CKR_MECHANISM_PARAM_INVALID,
            |e| unsafe {
                let mut iv = [0u8; 16];
                let mut params = CK_GCM_PARAMS {
                    pIv: iv.as_mut_ptr(),
                    ulIvLen: 16,
                    ulIvBits: 128,
                    pAAD: null_mut(),
                    ulAADLen: 0,
                    ulTagBits: 128,
                };
                f!(e.t, C_EncryptInit)(e.s, &mut mech_with(CKM_AES_GCM, &mut params), e.t.aes)
            },
        ),
        r(
            "C_EncryptInit CBC IV 8 bytes",
            CKR_MECHANISM_PARAM_INVALID,
            |e| unsafe {
                let mut iv = [0u8; 8];
                let mut m = mech_raw(CKM_AES_CBC_PAD, iv.as_mut_ptr(), 8);
                f!(e.t, C_EncryptInit)(e.s, &mut m, e.t.aes)
            },
        ),
        r(
            "C_EncryptInit CBC NULL IV",
            CKR_MECHANISM_PARAM_INVALID,
            |e| unsafe {
                let mut m = mech_raw(CKM_AES_CBC_PAD, null_mut(), 16);
                f!(e.t, C_EncryptInit)(e.s, &mut m, e.t.aes)
            },
        ),
        r(
            "C_EncryptInit ECB with param",
            CKR_MECHANISM_PARAM_INVALID,
            |e| unsafe {
                let mut iv = [0u8; 16];
                let mut m = mech_raw(CKM_AES_ECB, iv.as_mut_ptr(), 16);
                f!(e.t, C_EncryptInit)(e.s, &mut m, e.t.aes)
            },
        ),
        r(
            "C_EncryptInit RSA mechanism on AES",
            CKR_KEY_TYPE_INCONSISTENT,
            |e| unsafe { f!(e.t, C_EncryptInit)(e.s, &mut mech(CKM_RSA_PKCS), e.t.aes) },
        ),
        r(
            "C_EncryptInit AES mechanism on EC",
            CKR_KEY_TYPE_INCONSISTENT,
            |e| unsafe { f!(e.t, C_EncryptInit)(e.s, &mut mech(CKM_AES_ECB), e.t.ec_pub) },
        ),
        r(
            "C_EncryptInit no CKA_ENCRYPT",
            CKR_KEY_FUNCTION_NOT_PERMITTED,
            |e| unsafe { f!(e.t, C_EncryptInit)(e.s, &mut mech(CKM_AES_ECB), e.t.aes_nouse) },
        ),
        r("C_EncryptInit active", CKR_OPERATION_ACTIVE, |e| unsafe {
            e.encrypt_init(CKM_AES_ECB);
            f!(e.t, C_EncryptInit)(e.s, &mut mech(CKM_AES_ECB), e.t.aes)
        }),
        r(
            "C_EncryptInit OAEP NULL param",
            CKR_MECHANISM_PARAM_INVALID,
            |e| unsafe {
                let mut m = mech_raw(
                    CKM_RSA_PKCS_OAEP,
                    null_mut(),
                    size_of::<CK_RSA_PKCS_OAEP_PARAMS>(),
                );
                f!(e.t, C_EncryptInit)(e.s, &mut m, e.t.rsa_pub)
            },
        ),
        r(
            "C_EncryptInit OAEP param length 8",
            CKR_MECHANISM_PARAM_INVALID,
            |e| unsafe {
                let mut junk = [0u8; 8];
                let mut m = mech_raw(CKM_RSA_PKCS_OAEP, junk.as_mut_ptr(), 8);
                f!(e.t, C_EncryptInit)(e.s, &mut m, e.t.rsa_pub)
            },
        ),
        // kmsd decrypts and unwraps RSA-OAEP with SHA-1 or SHA-256 only (kms-api's
        // params::oaep); the module refuses anything else at *Init, not at the round trip.
        r(
            "C_EncryptInit OAEP SHA-224",
            CKR_MECHANISM_PARAM_INVALID,
            |e| oaep_sha224_init(e, f!(e.t, C_EncryptInit), e.t.rsa_pub),
        ),
        r(
            "C_Encrypt not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| out_call(e, f!(e.t, C_Encrypt), &[0; 16], 16),
        ),
        r(
            "C_Encrypt closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut len = 16;
                let mut out = [0u8; 16];
                f!(e.t, C_Encrypt)(e.closed, d(&[0; 16]), 16, out.as_mut_ptr(), &mut len)
            },
        ),
        r("C_Encrypt NULL length", CKR_ARGUMENTS_BAD, |e| unsafe {
            e.encrypt_init(CKM_AES_ECB);
            f!(e.t, C_Encrypt)(e.s, d(&[0; 16]), 16, null_mut(), null_mut())
        }),
        r("C_Encrypt NULL data", CKR_ARGUMENTS_BAD, |e| unsafe {
            e.encrypt_init(CKM_AES_ECB);
            let mut len = 16;
            let mut out = [0u8; 16];
            f!(e.t, C_Encrypt)(e.s, null_mut(), 16, out.as_mut_ptr(), &mut len)
        }),
        r("C_Encrypt ECB 15 bytes", CKR_DATA_LEN_RANGE, |e| {
            e.encrypt_init(CKM_AES_ECB);
            out_call(e, f!(e.t, C_Encrypt), &[0; 15], 16)
        }),
        r("C_Encrypt output length 0", CKR_BUFFER_TOO_SMALL, |e| {
            e.encrypt_init(CKM_AES_ECB);
            out_call(e, f!(e.t, C_Encrypt), &[0; 16], 0)
        }),
        r("C_Encrypt output needed-1", CKR_BUFFER_TOO_SMALL, |e| {
            e.encrypt_init(CKM_AES_ECB);
            out_call(e, f!(e.t, C_Encrypt), &[0; 16], 15)
        }),
        r(
            "C_Encrypt GCM output needed-1",
            CKR_BUFFER_TOO_SMALL,
            |e| unsafe {
                let mut iv = [0u8; 12];
                let mut params = gcm(&mut iv, 128);
                let mut m = mech_with(CKM_AES_GCM, &mut params);
                e.ok("init", f!(e.t, C_EncryptInit)(e.s, &mut m, e.t.aes));
                out_call(e, f!(e.t, C_Encrypt), MSG, MSG.len() + 15)
            },
        ),
        r(
            "C_Encrypt RSA PKCS data huge",
            CKR_DATA_LEN_RANGE,
            |e| unsafe {
                e.ok(
                    "init",
                    f!(e.t, C_EncryptInit)(e.s, &mut mech(CKM_RSA_PKCS), e.t.rsa_pub),
                );
                out_call(e, f!(e.t, C_Encrypt), &vec![1; HUGE], 256)
            },
        ),
        r("C_Encrypt after update", CKR_OPERATION_ACTIVE, |e| unsafe {
            e.encrypt_init(CKM_AES_ECB);
            let mut out = [0u8; 32];
            let mut len = 32;
            e.update(
                "C_EncryptUpdate",
                f!(e.t, C_EncryptUpdate)(e.s, d(&[0; 16]), 16, out.as_mut_ptr(), &mut len),
            );
            out_call(e, f!(e.t, C_Encrypt), &[0; 16], 16)
        }),
        r(
            "C_Encrypt after error",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| {
                e.encrypt_init(CKM_AES_ECB);
                e.step(
                    "C_Encrypt",
                    CKR_DATA_LEN_RANGE,
                    out_call(e, f!(e.t, C_Encrypt), &[0; 15], 16),
                );
                out_call(e, f!(e.t, C_Encrypt), &[0; 16], 16)
            },
        ),
        r(
            "C_EncryptUpdate not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| out_call(e, f!(e.t, C_EncryptUpdate), &[0; 16], 16),
        ),
        r(
            "C_EncryptUpdate closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut len = 16;
                let mut out = [0u8; 16];
                f!(e.t, C_EncryptUpdate)(e.closed, d(&[0; 16]), 16, out.as_mut_ptr(), &mut len)
            },
        ),
        r(
            "C_EncryptUpdate NULL length",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                e.encrypt_init(CKM_AES_ECB);
                f!(e.t, C_EncryptUpdate)(e.s, d(&[0; 16]), 16, null_mut(), null_mut())
            },
        ),
        r("C_EncryptUpdate NULL part", CKR_ARGUMENTS_BAD, |e| unsafe {
            e.encrypt_init(CKM_AES_ECB);
            let mut len = 16;
            let mut out = [0u8; 16];
            f!(e.t, C_EncryptUpdate)(e.s, null_mut(), 16, out.as_mut_ptr(), &mut len)
        }),
        r(
            "C_EncryptUpdate output needed-1",
            CKR_BUFFER_TOO_SMALL,
            |e| {
                e.encrypt_init(CKM_AES_ECB);
                out_call(e, f!(e.t, C_EncryptUpdate), &[0; 32], 31)
            },
        ),
        r(
            "C_EncryptFinal not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| final_call(e, f!(e.t, C_EncryptFinal), 16),
        ),
        r(
            "C_EncryptFinal closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut len = 16;
                let mut out = [0u8; 16];
                f!(e.t, C_EncryptFinal)(e.closed, out.as_mut_ptr(), &mut len)
            },
        ),
        r(
            "C_EncryptFinal NULL length",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                e.encrypt_init(CKM_AES_ECB);
                f!(e.t, C_EncryptFinal)(e.s, null_mut(), null_mut())
            },
        ),
        r("C_EncryptFinal ECB leftover", CKR_DATA_LEN_RANGE, |e| {
            e.encrypt_init(CKM_AES_ECB);
            e.ok(
                "C_EncryptUpdate",
                out_call(e, f!(e.t, C_EncryptUpdate), &[0; 5], 16),
            );
            final_call(e, f!(e.t, C_EncryptFinal), 16)
        }),
        // ---- decryption ----
        r(
            "C_DecryptInit closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_DecryptInit)(e.closed, &mut mech(CKM_AES_ECB), e.t.aes) },
        ),
        r(
            "C_DecryptInit bad key",
            CKR_KEY_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_DecryptInit)(e.s, &mut mech(CKM_AES_ECB), BAD) },
        ),
        r(
            "C_DecryptInit unknown mechanism",
            CKR_MECHANISM_INVALID,
            |e| unsafe { f!(e.t, C_DecryptInit)(e.s, &mut mech(UNKNOWN_MECH), e.t.aes) },
        ),
        r(
            "C_DecryptInit no CKA_DECRYPT",
            CKR_KEY_FUNCTION_NOT_PERMITTED,
            |e| unsafe { f!(e.t, C_DecryptInit)(e.s, &mut mech(CKM_AES_ECB), e.t.aes_nouse) },
        ),
        r(
            "C_DecryptInit AES mechanism on RSA",
            CKR_KEY_TYPE_INCONSISTENT,
            |e| unsafe { f!(e.t, C_DecryptInit)(e.s, &mut mech(CKM_AES_ECB), e.t.rsa_priv) },
        ),
        r(
            "C_DecryptInit GCM NULL param",
            CKR_MECHANISM_PARAM_INVALID,
            |e| unsafe {
                let mut m = mech_raw(CKM_AES_GCM, null_mut(), size_of::<CK_GCM_PARAMS>());
                f!(e.t, C_DecryptInit)(e.s, &mut m, e.t.aes)
            },
        ),
        r(
            "C_DecryptInit CBC IV 17 bytes",
            CKR_MECHANISM_PARAM_INVALID,
            |e| unsafe {
                let mut iv = [0u8; 17];
                let mut m = mech_raw(CKM_AES_CBC_PAD, iv.as_mut_ptr(), 17);
                f!(e.t, C_DecryptInit)(e.s, &mut m, e.t.aes)
            },
        ),
        r(
            "C_DecryptInit OAEP SHA-224",
            CKR_MECHANISM_PARAM_INVALID,
            |e| oaep_sha224_init(e, f!(e.t, C_DecryptInit), e.t.rsa_priv),
        ),
        r("C_DecryptInit active", CKR_OPERATION_ACTIVE, |e| unsafe {
            e.decrypt_init(CKM_AES_ECB);
            f!(e.t, C_DecryptInit)(e.s, &mut mech(CKM_AES_ECB), e.t.aes)
        }),
        r(
            "C_Decrypt not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| out_call(e, f!(e.t, C_Decrypt), &[0; 16], 16),
        ),
        r(
            "C_Decrypt closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut len = 16;
                let mut out = [0u8; 16];
                f!(e.t, C_Decrypt)(e.closed, d(&[0; 16]), 16, out.as_mut_ptr(), &mut len)
            },
        ),
        r("C_Decrypt NULL length", CKR_ARGUMENTS_BAD, |e| unsafe {
            e.decrypt_init(CKM_AES_ECB);
            f!(e.t, C_Decrypt)(e.s, d(&[0; 16]), 16, null_mut(), null_mut())
        }),
        r("C_Decrypt NULL data", CKR_ARGUMENTS_BAD, |e| unsafe {
            e.decrypt_init(CKM_AES_ECB);
            let mut len = 16;
            let mut out = [0u8; 16];
            f!(e.t, C_Decrypt)(e.s, null_mut(), 16, out.as_mut_ptr(), &mut len)
        }),
        r(
            "C_Decrypt ECB 15 bytes",
            CKR_ENCRYPTED_DATA_LEN_RANGE,
            |e| {
                e.decrypt_init(CKM_AES_ECB);
                out_call(e, f!(e.t, C_Decrypt), &[0; 15], 16)
            },
        ),
        r("C_Decrypt ECB empty", CKR_OK, |e| {
            e.decrypt_init(CKM_AES_ECB);
            out_call(e, f!(e.t, C_Decrypt), &[], 16)
        }),
        r("C_Decrypt output needed-1", CKR_BUFFER_TOO_SMALL, |e| {
            e.decrypt_init(CKM_AES_ECB);
            out_call(e, f!(e.t, C_Decrypt), &[0; 32], 31)
        }),
        r("C_Decrypt GCM tampered", CKR_ENCRYPTED_DATA_INVALID, |e| {
            let mut c = e.gcm_ciphertext();
            c[0] ^= 1;
            e.gcm_decrypt_init();
            out_call(e, f!(e.t, C_Decrypt), &c, c.len())
        }),
        r(
            "C_Decrypt GCM shorter than tag",
            CKR_ENCRYPTED_DATA_LEN_RANGE,
            |e| {
                e.gcm_decrypt_init();
                out_call(e, f!(e.t, C_Decrypt), &[0; 15], 16)
            },
        ),
        r(
            "C_Decrypt RSA PKCS 255 bytes",
            CKR_ENCRYPTED_DATA_LEN_RANGE,
            |e| unsafe {
                e.ok(
                    "init",
                    f!(e.t, C_DecryptInit)(e.s, &mut mech(CKM_RSA_PKCS), e.t.rsa_priv),
                );
                out_call(e, f!(e.t, C_Decrypt), &[1; 255], 256)
            },
        ),
        r(
            "C_Decrypt RSA PKCS huge",
            CKR_ENCRYPTED_DATA_LEN_RANGE,
            |e| unsafe {
                e.ok(
                    "init",
                    f!(e.t, C_DecryptInit)(e.s, &mut mech(CKM_RSA_PKCS), e.t.rsa_priv),
                );
                out_call(e, f!(e.t, C_Decrypt), &vec![1; HUGE], 256)
            },
        ),
        r(
            "C_DecryptUpdate not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| out_call(e, f!(e.t, C_DecryptUpdate), &[0; 16], 16),
        ),
        r(
            "C_DecryptUpdate closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut len = 16;
                let mut out = [0u8; 16];
                f!(e.t, C_DecryptUpdate)(e.closed, d(&[0; 16]), 16, out.as_mut_ptr(), &mut len)
            },
        ),
        r(
            "C_DecryptUpdate NULL length",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                e.decrypt_init(CKM_AES_ECB);
                f!(e.t, C_DecryptUpdate)(e.s, d(&[0; 16]), 16, null_mut(), null_mut())
            },
        ),
        r("C_DecryptUpdate NULL part", CKR_ARGUMENTS_BAD, |e| unsafe {
            e.decrypt_init(CKM_AES_ECB);
            let mut len = 16;
            let mut out = [0u8; 16];
            f!(e.t, C_DecryptUpdate)(e.s, null_mut(), 16, out.as_mut_ptr(), &mut len)
        }),
        r(
            "C_DecryptFinal not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| final_call(e, f!(e.t, C_DecryptFinal), 16),
        ),
        r(
            "C_DecryptFinal closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut len = 16;
                let mut out = [0u8; 16];
                f!(e.t, C_DecryptFinal)(e.closed, out.as_mut_ptr(), &mut len)
            },
        ),
        r(
            "C_DecryptFinal NULL length",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                e.decrypt_init(CKM_AES_ECB);
                f!(e.t, C_DecryptFinal)(e.s, null_mut(), null_mut())
            },
        ),
        r(
            "C_DecryptFinal ECB leftover",
            CKR_ENCRYPTED_DATA_LEN_RANGE,
            |e| {
                e.decrypt_init(CKM_AES_ECB);
                e.ok(
                    "C_DecryptUpdate",
                    out_call(e, f!(e.t, C_DecryptUpdate), &[0; 5], 16),
                );
                final_call(e, f!(e.t, C_DecryptFinal), 16)
            },
        ),
        // ---- message digesting ----
        r(
            "C_DigestInit closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_DigestInit)(e.closed, &mut mech(CKM_SHA256)) },
        ),
        r(
            "C_DigestInit unknown mechanism",
            CKR_MECHANISM_INVALID,
            |e| unsafe { f!(e.t, C_DigestInit)(e.s, &mut mech(UNKNOWN_MECH)) },
        ),
        r(
            "C_DigestInit sign mechanism",
            CKR_MECHANISM_INVALID,
            |e| unsafe { f!(e.t, C_DigestInit)(e.s, &mut mech(CKM_SHA256_RSA_PKCS)) },
        ),
        r(
            "C_DigestInit with param",
            CKR_MECHANISM_PARAM_INVALID,
            |e| unsafe {
                let mut junk = [0u8; 4];
                f!(e.t, C_DigestInit)(e.s, &mut mech_raw(CKM_SHA256, junk.as_mut_ptr(), 4))
            },
        ),
        r("C_DigestInit active", CKR_OPERATION_ACTIVE, |e| unsafe {
            e.digest_init();
            f!(e.t, C_DigestInit)(e.s, &mut mech(CKM_SHA256))
        }),
        r(
            "C_Digest not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| out_call(e, f!(e.t, C_Digest), MSG, 32),
        ),
        r(
            "C_Digest closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut len = 32;
                let mut out = [0u8; 32];
                f!(e.t, C_Digest)(e.closed, d(MSG), n(MSG), out.as_mut_ptr(), &mut len)
            },
        ),
        r("C_Digest NULL length", CKR_ARGUMENTS_BAD, |e| unsafe {
            e.digest_init();
            f!(e.t, C_Digest)(e.s, d(MSG), n(MSG), null_mut(), null_mut())
        }),
        r("C_Digest NULL data", CKR_ARGUMENTS_BAD, |e| unsafe {
            e.digest_init();
            let mut len = 32;
            let mut out = [0u8; 32];
            f!(e.t, C_Digest)(e.s, null_mut(), 3, out.as_mut_ptr(), &mut len)
        }),
        r("C_Digest output length 0", CKR_BUFFER_TOO_SMALL, |e| {
            e.digest_init();
            out_call(e, f!(e.t, C_Digest), MSG, 0)
        }),
        r("C_Digest output needed-1", CKR_BUFFER_TOO_SMALL, |e| {
            e.digest_init();
            out_call(e, f!(e.t, C_Digest), MSG, 31)
        }),
        r("C_Digest after update", CKR_OPERATION_ACTIVE, |e| unsafe {
            e.digest_init();
            e.update(
                "C_DigestUpdate",
                f!(e.t, C_DigestUpdate)(e.s, d(MSG), n(MSG)),
            );
            out_call(e, f!(e.t, C_Digest), MSG, 32)
        }),
        r(
            "C_Digest after success",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| {
                e.digest_init();
                e.ok("C_Digest", out_call(e, f!(e.t, C_Digest), MSG, 32));
                out_call(e, f!(e.t, C_Digest), MSG, 32)
            },
        ),
        r(
            "C_DigestUpdate not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| unsafe { f!(e.t, C_DigestUpdate)(e.s, d(MSG), n(MSG)) },
        ),
        r(
            "C_DigestUpdate closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_DigestUpdate)(e.closed, d(MSG), n(MSG)) },
        ),
        r("C_DigestUpdate NULL part", CKR_ARGUMENTS_BAD, |e| unsafe {
            e.digest_init();
            f!(e.t, C_DigestUpdate)(e.s, null_mut(), 3)
        }),
        r(
            "C_DigestKey not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| unsafe { f!(e.t, C_DigestKey)(e.s, e.t.aes) },
        ),
        r(
            "C_DigestKey closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_DigestKey)(e.closed, e.t.aes) },
        ),
        r("C_DigestKey bad key", CKR_KEY_HANDLE_INVALID, |e| unsafe {
            e.digest_init();
            f!(e.t, C_DigestKey)(e.s, BAD)
        }),
        r(
            "C_DigestFinal not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| final_call(e, f!(e.t, C_DigestFinal), 32),
        ),
        r(
            "C_DigestFinal closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut len = 32;
                let mut out = [0u8; 32];
                f!(e.t, C_DigestFinal)(e.closed, out.as_mut_ptr(), &mut len)
            },
        ),
        r("C_DigestFinal NULL length", CKR_ARGUMENTS_BAD, |e| unsafe {
            e.digest_init();
            f!(e.t, C_DigestFinal)(e.s, null_mut(), null_mut())
        }),
        r("C_DigestFinal output needed-1", CKR_BUFFER_TOO_SMALL, |e| {
            e.digest_init();
            final_call(e, f!(e.t, C_DigestFinal), 31)
        }),
        // ---- signing ----
        r(
            "C_SignInit closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_SignInit)(e.closed, &mut mech(CKM_ECDSA), e.t.ec_priv) },
        ),
        r("C_SignInit bad key", CKR_KEY_HANDLE_INVALID, |e| unsafe {
            f!(e.t, C_SignInit)(e.s, &mut mech(CKM_ECDSA), BAD)
        }),
        r(
            "C_SignInit destroyed key",
            CKR_KEY_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_SignInit)(e.s, &mut mech(CKM_ECDSA), e.t.gone) },
        ),
        r(
            "C_SignInit unknown mechanism",
            CKR_MECHANISM_INVALID,
            |e| unsafe { f!(e.t, C_SignInit)(e.s, &mut mech(UNKNOWN_MECH), e.t.ec_priv) },
        ),
        r(
            "C_SignInit RSA mechanism on EC",
            CKR_KEY_TYPE_INCONSISTENT,
            |e| unsafe { f!(e.t, C_SignInit)(e.s, &mut mech(CKM_SHA256_RSA_PKCS), e.t.ec_priv) },
        ),
        r(
            "C_SignInit ECDSA on AES",
            CKR_KEY_TYPE_INCONSISTENT,
            |e| unsafe { f!(e.t, C_SignInit)(e.s, &mut mech(CKM_ECDSA), e.t.aes) },
        ),
        r(
            "C_SignInit no CKA_SIGN",
            CKR_KEY_FUNCTION_NOT_PERMITTED,
            |e| unsafe { f!(e.t, C_SignInit)(e.s, &mut mech(CKM_ECDSA), e.t.ec_nosign) },
        ),
        r(
            "C_SignInit PSS NULL param",
            CKR_MECHANISM_PARAM_INVALID,
            |e| unsafe {
                let mut m = mech_raw(
                    CKM_SHA256_RSA_PKCS_PSS,
                    null_mut(),
                    size_of::<CK_RSA_PKCS_PSS_PARAMS>(),
                );
                f!(e.t, C_SignInit)(e.s, &mut m, e.t.rsa_priv)
            },
        ),
        r(
            "C_SignInit PSS param length-1",
            CKR_MECHANISM_PARAM_INVALID,
            |e| unsafe {
                let mut params = CK_RSA_PKCS_PSS_PARAMS {
                    hashAlg: CKM_SHA256,
                    mgf: CKG_MGF1_SHA256,
                    sLen: 32,
                };
                let mut m = mech_with(CKM_SHA256_RSA_PKCS_PSS, &mut params);
                m.ulParameterLen -= 1;
                f!(e.t, C_SignInit)(e.s, &mut m, e.t.rsa_priv)
            },
        ),
        r(
            "C_SignInit PSS hash mismatch",
            CKR_MECHANISM_PARAM_INVALID,
            |e| unsafe {
                let mut params = CK_RSA_PKCS_PSS_PARAMS {
                    hashAlg: CKM_SHA384,
                    mgf: CKG_MGF1_SHA384,
                    sLen: 48,
                };
                let mut m = mech_with(CKM_SHA256_RSA_PKCS_PSS, &mut params);
                f!(e.t, C_SignInit)(e.s, &mut m, e.t.rsa_priv)
            },
        ),
        r("C_SignInit active", CKR_OPERATION_ACTIVE, |e| unsafe {
            e.sign_init(CKM_ECDSA, e.t.ec_priv);
            f!(e.t, C_SignInit)(e.s, &mut mech(CKM_ECDSA), e.t.ec_priv)
        }),
        p(
            "C_SignInit private key after logout",
            CKR_KEY_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_SignInit)(e.s, &mut mech(CKM_ECDSA), e.t.ec_priv) },
        ),
        r(
            "C_Sign not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| out_call(e, f!(e.t, C_Sign), &[7; 32], 64),
        ),
        r(
            "C_Sign closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut len = 64;
                let mut out = [0u8; 64];
                f!(e.t, C_Sign)(e.closed, d(&[7; 32]), 32, out.as_mut_ptr(), &mut len)
            },
        ),
        r("C_Sign NULL length", CKR_ARGUMENTS_BAD, |e| unsafe {
            e.sign_init(CKM_ECDSA, e.t.ec_priv);
            f!(e.t, C_Sign)(e.s, d(&[7; 32]), 32, null_mut(), null_mut())
        }),
        r("C_Sign NULL data", CKR_ARGUMENTS_BAD, |e| unsafe {
            e.sign_init(CKM_ECDSA, e.t.ec_priv);
            let mut len = 64;
            let mut out = [0u8; 64];
            f!(e.t, C_Sign)(e.s, null_mut(), 32, out.as_mut_ptr(), &mut len)
        }),
        r("C_Sign output length 0", CKR_BUFFER_TOO_SMALL, |e| {
            e.sign_init(CKM_ECDSA, e.t.ec_priv);
            out_call(e, f!(e.t, C_Sign), &[7; 32], 0)
        }),
        r("C_Sign ECDSA output needed-1", CKR_BUFFER_TOO_SMALL, |e| {
            e.sign_init(CKM_ECDSA, e.t.ec_priv);
            out_call(e, f!(e.t, C_Sign), &[7; 32], 63)
        }),
        r("C_Sign RSA output needed-1", CKR_BUFFER_TOO_SMALL, |e| {
            e.sign_init(CKM_SHA256_RSA_PKCS, e.t.rsa_priv);
            out_call(e, f!(e.t, C_Sign), MSG, 255)
        }),
        r("C_Sign RSA PKCS data 246 bytes", CKR_DATA_LEN_RANGE, |e| {
            e.sign_init(CKM_RSA_PKCS, e.t.rsa_priv);
            out_call(e, f!(e.t, C_Sign), &[1; 246], 256)
        }),
        r("C_Sign RSA PKCS data huge", CKR_DATA_LEN_RANGE, |e| {
            e.sign_init(CKM_RSA_PKCS, e.t.rsa_priv);
            out_call(e, f!(e.t, C_Sign), &vec![1; HUGE], 256)
        }),
        r("C_Sign after update", CKR_OPERATION_ACTIVE, |e| unsafe {
            e.sign_init(CKM_SHA256_RSA_PKCS, e.t.rsa_priv);
            e.update("C_SignUpdate", f!(e.t, C_SignUpdate)(e.s, d(MSG), n(MSG)));
            out_call(e, f!(e.t, C_Sign), MSG, 256)
        }),
        r(
            "C_SignUpdate not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| unsafe { f!(e.t, C_SignUpdate)(e.s, d(MSG), n(MSG)) },
        ),
        r(
            "C_SignUpdate closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_SignUpdate)(e.closed, d(MSG), n(MSG)) },
        ),
        r("C_SignUpdate NULL part", CKR_ARGUMENTS_BAD, |e| unsafe {
            e.sign_init(CKM_SHA256_RSA_PKCS, e.t.rsa_priv);
            f!(e.t, C_SignUpdate)(e.s, null_mut(), 3)
        }),
        r(
            "C_SignUpdate raw ECDSA",
            CKR_FUNCTION_NOT_SUPPORTED,
            |e| unsafe {
                e.sign_init(CKM_ECDSA, e.t.ec_priv);
                f!(e.t, C_SignUpdate)(e.s, d(&[7; 32]), 32)
            },
        ),
        r(
            "C_SignFinal not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| final_call(e, f!(e.t, C_SignFinal), 256),
        ),
        r(
            "C_SignFinal closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut len = 256;
                let mut out = [0u8; 256];
                f!(e.t, C_SignFinal)(e.closed, out.as_mut_ptr(), &mut len)
            },
        ),
        r("C_SignFinal NULL length", CKR_ARGUMENTS_BAD, |e| unsafe {
            e.sign_init(CKM_SHA256_RSA_PKCS, e.t.rsa_priv);
            f!(e.t, C_SignFinal)(e.s, null_mut(), null_mut())
        }),
        r(
            "C_SignFinal output needed-1",
            CKR_BUFFER_TOO_SMALL,
            |e| unsafe {
                e.sign_init(CKM_SHA256_RSA_PKCS, e.t.rsa_priv);
                e.update("C_SignUpdate", f!(e.t, C_SignUpdate)(e.s, d(MSG), n(MSG)));
                final_call(e, f!(e.t, C_SignFinal), 255)
            },
        ),
        // ---- verifying ----
        r(
            "C_VerifyInit closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_VerifyInit)(e.closed, &mut mech(CKM_ECDSA), e.t.ec_pub) },
        ),
        r("C_VerifyInit bad key", CKR_KEY_HANDLE_INVALID, |e| unsafe {
            f!(e.t, C_VerifyInit)(e.s, &mut mech(CKM_ECDSA), BAD)
        }),
        r(
            "C_VerifyInit unknown mechanism",
            CKR_MECHANISM_INVALID,
            |e| unsafe { f!(e.t, C_VerifyInit)(e.s, &mut mech(UNKNOWN_MECH), e.t.ec_pub) },
        ),
        r(
            "C_VerifyInit RSA mechanism on EC",
            CKR_KEY_TYPE_INCONSISTENT,
            |e| unsafe { f!(e.t, C_VerifyInit)(e.s, &mut mech(CKM_SHA256_RSA_PKCS), e.t.ec_pub) },
        ),
        r(
            "C_VerifyInit PSS NULL param",
            CKR_MECHANISM_PARAM_INVALID,
            |e| unsafe {
                let mut m = mech_raw(
                    CKM_SHA256_RSA_PKCS_PSS,
                    null_mut(),
                    size_of::<CK_RSA_PKCS_PSS_PARAMS>(),
                );
                f!(e.t, C_VerifyInit)(e.s, &mut m, e.t.rsa_pub)
            },
        ),
        r("C_VerifyInit active", CKR_OPERATION_ACTIVE, |e| unsafe {
            e.verify_init(CKM_ECDSA, e.t.ec_pub);
            f!(e.t, C_VerifyInit)(e.s, &mut mech(CKM_ECDSA), e.t.ec_pub)
        }),
        r(
            "C_Verify not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| unsafe {
                let sig = [0u8; 64];
                f!(e.t, C_Verify)(e.s, d(&[7; 32]), 32, d(&sig), 64)
            },
        ),
        r(
            "C_Verify closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let sig = [0u8; 64];
                f!(e.t, C_Verify)(e.closed, d(&[7; 32]), 32, d(&sig), 64)
            },
        ),
        r("C_Verify NULL signature", CKR_ARGUMENTS_BAD, |e| unsafe {
            e.verify_init(CKM_ECDSA, e.t.ec_pub);
            f!(e.t, C_Verify)(e.s, d(&[7; 32]), 32, null_mut(), 64)
        }),
        r("C_Verify NULL data", CKR_ARGUMENTS_BAD, |e| unsafe {
            let sig = e.ec_signature();
            e.verify_init(CKM_ECDSA, e.t.ec_pub);
            f!(e.t, C_Verify)(e.s, null_mut(), 32, d(&sig), 64)
        }),
        r(
            "C_Verify wrong signature",
            CKR_SIGNATURE_INVALID,
            |e| unsafe {
                let mut sig = e.ec_signature();
                sig[10] ^= 1;
                e.verify_init(CKM_ECDSA, e.t.ec_pub);
                f!(e.t, C_Verify)(e.s, d(&[7; 32]), 32, d(&sig), 64)
            },
        ),
        r(
            "C_Verify signature needed-1",
            CKR_SIGNATURE_LEN_RANGE,
            |e| unsafe {
                let sig = e.ec_signature();
                e.verify_init(CKM_ECDSA, e.t.ec_pub);
                f!(e.t, C_Verify)(e.s, d(&[7; 32]), 32, d(&sig), 63)
            },
        ),
        r(
            "C_Verify signature length 0",
            CKR_SIGNATURE_LEN_RANGE,
            |e| unsafe {
                let sig = e.ec_signature();
                e.verify_init(CKM_ECDSA, e.t.ec_pub);
                f!(e.t, C_Verify)(e.s, d(&[7; 32]), 32, d(&sig), 0)
            },
        ),
        r(
            "C_Verify RSA signature huge",
            CKR_SIGNATURE_LEN_RANGE,
            |e| unsafe {
                e.verify_init(CKM_SHA256_RSA_PKCS, e.t.rsa_pub);
                let sig = vec![1u8; HUGE];
                f!(e.t, C_Verify)(e.s, d(MSG), n(MSG), d(&sig), n(&sig))
            },
        ),
        r(
            "C_Verify after a wrong signature",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| unsafe {
                let sig = e.ec_signature();
                e.verify_init(CKM_ECDSA, e.t.ec_pub);
                let wrong = [1u8; 64];
                let rv = f!(e.t, C_Verify)(e.s, d(&[7; 32]), 32, d(&wrong), 64);
                e.step("C_Verify", CKR_SIGNATURE_INVALID, rv);
                f!(e.t, C_Verify)(e.s, d(&[7; 32]), 32, d(&sig), 64)
            },
        ),
        r(
            "C_VerifyUpdate not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| unsafe { f!(e.t, C_VerifyUpdate)(e.s, d(MSG), n(MSG)) },
        ),
        r(
            "C_VerifyUpdate closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_VerifyUpdate)(e.closed, d(MSG), n(MSG)) },
        ),
        r("C_VerifyUpdate NULL part", CKR_ARGUMENTS_BAD, |e| unsafe {
            e.verify_init(CKM_SHA256_RSA_PKCS, e.t.rsa_pub);
            f!(e.t, C_VerifyUpdate)(e.s, null_mut(), 3)
        }),
        r(
            "C_VerifyFinal not initialized",
            CKR_OPERATION_NOT_INITIALIZED,
            |e| unsafe {
                let sig = [0u8; 256];
                f!(e.t, C_VerifyFinal)(e.s, d(&sig), 256)
            },
        ),
        r(
            "C_VerifyFinal closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let sig = [0u8; 256];
                f!(e.t, C_VerifyFinal)(e.closed, d(&sig), 256)
            },
        ),
        r(
            "C_VerifyFinal NULL signature",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                e.verify_init(CKM_SHA256_RSA_PKCS, e.t.rsa_pub);
                f!(e.t, C_VerifyFinal)(e.s, null_mut(), 256)
            },
        ),
        r(
            "C_VerifyFinal wrong signature",
            CKR_SIGNATURE_INVALID,
            |e| unsafe {
                e.verify_init(CKM_SHA256_RSA_PKCS, e.t.rsa_pub);
                e.update(
                    "C_VerifyUpdate",
                    f!(e.t, C_VerifyUpdate)(e.s, d(MSG), n(MSG)),
                );
                let sig = [1u8; 256];
                f!(e.t, C_VerifyFinal)(e.s, d(&sig), 256)
            },
        ),
        r(
            "C_VerifyFinal signature needed-1",
            CKR_SIGNATURE_LEN_RANGE,
            |e| unsafe {
                e.verify_init(CKM_SHA256_RSA_PKCS, e.t.rsa_pub);
                e.update(
                    "C_VerifyUpdate",
                    f!(e.t, C_VerifyUpdate)(e.s, d(MSG), n(MSG)),
                );
                let sig = [1u8; 255];
                f!(e.t, C_VerifyFinal)(e.s, d(&sig), 255)
            },
        ),
        // ---- recover and dual-purpose functions (not offered by either token) ----
        r(
            "C_SignRecoverInit",
            CKR_FUNCTION_NOT_SUPPORTED,
            |e| unsafe { f!(e.t, C_SignRecoverInit)(e.s, &mut mech(CKM_RSA_PKCS), e.t.rsa_priv) },
        ),
        r("C_SignRecover", CKR_FUNCTION_NOT_SUPPORTED, |e| {
            out_call(e, f!(e.t, C_SignRecover), MSG, 256)
        }),
        r(
            "C_VerifyRecoverInit",
            CKR_FUNCTION_NOT_SUPPORTED,
            |e| unsafe { f!(e.t, C_VerifyRecoverInit)(e.s, &mut mech(CKM_RSA_PKCS), e.t.rsa_pub) },
        ),
        r("C_VerifyRecover", CKR_FUNCTION_NOT_SUPPORTED, |e| {
            out_call(e, f!(e.t, C_VerifyRecover), &[0; 256], 256)
        }),
        r("C_DigestEncryptUpdate", CKR_FUNCTION_NOT_SUPPORTED, |e| {
            out_call(e, f!(e.t, C_DigestEncryptUpdate), &[0; 16], 16)
        }),
        r("C_DecryptDigestUpdate", CKR_FUNCTION_NOT_SUPPORTED, |e| {
            out_call(e, f!(e.t, C_DecryptDigestUpdate), &[0; 16], 16)
        }),
        r("C_SignEncryptUpdate", CKR_FUNCTION_NOT_SUPPORTED, |e| {
            out_call(e, f!(e.t, C_SignEncryptUpdate), &[0; 16], 16)
        }),
        r("C_DecryptVerifyUpdate", CKR_FUNCTION_NOT_SUPPORTED, |e| {
            out_call(e, f!(e.t, C_DecryptVerifyUpdate), &[0; 16], 16)
        }),
        // ---- key management: C_GenerateKey ----
        r(
            "C_GenerateKey closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| {
                let len: CK_ULONG = 32;
                gen_key(
                    e,
                    e.closed,
                    &mut mech(CKM_AES_KEY_GEN),
                    &mut [attr(CKA_VALUE_LEN, &len)],
                )
            },
        ),
        r(
            "C_GenerateKey NULL mechanism",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                let len: CK_ULONG = 32;
                let mut t = [attr(CKA_VALUE_LEN, &len)];
                let mut h = 0;
                f!(e.t, C_GenerateKey)(e.s, null_mut(), t.as_mut_ptr(), 1, &mut h)
            },
        ),
        r("C_GenerateKey NULL handle", CKR_ARGUMENTS_BAD, |e| unsafe {
            let len: CK_ULONG = 32;
            let mut t = [attr(CKA_VALUE_LEN, &len)];
            f!(e.t, C_GenerateKey)(
                e.s,
                &mut mech(CKM_AES_KEY_GEN),
                t.as_mut_ptr(),
                1,
                null_mut(),
            )
        }),
        r(
            "C_GenerateKey NULL template",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                let mut h = 0;
                f!(e.t, C_GenerateKey)(e.s, &mut mech(CKM_AES_KEY_GEN), null_mut(), 1, &mut h)
            },
        ),
        r(
            "C_GenerateKey unknown mechanism",
            CKR_MECHANISM_INVALID,
            |e| {
                let len: CK_ULONG = 32;
                gen_key(
                    e,
                    e.s,
                    &mut mech(UNKNOWN_MECH),
                    &mut [attr(CKA_VALUE_LEN, &len)],
                )
            },
        ),
        r("C_GenerateKey pair mechanism", CKR_MECHANISM_INVALID, |e| {
            let len: CK_ULONG = 32;
            gen_key(
                e,
                e.s,
                &mut mech(CKM_EC_KEY_PAIR_GEN),
                &mut [attr(CKA_VALUE_LEN, &len)],
            )
        }),
        r(
            "C_GenerateKey with param",
            CKR_MECHANISM_PARAM_INVALID,
            |e| {
                let len: CK_ULONG = 32;
                let mut junk = [0u8; 4];
                let mut m = mech_raw(CKM_AES_KEY_GEN, junk.as_mut_ptr(), 4);
                gen_key(e, e.s, &mut m, &mut [attr(CKA_VALUE_LEN, &len)])
            },
        ),
        r("C_GenerateKey AES 7 bytes", CKR_KEY_SIZE_RANGE, |e| {
            let len: CK_ULONG = 7;
            gen_key(
                e,
                e.s,
                &mut mech(CKM_AES_KEY_GEN),
                &mut [attr(CKA_VALUE_LEN, &len)],
            )
        }),
        r("C_GenerateKey AES huge", CKR_KEY_SIZE_RANGE, |e| {
            let len: CK_ULONG = HUGE as CK_ULONG;
            gen_key(
                e,
                e.s,
                &mut mech(CKM_AES_KEY_GEN),
                &mut [attr(CKA_VALUE_LEN, &len)],
            )
        }),
        r(
            "C_GenerateKey AES no length",
            CKR_TEMPLATE_INCOMPLETE,
            |e| {
                gen_key(
                    e,
                    e.s,
                    &mut mech(CKM_AES_KEY_GEN),
                    &mut [attr(CKA_TOKEN, &FALSE)],
                )
            },
        ),
        r("C_GenerateKey token in R/O", CKR_SESSION_READ_ONLY, |e| {
            let len: CK_ULONG = 32;
            gen_key(
                e,
                e.ro,
                &mut mech(CKM_AES_KEY_GEN),
                &mut [attr(CKA_VALUE_LEN, &len), attr(CKA_TOKEN, &TRUE)],
            )
        }),
        r(
            "C_GenerateKey class public key",
            CKR_TEMPLATE_INCONSISTENT,
            |e| {
                let len: CK_ULONG = 32;
                gen_key(
                    e,
                    e.s,
                    &mut mech(CKM_AES_KEY_GEN),
                    &mut [attr(CKA_VALUE_LEN, &len), attr(CKA_CLASS, &CKO_PUBLIC_KEY)],
                )
            },
        ),
        // ---- C_GenerateKeyPair ----
        r(
            "C_GenerateKeyPair closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| {
                gen_pair(
                    e,
                    e.closed,
                    CKM_EC_KEY_PAIR_GEN,
                    &mut [bytes_attr(CKA_EC_PARAMS, &P256)],
                    &mut [],
                )
            },
        ),
        r(
            "C_GenerateKeyPair NULL mechanism",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                let mut t = [bytes_attr(CKA_EC_PARAMS, &P256)];
                let (mut a, mut b) = (0, 0);
                f!(e.t, C_GenerateKeyPair)(
                    e.s,
                    null_mut(),
                    t.as_mut_ptr(),
                    1,
                    null_mut(),
                    0,
                    &mut a,
                    &mut b,
                )
            },
        ),
        r(
            "C_GenerateKeyPair NULL public handle",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                let mut t = [bytes_attr(CKA_EC_PARAMS, &P256)];
                let mut b = 0;
                let m = &mut mech(CKM_EC_KEY_PAIR_GEN);
                f!(e.t, C_GenerateKeyPair)(
                    e.s,
                    m,
                    t.as_mut_ptr(),
                    1,
                    null_mut(),
                    0,
                    null_mut(),
                    &mut b,
                )
            },
        ),
        r(
            "C_GenerateKeyPair NULL private handle",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                let mut t = [bytes_attr(CKA_EC_PARAMS, &P256)];
                let mut a = 0;
                let m = &mut mech(CKM_EC_KEY_PAIR_GEN);
                f!(e.t, C_GenerateKeyPair)(
                    e.s,
                    m,
                    t.as_mut_ptr(),
                    1,
                    null_mut(),
                    0,
                    &mut a,
                    null_mut(),
                )
            },
        ),
        r(
            "C_GenerateKeyPair NULL public template",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                let (mut a, mut b) = (0, 0);
                let m = &mut mech(CKM_EC_KEY_PAIR_GEN);
                f!(e.t, C_GenerateKeyPair)(e.s, m, null_mut(), 1, null_mut(), 0, &mut a, &mut b)
            },
        ),
        r(
            "C_GenerateKeyPair unknown mechanism",
            CKR_MECHANISM_INVALID,
            |e| {
                gen_pair(
                    e,
                    e.s,
                    UNKNOWN_MECH,
                    &mut [bytes_attr(CKA_EC_PARAMS, &P256)],
                    &mut [],
                )
            },
        ),
        r(
            "C_GenerateKeyPair AES mechanism",
            CKR_MECHANISM_INVALID,
            |e| {
                gen_pair(
                    e,
                    e.s,
                    CKM_AES_KEY_GEN,
                    &mut [bytes_attr(CKA_EC_PARAMS, &P256)],
                    &mut [],
                )
            },
        ),
        r(
            "C_GenerateKeyPair EC no params",
            CKR_TEMPLATE_INCOMPLETE,
            |e| {
                gen_pair(
                    e,
                    e.s,
                    CKM_EC_KEY_PAIR_GEN,
                    &mut [attr(CKA_TOKEN, &FALSE)],
                    &mut [],
                )
            },
        ),
        r(
            "C_GenerateKeyPair EC unknown curve",
            CKR_CURVE_NOT_SUPPORTED,
            |e| {
                let oid = [0x06, 0x03, 0x2a, 0x03, 0x04];
                gen_pair(
                    e,
                    e.s,
                    CKM_EC_KEY_PAIR_GEN,
                    &mut [bytes_attr(CKA_EC_PARAMS, &oid)],
                    &mut [],
                )
            },
        ),
        r(
            "C_GenerateKeyPair EC params garbage",
            CKR_ATTRIBUTE_VALUE_INVALID,
            |e| {
                gen_pair(
                    e,
                    e.s,
                    CKM_EC_KEY_PAIR_GEN,
                    &mut [bytes_attr(CKA_EC_PARAMS, &[0xff; 3])],
                    &mut [],
                )
            },
        ),
        r("C_GenerateKeyPair RSA 512 bits", CKR_KEY_SIZE_RANGE, |e| {
            let bits: CK_ULONG = 512;
            gen_pair(
                e,
                e.s,
                CKM_RSA_PKCS_KEY_PAIR_GEN,
                &mut [attr(CKA_MODULUS_BITS, &bits)],
                &mut [],
            )
        }),
        r("C_GenerateKeyPair RSA huge", CKR_KEY_SIZE_RANGE, |e| {
            let bits: CK_ULONG = HUGE as CK_ULONG;
            gen_pair(
                e,
                e.s,
                CKM_RSA_PKCS_KEY_PAIR_GEN,
                &mut [attr(CKA_MODULUS_BITS, &bits)],
                &mut [],
            )
        }),
        r(
            "C_GenerateKeyPair RSA no bits",
            CKR_TEMPLATE_INCOMPLETE,
            |e| {
                gen_pair(
                    e,
                    e.s,
                    CKM_RSA_PKCS_KEY_PAIR_GEN,
                    &mut [attr(CKA_TOKEN, &FALSE)],
                    &mut [],
                )
            },
        ),
        r(
            "C_GenerateKeyPair token in R/O",
            CKR_SESSION_READ_ONLY,
            |e| {
                gen_pair(
                    e,
                    e.ro,
                    CKM_EC_KEY_PAIR_GEN,
                    &mut [bytes_attr(CKA_EC_PARAMS, &P256), attr(CKA_TOKEN, &TRUE)],
                    &mut [attr(CKA_TOKEN, &TRUE)],
                )
            },
        ),
        p(
            "C_GenerateKey private not logged in",
            CKR_USER_NOT_LOGGED_IN,
            |e| {
                let len: CK_ULONG = 32;
                let t = &mut [attr(CKA_VALUE_LEN, &len), attr(CKA_PRIVATE, &TRUE)];
                gen_key(e, e.s, &mut mech(CKM_AES_KEY_GEN), t)
            },
        ),
        p(
            "C_GenerateKeyPair private not logged in",
            CKR_USER_NOT_LOGGED_IN,
            |e| {
                let public = &mut [bytes_attr(CKA_EC_PARAMS, &P256)];
                gen_pair(
                    e,
                    e.s,
                    CKM_EC_KEY_PAIR_GEN,
                    public,
                    &mut [attr(CKA_PRIVATE, &TRUE)],
                )
            },
        ),
        // ---- C_WrapKey (AES key wrap; the target is extractable) ----
        r(
            "C_WrapKey closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut l = 0;
                let m = &mut mech(CKM_AES_KEY_WRAP);
                f!(e.t, C_WrapKey)(
                    e.closed,
                    m,
                    e.t.aes_wrap,
                    e.t.aes_target,
                    null_mut(),
                    &mut l,
                )
            },
        ),
        r("C_WrapKey NULL mechanism", CKR_ARGUMENTS_BAD, |e| unsafe {
            let mut l = 0;
            f!(e.t, C_WrapKey)(
                e.s,
                null_mut(),
                e.t.aes_wrap,
                e.t.aes_target,
                null_mut(),
                &mut l,
            )
        }),
        r("C_WrapKey NULL length", CKR_ARGUMENTS_BAD, |e| unsafe {
            let m = &mut mech(CKM_AES_KEY_WRAP);
            f!(e.t, C_WrapKey)(e.s, m, e.t.aes_wrap, e.t.aes_target, null_mut(), null_mut())
        }),
        r(
            "C_WrapKey bad wrapping key",
            CKR_WRAPPING_KEY_HANDLE_INVALID,
            |e| wrap(e, CKM_AES_KEY_WRAP, BAD, e.t.aes_target, None),
        ),
        r("C_WrapKey bad target", CKR_KEY_HANDLE_INVALID, |e| {
            wrap(e, CKM_AES_KEY_WRAP, e.t.aes_wrap, BAD, None)
        }),
        r("C_WrapKey unknown mechanism", CKR_MECHANISM_INVALID, |e| {
            wrap(e, UNKNOWN_MECH, e.t.aes_wrap, e.t.aes_target, None)
        }),
        r(
            "C_WrapKey no CKA_WRAP",
            CKR_KEY_FUNCTION_NOT_PERMITTED,
            |e| wrap(e, CKM_AES_KEY_WRAP, e.t.aes_nouse, e.t.aes_target, None),
        ),
        r(
            "C_WrapKey EC wrapping key",
            CKR_WRAPPING_KEY_TYPE_INCONSISTENT,
            |e| wrap(e, CKM_AES_KEY_WRAP, e.t.ec_pub, e.t.aes_target, None),
        ),
        r(
            "C_WrapKey unextractable target",
            CKR_KEY_UNEXTRACTABLE,
            |e| wrap(e, CKM_AES_KEY_WRAP, e.t.aes_wrap, e.t.aes, None),
        ),
        r("C_WrapKey output length 0", CKR_BUFFER_TOO_SMALL, |e| {
            wrap(e, CKM_AES_KEY_WRAP, e.t.aes_wrap, e.t.aes_target, Some(0))
        }),
        r("C_WrapKey output needed-1", CKR_BUFFER_TOO_SMALL, |e| {
            wrap(e, CKM_AES_KEY_WRAP, e.t.aes_wrap, e.t.aes_target, Some(39))
        }),
        // A size query is answered without a round trip: the module checks the parameters as
        // kmsd would (the transport pair's public key has CKA_WRAP, the target is extractable).
        r(
            "C_WrapKey OAEP SHA-224 size query",
            CKR_MECHANISM_PARAM_INVALID,
            |e| unsafe {
                let mut p = oaep_params(CKM_SHA224, CKG_MGF1_SHA224);
                let mut m = mech_with(CKM_RSA_PKCS_OAEP, &mut p);
                let mut l = 0;
                f!(e.t, C_WrapKey)(
                    e.s,
                    &mut m,
                    e.t.rsa_wrap,
                    e.t.aes_target,
                    null_mut(),
                    &mut l,
                )
            },
        ),
        // ---- C_UnwrapKey ----
        r(
            "C_UnwrapKey closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut h = 0;
                let m = &mut mech(CKM_AES_KEY_WRAP);
                f!(e.t, C_UnwrapKey)(
                    e.closed,
                    m,
                    e.t.aes_wrap,
                    d(&[0; 24]),
                    24,
                    unwrap_template().as_mut_ptr(),
                    3,
                    &mut h,
                )
            },
        ),
        r(
            "C_UnwrapKey NULL mechanism",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                let mut h = 0;
                f!(e.t, C_UnwrapKey)(
                    e.s,
                    null_mut(),
                    e.t.aes_wrap,
                    d(&[0; 24]),
                    24,
                    unwrap_template().as_mut_ptr(),
                    3,
                    &mut h,
                )
            },
        ),
        r(
            "C_UnwrapKey NULL wrapped key",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                let mut h = 0;
                let m = &mut mech(CKM_AES_KEY_WRAP);
                f!(e.t, C_UnwrapKey)(
                    e.s,
                    m,
                    e.t.aes_wrap,
                    null_mut(),
                    24,
                    unwrap_template().as_mut_ptr(),
                    3,
                    &mut h,
                )
            },
        ),
        r("C_UnwrapKey NULL handle", CKR_ARGUMENTS_BAD, |e| unsafe {
            let m = &mut mech(CKM_AES_KEY_WRAP);
            f!(e.t, C_UnwrapKey)(
                e.s,
                m,
                e.t.aes_wrap,
                d(&[0; 24]),
                24,
                unwrap_template().as_mut_ptr(),
                3,
                null_mut(),
            )
        }),
        r(
            "C_UnwrapKey bad unwrapping key",
            CKR_UNWRAPPING_KEY_HANDLE_INVALID,
            |e| unwrap(e, BAD, &[0; 24]),
        ),
        r(
            "C_UnwrapKey no CKA_UNWRAP",
            CKR_KEY_FUNCTION_NOT_PERMITTED,
            |e| unwrap(e, e.t.aes_nouse, &[0; 24]),
        ),
        r("C_UnwrapKey length 0", CKR_WRAPPED_KEY_LEN_RANGE, |e| {
            unwrap(e, e.t.aes_wrap, &[])
        }),
        r("C_UnwrapKey length 23", CKR_WRAPPED_KEY_LEN_RANGE, |e| {
            unwrap(e, e.t.aes_wrap, &[0; 23])
        }),
        r("C_UnwrapKey huge", CKR_WRAPPED_KEY_LEN_RANGE, |e| {
            unwrap(e, e.t.aes_wrap, &vec![0; HUGE + 4])
        }),
        r("C_UnwrapKey garbage", CKR_WRAPPED_KEY_INVALID, |e| {
            unwrap(e, e.t.aes_wrap, &[0x5a; 40])
        }),
        // ---- C_DeriveKey (ECDH) ----
        r(
            "C_DeriveKey closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut h = 0;
                let mut point = [4u8; 65];
                let mut params = ecdh_params(&mut point);
                f!(e.t, C_DeriveKey)(
                    e.closed,
                    &mut mech_with(CKM_ECDH1_DERIVE, &mut params),
                    e.t.ec_priv,
                    derive_template().as_mut_ptr(),
                    4,
                    &mut h,
                )
            },
        ),
        r(
            "C_DeriveKey NULL mechanism",
            CKR_ARGUMENTS_BAD,
            |e| unsafe {
                let mut h = 0;
                f!(e.t, C_DeriveKey)(
                    e.s,
                    null_mut(),
                    e.t.ec_priv,
                    derive_template().as_mut_ptr(),
                    4,
                    &mut h,
                )
            },
        ),
        r("C_DeriveKey NULL handle", CKR_ARGUMENTS_BAD, |e| unsafe {
            let mut point = [4u8; 65];
            let mut params = ecdh_params(&mut point);
            let m = &mut mech_with(CKM_ECDH1_DERIVE, &mut params);
            f!(e.t, C_DeriveKey)(
                e.s,
                m,
                e.t.ec_priv,
                derive_template().as_mut_ptr(),
                4,
                null_mut(),
            )
        }),
        r("C_DeriveKey bad base key", CKR_KEY_HANDLE_INVALID, |e| {
            let mut point = [4u8; 65];
            let mut params = ecdh_params(&mut point);
            derive(e, &mut mech_with(CKM_ECDH1_DERIVE, &mut params), BAD)
        }),
        r(
            "C_DeriveKey unknown mechanism",
            CKR_MECHANISM_INVALID,
            |e| derive(e, &mut mech(UNKNOWN_MECH), e.t.ec_priv),
        ),
        r(
            "C_DeriveKey ECDH NULL param",
            CKR_MECHANISM_PARAM_INVALID,
            |e| {
                let mut m = mech_raw(
                    CKM_ECDH1_DERIVE,
                    null_mut(),
                    size_of::<CK_ECDH1_DERIVE_PARAMS>(),
                );
                derive(e, &mut m, e.t.ec_priv)
            },
        ),
        r(
            "C_DeriveKey ECDH param length-1",
            CKR_MECHANISM_PARAM_INVALID,
            |e| {
                let mut point = [4u8; 65];
                let mut params = ecdh_params(&mut point);
                let mut m = mech_with(CKM_ECDH1_DERIVE, &mut params);
                m.ulParameterLen -= 1;
                derive(e, &mut m, e.t.ec_priv)
            },
        ),
        r(
            "C_DeriveKey ECDH NULL public data",
            CKR_MECHANISM_PARAM_INVALID,
            |e| {
                let mut point = [4u8; 65];
                let mut params = ecdh_params(&mut point);
                params.pPublicData = null_mut();
                derive(
                    e,
                    &mut mech_with(CKM_ECDH1_DERIVE, &mut params),
                    e.t.ec_priv,
                )
            },
        ),
        r(
            "C_DeriveKey no CKA_DERIVE",
            CKR_KEY_FUNCTION_NOT_PERMITTED,
            |e| {
                let mut point = [4u8; 65];
                let mut params = ecdh_params(&mut point);
                derive(
                    e,
                    &mut mech_with(CKM_ECDH1_DERIVE, &mut params),
                    e.t.ec_nosign,
                )
            },
        ),
        r("C_DeriveKey ECDH on AES", CKR_KEY_TYPE_INCONSISTENT, |e| {
            let mut point = [4u8; 65];
            let mut params = ecdh_params(&mut point);
            derive(e, &mut mech_with(CKM_ECDH1_DERIVE, &mut params), e.t.aes)
        }),
        // ---- random numbers ----
        r(
            "C_SeedRandom closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_SeedRandom)(e.closed, d(&[1; 8]), 8) },
        ),
        r("C_SeedRandom NULL seed", CKR_ARGUMENTS_BAD, |e| unsafe {
            f!(e.t, C_SeedRandom)(e.s, null_mut(), 8)
        }),
        r(
            "C_GenerateRandom closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut out = [0u8; 8];
                f!(e.t, C_GenerateRandom)(e.closed, out.as_mut_ptr(), 8)
            },
        ),
        r(
            "C_GenerateRandom NULL buffer",
            CKR_ARGUMENTS_BAD,
            |e| unsafe { f!(e.t, C_GenerateRandom)(e.s, null_mut(), 8) },
        ),
        r(
            "C_GenerateRandom bad session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe {
                let mut out = [0u8; 8];
                f!(e.t, C_GenerateRandom)(BAD, out.as_mut_ptr(), 8)
            },
        ),
        // ---- parallel function management ----
        r(
            "C_GetFunctionStatus",
            CKR_FUNCTION_NOT_PARALLEL,
            |e| unsafe { f!(e.t, C_GetFunctionStatus)(e.s) },
        ),
        r(
            "C_GetFunctionStatus closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_GetFunctionStatus)(e.closed) },
        ),
        r("C_CancelFunction", CKR_FUNCTION_NOT_PARALLEL, |e| unsafe {
            f!(e.t, C_CancelFunction)(e.s)
        }),
        r(
            "C_CancelFunction closed session",
            CKR_SESSION_HANDLE_INVALID,
            |e| unsafe { f!(e.t, C_CancelFunction)(e.closed) },
        ),
        // ---- slot events (the blocking form would wait for an event that never comes) ----
        r("C_WaitForSlotEvent don't block", CKR_NO_EVENT, |e| unsafe {
            let mut slot = 0;
            f!(e.t, C_WaitForSlotEvent)(CKF_DONT_BLOCK, &mut slot, null_mut())
        }),
        r(
            "C_WaitForSlotEvent NULL slot",
            CKR_ARGUMENTS_BAD,
            |e| unsafe { f!(e.t, C_WaitForSlotEvent)(CKF_DONT_BLOCK, null_mut(), null_mut()) },
        ),
        r("C_WaitForSlotEvent reserved", CKR_NO_EVENT, |e| unsafe {
            let mut slot = 0;
            f!(e.t, C_WaitForSlotEvent)(CKF_DONT_BLOCK, &mut slot, std::ptr::dangling_mut())
        }),
    ]
}

fn first_slot(f: &CK_FUNCTION_LIST) -> CK_SLOT_ID {
    let mut slots = [0 as CK_SLOT_ID; 8];
    let mut count = 8;
    // SAFETY: an 8-entry buffer and its length.
    let rv =
        unsafe { f.C_GetSlotList.expect("C_GetSlotList")(TRUE, slots.as_mut_ptr(), &mut count) };
    assert_eq!(rv, CKR_OK);
    assert!(count >= 1, "no token");
    assert!(!slots[..count as usize].contains(&BAD_SLOT));
    slots[0]
}

/// Initialises a module, logs in and makes the fixture objects.
fn token(name: &'static str, path: &Path) -> Token {
    let Module { lib, f } = Module::load_from(path);
    let mut args = CK_C_INITIALIZE_ARGS {
        CreateMutex: None,
        DestroyMutex: None,
        LockMutex: None,
        UnlockMutex: None,
        flags: CKF_OS_LOCKING_OK,
        pReserved: null_mut(),
    };
    let ok = |what: &str, rv: CK_RV| assert_eq!(rv, CKR_OK, "{name}: fixture {what}");
    // SAFETY: every pointer is to a local that outlives the call.
    unsafe {
        ok(
            "C_Initialize",
            f.C_Initialize.unwrap()(&mut args as *mut _ as *mut c_void),
        );
        let slot = first_slot(&f);
        let mut holder = 0;
        let flags = CKF_SERIAL_SESSION | CKF_RW_SESSION;
        ok(
            "C_OpenSession",
            f.C_OpenSession.unwrap()(slot, flags, null_mut(), None, &mut holder),
        );
        ok(
            "C_Login",
            f.C_Login.unwrap()(holder, CKU_USER, d(USER_PIN.as_bytes()), 8),
        );
        let aes_key = |usage: &[CK_ATTRIBUTE_TYPE], extractable: &CK_BBOOL| {
            let len: CK_ULONG = 32;
            let mut t = vec![
                attr(CKA_TOKEN, &FALSE),
                attr(CKA_VALUE_LEN, &len),
                attr(CKA_SENSITIVE, &TRUE),
                attr(CKA_EXTRACTABLE, extractable),
            ];
            for u in [CKA_ENCRYPT, CKA_DECRYPT, CKA_WRAP, CKA_UNWRAP, CKA_DERIVE] {
                t.push(attr(u, if usage.contains(&u) { &TRUE } else { &FALSE }));
            }
            let mut h = 0;
            let rv = f.C_GenerateKey.unwrap()(
                holder,
                &mut mech(CKM_AES_KEY_GEN),
                t.as_mut_ptr(),
                t.len() as CK_ULONG,
                &mut h,
            );
            ok("AES key", rv);
            h
        };
        let aes = aes_key(&[CKA_ENCRYPT, CKA_DECRYPT], &FALSE);
        let aes_nouse = aes_key(&[], &FALSE);
        let aes_wrap = aes_key(&[CKA_WRAP, CKA_UNWRAP], &FALSE);
        let aes_target = aes_key(&[CKA_ENCRYPT], &TRUE);
        let pair =
            |m: CK_MECHANISM_TYPE, public: &mut [CK_ATTRIBUTE], private: &mut [CK_ATTRIBUTE]| {
                let (mut a, mut b) = (0, 0);
                let rv = f.C_GenerateKeyPair.unwrap()(
                    holder,
                    &mut mech(m),
                    public.as_mut_ptr(),
                    public.len() as CK_ULONG,
                    private.as_mut_ptr(),
                    private.len() as CK_ULONG,
                    &mut a,
                    &mut b,
                );
                ok("key pair", rv);
                (a, b)
            };
        let bits: CK_ULONG = 2048;
        let exponent = [1u8, 0, 1];
        let (rsa_pub, rsa_priv) = pair(
            CKM_RSA_PKCS_KEY_PAIR_GEN,
            &mut [
                attr(CKA_TOKEN, &FALSE),
                attr(CKA_MODULUS_BITS, &bits),
                bytes_attr(CKA_PUBLIC_EXPONENT, &exponent),
                attr(CKA_VERIFY, &TRUE),
                attr(CKA_ENCRYPT, &TRUE),
            ],
            &mut [
                attr(CKA_TOKEN, &FALSE),
                attr(CKA_PRIVATE, &TRUE),
                attr(CKA_SENSITIVE, &TRUE),
                attr(CKA_SIGN, &TRUE),
                attr(CKA_DECRYPT, &TRUE),
            ],
        );
        // Wrapping and decrypting stay on separate pairs (R1: refused together at creation).
        let (rsa_wrap, _) = pair(
            CKM_RSA_PKCS_KEY_PAIR_GEN,
            &mut [
                attr(CKA_TOKEN, &FALSE),
                attr(CKA_MODULUS_BITS, &bits),
                bytes_attr(CKA_PUBLIC_EXPONENT, &exponent),
                attr(CKA_WRAP, &TRUE),
            ],
            &mut [
                attr(CKA_TOKEN, &FALSE),
                attr(CKA_PRIVATE, &TRUE),
                attr(CKA_SENSITIVE, &TRUE),
                attr(CKA_UNWRAP, &TRUE),
            ],
        );
        let ec_public = || {
            [
                attr(CKA_TOKEN, &FALSE),
                bytes_attr(CKA_EC_PARAMS, &P256),
                attr(CKA_VERIFY, &TRUE),
            ]
        };
        let (ec_pub, ec_priv) = pair(
            CKM_EC_KEY_PAIR_GEN,
            &mut ec_public(),
            &mut [
                attr(CKA_TOKEN, &FALSE),
                attr(CKA_PRIVATE, &TRUE),
                attr(CKA_SIGN, &TRUE),
                attr(CKA_DERIVE, &TRUE),
            ],
        );
        let (_, ec_nosign) = pair(
            CKM_EC_KEY_PAIR_GEN,
            &mut ec_public(),
            &mut [
                attr(CKA_TOKEN, &FALSE),
                attr(CKA_SIGN, &FALSE),
                attr(CKA_DERIVE, &FALSE),
            ],
        );
        let object = |t: &mut [CK_ATTRIBUTE]| {
            let mut h = 0;
            let rv = f.C_CreateObject.unwrap()(holder, t.as_mut_ptr(), t.len() as CK_ULONG, &mut h);
            ok("data object", rv);
            h
        };
        let data = object(&mut data_template(b"neg-data", &FALSE));
        let l = data_template(b"neg-locked", &FALSE);
        let locked = object(&mut [
            l[0],
            l[1],
            l[2],
            attr(CKA_COPYABLE, &FALSE),
            attr(CKA_MODIFIABLE, &FALSE),
            attr(CKA_DESTROYABLE, &FALSE),
        ]);
        let token_obj = object(&mut data_template(b"neg-token", &TRUE));
        let gone = object(&mut data_template(b"neg-gone", &FALSE));
        ok("C_DestroyObject", f.C_DestroyObject.unwrap()(holder, gone));
        Token {
            name,
            f,
            slot,
            holder,
            aes,
            aes_nouse,
            aes_wrap,
            aes_target,
            rsa_pub,
            rsa_priv,
            rsa_wrap,
            ec_pub,
            ec_priv,
            ec_nosign,
            data,
            locked,
            token_obj,
            gone,
            _lib: lib,
        }
    }
}

/// Runs one row on a token: sets the login state, opens the row's sessions, calls, closes them.
fn run(t: &Token, row: &Row) -> CK_RV {
    // SAFETY: valid handles and pointers to locals.
    unsafe {
        let pin = d(USER_PIN.as_bytes());
        if row.logged_in {
            let rv = t.f.C_Login.unwrap()(t.holder, CKU_USER, pin, 8);
            assert!(
                rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN,
                "{}: login before {}: {rv:#x}",
                t.name,
                row.name
            );
        } else {
            let _ = t.f.C_Logout.unwrap()(t.holder);
        }
        let open = |flags: CK_FLAGS| {
            let mut h = 0;
            let rv = t.f.C_OpenSession.unwrap()(
                t.slot,
                CKF_SERIAL_SESSION | flags,
                null_mut(),
                None,
                &mut h,
            );
            assert_eq!(rv, CKR_OK, "{}: open session for {}", t.name, row.name);
            h
        };
        let closed = open(CKF_RW_SESSION);
        assert_eq!(t.f.C_CloseSession.unwrap()(closed), CKR_OK);
        let env = Env {
            t,
            s: open(CKF_RW_SESSION),
            ro: open(0),
            closed,
        };
        // A failed setup step panics; it is reported as the row's failure (GENERAL_ERROR
        // never being a row's expected code).
        let rv = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (row.call)(&env)))
            .unwrap_or(CKR_GENERAL_ERROR);
        let _ = t.f.C_CloseSession.unwrap()(env.s);
        let _ = t.f.C_CloseSession.unwrap()(env.ro);
        rv
    }
}

fn rv_name(rv: CK_RV) -> String {
    format!("{rv:#x}")
}

/// Checks one row's outcomes against the tables; returns whether SoftHSM2's difference is listed.
fn judge(name: &str, want: CK_RV, ours: CK_RV, theirs: CK_RV, failures: &mut Vec<String>) -> bool {
    let mut fail = |what: String| failures.push(format!("{name}: {what}"));
    let bug = OUR_BUGS.iter().find(|(row, _, _)| *row == name);
    let ours_expected = bug.map_or(want, |(_, rv, _)| *rv);
    if ours != ours_expected {
        fail(format!(
            "kms-pkcs11 gave {}, expected {} (the row's code is {})",
            rv_name(ours),
            rv_name(ours_expected),
            rv_name(want)
        ));
    }
    let listed = KNOWN_DIFFERENCES.iter().find(|(row, _, _)| *row == name);
    match listed {
        None if theirs != want => fail(format!(
            "unlisted difference: softhsm2 gave {}, kms-pkcs11 {}, the row's code is {}",
            rv_name(theirs),
            rv_name(ours),
            rv_name(want)
        )),
        None if theirs != ours => fail(format!(
            "the tokens disagree (softhsm2 {}, kms-pkcs11 {}) and the row is not in KNOWN_DIFFERENCES",
            rv_name(theirs),
            rv_name(ours)
        )),
        Some((_, expected, _)) if theirs != *expected => fail(format!(
            "listed as softhsm2 {}, but softhsm2 gave {}",
            rv_name(*expected),
            rv_name(theirs)
        )),
        _ => {}
    }
    listed.is_some()
}

#[test]
fn negative_matrix_agrees_with_softhsm2() {
    if !SoftHsm::available() {
        return;
    }
    let _softhsm = SoftHsm::new(TOKEN, SO_PIN, USER_PIN);
    let kmsd = Kmsd::start();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config_for(&[TOKEN]));

    let reference = token("softhsm2", Path::new(SOFTHSM_MODULE));
    let ours = token("kms-pkcs11", &module_path());
    // C_Logout destroys the application's private session objects and invalidates its handles
    // to private objects (v2.40 §5.6.8): the rows run without a login come last.
    let mut rows = rows();
    rows.sort_by_key(|row| !row.logged_in);
    let mut names = std::collections::HashSet::new();
    let steps = lifecycle_steps();
    for name in rows.iter().map(|r| r.name).chain(steps.iter().map(|s| s.0)) {
        assert!(names.insert(name), "row {name} twice");
    }
    for (name, _, _) in KNOWN_DIFFERENCES.iter().chain(OUR_BUGS) {
        assert!(names.contains(name), "table entry {name} has no row");
    }
    let mut failures = Vec::new();
    let (mut agree, mut listed) = (0, 0);
    for row in &rows {
        let theirs = run(&reference, row);
        let mine = run(&ours, row);
        eprintln!(
            "row {:<45} want {:>5} ours {:>5} softhsm2 {}",
            row.name,
            rv_name(row.want),
            rv_name(mine),
            rv_name(theirs)
        );
        if judge(row.name, row.want, mine, theirs, &mut failures) {
            listed += 1;
        } else {
            agree += 1;
        }
    }
    eprintln!(
        "negative matrix: {} rows, {agree} where softhsm2 gives the row's code, {listed} listed differences, {} known kms-pkcs11 bugs, {} failures",
        rows.len(),
        OUR_BUGS.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(rows.len() >= 150);
}

/// A library-lifecycle step: the module's function list and the session the steps share.
struct Lifecycle {
    f: CK_FUNCTION_LIST,
    session: std::cell::Cell<CK_SESSION_HANDLE>,
}

/// One step of the lifecycle sequence: its name, kms-pkcs11's expected code, the call.
type Step = (&'static str, CK_RV, fn(&Lifecycle) -> CK_RV);

/// A mutex callback that is never meant to run (the module must refuse the partial set).
unsafe extern "C" fn create_mutex(_mutex: *mut *mut c_void) -> CK_RV {
    CKR_GENERAL_ERROR
}

fn init_args(flags: CK_FLAGS, reserved: *mut c_void) -> CK_C_INITIALIZE_ARGS {
    CK_C_INITIALIZE_ARGS {
        CreateMutex: None,
        DestroyMutex: None,
        LockMutex: None,
        UnlockMutex: None,
        flags,
        pReserved: reserved,
    }
}

/// C_Initialize, C_Finalize and calls around them, in order: they change the library's state,
/// so they run in their own process ([`lifecycle_child`]).
// SAFETY (every `unsafe` block below): pointers to locals that outlive the calls, or the
// deliberately invalid arguments the step names.
fn lifecycle_steps() -> Vec<Step> {
    vec![
        (
            "C_GetInfo before C_Initialize",
            CKR_CRYPTOKI_NOT_INITIALIZED,
            |l| unsafe {
                let mut info = std::mem::zeroed();
                f!(l, C_GetInfo)(&mut info)
            },
        ),
        (
            "C_GetSlotList before C_Initialize",
            CKR_CRYPTOKI_NOT_INITIALIZED,
            |l| unsafe {
                let mut count = 0;
                f!(l, C_GetSlotList)(TRUE, null_mut(), &mut count)
            },
        ),
        (
            "C_OpenSession before C_Initialize",
            CKR_CRYPTOKI_NOT_INITIALIZED,
            |l| unsafe {
                let mut h = 0;
                f!(l, C_OpenSession)(0, CKF_SERIAL_SESSION, null_mut(), None, &mut h)
            },
        ),
        (
            "C_Finalize before C_Initialize",
            CKR_CRYPTOKI_NOT_INITIALIZED,
            |l| unsafe { f!(l, C_Finalize)(null_mut()) },
        ),
        (
            "C_GetFunctionList before C_Initialize",
            CKR_OK,
            |l| unsafe {
                let mut list = null_mut();
                f!(l, C_GetFunctionList)(&mut list)
            },
        ),
        ("C_Initialize reserved set", CKR_ARGUMENTS_BAD, |l| unsafe {
            let mut args = init_args(CKF_OS_LOCKING_OK, std::ptr::dangling_mut());
            f!(l, C_Initialize)(&mut args as *mut _ as *mut c_void)
        }),
        (
            "C_Initialize one mutex function of four",
            CKR_ARGUMENTS_BAD,
            |l| unsafe {
                let mut args = init_args(0, null_mut());
                args.CreateMutex = Some(create_mutex);
                f!(l, C_Initialize)(&mut args as *mut _ as *mut c_void)
            },
        ),
        ("C_Initialize", CKR_OK, |l| unsafe {
            let mut args = init_args(CKF_OS_LOCKING_OK, null_mut());
            f!(l, C_Initialize)(&mut args as *mut _ as *mut c_void)
        }),
        (
            "C_Initialize twice",
            CKR_CRYPTOKI_ALREADY_INITIALIZED,
            |l| unsafe { f!(l, C_Initialize)(null_mut()) },
        ),
        ("C_Finalize reserved set", CKR_ARGUMENTS_BAD, |l| unsafe {
            f!(l, C_Finalize)(std::ptr::dangling_mut())
        }),
        ("C_OpenSession after C_Initialize", CKR_OK, |l| unsafe {
            let mut h = 0;
            let flags = CKF_SERIAL_SESSION | CKF_RW_SESSION;
            let rv = f!(l, C_OpenSession)(first_slot(&l.f), flags, null_mut(), None, &mut h);
            l.session.set(h);
            rv
        }),
        ("C_CloseAllSessions", CKR_OK, |l| unsafe {
            f!(l, C_CloseAllSessions)(first_slot(&l.f))
        }),
        (
            "C_GetSessionInfo after C_CloseAllSessions",
            CKR_SESSION_HANDLE_INVALID,
            |l| unsafe {
                let mut info = std::mem::zeroed();
                f!(l, C_GetSessionInfo)(l.session.get(), &mut info)
            },
        ),
        ("C_Finalize", CKR_OK, |l| unsafe {
            f!(l, C_Finalize)(null_mut())
        }),
        (
            "C_Finalize twice",
            CKR_CRYPTOKI_NOT_INITIALIZED,
            |l| unsafe { f!(l, C_Finalize)(null_mut()) },
        ),
        (
            "C_GetInfo after C_Finalize",
            CKR_CRYPTOKI_NOT_INITIALIZED,
            |l| unsafe {
                let mut info = std::mem::zeroed();
                f!(l, C_GetInfo)(&mut info)
            },
        ),
        (
            "C_CloseSession after C_Finalize",
            CKR_CRYPTOKI_NOT_INITIALIZED,
            |l| unsafe { f!(l, C_CloseSession)(l.session.get()) },
        ),
        (
            "C_GetFunctionList NULL after C_Finalize",
            CKR_ARGUMENTS_BAD,
            |l| unsafe { f!(l, C_GetFunctionList)(null_mut()) },
        ),
        ("C_Initialize after C_Finalize", CKR_OK, |l| unsafe {
            f!(l, C_Initialize)(null_mut())
        }),
        ("C_Finalize at the end", CKR_OK, |l| unsafe {
            f!(l, C_Finalize)(null_mut())
        }),
    ]
}

/// The lifecycle steps on both tokens, in this process (run by [`lifecycle_in_its_own_process`]).
#[test]
#[ignore = "changes the library state of the process: run alone, by lifecycle_in_its_own_process"]
fn lifecycle_child() {
    let _softhsm = SoftHsm::new(TOKEN, SO_PIN, USER_PIN);
    let kmsd = Kmsd::start();
    std::env::set_var("KMS_PKCS11_CONFIG", kmsd.module_config_for(&[TOKEN]));
    let run_all = |path: &Path| {
        let Module { lib, f } = Module::load_from(path);
        let l = Lifecycle {
            f,
            session: std::cell::Cell::new(0),
        };
        let rvs: Vec<CK_RV> = lifecycle_steps()
            .iter()
            .map(|(_, _, call)| call(&l))
            .collect();
        drop(lib);
        rvs
    };
    let theirs = run_all(Path::new(SOFTHSM_MODULE));
    let mine = run_all(&module_path());
    let mut failures = Vec::new();
    let mut listed = 0;
    for (((name, want, _), mine), theirs) in lifecycle_steps().iter().zip(mine).zip(theirs) {
        eprintln!(
            "step {name:<45} want {:>5} ours {:>5} softhsm2 {}",
            rv_name(*want),
            rv_name(mine),
            rv_name(theirs)
        );
        listed += usize::from(judge(name, *want, mine, theirs, &mut failures));
    }
    println!(
        "lifecycle: {} steps, {listed} listed differences, {} failures",
        lifecycle_steps().len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn lifecycle_in_its_own_process() {
    if !SoftHsm::available() {
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "lifecycle_child", "--ignored", "--nocapture"])
        .output()
        .expect("run the lifecycle child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "lifecycle child failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("lifecycle: 20 steps") && stdout.contains("1 passed"),
        "the child ran the steps:\n{stdout}"
    );
}
