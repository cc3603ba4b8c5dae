//! Sequences of C calls as a confused or hostile application makes them: random and closed
//! handles, NULL and non-NULL pointers, lengths 0 / 1 / needed−1 / needed / huge, calls out of
//! order, C_Finalize and C_Initialize in between. kmsd is unreachable (the configuration points
//! at a closed port), so calls that need it fail with CKR_DEVICE_ERROR; everything else runs.
//! Invariants after each call: no crash, no panic (a panic would surface as
//! CKR_GENERAL_ERROR), and the output-length rule holds.
#![no_main]

use cryptoki_sys::*;
use kms_pkcs11::ffi;
use libfuzzer_sys::fuzz_target;
use std::ptr::null_mut;
use std::sync::Once;

static SETUP: Once = Once::new();

/// A configuration whose one slot points at a closed port, with a throwaway CA and client
/// certificate made here (the module needs loadable credentials to initialise).
fn setup() {
    SETUP.call_once(|| {
        use rcgen::{CertificateParams, IsCa, BasicConstraints, Issuer, KeyPair};
        let dir = std::env::temp_dir().join(format!("kms-pkcs11-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(Vec::<String>::new())
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
        std::fs::write(dir.join("client.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("client.key"), key.serialize_pem()).unwrap();
        // Owner-only, or C_Initialize refuses the key (and nothing past it is fuzzed).
        std::fs::set_permissions(
            dir.join("client.key"),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        let config = dir.join("pkcs11.toml");
        std::fs::write(
            &config,
            "[[slots]]\ntoken = \"fuzz\"\nendpoints = [\"https://127.0.0.1:9\"]\n\
             ca_file = \"ca.pem\"\ncert_file = \"client.pem\"\nkey_file = \"client.key\"\n\n\
             [timeouts]\nconnect_ms = 50\nrequest_ms = 100\n",
        )
        .unwrap();
        std::env::set_var("KMS_PKCS11_CONFIG", config);
    });
}

/// Reads the input a byte at a time.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }

    /// A handle: one we were given, a closed one, 0, or a random one.
    fn handle(&mut self, known: &[CK_ULONG]) -> CK_ULONG {
        match self.byte().unwrap_or(0) {
            b @ 0..=127 if !known.is_empty() => known[b as usize % known.len()],
            128..=159 => 0,
            b => CK_ULONG::from(b) * 7919,
        }
    }

    /// A length around `needed`.
    fn len(&mut self, needed: usize) -> usize {
        match self.byte().unwrap_or(0) % 5 {
            0 => 0,
            1 => 1,
            2 => needed.saturating_sub(1),
            3 => needed,
            _ => 1 << 20,
        }
    }
}

/// CKR codes that mean the module panicked or lost track.
fn sane(rv: CK_RV) -> bool {
    rv != CKR_GENERAL_ERROR
}

fuzz_target!(|data: &[u8]| {
    setup();
    let mut inp = Input(data);
    let mut sessions: Vec<CK_ULONG> = Vec::new();
    let mut objects: Vec<CK_ULONG> = Vec::new();
    // SAFETY: every pointer passed is NULL or points to a live local of the stated size.
    unsafe {
        let _ = ffi::C_Initialize(null_mut());
        while let Some(op) = inp.byte() {
            let mut buf = vec![0u8; 4096];
            let rv = match op % 16 {
                0 => ffi::C_Finalize(null_mut()),
                1 => ffi::C_Initialize(null_mut()),
                2 => {
                    let mut slots = [0 as CK_SLOT_ID; 4];
                    let mut n: CK_ULONG = inp.len(1) as CK_ULONG;
                    let p = if inp.byte().unwrap_or(0) & 1 == 0 { null_mut() } else { slots.as_mut_ptr() };
                    let rv = ffi::C_GetSlotList(CK_TRUE, p, &mut n);
                    if rv == CKR_OK && !p.is_null() {
                        assert!(n <= 4);
                    }
                    rv
                }
                3 => {
                    let mut h = 0;
                    let flags = CKF_SERIAL_SESSION | if inp.byte().unwrap_or(0) & 1 == 1 { CKF_RW_SESSION } else { 0 };
                    let rv = ffi::C_OpenSession(inp.handle(&[0]) % 2, flags, null_mut(), None, &mut h);
                    if rv == CKR_OK {
                        sessions.push(h);
                    }
                    rv
                }
                4 => ffi::C_CloseSession(inp.handle(&sessions)),
                5 => {
                    let mut info: CK_SESSION_INFO = std::mem::zeroed();
                    let p = if inp.byte().unwrap_or(0) & 1 == 0 { null_mut() } else { &mut info as *mut _ };
                    ffi::C_GetSessionInfo(inp.handle(&sessions), p)
                }
                6 => {
                    let mut m = CK_MECHANISM { mechanism: CKM_SHA256, pParameter: null_mut(), ulParameterLen: 0 };
                    if inp.byte().unwrap_or(0) & 3 == 0 {
                        m.mechanism = CK_ULONG::from(inp.byte().unwrap_or(0)) << 4;
                    }
                    ffi::C_DigestInit(inp.handle(&sessions), &mut m)
                }
                7 => {
                    let n = inp.len(32);
                    let mut out_len = n as CK_ULONG;
                    let out = if inp.byte().unwrap_or(0) & 1 == 0 { null_mut() } else { buf.as_mut_ptr() };
                    let rv = ffi::C_Digest(inp.handle(&sessions), b"abc".as_ptr() as *mut u8, 3, out, &mut out_len);
                    if rv == CKR_BUFFER_TOO_SMALL || (rv == CKR_OK && out.is_null()) {
                        assert!(out_len as usize <= 64, "a size query answers the real size");
                    }
                    rv
                }
                8 => ffi::C_DigestUpdate(inp.handle(&sessions), buf.as_mut_ptr(), inp.len(64).min(4096) as CK_ULONG),
                9 => {
                    let mut out_len = inp.len(32) as CK_ULONG;
                    ffi::C_DigestFinal(inp.handle(&sessions), buf.as_mut_ptr(), &mut out_len)
                }
                10 => {
                    let mut t = [CK_ATTRIBUTE { type_: CKA_LABEL, pValue: buf.as_mut_ptr() as *mut _, ulValueLen: inp.len(8).min(4096) as CK_ULONG }];
                    let count = inp.byte().unwrap_or(0) % 2;
                    ffi::C_FindObjectsInit(inp.handle(&sessions), t.as_mut_ptr(), CK_ULONG::from(count))
                }
                11 => {
                    let mut found = [0 as CK_OBJECT_HANDLE; 8];
                    let mut n = 0;
                    let rv = ffi::C_FindObjects(inp.handle(&sessions), found.as_mut_ptr(), inp.len(8).min(8) as CK_ULONG, &mut n);
                    if rv == CKR_OK {
                        objects.extend_from_slice(&found[..n as usize]);
                    }
                    rv
                }
                12 => ffi::C_FindObjectsFinal(inp.handle(&sessions)),
                13 => {
                    let mut t = [CK_ATTRIBUTE { type_: CK_ULONG::from(inp.byte().unwrap_or(0)), pValue: null_mut(), ulValueLen: 0 }];
                    if inp.byte().unwrap_or(0) & 1 == 1 {
                        t[0].pValue = buf.as_mut_ptr() as *mut _;
                        t[0].ulValueLen = inp.len(16).min(4096) as CK_ULONG;
                    }
                    ffi::C_GetAttributeValue(inp.handle(&sessions), inp.handle(&objects), t.as_mut_ptr(), 1)
                }
                14 => {
                    let mut m = CK_MECHANISM { mechanism: CK_ULONG::from(inp.byte().unwrap_or(0)) * 3, pParameter: null_mut(), ulParameterLen: 0 };
                    ffi::C_SignInit(inp.handle(&sessions), &mut m, inp.handle(&objects))
                }
                _ => {
                    let mut info: CK_MECHANISM_INFO = std::mem::zeroed();
                    ffi::C_GetMechanismInfo(0, CK_ULONG::from(inp.byte().unwrap_or(0)) << 2, &mut info)
                }
            };
            assert!(sane(rv), "op {} returned CKR_GENERAL_ERROR", op % 16);
        }
        let _ = ffi::C_Finalize(null_mut());
    }
});
